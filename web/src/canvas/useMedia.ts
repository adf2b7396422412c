import { useLayoutEffect, useRef, useSyncExternalStore } from "react";

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

/** A ref for the page element, which fills the window below the app's header, whatever its
 * height (measured into `--bb-top` on every resize and change of layout). */
export function useFillWindow(layout: Layout) {
  const pageRef = useRef<HTMLDivElement>(null);
  useLayoutEffect(() => {
    const el = pageRef.current;
    if (!el) return;
    const measure = () => el.style.setProperty("--bb-top", `${Math.max(0, el.getBoundingClientRect().top + window.scrollY)}px`);
    measure();
    window.addEventListener("resize", measure);
    return () => window.removeEventListener("resize", measure);
  }, [layout]);
  return pageRef;
}
