// An endpoint's delivery log, newest first: time, event, status, attempts, last HTTP status and
// latency, with "Replay" on delivered and failed rows. Choosing a row shows its attempts and the
// JSON sent. While a delivery is pending the log asks again every 2 seconds, so a test send
// turns "delivered" on its own.
import { useId, useState } from "react";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { api, ApiError, data } from "../../api/client";
import { keys } from "../../api/keys";
import type { WebhookDelivery, WebhookEndpoint } from "../../api/types";
import { localTime } from "../../lib/format";
import { ErrorMessage } from "../Field";

const PAGE = 20;
const POLL_MS = 2_000;

const STATUS_WORDS: Record<string, string> = { pending: "Pending", delivered: "Delivered", failed: "Failed" };
const STATUS_PILL: Record<string, string> = { pending: "pill-queued", delivered: "pill-succeeded", failed: "pill-failed" };

function StatusPill({ status }: { status: string }) {
  return <span className={`pill webhook-status ${STATUS_PILL[status] ?? ""}`}>{STATUS_WORDS[status] ?? status}</span>;
}

function ms(v: number | null | undefined): string {
  if (v === null || v === undefined) return "–";
  return v < 1000 ? `${v} ms` : `${(v / 1000).toFixed(1)} s`;
}

/** Whether the log should ask again soon: a delivery is on its way (its next attempt due
 * within a minute, or not scheduled yet). */
function busy(items: WebhookDelivery[] | undefined): boolean {
  return !!items?.some((d) => d.status === "pending" && (!d.next_attempt_at || d.next_attempt_at - Date.now() < 60_000));
}

