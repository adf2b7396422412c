// Account email, end to end: a real SMTP server (aiosmtpd's Mailbox handler, one file per
// message in a Maildir's new/) stands in for the mail relay (BB_SMTP_URL). A new account signs
// up through the form; the plan page asks to confirm the address, and the confirmation email's
// /verify-email link confirms it on load ("verified"), after which the plan page no longer asks.
// Signed out, "Forgot your password?" on the log in page asks for the email and answers the
// same generic message as for an address without an account; the reset email's
// /reset-password link refuses a weak password beside the field, then sets a strong one. The
// old password no longer logs in, the new one does, and the same link again says it expired or
// was used. Axe at 1440 and 390 px on both pages, and nothing wider than a 390 px phone.
//
// The server binds port 0 and BB_PUBLIC_URL is not set (the harness picks no port before the
// start): the emails' links must name the address the server really bound.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { startServer, launchBrowser, screenshot, axe, repoDir, sticksOut } from "./harness.mjs";

/** The repository's virtualenv (`scripts/setup test` installs aiosmtpd into it). */
const python = resolve(repoDir, ".venv/bin/python");
const WAIT = { timeout: 60_000 };
const stamp = Date.now();
const USER = { email: `reset-${stamp}@example.com`, password: "violet harbour stamps quickly", name: "Rhea Reset" };
const NEW_PASSWORD = "copper lantern drifts westward";
const WEAK_PASSWORD = "password1234";

let server;
let browser;
let smtp;
let mailDir;

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
  assert.ok(existsSync(python), `no virtualenv at ${python}: run \`.venv/bin/pip install aiosmtpd==1.4.6\``);
  mailDir = mkdtempSync(join(tmpdir(), "bb-account-mail-"));
  for (const sub of ["tmp", "new", "cur"]) mkdirSync(join(mailDir, sub), { recursive: true });
  const port = await freePort();
  smtp = spawn(python, ["-m", "aiosmtpd", "-n", "-l", `127.0.0.1:${port}`, "-c", "aiosmtpd.handlers.Mailbox", mailDir], {
    stdio: ["ignore", "inherit", "inherit"],
  });
  await accepting(port, smtp);
  server = await startServer({
    env: { BB_SMTP_URL: `smtp://127.0.0.1:${port}`, BB_MAIL_FROM: "Blockbuilders <accounts@blockbuilders.test>" },
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

/** A part's body decoded: base64, or quoted-printable (soft line breaks `=\n` and `=\r\n`
 * undone, `=3D` and the other escapes turned back into bytes). */
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

/** Every message in new/, oldest first: `{ file, headers, subject, to, text }`. */
function messages() {
  return readdirSync(join(mailDir, "new"))
    .map((file) => ({ file, text: readFileSync(join(mailDir, "new", file), "utf8") }))
    .map(({ file, text }) => {
      const { headers, body } = splitMessage(text);
      const to = [...(headers["x-rcptto"] ?? []), ...(headers.to ?? [])].join(", ");
      const date = Date.parse(headers.date?.[0] ?? "") || 0;
      return { file, date, headers, subject: headers.subject?.[0] ?? "", to, text: textParts(headers, body).map((p) => p.text).join("\n") };
    })
    .sort((a, b) => a.date - b.date || a.file.localeCompare(b.file));
}

/** The messages to USER holding a link to `path` (`/verify-email`, `/reset-password`). */
function mailWith(path) {
  return messages().filter((m) => m.to.toLowerCase().includes(USER.email.toLowerCase()) && m.text.includes(`${path}?token=`));
}

/** Waits (at most a minute) until `n` messages to USER link to `path`; resolves to them. */
async function mailArrives(path, n = 1) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const found = mailWith(path);
    if (found.length >= n) return found;
    const all = messages().map((m) => `${m.to}: ${m.subject}`);
    assert.ok(Date.now() < deadline, `${found.length} of ${n} emails to ${USER.email} linking to ${path}; the mailbox has ${JSON.stringify(all)}`);
    await new Promise((ok) => setTimeout(ok, 100));
  }
}

/** The link to `path` in `message`, on the server's own address. */
function linkIn(message, path) {
  const escaped = path.replace(/[/-]/g, "\\$&");
  const found = message.text.match(new RegExp(`https?://[^\\s"'<>]*${escaped}\\?token=[^\\s"'<>&]+`))?.[0];
  assert.ok(found, `the email "${message.subject}" links to ${path}: ${message.text}`);
  const link = new URL(found);
  assert.equal(link.origin, new URL(server.url).origin, `the link names the server's address: ${found}`);
  return link.href;
}

