// Notification settings: how each kind of notification reaches you (in the app always; by
// email right away, in a daily digest or not at all; to your webhooks or not), where emails go
// and whether this server sends email at all, then the recent emails with their delivery state.
import { Link } from "react-router-dom";
import { ErrorMessage } from "../components/Field";
import { PreferencesGrid } from "../components/notifications-settings/PreferencesGrid";
import { RecentEmails } from "../components/notifications-settings/RecentEmails";
import { usePreferences } from "../hooks/notificationPrefs";
import { useTitle } from "../hooks/useTitle";
import "../styles/notification-settings.css";

export default function NotificationSettingsPage() {
  useTitle("Notification settings");
  const prefs = usePreferences();
  const view = prefs.data;
  return (
    <>
      <p className="breadcrumb">
        <Link to="/notifications">Notifications</Link> › Settings
      </p>
      <h1>Notification settings</h1>
      <p className="lead">
        Choose how each kind of notification reaches you: in the app (always), by email right away or in one daily
        digest, and to your webhooks.
      </p>
      <ErrorMessage error={prefs.error} />
      {prefs.isLoading && <p role="status">Loading your settings…</p>}
      {view && (
        <>
          <p className="prefs-address">
            Emails go to <strong className="prefs-email">{view.email.address}</strong>.
          </p>
          {!view.email.sending && (
            <p className="notice-box prefs-no-email">
              Email is not set up on this server, so no email is sent for now. Your email choices are kept and apply
              once it is.
            </p>
          )}
          <PreferencesGrid view={view} />
          <RecentEmails kinds={view.kinds} />
        </>
      )}
    </>
  );
}
