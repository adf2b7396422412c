// The bell: the unread count from `/notifications/stream` (an `unread` event at once and on
// every change) and a toast for each new notification.
import { useEffect, useState } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { api, data, eventSource, refresh } from "../api/client";
import { keys } from "../api/keys";
import { isObject, parseJson, textField } from "../lib/json";
import { useToast } from "./toasts";
import { followedRuns } from "./useRunEvents";
import { notificationLinkWords } from "../lib/templates";

export function useNotificationStream(userId: string | undefined): number | null {
  const [unread, setUnread] = useState<number | null>(null);
  const toast = useToast();
  const queryClient = useQueryClient();

  useEffect(() => {
    if (!userId) return;
    let stopped = false;
    let source: EventSource | null = null;
    let timer: ReturnType<typeof setTimeout> | null = null;
    let failures = 0;

    const connect = () => {
      source = eventSource("/api/v1/notifications/stream");
      source.addEventListener("open", () => (failures = 0));
      source.addEventListener("unread", (ev) => {
        const e = ev instanceof MessageEvent ? parseJson(ev.data) : null;
        // ignore a malformed event
        if (isObject(e)) setUnread(Number(e.unread));
      });
      source.addEventListener("notification", (ev) => {
        const raw = ev instanceof MessageEvent ? parseJson(ev.data) : null;
        if (!isObject(raw)) return;
        const n = {
          title: textField(raw, "title") ?? "",
          body: textField(raw, "body") ?? "",
          kind: textField(raw, "kind") ?? "",
          link: textField(raw, "link"),
        };
        // A watched trade may have closed (or a screen fired): its list is read again.
        if (n.kind === "screener_alert") queryClient.invalidateQueries({ queryKey: keys.screener.trades });
        // No toast for the run the user is already looking at or has just followed live.
        const runId = isObject(raw.payload) ? textField(raw.payload, "run_id") : undefined;
        if (isOnPage(window.location.pathname, n.link, runId) || (runId && followedRuns.has(runId))) {
          queryClient.invalidateQueries({ queryKey: keys.notifications.all });
          return;
        }
        toast({
          title: n.title,
          body: n.body,
          tone: n.kind.endsWith("failed") || n.kind.endsWith("alert") ? "bad" : n.kind.endsWith("succeeded") ? "good" : "info",
          link: n.link
            ? {
                to: n.link,
                label: notificationLinkWords(n.kind),
              }
            : undefined,
        });
        queryClient.invalidateQueries({ queryKey: keys.notifications.all });
        queryClient.invalidateQueries({ queryKey: keys.runs.all });
        queryClient.invalidateQueries({ queryKey: keys.planUsage });
        if (n.kind === "governance_task") queryClient.invalidateQueries({ queryKey: keys.compliance.all });
        if (n.kind === "template_review") queryClient.invalidateQueries({ queryKey: keys.templates.all });
      });
      source.onerror = async () => {
        if (stopped || !source || source.readyState !== EventSource.CLOSED) return;
        // The browser gives up on an HTTP error (e.g. an expired token): refresh and retry
        // with a growing pause; meanwhile keep the badge from the plain count.
        failures += 1;
        await refresh();
        data(api.GET("/api/v1/notifications/unread-count"))
          .then((r) => !stopped && setUnread(r.unread))
          .catch(() => {});
        if (!stopped) timer = setTimeout(connect, Math.min(30_000, 1000 * 2 ** failures));
      };
    };
    connect();
    return () => {
      stopped = true;
      source?.close();
      if (timer) clearTimeout(timer);
    };
  }, [userId, toast, queryClient]);

  return unread;
}

const bare = (path: string) => path.replace(/[?#].*$/, "").replace(/\/+$/, "");

/** Whether the user is already on the page a notification is about: its link, or the page of
 * its run (a backtest's result, a sweep). */
export function isOnPage(pathname: string, link: string | undefined, runId: string | undefined): boolean {
  const here = bare(pathname);
  if (link && bare(link.replace(/^https?:\/\/[^/]+/, "")) === here) return true;
  return !!runId && here.split("/").pop() === runId;
}
