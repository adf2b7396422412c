// The template gallery: published templates with their verified backtest cards, searched,
// filtered by a tag and sorted by recency or clones (all kept in the address, so a filtered
// gallery can be linked). "Clone" shows the disclosure first; reviewers can take one down.
import { useState, type FormEvent } from "react";
import { Link, useSearchParams } from "react-router-dom";
import { useQuery } from "@tanstack/react-query";
import { api, data } from "../api/client";
import { keys } from "../api/keys";
import type { Template } from "../api/types";
import { ErrorMessage } from "../components/Field";
import { CloneDialog } from "../components/templates/CloneDialog";
import { GalleryCard } from "../components/templates/GalleryCard";
import { TakedownDialog } from "../components/templates/TakedownDialog";
import { useUser } from "../hooks/auth";
import { useTitle } from "../hooks/useTitle";
import { num } from "../lib/format";
import { canReview } from "../lib/templates";
import "../styles/templates.css";

const PAGE = 24;

export default function TemplatesPage() {
  useTitle("Templates");
  const user = useUser();
  const [params, setParams] = useSearchParams();
  const search = params.get("search") ?? "";
  const tag = params.get("tag") ?? "";
  const sort = params.get("sort") === "clones" ? "clones" : "recent";
  const page = Math.max(0, Number(params.get("page") ?? 0) || 0);
  const [text, setText] = useState(search);
  const [cloning, setCloning] = useState<Template | null>(null);
  const [takingDown, setTakingDown] = useState<Template | null>(null);
  const [announce, setAnnounce] = useState("");

  const list = useQuery({
    queryKey: keys.templates.gallery({ search, tag, sort, page }),
    queryFn: () =>
      data(
        api.GET("/api/v1/templates", {
          params: { query: { search: search || undefined, tag: tag || undefined, sort, limit: PAGE, offset: page * PAGE } },
        }),
      ),
  });

  const update = (patch: Record<string, string>) => {
    const next = new URLSearchParams(params);
    for (const [k, v] of Object.entries(patch)) {
      if (v) next.set(k, v);
      else next.delete(k);
    }
    if (!("page" in patch)) next.delete("page");
    setParams(next, { replace: true });
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    update({ search: text.trim() });
  };

  const total = list.data?.total ?? 0;
  const pages = Math.max(1, Math.ceil(total / PAGE));
  return (
    <>
      <div className="page-head">
        <h1>Templates</h1>
        <div className="actions">
          <Link className="button" to="/templates/mine">
            My templates
          </Link>
        </div>
      </div>
      <p className="lead">
        Strategies educators published after a reviewer checked them. Each card shows the backtest it was verified on,
        after fees and slippage. Past results do not promise future ones.
      </p>
      <form className="filters gallery-filters" role="search" aria-label="Templates" onSubmit={submit}>
        <div className="field">
          <label htmlFor="template-search">Search</label>
          <input id="template-search" type="search" value={text} maxLength={200} onChange={(e) => setText(e.target.value)} />
        </div>
        <div className="field">
          <button type="submit" className="button">
            Search
          </button>
        </div>
        <div className="field">
          <label htmlFor="template-sort">Sort by</label>
          <select id="template-sort" value={sort} onChange={(e) => update({ sort: e.target.value === "clones" ? "clones" : "" })}>
            <option value="recent">Newest first</option>
            <option value="clones">Most cloned</option>
          </select>
        </div>
      </form>
      {(tag || search) && (
        <p className="tag-filter-note">
          <span>
            Showing {search && <>templates matching “{search}”</>}
            {search && tag && " and "}
            {tag && <>templates tagged “{tag}”</>}.
          </span>
          <button
            type="button"
            className="button small"
            onClick={() => {
              setText("");
              update({ search: "", tag: "" });
            }}
          >
            Show all templates
          </button>
        </p>
      )}
      <p className="visually-hidden" aria-live="polite">
        {list.data ? `${num(total, 0)} ${total === 1 ? "template" : "templates"}` : ""}
      </p>
      {announce && (
        <p className="success-box" role="status">
          {announce}
        </p>
      )}
      <ErrorMessage error={list.error} />
      {list.isLoading && <p role="status">Loading templates…</p>}
      {list.data?.items.length === 0 && (
        <p className="empty">
          {search || tag ? "No published template matches." : "No template is published yet."} Publish one of your own
          strategies from its page (“Publish as template”).
        </p>
      )}
      <ul className="gallery-list" aria-label="Published templates">
        {list.data?.items.map((t) => (
          <li key={t.id}>
            <GalleryCard
              template={t}
              onTag={(tg) => update({ tag: tg })}
              onClone={setCloning}
              onTakedown={canReview(user) ? setTakingDown : undefined}
            />
          </li>
        ))}
      </ul>
      {pages > 1 && (
        <nav className="pager" aria-label="Pages of templates">
          <button type="button" className="button" disabled={page === 0} onClick={() => update({ page: String(page - 1) })}>
            Previous
          </button>
          <span>
            Page {page + 1} of {pages}
          </span>
          <button type="button" className="button" disabled={page + 1 >= pages} onClick={() => update({ page: String(page + 1) })}>
            Next
          </button>
        </nav>
      )}
      <CloneDialog template={cloning} onClose={() => setCloning(null)} />
      <TakedownDialog template={takingDown} onClose={() => setTakingDown(null)} onDone={setAnnounce} />
    </>
  );
}
