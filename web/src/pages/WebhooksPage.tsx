// Webhooks (settings): what they are and how a receiver checks them, the form to add an
// endpoint (URL, description, the notification kinds; none ticked = every kind), and each
// endpoint with its secret, its actions and, for the one opened, its delivery log.
import { useState } from "react";
import { Link } from "react-router-dom";
import { useQuery } from "@tanstack/react-query";
import { api, data } from "../api/client";
import { keys } from "../api/keys";
import { ErrorMessage } from "../components/Field";
import { EndpointCard } from "../components/webhooks/EndpointCard";
import { NewEndpointForm } from "../components/webhooks/NewEndpointForm";
import { useTitle } from "../hooks/useTitle";
import "../styles/paper.css";
import "../styles/webhooks.css";

export default function WebhooksPage() {
  useTitle("Webhooks");
  const list = useQuery({
    queryKey: keys.webhooks.list,
    queryFn: () => data(api.GET("/api/v1/webhooks")),
  });
  // The endpoint whose delivery log is open: the one just added or chosen (none after closing
  // it), else the first.
  const [opened, setOpened] = useState<string | null>(null);
  const items = list.data?.items ?? [];
  const open = opened === null ? (items[0]?.id ?? null) : items.some((e) => e.id === opened) ? opened : null;
  const full = !!list.data && items.length >= list.data.max_endpoints;

  return (
    <>
      <p className="breadcrumb">
        <Link to="/plan">Account</Link> › Webhooks
      </p>
      <h1>Webhooks</h1>
      <p className="lead">
        A webhook sends each of your notifications (a finished backtest, a paper-trading alert…) as a JSON message to
        an address of yours, so your own tools can act on it.
      </p>
      <p className="help webhooks-signing">
        Every message is signed per <a href="https://www.standardwebhooks.com/">Standard Webhooks</a>: check the{" "}
        <code>webhook-id</code>, <code>webhook-timestamp</code> and <code>webhook-signature</code> headers with the
        endpoint's secret (HMAC-SHA256 of <code>id.timestamp.body</code>) before trusting it.
      </p>
      <ErrorMessage error={list.error} />
      {list.isLoading && <p role="status">Loading webhooks…</p>}
      {list.data && (
        <>
          {full ? (
            <p className="notice-box">
              You have {items.length} endpoints, the most there can be. Delete one to add another.
            </p>
          ) : (
            <NewEndpointForm kinds={list.data.kinds} onCreated={(id) => setOpened(id)} />
          )}
          <h2>Your endpoints</h2>
          <p className="meta">
            {items.length} of {list.data.max_endpoints} endpoints
          </p>
          {items.length === 0 && <p className="empty">No endpoints yet. Add one above to receive your notifications.</p>}
          <ul className="webhook-list" aria-label="Your endpoints">
            {items.map((e) => (
              <li key={e.id}>
                <EndpointCard
                  endpoint={e}
                  kinds={list.data.kinds}
                  open={e.id === open}
                  onToggle={() => setOpened(e.id === open ? "" : e.id)}
                />
              </li>
            ))}
          </ul>
        </>
      )}
    </>
  );
}
