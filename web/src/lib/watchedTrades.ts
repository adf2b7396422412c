// Trades watched from alerts: their sides and outcomes in words, the levels suggested for a
// new one (1% either side of the entry), and prices as typed into the form.
import type { Schemas } from "../api/client";
import { num, price } from "./format";

export type Trade = Schemas["TradeView"];
export type TradeRequest = Schemas["TradeRequest"];
export type TradeSide = "long" | "short";
export type TradeStatus = "open" | "stopped" | "target" | "cancelled";

/** How many trades an account may watch at once (the server refuses the next with a 409). */
export const MAX_OPEN_TRADES = 20;

/** The distance of the suggested stop loss and take profit from the entry (1%). */
export const SUGGESTED_DISTANCE = 0.01;

export const SIDE_WORDS: Record<TradeSide, string> = { long: "Long", short: "Short" };

const STATUS_WORDS: Record<TradeStatus, string> = {
  open: "Open",
  target: "Target hit",
  stopped: "Stopped out",
  cancelled: "Cancelled",
};

export function isTradeStatus(v: unknown): v is TradeStatus {
  return v === "open" || v === "stopped" || v === "target" || v === "cancelled";
}

export function statusWords(status: string): string {
  return isTradeStatus(status) ? STATUS_WORDS[status] : status;
}

export function sideWords(side: string): string {
  return side === "short" ? SIDE_WORDS.short : side === "long" ? SIDE_WORDS.long : side;
}

/** A price rounded as the app shows it: cents from 100 up, 4 decimals from 1, else 5 significant digits. */
export function roundPrice(v: number): number {
  if (!Number.isFinite(v) || v <= 0) return v;
  if (v >= 100) return Number(v.toFixed(2));
  if (v >= 1) return Number(v.toFixed(4));
  return Number(v.toPrecision(5));
}

/** The suggested stop loss and take profit for `side` from `entry`: 1% away on each side (a
 * long's stop below and target above; a short's the other way round). */
export function suggestLevels(side: TradeSide, entry: number): { stop_loss: number; take_profit: number } | null {
  if (!Number.isFinite(entry) || entry <= 0) return null;
  const below = roundPrice(entry * (1 - SUGGESTED_DISTANCE));
  const above = roundPrice(entry * (1 + SUGGESTED_DISTANCE));
  return side === "long" ? { stop_loss: below, take_profit: above } : { stop_loss: above, take_profit: below };
}

/** A price typed into a field: a positive number, else null. */
export function parsePrice(text: string): number | null {
  const t = text.trim().replace(/,/g, "");
  if (!t) return null;
  const v = Number(t);
  return Number.isFinite(v) && v > 0 ? v : null;
}

/** A return with two decimals and its sign: +0.01%, −0.45%, 0.00%. */
export function returnWords(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return "–";
  const s = num(Math.abs(v), 2);
  const zero = s === num(0, 2);
  return `${!zero && v > 0 ? "+" : !zero && v < 0 ? "−" : ""}${s}%`;
}

/** "ESU4 long from 5,528.75": a trade in a few words (button names, announcements). */
export function tradeName(t: Pick<Trade, "symbol" | "side" | "entry">): string {
  return `${t.symbol} ${sideWords(t.side).toLowerCase()} from ${price(t.entry)}`;
}

/** Open trades first, each group newest first (as the server lists them). */
export function openFirst(trades: Trade[]): Trade[] {
  return [...trades.filter((t) => t.status === "open"), ...trades.filter((t) => t.status !== "open")];
}
