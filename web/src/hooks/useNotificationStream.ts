// The bell: the unread count from `/notifications/stream` (an `unread` event at once and on
// every change) and a toast for each new notification.
import { useEffect, useState } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { api, eventSource, refresh } from "../api/client";
import type { Notification } from "../api/types";
import { useToast } from "./toasts";
import { followedRuns } from "./useRunEvents";

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
        try {
          setUnread(Number(JSON.parse((ev as MessageEvent).data).unread));
        } catch {
          // ignore a malformed event
        }
      });
      source.addEventListener("notification", (ev) => {
        let n: Notification;
        try {
          n = JSON.parse((ev as MessageEvent).data);
        } catch {
          return;
        }
        // No toast for the run the user is already looking at or has just followed live.
        const runId = (n.payload as { run_id?: string } | undefined)?.run_id;
        if ((n.link && window.location.pathname === n.link) || (runId && followedRuns.has(runId))) {
          queryClient.invalidateQueries({ queryKey: ["notifications"] });
          return;
        }
        toast({
          title: n.title,
          body: n.body,
          tone: n.kind.endsWith("failed") ? "bad" : n.kind.endsWith("succeeded") ? "good" : "info",
          link: n.link ? { to: n.link, label: n.kind.startsWith("sweep") ? "Open the sweep" : "Open the result" } : undefined,
        });
        queryClient.invalidateQueries({ queryKey: ["notifications"] });
        queryClient.invalidateQueries({ queryKey: ["runs"] });
        queryClient.invalidateQueries({ queryKey: ["plan-usage"] });
      });
      source.onerror = async () => {
        if (stopped || !source || source.readyState !== EventSource.CLOSED) return;
        // The browser gives up on an HTTP error (e.g. an expired token): refresh and retry
        // with a growing pause; meanwhile keep the badge from the plain count.
        failures += 1;
        await refresh();
        api
          .get<{ unread: number }>("/api/v1/notifications/unread-count")
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
