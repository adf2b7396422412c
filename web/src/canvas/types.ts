// The strategy document (schema version 2, as crates/strategy/src/document.rs reads it) and
// the block catalogue (`GET /api/v1/blocks`, whose schema the spec leaves open: an object
// with `blocks`, each with kind, category, name, explanation, typed params and ports).
import type { Schemas } from "../api/client";

export type Diagnostic = Schemas["Diagnostic"];

export type PortType = "number" | "boolean";

export interface PortSpec {
  name: string;
  label: string;
  type: PortType | string;
}

export interface ParamSpec {
  name: string;
  label: string;
  type: "integer" | "number" | "choice" | string;
  default: number | string | boolean | null;
  min?: number;
  max?: number;
  options?: string[];
  unit: string | null;
}

export interface BlockSpec {
  kind: string;
  category: string;
  name: string;
  explanation: string;
  inputs: PortSpec[];
  outputs: PortSpec[];
  params: ParamSpec[];
  warmup?: string;
}

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
