// Moving the keyboard focus to a block on the canvas.

export function focusNode(id: string): boolean {
  const el = document.querySelector<HTMLElement>(`.react-flow__node[data-id="${CSS.escape(id)}"]`);
  if (!el) return false;
  el.focus();
  return document.activeElement === el;
}

/** Focuses a block once React Flow has measured and shown it (a few frames at most). */
export function focusNodeSoon(id: string, frames = 10): void {
  requestAnimationFrame(() => {
    if (!focusNode(id) && frames > 0) focusNodeSoon(id, frames - 1);
  });
}
