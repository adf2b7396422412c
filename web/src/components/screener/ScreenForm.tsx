// A screen to create or edit: its name, the symbols it watches, the built-in alerts to hear
// of and optionally a block screen (one of your strategies' versions, whose entry signal fires
// it; its condition is edited on the canvas), and whether each alert is also a notification.
// The server's refusals are shown on the field they name.
import { useEffect, useId, useState, type FormEvent } from "react";
import { Link } from "react-router-dom";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api, ApiError, data } from "../../api/client";
import { keys } from "../../api/keys";
import { useMyStrategies, useVersions } from "../../hooks/queries";
import {
  BUILT_IN_TYPES,
  SIGNAL_WORDS,
  parseSymbols,
  typeWords,
  type AlertType,
  type Screen,
  type ScreenRequest,
  type Signal,
} from "../../lib/screener";
import { ErrorMessage, Field } from "../Field";

type FieldName = "name" | "symbols" | "alert_types" | "strategy_id" | "version" | "signal";
type Errors = Partial<Record<FieldName, string>>;

function fieldOf(v: unknown): FieldName | null {
  if (typeof v !== "string") return null;
  if (v.startsWith("symbols")) return "symbols";
  return v === "name" || v === "alert_types" || v === "strategy_id" || v === "version" || v === "signal" ? v : null;
}

const SIGNALS: Signal[] = ["enter_long", "enter_short", "either"];

interface Props {
  /** The screen being edited; none for a new one. */
  screen?: Screen;
  onDone(saved: Screen): void;
  onCancel?(): void;
}

