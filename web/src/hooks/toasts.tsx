// Short messages in a corner (new notifications, saved, copied), announced politely to screen
// readers. Each stays 10 seconds, longer while the pointer or focus is on it.
import { createContext, useCallback, useContext, useEffect, useRef, useState, type ReactNode } from "react";
import { Link } from "react-router-dom";

export interface Toast {
  id: number;
  title: string;
  body?: string;
  link?: { to: string; label: string };
  tone?: "info" | "good" | "bad";
}

type ToastInput = Omit<Toast, "id">;

const ToastContext = createContext<(t: ToastInput) => void>(() => {});

export function ToastProvider({ children }: { children: ReactNode }) {
  const [toasts, setToasts] = useState<Toast[]>([]);
  const next = useRef(1);
  const push = useCallback((t: ToastInput) => {
    const id = next.current++;
    setToasts((all) => [...all.slice(-3), { ...t, id }]);
  }, []);
  const dismiss = useCallback((id: number) => setToasts((all) => all.filter((t) => t.id !== id)), []);
  return (
    <ToastContext.Provider value={push}>
      {children}
      <div className="toasts" role="status" aria-live="polite" aria-label="Messages">
        {toasts.map((t) => (
          <ToastItem key={t.id} toast={t} onDismiss={() => dismiss(t.id)} />
        ))}
      </div>
    </ToastContext.Provider>
  );
}

function ToastItem({ toast, onDismiss }: { toast: Toast; onDismiss(): void }) {
  const [held, setHeld] = useState(false);
  useEffect(() => {
    if (held) return;
    const t = setTimeout(onDismiss, 10_000);
    return () => clearTimeout(t);
  }, [held, onDismiss]);
  return (
    <div
      className={`toast toast-${toast.tone ?? "info"}`}
      onMouseEnter={() => setHeld(true)}
      onMouseLeave={() => setHeld(false)}
      onFocus={() => setHeld(true)}
      onBlur={() => setHeld(false)}
    >
      <div className="toast-text">
        <strong>{toast.title}</strong>
        {toast.body && <span>{toast.body}</span>}
        {toast.link && (
          <Link to={toast.link.to} onClick={onDismiss}>
            {toast.link.label}
          </Link>
        )}
      </div>
      <button type="button" className="icon-button" onClick={onDismiss} aria-label={`Dismiss: ${toast.title}`}>
        ×
      </button>
    </div>
  );
}

export function useToast() {
  return useContext(ToastContext);
}
