// One block setting in the side panel: a number field (or a list for a choice) with its range,
// default and unit from the catalogue, and the validator's problems with it.
import { useEffect, useId, useState } from "react";
import { plain } from "../lib/format";
import { optionWords } from "../lib/params";
import type { Diagnostic, ParamSpec } from "./types";

const BIG = 1e11;

function fmt(n: number): string {
  return plain(n, 4);
}

function withUnit(v: unknown, unit: string | null): string {
  if (!unit) return String(v);
  return unit === "%" ? `${v}%` : `${v} ${unit}`;
}

export function rangeText(p: ParamSpec): string {
  if (p.type === "choice") return `Default: ${optionWords(p.default)}.`;
  const hasMin = typeof p.min === "number" && Math.abs(p.min) < BIG;
  const hasMax = typeof p.max === "number" && Math.abs(p.max) < BIG;
  const whole = p.type === "integer" ? "A whole number" : "A number";
  let range = `${whole}`;
  if (hasMin && hasMax) range += ` from ${withUnit(fmt(p.min!), p.unit)} to ${withUnit(fmt(p.max!), p.unit)}`;
  else if (hasMin) range += ` of at least ${withUnit(fmt(p.min!), p.unit)}`;
  else if (hasMax) range += ` of at most ${withUnit(fmt(p.max!), p.unit)}`;
  return `${range}. Default: ${withUnit(p.default, p.unit)}.`;
}

export function ParamField({
  p,
  value,
  diags,
  onChange,
}: {
  p: ParamSpec;
  value: unknown;
  diags: Diagnostic[];
  onChange: (v: unknown) => void;
}) {
  const id = useId();
  const hintId = `${id}-hint`;
  const errId = `${id}-err`;
  const label = `${p.label}${p.unit && p.type !== "choice" ? ` (${p.unit})` : ""}`;
  const shown = value ?? p.default;
  const [text, setText] = useState(String(shown ?? ""));
  useEffect(() => {
    // Follow outside changes (undo, restore) without fighting the user's typing.
    if (p.type !== "choice" && Number(text) !== shown && String(shown) !== text) setText(String(shown ?? ""));
  }, [shown]);
  const describedBy = diags.length ? `${hintId} ${errId}` : hintId;
  return (
    <div className="bb-field">
      <label htmlFor={id}>{label}</label>
      {p.type === "choice" ? (
        <select id={id} value={String(shown)} aria-describedby={describedBy} aria-invalid={diags.length > 0 || undefined} onChange={(e) => onChange(e.target.value)}>
          {!(p.options ?? []).includes(String(shown)) && <option value={String(shown)}>{String(shown)} (not allowed)</option>}
          {(p.options ?? []).map((o) => (
            <option key={o} value={o}>
              {optionWords(o)}
            </option>
          ))}
        </select>
      ) : (
        <input
          id={id}
          type="number"
          inputMode={p.type === "integer" ? "numeric" : "decimal"}
          step={p.type === "integer" ? 1 : "any"}
          min={typeof p.min === "number" && Math.abs(p.min) < BIG ? p.min : undefined}
          max={typeof p.max === "number" && Math.abs(p.max) < BIG ? p.max : undefined}
          value={text}
          aria-describedby={describedBy}
          aria-invalid={diags.length > 0 || undefined}
          onChange={(e) => {
            setText(e.target.value);
            const t = e.target.value.trim();
            if (t === "") return;
            const n = Number(t);
            if (Number.isFinite(n)) onChange(n);
          }}
        />
      )}
      <p id={hintId} className="bb-hint">
        {rangeText(p)}
      </p>
      {diags.length > 0 && (
        <p id={errId} className="bb-field-error">
          {diags.map((d) => d.message).join(" ")}
        </p>
      )}
    </div>
  );
}
