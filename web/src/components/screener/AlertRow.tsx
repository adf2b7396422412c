// One alert: the symbol (opening its view), what fired, the price and move from the previous
// close, when (the market's time, UTC) and the condition that made it fire; "Watch trade"
// opens a form under it to follow a trade from the alert on the live feed.
import { useRef, useState } from "react";
import { Link } from "react-router-dom";
import { price } from "../../lib/format";
import { conditionWords, marketTime, movePct, typeTone, typeWords, type Alert } from "../../lib/screener";
import { tradeName, type Trade } from "../../lib/watchedTrades";
import { WatchTradeForm } from "./WatchTradeForm";

export function AlertRow({ alert: a, fresh = false, showSymbol = true }: { alert: Alert; fresh?: boolean; showSymbol?: boolean }) {
  const tone = typeTone(a.alert_type);
  const move = a.conditions.pct_move;
  const [watching, setWatching] = useState(false);
  const [started, setStarted] = useState<Trade | null>(null);
  const button = useRef<HTMLButtonElement>(null);
  const close = () => {
    setWatching(false);
    button.current?.focus();
  };
  return (
    <li className={`alert-row alert-${tone}${fresh ? " alert-new" : ""}`} data-alert-id={a.id}>
      <div className="alert-head">
        {showSymbol && (
          <Link className="alert-symbol" to={`/screener?symbol=${encodeURIComponent(a.symbol)}`}>
            {a.symbol}
          </Link>
        )}
        <span className={`pill alert-type alert-type-${tone}`}>{typeWords(a.alert_type)}</span>
        <span className="alert-price">
          <span className="visually-hidden">at </span>
          {price(a.trigger_price)}
        </span>
        {move != null && (
          <span className={`alert-move${move > 0 ? " good" : move < 0 ? " bad" : ""}`}>
            {movePct(move)}
            <span className="visually-hidden"> from the previous close</span>
          </span>
        )}
        <button
          ref={button}
          type="button"
          className="button small watch-button"
          aria-expanded={watching}
          onClick={() => {
            setStarted(null);
            setWatching((w) => !w);
          }}
        >
          Watch trade
          <span className="visually-hidden">
            {" "}
            from {a.symbol} {typeWords(a.alert_type)} at {marketTime(a.trigger_time)}
          </span>
        </button>
      </div>
      <p className="alert-why">{conditionWords(a)}</p>
      <p className="meta alert-when">
        <time dateTime={new Date(a.trigger_time).toISOString()}>{marketTime(a.trigger_time)}</time>
        {a.feed === "replay" ? " · replay" : ""}
        {a.mine ? " · your screen" : ""}
      </p>
      {watching && (
        <WatchTradeForm
          alert={a}
          onCancel={close}
          onDone={(t) => {
            setStarted(t);
            close();
          }}
        />
      )}
      {started && (
        <p className="watch-started" role="status">
          Watching the {tradeName(started)}: it shows under Watched trades.
        </p>
      )}
    </li>
  );
}