// ---- The API and the page -----------------------------------------------------------------

async function call(method, path, body, bearer) {
  const r = await fetch(`${server.url}${path}`, {
    method,
    headers: { "Content-Type": "application/json", ...(bearer ? { Authorization: `Bearer ${bearer}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : null };
}

function axeFindings(violations) {
  return violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}

/** What is wider than the screen: the page, and any element sticking out of it. */
const overflows = (page) => sticksOut(page);

/** Axe at 1440 px and at 390 px (where nothing may be wider than the phone), with screenshots. */
async function checkBothWidths(page, name) {
  await page.setViewportSize({ width: 1440, height: 900 });
  assert.deepEqual(axeFindings(await axe(page)), [], `axe on ${name} at 1440 px`);
  await screenshot(page, `${name}-1440`);
  await page.setViewportSize({ width: 390, height: 844 });
  assert.deepEqual(axeFindings(await axe(page)), [], `axe on ${name} at 390 px`);
  assert.deepEqual(await overflows(page), [], `${name} fits a 390 px phone`);
  await screenshot(page, `${name}-390`);
  await page.setViewportSize({ width: 1440, height: 900 });
}

/** Logs in through the form; resolves once the form answered (home page, or its error). */
async function logInWith(page, password) {
  await page.goto(`${server.url}/login`);
  await page.getByRole("heading", { level: 1, name: "Log in" }).waitFor(WAIT);
  await page.getByLabel("Email").fill(USER.email);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Log in" }).click();
}

test("confirm the email address, then reset a forgotten password by email", async () => {
  const errors = [];
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, bypassCSP: true });
  const page = await context.newPage();
  page.on("pageerror", (e) => errors.push(e.message));

  // Sign up through the form: the server emails a link to confirm the address.
  await page.goto(`${server.url}/signup`);
  await page.getByRole("heading", { level: 1, name: "Create your account" }).waitFor(WAIT);
  await page.getByLabel("Your name (optional)").fill(USER.name);
  await page.getByLabel("Email").fill(USER.email);
  await page.getByLabel("Password").fill(USER.password);
  await page.getByRole("button", { name: "Sign up" }).click();
  await page.getByRole("heading", { level: 1, name: `Welcome, ${USER.name}` }).waitFor(WAIT);
  const [confirmation] = await mailArrives("/verify-email");

  // The plan page asks to confirm it; asking again answers (sent, or wait a minute).
  await page.goto(`${server.url}/plan`);
  const banner = page.getByRole("region", { name: "Confirm your email address to get emails from us" });
  await banner.waitFor(WAIT);
  await banner.getByText(USER.email).waitFor();
  await banner.getByRole("button", { name: "Send the link again" }).click();
  const answered = banner.locator('[role="status"]:not(:empty), [role="alert"]');
  await answered.first().waitFor(WAIT);
  const resent = (await banner.getByRole("alert").count()) === 0;
  assert.ok((await answered.first().textContent()).trim().length > 0, "the button's answer is said");
  assert.deepEqual(axeFindings(await axe(page)), [], "axe on the plan page with the notice");
  await page.setViewportSize({ width: 390, height: 844 });
  assert.deepEqual(await overflows(page), [], "the notice fits a 390 px phone");
  await screenshot(page, "account-verify-banner-390");
  await page.setViewportSize({ width: 1440, height: 900 });

  // The newest link confirms the address on load (a link sent again may replace the first).
  const latest = resent ? (await mailArrives("/verify-email", 2)).at(-1) : confirmation;
  await page.goto(linkIn(latest, "/verify-email"));
  await page.getByRole("heading", { level: 1, name: "Confirm your email address" }).waitFor(WAIT);
  const verified = page.getByRole("status").filter({ hasText: "is verified" });
  await verified.waitFor(WAIT);
  assert.match(await verified.textContent(), new RegExp(`Your email address ${USER.email.replace(/[.+]/g, "\\$&")} is verified`));
  await checkBothWidths(page, "account-verify-email");

  // The plan page no longer asks.
  await page.getByRole("link", { name: "Go to Blockbuilders" }).click();
  await page.goto(`${server.url}/plan`);
  await page.getByRole("heading", { level: 1, name: "Your plan" }).waitFor(WAIT);
  await page.getByRole("heading", { name: "What you use" }).waitFor(WAIT);
  assert.equal(await page.getByText("Confirm your email address to get emails from us").count(), 0, "no notice once confirmed");

  // Signed out: "Forgot your password?" on the log in page.
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.getByRole("heading", { level: 1, name: "Log in" }).waitFor(WAIT);
  await page.getByRole("link", { name: "Forgot your password?" }).click();
  await page.getByRole("heading", { level: 1, name: "Reset your password" }).waitFor(WAIT);
  assert.equal(new URL(page.url()).pathname, "/reset-password");
  await checkBothWidths(page, "account-reset-request");
  await page.getByLabel("Email").fill(USER.email);
  await page.getByRole("button", { name: "Send the link" }).click();
  const generic = page.getByRole("status").filter({ hasText: /./ });
  await generic.waitFor(WAIT);
  const said = (await generic.textContent()).trim();
  // The same words for an address without an account: the answer never tells who has one.
  const stranger = await call("POST", "/api/v1/auth/password-reset", { email: `nobody-${stamp}@example.com` });
  assert.equal(stranger.status, 202, JSON.stringify(stranger.body));
  assert.equal(said, stranger.body.message, "the page shows the server's generic message");
  assert.match(said, /if an account exists/i);
  await screenshot(page, "account-reset-requested-1440");

  // The reset email's link: a weak password is refused beside the field, a strong one is set.
  const [resetMail] = await mailArrives("/reset-password");
  const resetLink = linkIn(resetMail, "/reset-password");
  await page.goto(resetLink);
  await page.getByRole("heading", { level: 1, name: "Choose a new password" }).waitFor(WAIT);
  await checkBothWidths(page, "account-reset-choose");
  const newPassword = page.getByLabel("New password", { exact: true });
  const again = page.getByLabel("New password again");
  await newPassword.fill(WEAK_PASSWORD);
  await again.fill(WEAK_PASSWORD);
  await page.getByRole("button", { name: "Change the password" }).click();
  await page.locator('input[aria-invalid="true"]').first().waitFor(WAIT);
  assert.equal(await newPassword.getAttribute("aria-invalid"), "true", "the new password field is marked");
  const describedBy = (await newPassword.getAttribute("aria-describedby")) ?? "";
  const fieldError = page.locator(".field-error").first();
  const refusal = (await fieldError.textContent()).trim();
  assert.ok(describedBy.split(" ").includes(await fieldError.getAttribute("id")), "the field names its error");
  assert.match(refusal, /guess|common|password/i, `the server's reason: ${refusal}`);
  assert.equal(await page.getByRole("alert").count(), 0, "beside the field, not a form error");
  assert.deepEqual(axeFindings(await axe(page)), [], "axe with the refusal");
  await screenshot(page, "account-reset-weak-1440");

  await page.getByLabel("Show the passwords").check();
  assert.equal(await newPassword.getAttribute("type"), "text", "shown");
  await newPassword.fill(NEW_PASSWORD);
  await again.fill(NEW_PASSWORD);
  await page.getByRole("button", { name: "Change the password" }).click();
  await page.getByRole("status").filter({ hasText: "Your password is changed. Sign in with it." }).waitFor(WAIT);
  await page.getByRole("link", { name: "Log in" }).first().waitFor();
  await screenshot(page, "account-reset-done-1440");

  // The old password no longer logs in; the new one does.
  await logInWith(page, USER.password);
  await page.getByRole("alert").filter({ hasText: "do not match" }).waitFor(WAIT);
  await logInWith(page, NEW_PASSWORD);
  await page.getByRole("heading", { level: 1, name: `Welcome, ${USER.name}` }).waitFor(WAIT);

  // The same link again: expired or used, with a way to ask for a new one.
  const later = await browser.newContext({ viewport: { width: 390, height: 844 }, bypassCSP: true });
  const out = await later.newPage();
  out.on("pageerror", (e) => errors.push(e.message));
  await out.goto(resetLink);
  await out.getByRole("heading", { level: 1, name: "Choose a new password" }).waitFor(WAIT);
  await out.getByLabel("New password", { exact: true }).fill("another quite long phrase here");
  await out.getByLabel("New password again").fill("another quite long phrase here");
  await out.getByRole("button", { name: "Change the password" }).click();
  await out.getByRole("alert").filter({ hasText: /expired or was already used/ }).waitFor(WAIT);
  await out.getByRole("link", { name: "Send me a new link" }).waitFor();
  assert.deepEqual(axeFindings(await axe(out)), [], "axe on the used link's page");
  assert.deepEqual(await overflows(out), [], "the used link's page fits a phone");
  await screenshot(out, "account-reset-used-390");
  await later.close();

  // The new password still logs in (the refused link changed nothing).
  const check = await call("POST", "/api/v1/auth/login", { email: USER.email, password: NEW_PASSWORD });
  assert.equal(check.status, 200, JSON.stringify(check.body));

  assert.deepEqual(errors, [], "no page errors");
  await context.close();
});
