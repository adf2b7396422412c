// The browser tests' harness: the real `blockbuilders` binary on a fresh SQLite database
// with the demo data (`serve --demo`, workers in-process), the built UI (`web/dist`), and
// Debian's Chromium driven by playwright-core (no browser download).
//
// BB_BIN overrides the binary (default: ../target/debug/blockbuilders, which `make test`
// builds); CHROMIUM overrides the browser (default: /usr/bin/chromium).
import { spawn } from "node:child_process";
import { createHmac } from "node:crypto";
import { mkdtempSync, mkdirSync, existsSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { chromium } from "playwright-core";

const here = new URL(".", import.meta.url).pathname;
export const webDir = resolve(here, "..");
export const repoDir = resolve(webDir, "..");
export const artifacts = resolve(here, "artifacts");
/** The `blockbuilders` binary the tests run (BB_BIN, else the debug build). */
export const binPath = process.env.BB_BIN ?? resolve(repoDir, "target/debug/blockbuilders");
mkdirSync(artifacts, { recursive: true });

/** Starts tools/fake_binance.py (Binance's REST API and public dumps, in their real formats);
 * resolves to `{ url, stop() }` once it prints its port. */
export async function startFakeBinance(env = {}) {
  const child = spawn("python3", [join(repoDir, "tools/fake_binance.py")], {
    cwd: repoDir,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const port = await new Promise((ok, fail) => {
    const lines = createInterface({ input: child.stdout });
    lines.once("line", (line) => ok(line.trim()));
    child.on("error", fail);
    child.on("exit", (code) => fail(new Error(`the fake Binance exited with ${code}`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () => new Promise((ok) => { if (child.exitCode !== null) return ok(); child.once("exit", ok); child.kill("SIGTERM"); }),
  };
}

/**
 * Starts the server; resolves to `{ url, dbPath, stop() }` once it prints its address.
 * `fakeBinance: true` also starts tools/fake_binance.py and points the server's Binance
 * (`BB_BINANCE_URL`, `BB_BINANCE_DUMPS_URL`) at it; `binanceDown: true` makes it answer 503.
 * `env` adds variables to the server's environment (`BB_WEBHOOK_ALLOW_PRIVATE: "true"`).
 */
export async function startServer({ fakeBinance = false, binanceDown = false, env = {} } = {}) {
  const binance = fakeBinance || binanceDown ? await startFakeBinance(binanceDown ? { FAKE_BINANCE_DOWN: "1" } : {}) : null;
  // Without the stand-in, Binance is a closed local port: the tests never reach the internet.
  const binanceEnv = binance
    ? { BB_BINANCE_URL: binance.url, BB_BINANCE_DUMPS_URL: binance.url }
    : { BB_BINANCE_URL: "http://127.0.0.1:9", BB_BINANCE_DUMPS_URL: "off" };
  const bin = binPath;
  if (!existsSync(bin)) throw new Error(`no binary at ${bin}: run \`cargo build -p blockbuilders\` first`);
  if (!existsSync(join(webDir, "dist/index.html"))) throw new Error("the UI is not built: run `npm run build`");
  const dir = mkdtempSync(join(tmpdir(), "bb-e2e-"));
  const child = spawn(
    bin,
    ["serve", "--demo", "--bind", "127.0.0.1:0", "--database-url", `sqlite://${join(dir, "e2e.db")}`],
    {
      cwd: repoDir,
      env: {
        ...process.env,
        ...binanceEnv,
        BB_WEB_DIR: join(webDir, "dist"),
        BB_LOG: "warn",
        BB_JWT_SECRET: "e2e-secret-that-is-long-enough-for-hs256",
        ...env,
      },
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  const url = await new Promise((ok, fail) => {
    const lines = createInterface({ input: child.stdout });
    lines.on("line", (line) => {
      const m = line.match(/running at (http:\/\/\S+)/);
      if (m) ok(m[1]);
    });
    child.on("exit", (code) => fail(new Error(`the server exited with ${code}`)));
  }).catch(async (e) => {
    await binance?.stop();
    throw e;
  });
  return {
    url,
    dbPath: join(dir, "e2e.db"),
    binanceUrl: binance?.url,
    stop: async () => {
      await new Promise((ok) => { child.once("exit", ok); child.kill("SIGTERM"); });
      await binance?.stop();
    },
  };
}

/** Launches headless Chromium with the flags this machine needs. */
export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/** Runs axe-core on the page; returns the serious and critical violations. */
export async function axe(page) {
  const source = readFileSync(join(webDir, "node_modules/axe-core/axe.min.js"), "utf8");
  await page.addScriptTag({ content: source });
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    return await window.axe.run(document, { runOnly: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] });
  });
  return result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
}

/** Fails with every serious or critical axe violation on the page, naming `what`. */
export async function assertNoAxeViolations(page, what) {
  const violations = await axe(page);
  const found = violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
  if (found.length > 0) throw new Error(`axe on ${what}:\n${found.join("\n")}`);
}

/** A JSON call to the API at `url` (with a token when given): `{ status, body }`. */
export async function callApi(url, token, method, path, body) {
  const r = await fetch(`${url}/api/v1${path}`, {
    method,
    headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...(body ? { "Content-Type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : null };
}

/** Saves a full-page screenshot under e2e/artifacts. */
export async function screenshot(page, name) {
  await page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true });
}

/**
 * Resolves once the layout stands still: the viewport, the document's size and the boxes of
 * the elements matching `selector` are the same on three animation frames in a row (after a
 * resize, a re-render or an animated move). Waiting on the layout itself, not on a clock.
 */
export async function settled(page, selector = "body *") {
  await page.evaluate(() => {
    delete window.__bbSettle;
  });
  await page.waitForFunction(
    (sel) => {
      const root = document.documentElement;
      const boxes = [...document.querySelectorAll(sel)].slice(0, 3000).map((e) => {
        const r = e.getBoundingClientRect();
        return [r.x, r.y, r.width, r.height];
      });
      const now = JSON.stringify([innerWidth, innerHeight, root.scrollWidth, root.scrollHeight, boxes]);
      const seen = (window.__bbSettle ??= { layout: null, frames: 0 });
      seen.frames = seen.layout === now ? seen.frames + 1 : 0;
      seen.layout = now;
      return seen.frames >= 2;
    },
    selector,
    { polling: "raf", timeout: 30_000 },
  );
}

/**
 * What sticks out past the right edge of the screen (a phone's, say): the page when it is
 * wider than the viewport, then up to 10 elements of `main` whose box ends past that edge,
 * leaving out those inside `skip` (containers that scroll sideways on purpose).
 */
export async function sticksOut(page, { skip = ".table-wrap, .main-nav" } = {}) {
  return page.evaluate((skip) => {
    const out = [];
    const root = document.documentElement;
    if (root.scrollWidth > root.clientWidth + 1) out.push(`page ${root.scrollWidth} > ${root.clientWidth}`);
    for (const el of document.querySelectorAll("main *")) {
      if (el.closest(skip)) continue;
      const r = el.getBoundingClientRect();
      if (r.width && r.right > root.clientWidth + 1) out.push(`${el.tagName.toLowerCase()}.${el.className} sticks out: right ${Math.round(r.right)}`);
    }
    return out.slice(0, 10);
  }, skip);
}

/**
 * What spills out sideways: the page when it is wider than the viewport (naming the
 * narrowest element past its edge), then each element matching `boxes` whose content is
 * wider than it or that ends past the edge. With `scrollRegions`, a wide table in a
 * labelled, focusable scroll region is left out: it scrolls on purpose (compare on a phone).
 */
export async function spillsOut(page, boxes, { scrollRegions = false } = {}) {
  return page.evaluate(([boxes, scrollRegions]) => {
    const out = [];
    const root = document.documentElement;
    const named = (el, n) => `${el.className} "${(el.textContent ?? "").trim().slice(0, n)}"`;
    if (root.scrollWidth > root.clientWidth + 1) {
      let widest = null;
      for (const el of document.body.querySelectorAll("*")) {
        const r = el.getBoundingClientRect();
        if (r.right > root.clientWidth + 1 && (!widest || r.width < widest.r.width)) widest = { el, r };
      }
      out.push(`page ${root.scrollWidth} > ${root.clientWidth} (${widest ? `${widest.el.tagName}.${named(widest.el, 30)}` : ""})`);
    }
    for (const el of document.querySelectorAll(boxes)) {
      if (scrollRegions && el.matches('.table-wrap[role="region"][tabindex="0"]')) continue;
      if (el.scrollWidth > el.clientWidth + 1) out.push(`${named(el, 40)}: ${el.scrollWidth} > ${el.clientWidth}`);
      const r = el.getBoundingClientRect();
      if (r.right > root.clientWidth + 1) out.push(`${el.className} sticks out: right ${Math.round(r.right)}`);
    }
    return out;
  }, [boxes, scrollRegions]);
}

/** The demo account that `serve --demo` seeds. */
export const DEMO = { email: "demo@blockbuilders.local", password: "demo-password-123" };

/** Signs `page` in as `creds` through the API (the login page's own request), so a test starts
 * on a signed-in page without clicking through the form. */
export async function signIn(page, url, creds = DEMO) {
  await page.goto(`${url}/login`);
  await page.evaluate(async (creds) => {
    const r = await fetch("/api/v1/auth/login", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(creds),
    });
    if (!r.ok) throw new Error(`login answered ${r.status}`);
    sessionStorage.setItem("bb.token", (await r.json()).access_token);
  }, creds);
}

/** RFC 4648 base32 (no padding) to bytes. */
function base32(text) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = 0;
  let value = 0;
  const out = [];
  for (const c of text.replace(/=+$/, "").toUpperCase()) {
    const i = alphabet.indexOf(c);
    if (i < 0) throw new Error(`not base32: ${c}`);
    value = (value << 5) | i;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** The TOTP code (RFC 6238: HMAC-SHA1, 6 digits, 30 s) for now plus `steps` × 30 s: what an
 * authenticator app shows. The server accepts one step either way, and each step once. */
export function totp(secret, steps = 0) {
  const counter = Math.floor(Date.now() / 1000 / 30) + steps;
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac("sha1", base32(secret)).update(message).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const number = (mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return String(number).padStart(6, "0");
}

/** A JSON POST to the API for the helpers below (with a token when given); throws unless it
 * answers 200. */
async function post(url, path, token, body) {
  const r = await fetch(`${url}/api/v1${path}`, {
    method: "POST",
    headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...(body ? { "Content-Type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await r.text();
  if (r.status !== 200) throw new Error(`POST ${path} answered ${r.status}: ${text}`);
  return text ? JSON.parse(text) : null;
}

/** Turns two-factor sign-in on for the account of `token` through the API: a secret from
 * `POST /auth/2fa/setup`, confirmed at `/auth/2fa/enable` with the current code (so that step
 * is used). Resolves to `{ secret, recoveryCodes }`. */
export async function enableTwoFactor(url, token) {
  const { secret } = await post(url, "/auth/2fa/setup", token);
  const { recovery_codes: recoveryCodes } = await post(url, "/auth/2fa/enable", token, { code: totp(secret) });
  return { secret, recoveryCodes };
}

/** Signs `creds` (an account with two-factor sign-in on) in through the API: the password, then
 * the code step, the challenge answered at `/auth/2fa/verify` with `answer` (`{ code }`, or
 * `{ recovery_code }`). Resolves to the access token. */
export async function signInTwoFactor(url, creds, answer) {
  const login = await post(url, "/auth/login", null, creds);
  if (login.two_factor_required !== true) throw new Error(`the login asked for no code: ${JSON.stringify(login)}`);
  return (await post(url, "/auth/2fa/verify", null, { challenge: login.challenge, ...answer })).access_token;
}

/** Signs `page` in as `creds` (two-factor sign-in on) through the login form and its code
 * step, with `code` (each code works once: the one that turned it on is used, so
 * `totp(secret, 1)`, the app's next one, right after enabling). */
export async function signInWithCode(page, url, creds, code) {
  const wait = { timeout: 30_000 };
  await page.goto(`${url}/login`);
  await page.getByLabel("Email").fill(creds.email);
  await page.getByLabel("Password").fill(creds.password);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.getByLabel("Authentication code").fill(code, wait);
  await page.getByRole("button", { name: "Verify" }).click();
  await page.getByRole("button", { name: "Sign out" }).waitFor(wait);
}
