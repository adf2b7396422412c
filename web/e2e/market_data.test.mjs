// Market data on demand, against the local Binance stand-in (tools/fake_binance.py: its REST
// API and its public dumps): on the Data page a market picked by typing (ETH-USDT, 4-hour
// candles, one year), the fetch's progress, "Ready", the new dataset listed and a backtest run
// on it; in the run dialog, "Another market…" fetching an unstored one (BTC-USDT daily) and
// the run on it. Axe clean, nothing wider than a 390 px phone, the dialog within 900 px.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launchBrowser, screenshot, axe, signIn, settled, spillsOut } from "./harness.mjs";

const WAIT = { timeout: 60_000 };

let server;
let browser;

before(async () => {
  server = await startServer({ fakeBinance: true });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** A UTC date `days` ago, as a date input takes it. */
function daysAgo(days) {
  return new Date(Date.now() - days * 86_400_000).toISOString().slice(0, 10);
}

const overflows = (page) => spillsOut(page, ".card, .section, .market-picker, .field-row");

/** Remembers, in the page, whether a progress bar was ever shown (a fast fetch shows it briefly). */
async function watchProgress(page) {
  await page.evaluate(() => {
    window.__sawProgress = false;
    const seen = () => {
      if (document.querySelector('.market-picker [role="progressbar"], .run-market [role="progressbar"]')) window.__sawProgress = true;
    };
    new MutationObserver(seen).observe(document.body, { childList: true, subtree: true, attributes: true });
    seen();
  });
}

/** Types `typed` into the picker's combobox and chooses the option starting with `symbol`. */
async function pickMarket(page, scope, typed, symbol) {
  const box = scope.getByRole("combobox", { name: "Market" });
  await box.fill(typed);
  const option = page.getByRole("option", { name: new RegExp(`^${symbol} `) });
  await option.waitFor(WAIT);
  assert.equal(await box.getAttribute("aria-expanded"), "true");
  return { box, option };
}

test("the Data page gets ETH-USDT 4-hour candles from Binance and runs a backtest on them", async () => {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, bypassCSP: true });
  const page = await context.newPage();
  await signIn(page, server.url);
  await page.goto(`${server.url}/data`);
  await page.getByRole("heading", { level: 1, name: "Data" }).waitFor(WAIT);
  const section = page.getByRole("region", { name: "Get market data" });
  await section.waitFor(WAIT);

  // A market Binance does not list: the server's reason, on the field.
  await section.getByRole("combobox", { name: "Market" }).fill("FOO-BAR");
  await section.getByRole("combobox", { name: "Market" }).press("Escape");
  await section.getByRole("button", { name: "Get data" }).click();
  await section.locator(".field-error").first().waitFor(WAIT);
  assert.equal(await section.getByRole("combobox", { name: "Market" }).getAttribute("aria-invalid"), "true");

  // Type-ahead: "eth" lists ETH-USDT (ETH priced in USDT) and ETH-BTC; arrow keys move.
  const { box, option } = await pickMarket(page, section, "eth", "ETH-USDT");
  assert.match(await option.innerText(), /ETH-USDT · ETH priced in USDT/);
  await page.getByRole("option", { name: /^ETH-BTC / }).waitFor(WAIT);
  // BTC-USDT does not match eth (the list may show the previous matches for a moment).
  await page.getByRole("option", { name: /^BTC-USDT / }).waitFor({ state: "detached", ...WAIT });
  await box.press("ArrowDown");
  assert.match((await box.getAttribute("aria-activedescendant")) ?? "", /opt-0$/);
  await screenshot(page, "market-data-picker");
  assert.deepEqual(await axe(page), [], "axe: the picker with its list open");
  await option.click();
  assert.equal(await box.inputValue(), "ETH-USDT");
  assert.equal(await box.getAttribute("aria-expanded"), "false");

  await section.getByLabel("Timeframe").selectOption("4h");
  assert.match(await section.getByLabel("Timeframe").locator("option:checked").innerText(), /4-hour/);
  assert.equal(await section.getByLabel("From").inputValue(), daysAgo(365), "a year ago by default");
  await section.getByLabel("From").fill(daysAgo(360));

  await watchProgress(page);
  await section.getByRole("button", { name: "Get data" }).click();
  const ready = section.getByRole("status").filter({ hasText: /^Ready: [\d,]+ candles of ETH-USDT, 4-hour/ });
  await ready.waitFor(WAIT);
  assert.ok(await page.evaluate(() => window.__sawProgress), "the fetch's progress was shown");
  const candles = Number((await ready.innerText()).match(/Ready: ([\d,]+) candles/)[1].replace(/,/g, ""));
  assert.ok(candles >= 359 * 6 && candles <= 361 * 6, `about 360 days of 4-hour candles, got ${candles}`);

  // The new dataset is listed (shared, from Binance).
  const card = page.locator(".dataset-card").filter({ has: page.getByRole("heading", { level: 3, name: /ETH-USDT · 4-hour/ }) });
  await card.waitFor(WAIT);
  await card.getByText("Shared, from Binance").waitFor();
  await screenshot(page, "market-data-ready");
  assert.deepEqual(await axe(page), [], "axe: the data page with the data ready");

  // Asking again: everything is stored already.
  await section.getByRole("button", { name: "Get data" }).click();
  await section.getByRole("status").filter({ hasText: /^Already stored: [\d,]+ candles of ETH-USDT/ }).waitFor(WAIT);

  // A phone: nothing wider than the screen.
  await page.setViewportSize({ width: 390, height: 844 });
  await settled(page);
  assert.deepEqual(await overflows(page), [], "nothing spills out at 390 px");
  await page.setViewportSize({ width: 1440, height: 900 });

  // A backtest on it.
  await section.getByLabel("Strategy to test").selectOption({ label: "SMA crossover" });
  await section.getByRole("button", { name: "Backtest with this data" }).click();
  const dialog = page.getByRole("dialog", { name: "Run a backtest: SMA crossover" });
  await dialog.getByLabel("Fee per trade (%)").waitFor(WAIT);
  assert.match(await dialog.getByLabel("Candles to test on").locator("option:checked").innerText(), /^ETH-USDT · 4-hour candles/);
  await dialog.getByRole("button", { name: "Run backtest" }).click();
  await page.getByRole("heading", { level: 1, name: /^Result: SMA crossover/ }).waitFor(WAIT);
  await context.close();
});

