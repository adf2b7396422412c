import { useEffect } from "react";

/** Sets the document title (read first by screen readers after navigation). */
export function useTitle(title: string) {
  useEffect(() => {
    document.title = `${title} · Blockbuilders`;
  }, [title]);
}
