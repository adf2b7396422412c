// The data page (P8): the demo datasets with coverage and quality in words, a candle file
// dragged and dropped onto the import zone (symbol from the file name, upload, result, the new
// dataset listed), a bad file refused with its line number, a dataset's chart with its gaps
// listed, axe clean, and nothing wider than a 390 px phone.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launchBrowser, screenshot, axe, artifacts, signIn, settled, spillsOut } from "./harness.mjs";

const WAIT = { timeout: 30_000 };

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

/** 50 hourly candles from 2024-01-01, with hours 20 to 22 missing (one gap of 3). */
function goodCsv() {
  const start = Date.UTC(2024, 0, 1);
  const lines = ["time,open,high,low,close,volume"];
  for (let i = 0; i < 53; i++) {
    if (i >= 20 && i < 23) continue;
    const t = new Date(start + i * 3_600_000).toISOString().replace(".000Z", "Z");
    const o = 100 + Math.sin(i / 4) * 5;
    const c = o + Math.cos(i / 3);
    lines.push(`${t},${o.toFixed(2)},${(Math.max(o, c) + 1).toFixed(2)},${(Math.min(o, c) - 1).toFixed(2)},${c.toFixed(2)},${10 + i}`);
  }
  return lines.join("\n") + "\n";
}

/** Four rows, the third with high below low (line 4 of the file). */
function badCsv() {
  return [
    "time,open,high,low,close,volume",
    "2024-03-01T00:00:00Z,100,101,99,100.5,10",
    "2024-03-01T01:00:00Z,100.5,102,100,101,12",
    "2024-03-01T02:00:00Z,101,99,103,100,9",
    "2024-03-01T03:00:00Z,100,101,99,100,11",
  ].join("\n") + "\n";
}

/** Drops a file named `name` with `text` onto the import zone, as a drag and drop does. */
async function dropFile(page, name, text) {
  const dataTransfer = await page.evaluateHandle(
    ({ name, text }) => {
      const dt = new DataTransfer();
      dt.items.add(new File([text], name, { type: "text/csv" }));
      return dt;
    },
    { name, text },
  );
  const zone = page.getByTestId("drop-zone");
  await zone.dispatchEvent("dragover", { dataTransfer });
  await zone.dispatchEvent("drop", { dataTransfer });
}

const overflows = (page) => spillsOut(page, ".card, .chart, .section, .drop-zone");

test("the data page lists datasets, imports a dropped file, refuses a bad one, charts the gaps", async () => {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, bypassCSP: true });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e));
  try {
    await signIn(page, server.url);
    await page.goto(`${server.url}/`);
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Data" }).click();
    await page.getByRole("heading", { level: 1, name: "Data" }).waitFor(WAIT);

    // The demo datasets, with coverage and quality in words.
    const cards = page.locator(".dataset-card");
    await cards.first().waitFor(WAIT);
    const demo = cards.filter({ hasText: "Demo data" });
    assert.ok((await demo.count()) >= 1, "a demo dataset is listed");
    const first = await demo.first().innerText();
    assert.match(first, /\d{4}-\d{2}-\d{2} to \d{4}-\d{2}-\d{2} · [\d,]+ candles/);
    assert.match(first, /Quality\s+(No problems found|.*gap|.*candle|Not checked)/s);
    // Market data on demand is offered to everyone (e2e/market_data.test.mjs fetches some);
    // the admins' old fetch form is gone.
    await page.getByRole("region", { name: "Get market data" }).getByRole("button", { name: "Get data" }).waitFor();
    assert.equal(await page.getByRole("button", { name: "Fetch" }).count(), 0);

    // Drop a good file: the symbol comes from its name.
    await dropFile(page, "test_usd-1h.csv", goodCsv());
    const symbol = page.getByLabel("Symbol", { exact: true });
    await symbol.waitFor(WAIT);
    assert.equal(await symbol.inputValue(), "TEST-USD");
    await page.getByRole("button", { name: "Import", exact: true }).click();
    const done = page.locator(".import-result");
    await done.waitFor(WAIT);
    const doneText = await done.innerText();
    assert.match(doneText, /50 new candles stored in TEST-USD, hourly \(a new dataset\)/);
    assert.match(doneText, /1 gap \(3 candles missing\)/);
    const mine = cards.filter({ has: page.getByRole("heading", { name: /^TEST-USD/ }) });
    await mine.waitFor(WAIT);
    assert.match(await mine.innerText(), /Your import[\s\S]*2024-01-01 to 2024-01-03 · 50 candles[\s\S]*1 gap in the data \(3 candles missing\)/);

    // The new dataset opens with its chart and its gap listed.
    const detail = page.getByRole("region", { name: "TEST-USD, hourly candles" });
    await detail.locator(".chart-canvas canvas").first().waitFor(WAIT);
    await detail.getByText("After 2024-01-01 19:00 until 2024-01-01 23:00: 3 candles missing").waitFor(WAIT);
    await settled(page);
    await screenshot(page, "data-page-imported");

    // A bad file: refused with the line it failed on.
    await dropFile(page, "TEST-USD.csv", badCsv());
    await page.getByRole("button", { name: "Import", exact: true }).click();
    const refused = page.locator(".import-error");
    await refused.waitFor(WAIT);
    const refusedText = await refused.innerText();
    assert.match(refusedText, /The file was not imported/);
    assert.match(refusedText, /[Ll]ine 4/);
    await screenshot(page, "data-page-refused");

    // A demo dataset's chart.
    await demo.first().getByRole("button", { name: /^Show the chart/ }).click();
    const demoDetail = page.locator(".dataset-detail");
    await demoDetail.locator(".chart-canvas canvas").first().waitFor(WAIT);
    await demoDetail.getByRole("heading", { name: "Gaps" }).waitFor(WAIT);

    const violations = await axe(page);
    assert.deepEqual(
      violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`),
      [],
      "no serious or critical axe violations",
    );
    assert.deepEqual(await overflows(page), [], "nothing spills out at 1440 px");
    await screenshot(page, "data-page-desktop");

    // A phone.
    await page.setViewportSize({ width: 390, height: 844 });
    await settled(page);
    assert.deepEqual(await overflows(page), [], "nothing spills out at 390 px");
    await screenshot(page, "data-page-phone");
    await page.locator(".dataset-detail").screenshot({ path: `${artifacts}/data-page-phone-chart.png` });
    await page.getByRole("region", { name: "Import a candle file" }).screenshot({ path: `${artifacts}/data-page-phone-import.png` });
    assert.deepEqual(errors, []);
  } catch (e) {
    await screenshot(page, "failed-data-page").catch(() => {});
    throw e;
  } finally {
    await context.close();
  }
});
