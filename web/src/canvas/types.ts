// The strategy document (schema version 2, as crates/strategy/src/document.rs reads it) and
// the block catalogue (`GET /api/v1/blocks`, whose schema the spec leaves open: its hand
// types live with the others in api/types.ts).
import type { Schemas } from "../api/client";

export type { BlockSpec, ParamSpec, PortSpec, PortType } from "../api/types";
export type Diagnostic = Schemas["Diagnostic"];

export interface Position {
  x: number;
  y: number;
}

export interface DocNode {
  id: string;
  kind: string;
  params: Record<string, unknown>;
  position: Position;
  label?: string;
}

export interface PortRef {
  node: string;
  port: string;
}

export interface DocEdge {
  from: PortRef;
  to: PortRef;
}

export interface StrategyDoc {
  schema_version: number;
  name: string;
  description?: string;
  nodes: DocNode[];
  edges: DocEdge[];
}
