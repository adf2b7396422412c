// `/screener`: the real-time screener's dashboard. Find a symbol (`?symbol=ESU4` opens it, as
// screener notifications link), the live alert feed with the feeds' status (a trade can be
// watched from each alert), the watched trades, counts over a window, and for admins a replay
// of a recorded feed.
import { useCallback, useEffect, useRef } from "react";
import { useSearchParams } from "react-router-dom";
import { useQueryClient } from "@tanstack/react-query";
import { keys } from "../api/keys";
import { AlertFeed } from "../components/screener/AlertFeed";
import { AlertStats } from "../components/screener/AlertStats";
import { ReplayForm } from "../components/screener/ReplayForm";
import { ScreenerNav } from "../components/screener/ScreenerNav";
import { SymbolSearch } from "../components/screener/SymbolSearch";
import { SymbolView } from "../components/screener/SymbolView";
import { WatchedTrades } from "../components/screener/WatchedTrades";
import { useUser } from "../hooks/auth";
import { useTitle } from "../hooks/useTitle";
import "../styles/screener.css";

export default function ScreenerPage() {
  useTitle("Screener");
  const user = useUser();
  const [params, setParams] = useSearchParams();
  const symbol = (params.get("symbol") ?? "").trim().toUpperCase();
  const queryClient = useQueryClient();

  // New alerts: the counts, the open symbol and the feeds' numbers are read again, at most
  // once a second however fast they come.
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const onNews = useCallback(() => {
    if (timer.current) return;
    timer.current = setTimeout(() => {
      timer.current = null;
      queryClient.invalidateQueries({ queryKey: keys.screener.all });
    }, 1000);
  }, [queryClient]);
  useEffect(
    () => () => {
      if (timer.current) clearTimeout(timer.current);
    },
    [],
  );

  return (
    <>
      <div className="page-head">
        <h1>Screener</h1>
        <ScreenerNav />
      </div>
      <p className="lead">
        Gaps, volume spikes, new highs and lows and blown-out spreads across the market, as they happen. Times are the
        market's, in UTC.
      </p>
      <SymbolSearch onPick={(s) => setParams({ symbol: s })} />
      {symbol && <SymbolView key={symbol} symbol={symbol} onClose={() => setParams({})} />}
      <div className="screener-grid">
        <AlertFeed onNews={onNews} />
        <div className="screener-side">
          <WatchedTrades />
          <AlertStats />
          {user.role === "admin" && <ReplayForm />}
        </div>
      </div>
    </>
  );
}
