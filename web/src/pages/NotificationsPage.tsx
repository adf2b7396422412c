// Notifications: what finished (or failed) while you were elsewhere, with a link to the run;
// reviewers' tasks (the review queue) and the decisions on an educator's templates.
import { useState } from "react";
import { Link } from "react-router-dom";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, data } from "../api/client";
import { keys } from "../api/keys";
import { ErrorMessage } from "../components/Field";
import { useTitle } from "../hooks/useTitle";
import { localTime } from "../lib/format";
import { notificationLinkWords } from "../lib/templates";

const PAGE = 20;

export default function NotificationsPage() {
  useTitle("Notifications");
  const [onlyUnread, setOnlyUnread] = useState(false);
  const [page, setPage] = useState(0);
  const queryClient = useQueryClient();
  const list = useQuery({
    queryKey: keys.notifications.page({ onlyUnread, page }),
    queryFn: () =>
      data(
        api.GET("/api/v1/notifications", {
          params: { query: { unread: onlyUnread || undefined, limit: PAGE, offset: page * PAGE } },
        }),
      ),
  });
  const [announce, setAnnounce] = useState("");
  const markAll = useMutation({
    mutationFn: () => data(api.POST("/api/v1/notifications/read-all")),
    onSuccess: (r) => {
      setAnnounce(r.marked ? `Marked ${r.marked} as read.` : "Everything was already read.");
      queryClient.invalidateQueries({ queryKey: keys.notifications.all });
    },
  });
  const markOne = useMutation({
    mutationFn: (id: string) => data(api.POST("/api/v1/notifications/{id}/read", { params: { path: { id } } })),
    onSuccess: (n) => {
      setAnnounce(`Marked “${n.title}” as read.`);
      queryClient.invalidateQueries({ queryKey: keys.notifications.all });
    },
  });

  const total = list.data?.total ?? 0;
  const pages = Math.max(1, Math.ceil(total / PAGE));
  return (
    <>
      <div className="page-head">
        <h1>Notifications</h1>
        <div className="actions">
          <Link to="/settings/notifications" className="button">
            Notification settings
          </Link>
          <button
            type="button"
            className="button"
            onClick={() => markAll.mutate()}
            disabled={markAll.isPending || !list.data?.unread}
          >
            Mark all as read
          </button>
        </div>
      </div>
      <p className="meta">
        {list.data ? `${list.data.unread} unread of ${list.data.total}${onlyUnread ? " unread shown" : ""}` : ""}
      </p>
      <p className="help">
        Want them on your own server too? <Link to="/settings/webhooks">Set up webhooks</Link>.
      </p>
      <div className="checkbox">
        <input
          type="checkbox"
          id="only-unread"
          checked={onlyUnread}
          onChange={(e) => {
            setOnlyUnread(e.target.checked);
            setPage(0);
          }}
        />
        <label htmlFor="only-unread">Show only unread</label>
      </div>
      <p className="visually-hidden" aria-live="polite">
        {announce}
      </p>
      <ErrorMessage error={list.error ?? markAll.error ?? markOne.error} />
      {list.isLoading && <p role="status">Loading notifications…</p>}
      {list.data?.items.length === 0 && (
        <p className="empty">{onlyUnread ? "Nothing unread." : "No notifications yet. You get one when a backtest or sweep finishes."}</p>
      )}
      <ul className="notification-list" aria-label="Notifications">
        {list.data?.items.map((n) => (
          <li key={n.id} className={`card notification${n.read ? "" : " unread"}`}>
            <div className="notification-main">
              <h2 className="h3">
                {!n.read && <span className="visually-hidden">Unread: </span>}
                {n.title}
              </h2>
              <p>{n.body}</p>
              <p className="meta">
                <time dateTime={new Date(n.created_at).toISOString()}>{localTime(n.created_at)}</time>
                {n.read ? " · read" : ""}
              </p>
            </div>
            <div className="notification-actions">
              {n.link && (
                <Link
                  className="button small"
                  to={n.link}
                  onClick={() => !n.read && markOne.mutate(n.id)}
                  aria-label={`${notificationLinkWords(n.kind)}: ${n.title}`}
                >
                  {notificationLinkWords(n.kind)}
                </Link>
              )}
              {!n.read && (
                <button
                  type="button"
                  className="button small"
                  onClick={() => markOne.mutate(n.id)}
                  aria-label={`Mark as read: ${n.title}`}
                >
                  Mark as read
                </button>
              )}
            </div>
          </li>
        ))}
      </ul>
      {pages > 1 && (
        <nav className="pager" aria-label="Pages of notifications">
          <button type="button" className="button" disabled={page === 0} onClick={() => setPage(page - 1)}>
            Newer
          </button>
          <span>
            Page {page + 1} of {pages}
          </span>
          <button type="button" className="button" disabled={page + 1 >= pages} onClick={() => setPage(page + 1)}>
            Older
          </button>
        </nav>
      )}
    </>
  );
}
