// P8's small things: no console errors on a signed-out first load; a template card that turns
// into "Open my copy"; the strategies list with each strategy's last result and a status that
// means something; recent results on Home; the Templates breadcrumb; a sweep page with the
// heatmap's legend and the robust best.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launchBrowser, screenshot } from "./harness.mjs";

const DEMO = { email: "demo@blockbuilders.local", password: "demo-password-123" };
const WAIT = { timeout: 30_000 };
const nav = (page, name) => page.getByRole("navigation", { name: "Main" }).getByRole("link", { name, exact: true });

let server;
let browser;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** Collects console errors and page errors of `page`. */
function watchErrors(page) {
  const errors = [];
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(`console: ${m.text()} (${m.location()?.url ?? ""})`);
  });
  page.on("pageerror", (e) => errors.push(`page error: ${e.message}`));
  return errors;
}

test("a signed-out first load of / logs no console errors", async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const errors = watchErrors(page);
  const requests = [];
  page.on("request", (r) => {
    if (new URL(r.url()).pathname.startsWith("/api/")) requests.push(new URL(r.url()).pathname);
  });
  await page.goto(`${server.url}/`);
  await page.getByRole("heading", { level: 1, name: "Log in" }).waitFor(WAIT);
  // every request the first load makes has been made
  await page.waitForLoadState("networkidle");
  await screenshot(page, "small-signed-out-first-load");
  assert.deepEqual(errors, [], "no console errors");
  assert.ok(!requests.includes("/api/v1/me"), `no /me before signing in (asked: ${requests.join(", ")})`);

  // Signing in still works, and a reload keeps the session without errors.
  await page.getByLabel("Email").fill(DEMO.email);
  await page.getByLabel("Password").fill(DEMO.password);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.getByRole("heading", { level: 1, name: /^Welcome/ }).waitFor(WAIT);
  // A new tab of the same browser has no token yet: it refreshes through the cookie.
  const second = await context.newPage();
  const secondErrors = watchErrors(second);
  await second.goto(`${server.url}/`);
  await second.getByRole("heading", { level: 1, name: /^Welcome/ }).waitFor(WAIT);
  assert.deepEqual(secondErrors, [], "no console errors in a second tab");
  await context.close();
});

test("template copy, last result, status, recent results, breadcrumb and a robust sweep", async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));

  await page.goto(`${server.url}/login`);
  await page.getByLabel("Email").fill(DEMO.email);
  await page.getByLabel("Password").fill(DEMO.password);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.getByRole("heading", { level: 1, name: /^Welcome/ }).waitFor(WAIT);

  // A template card: copy it, and after a reload it offers the copy instead.
  const card = page.getByRole("article", { name: "RSI mean reversion" });
  await card.getByRole("button", { name: "Use this template" }).click(WAIT);
  await card.getByText("Copied to your strategies.").waitFor(WAIT);
  await page.reload();
  await page.getByRole("heading", { level: 1, name: /^Welcome/ }).waitFor(WAIT);
  const open = page.getByRole("article", { name: "RSI mean reversion" }).getByRole("link", { name: "Open my copy" });
  await open.waitFor(WAIT);
  assert.equal(await page.getByRole("article", { name: "RSI mean reversion" }).getByRole("button", { name: "Use this template" }).count(), 0);
  await screenshot(page, "small-home-open-my-copy");
  const copyHref = await open.getAttribute("href");
  await open.click();
  await page.getByRole("heading", { level: 1, name: "RSI mean reversion" }).waitFor(WAIT);
  assert.equal(new URL(page.url()).pathname, copyHref);
  // The copy is the user's own: its breadcrumb says so.
  assert.match(await page.locator(".breadcrumb").innerText(), /My strategies/);

  // Its sweep: the default ranges, live progress, then the legend and the robust best.
  await page.getByRole("button", { name: "Run sweep" }).click(WAIT);
  await page.getByRole("heading", { level: 1, name: /^Sweep: RSI mean reversion/ }).waitFor(WAIT);
  await page.getByRole("heading", { name: "Heatmap" }).waitFor(WAIT);
  const legend = page.getByTestId("heatmap-legend");
  await legend.waitFor(WAIT);
  assert.match(await legend.innerText(), /Total return:[\s\S]*-?\d[\d.,]*%[\s\S]*\d%/);
  const robust = page.getByTestId("robust-best");
  await robust.waitFor(WAIT);
  assert.match(await robust.innerText(), /on average with its \d+ neighbours?/);
  await page.getByText(/a lone spike surrounded by poor values is usually luck/).waitFor();
  await page.getByTestId("single-best").waitFor();
  await screenshot(page, "small-sweep-legend-robust");

  // A backtest of the copy, from the strategies list.
  await nav(page, "Strategies").click();
  await page.getByRole("heading", { level: 1, name: "My strategies" }).waitFor(WAIT);
  const mine = page.getByRole("article", { name: "RSI mean reversion" }).filter({ hasText: "Only you" });
  await mine.waitFor(WAIT);
  // A copy stays a draft on the server, yet its version is valid: it says "Ready", never "Draft".
  await mine.getByText("Ready", { exact: true }).waitFor(WAIT);
  assert.equal(await page.getByText("Draft", { exact: true }).count(), 0, "no Draft pill on a strategy with valid versions");
  await mine.getByText("Last result: not run yet.").waitFor(WAIT);
  await mine.getByRole("button", { name: "Run backtest" }).click();
  const dialog = page.getByRole("dialog", { name: /^Run a backtest/ });
  await dialog.getByLabel("Fee per trade (%)").waitFor(WAIT);
  await dialog.getByRole("button", { name: "Run backtest" }).click();
  await page.getByRole("heading", { level: 1, name: /^Result: RSI mean reversion/ }).waitFor(WAIT);

  await nav(page, "Strategies").click();
  await page.getByRole("heading", { level: 1, name: "My strategies" }).waitFor(WAIT);
  const last = mine.getByTestId("last-result");
  await last.waitFor(WAIT);
  assert.match(await last.innerText(), /^Last result: [+−-]?\d[\d.,]*% total return \(version 1\) · /);
  await screenshot(page, "small-strategies-last-result");

  // Home lists the recent results.
  await nav(page, "Home").click();
  const recent = page.getByRole("region", { name: "Recent results" }).or(page.locator("section[aria-labelledby=recent-title]"));
  await recent.first().waitFor(WAIT);
  assert.match(await recent.first().innerText(), /RSI mean reversion/);
  await screenshot(page, "small-home-recent-results");

  // A public template's page: the breadcrumb says Templates.
  await page.getByRole("article", { name: "SMA crossover" }).getByRole("link", { name: "Look inside" }).click();
  await page.getByRole("heading", { level: 1, name: "SMA crossover" }).waitFor(WAIT);
  const crumb = await page.locator(".breadcrumb").innerText();
  assert.match(crumb, /^Templates/);
  assert.doesNotMatch(crumb, /My strategies/);
  await screenshot(page, "small-template-breadcrumb");

  assert.deepEqual(errors, []);
  await context.close();
});
