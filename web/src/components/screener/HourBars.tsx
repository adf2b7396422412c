// Alerts per hour as bars (SVG): every hour of the window with its count, empty ones too,
// unless the hours with alerts are too far apart (then only those). A text summary names the
// busiest hour; each bar's hour and count show on hover.
import { plain } from "../../lib/format";
import type { StatsWindow } from "../../hooks/screener";

const HOUR = 3_600_000;
/** The most hours drawn one bar per hour (a week). */
const MAX_BINS = 168;

interface HourCount {
  hour: number;
  count: number;
}

const hourText = (ms: number) => `${new Date(ms).toISOString().slice(0, 13).replace("T", " ")}:00 UTC`;

/** The hours to draw: the window's every hour, else from the first to the last hour with alerts. */
export function hourBins(byHour: HourCount[], w: StatsWindow, now = Date.now()): HourCount[] {
  if (!byHour.length) return [];
  const counts = new Map(byHour.map((h) => [h.hour, h.count]));
  const last = Math.max(Math.floor(now / HOUR) * HOUR, byHour[byHour.length - 1].hour);
  let from: number;
  let to: number;
  if (w === "day" || w === "week") {
    to = last;
    from = to - ((w === "day" ? 24 : MAX_BINS) - 1) * HOUR;
    from = Math.min(from, byHour[0].hour);
  } else {
    from = byHour[0].hour;
    to = byHour[byHour.length - 1].hour;
  }
  if ((to - from) / HOUR + 1 > MAX_BINS) return byHour;
  const out: HourCount[] = [];
  for (let t = from; t <= to; t += HOUR) out.push({ hour: t, count: counts.get(t) ?? 0 });
  return out;
}

export function HourBars({ byHour, window: w }: { byHour: HourCount[]; window: StatsWindow }) {
  const bins = hourBins(byHour, w);
  if (!bins.length) return null;
  const max = Math.max(1, ...bins.map((b) => b.count));
  const busiest = bins.reduce((a, b) => (b.count > a.count ? b : a), bins[0]);
  const total = bins.reduce((n, b) => n + b.count, 0);
  const width = bins.length * 10;
  const summary = `${plain(total)} ${total === 1 ? "alert" : "alerts"} over ${bins.length} ${
    bins.length === 1 ? "hour" : "hours"
  } drawn; the busiest hour was ${hourText(busiest.hour)} with ${plain(busiest.count)}.`;
  return (
    <figure className="hour-bars">
      <figcaption>
        <strong>Alerts per hour</strong>
        <span className="chart-summary">{summary}</span>
      </figcaption>
      <div className="hour-bars-plot">
        <span className="hour-bars-max" aria-hidden="true">
          {plain(max)}
        </span>
        <svg viewBox={`0 0 ${width} 100`} preserveAspectRatio="none" role="img" aria-label={summary}>
          <line x1="0" y1="100" x2={width} y2="100" className="hour-bars-axis" />
          {bins.map((b, i) => {
            const h = (b.count / max) * 96;
            return (
              <rect key={b.hour} x={i * 10 + 1} y={100 - h} width={8} height={h} className="hour-bar">
                <title>{`${hourText(b.hour)}: ${plain(b.count)} ${b.count === 1 ? "alert" : "alerts"}`}</title>
              </rect>
            );
          })}
        </svg>
      </div>
      <p className="hour-bars-range meta" aria-hidden="true">
        <span>{hourText(bins[0].hour)}</span>
        {bins.length > 1 && <span>{hourText(bins[bins.length - 1].hour)}</span>}
      </p>
    </figure>
  );
}
