// Charts on lightweight-charts (loaded only by the pages that draw them). Each chart is a
// figure with a caption and a text summary for screen readers; the canvas itself is hidden
// from assistive technology.
import { useEffect, useRef } from "react";
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
  type SeriesMarker,
  type Time,
  type UTCTimestamp,
} from "lightweight-charts";
import type { CandleColumns, EquityPoint, Trade } from "../api/types";

const sec = (ms: number) => Math.floor(ms / 1000) as UTCTimestamp;

function reducedMotion() {
  return typeof window !== "undefined" && window.matchMedia?.("(prefers-reduced-motion: reduce)").matches;
}

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
    timeScale: { borderColor: "#c9ced6", timeVisible: false },
    kineticScroll: { mouse: !still, touch: !still },
    handleScroll: { vertTouchDrag: false },
  };
}

/** Creates a chart in a div and removes it on unmount. */
function useChart(height: number, draw: (chart: IChartApi) => void | (() => void), deps: unknown[]) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!ref.current) return;
    const chart = createChart(ref.current, baseOptions(height));
    const cleanup = draw(chart);
    chart.timeScale().fitContent();
    return () => {
      cleanup?.();
      chart.remove();
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);
  return ref;
}

/** A logarithmic price axis when values span more than 20×, so early moves stay visible. */
function logIfWide(chart: IChartApi, values: number[]) {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (lo > 0 && hi / lo > 20) chart.priceScale("right").applyOptions({ mode: PriceScaleMode.Logarithmic });
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
  summary: string;
  height?: number;
  children?: React.ReactNode;
}

function ChartFigure({ title, summary, chartRef, height, children }: FigureProps & { chartRef: React.Ref<HTMLDivElement> }) {
  return (
    <figure className="chart">
      <figcaption>
        <strong>{title}</strong>
        <span className="chart-summary">{summary}</span>
      </figcaption>
      {children}
      <div ref={chartRef} className="chart-canvas" style={{ height }} aria-hidden="true" />
    </figure>
  );
}

export function EquityChart({ points, initial, summary }: { points: EquityPoint[]; initial: number; summary: string }) {
  const ref = useChart(
    280,
    (chart) => {
      const s = chart.addSeries(AreaSeries, {
        lineColor: "#0b5cd5",
        topColor: "rgba(11, 92, 213, 0.25)",
        bottomColor: "rgba(11, 92, 213, 0.02)",
        lineWidth: 2,
        priceLineVisible: false,
      });
      s.setData(strictlyIncreasing(points.map((p) => ({ time: sec(p.ts), value: p.equity }))));
      logIfWide(chart, points.map((p) => p.equity));
      timesIfIntraday(chart, points.map((p) => p.ts));
      s.createPriceLine({ price: initial, color: "#4a5261", lineWidth: 1, lineStyle: 2, title: "Start" });
    },
    [points, initial],
  );
  return <ChartFigure title="Account value" summary={summary} chartRef={ref} height={280} />;
}

export function DrawdownChart({ points, summary }: { points: EquityPoint[]; summary: string }) {
  const ref = useChart(
    180,
    (chart) => {
      const s = chart.addSeries(AreaSeries, {
        lineColor: "#b3261e",
        topColor: "rgba(179, 38, 30, 0.02)",
        bottomColor: "rgba(179, 38, 30, 0.3)",
        invertFilledArea: true,
        lineWidth: 1,
        priceLineVisible: false,
        priceFormat: { type: "custom", formatter: (v: number) => `${v.toFixed(1)}%` },
      });
      s.setData(strictlyIncreasing(points.map((p) => ({ time: sec(p.ts), value: p.drawdown_pct }))));
      timesIfIntraday(chart, points.map((p) => p.ts));
    },
    [points],
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

export function CandleChart({ candles, trades, summary }: { candles: CandleColumns; trades: Trade[]; summary: string }) {
  const ref = useChart(
    360,
    (chart) => {
      const s = chart.addSeries(CandlestickSeries, {
        upColor: "#0a7a3d",
        downColor: "#b3261e",
        borderVisible: false,
        wickUpColor: "#0a7a3d",
        wickDownColor: "#b3261e",
        priceLineVisible: false,
      });
      s.setData(
        strictlyIncreasing(
          candles.t.map((t, i) => ({ time: sec(t), open: candles.o[i], high: candles.h[i], low: candles.l[i], close: candles.c[i] })),
        ),
      );
      if (!candles.t.length) return;
      logIfWide(chart, [...candles.l, ...candles.h]);
      timesIfIntraday(chart, candles.t);
      const labelled = trades.length <= 20;
      const markers: SeriesMarker<Time>[] = [];
      for (const tr of trades) {
        const long = tr.side !== "short";
        markers.push({
          time: sec(candles.t[bucketAt(candles.t, tr.entry_ts)]),
          position: long ? "belowBar" : "aboveBar",
          shape: long ? "arrowUp" : "arrowDown",
          color: "#0b5cd5",
          text: labelled ? (long ? "Buy" : "Short") : undefined,
        });
        markers.push({
          time: sec(candles.t[bucketAt(candles.t, tr.exit_ts)]),
          position: long ? "aboveBar" : "belowBar",
          shape: long ? "arrowDown" : "arrowUp",
          color: tr.pnl >= 0 ? "#0a7a3d" : "#b3261e",
          text: labelled ? "Exit" : undefined,
        });
      }
      markers.sort((a, b) => (a.time as number) - (b.time as number));
      const plugin = createSeriesMarkers(s, markers);
      return () => plugin.detach();
    },
    [candles, trades],
  );
  return (
    <ChartFigure title="Price with entries and exits" summary={summary} chartRef={ref} height={360}>
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
        exit with a loss
      </p>
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
  const ref = useChart(
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
          priceFormat: { type: "custom", formatter: (v: number) => `${v.toFixed(0)}%` },
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
