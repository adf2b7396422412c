// A symbol's alerts over time: a line through their trigger prices, a marker per alert (up or
// down arrows for highs, lows and gaps; a circle or square for volume and spreads). A chunk of
// its own (lightweight-charts). Times are the market's, in UTC.
import { useEffect, useRef } from "react";
import {
  createChart,
  createSeriesMarkers,
  LineSeries,
  type SeriesMarker,
  type Time,
  type UTCTimestamp,
} from "lightweight-charts";
import { axisNumber, axisStep } from "../../lib/format";
import { typeTone, typeWords, type Alert } from "../../lib/screener";

const COLORS = { up: "#0a7a3d", down: "#b3261e", info: "#0b5cd5" };

function marker(a: Alert, time: UTCTimestamp, labelled: boolean): SeriesMarker<Time> {
  const tone = typeTone(a.alert_type);
  const shape =
    tone === "up" ? "arrowUp" : tone === "down" ? "arrowDown" : a.alert_type === "spread_blowout" ? "square" : "circle";
  return {
    time,
    position: tone === "down" ? "aboveBar" : "belowBar",
    shape,
    color: COLORS[tone],
    text: labelled ? typeWords(a.alert_type) : undefined,
  };
}

export default function SymbolChart({ alerts, symbol, summary }: { alerts: Alert[]; symbol: string; summary: string }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const still = window.matchMedia?.("(prefers-reduced-motion: reduce)").matches;
    const chart = createChart(el, {
      height: 260,
      autoSize: true,
      layout: {
        background: { color: "#ffffff" },
        textColor: "#14181f",
        fontFamily: "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
        attributionLogo: false,
      },
      grid: { vertLines: { color: "#eef0f3" }, horzLines: { color: "#eef0f3" } },
      rightPriceScale: { borderColor: "#c9ced6" },
      timeScale: { borderColor: "#c9ced6", timeVisible: true, secondsVisible: true, minBarSpacing: 0.01 },
      kineticScroll: { mouse: !still, touch: !still },
      handleScroll: { vertTouchDrag: false },
    });
    const ordered = [...alerts].sort((a, b) => a.trigger_time - b.trigger_time);
    const scale = Math.max(...ordered.map((a) => Math.abs(a.trigger_price)));
    const line = chart.addSeries(LineSeries, {
      color: "#4a5261",
      lineWidth: 2,
      priceLineVisible: false,
      lastValueVisible: false,
      priceFormat: { type: "custom", formatter: (v: number) => axisNumber(v, scale), minMove: axisStep(scale) },
    });
    // One point a second (the chart's finest time); the last price of that second.
    const points: { time: UTCTimestamp; value: number }[] = [];
    const markers: SeriesMarker<Time>[] = [];
    const labelled = ordered.length <= 6;
    for (const a of ordered) {
      const time = Math.floor(a.trigger_time / 1000) as UTCTimestamp;
      const last = points[points.length - 1];
      if (last && last.time === time) last.value = a.trigger_price;
      else points.push({ time, value: a.trigger_price });
      markers.push(marker(a, time, labelled));
    }
    line.setData(points);
    const plugin = createSeriesMarkers(line, markers);
    chart.timeScale().fitContent();
    return () => {
      plugin.detach();
      chart.remove();
    };
  }, [alerts]);
  return (
    <figure className="chart symbol-chart">
      <figcaption>
        <span className="chart-title">
          <strong>{symbol}: alerts at their prices</strong>
        </span>
        <span className="visually-hidden">{summary}</span>
      </figcaption>
      <p className="chart-legend" aria-hidden="true">
        <span style={{ color: COLORS.up }}>▲</span> high or gap up · <span style={{ color: COLORS.down }}>▼</span> low or
        gap down · <span style={{ color: COLORS.info }}>●</span> volume · <span style={{ color: COLORS.info }}>■</span>{" "}
        spread
      </p>
      <div ref={ref} className="chart-canvas" style={{ height: 260 }} aria-hidden="true" />
    </figure>
  );
}
