// Email, end to end: a real SMTP server (aiosmtpd's Mailbox handler, one file per message in a
// Maildir's new/) stands in for the mail relay (BB_SMTP_URL). A new account runs a backtest and
// gets an email about it, with RFC 8058 one-click unsubscribe headers. In Notification settings
// it turns "backtest finished" emails off and saves; the next backtest shows in the app but
// sends no email. Recent emails shows the first one sent. The email's unsubscribe link
// (/unsubscribe?token=…), opened signed out, does not unsubscribe on load, only on the button;
// the List-Unsubscribe address takes RFC 8058's one-click POST (and ignores a GET).
// Axe at 1440 and 390 px, and nothing wider than a 390 px phone.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { startServer, launchBrowser, screenshot, axe, signIn, sticksOut } from "./harness.mjs";

const here = new URL(".", import.meta.url).pathname;
/** The repository's virtualenv (`scripts/setup test` installs aiosmtpd into it). */
const python = resolve(here, "../../.venv/bin/python");
const WAIT = { timeout: 60_000 };
const stamp = Date.now();
const USER = { email: `mail-${stamp}@example.com`, password: "violet harbour stamps quickly", display_name: "Mae Mailer" };
const SUCCEEDED = "backtest.succeeded";

let server;
let browser;
let smtp;
let mailDir;
let token;

/** A port nothing listens on right now (listen on 0, read it, close). */
function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once("error", fail);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

/** Waits until something accepts connections on `port` (at most 30 seconds). */
async function accepting(port, child) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const ok = await new Promise((done) => {
      const socket = connect(port, "127.0.0.1");
      socket.once("connect", () => {
        socket.destroy();
        done(true);
      });
      socket.once("error", () => done(false));
    });
    if (ok) return;
    assert.equal(child.exitCode, null, "the SMTP server exited");
    assert.ok(Date.now() < deadline, `nothing accepts connections on port ${port}`);
    await new Promise((done) => setTimeout(done, 50));
  }
}

before(async () => {
  mailDir = mkdtempSync(join(tmpdir(), "bb-mail-"));
  for (const sub of ["tmp", "new", "cur"]) mkdirSync(join(mailDir, sub), { recursive: true });
  const port = await freePort();
  smtp = spawn(python, ["-m", "aiosmtpd", "-n", "-l", `127.0.0.1:${port}`, "-c", "aiosmtpd.handlers.Mailbox", mailDir], {
    stdio: ["ignore", "inherit", "inherit"],
  });
  await accepting(port, smtp);
  server = await startServer({
    env: { BB_SMTP_URL: `smtp://127.0.0.1:${port}`, BB_MAIL_FROM: "Blockbuilders <alerts@blockbuilders.test>" },
  });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  if (smtp && smtp.exitCode === null) {
    await new Promise((ok) => {
      smtp.once("exit", ok);
      smtp.kill("SIGTERM");
    });
  }
});

// ---- Reading the Maildir ------------------------------------------------------------------

/** RFC 2047 encoded words (`=?utf-8?q?…?=`, `=?utf-8?b?…?=`) as text. */
function decodeWords(value) {
  return value
    .replace(/\?=\s+=\?/g, "?==?")
    .replace(/=\?([^?]+)\?([bBqQ])\?([^?]*)\?=/g, (_, _charset, enc, text) =>
      enc.toLowerCase() === "b"
        ? Buffer.from(text, "base64").toString("utf8")
        : Buffer.from(text.replace(/_/g, " ").replace(/=([0-9A-Fa-f]{2})/g, (_m, h) => String.fromCharCode(parseInt(h, 16))), "latin1").toString("utf8"),
    );
}

/** Headers (lower-cased names, unfolded, all values of each) and the body of an RFC 5322 text. */
function splitMessage(text) {
  const cut = text.search(/\r?\n\r?\n/);
  const head = cut < 0 ? text : text.slice(0, cut);
  const body = cut < 0 ? "" : text.slice(cut).replace(/^\r?\n\r?\n/, "");
  const headers = {};
  for (const line of head.replace(/\r?\n[ \t]+/g, " ").split(/\r?\n/)) {
    const i = line.indexOf(":");
    if (i <= 0) continue;
    const name = line.slice(0, i).trim().toLowerCase();
    (headers[name] ??= []).push(decodeWords(line.slice(i + 1).trim()));
  }
  return { headers, body };
}

