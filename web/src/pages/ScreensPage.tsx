// `/screener/screens`: the caller's screens (at most 10): create one, edit or delete it. A
// screen watches its symbols for the built-in alerts it names, or runs a strategy version as a
// block screen, and may send each alert as a notification.
import { useEffect, useId, useRef, useState } from "react";
import { ErrorMessage } from "../components/Field";
import { ScreenForm } from "../components/screener/ScreenForm";
import { ScreenList } from "../components/screener/ScreenList";
import { ScreenerNav } from "../components/screener/ScreenerNav";
import { useScreens } from "../hooks/screener";
import { useTitle } from "../hooks/useTitle";
import type { Screen } from "../lib/screener";
import "../styles/screener.css";

const MAX_SCREENS = 10;

export default function ScreensPage() {
  useTitle("My screens");
  const screens = useScreens();
  const formHeading = useId();
  const [editing, setEditing] = useState<Screen | null>(null);
  // A new form after each save (its fields start empty again).
  const [formKey, setFormKey] = useState(0);
  const [announce, setAnnounce] = useState("");
  const headingRef = useRef<HTMLHeadingElement>(null);
  const list = screens.data ?? [];
  const full = list.length >= MAX_SCREENS;

  useEffect(() => {
    if (!editing) return;
    headingRef.current?.scrollIntoView({ block: "start" });
    headingRef.current?.focus({ preventScroll: true });
  }, [editing]);

  return (
    <>
      <div className="page-head">
        <h1>My screens</h1>
        <ScreenerNav />
      </div>
      <p className="lead">
        A screen watches the symbols you name and tells you when one of the built-in alerts fires on them, or when one of
        your strategies would enter.
      </p>
      <p role="status" className="screens-saved success-box">
        {announce}
      </p>
      <ErrorMessage error={screens.error} />
      {screens.isLoading && <p role="status">Loading your screens…</p>}
      {screens.data && (
        <p className="meta">
          {list.length} of {MAX_SCREENS} screens
        </p>
      )}
      {screens.data && !list.length && <p className="empty">No screens yet: make your first one below.</p>}
      {list.length > 0 && (
        <ScreenList
          screens={list}
          onEdit={(s) => {
            setAnnounce("");
            setEditing(s);
          }}
          onDeleted={(name) => {
            if (editing?.name === name) setEditing(null);
            setAnnounce(`Deleted “${name}”.`);
          }}
        />
      )}
      <section className="card screen-form-card" aria-labelledby={formHeading}>
        <h2 id={formHeading} ref={headingRef} tabIndex={-1}>
          {editing ? `Edit “${editing.name}”` : "New screen"}
        </h2>
        {!editing && full ? (
          <p className="notice-box">You have {MAX_SCREENS} screens, the most an account keeps: delete one to make another.</p>
        ) : (
          <ScreenForm
            key={editing ? `edit-${editing.id}` : `new-${formKey}`}
            screen={editing ?? undefined}
            onCancel={editing ? () => setEditing(null) : undefined}
            onDone={(saved) => {
              setAnnounce(editing ? `Saved “${saved.name}”.` : `Created “${saved.name}”.`);
              setEditing(null);
              setFormKey((k) => k + 1);
            }}
          />
        )}
      </section>
    </>
  );
}
