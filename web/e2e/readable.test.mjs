// Results a trader can read (P8): a backtest from a template as the demo user, its results page
// at a desktop and a phone width with nothing spilling out of its cards and tables, numbers
// formatted (separators, units, small prices with significant digits), the run dialog fitting a
// 900 px screen, and compare highlighting the settings that differ between two runs.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { startServer, launchBrowser, screenshot, axe, artifacts, signIn, settled, spillsOut } from "./harness.mjs";

const WAIT = { timeout: 30_000 };
const DESKTOP = { width: 1440, height: 900 };
const PHONE = { width: 390, height: 844 };

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

/** Elements wider than their box: the page itself, cards, KPI cards, chart figures, and
 * tables whose wrapper is not a scroll region by design. */
const overflows = (page, options) =>
  spillsOut(page, ".card, .kpi, .chart, .section, .table-wrap, .compare-runs, .facts", options);

/** Numbers of 5+ digits without a thousands separator, or with 5+ decimals on a big value. */
const LONG_NUMBER = /(?<![\d.,])\d{5,}(?:\.\d+)?(?![\d])|\d{4,}\.\d{2}(?!\d)/;

/** Points at the middle of chart `n` and returns its hover line once it matches `re`. */
async function hoverChart(page, n, hoverIndex, re, x = 0.5) {
  const canvas = page.locator(".chart-canvas").nth(n);
  await canvas.scrollIntoViewIfNeeded();
  const b = await canvas.boundingBox();
  const hover = page.locator(".chart-hover").nth(hoverIndex);
  // The chart answers a pointer that moves over it: one pixel further each try, until the
  // hover line says what is asked (a bar without the value shows another line).
  for (let i = 0; i < 20; i++) {
    await page.mouse.move(b.x + b.width * x + i, b.y + b.height * 0.5);
    const matched = await page
      .waitForFunction(
        ([k, source, flags]) => new RegExp(source, flags).test(document.querySelectorAll(".chart-hover")[k]?.innerText ?? ""),
        [hoverIndex, re.source, re.flags],
        { polling: "raf", timeout: 500 },
      )
      .then(() => true, () => false);
    if (matched) return hover.innerText();
  }
  const text = await hover.innerText();
  assert.match(text, re);
  return text;
}

async function runDialogFits(page) {
  const dialog = page.getByRole("dialog", { name: /^Run a backtest/ });
  await dialog.getByLabel("Fee per trade (%)").waitFor(WAIT);
  const box = await dialog.boundingBox();
  assert.ok(box, "the dialog is shown");
  assert.ok(box.y >= 0 && box.y + box.height <= 900 + 1, `the dialog fits 900 px: ${JSON.stringify(box)}`);
  // The run button is reachable without scrolling the page.
  const run = dialog.getByRole("button", { name: "Run backtest" });
  await run.scrollIntoViewIfNeeded();
  const rb = await run.boundingBox();
  assert.ok(rb && rb.y + rb.height <= 900, "the run button is on screen");
  return dialog;
}

test("a result reads well at 1440 and 390 px; compare marks what differs", async () => {
  const context = await browser.newContext({ viewport: DESKTOP, bypassCSP: true });
  const page = await context.newPage();
  try {
    await journey(page);
  } catch (e) {
    await screenshot(page, "failed-readable").catch(() => {});
    throw e;
  } finally {
    await context.close();
  }
});