export function DeliveryLog({ endpoint }: { endpoint: WebhookEndpoint }) {
  const headingId = useId();
  const queryClient = useQueryClient();
  const [page, setPage] = useState(0);
  const [chosen, setChosen] = useState<string | null>(null);
  const [note, setNote] = useState("");
  const [error, setError] = useState<string | null>(null);
  const id = endpoint.id;
  const log = useQuery({
    queryKey: keys.webhooks.deliveryPage(id, page),
    queryFn: () => data(api.GET("/api/v1/webhooks/{id}/deliveries", { params: { path: { id }, query: { limit: PAGE, offset: page * PAGE } } })),
    refetchInterval: (q) => (busy(q.state.data?.items) ? POLL_MS : false),
    staleTime: 0,
  });

  const replay = async (d: WebhookDelivery) => {
    setError(null);
    setNote("");
    try {
      await api.POST("/api/v1/webhooks/{id}/deliveries/{delivery_id}/replay", { params: { path: { id, delivery_id: d.id } } });
      setNote(`${d.event_type} is sent again.`);
      await queryClient.invalidateQueries({ queryKey: keys.webhooks.deliveries(id) });
    } catch (err) {
      setError(err instanceof ApiError ? err.message : "Could not reach the server. Try again.");
    }
  };

  const total = log.data?.total ?? 0;
  const pages = Math.max(1, Math.ceil(total / PAGE));
  const items = log.data?.items ?? [];
  const selected = items.find((d) => d.id === chosen);
  const caption = `Deliveries to ${endpoint.description || endpoint.url}`;
  return (
    <section className="webhook-log" aria-labelledby={headingId}>
      <h4 id={headingId} className="h3">
        Delivery log
      </h4>
      <ErrorMessage error={log.error ?? error} />
      {log.isLoading && <p role="status">Loading deliveries…</p>}
      {log.data && items.length === 0 && (
        <p className="empty">Nothing sent yet. “Send test” sends a test message now.</p>
      )}
      <p className="help" role="status">
        {note}
      </p>
      {items.length > 0 && (
        <div className="table-wrap" role="region" aria-label={caption} tabIndex={0}>
          <table className="table webhook-table">
            <caption className="visually-hidden">{caption}</caption>
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Event</th>
                <th scope="col">Status</th>
                <th scope="col" className="num">
                  Attempts
                </th>
                <th scope="col" className="num">
                  HTTP status
                </th>
                <th scope="col" className="num">
                  Latency
                </th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {items.map((d) => (
                <tr
                  key={d.id}
                  className={`webhook-row${d.id === chosen ? " chosen" : ""}`}
                  data-status={d.status}
                  onClick={(ev) => {
                    if ((ev.target as HTMLElement).closest("button")) return;
                    setChosen(d.id === chosen ? null : d.id);
                  }}
                >
                  <td>
                    <button
                      type="button"
                      className="link-button"
                      aria-expanded={d.id === chosen}
                      aria-label={`Details of ${d.event_type} at ${localTime(d.created_at)}`}
                      onClick={() => setChosen(d.id === chosen ? null : d.id)}
                    >
                      <time dateTime={new Date(d.created_at).toISOString()}>{localTime(d.created_at)}</time>
                    </button>
                  </td>
                  <td>
                    <code>{d.event_type}</code>
                  </td>
                  <td>
                    <StatusPill status={d.status} />
                    {d.status === "pending" && d.next_attempt_at && d.attempts > 0 && (
                      <span className="meta webhook-next"> next try {localTime(d.next_attempt_at)}</span>
                    )}
                  </td>
                  <td className="num" data-testid="attempts">
                    {d.attempts}
                  </td>
                  <td className="num" data-testid="last-status">
                    {d.last_status ?? "–"}
                  </td>
                  <td className="num">{ms(d.latency_ms)}</td>
                  <td>
                    {d.status !== "pending" && (
                      <button
                        type="button"
                        className="button small"
                        aria-label={`Replay ${d.event_type} of ${localTime(d.created_at)}`}
                        onClick={() => replay(d)}
                      >
                        Replay
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {pages > 1 && (
        <nav className="pager" aria-label="Pages of deliveries">
          <button type="button" className="button small" disabled={page === 0} onClick={() => setPage(page - 1)}>
            Newer
          </button>
          <span>
            Page {page + 1} of {pages}
          </span>
          <button type="button" className="button small" disabled={page + 1 >= pages} onClick={() => setPage(page + 1)}>
            Older
          </button>
        </nav>
      )}
      {selected && <DeliveryDetail endpointId={id} delivery={selected} onClose={() => setChosen(null)} />}
    </section>
  );
}

function DeliveryDetail({ endpointId, delivery, onClose }: { endpointId: string; delivery: WebhookDelivery; onClose(): void }) {
  const headingId = useId();
  // Asked again whenever the row changes (a new attempt, delivered).
  const detail = useQuery({
    queryKey: [...keys.webhooks.delivery(endpointId, delivery.id), delivery.attempts, delivery.status],
    queryFn: () =>
      data(
        api.GET("/api/v1/webhooks/{id}/deliveries/{delivery_id}", {
          params: { path: { id: endpointId, delivery_id: delivery.id } },
        }),
      ),
  });
  const attempts = detail.data?.attempts ?? [];
  return (
    <section className="webhook-detail" aria-labelledby={headingId}>
      <div className="webhook-detail-head">
        <h5 id={headingId} className="h3">
          {delivery.event_type} <StatusPill status={delivery.status} />
        </h5>
        <button type="button" className="button small" onClick={onClose}>
          Close details
        </button>
      </div>
      <p className="meta">
        <span className="webhook-id">
          webhook-id <code data-testid="webhook-id">{delivery.id}</code>
        </span>
        {delivery.delivered_at && <> · delivered {localTime(delivery.delivered_at)}</>}
      </p>
      {delivery.last_error && <p className="error-box">Last error: {delivery.last_error}</p>}
      <ErrorMessage error={detail.error} />
      {detail.isLoading && <p role="status">Loading attempts…</p>}
      {detail.data && attempts.length === 0 && <p className="empty">No attempt yet.</p>}
      {attempts.length > 0 && (
        <div className="table-wrap" role="region" aria-label="Attempts" tabIndex={0}>
          <table className="table webhook-table">
            <caption className="visually-hidden">Attempts</caption>
            <thead>
              <tr>
                <th scope="col" className="num">
                  #
                </th>
                <th scope="col">Started</th>
                <th scope="col" className="num">
                  HTTP status
                </th>
                <th scope="col" className="num">
                  Duration
                </th>
                <th scope="col">Error</th>
                <th scope="col">Response</th>
              </tr>
            </thead>
            <tbody>
              {attempts.map((a) => (
                <tr key={a.attempt}>
                  <td className="num">{a.attempt}</td>
                  <td>{localTime(a.started_at)}</td>
                  <td className="num">{a.status ?? "no answer"}</td>
                  <td className="num">{ms(a.duration_ms)}</td>
                  <td>{a.error || "–"}</td>
                  <td>{a.response_excerpt ? <code className="webhook-excerpt">{a.response_excerpt}</code> : "–"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <h6 className="webhook-payload-title">Payload</h6>
      <pre className="webhook-payload" tabIndex={0} role="region" aria-label="Payload JSON">
        {JSON.stringify(delivery.payload, null, 2)}
      </pre>
    </section>
  );
}
