// The browser tests' harness: the real `blockbuilders` binary on a fresh SQLite database
// with the demo data (`serve --demo`, workers in-process), the built UI (`web/dist`), and
// Debian's Chromium driven by playwright-core (no browser download).
//
// BB_BIN overrides the binary (default: ../target/debug/blockbuilders, which `make test`
// builds); CHROMIUM overrides the browser (default: /usr/bin/chromium).
import { spawn } from "node:child_process";
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

/** Saves a full-page screenshot under e2e/artifacts. */
export async function screenshot(page, name) {
  await page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true });
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
