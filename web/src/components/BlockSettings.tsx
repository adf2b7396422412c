// The block settings of one or more tested versions: one row per block setting (block name and
// setting → value in each run). On the compare page the rows whose values differ are marked.
import { useMemo } from "react";
import { useQueries } from "@tanstack/react-query";
import type { BlockInfo } from "../api/types";
import { useBlocks, versionQuery } from "../hooks/queries";
import { graphParams, nodeName } from "../pages/strategyParams";
import { plain } from "../lib/format";
import { optionWords } from "../lib/params";
import { ErrorMessage } from "./Field";

export interface SettingsColumn {
  label: string;
  strategyId: string;
  version: number;
  /** Run-level settings (data, fees…) shown above the block settings. */
  extra?: Record<string, string>;
}

/** A setting's value in words: numbers with separators, yes/no, text as is. */
export function settingValue(v: unknown, unit?: string | null): string {
  if (v === undefined || v === null) return "–";
  if (typeof v === "number") {
    const s = plain(v);
    return unit ? `${s} ${unit}` : s;
  }
  if (typeof v === "boolean") return v ? "Yes" : "No";
  if (typeof v === "string") return optionWords(v);
  return JSON.stringify(v);
}

interface Row {
  key: string;
  block: string;
  setting: string;
  values: string[];
}

export function BlockSettings({ columns, title, compare }: { columns: SettingsColumn[]; title: string; compare?: boolean }) {
  const blocks = useBlocks();
  const versions = useQueries({ queries: columns.map((c) => versionQuery(c.strategyId, c.version)) });
  const catalogue = useMemo(
    () => new Map<string, BlockInfo>((blocks.data?.blocks ?? []).map((b) => [b.kind, b])),
    [blocks.data],
  );
  const loaded = versions.every((v) => v.data) && !!blocks.data;
  const rows = useMemo(() => {
    if (!loaded) return [];
    const out = new Map<string, Row>();
    const extraKeys = [...new Set(columns.flatMap((c) => Object.keys(c.extra ?? {})))];
    for (const k of extraKeys)
      out.set(`run.${k}`, { key: `run.${k}`, block: "Backtest", setting: k, values: columns.map((c) => c.extra?.[k] ?? "–") });
    versions.forEach((v, i) => {
      if (!v.data) return;
      for (const p of graphParams(v.data.graph, catalogue, true)) {
        const key = `${p.node.id}.${p.param.name}`;
        const row = out.get(key) ?? {
          key,
          block: nodeName(p.node, p.block),
          setting: p.param.label,
          values: columns.map(() => "–"),
        };
        row.values[i] = settingValue(p.value, p.param.unit);
        out.set(key, row);
      }
    });
    return [...out.values()];
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [loaded, catalogue, columns, ...versions.map((v) => v.data)]);
  const error = blocks.error ?? versions.find((v) => v.error)?.error;
  const differs = (r: Row) => compare && new Set(r.values).size > 1;
  const differing = rows.filter(differs).length;

  return (
    <section className="section" aria-labelledby="block-settings-title">
      <h2 id="block-settings-title">{title}</h2>
      <ErrorMessage error={error} />
      {!loaded && !error && <p role="status">Loading the settings…</p>}
      {loaded && (
        <>
          {compare && (
            <p className="help">
              {differing
                ? `${differing} setting${differing === 1 ? " differs" : "s differ"} between the runs; marked “differs” and highlighted.`
                : "Every setting is the same in these runs."}
            </p>
          )}
          <div className="table-wrap" role="region" aria-label={title} tabIndex={0}>
            <table className="table settings-table">
              <thead>
                <tr>
                  <th scope="col">Block: setting</th>
                  {columns.map((c, i) => (
                    <th scope="col" key={i} className="num">
                      {compare ? `${i + 1}. ${c.label}` : "Value"}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {rows.map((r) => (
                  <tr key={r.key} className={differs(r) ? "differs" : undefined}>
                    <th scope="row">
                      <span className="setting-block">{r.block}</span> {r.setting}
                      {differs(r) && <span className="differs-mark"> differs</span>}
                    </th>
                    {r.values.map((v, i) => (
                      <td key={i} className="num">
                        {v}
                      </td>
                    ))}
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
