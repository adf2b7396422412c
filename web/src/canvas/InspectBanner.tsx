// The banner of the inspector on the canvas: which bar of which run the marks on the blocks
// show, earlier and later bars, and a warning when the canvas shows another version than the
// run tested.
import { Link } from "react-router-dom";
import { ErrorMessage } from "../components/Field";
import { dateTime, localTime } from "../lib/format";
import type { InspectBar } from "./useInspectBar";

export function InspectBanner({ bar }: { bar: InspectBar }) {
  if (!bar.active) return null;
  const { run, inspection } = bar;
  const chosen = inspection ? inspection.bars.indexOf(inspection.ts) : -1;
  const other =
    run && bar.sameStrategy && bar.shownVersion !== run.version
      ? bar.shownVersion === null
        ? "your unsaved draft"
        : `version ${bar.shownVersion}`
      : null;
  return (
    <section className="bb-banner inspecting" data-testid="inspect-banner" aria-label="Inspector">
      {bar.at === null ? (
        <p>No bar was given to inspect.</p>
      ) : (
        <p aria-live="polite">
          {inspection ? (
            <>
              Inspecting bar <strong>{dateTime(inspection.ts)}</strong> (UTC)
            </>
          ) : (
            <>Inspecting a bar</>
          )}{" "}
          of{" "}
          {bar.runId && (
            <Link to={`/backtests/${bar.runId}#inspector`}>
              {run ? `the run of ${localTime(run.created_at)} (version ${run.version})` : "the run"}
            </Link>
          )}
          . Each block shows its value on this bar: <span className="bb-mark true">true</span> or{" "}
          <span className="bb-mark false">false</span> for a condition, else the number.
          {bar.loading && " Evaluating every block…"}
        </p>
      )}
      {run && !bar.sameStrategy && (
        <p role="alert">This run tested another strategy, so its values are not shown on these blocks.</p>
      )}
      {other && run && (
        <p role="alert">
          The canvas shows {other}, not version {run.version} that this run tested, so some blocks may not match.{" "}
          <button type="button" onClick={() => bar.viewVersion(run.version)}>
            Show version {run.version}
          </button>
        </p>
      )}
      <ErrorMessage error={bar.error} />
      {inspection && (
        <>
          <button type="button" onClick={() => bar.move(-1)} disabled={chosen <= 0}>
            ← Earlier bar
          </button>
          <button type="button" onClick={() => bar.move(1)} disabled={chosen < 0 || chosen >= inspection.bars.length - 1}>
            Later bar →
          </button>
        </>
      )}
      <button type="button" onClick={bar.close} aria-label="Close the inspector">
        Close
      </button>
    </section>
  );
}
