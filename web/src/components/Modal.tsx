// A modal dialog on the native <dialog> element: focus moves in and is kept inside, Escape
// closes it, and focus returns to what opened it.
import { useEffect, useId, useRef, type ReactNode } from "react";

const FOCUSABLE = 'a[href], button, input, select, textarea, [tabindex]:not([tabindex="-1"])';

interface Props {
  open: boolean;
  title: string;
  onClose(): void;
  children: ReactNode;
  /** `alertdialog` for prompts that need an answer (the upgrade prompt). */
  role?: "dialog" | "alertdialog";
  wide?: boolean;
  describedBy?: string;
}

export function Modal({ open, title, onClose, children, role = "dialog", wide, describedBy }: Props) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const opener = useRef<Element | null>(null);

  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) {
      opener.current = document.activeElement;
      d.showModal();
    } else if (!open && d.open) {
      d.close();
    }
  }, [open]);

  useEffect(() => {
    const d = ref.current;
    return () => {
      if (d?.open) d.close();
      const el = opener.current;
      if (el instanceof HTMLElement && el.isConnected) el.focus();
    };
  }, []);

  useEffect(() => {
    if (open) return;
    const el = opener.current;
    if (el instanceof HTMLElement && el.isConnected) el.focus();
  }, [open]);

  return (
    <dialog
      ref={ref}
      className={wide ? "modal modal-wide" : "modal"}
      role={role}
      aria-labelledby={titleId}
      aria-describedby={describedBy}
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
      onClick={(e) => {
        if (e.target === ref.current) onClose();
      }}
      onKeyDown={(e) => {
        // Tab wraps around inside the dialog instead of leaving for the browser's toolbar.
        if (e.key !== "Tab" || !ref.current) return;
        const all = [...ref.current.querySelectorAll<HTMLElement>(FOCUSABLE)].filter(
          (el) => !el.hasAttribute("disabled") && el.offsetParent !== null,
        );
        if (!all.length) return;
        const first = all[0];
        const last = all[all.length - 1];
        if (e.shiftKey && document.activeElement === first) {
          e.preventDefault();
          last.focus();
        } else if (!e.shiftKey && document.activeElement === last) {
          e.preventDefault();
          first.focus();
        }
      }}
    >
      {open && (
        <div className="modal-body">
          <div className="modal-head">
            <h2 id={titleId}>{title}</h2>
            <button type="button" className="icon-button" onClick={onClose} aria-label="Close">
              ×
            </button>
          </div>
          {children}
        </div>
      )}
    </dialog>
  );
}
