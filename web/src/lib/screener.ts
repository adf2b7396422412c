// The screener's words: alert types, what made an alert fire, market times (UTC, the feed's
// own clock: a replay of 2024 data has 2024 times) and the symbols a screen watches.
import type { Schemas } from "../api/client";
import { isObject, parseJson } from "./json";
import { num, plain, price } from "./format";

export type Alert = Schemas["AlertView"];
export type AlertType = Schemas["AlertType"];
export type Screen = Schemas["ScreenView"];
export type ScreenRequest = Schemas["ScreenRequest"];
export type Signal = Schemas["Signal"];
export type FeedHealth = Schemas["FeedHealth"];
export type FeedGap = Schemas["Gap"];

export const ALERT_TYPES: AlertType[] = [
  "gap_up",
  "gap_down",
  "volume_spike",
  "new_high",
  "new_low",
  "spread_blowout",
  "block_screen",
];

/** The built-in screens (a screen names these; a block screen is a strategy instead). */
export const BUILT_IN_TYPES: AlertType[] = ALERT_TYPES.filter((t) => t !== "block_screen");

const TYPE_WORDS: Record<AlertType, string> = {
  gap_up: "Gap up",
  gap_down: "Gap down",
  volume_spike: "Volume spike",
  new_high: "New high",
  new_low: "New low",
  spread_blowout: "Spread blow-out",
  block_screen: "Block screen",
};

export function typeWords(t: string): string {
  return isAlertType(t) ? TYPE_WORDS[t] : t.replace(/_/g, " ");
}

export function isAlertType(v: unknown): v is AlertType {
  return typeof v === "string" && (ALERT_TYPES as string[]).includes(v);
}

/** Rising, falling or neither: the colour of a type's pill and chart marker. */
export function typeTone(t: AlertType): "up" | "down" | "info" {
  if (t === "gap_up" || t === "new_high") return "up";
  if (t === "gap_down" || t === "new_low") return "down";
  return "info";
}

export const SIGNAL_WORDS: Record<Signal, string> = {
  enter_long: "A long entry",
  enter_short: "A short entry",
  either: "Either entry",
};

/** A market time in UTC with seconds: 2024-07-01 23:59:49 UTC. */
export function marketTime(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return "–";
  return `${new Date(ms).toISOString().slice(0, 19).replace("T", " ")} UTC`;
}

/** A market time of day in UTC: 12:01 UTC (with the date when it is not today's). */
export function marketClock(ms: number, now = Date.now()): string {
  const iso = new Date(ms).toISOString();
  const sameDay = iso.slice(0, 10) === new Date(now).toISOString().slice(0, 10);
  return `${sameDay ? "" : `${iso.slice(0, 10)} `}${iso.slice(11, 16)} UTC`;
}

/** A percent move with enough digits to tell small moves apart: +0.009%, −1.25%. */
export function movePct(v: number): string {
  const abs = Math.abs(v);
  const digits = abs === 0 ? 2 : abs < 0.1 ? 3 : 2;
  const s = num(Math.abs(v), digits);
  return `${v > 0 ? "+" : v < 0 ? "−" : ""}${s}%`;
}

const times = (v: number) => `${num(v, v >= 10 ? 0 : 1)}×`;

/** What made the alert fire, in a sentence ("8.5× its usual volume (175 against 20.5)"). */
export function conditionWords(a: Alert): string {
  const c = a.conditions;
  switch (a.alert_type) {
    case "gap_up":
    case "gap_down": {
      const dir = a.alert_type === "gap_up" ? "Above" : "Below";
      const prev = c.previous_close != null ? ` of ${price(c.previous_close)}` : "";
      return `${dir} the previous session's close${prev}`;
    }
    case "volume_spike": {
      const m = c.multiple != null ? `${times(c.multiple)} its usual volume` : "Unusual volume";
      const base = c.baseline === "time_of_day" ? " for this time of day" : c.baseline === "recent_bars" ? " of recent minutes" : "";
      const vs = c.volume != null && c.baseline_volume != null ? ` (${plain(c.volume, 2)} against ${plain(c.baseline_volume, 2)})` : "";
      return `${m}${base}${vs}`;
    }
    case "new_high":
      return c.previous_extreme != null ? `Above the session's high of ${price(c.previous_extreme)}` : "A new session high";
    case "new_low":
      return c.previous_extreme != null ? `Below the session's low of ${price(c.previous_extreme)}` : "A new session low";
    case "spread_blowout": {
      const m = c.multiple != null ? `Spread ${times(c.multiple)} its usual` : "An unusually wide spread";
      const bps =
        c.spread_bps != null && c.baseline_spread_bps != null
          ? ` (${num(c.spread_bps, 2)} bps against ${num(c.baseline_spread_bps, 2)})`
          : "";
      return `${m}${bps}`;
    }
    case "block_screen":
      return `${a.mine ? "Your" : "A"} block screen's condition held (strategy version ${a.screen_version})`;
  }
}

/** An `alert` event's data, checked field by field; null when it is not an alert. */
export function alertFromEvent(ev: Event): Alert | null {
  const raw = ev instanceof MessageEvent ? parseJson(ev.data) : null;
  if (!isObject(raw)) return null;
  const { id, symbol, alert_type, trigger_price, trigger_time, conditions, metadata } = raw;
  if (typeof id !== "string" || typeof symbol !== "string" || !isAlertType(alert_type)) return null;
  if (typeof trigger_price !== "number" || typeof trigger_time !== "number") return null;
  if (!isObject(conditions) || !isObject(metadata)) return null;
  return raw as unknown as Alert;
}

/** The symbols typed into a screen: split on commas and spaces, upper-cased, each once. */
export function parseSymbols(text: string): string[] {
  const out: string[] = [];
  for (const s of text.split(/[\s,;]+/)) {
    const u = s.trim().toUpperCase();
    if (u && !out.includes(u)) out.push(u);
  }
  return out;
}

/** "3 trade(s) missing for BTCUSDT at 12:01 UTC (disconnected)". */
export function gapWords(g: FeedGap, now = Date.now()): string {
  const what = g.missing != null ? `${plain(g.missing)} trade(s) missing` : "trades may be missing";
  const who = g.symbol ? ` for ${g.symbol}` : " for every symbol";
  const at = Number.isFinite(g.to) ? ` at ${marketClock(Math.floor(g.to / 1_000_000), now)}` : "";
  return `Feed gap: ${what}${who}${at} (${g.reason})`;
}

export function feedStateWords(state: string): string {
  return ({ running: "running", finished: "finished", failed: "failed" }[state] ?? state);
}
