// Number and date formatting in one place, so every page says things the same way.

const nf = (digits: number) =>
  new Intl.NumberFormat("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });

export function num(v: number | null | undefined, digits = 2): string {
  if (v === null || v === undefined || Number.isNaN(v)) return "–";
  if (!Number.isFinite(v)) return v > 0 ? "∞" : "−∞";
  return nf(digits).format(v);
}

export function pct(v: number | null | undefined, digits = 1, signed = true): string {
  if (v === null || v === undefined || Number.isNaN(v)) return "–";
  const s = num(v, digits);
  return `${signed && v > 0 ? "+" : ""}${s}%`;
}

/** A plain number as typed: thousands separators, up to `max` decimals, no padding (0.1, 10,000). */
export function plain(v: number | null | undefined, max = 6): string {
  if (v === null || v === undefined || Number.isNaN(v)) return "–";
  return new Intl.NumberFormat("en-US", { maximumFractionDigits: max }).format(v);
}

/** Significant digits for a small magnitude (0.0000123 → "0.0000123", never "0.00"). */
function small(v: number, sig = 4): string {
  return new Intl.NumberFormat("en-US", { maximumSignificantDigits: sig }).format(v);
}

/** An amount of money: 12,345 · 123.45 · 0.0123; with the currency unit when known ("12,345 USD"). */
export function money(v: number | null | undefined, unit?: string | null): string {
  if (v === null || v === undefined || Number.isNaN(v)) return "–";
  if (!Number.isFinite(v)) return v > 0 ? "∞" : "−∞";
  const abs = Math.abs(v);
  const s =
    abs >= 1000 ? num(v, 0) : abs >= 1 || abs === 0 ? num(v, 2) : small(v);
  return unit ? `${s} ${unit}` : s;
}

/** A price: thousands separators, and significant digits for small prices (0.00001234). */
export function price(v: number | null | undefined, unit?: string | null): string {
  if (v === null || v === undefined || Number.isNaN(v)) return "–";
  if (!Number.isFinite(v)) return v > 0 ? "∞" : "−∞";
  const abs = Math.abs(v);
  const s =
    abs >= 100
      ? num(v, 2)
      : abs >= 1
        ? new Intl.NumberFormat("en-US", { maximumFractionDigits: 4 }).format(v)
        : abs === 0
          ? "0"
          : small(v, 5);
  return unit ? `${s} ${unit}` : s;
}

/** A quantity (coins): up to 4 decimals, significant digits when below 1. */
export function qty(v: number | null | undefined): string {
  if (v === null || v === undefined || Number.isNaN(v)) return "–";
  const abs = Math.abs(v);
  if (abs >= 1000) return new Intl.NumberFormat("en-US", { maximumFractionDigits: abs >= 100_000 ? 0 : 2 }).format(v);
  return abs >= 1 || v === 0 ? new Intl.NumberFormat("en-US", { maximumFractionDigits: 4 }).format(v) : small(v);
}

/** An axis formatter for values around `scale` (the chart's typical magnitude): enough
 * decimals to tell ticks apart, thousands separators, never "8000000.00". */
export function axisNumber(v: number, scale: number): string {
  const abs = Math.abs(scale);
  if (abs >= 1000) return num(v, 0);
  if (abs >= 1) return num(v, 2);
  if (abs === 0 || !Number.isFinite(abs)) return num(v, 2);
  const digits = Math.min(12, Math.max(2, 3 - Math.floor(Math.log10(abs))));
  return num(v, digits);
}

/** The smallest step an axis needs for values around `scale`. */
export function axisStep(scale: number): number {
  const abs = Math.abs(scale);
  if (abs >= 1000) return 1;
  if (abs >= 1 || abs === 0 || !Number.isFinite(abs)) return 0.01;
  return 10 ** -Math.min(12, Math.max(2, 3 - Math.floor(Math.log10(abs))));
}

/** The symbol in a dataset text like "dataset ETH-BTC:1d (demo)": "ETH-BTC". */
export function symbolOf(text: string | null | undefined): string | undefined {
  return text?.match(/\b([A-Z0-9]{2,12})[-/]([A-Z0-9]{2,12})\b/)?.[0];
}

/** The quote currency (the unit of prices and money) of a symbol or dataset text: BTC for
 * ETH-BTC, USD for BTC-USD. */
export function quoteOf(text: string | null | undefined): string | undefined {
  return text?.match(/\b[A-Z0-9]{2,12}[-/]([A-Z0-9]{2,12})\b/)?.[1];
}

/** The base asset of a symbol (BTC of BTC-USD), else the symbol. */
export function baseOf(symbol: string): string {
  return symbol.match(/^([A-Z0-9]{2,12})[-/]/)?.[1] ?? symbol;
}

/** A UTC date (market data is in UTC): 2021-03-04. */
export function date(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return "–";
  return new Date(ms).toISOString().slice(0, 10);
}

/** A UTC date and time, minutes precision: 2021-03-04 13:05. */
export function dateTime(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return "–";
  const iso = new Date(ms).toISOString();
  const time = iso.slice(11, 16);
  return time === "00:00" ? iso.slice(0, 10) : `${iso.slice(0, 10)} ${time}`;
}

/** A local time for things that happened to the user: "5 Mar, 14:02". */
export function localTime(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return "–";
  return new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" }).format(new Date(ms));
}

/** "in 5 hours", "3 minutes ago". */
export function relative(ms: number, now = Date.now()): string {
  const diff = ms - now;
  const rtf = new Intl.RelativeTimeFormat("en", { numeric: "auto" });
  const abs = Math.abs(diff);
  if (abs < 60_000) return rtf.format(Math.round(diff / 1000), "second");
  if (abs < 3_600_000) return rtf.format(Math.round(diff / 60_000), "minute");
  if (abs < 86_400_000) return rtf.format(Math.round(diff / 3_600_000), "hour");
  return rtf.format(Math.round(diff / 86_400_000), "day");
}

const TF_WORDS: Record<string, string> = {
  "1m": "1-minute",
  "3m": "3-minute",
  "5m": "5-minute",
  "15m": "15-minute",
  "30m": "30-minute",
  "1h": "hourly",
  "2h": "2-hour",
  "4h": "4-hour",
  "6h": "6-hour",
  "8h": "8-hour",
  "12h": "12-hour",
  "1d": "daily",
  "3d": "3-day",
  "1w": "weekly",
};

export function timeframeWords(tf: string | null | undefined): string {
  if (!tf) return "";
  return TF_WORDS[tf] ?? tf;
}

/** Minutes in a timeframe like `5m`, `1h`, `1d`, `1w`; null when unknown. */
export function timeframeMinutes(tf: string): number | null {
  const m = tf.match(/^(\d+)([mhdw])$/);
  if (!m) return null;
  const n = Number(m[1]);
  return n * { m: 1, h: 60, d: 1440, w: 10080 }[m[2] as "m" | "h" | "d" | "w"];
}

export function statusWords(status: string): string {
  return (
    { queued: "Waiting to start", running: "Running", succeeded: "Finished", failed: "Failed", cancelled: "Cancelled" }[
      status
    ] ?? status
  );
}

export function exitReasonWords(reason: string): string {
  return (
    {
      signal: "Exit rule",
      stop_loss: "Stop loss",
      take_profit: "Take profit",
      trailing_stop: "Trailing stop",
      end_of_data: "End of data",
      reverse: "Reversed",
    }[reason] ?? reason.replace(/_/g, " ")
  );
}

/** A paper run's status in words. */
export function paperStatusWords(status: string): string {
  return (
    { scheduled: "Waiting for the first candle", active: "Trading", paused: "Paused", stopped: "Stopped" }[status] ?? status
  );
}

/** A paper run's mode in words. */
export function paperModeWords(mode: string): string {
  return ({ live: "Live", replay: "Replay" }[mode] ?? mode);
}

/** A fill rule in words. */
export function fillWords(fill: string): string {
  return (
    { next_open: "At the next candle's open", same_close: "At the same candle's close" }[fill] ?? fill.replace(/_/g, " ")
  );
}
