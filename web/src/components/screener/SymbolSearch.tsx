// "Find a symbol": a combobox suggesting the symbols with alerts that start with what is typed
// (`/screener/symbols?q=`); picking one (or Enter on a typed symbol) opens its view.
import { useEffect, useId, useState, type FormEvent, type KeyboardEvent } from "react";
import { useSymbolMatches } from "../../hooks/screener";
import { plain } from "../../lib/format";
import { marketTime } from "../../lib/screener";

function useDebounced<T>(value: T, ms: number): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setV(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return v;
}

export function SymbolSearch({ onPick }: { onPick(symbol: string): void }) {
  const id = useId();
  const listId = `${id}-list`;
  const helpId = `${id}-help`;
  const [text, setText] = useState("");
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(-1);
  const q = useDebounced(text.trim(), 150);
  const valid = /^[A-Za-z0-9./_#-]{1,32}$/.test(q);
  const matches = useSymbolMatches(q, open && valid);
  const items = valid && q ? (matches.data ?? []) : [];
  const shown = open && items.length > 0;

  useEffect(() => setActive(-1), [q]);

  const pick = (symbol: string) => {
    onPick(symbol.toUpperCase());
    setText("");
    setOpen(false);
    setActive(-1);
  };

  const onKeyDown = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key === "ArrowDown") {
      e.preventDefault();
      setOpen(true);
      if (items.length) setActive((a) => (a + 1) % items.length);
    } else if (e.key === "ArrowUp") {
      e.preventDefault();
      setOpen(true);
      if (items.length) setActive((a) => (a <= 0 ? items.length - 1 : a - 1));
    } else if (e.key === "Escape" && open) {
      e.preventDefault();
      setOpen(false);
    }
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (shown && active >= 0) pick(items[active].symbol);
    else if (text.trim()) pick(text.trim());
  };

  const count = items.length;
  return (
    <form className="symbol-search" role="search" aria-label="Symbols" onSubmit={submit}>
      <div className="field combobox">
        <label htmlFor={id}>Find a symbol</label>
        <div className="combobox-box">
          <input
            id={id}
            type="text"
            role="combobox"
            aria-autocomplete="list"
            aria-expanded={shown}
            aria-controls={listId}
            aria-activedescendant={shown && active >= 0 ? `${id}-opt-${active}` : undefined}
            aria-describedby={helpId}
            autoComplete="off"
            spellCheck={false}
            placeholder="e.g. ES or BTC"
            value={text}
            onChange={(e) => {
              setText(e.target.value);
              setOpen(true);
            }}
            onFocus={() => setOpen(true)}
            onBlur={() => setOpen(false)}
            onKeyDown={onKeyDown}
          />
          <ul id={listId} role="listbox" aria-label="Symbols with alerts" className="combobox-list" hidden={!shown}>
            {items.map((m, i) => (
              <li
                key={m.symbol}
                id={`${id}-opt-${i}`}
                role="option"
                aria-selected={i === active}
                className={i === active ? "active" : undefined}
                onMouseDown={(e) => e.preventDefault()}
                onClick={() => pick(m.symbol)}
              >
                <strong>{m.symbol}</strong>{" "}
                <span className="meta">
                  · {plain(m.alerts)} {m.alerts === 1 ? "alert" : "alerts"}, the last {marketTime(m.last_alert_at)}
                </span>
              </li>
            ))}
          </ul>
        </div>
        <p className="help" id={helpId}>
          Symbols with alerts, by the start of their name; arrow keys and Enter choose one.
        </p>
        <p className="visually-hidden" role="status">
          {open && valid && q && matches.data ? (count ? `${count} ${count === 1 ? "symbol matches" : "symbols match"}` : `No symbol with alerts starts with ${q}`) : ""}
        </p>
        {open && valid && q && matches.data && !count && <p className="meta">No symbol with alerts starts with “{q}”.</p>}
      </div>
    </form>
  );
}
