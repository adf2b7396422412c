// The canvas's one-line messages ("Added SMA…", "Not connected…"): the newest replaces the
// last, and each goes away after 12 seconds.
import { useCallback, useEffect, useState } from "react";

export interface Notice {
  text: string;
  /** Counts up with every message, so the same text said twice is announced twice. */
  n: number;
}

export function useNotice() {
  const [notice, setNotice] = useState<Notice | null>(null);
  const say = useCallback((text: string) => setNotice((n) => ({ text, n: (n?.n ?? 0) + 1 })), []);
  useEffect(() => {
    if (!notice) return;
    const t = setTimeout(() => setNotice((n) => (n === notice ? null : n)), 12_000);
    return () => clearTimeout(t);
  }, [notice]);
  const dismiss = useCallback(() => setNotice(null), []);
  return { notice, say, dismiss };
}
