// Connecting ports: which connections React Flow may make, what happens when one is made or
// refused, and the reason in words for one it may not make.
import { useCallback, type MutableRefObject } from "react";
import type { Connection, Edge, OnConnectEnd } from "@xyflow/react";
import type { Catalogue } from "./catalogue";
import type { ConnectionEnds } from "./ConnectionHint";
import { connect, connectionProblem, nodeTitle } from "./doc";
import { edgeFromFlow } from "./layout";
import type { PortRef, StrategyDoc } from "./types";

interface Options {
  docRef: MutableRefObject<StrategyDoc>;
  catalogue: Catalogue;
  apply: (fn: (doc: StrategyDoc) => StrategyDoc, key?: string) => void;
  say: (text: string) => void;
}

export function useConnections({ docRef, catalogue, apply, say }: Options) {
  const describePort = useCallback(
    (r: PortRef, side: "in" | "out") => {
      const n = docRef.current.nodes.find((x) => x.id === r.node);
      const spec = n ? catalogue.byKind.get(n.kind) : undefined;
      const port = (side === "in" ? spec?.inputs : spec?.outputs)?.find((p) => p.name === r.port);
      return `${n ? nodeTitle(n, spec) : r.node} → ${port?.label ?? r.port}`;
    },
    [catalogue, docRef],
  );

  const reasonFor = useCallback(
    (c: ConnectionEnds): string | null => {
      if (!c.fromHandle || !c.toHandle) return null;
      if (c.fromHandle.type === c.toHandle.type) {
        return c.fromHandle.type === "source"
          ? "An output cannot feed another output: connect it to an input (the left side of a block)."
          : "An input cannot feed another input: connect it to an output (the right side of a block).";
      }
      const [out, inp] = c.fromHandle.type === "source" ? [c.fromHandle, c.toHandle] : [c.toHandle, c.fromHandle];
      return connectionProblem(docRef.current, catalogue, { node: out.nodeId, port: out.id ?? "" }, { node: inp.nodeId, port: inp.id ?? "" });
    },
    [catalogue, docRef],
  );

  const isValidConnection = useCallback(
    (c: Connection | Edge) =>
      !!c.sourceHandle &&
      !!c.targetHandle &&
      connectionProblem(docRef.current, catalogue, { node: c.source, port: c.sourceHandle }, { node: c.target, port: c.targetHandle }) === null,
    [catalogue, docRef],
  );

  const onConnect = useCallback(
    (c: Connection) => {
      const { from, to } = edgeFromFlow(c);
      const problem = connectionProblem(docRef.current, catalogue, from, to);
      if (problem) {
        say(problem);
        return;
      }
      apply((d) => connect(d, from, to));
      say(`Connected ${describePort(from, "out")} to ${describePort(to, "in")}.`);
    },
    [catalogue, apply, say, describePort, docRef],
  );

  const onConnectEnd: OnConnectEnd = useCallback(
    (_e, state) => {
      if (state.isValid || !state.toHandle) return;
      const reason = reasonFor(state);
      if (reason) say(`Not connected. ${reason}`);
    },
    [reasonFor, say],
  );

  return { reasonFor, isValidConnection, onConnect, onConnectEnd };
}
