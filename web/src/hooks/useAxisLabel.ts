// A swept parameter's name for people: "Fast average: Period" from `fast.period`, read from the
// strategy version's blocks and the block catalogue (the sweep and robustness pages).
import { useMemo } from "react";
import type { BlockInfo } from "../api/types";
import { paramLabel } from "../lib/metrics";
import { useBlocks, useVersion } from "./queries";

export type AxisLabel = (axis: string) => string;

export function useAxisLabel(strategyId: string | undefined, version: number | undefined): AxisLabel {
  const v = useVersion(strategyId, version);
  const blocks = useBlocks();
  return useMemo(() => {
    const nodes = v.data?.graph.nodes ?? [];
    const catalogue = new Map<string, BlockInfo>((blocks.data?.blocks ?? []).map((b) => [b.kind, b]));
    return (axis: string) => {
      const [nodeId, param] = axis.split(".");
      const node = nodes.find((n) => n.id === nodeId);
      const block = node ? catalogue.get(node.kind) : undefined;
      const p = block?.params.find((x) => x.name === param);
      return node && block && p ? `${node.label ?? block.name}: ${p.label}` : paramLabel(axis);
    };
  }, [v.data, blocks.data]);
}
