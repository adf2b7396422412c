// The selected block's inputs and outputs in the side panel: what each is connected to (go
// there, disconnect) and, when editable, a list to connect it.
import type { BlockSpec, DocEdge, DocNode, PortRef, StrategyDoc } from "./types";
import type { Catalogue } from "./catalogue";
import { typeWord } from "./catalogue";
import { ConnectRow, inputCandidates, outputCandidates } from "./ConnectRow";
import { sameRef } from "./doc";

interface Props {
  doc: StrategyDoc;
  catalogue: Catalogue;
  node: DocNode;
  spec: BlockSpec;
  readOnly: boolean;
  describe: (r: PortRef, side: "in" | "out") => string;
  onSelect: (id: string) => void;
  onConnect: (from: PortRef, to: PortRef) => void;
  onDisconnect: (e: DocEdge) => void;
}

export function InputPanels({ doc, catalogue, node, spec, readOnly, describe, onSelect, onConnect, onDisconnect }: Props) {
  return (
    <>
      <h3>Inputs</h3>
      {spec.inputs.map((port) => {
        const edge = doc.edges.find((e) => e.to.node === node.id && e.to.port === port.name);
        return (
          <div key={port.name} className="bb-port-panel" data-port={port.name}>
            <p className="bb-port-name">
              <strong>{port.label}</strong> <span className="bb-muted">takes a {typeWord(port.type)}</span>
            </p>
            {edge ? (
              <p className="bb-linked">
                From {describe(edge.from, "out")}{" "}
                <button type="button" className="bb-link" onClick={() => onSelect(edge.from.node)}>
                  Go to block
                </button>{" "}
                <button type="button" onClick={() => onDisconnect(edge)}>
                  Disconnect
                </button>
              </p>
            ) : (
              <p className="bb-unlinked">Not connected yet.</p>
            )}
            {!readOnly && (
              <ConnectRow
                label={`Connect "${port.label}" from…`}
                candidates={inputCandidates(doc, catalogue, node.id, port.name, port.type)}
                onConnect={(from) => onConnect(from, { node: node.id, port: port.name })}
                emptyText="Add a block that gives a value first, then connect it here."
              />
            )}
          </div>
        );
      })}
    </>
  );
}

export function OutputPanels({ doc, catalogue, node, spec, readOnly, describe, onSelect, onConnect, onDisconnect }: Props) {
  return (
    <>
      <h3>Outputs</h3>
      {spec.outputs.map((port) => {
        const from = { node: node.id, port: port.name };
        const edges = doc.edges.filter((e) => sameRef(e.from, from));
        return (
          <div key={port.name} className="bb-port-panel" data-port={port.name}>
            <p className="bb-port-name">
              <strong>{port.label}</strong> <span className="bb-muted">gives a {typeWord(port.type)}</span>
            </p>
            {edges.length === 0 ? (
              <p className="bb-unlinked">Not connected yet.</p>
            ) : (
              <ul className="bb-linked-list">
                {edges.map((e) => (
                  <li key={`${e.to.node}:${e.to.port}`}>
                    Feeds {describe(e.to, "in")}{" "}
                    <button type="button" className="bb-link" onClick={() => onSelect(e.to.node)}>
                      Go to block
                    </button>{" "}
                    <button type="button" onClick={() => onDisconnect(e)}>
                      Disconnect
                    </button>
                  </li>
                ))}
              </ul>
            )}
            {!readOnly && (
              <ConnectRow
                label={`Connect "${port.label}" to…`}
                candidates={outputCandidates(doc, catalogue, node.id, port.type)}
                onConnect={(to) => onConnect(from, to)}
                emptyText="Add a block with an input first, then connect this output to it."
              />
            )}
          </div>
        );
      })}
    </>
  );
}