async function journey(page) {
  const errors = [];
  page.on("pageerror", (e) => errors.push(e));
  await signIn(page, server.url);

  // A template, run as the demo user.
  await page.goto(`${server.url}/`);
  const card = page.getByRole("article", { name: "SMA crossover" });
  await card.waitFor(WAIT);
  await card.getByRole("button", { name: "Use this template" }).click();
  await card.getByRole("button", { name: "Run backtest" }).click();
  let dialog = await runDialogFits(page);
  await page.screenshot({ path: join(artifacts, "readable-run-dialog.png") });
  // The time from "Run" to the first chart drawn (printed, not asserted: a measurement).
  const runClicked = Date.now();
  await dialog.getByRole("button", { name: "Run backtest" }).click();
  await page.getByRole("heading", { level: 1, name: /^Result: SMA crossover/ }).waitFor(WAIT);
  await page.waitForFunction(
    () => [...document.querySelectorAll(".chart-canvas canvas")].some((c) => c.width > 0 && c.height > 0),
    null,
    WAIT,
  );
  console.log(`# Run to first chart paint: ${Date.now() - runClicked} ms (SMA crossover on the demo BTC-USD daily candles)`);
  await page.getByRole("region", { name: "Trades" }).locator("tbody tr").first().waitFor(WAIT);
  await page.locator(".chart-canvas canvas").nth(2).waitFor(WAIT);
  const firstUrl = page.url();

  // Money carries its unit; the equity chart has buy and hold and a log-scale switch.
  await page.getByText(/10,000 USD became/).waitFor();
  await page.locator(".chart-legend", { hasText: "buy and hold" }).first().waitFor();
  assert.ok((await page.getByRole("checkbox", { name: "Log scale" }).count()) >= 2, "a labelled log scale switch");
  await page.getByRole("heading", { name: "Settings of this run" }).waitFor();
  assert.ok((await page.getByRole("region", { name: "Settings of this run" }).locator("tbody tr").count()) >= 2);

  // KPI and chart texts: no long unformatted numbers.
  const kpiText = await page.locator(".kpis").innerText();
  assert.doesNotMatch(kpiText, LONG_NUMBER, kpiText);
  const hover = await hoverChart(page, 0, 0, /account [\d,.]+ USD/);
  assert.doesNotMatch(hover, LONG_NUMBER, hover);
  const ohlc = await hoverChart(page, 2, 1, /O [\d,.]+ H [\d,.]+ L [\d,.]+ C [\d,.]+ USD/, 0.6);
  assert.doesNotMatch(ohlc, LONG_NUMBER, ohlc);
  // The crosshair is synced: pointing at the candles moves the equity chart's line too.
  const synced = await page.locator(".chart-hover").first().innerText();
  assert.match(synced, /account/, "the equity chart follows the candle chart's crosshair");

  assert.deepEqual(await overflows(page), [], "nothing spills at 1440 px");
  await screenshot(page, "readable-results-1440");

  // The same page on a phone.
  await page.setViewportSize(PHONE);
  await settled(page);
  assert.deepEqual(await overflows(page), [], "nothing spills at 390 px");
  await screenshot(page, "readable-results-390");
  // Screen-sized views of the phone page, easier to read than the long full page.
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(artifacts, "readable-results-390-top.png") });
  await page.locator(".chart").first().scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(artifacts, "readable-results-390-charts.png") });
  await page.getByRole("heading", { name: /^Trades/ }).scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(artifacts, "readable-results-390-trades.png") });
  await page.setViewportSize(DESKTOP);

  // A second run with other settings: a small-priced pair and another fee.
  await page.getByRole("button", { name: "Run again with other settings" }).click();
  dialog = await runDialogFits(page);
  const select = dialog.getByLabel("Candles to test on");
  const ada = await select.locator("option", { hasText: /^ADA-BTC/ }).first().getAttribute("value");
  assert.ok(ada, "the demo data has ADA-BTC");
  await select.selectOption(ada);
  await dialog.getByLabel("Fee per trade (%)").fill("0.2");
  await dialog.getByRole("button", { name: "Run backtest" }).click();
  await page.waitForURL((u) => u.href !== firstUrl && /\/backtests\/[^/]+$/.test(u.pathname), WAIT);
  await page.getByRole("heading", { level: 1, name: /^Result: SMA crossover/ }).waitFor(WAIT);
  await page.locator(".kpis").waitFor(WAIT);
  await page.getByText(/10,000 BTC became/).waitFor(WAIT);
  await page.locator(".chart-canvas canvas").nth(2).waitFor(WAIT);
  const trades = page.getByRole("region", { name: "Trades" });
  if (await trades.locator("tbody tr").count()) {
    const priceText = await trades.locator("tbody tr").first().locator("td").nth(2).innerText();
    assert.doesNotMatch(priceText, /^0\.00$/, "a small price keeps its digits");
    assert.match(priceText, /^0\.0000\d+/, priceText);
  }
  await hoverChart(page, 2, 1, /O 0\.0000\d+ /);
  assert.deepEqual(await overflows(page), [], "nothing spills on the small-priced result");
  await screenshot(page, "readable-results-small-prices");
  const secondUrl = page.url();

  // The result stays clean for axe.
  const v2 = await axe(page);
  assert.deepEqual(v2.map((v) => v.id), [], "axe on results");

  // History at 1440 px, then tick the two runs and compare them (in-app navigation: a reload
  // would race the token refresh).
  const nav = (name) => page.getByRole("navigation", { name: "Main" }).getByRole("link", { name, exact: true });
  await nav("Backtests").click();
  await page.getByRole("heading", { level: 1, name: "Backtests" }).waitFor(WAIT);
  const boxes = page.getByRole("checkbox", { name: /^Compare SMA crossover/ });
  await boxes.nth(1).waitFor(WAIT);
  assert.deepEqual(await overflows(page), [], "history at 1440 px");
  await screenshot(page, "readable-history-1440");
  await boxes.nth(0).check();
  await boxes.nth(1).check();
  await page.getByRole("button", { name: "Compare 2 runs" }).click();
  await page.getByRole("heading", { level: 1, name: "Compare backtests" }).waitFor(WAIT);
  for (const u of [firstUrl, secondUrl]) {
    await page.locator(`a[href="/backtests/${u.split("/").pop()}"]`).first().waitFor(WAIT);
  }

  // The differing settings are highlighted.
  const settings = page.getByRole("region", { name: "Settings side by side" });
  await settings.locator("tbody tr").first().waitFor(WAIT);
  const differing = settings.locator("tbody tr.differs");
  const names = await differing.locator("th").allInnerTexts();
  assert.ok(names.some((n) => n.includes("Fee per trade")), names.join(" | "));
  assert.ok(names.some((n) => /\bData\b/.test(n)), names.join(" | "));
  const same = await settings.locator("tbody tr:not(.differs)").count();
  assert.ok(same >= 2, "the block settings that agree are not marked");
  await page.locator(".chart-canvas canvas").first().waitFor(WAIT);
  assert.deepEqual(await overflows(page), [], "compare at 1440 px");
  const violations = await axe(page);
  assert.deepEqual(violations.map((v) => v.id), [], "axe on compare");
  await screenshot(page, "readable-compare-1440");
  await page.setViewportSize(PHONE);
  await settled(page);
  assert.deepEqual(await overflows(page, { scrollRegions: true }), [], "compare at 390 px");
  await screenshot(page, "readable-compare-390");

  // History on a phone.
  await nav("Backtests").click();
  await page.getByRole("heading", { level: 1, name: "Backtests" }).waitFor(WAIT);
  await page.locator(".run-table tbody tr").first().waitFor(WAIT);
  assert.deepEqual(await overflows(page), [], "history at 390 px");
  await screenshot(page, "readable-history-390");

  assert.deepEqual(errors, []);
}
