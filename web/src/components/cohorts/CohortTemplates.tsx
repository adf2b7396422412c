// The templates published to a cohort, as the gallery shows them, with "Clone" behind the
// disclosure. Members and the educator see them; nobody else.
import { useId, useState } from "react";
import { useQuery } from "@tanstack/react-query";
import { api, data } from "../../api/client";
import { keys } from "../../api/keys";
import type { Template } from "../../api/types";
import { ErrorMessage } from "../Field";
import { CloneDialog } from "../templates/CloneDialog";
import { GalleryCard } from "../templates/GalleryCard";

export function CohortTemplates({ cohortId, educator }: { cohortId: string; educator: boolean }) {
  const headingId = useId();
  const [cloning, setCloning] = useState<Template | null>(null);
  const list = useQuery({
    queryKey: keys.cohorts.templates(cohortId),
    queryFn: () => data(api.GET("/api/v1/cohorts/{id}/templates", { params: { path: { id: cohortId } } })),
  });
  return (
    <section className="cohort-section" aria-labelledby={headingId}>
      <h2 id={headingId}>Templates of this cohort</h2>
      <ErrorMessage error={list.error} />
      {list.isLoading && <p role="status">Loading templates…</p>}
      {list.data?.items.length === 0 && (
        <p className="empty">
          {educator
            ? "Nothing is published to this cohort yet. Publish one of your strategies from its page (“Publish as template”, audience: this cohort)."
            : "Your educator has not published a template to this cohort yet."}
        </p>
      )}
      <ul className="gallery-list" aria-label="Templates of this cohort">
        {list.data?.items.map((t) => (
          <li key={t.id}>
            <GalleryCard template={t} onClone={setCloning} />
          </li>
        ))}
      </ul>
      <CloneDialog template={cloning} onClose={() => setCloning(null)} />
    </section>
  );
}
