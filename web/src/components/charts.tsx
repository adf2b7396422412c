// Charts on lightweight-charts (loaded only by the pages that draw them). Each chart is a
// figure with a caption and a text summary for screen readers; the canvas itself is hidden
// from assistive technology.
import { useEffect, useRef, useState } from "react";
import {
  AreaSeries,
  CandlestickSeries,
  createChart,
  createSeriesMarkers,
  LineSeries,
  PriceScaleMode,
  type DeepPartial,
  type ChartOptions,
  type IChartApi,
  type ISeriesApi,
  type MouseEventParams,
  type SeriesMarker,
  type SeriesType,
  type Time,
  type UTCTimestamp,
} from "lightweight-charts";
import type { CandleColumns, EquityPoint, Trade } from "../api/types";
import { axisNumber, axisStep, dateTime, exitReasonWords, money, pct, plain, price } from "../lib/format";

const sec = (ms: number) => Math.floor(ms / 1000) as UTCTimestamp;

function reducedMotion() {
  return typeof window !== "undefined" && window.matchMedia?.("(prefers-reduced-motion: reduce)").matches;
}

/** The typical magnitude of a series, for the axis's decimals. */
function magnitude(values: number[]): number {
  let hi = 0;
  for (const v of values) if (Number.isFinite(v) && Math.abs(v) > hi) hi = Math.abs(v);
  return hi;
}

/** A price format for a series around `scale`: thousands separators, and significant digits
 * for small prices. */
function priceFormatFor(scale: number) {
  return { type: "custom" as const, formatter: (v: number) => axisNumber(v, scale), minMove: axisStep(scale) };
}

const pctFormat = (digits: number) => ({
  type: "custom" as const,
  formatter: (v: number) => pct(v, digits, false),
  minMove: 0.1,
});

function baseOptions(height: number): DeepPartial<ChartOptions> {
  const still = reducedMotion();
  return {
    height,
    autoSize: true,
    layout: {
      background: { color: "#ffffff" },
      textColor: "#14181f",
      fontFamily: "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
      attributionLogo: false,
    },
    grid: { vertLines: { color: "#eef0f3" }, horzLines: { color: "#eef0f3" } },
    rightPriceScale: { borderColor: "#c9ced6" },
    // Small enough that the whole test fits a phone-wide chart.
    timeScale: { borderColor: "#c9ced6", timeVisible: false, minBarSpacing: 0.01 },
    kineticScroll: { mouse: !still, touch: !still },
    handleScroll: { vertTouchDrag: false },
  };
}

// --- Synced charts ---------------------------------------------------------------------

interface SyncMember {
  chart: IChartApi;
  series: ISeriesApi<SeriesType>;
  times: number[];
  values: number[];
  /** Updates the chart's own hover line when another chart moves the crosshair. */
  show?(time: number | null): void;
}

/** Keeps charts on one time window with one crosshair: the chart the user last touched leads,
 * the others follow. */
export class ChartSync {
  private members: SyncMember[] = [];
  private leader: IChartApi | null = null;

  add(member: SyncMember, el: HTMLElement): () => void {
    this.members.push(member);
    const { chart } = member;
    const lead = () => (this.leader = chart);
    const events = ["pointerdown", "pointermove", "wheel", "touchstart"] as const;
    for (const e of events) el.addEventListener(e, lead, { passive: true });
    const onRange = () => {
      if (this.leader !== chart) return;
      const range = chart.timeScale().getVisibleRange();
      if (!range) return;
      for (const m of this.members) if (m !== member) m.chart.timeScale().setVisibleRange(range);
    };
    const onMove = (p: MouseEventParams<Time>) => {
      if (this.leader !== chart) return;
      for (const m of this.members) {
        if (m === member) continue;
        if (p.time === undefined || !m.times.length) {
          m.chart.clearCrosshairPosition();
          m.show?.(null);
          continue;
        }
        const i = bucketAt(m.times, Number(p.time));
        m.chart.setCrosshairPosition(m.values[i], m.times[i] as UTCTimestamp, m.series);
        m.show?.(m.times[i]);
      }
    };
    chart.timeScale().subscribeVisibleTimeRangeChange(onRange);
    chart.subscribeCrosshairMove(onMove);
    return () => {
      chart.timeScale().unsubscribeVisibleTimeRangeChange(onRange);
      chart.unsubscribeCrosshairMove(onMove);
      for (const e of events) el.removeEventListener(e, lead);
      this.members = this.members.filter((m) => m !== member);
      if (this.leader === chart) this.leader = null;
    };
  }
}

