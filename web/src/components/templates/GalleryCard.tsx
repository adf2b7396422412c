// One template in the gallery: title, educator, tags (a click filters by it), clone count and the
// verified backtest card; the description and the disclosure open below; "Clone" (and, for
// reviewers, "Take down").
import { useId } from "react";
import type { Template } from "../../api/types";
import { localTime, num } from "../../lib/format";
import { VerifiedCard } from "./VerifiedCard";

interface Props {
  template: Template;
  /** Filters the gallery by a tag; without it the tags are plain words. */
  onTag?: (tag: string) => void;
  onClone(t: Template): void;
  onTakedown?: (t: Template) => void;
}

export function GalleryCard({ template: t, onTag, onClone, onTakedown }: Props) {
  const titleId = useId();
  return (
    <article className="card gallery-card" aria-labelledby={titleId}>
      <h2 id={titleId}>{t.title}</h2>
      <p className="meta">
        By {t.educator_name} · version {t.version}
        {t.published_at ? ` · published ${localTime(t.published_at)}` : ""} ·{" "}
        <span data-testid="clone-count">
          {num(t.clone_count, 0)} {t.clone_count === 1 ? "clone" : "clones"}
        </span>
      </p>
      {t.tags.length > 0 && (
        <ul className="tag-list" aria-label={`Tags of ${t.title}`}>
          {t.tags.map((tag) => (
            <li key={tag}>
              {onTag ? (
                <button type="button" className="button small tag-button" onClick={() => onTag(tag)} aria-label={`Show templates tagged ${tag}`}>
                  {tag}
                </button>
              ) : (
                <span className="pill">{tag}</span>
              )}
            </li>
          ))}
        </ul>
      )}
      <VerifiedCard card={t.card} label={`Verified backtest of ${t.title}`} />
      <details>
        <summary>Description and disclosure</summary>
        {t.description && <p className="card-text">{t.description}</p>}
        <h3 className="h3">Disclosure</h3>
        <p className="disclosure-text">{t.disclosure}</p>
      </details>
      <div className="card-actions">
        <button type="button" className="button primary" onClick={() => onClone(t)} aria-label={`Clone ${t.title}`}>
          Clone
        </button>
        {onTakedown && (
          <button type="button" className="button" onClick={() => onTakedown(t)} aria-label={`Take down ${t.title}`}>
            Take down
          </button>
        )}
      </div>
    </article>
  );
}
