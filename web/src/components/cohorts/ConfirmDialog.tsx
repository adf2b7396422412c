// A yes-or-no question before something that cannot be undone (leave, remove, new code).
import { useId, type ReactNode } from "react";
import { Modal } from "../Modal";

interface Props {
  open: boolean;
  title: string;
  children: ReactNode;
  confirm: string;
  busy?: boolean;
  onConfirm(): void;
  onClose(): void;
}

export function ConfirmDialog({ open, title, children, confirm, busy, onConfirm, onClose }: Props) {
  const textId = useId();
  return (
    <Modal open={open} title={title} onClose={onClose} role="alertdialog" describedBy={textId}>
      <div id={textId}>{children}</div>
      <div className="actions">
        <button type="button" className="button" onClick={onClose}>
          Cancel
        </button>
        <button type="button" className="button danger" disabled={busy} onClick={onConfirm}>
          {busy ? "Working…" : confirm}
        </button>
      </div>
    </Modal>
  );
}
