// Where the alerts come from: each feed's description, state and counts from
// `/screener/health`, and the gaps it reported, in plain words.
import { useScreenerHealth } from "../../hooks/screener";
import { plain } from "../../lib/format";
import { feedStateWords, gapWords, marketTime, type FeedHealth } from "../../lib/screener";

/** The newest feeds shown, and the newest gaps of each. */
const FEEDS = 3;
const GAPS = 5;

export function FeedStatus() {
  const health = useScreenerHealth();
  if (health.error) return <p className="feed-status meta">The feeds' status could not be read just now.</p>;
  const feeds = health.data?.feeds;
  if (!feeds) return null;
  if (!feeds.length)
    return (
      <p className="feed-status meta">
        No feed is running: alerts appear when a live feed is set up or an admin replays a recorded one.
      </p>
    );
  return (
    <ul className="feed-status" aria-label="Feeds">
      {feeds.slice(0, FEEDS).map((f) => (
        <FeedLine key={f.id} feed={f} />
      ))}
    </ul>
  );
}

function FeedLine({ feed: f }: { feed: FeedHealth }) {
  const gaps = f.gaps.slice(-GAPS).reverse();
  return (
    <li className={`feed-line feed-${f.state}`}>
      <span className="feed-description">{f.description}</span>: {feedStateWords(f.state)} · {plain(f.events)}{" "}
      {f.events === 1 ? "event" : "events"} · {plain(f.alerts)} {f.alerts === 1 ? "alert" : "alerts"} · {plain(f.symbols)}{" "}
      {f.symbols === 1 ? "symbol" : "symbols"}
      {f.last_event_at != null && <> · last event {marketTime(f.last_event_at)}</>}
      {f.late_events > 0 && <> · {plain(f.late_events)} late</>}
      {f.error && <span className="feed-error"> · stopped: {f.error}</span>}
      {gaps.length > 0 && (
        <ul className="feed-gaps">
          {gaps.map((g, i) => (
            <li key={`${g.to}-${g.symbol ?? ""}-${i}`}>{gapWords(g)}</li>
          ))}
          {f.gaps.length > GAPS && <li>…and {plain(f.gaps.length - GAPS)} earlier</li>}
        </ul>
      )}
    </li>
  );
}
