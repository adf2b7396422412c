// The publish checklist: each machine gate with a mark and a word (never colour alone) and what
// it found, in a sentence.
import type { Gate } from "../../api/types";
import { gateRequired } from "../../lib/cohorts";
import { gateWords } from "../../lib/templates";

/** With `audience`, each gate also says whether that audience requires it. */
export function GateList({ gates, label, audience }: { gates: Gate[]; label: string; audience?: "public" | "cohort" }) {
  return (
    <ul className="gate-list" aria-label={label}>
      {gates.map((g) => (
        <li key={g.gate} className={g.passed ? "gate gate-pass" : "gate gate-fail"}>
          <span className={`pill level ${g.passed ? "level-pass" : "level-fail"}`}>
            <span aria-hidden="true">{g.passed ? "✓" : "✗"} </span>
            {g.passed ? "Passed" : "Failed"}
          </span>{" "}
          <strong>{gateWords(g.gate)}</strong>
          {audience && (
            <span className="gate-required meta">
              {gateRequired(g.gate, audience) ? "Required" : "Not required for a cohort (shown for information)"}
            </span>
          )}
          <p className="gate-detail">{g.detail}</p>
        </li>
      ))}
    </ul>
  );
}
