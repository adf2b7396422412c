import { lazy, Suspense, type ReactNode } from "react";
import { Link, Navigate, Route, Routes, useLocation } from "react-router-dom";
import { Shell } from "./components/Shell";
import { useAuth } from "./hooks/auth";
import { DELETED_STATE, isAccountDeleted } from "./lib/accountDeleted";
import { ToastProvider } from "./hooks/toasts";
import { UpgradeProvider } from "./hooks/upgrade";
import { LoginPage, SignupPage } from "./pages/AuthPages";
import HomePage from "./pages/HomePage";
import ResultsPage from "./pages/ResultsPage";
import StrategiesPage from "./pages/StrategiesPage";

// The canvas (React Flow) and the chart pages (lightweight-charts) load on demand so the
// logged-in shell stays small. The results page itself is in the shell (its charts are not),
// so a finished run shows its numbers without waiting for a download.
const CanvasPage = lazy(() => import("./canvas/CanvasPage"));
const ComparePage = lazy(() => import("./pages/ComparePage"));
const SweepPage = lazy(() => import("./pages/SweepPage"));
const RobustnessPage = lazy(() => import("./pages/RobustnessPage"));
const StrategyPage = lazy(() => import("./pages/StrategyPage"));
const HistoryPage = lazy(() => import("./pages/HistoryPage"));
const NotificationsPage = lazy(() => import("./pages/NotificationsPage"));
const PlanPage = lazy(() => import("./pages/PlanPage"));
const DataPage = lazy(() => import("./pages/DataPage"));
const PaperListPage = lazy(() => import("./pages/PaperListPage"));
const PaperRunPage = lazy(() => import("./pages/PaperRunPage"));
const TemplatesPage = lazy(() => import("./pages/TemplatesPage"));
const MyTemplatesPage = lazy(() => import("./pages/MyTemplatesPage"));
const ReviewPage = lazy(() => import("./pages/ReviewPage"));
const CohortsPage = lazy(() => import("./pages/CohortsPage"));
const CohortPage = lazy(() => import("./pages/CohortPage"));
const WebhooksPage = lazy(() => import("./pages/WebhooksPage"));
const NotificationSettingsPage = lazy(() => import("./pages/NotificationSettingsPage"));
const OperationsPage = lazy(() => import("./pages/OperationsPage"));
const UnsubscribePage = lazy(() => import("./pages/UnsubscribePage"));
const ResetPasswordPage = lazy(() => import("./pages/ResetPasswordPage"));
const VerifyEmailPage = lazy(() => import("./pages/VerifyEmailPage"));
const ScreenerPage = lazy(() => import("./pages/ScreenerPage"));
const ScreensPage = lazy(() => import("./pages/ScreensPage"));

function RequireAuth({ children }: { children: ReactNode }) {
  const { status } = useAuth();
  const location = useLocation();
  if (status === "loading") return <p role="status" className="boot">Loading…</p>;
  if (status === "out") {
    // Just deleted: to the login page that says so, not back to where the account was.
    if (isAccountDeleted(null)) return <Navigate to="/login" replace state={DELETED_STATE} />;
    const next = `${location.pathname}${location.search}${location.hash}`;
    return <Navigate to={next === "/" ? "/login" : `/login?next=${encodeURIComponent(next)}`} replace />;
  }
  return <>{children}</>;
}

function PublicOnly({ children }: { children: ReactNode }) {
  const { status } = useAuth();
  const location = useLocation();
  if (status === "loading") return <p role="status" className="boot">Loading…</p>;
  if (status === "in") {
    const next = new URLSearchParams(location.search).get("next");
    return <Navigate to={next && next.startsWith("/") && !next.startsWith("//") ? next : "/"} replace />;
  }
  return <>{children}</>;
}

function Page({ children }: { children: ReactNode }) {
  return <Suspense fallback={<p role="status">Loading…</p>}>{children}</Suspense>;
}

function NotFound() {
  return (
    <>
      <h1>Page not found</h1>
      <p>
        There is nothing here. <Link to="/">Go to the home page</Link>.
      </p>
    </>
  );
}

export function App() {
  return (
    <ToastProvider>
      <UpgradeProvider>
        <Routes>
          <Route
            path="/login"
            element={
              <PublicOnly>
                <LoginPage />
              </PublicOnly>
            }
          />
          <Route
            path="/signup"
            element={
              <PublicOnly>
                <SignupPage />
              </PublicOnly>
            }
          />
          <Route path="/unsubscribe" element={<Page><UnsubscribePage /></Page>} />
          <Route path="/reset-password" element={<Page><ResetPasswordPage /></Page>} />
          <Route path="/verify-email" element={<Page><VerifyEmailPage /></Page>} />
          <Route
            element={
              <RequireAuth>
                <Shell />
              </RequireAuth>
            }
          >
            <Route index element={<HomePage />} />
            <Route path="strategies" element={<StrategiesPage />} />
            <Route path="strategies/:id" element={<Page><StrategyPage /></Page>} />
            <Route path="strategies/:id/edit" element={<Page><CanvasPage /></Page>} />
            <Route path="backtests" element={<Page><HistoryPage /></Page>} />
            <Route path="backtests/:id" element={<ResultsPage />} />
            <Route path="paper" element={<Page><PaperListPage /></Page>} />
            <Route path="paper/:id" element={<Page><PaperRunPage /></Page>} />
            <Route path="compare" element={<Page><ComparePage /></Page>} />
            <Route path="sweeps/:id" element={<Page><SweepPage /></Page>} />
            <Route path="robustness/:id" element={<Page><RobustnessPage /></Page>} />
            <Route path="notifications" element={<Page><NotificationsPage /></Page>} />
            <Route path="plan" element={<Page><PlanPage /></Page>} />
            <Route path="data" element={<Page><DataPage /></Page>} />
            <Route path="screener" element={<Page><ScreenerPage /></Page>} />
            <Route path="screener/screens" element={<Page><ScreensPage /></Page>} />
            <Route path="templates" element={<Page><TemplatesPage /></Page>} />
            <Route path="templates/mine" element={<Page><MyTemplatesPage /></Page>} />
            <Route path="review" element={<Page><ReviewPage /></Page>} />
            <Route path="cohorts" element={<Page><CohortsPage /></Page>} />
            <Route path="cohorts/join/:code" element={<Page><CohortsPage /></Page>} />
            <Route path="cohorts/:id" element={<Page><CohortPage /></Page>} />
            <Route path="settings/webhooks" element={<Page><WebhooksPage /></Page>} />
            <Route path="settings/notifications" element={<Page><NotificationSettingsPage /></Page>} />
            <Route path="admin/operations" element={<Page><OperationsPage /></Page>} />
            <Route path="*" element={<NotFound />} />
          </Route>
        </Routes>
      </UpgradeProvider>
    </ToastProvider>
  );
}
