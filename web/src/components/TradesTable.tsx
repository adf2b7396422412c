// Every trade of a backtest: a sortable, paged table (a select to sort on a phone) and the
// whole list as a CSV download.
import { useState } from "react";
import { useQuery } from "@tanstack/react-query";
import { api, data } from "../api/client";
import { tradesQuery } from "../hooks/queries";
import { dateTime, exitReasonWords, money, pct, price, qty } from "../lib/format";
import { ErrorMessage, Field } from "./Field";
import { tone } from "./RunTable";

type SortKey = "entry_time" | "exit_time" | "pnl" | "pnl_pct" | "bars_held";
const PAGE = 25;

/** A date that never breaks inside, and its time (if any) after it. */
function When({ ms }: { ms: number }) {
  const [day, time] = dateTime(ms).split(" ");
  return (
    <>
      <span className="nowrap">{day}</span>
      {time && <> {time}</>}
    </>
  );
}

export function TradesTable({
  runId,
  total,
  unit,
  onInspect,
}: {
  runId: string;
  total: number;
  unit?: string;
  /** Opens the inspector on the bar whose signal made this trade (given its entry time). */
  onInspect?(entryTs: number): void;
}) {
  const u = unit ? ` (${unit})` : "";
  const [sort, setSort] = useState<{ key: SortKey; desc: boolean }>({ key: "entry_time", desc: false });
  const [page, setPage] = useState(0);
  const [downloading, setDownloading] = useState(false);
  const [downloadError, setDownloadError] = useState<unknown>(null);
  const trades = useQuery({
    ...tradesQuery(runId, { limit: PAGE, offset: page * PAGE, sort: `${sort.desc ? "-" : ""}${sort.key}` }),
    placeholderData: (prev) => prev,
  });
  const count = trades.data?.total ?? total;
  const pages = Math.max(1, Math.ceil(count / PAGE));
  const items = trades.data?.items ?? [];

  const download = async () => {
    setDownloading(true);
    setDownloadError(null);
    try {
      const blob = await data(
        api.GET("/api/v1/backtests/{id}/trades.csv", { params: { path: { id: runId } }, parseAs: "blob" }),
      );
      const url = URL.createObjectURL(blob);
      const a = document.createElement("a");
      a.href = url;
      a.download = `trades-${runId}.csv`;
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (e) {
      setDownloadError(e);
    } finally {
      setDownloading(false);
    }
  };

  const header = (key: SortKey | null, label: string, numeric = false) => {
    if (!key)
      return (
        <th scope="col" className={numeric ? "num" : undefined}>
          {label}
        </th>
      );
    const active = sort.key === key;
    return (
      <th scope="col" className={numeric ? "num" : undefined} aria-sort={active ? (sort.desc ? "descending" : "ascending") : "none"}>
        <button
          type="button"
          className="sort-button"
          onClick={() => {
            setPage(0);
            setSort((s) => ({ key, desc: s.key === key ? !s.desc : key !== "entry_time" && key !== "exit_time" }));
          }}
        >
          {label}
          <span aria-hidden="true" className="sort-mark">
            {active ? (sort.desc ? " ▼" : " ▲") : " ↕"}
          </span>
        </button>
      </th>
    );
  };

  return (
    <section aria-labelledby="trades-title" className="section">
      <div className="page-head">
        <h2 id="trades-title">Trades ({count})</h2>
        <button type="button" className="button" onClick={download} disabled={downloading || count === 0}>
          {downloading ? "Preparing the file…" : "Download all trades (CSV)"}
        </button>
      </div>
      <ErrorMessage error={downloadError ?? trades.error} />
      {count === 0 ? (
        <p>This strategy made no trades in this period.</p>
      ) : (
        <>
          <p className="help">Press a column title to sort. Times are in UTC.</p>
          <div className="phone-only">
            <Field label="Sort the trades by" className="narrow-field">
              <select
                value={`${sort.desc ? "-" : ""}${sort.key}`}
                onChange={(e) => {
                  const v = e.target.value;
                  setPage(0);
                  setSort({ key: v.replace(/^-/, "") as SortKey, desc: v.startsWith("-") });
                }}
              >
                <option value="entry_time">Entry, oldest first</option>
                <option value="-entry_time">Entry, newest first</option>
                <option value="-pnl">Profit, biggest first</option>
                <option value="pnl">Loss, biggest first</option>
                <option value="-pnl_pct">Profit %, biggest first</option>
                <option value="pnl_pct">Loss %, biggest first</option>
                <option value="-bars_held">Held longest first</option>
                <option value="bars_held">Held shortest first</option>
              </select>
            </Field>
          </div>
          <div className="table-wrap" role="region" aria-label="Trades" tabIndex={0}>
            <table className="table trade-table">
              <caption className="visually-hidden">
                Trades, sorted by {sort.key.replace("_", " ")} {sort.desc ? "descending" : "ascending"}, page {page + 1} of {pages}
              </caption>
              <thead>
                <tr>
                  {header(null, "Side")}
                  {header("entry_time", "Entry")}
                  {header(null, `Entry price${u}`, true)}
                  {header("exit_time", "Exit")}
                  {header(null, `Exit price${u}`, true)}
                  {header(null, "Quantity", true)}
                  {header("pnl", `Profit / loss${u}`, true)}
                  {header("pnl_pct", "Profit / loss %", true)}
                  {header(null, `Costs${u}`, true)}
                  {header("bars_held", "Candles held", true)}
                  {header(null, "Why it closed")}
                </tr>
              </thead>
              <tbody>
                {items.map((t, i) => (
                  <tr key={`${t.entry_ts}-${i}`}>
                    <td data-label="Side">{t.side === "short" ? "Short" : "Long"}</td>
                    <td data-label="Entry" className="when">
                      <When ms={t.entry_ts} />
                    </td>
                    <td data-label={`Entry price${u}`} className="num">
                      {price(t.entry_price)}
                    </td>
                    <td data-label="Exit" className="when">
                      <When ms={t.exit_ts} />
                    </td>
                    <td data-label={`Exit price${u}`} className="num">
                      {price(t.exit_price)}
                    </td>
                    <td data-label="Quantity" className="num">
                      {qty(t.quantity)}
                    </td>
                    <td data-label={`Profit / loss${u}`} className={`num ${tone(t.pnl)}`}>
                      {money(t.pnl)}
                    </td>
                    <td data-label="Profit / loss %" className={`num ${tone(t.pnl_pct)}`}>
                      {pct(t.pnl_pct, 2)}
                    </td>
                    <td data-label={`Costs${u}`} className="num">
                      {money(t.fees + t.slippage)}
                    </td>
                    <td data-label="Candles held" className="num">
                      {t.exit_index !== undefined && t.entry_index !== undefined ? t.exit_index - t.entry_index : "–"}
                    </td>
                    <td data-label="Why it closed">
                      {exitReasonWords(t.exit_reason)}
                      {onInspect && (
                        <button
                          type="button"
                          className="link-button inspect-trade"
                          onClick={() => onInspect(t.entry_ts)}
                          aria-label={`Inspect the bar that opened the trade of ${dateTime(t.entry_ts)}`}
                        >
                          Inspect
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {pages > 1 && (
            <nav className="pager" aria-label="Pages of trades">
              <button type="button" className="button" disabled={page === 0} onClick={() => setPage(page - 1)}>
                Previous
              </button>
              <span aria-live="polite">
                Page {page + 1} of {pages}
              </span>
              <button type="button" className="button" disabled={page + 1 >= pages} onClick={() => setPage(page + 1)}>
                Next
              </button>
            </nav>
          )}
        </>
      )}
    </section>
  );
}
