// The menu that opens where a connection was dropped on empty canvas: the blocks that fit the
// port it came from, found by name; the one picked is added there, connected.
import { useEffect, useMemo, useRef, useState } from "react";
import type { Catalogue } from "./catalogue";
import { MENU_H, MENU_W, type ConnectDrop } from "./useConnectDrop";

export function ConnectMenu({
  drop,
  catalogue,
  onPick,
  onClose,
}: {
  drop: ConnectDrop;
  catalogue: Catalogue;
  onPick: (kind: string) => void;
  onClose: (refocus: boolean) => void;
}) {
  const [query, setQuery] = useState("");
  const ref = useRef<HTMLDivElement>(null);
  const { side, type } = drop.link;
  const groups = useMemo(() => {
    const q = query.trim().toLowerCase();
    return catalogue.categories
      .map((c) => ({
        ...c,
        blocks: c.blocks.filter(
          (b) =>
            (side === "source" ? b.inputs : b.outputs).some((p) => p.type === type) &&
            (!q || b.name.toLowerCase().includes(q) || b.kind.includes(q)),
        ),
      }))
      .filter((c) => c.blocks.length > 0);
  }, [catalogue, side, type, query]);

  // A press outside closes it.
  useEffect(() => {
    const away = (e: PointerEvent) => {
      if (e.target instanceof Node && !ref.current?.contains(e.target)) onClose(false);
    };
    document.addEventListener("pointerdown", away);
    return () => document.removeEventListener("pointerdown", away);
  }, [onClose]);

  const first = groups[0]?.blocks[0];
  return (
    <div
      ref={ref}
      className="bb-connect-menu"
      role="dialog"
      aria-label="Add a connected block"
      style={{ left: drop.menuAt.x, top: drop.menuAt.y, width: MENU_W, maxHeight: MENU_H }}
      onKeyDown={(e) => {
        if (e.key === "Escape") {
          e.stopPropagation();
          onClose(true);
        }
      }}
    >
      <p className="bb-connect-menu-title">
        Add a block {side === "source" ? "fed by" : "feeding"} <strong>{drop.portWords}</strong>
      </p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (first) onPick(first.kind);
        }}
      >
        <label className="bb-connect-menu-search">
          Find a block
          <input type="search" autoFocus value={query} onChange={(e) => setQuery(e.target.value)} />
        </label>
      </form>
      {groups.length === 0 ? (
        <p>No block fits this port{query ? ` with “${query}” in its name` : ""}.</p>
      ) : (
        <ul className="bb-connect-menu-list">
          {groups.map((g) => (
            <li key={g.id}>
              <span className="bb-connect-menu-cat">{g.label}</span>
              <ul>
                {g.blocks.map((b) => (
                  <li key={b.kind}>
                    <button type="button" onClick={() => onPick(b.kind)}>
                      {b.name}
                    </button>
                  </li>
                ))}
              </ul>
            </li>
          ))}
        </ul>
      )}
      <button type="button" className="bb-connect-menu-cancel" onClick={() => onClose(true)}>
        Cancel
      </button>
    </div>
  );
}
