// (a) The first journey: sign up → pick a template → run its backtest → the results page with
// KPI cards, the assumptions card and trades. Prints the time from pressing "Run backtest" to
// the results being shown.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launchBrowser, screenshot } from "./harness.mjs";

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

test("sign up, use a template, run its backtest and read the result", async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e));

  // Unauthenticated visitors are sent to log in.
  await page.goto(`${server.url}/strategies`);
  await page.getByRole("heading", { level: 1, name: "Log in" }).waitFor();
  assert.match(page.url(), /\/login\?next=%2Fstrategies$/);
  await screenshot(page, "login");

  await page.getByRole("link", { name: "Create a free account" }).click();
  await page.getByRole("heading", { level: 1, name: "Create your account" }).waitFor();
  await page.getByLabel("Your name (optional)").fill("Ada");
  await page.getByLabel("Email").fill(`ada-${Date.now()}@example.com`);
  await page.getByLabel("Password").fill("violet harbour stamps quickly");
  await page.getByRole("button", { name: "Sign up" }).click();

  // Back where the visitor wanted to go, signed in.
  await page.getByRole("heading", { level: 1, name: "My strategies" }).waitFor();
  await page.getByText("No strategies yet").waitFor();
  await page.getByText(/Free plan/).first().waitFor();
  await page.getByText("0 of 50 backtests today").waitFor();

  await nav(page, "Home").click();
  await page.getByRole("heading", { level: 1, name: "Welcome, Ada" }).waitFor();
  await page.getByText("0 of 5 done").waitFor();
  const cards = page.getByRole("article");
  await cards.filter({ hasText: "SMA crossover" }).first().waitFor();
  assert.equal(await cards.count(), 5, "the five starter templates");
  await screenshot(page, "home");

  const card = page.getByRole("article", { name: "SMA crossover" });
  await card.getByRole("button", { name: "Use this template" }).click();
  await card.getByText("Copied to your strategies.").waitFor();
  await page.getByText("1 of 5 done").waitFor();
  await card.getByRole("button", { name: "Run backtest" }).click();

  const dialog = page.getByRole("dialog", { name: "Run a backtest: SMA crossover" });
  await dialog.waitFor();
  // The honest defaults are shown.
  assert.match(await dialog.getByLabel("Candles to test on").inputValue(), /.+/);
  assert.match(
    await dialog.getByLabel("Candles to test on").locator("option:checked").innerText(),
    /^BTC-USD · daily candles/,
  );
  assert.equal(await dialog.getByLabel("Fee per trade (%)").inputValue(), "0.1");
  assert.equal(await dialog.getByLabel("Slippage (basis points)").inputValue(), "5");
  assert.equal(await dialog.getByLabel("Starting money").inputValue(), "10000");
  assert.ok(await dialog.getByRole("radio", { name: /At the next candle's open/ }).isChecked());
  await screenshot(page, "run-dialog");

  const started = Date.now();
  await dialog.getByRole("button", { name: "Run backtest" }).click();
  await page.getByRole("heading", { level: 1, name: /^Result: SMA crossover/ }).waitFor();
  const kpis = page.getByRole("region", { name: "Key numbers" }).or(page.locator(".kpis"));
  await kpis.first().waitFor();
  await page.locator(".kpi").filter({ hasText: "Total return" }).waitFor();
  await page.getByRole("heading", { name: "Assumptions" }).waitFor();
  const firstTrade = page.getByRole("region", { name: "Trades" }).locator("tbody tr").first();
  await firstTrade.waitFor();
  const elapsed = Date.now() - started;
  console.log(`run-to-results: ${elapsed} ms`);

  // Eight KPI cards, each with a plain-language explanation.
  assert.equal(await page.locator(".kpi").count(), 8);
  for (const name of ["Total return", "Yearly growth (CAGR)", "Worst drop (max drawdown)", "Sharpe ratio", "Win rate", "Profit factor", "Trades", "Time in the market"]) {
    const tip = page.getByRole("button", { name: `What is ${name}?` });
    await tip.waitFor();
  }
  await page.getByRole("button", { name: "What is Total return?" }).focus();
  await page.getByRole("tooltip").filter({ hasText: "starting money grew or shrank" }).waitFor();

  // Assumptions and warnings near the top, with the defaults that were used.
  const assumptions = page.getByRole("region", { name: "Assumptions" });
  await assumptions.getByText("0.10% of every buy and every sell.").waitFor();
  await assumptions.getByText(/5 bps worse/).waitFor();
  await page.getByRole("heading", { name: /^Warnings/ }).waitFor();
  assert.ok((await page.getByRole("region", { name: "Trades" }).locator("tbody tr").count()) >= 1);

  // Charts: account value, drawdown, price with markers.
  await page.getByText("Account value", { exact: true }).waitFor();
  await page.getByText("Price with entries and exits").waitFor();
  await page.locator(".chart-canvas canvas").first().waitFor();

  // The trades sort through the API, and the CSV downloads with the token.
  await page.getByRole("button", { name: /Profit \/ loss %/ }).click();
  await page.locator('th[aria-sort="descending"]').filter({ hasText: "Profit / loss %" }).waitFor();
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("button", { name: "Download all trades (CSV)" }).click(),
  ]);
  assert.match(download.suggestedFilename(), /^trades-.*\.csv$/);

  await screenshot(page, "results");

  // The checklist has moved on: template, run and read are done.
  await nav(page, "Home").click();
  await page.getByText("3 of 5 done").waitFor();

  // The notification for the finished run reached the bell.
  await page.getByRole("link", { name: "Notifications 1 unread" }).waitFor();
  assert.deepEqual(errors, []);
  await context.close();
});
