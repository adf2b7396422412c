// A small "what is this?" button whose explanation shows on hover, focus or tap, stays while
// the pointer is over it, and closes with Escape (WCAG 1.4.13).
import { useEffect, useId, useState } from "react";

export function InfoTip({ label, text }: { label: string; text: string }) {
  const id = useId();
  const [open, setOpen] = useState(false);
  useEffect(() => {
    if (!open) return;
    const onKey = (e: KeyboardEvent) => e.key === "Escape" && setOpen(false);
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [open]);
  return (
    <span className="infotip" onMouseEnter={() => setOpen(true)} onMouseLeave={() => setOpen(false)}>
      <button
        type="button"
        className="infotip-button"
        aria-label={`What is ${label}?`}
        aria-describedby={id}
        onFocus={() => setOpen(true)}
        onBlur={() => setOpen(false)}
        onClick={() => setOpen((o) => !o)}
      >
        ?
      </button>
      <span role="tooltip" id={id} className={open ? "infotip-text open" : "infotip-text"}>
        {text}
      </span>
    </span>
  );
}
