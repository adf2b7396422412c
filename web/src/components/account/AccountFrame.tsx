// The frame of the pages an account email's links open (reset the password, confirm the
// address): signed in or not, without the app's navigation, like the log in page.
import type { ReactNode } from "react";
import { useTitle } from "../../hooks/useTitle";
import "./account.css";

export function AccountFrame({ title, children }: { title: string; children: ReactNode }) {
  useTitle(title);
  return (
    <div className="auth">
      <a href="#main" className="skip-link">
        Skip to the main content
      </a>
      <header className="auth-header">
        <span className="brand">
          <span aria-hidden="true" className="brand-mark">
            ▦
          </span>{" "}
          Blockbuilders
        </span>
      </header>
      <main id="main" className="auth-main account-page">
        <h1>{title}</h1>
        {children}
      </main>
    </div>
  );
}
