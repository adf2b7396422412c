// The palette: every block of the catalogue by category, with a search box and each block's
// explanation. Click or Enter adds a block to the middle of the canvas; dragging drops it
// where it is let go.
import { memo, useMemo, useState } from "react";
import { categoryLabel, type Catalogue } from "./catalogue";
import type { BlockSpec } from "./types";

export const DRAG_TYPE = "application/x-blockbuilders-block";

interface Props {
  catalogue: Catalogue;
  onAdd: (kind: string) => void;
}

/** How well a block matches the search words: 0 is no match; names beat explanations. */
function score(b: BlockSpec, words: string[], phrase: string): number {
  const name = `${b.name} ${b.kind.replace(/_/g, " ")}`.toLowerCase();
  const hay = `${name} ${b.category.replace(/_/g, " ")} ${b.explanation}`.toLowerCase();
  if (!words.every((w) => hay.includes(w))) return 0;
  if (name.startsWith(phrase)) return 4;
  if (name.includes(phrase)) return 3;
  if (words.every((w) => name.includes(w))) return 2;
  return 1;
}

function PaletteView({ catalogue, onAdd }: Props) {
  const [query, setQuery] = useState("");
  const [open, setOpen] = useState<Set<string>>(() => new Set(["inputs", "moving_averages", "conditions", "actions"]));
  const needle = query.trim().toLowerCase();
  const words = useMemo(() => needle.split(/\s+/).filter(Boolean), [needle]);
  const groups = useMemo(() => {
    if (!words.length) return catalogue.categories;
    // While searching: one list, best matches first (catalogue order among equals).
    const ranked = catalogue.blocks
      .map((b, i) => ({ b, i, s: score(b, words, needle) }))
      .filter((r) => r.s > 0)
      .sort((x, y) => y.s - x.s || x.i - y.i)
      .map((r) => r.b);
    return ranked.length ? [{ id: "results", label: "Matching blocks", blocks: ranked }] : [];
  }, [catalogue, words, needle]);
  const count = groups.reduce((n, g) => n + g.blocks.length, 0);
  const first = groups[0]?.blocks[0];

  return (
    <div className="bb-palette-inner">
      <h2 id="bb-palette-heading">Blocks</h2>
      <label htmlFor="bb-palette-search" className="bb-label">
        Search blocks
      </label>
      <input
        id="bb-palette-search"
        type="search"
        value={query}
        placeholder="e.g. average, RSI, buy"
        autoComplete="off"
        aria-describedby="bb-palette-help bb-palette-count"
        onChange={(e) => setQuery(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === "Enter" && first) {
            e.preventDefault();
            onAdd(first.kind);
          }
        }}
      />
      <p id="bb-palette-help" className="bb-hint">
        Click a block (or press Enter on it) to add it to the canvas, or drag it to a spot. Enter in the search box adds the first match.
      </p>
      <p id="bb-palette-count" className="bb-sr-only" aria-live="polite">
        {words.length ? `${count} ${count === 1 ? "block matches" : "blocks match"}` : ""}
      </p>
      {groups.length === 0 && <p className="bb-empty">No block matches “{query}”. Try another word.</p>}
      {groups.map((g) => (
        <details
          key={g.id}
          className="bb-cat"
          open={words.length > 0 || open.has(g.id)}
          onToggle={(e) => {
            if (words.length) return;
            const isOpen = (e.currentTarget as HTMLDetailsElement).open;
            setOpen((s) => {
              if (s.has(g.id) === isOpen) return s;
              const n = new Set(s);
              if (isOpen) n.add(g.id);
              else n.delete(g.id);
              return n;
            });
          }}
        >
          <summary>
            {g.label} <span className="bb-muted">({g.blocks.length})</span>
          </summary>
          <ul className="bb-palette-list">
            {g.blocks.map((b) => (
              <li key={b.kind} className={`bb-palette-item cat-${b.category}`}>
                <button
                  type="button"
                  className="bb-palette-add"
                  draggable
                  data-kind={b.kind}
                  aria-describedby={`bb-expl-${b.kind}`}
                  onClick={() => onAdd(b.kind)}
                  onDragStart={(e) => {
                    e.dataTransfer.setData(DRAG_TYPE, b.kind);
                    e.dataTransfer.setData("text/plain", b.name);
                    e.dataTransfer.effectAllowed = "copy";
                  }}
                >
                  <span className="bb-palette-name">
                    <span className="bb-sr-only">Add </span>
                    {b.name}
                    {words.length > 0 && (
                      <span className="bb-palette-cat" aria-hidden="true">
                        {categoryLabel(b.category)}
                      </span>
                    )}
                  </span>
                  <span className="bb-palette-plus" aria-hidden="true">
                    + Add
                  </span>
                </button>
                <p id={`bb-expl-${b.kind}`} className="bb-expl" title={b.explanation}>
                  {b.explanation}
                </p>
              </li>
            ))}
          </ul>
        </details>
      ))}
    </div>
  );
}

export const Palette = memo(PaletteView);
