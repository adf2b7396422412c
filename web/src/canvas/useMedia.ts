import { useSyncExternalStore } from "react";

/** Whether a CSS media query matches, following changes (rotation, resizing). */
export function useMedia(query: string): boolean {
  return useSyncExternalStore(
    (cb) => {
      const m = window.matchMedia(query);
      m.addEventListener("change", cb);
      return () => m.removeEventListener("change", cb);
    },
    () => window.matchMedia(query).matches,
    () => false,
  );
}

/** phone: read-only; tablet: simplified (palette collapsible); desktop: everything. */
export type Layout = "phone" | "tablet" | "desktop";

export function useLayout(): Layout {
  const phone = useMedia("(max-width: 639px)");
  const tablet = useMedia("(max-width: 1099px)");
  return phone ? "phone" : tablet ? "tablet" : "desktop";
}
