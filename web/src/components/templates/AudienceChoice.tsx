// Who a template is for: the public gallery (a reviewer checks it first) or one of the cohorts
// the caller teaches (its members see it at once).
import { useId } from "react";
import type { Cohort } from "../../api/types";

interface Props {
  cohorts: Cohort[];
  value: string;
  error?: string;
  onChange(value: string): void;
}

export function AudienceChoice({ cohorts, value, error, onChange }: Props) {
  const uid = useId();
  const errorId = error ? `${uid}-error` : undefined;
  return (
    <fieldset className={`audience${error ? " field-invalid" : ""}`} aria-describedby={errorId}>
      <legend className="field-label-static">Audience</legend>
      <div className="radio">
        <input type="radio" id={`${uid}-public`} name={`${uid}-audience`} checked={value === "public"} onChange={() => onChange("public")} />
        <label htmlFor={`${uid}-public`}>
          <strong>Public gallery (reviewed)</strong>: a reviewer checks the template and its evidence before anyone else
          can see it.
        </label>
      </div>
      {cohorts.map((c) => (
        <div className="radio" key={c.id}>
          <input type="radio" id={`${uid}-${c.id}`} name={`${uid}-audience`} checked={value === c.id} onChange={() => onChange(c.id)} />
          <label htmlFor={`${uid}-${c.id}`}>
            <strong>Cohort: {c.name}</strong>: published to its members at once, no review; it needs a backtest with
            costs and the disclosure.
          </label>
        </div>
      ))}
      {cohorts.length === 0 && <p className="help">Cohorts you teach would be listed here too (Educator plan).</p>}
      {error && (
        <p className="field-error" id={errorId}>
          {error}
        </p>
      )}
    </fieldset>
  );
}