function decodeBody(headers, body) {
  const encoding = (headers["content-transfer-encoding"]?.[0] ?? "").toLowerCase();
  if (encoding === "base64") return Buffer.from(body.replace(/\s+/g, ""), "base64").toString("utf8");
  if (encoding === "quoted-printable") {
    const bytes = body.replace(/=\r?\n/g, "").replace(/=([0-9A-Fa-f]{2})/g, (_m, h) => String.fromCharCode(parseInt(h, 16)));
    return Buffer.from(bytes, "latin1").toString("utf8");
  }
  return body;
}

/** The text parts of a message (text/plain first, then text/html), decoded. */
function textParts(headers, body) {
  const type = headers["content-type"]?.[0] ?? "text/plain";
  const boundary = type.match(/boundary="?([^";]+)"?/i)?.[1];
  if (!/^multipart\//i.test(type) || !boundary) return /^text\//i.test(type) ? [{ type, text: decodeBody(headers, body) }] : [];
  const parts = body.split(`--${boundary}`).slice(1);
  return parts
    .filter((p) => !p.startsWith("--"))
    .flatMap((p) => {
      const inner = splitMessage(p.replace(/^\r?\n/, ""));
      return textParts(inner.headers, inner.body);
    })
    .sort((a, b) => Number(/html/i.test(a.type)) - Number(/html/i.test(b.type)));
}

/** Every message in new/: `{ file, headers, subject, to, text }`. */
function messages() {
  return readdirSync(join(mailDir, "new"))
    .sort()
    .map((file) => {
      const { headers, body } = splitMessage(readFileSync(join(mailDir, "new", file), "utf8"));
      const to = [...(headers["x-rcptto"] ?? []), ...(headers.to ?? [])].join(", ");
      return { file, headers, subject: headers.subject?.[0] ?? "", to, text: textParts(headers, body).map((p) => p.text).join("\n") };
    });
}

/** The messages to USER whose subject matches `subject`. */
function mailFor(subject) {
  return messages().filter((m) => m.to.toLowerCase().includes(USER.email.toLowerCase()) && subject.test(m.subject));
}

/** Waits (at most a minute) until `n` messages to USER match `subject`; resolves to them. */
async function mailArrives(subject, n = 1) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const found = mailFor(subject);
    if (found.length >= n) return found;
    const all = messages().map((m) => `${m.to}: ${m.subject}`);
    assert.ok(Date.now() < deadline, `${found.length} of ${n} emails to ${USER.email} about ${subject}; the mailbox has ${JSON.stringify(all)}`);
    await new Promise((ok) => setTimeout(ok, 100));
  }
}

// ---- The API ------------------------------------------------------------------------------

