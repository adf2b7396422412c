// A paper basket's open positions: one row per market held, in place of the single position's
// card (a phone shows each row as a card).
import type { PaperRun } from "../api/types";
import { baseOf, dateTime, plain, price, qty } from "../lib/format";

/** The markets of a basket in words: "3 markets: ETH-BTC, LTC-BTC and XLM-BTC". */
export function basketWords(run: PaperRun): string | null {
  const names = run.basket?.members.map((m) => m.symbol) ?? [];
  if (names.length < 2) return null;
  return `${names.length} markets: ${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}`;
}

export function BasketPositions({ run, unit }: { run: PaperRun; unit?: string }) {
  // Stopping closes every open position (the ledger's last trades).
  const rows = run.status === "stopped" ? [] : run.positions;
  const held = rows.length;
  return (
    <section aria-labelledby="paper-position-title" className="section">
      <h2 id="paper-position-title">Open positions</h2>
      {held === 0 ? (
        <p>
          {run.status === "stopped"
            ? "None: the run is stopped, and stopping closed every open position (see the ledger)."
            : "None: the strategy is waiting for an entry signal in any of the basket's markets, holding only money."}
        </p>
      ) : (
        <>
          <p className="help">
            {held} of {run.basket?.members.length ?? held} markets held; each position may cost at most{" "}
            {plain(run.basket?.max_allocation_pct, 2)}% of the basket's value.
          </p>
          <div className="table-wrap" role="region" aria-label="Open positions" tabIndex={0}>
            <table className="table run-table positions-table">
              <caption className="visually-hidden">Open positions, one per market</caption>
              <thead>
                <tr>
                  <th scope="col">Market</th>
                  <th scope="col">Side</th>
                  <th scope="col" className="num">
                    Quantity
                  </th>
                  <th scope="col" className="num">
                    Entry price
                  </th>
                  <th scope="col">Since</th>
                  <th scope="col" className="num">
                    Stop loss
                  </th>
                  <th scope="col" className="num">
                    Take profit
                  </th>
                </tr>
              </thead>
              <tbody>
                {rows.map((p) => (
                  <tr key={p.symbol ?? p.entry_ts}>
                    <td data-label="Market">{p.symbol ?? "–"}</td>
                    <td data-label="Side">{p.side === "short" ? "Short" : "Long"}</td>
                    <td data-label="Quantity" className="num">
                      {qty(p.quantity)} {p.symbol ? baseOf(p.symbol) : ""}
                    </td>
                    <td data-label="Entry price" className="num">
                      {price(p.entry_price, unit)}
                    </td>
                    <td data-label="Since">{dateTime(p.entry_ts)}</td>
                    <td data-label="Stop loss" className="num">
                      {p.stop === null || p.stop === undefined ? "None" : price(p.stop, unit)}
                    </td>
                    <td data-label="Take profit" className="num">
                      {p.take_profit === null || p.take_profit === undefined ? "None" : price(p.take_profit, unit)}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </section>
  );
}