export function ScreenForm({ screen, onDone, onCancel }: Props) {
  const queryClient = useQueryClient();
  const typesError = useId();
  const [name, setName] = useState(screen?.name ?? "");
  const [symbols, setSymbols] = useState(screen?.symbols.join(", ") ?? "");
  const [types, setTypes] = useState<AlertType[]>(screen?.alert_types ?? (screen ? [] : BUILT_IN_TYPES));
  const [strategyId, setStrategyId] = useState(screen?.strategy_id ?? "");
  const [version, setVersion] = useState(screen?.version ? String(screen.version) : "");
  const [signal, setSignal] = useState<Signal>(screen?.signal ?? "enter_long");
  const [notify, setNotify] = useState(screen?.notify ?? true);
  const [errors, setErrors] = useState<Errors>({});
  const strategies = useMyStrategies();
  const versions = useVersions(strategyId || undefined);
  const mine = strategies.data?.items ?? [];

  // A strategy picked without a version: its newest.
  useEffect(() => {
    if (!strategyId || version) return;
    const s = mine.find((x) => x.id === strategyId);
    if (s) setVersion(String(s.latest_version));
  }, [strategyId, version, mine]);

  const save = useMutation({
    mutationFn: (body: ScreenRequest) =>
      screen
        ? data(api.PUT("/api/v1/screener/screens/{id}", { params: { path: { id: screen.id } }, body }))
        : data(api.POST("/api/v1/screener/screens", { body })),
    onSuccess: (saved) => {
      queryClient.invalidateQueries({ queryKey: keys.screener.screens });
      onDone(saved);
    },
    onError: (err) => {
      const field = err instanceof ApiError ? fieldOf(err.details?.field) : null;
      if (field) setErrors({ [field]: err.message });
    },
  });

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setErrors({});
    const body: ScreenRequest = {
      name: name.trim(),
      symbols: parseSymbols(symbols),
      alert_types: types,
      notify,
    };
    if (strategyId) {
      body.strategy_id = strategyId;
      body.version = version ? Number(version) : null;
      body.signal = signal;
    }
    save.mutate(body);
  };

  const toggle = (t: AlertType, on: boolean) =>
    setTypes((list) => (on ? BUILT_IN_TYPES.filter((x) => x === t || list.includes(x)) : list.filter((x) => x !== t)));

  const parsed = parseSymbols(symbols);
  const generalError = save.error instanceof ApiError && fieldOf(save.error.details?.field) ? null : save.error;
  const picked = mine.find((s) => s.id === strategyId);
  return (
    <form className="screen-form" onSubmit={submit} noValidate>
      <Field label="Name" error={errors.name}>
        <input type="text" value={name} maxLength={100} onChange={(e) => setName(e.target.value)} />
      </Field>
      <Field
        label="Symbols"
        error={errors.symbols}
        help={
          parsed.length
            ? `${parsed.length} ${parsed.length === 1 ? "symbol" : "symbols"}: ${parsed.join(", ")}`
            : "Up to 50, separated by commas or spaces, e.g. ESU4, NQU4, BTCUSDT."
        }
      >
        <input
          type="text"
          value={symbols}
          autoComplete="off"
          spellCheck={false}
          autoCapitalize="characters"
          onChange={(e) => setSymbols(e.target.value.toUpperCase())}
        />
      </Field>
      <fieldset
        className={errors.alert_types ? "field-invalid" : undefined}
        aria-describedby={errors.alert_types ? typesError : undefined}
      >
        <legend>Built-in alerts</legend>
        <div className="type-checks">
          {BUILT_IN_TYPES.map((t) => (
            <label key={t} className="checkbox">
              <input type="checkbox" checked={types.includes(t)} onChange={(e) => toggle(t, e.target.checked)} />
              <span>{typeWords(t)}</span>
            </label>
          ))}
        </div>
        {errors.alert_types && (
          <p className="field-error" id={typesError}>
            {errors.alert_types}
          </p>
        )}
      </fieldset>
      <fieldset>
        <legend>Block screen (optional)</legend>
        <p className="help">
          Fire when one of your strategies would enter, on each symbol's closed one-minute bars. Its condition is the
          strategy's blocks: change them on the canvas, save a version, and pick it here.
        </p>
        <div className="field-row">
          <Field label="Strategy" error={errors.strategy_id}>
            <select
              value={strategyId}
              onChange={(e) => {
                setStrategyId(e.target.value);
                setVersion("");
              }}
            >
              <option value="">None</option>
              {strategyId && !picked && <option value={strategyId}>The strategy saved with this screen</option>}
              {mine.map((s) => (
                <option key={s.id} value={s.id}>
                  {s.title}
                </option>
              ))}
            </select>
          </Field>
          <Field label="Version" error={errors.version}>
            <select value={version} onChange={(e) => setVersion(e.target.value)} disabled={!strategyId}>
              {!strategyId && <option value="">–</option>}
              {strategyId && !versions.data?.some((v) => String(v.version) === version) && (
                <option value={version}>{version ? `Version ${version}` : "Loading…"}</option>
              )}
              {versions.data
                ?.slice()
                .sort((a, b) => b.version - a.version)
                .map((v) => (
                  <option key={v.version} value={String(v.version)}>
                    Version {v.version}
                    {v.valid ? "" : " (has problems)"}
                  </option>
                ))}
            </select>
          </Field>
          <Field label="Fires on" error={errors.signal}>
            <select value={signal} onChange={(e) => setSignal(e.target.value as Signal)} disabled={!strategyId}>
              {SIGNALS.map((s) => (
                <option key={s} value={s}>
                  {SIGNAL_WORDS[s]}
                </option>
              ))}
            </select>
          </Field>
        </div>
        {strategyId && (
          <p>
            <Link to={`/strategies/${strategyId}/edit`}>
              Edit on canvas<span className="visually-hidden">: {picked?.title ?? "the strategy"}</span>
            </Link>
          </p>
        )}
      </fieldset>
      <label className="checkbox">
        <input type="checkbox" checked={notify} onChange={(e) => setNotify(e.target.checked)} />
        <span>Also send each alert as a notification</span>
      </label>
      <ErrorMessage error={generalError} />
      <div className="actions">
        <button type="submit" className="button primary" disabled={save.isPending}>
          {save.isPending ? "Saving…" : screen ? "Save changes" : "Create screen"}
        </button>
        {onCancel && (
          <button type="button" className="button" onClick={onCancel}>
            Cancel
          </button>
        )}
      </div>
    </form>
  );
}
