// The side panel with no block selected: how to use the canvas without a mouse or, read-only,
// the list of the strategy's blocks.
import { paramSummary } from "./BlockNode";
import type { Catalogue } from "./catalogue";
import { nodeTitle } from "./doc";
import type { StrategyDoc } from "./types";

interface Props {
  doc: StrategyDoc;
  catalogue: Catalogue;
  readOnly: boolean;
  onSelect: (id: string) => void;
}

/** What follows the panel's heading (kept in Inspector, so focus on it survives a selection). */
export function InspectorIntro({ doc, catalogue, readOnly, onSelect }: Props) {
  return readOnly ? (
    <>
      <p>Select a block to see what it does and how it is set.</p>
      <h3>Blocks in this strategy</h3>
      {doc.nodes.length === 0 ? (
        <p className="bb-hint">There are no blocks yet.</p>
      ) : (
        <ul className="bb-block-list">
          {doc.nodes.map((n) => {
            const s = catalogue.byKind.get(n.kind);
            return (
              <li key={n.id}>
                <button type="button" className="bb-link" onClick={() => onSelect(n.id)}>
                  {nodeTitle(n, s)}
                </button>{" "}
                <span className="bb-muted">{paramSummary(s, n.params)}</span>
              </li>
            );
          })}
        </ul>
      )}
    </>
  ) : (
    <>
      <p>Select a block on the canvas to see what it does and change its settings.</p>
      <h3>Without a mouse</h3>
      <ul className="bb-keys">
        <li>
          <kbd>Tab</kbd> moves from block to block; the focused block is selected.
        </li>
        <li>
          <kbd>Enter</kbd> on a block jumps here, to its settings and connections; <kbd>Esc</kbd> goes back to the block.
        </li>
        <li>
          <kbd>Delete</kbd> removes the selected block; arrow keys move it.
        </li>
        <li>
          <kbd>Ctrl</kbd>+<kbd>Z</kbd> undoes, <kbd>Ctrl</kbd>+<kbd>Shift</kbd>+<kbd>Z</kbd> redoes.
        </li>
      </ul>
    </>
  );
}