/** Creates a chart in a div and removes it on unmount; `chart` is the live instance. */
function useChart(height: number, draw: (chart: IChartApi, el: HTMLDivElement) => void | (() => void), deps: unknown[]) {
  const ref = useRef<HTMLDivElement>(null);
  const [chart, setChart] = useState<IChartApi | null>(null);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const c = createChart(el, baseOptions(height));
    c.timeScale().fitContent();
    const cleanup = draw(c, el);
    setChart(c);
    // A new width (a phone turned, a window resized) shows the whole test again, so every
    // chart keeps the same time window.
    let width = el.clientWidth;
    let live = true;
    const resized = new ResizeObserver(() => {
      if (el.clientWidth === width) return;
      width = el.clientWidth;
      requestAnimationFrame(() => live && c.timeScale().fitContent());
    });
    resized.observe(el);
    return () => {
      live = false;
      resized.disconnect();
      cleanup?.();
      setChart(null);
      c.remove();
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);
  return { ref, chart };
}

/** Whether values span more than 20×, so a logarithmic axis keeps early moves visible. */
function isWide(values: number[]): boolean {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return lo > 0 && hi / lo > 20;
}

/** The "Log scale" switch of a chart: starts on when the values span more than 20×. */
function useLogScale(chart: IChartApi | null, values: () => number[], deps: unknown[]) {
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const wide = useState(() => isWide(values()))[0];
  const [log, setLog] = useState(wide);
  useEffect(() => {
    chart?.priceScale("right").applyOptions({ mode: log ? PriceScaleMode.Logarithmic : PriceScaleMode.Normal });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [chart, log, ...deps]);
  return { log, setLog };
}

/** Times of day on the axis when points are less than a day apart. */
function timesIfIntraday(chart: IChartApi, ms: number[]) {
  if (ms.length > 1 && ms[1] - ms[0] < 86_400_000) chart.applyOptions({ timeScale: { timeVisible: true } });
}

function strictlyIncreasing<T extends { time: UTCTimestamp }>(rows: T[]): T[] {
  const out: T[] = [];
  for (const r of rows) {
    if (out.length && r.time <= out[out.length - 1].time) out[out.length - 1] = r;
    else out.push(r);
  }
  return out;
}

interface FigureProps {
  title: string;
  /** The unit of the values, after the title ("in USD"). */
  unit?: string;
  summary: string;
  height?: number;
  children?: React.ReactNode;
  log?: { on: boolean; set(on: boolean): void };
  hoverRef?: React.Ref<HTMLParagraphElement>;
}

function ChartFigure({
  title,
  summary,
  chartRef,
  height,
  children,
  log,
  hoverRef,
  unit,
}: FigureProps & { chartRef: React.Ref<HTMLDivElement> }) {
  return (
    <figure className="chart">
      <figcaption>
        <span className="chart-title">
          <span>
            <strong>{title}</strong>
            {unit && <span className="chart-unit"> in {unit}</span>}
          </span>
          {log && (
            <label className="log-toggle">
              <input type="checkbox" checked={log.on} onChange={(e) => log.set(e.target.checked)} /> Log scale
            </label>
          )}
        </span>
        <span className="chart-summary">{summary}</span>
      </figcaption>
      {children}
      {hoverRef && <p className="chart-hover" ref={hoverRef} aria-hidden="true" />}
      <div ref={chartRef} className="chart-canvas" style={{ height }} aria-hidden="true" />
    </figure>
  );
}

export interface HoldPoint {
  ts: number;
  value: number;
}

/** Buy and hold over the same window: `initial` × close / first close, from the candles. */
export function buyAndHold(candles: CandleColumns, initial: number, fromMs: number, toMs: number): HoldPoint[] {
  const out: HoldPoint[] = [];
  let first: number | null = null;
  candles.t.forEach((t, i) => {
    if (t < fromMs || t > toMs) return;
    const c = candles.c[i];
    if (!Number.isFinite(c) || c <= 0) return;
    first ??= c;
    out.push({ ts: t, value: (initial * c) / first });
  });
  return out;
}

export function EquityChart({
  points,
  initial,
  summary,
  hold,
  unit,
  sync,
}: {
  points: EquityPoint[];
  initial: number;
  summary: string;
  hold?: HoldPoint[];
  unit?: string;
  sync?: ChartSync;
}) {
  const hoverRef = useRef<HTMLParagraphElement>(null);
  const { ref, chart } = useChart(
    280,
    (chart, el) => {
      const values = points.map((p) => p.equity);
      const scale = magnitude([...values, ...(hold ?? []).map((h) => h.value)]);
      const s = chart.addSeries(AreaSeries, {
        lineColor: "#0b5cd5",
        topColor: "rgba(11, 92, 213, 0.25)",
        bottomColor: "rgba(11, 92, 213, 0.02)",
        lineWidth: 2,
        priceLineVisible: false,
        lastValueVisible: false,
        priceFormat: priceFormatFor(scale),
      });
      const rows = strictlyIncreasing(points.map((p) => ({ time: sec(p.ts), value: p.equity })));
      s.setData(rows);
      let holdSeries: ISeriesApi<"Line"> | null = null;
      if (hold?.length) {
        holdSeries = chart.addSeries(LineSeries, {
          color: "#4a5261",
          lineWidth: 1,
          lineStyle: 2,
          priceLineVisible: false,
          lastValueVisible: false,
          crosshairMarkerVisible: false,
          priceFormat: priceFormatFor(scale),
        });
        holdSeries.setData(strictlyIncreasing(hold.map((h) => ({ time: sec(h.ts), value: h.value }))));
      }
      timesIfIntraday(chart, points.map((p) => p.ts));
      s.createPriceLine({ price: initial, color: "#9aa1ad", lineWidth: 1, lineStyle: 1, axisLabelVisible: false, title: "" });
      chart.timeScale().fitContent();
      const byTime = new Map<number, number>(rows.map((r) => [r.time, r.value]));
      const holdAt = new Map<number, number>((hold ?? []).map((h) => [sec(h.ts), h.value]));
      const show = (t: number | null) => {
        const el2 = hoverRef.current;
        if (!el2) return;
        const v = t === null ? undefined : byTime.get(t);
        if (t === null || v === undefined) {
          el2.textContent = "";
          return;
        }
        const h = holdAt.get(t);
        el2.textContent = `${dateTime(t * 1000)} · account ${money(v, unit)}${
          h !== undefined ? ` · buy and hold ${money(h, unit)}` : ""
        }`;
      };
      const onMove = (p: MouseEventParams<Time>) => show(p.time === undefined ? null : Number(p.time));
      chart.subscribeCrosshairMove(onMove);
      const leave = sync?.add(
        { chart, series: s, times: rows.map((r) => r.time), values: rows.map((r) => r.value), show },
        el,
      );
      return () => {
        chart.unsubscribeCrosshairMove(onMove);
        leave?.();
      };
    },
    [points, initial, hold, unit, sync],
  );
  const { log, setLog } = useLogScale(chart, () => points.map((p) => p.equity), []);
  return (
    <ChartFigure
      title="Account value"
      unit={unit}
      summary={summary}
      chartRef={ref}
      height={280}
      log={{ on: log, set: setLog }}
      hoverRef={hoverRef}
    >
      <p className="chart-legend" aria-hidden="true">
        <span className="swatch-line" style={{ borderTop: "3px solid #0b5cd5" }} /> this strategy
        {hold?.length ? (
          <>
            {" "}
            · <span className="swatch-line" style={{ borderTop: "2px dashed #4a5261" }} /> buy and hold
          </>
        ) : null}{" "}
        · <span className="swatch-line" style={{ borderTop: "1px dotted #9aa1ad" }} /> starting money
      </p>
    </ChartFigure>
  );
}

/**
 * An account value that grows while it is watched (a paper run): the chart is made once and
 * its line replaced when new points arrive; it keeps showing every point until the user
 * scrolls or zooms it, then keeps their window.
 */
export function LiveEquityChart({
  ts,
  equity,
  initial,
  summary,
  unit,
}: {
  ts: number[];
  equity: number[];
  initial: number;
  summary: string;
  unit?: string;
}) {
  const hoverRef = useRef<HTMLParagraphElement>(null);
  const seriesRef = useRef<ISeriesApi<"Area"> | null>(null);
  const byTime = useRef(new Map<number, number>());
  const moved = useRef(false);
  const { ref, chart } = useChart(
    280,
    (chart, el) => {
      const s = chart.addSeries(AreaSeries, {
        lineColor: "#0b5cd5",
        topColor: "rgba(11, 92, 213, 0.25)",
        bottomColor: "rgba(11, 92, 213, 0.02)",
        lineWidth: 2,
        priceLineVisible: false,
        lastValueVisible: true,
        priceFormat: priceFormatFor(initial),
      });
      s.createPriceLine({ price: initial, color: "#9aa1ad", lineWidth: 1, lineStyle: 1, axisLabelVisible: false, title: "" });
      seriesRef.current = s;
      const show = (t: number | null) => {
        const out = hoverRef.current;
        if (!out) return;
        const v = t === null ? undefined : byTime.current.get(t);
        out.textContent = t === null || v === undefined ? "" : `${dateTime(t * 1000)} · account ${money(v, unit)}`;
      };
      const onMove = (p: MouseEventParams<Time>) => show(p.time === undefined ? null : Number(p.time));
      chart.subscribeCrosshairMove(onMove);
      const touched = () => (moved.current = true);
      el.addEventListener("wheel", touched, { passive: true });
      el.addEventListener("pointerdown", touched, { passive: true });
      return () => {
        chart.unsubscribeCrosshairMove(onMove);
        el.removeEventListener("wheel", touched);
        el.removeEventListener("pointerdown", touched);
        seriesRef.current = null;
      };
    },
    [initial, unit],
  );
  useEffect(() => {
    const s = seriesRef.current;
    if (!chart || !s) return;
    const rows = strictlyIncreasing(
      ts.flatMap((t, i) => (Number.isFinite(equity[i]) ? [{ time: sec(t), value: equity[i] }] : [])),
    );
    s.setData(rows);
    byTime.current = new Map(rows.map((r) => [r.time, r.value]));
    timesIfIntraday(chart, ts);
    if (!moved.current) chart.timeScale().fitContent();
  }, [chart, ts, equity]);
  return (
    <ChartFigure title="Account value" unit={unit} summary={summary} chartRef={ref} height={280} hoverRef={hoverRef}>
      <p className="chart-legend" aria-hidden="true">
        <span className="swatch-line" style={{ borderTop: "3px solid #0b5cd5" }} /> this paper run ·{" "}
        <span className="swatch-line" style={{ borderTop: "1px dotted #9aa1ad" }} /> starting money
      </p>
    </ChartFigure>
  );
}

export function DrawdownChart({ points, summary, sync }: { points: EquityPoint[]; summary: string; sync?: ChartSync }) {
  const { ref } = useChart(
    180,
    (chart, el) => {
      const s = chart.addSeries(AreaSeries, {
        lineColor: "#b3261e",
        topColor: "rgba(179, 38, 30, 0.02)",
        bottomColor: "rgba(179, 38, 30, 0.3)",
        invertFilledArea: true,
        lineWidth: 1,
        priceLineVisible: false,
        lastValueVisible: false,
        priceFormat: pctFormat(1),
      });
      const rows = strictlyIncreasing(points.map((p) => ({ time: sec(p.ts), value: p.drawdown_pct })));
      s.setData(rows);
      timesIfIntraday(chart, points.map((p) => p.ts));
      chart.timeScale().fitContent();
      return sync?.add({ chart, series: s, times: rows.map((r) => r.time), values: rows.map((r) => r.value) }, el);
    },
    [points, sync],
  );
  return <ChartFigure title="Drop from the highest point so far (drawdown)" summary={summary} chartRef={ref} height={180} />;
}

/** Index of the last point whose time is at or before `ts` (points are bucket starts). */
function bucketAt(t: number[], ts: number): number {
  let lo = 0;
  let hi = t.length - 1;
  if (ts <= t[0]) return 0;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (t[mid] <= ts) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

function tradeWords(tr: Trade, at: "entry" | "exit", unit?: string): string {
  const side = tr.side === "short" ? "Short" : "Buy";
  if (at === "entry") return `${side} at ${price(tr.entry_price, unit)}`;
  return `Exit at ${price(tr.exit_price, unit)} (${exitReasonWords(tr.exit_reason)}), ${pct(tr.pnl_pct, 2)}, ${money(tr.pnl, unit)}`;
}

/** A run of missing candles: the open times of the bars around it and how many are missing. */
export interface ChartGap {
  before: number;
  after: number;
  missing: number;
}

const NO_GAPS: ChartGap[] = [];

export function CandleChart({
  candles,
  trades,
  summary,
  unit,
  sync,
  gaps = NO_GAPS,
  title = "Price with entries and exits",
  legend,
  onPickBar,
}: {
  candles: CandleColumns;
  trades: Trade[];
  summary: string;
  unit?: string;
  sync?: ChartSync;
  /** Marked on the bar before each gap (the data page). */
  gaps?: ChartGap[];
  title?: string;
  /** Replaces the entries-and-exits legend. */
  legend?: React.ReactNode;
  /** Called with a bar's open time (Unix ms) when it is clicked. */
  onPickBar?: (ms: number) => void;
}) {
  const hoverRef = useRef<HTMLParagraphElement>(null);
  // Kept in a ref, so a new callback does not redraw the chart.
  const pickRef = useRef(onPickBar);
  pickRef.current = onPickBar;
  const { ref, chart } = useChart(
    360,
    (chart, el) => {
      const scale = magnitude(candles.h);
      const s = chart.addSeries(CandlestickSeries, {
        upColor: "#0a7a3d",
        downColor: "#b3261e",
        borderVisible: false,
        wickUpColor: "#0a7a3d",
        wickDownColor: "#b3261e",
        priceLineVisible: false,
        lastValueVisible: false,
        priceFormat: priceFormatFor(scale),
      });
      const rows = strictlyIncreasing(
        candles.t.map((t, i) => ({ time: sec(t), open: candles.o[i], high: candles.h[i], low: candles.l[i], close: candles.c[i] })),
      );
      s.setData(rows);
      if (!candles.t.length) return;
      timesIfIntraday(chart, candles.t);
      chart.timeScale().fitContent();
      const labelled = trades.length <= 20;
      const markers: SeriesMarker<Time>[] = [];
      const byTime = new Map<number, string[]>();
      const note = (t: number, text: string) => byTime.set(t, [...(byTime.get(t) ?? []), text]);
      for (const tr of trades) {
        const long = tr.side !== "short";
        const entry = sec(candles.t[bucketAt(candles.t, tr.entry_ts)]);
        const exit = sec(candles.t[bucketAt(candles.t, tr.exit_ts)]);
        note(entry, tradeWords(tr, "entry", unit));
        note(exit, tradeWords(tr, "exit", unit));
        markers.push({
          time: entry,
          position: long ? "belowBar" : "aboveBar",
          shape: long ? "arrowUp" : "arrowDown",
          color: "#0b5cd5",
          text: labelled ? (long ? "Buy" : "Short") : undefined,
        });
        markers.push({
          time: exit,
          position: long ? "aboveBar" : "belowBar",
          shape: long ? "arrowDown" : "arrowUp",
          color: tr.pnl >= 0 ? "#0a7a3d" : "#b3261e",
          text: labelled ? "Exit" : undefined,
        });
      }
      for (const g of gaps) {
        const at = sec(candles.t[bucketAt(candles.t, g.before)]);
        note(at, `${plain(g.missing)} candles missing until ${dateTime(g.after)}`);
        markers.push({ time: at, position: "aboveBar", shape: "square", color: "#9a5200", text: gaps.length <= 20 ? "Gap" : undefined });
      }
      markers.sort((a, b) => (a.time as number) - (b.time as number));
      const plugin = createSeriesMarkers(s, markers);
      const ohlc = (time: number, o: number, h: number, l: number, c: number) =>
        `${dateTime(time * 1000)} · O ${price(o)} H ${price(h)} L ${price(l)} C ${price(c)}${unit ? ` ${unit}` : ""}`;
      const last = rows[rows.length - 1];
      const idle = last ? ohlc(last.time, last.open, last.high, last.low, last.close) : "";
      if (hoverRef.current) hoverRef.current.textContent = idle;
      const barAt = new Map(rows.map((r) => [Number(r.time), r]));
      const show = (t: number | null) => {
        const el2 = hoverRef.current;
        if (!el2) return;
        const bar = t === null ? undefined : barAt.get(t);
        if (t === null || !bar) {
          el2.textContent = idle;
          return;
        }
        const notes = byTime.get(t);
        el2.textContent = `${ohlc(t, bar.open, bar.high, bar.low, bar.close)}${notes ? ` · ${notes.join(" · ")}` : ""}`;
      };
      const onMove = (p: MouseEventParams<Time>) => show(p.time === undefined ? null : Number(p.time));
      chart.subscribeCrosshairMove(onMove);
      const onClick = (p: MouseEventParams<Time>) => {
        if (p.time !== undefined && barAt.has(Number(p.time))) pickRef.current?.(Number(p.time) * 1000);
      };
      chart.subscribeClick(onClick);
      const leave = sync?.add(
        { chart, series: s, times: rows.map((r) => r.time), values: rows.map((r) => r.close), show },
        el,
      );
      return () => {
        chart.unsubscribeClick(onClick);
        chart.unsubscribeCrosshairMove(onMove);
        leave?.();
        plugin.detach();
      };
    },
    [candles, trades, unit, sync, gaps],
  );
  const { log, setLog } = useLogScale(chart, () => [...candles.l, ...candles.h], []);
  return (
    <ChartFigure
      title={title}
      unit={unit}
      summary={summary}
      chartRef={ref}
      height={360}
      log={{ on: log, set: setLog }}
      hoverRef={hoverRef}
    >
      {legend ?? (
      <p className="chart-legend" aria-hidden="true">
        <span className="swatch" style={{ color: "#0b5cd5" }}>
          ▲
        </span>{" "}
        entry ·{" "}
        <span className="swatch" style={{ color: "#0a7a3d" }}>
          ▼
        </span>{" "}
        exit with a gain ·{" "}
        <span className="swatch" style={{ color: "#b3261e" }}>
          ▼
        </span>{" "}
        exit with a loss · point at a candle for its prices and trades
      </p>
      )}
    </ChartFigure>
  );
}

export const SERIES_COLORS = ["#0b5cd5", "#b3261e", "#0a7a3d", "#7a3db3", "#9a5200"];
// Solid, dashed, dotted… so the lines differ without colour too.
const LINE_STYLES = [0, 2, 1, 3, 4] as const;
const CSS_STYLES = ["solid", "dashed", "dotted", "dashed", "dotted"];

export function CompareChart({
  ts,
  series,
  summary,
}: {
  ts: number[];
  series: { label: string; values: (number | null)[] }[];
  summary: string;
}) {
  const { ref } = useChart(
    320,
    (chart) => {
      timesIfIntraday(chart, ts);
      series.forEach((sr, i) => {
        const s = chart.addSeries(LineSeries, {
          color: SERIES_COLORS[i % SERIES_COLORS.length],
          lineWidth: 2,
          lineStyle: LINE_STYLES[i % LINE_STYLES.length],
          priceLineVisible: false,
          title: `${i + 1}`,
          lastValueVisible: false,
          priceFormat: { type: "custom", formatter: (v: number) => pct(v, 0, false), minMove: 1 },
        });
        s.setData(
          strictlyIncreasing(
            ts.map((t, j) => {
              const value = sr.values[j];
              return value === null ? { time: sec(t) } : { time: sec(t), value };
            }),
          ) as { time: UTCTimestamp; value: number }[],
        );
      });
      chart.timeScale().fitContent();
    },
    [ts, series],
  );
  return (
    <ChartFigure title="Account value, % of the starting money" summary={summary} chartRef={ref} height={320}>
      <ul className="chart-legend legend-list">
        {series.map((s, i) => (
          <li key={i}>
            <span
              className="swatch-line"
              style={{ borderTop: `3px ${CSS_STYLES[i % CSS_STYLES.length]} ${SERIES_COLORS[i % SERIES_COLORS.length]}` }}
              aria-hidden="true"
            />{" "}
            {i + 1}. {s.label}
          </li>
        ))}
      </ul>
    </ChartFigure>
  );
}

export function ChartsCredit() {
  return (
    <p className="meta credit">
      Charts drawn with{" "}
      <a href="https://www.tradingview.com/" rel="noopener noreferrer" target="_blank">
        TradingView Lightweight Charts
      </a>
      .
    </p>
  );
}
