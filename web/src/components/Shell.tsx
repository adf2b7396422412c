// The signed-in frame: skip link, header with the main navigation, the live notification
// bell, the plan banner and sign out.
import { useEffect, useRef } from "react";
import { NavLink, Link, Outlet, useLocation, useNavigate } from "react-router-dom";
import { useAuth, useUser } from "../hooks/auth";
import { usePlanUsage } from "../hooks/queries";
import { useNotificationStream } from "../hooks/useNotificationStream";
import { canReview } from "../lib/templates";

export function Shell() {
  const user = useUser();
  const { logout } = useAuth();
  const navigate = useNavigate();
  const unread = useNotificationStream(user.id);
  const location = useLocation();
  const mainRef = useRef<HTMLElement>(null);
  const firstPath = useRef(location.pathname);
  useEffect(() => {
    // After moving to another page, start reading (and tabbing) from its content.
    if (location.pathname === firstPath.current) return;
    firstPath.current = "";
    // The canvas manages its own focus.
    if (location.hash || location.pathname.endsWith("/edit")) return;
    window.scrollTo(0, 0);
    mainRef.current?.focus({ preventScroll: true });
  }, [location.pathname, location.hash]);
  return (
    <div className="app">
      <a href="#main" className="skip-link">
        Skip to the main content
      </a>
      <header className="app-header">
        <Link to="/" className="brand">
          <span aria-hidden="true" className="brand-mark">
            ▦
          </span>{" "}
          Blockbuilders
        </Link>
        <nav aria-label="Main" className="main-nav">
          <ul>
            <li>
              <NavLink to="/" end>
                Home
              </NavLink>
            </li>
            <li>
              <NavLink to="/strategies">Strategies</NavLink>
            </li>
            <li>
              <NavLink to="/backtests">Backtests</NavLink>
            </li>
            <li>
              <NavLink to="/paper">
                Paper<span className="nav-more"> trading</span>
              </NavLink>
            </li>
            <li>
              <NavLink to="/data">Data</NavLink>
            </li>
            <li>
              <NavLink to="/screener">Screener</NavLink>
            </li>
            <li>
              <NavLink to="/templates">Templates</NavLink>
            </li>
            <li>
              <NavLink to="/cohorts">Cohorts</NavLink>
            </li>
            {canReview(user) && (
              <li>
                <NavLink to="/review">Review</NavLink>
              </li>
            )}
            <li>
              <NavLink to="/notifications" className="bell">
                <BellIcon /> <span className="bell-text">Notifications</span>
                {!!unread && (
                  <span className="badge">
                    {unread > 99 ? "99+" : unread}
                    <span className="visually-hidden"> unread</span>
                  </span>
                )}
              </NavLink>
            </li>
          </ul>
        </nav>
        <div className="account">
          <span className="who" title={user.email}>
            {user.display_name}
          </span>
          <button
            type="button"
            className="button small"
            onClick={async () => {
              await logout();
              navigate("/login", { replace: true });
            }}
          >
            Sign out
          </button>
        </div>
      </header>
      <PlanBanner />
      <main id="main" tabIndex={-1} ref={mainRef}>
        <Outlet />
      </main>
    </div>
  );
}

function BellIcon() {
  return (
    <svg width="18" height="18" viewBox="0 0 24 24" aria-hidden="true" focusable="false" className="bell-icon">
      <path
        fill="currentColor"
        d="M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 22Zm7-6V11a7 7 0 0 0-5.5-6.84V3.5a1.5 1.5 0 0 0-3 0v.66A7 7 0 0 0 5 11v5l-2 2v1h18v-1l-2-2Z"
      />
    </svg>
  );
}


export function PlanBanner() {
  const plan = usePlanUsage();
  if (!plan.data) return <div className="plan-banner" aria-hidden="true" />;
  const p = plan.data;
  const b = p.backtests_today;
  const full = b.used >= b.limit;
  return (
    <div className={`plan-banner${full ? " plan-full" : ""}`}>
      <p>
        <strong>{p.plan_name} plan</strong> · {b.used} of {b.limit} backtests today
        {p.concurrent_runs.used > 0 && (
          <>
            {" "}
            · {p.concurrent_runs.used} of {p.concurrent_runs.limit} running now
          </>
        )}
        {" · "}
        <Link to="/plan">{p.upgrade ? "Plan and upgrade" : "Plan details"}</Link>
      </p>
    </div>
  );
}