async function call(method, path, body, bearer = token) {
  const r = await fetch(`${server.url}${path}`, {
    method,
    headers: { "Content-Type": "application/json", ...(bearer ? { Authorization: `Bearer ${bearer}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : null };
}

/** Polls `check` (an async function answering a truthy value when done) for at most a minute. */
async function until(what, check) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const v = await check();
    if (v) return v;
    assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
    await new Promise((ok) => setTimeout(ok, 100)); // polling the API, not synchronising the page
  }
}

/** Runs a backtest of `strategyId` through the API and waits for it to finish. */
async function runBacktest(strategyId) {
  const r = await call("POST", "/api/v1/backtests", { strategy_id: strategyId, symbol: "BTC-USD" });
  assert.equal(r.status, 202, JSON.stringify(r.body));
  const run = await until("the backtest to finish", async () => {
    const b = (await call("GET", `/api/v1/backtests/${r.body.id}`)).body;
    return ["succeeded", "failed", "cancelled"].includes(b.status) ? b : null;
  });
  assert.equal(run.status, "succeeded", JSON.stringify(run));
  return run;
}

/** The in-app notifications of `kind`. */
async function notificationsOf(kind) {
  const list = (await call("GET", "/api/v1/notifications?limit=100")).body;
  return list.items.filter((n) => n.kind === kind);
}

async function preference(kind) {
  const view = (await call("GET", "/api/v1/notification-preferences")).body;
  return view.kinds.find((k) => k.kind === kind);
}

// ---- The page -----------------------------------------------------------------------------

function axeFindings(violations) {
  return violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}

/** What is wider than the screen: the page, and any element sticking out of it (outside a
 * box that scrolls sideways itself). */
const overflows = (page) => sticksOut(page);

test("a backtest's email, turned off in Notification settings, and the unsubscribe link", async () => {
  const reg = await call("POST", "/api/v1/auth/register", USER, null);
  assert.equal(reg.status, 202, `registers: ${JSON.stringify(reg.body)}`);
  const login = await call("POST", "/api/v1/auth/login", { email: USER.email, password: USER.password }, null);
  assert.equal(login.status, 200, JSON.stringify(login.body));
  token = login.body.access_token;

  // A starter template, copied, run: the finished backtest is emailed right away (the default).
  const templates = (await call("GET", "/api/v1/strategies?visibility=public")).body;
  const rsi = templates.items.find((s) => s.title === "RSI mean reversion");
  assert.ok(rsi, "the RSI template");
  const clone = await call("POST", `/api/v1/strategies/${rsi.id}/clone`, {});
  assert.equal(clone.status, 201, JSON.stringify(clone.body));
  const strategyId = clone.body.strategy.id;
  await runBacktest(strategyId);
  const [first] = await mailArrives(/backtest/i);
  assert.match(first.headers.from?.[0] ?? "", /alerts@blockbuilders\.test/, "from BB_MAIL_FROM");
  assert.equal(first.headers["list-unsubscribe-post"]?.[0], "List-Unsubscribe=One-Click", "RFC 8058 one-click");
  const listUnsubscribe = first.headers["list-unsubscribe"]?.[0] ?? "";
  assert.match(listUnsubscribe, /<https?:\/\/[^>]+>/, `an HTTP(S) List-Unsubscribe: ${listUnsubscribe}`);
  const pageLink = first.text.match(/https?:\/\/[^\s"'<>]*\/unsubscribe\?token=[^\s"'<>]+/)?.[0];
  assert.ok(pageLink, `the email links to the unsubscribe page: ${first.text}`);

  const errors = [];
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, bypassCSP: true });
  const page = await context.newPage();
  page.on("pageerror", (e) => errors.push(e.message));
  await signIn(page, server.url, { email: USER.email, password: USER.password });

  // From Notifications to its settings.
  await page.goto(`${server.url}/notifications`);
  await page.getByRole("link", { name: "Notification settings" }).click();
  await page.getByRole("heading", { level: 1, name: "Notification settings" }).waitFor(WAIT);
  assert.equal(new URL(page.url()).pathname, "/settings/notifications");
  await page.getByText(`Emails go to ${USER.email}`).waitFor(WAIT);
  assert.equal(await page.getByText("Email is not set up on this server").count(), 0, "this server sends email");

  // The grid: one row per kind, in the app always on.
  const grid = page.getByRole("table", { name: "How each notification reaches you" });
  const row = grid.locator(`tr[data-kind="${SUCCEEDED}"]`);
  await row.waitFor(WAIT);
  const description = (await row.locator(".prefs-description").textContent()).trim();
  assert.match(description, /backtest finished/i);
  const inApp = row.getByRole("checkbox", { name: `In app for ${description}` });
  assert.equal(await inApp.isChecked(), true, "in the app always");
  assert.equal(await inApp.isDisabled(), true, "in the app cannot be turned off");
  const emailSelect = row.getByRole("combobox", { name: `Email for ${description}` });
  assert.equal(await emailSelect.inputValue(), "instant", "emailed right away by default");
  await row.getByRole("checkbox", { name: `Webhook for ${description}` }).waitFor();

  // Recent emails: the first one, sent.
  const emails = page.getByRole("region", { name: "Recent emails" });
  const sent = emails.locator(`tbody tr[data-kind="${SUCCEEDED}"][data-status="sent"]`);
  await sent.first().waitFor(WAIT);
  assert.equal(await sent.count(), 1, "one email about a finished backtest");
  await sent.first().getByText("Sent", { exact: true }).waitFor();
  assert.ok((await sent.first().textContent()).includes(first.subject), `the subject ${first.subject}`);

  assert.deepEqual(axeFindings(await axe(page)), [], "axe at 1440 px");
  await screenshot(page, "email-settings-1440");
  await page.setViewportSize({ width: 390, height: 844 });
  await emailSelect.scrollIntoViewIfNeeded();
  assert.deepEqual(axeFindings(await axe(page)), [], "axe at 390 px");
  assert.deepEqual(await overflows(page), [], "nothing wider than a 390 px phone");
  await screenshot(page, "email-settings-390");
  await page.setViewportSize({ width: 1440, height: 900 });

  // Off, saved.
  await emailSelect.selectOption({ label: "Off" });
  await page.getByRole("button", { name: "Save", exact: true }).click();
  await page.getByRole("status").filter({ hasText: /^Saved/ }).waitFor(WAIT);
  assert.equal((await preference(SUCCEEDED)).email, "off", "the server has it off");
  await page.reload();
  await emailSelect.waitFor(WAIT);
  assert.equal(await emailSelect.inputValue(), "off", "off after a reload");

  // The next backtest: in the app, not by email.
  const earlier = (await notificationsOf(SUCCEEDED)).length;
  await runBacktest(strategyId);
  await until("the second in-app notification", async () => (await notificationsOf(SUCCEEDED)).length > earlier);
  // Not racy: the server writes a notification's email row (queued, or held for the digest) in
  // the same transaction as the in-app notification (crates/store/src/emails.rs, `outbox_in`),
  // so once the second notification is there, an email for it would already be listed by
  // GET /api/v1/emails. Still only the first run's row means none is coming; the mailbox and
  // the page's table agree.
  const listed = (await call("GET", "/api/v1/emails?limit=20")).body.items.filter((e) => e.kind === SUCCEEDED);
  assert.equal(listed.length, 1, `one email about a finished backtest: ${JSON.stringify(listed)}`);
  assert.equal(listed[0].status, "sent");
  assert.equal(mailFor(/backtest/i).length, 1, "no second email about a finished backtest");
  await page.reload();
  await sent.first().waitFor(WAIT);
  assert.equal(await emails.locator(`tbody tr[data-kind="${SUCCEEDED}"]`).count(), 1, "the table lists no second email");

  // Back on, then the email's unsubscribe link, signed out: asks first, stops on the button.
  await emailSelect.selectOption({ label: "Right away" });
  await page.getByRole("button", { name: "Save", exact: true }).click();
  await page.getByRole("status").filter({ hasText: /^Saved/ }).waitFor(WAIT);
  assert.equal((await preference(SUCCEEDED)).email, "instant");

  const stranger = await browser.newContext({ viewport: { width: 390, height: 844 }, bypassCSP: true });
  const out = await stranger.newPage();
  out.on("pageerror", (e) => errors.push(e.message));
  // The server's links start from its public URL; with no BB_PUBLIC_URL that is the bound
  // address as configured (127.0.0.1:0 here), so the test keeps the link's path and query.
  const link = new URL(pageLink);
  await out.goto(`${server.url}${link.pathname}${link.search}`);
  await out.getByRole("heading", { level: 1, name: "Stop emails about finished backtests?" }).waitFor(WAIT);
  assert.equal((await preference(SUCCEEDED)).email, "instant", "opening the link changes nothing");
  assert.deepEqual(axeFindings(await axe(out)), [], "axe on the unsubscribe page");
  assert.deepEqual(await overflows(out), [], "the unsubscribe page fits a phone");
  await screenshot(out, "email-unsubscribe-390");
  await out.getByRole("button", { name: "Stop these emails" }).click();
  const done = out.getByRole("status").filter({ hasText: "You will no longer get emails about" });
  await done.waitFor(WAIT);
  assert.match(await done.textContent(), /finished backtests/);
  await out.getByRole("link", { name: "Notification settings" }).waitFor();
  assert.equal((await preference(SUCCEEDED)).email, "off", "the button turned them off");
  await screenshot(out, "email-unsubscribed-390");
  await stranger.close();

  // RFC 8058: the List-Unsubscribe address, POSTed `List-Unsubscribe=One-Click` with no session
  // (as a mail provider does), stops them too; a GET of it (a link scanner) does not.
  assert.equal((await call("PUT", "/api/v1/notification-preferences", { items: [{ kind: SUCCEEDED, email: "instant" }] })).status, 200);
  const oneClick = new URL(listUnsubscribe.match(/<(https?:\/\/[^>]+)>/)[1]);
  const target = `${server.url}${oneClick.pathname}${oneClick.search}`;
  await fetch(target);
  assert.equal((await preference(SUCCEEDED)).email, "instant", "a GET of the one-click address changes nothing");
  const posted = await fetch(target, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: "List-Unsubscribe=One-Click",
  });
  assert.equal(posted.status, 200, await posted.text());
  assert.equal((await preference(SUCCEEDED)).email, "off", "the one-click POST turned them off");

  assert.deepEqual(errors, [], "no page errors");
  await context.close();
});