test("the run dialog's Another market… fetches BTC-USDT daily candles and runs on them", async () => {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, bypassCSP: true });
  const page = await context.newPage();
  await signIn(page, server.url);
  await page.goto(`${server.url}/strategies`);
  const card = page.getByRole("article", { name: "SMA crossover" });
  await card.getByRole("button", { name: "Run backtest" }).click();
  const dialog = page.getByRole("dialog", { name: "Run a backtest: SMA crossover" });
  await dialog.getByLabel("Fee per trade (%)").waitFor(WAIT);

  await dialog.getByLabel("Candles to test on").selectOption({ label: "Another market… (get it from Binance)" });
  const { option } = await pickMarket(page, dialog, "btc-u", "BTC-USDT");
  await option.click();
  await dialog.getByLabel("Timeframe").selectOption("1d");
  await dialog.getByLabel("From").fill(daysAgo(365));
  // Up to a month ago: the run below (up to now) brings the dataset up to date first.
  await dialog.getByLabel("To (optional)").fill(daysAgo(30));
  // Within a 900 px high screen; the picker without scrolling inside the dialog (the settings
  // form scrolled inside it before, and still does).
  const fits = async (what, noScroll) => {
    const m = await dialog.evaluate((el) => {
      const r = el.getBoundingClientRect();
      return { top: r.top, bottom: r.bottom, scroll: el.scrollHeight, client: el.clientHeight };
    });
    assert.ok(m.top >= 0 && m.bottom <= 900, `the dialog fits 900 px (${what}): ${JSON.stringify(m)}`);
    if (noScroll) assert.ok(m.scroll <= m.client + 1, `nothing to scroll in the dialog (${what}): ${JSON.stringify(m)}`);
  };
  await fits("the picker", true);
  assert.deepEqual(await axe(page), [], "axe: the picker in the run dialog");
  await screenshot(page, "market-data-dialog-picker");

  await watchProgress(page);
  await dialog.getByRole("button", { name: "Get data" }).click();
  // Back at the settings with the new candles chosen.
  await dialog.getByRole("status").filter({ hasText: /^Ready and chosen: BTC-USDT · daily candles/ }).waitFor(WAIT);
  assert.ok(await page.evaluate(() => window.__sawProgress), "the fetch's progress was shown");
  assert.match(await dialog.getByLabel("Candles to test on").locator("option:checked").innerText(), /^BTC-USDT · daily candles/);
  await fits("the settings", false);
  await screenshot(page, "market-data-dialog-ready");

  // The dataset ends a month ago; the run asks for candles up to now, so it is refreshed
  // first (one shared fetch) and the result's data reaches yesterday.
  assert.match(await dialog.getByLabel("Candles to test on").locator("option:checked").innerText(), new RegExp(`to ${daysAgo(31)}`));
  await dialog.getByRole("button", { name: "Run backtest" }).click();
  await page.getByRole("heading", { level: 1, name: /^Result: SMA crossover/ }).waitFor(WAIT);
  await page.getByText(new RegExp(daysAgo(1))).first().waitFor(WAIT);
  await context.close();
});

test("with Binance unreachable the Data page says so, and stored datasets still work", async () => {
  const offline = await startServer({ binanceDown: true });
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, bypassCSP: true });
  try {
    const page = await context.newPage();
    await signIn(page, offline.url);
    await page.goto(`${offline.url}/data`);
    const section = page.getByRole("region", { name: "Get market data" });
    const alert = section.getByRole("alert").first();
    await alert.waitFor(WAIT);
    assert.match(await alert.innerText(), /binance/i);
    assert.match(await alert.innerText(), /stored datasets still work/i);
    // Asking anyway: the server's plain words again.
    await section.getByRole("combobox", { name: "Market" }).fill("ETH-USDT");
    await section.getByRole("combobox", { name: "Market" }).press("Escape");
    await section.getByRole("button", { name: "Get data" }).click();
    await section.getByRole("button", { name: "Get data" }).and(page.locator(":enabled")).waitFor(WAIT);
    await settled(page);
    // The same words are not said twice.
    assert.equal(await section.getByRole("alert").count(), 1);
    assert.match(await section.getByRole("alert").innerText(), /stored datasets still work/i);
    assert.deepEqual(await axe(page), [], "axe: the data page with Binance unreachable");
    // The stored (demo) datasets are listed as ever.
    await page.getByRole("heading", { level: 3, name: /BTC-USD · daily/ }).waitFor(WAIT);
    await screenshot(page, "market-data-offline");
  } finally {
    await context.close();
    await offline.stop();
  }
});
