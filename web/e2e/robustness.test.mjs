// The robustness lab in the browser: a small sweep of the SMA crossover from its strategy page,
// "Check robustness" from the sweep's page (prefilled from the sweep; 3 windows, 200 Monte
// Carlo runs, seed 7), the live page until the verdict, the holdout kept aside ("looked at 0
// times"), opened after a confirmation ("looked at 1 time", its verdict), the strategy page's
// comparison table, axe, and screenshots at 1440 and 390 px.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launchBrowser, screenshot, axe, signIn } from "./harness.mjs";

const WAIT = { timeout: 60_000 };
const LONG = { timeout: 180_000 };

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

test("a sweep's robustness check: verdicts, walk-forward, holdout looks and the strategy's comparison", async () => {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, bypassCSP: true });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));

  await signIn(page, server.url);
  const strategyId = await page.evaluate(async () => {
    const r = await fetch("/api/v1/strategies?mine=true&limit=100", {
      headers: { Authorization: `Bearer ${sessionStorage.getItem("bb.token")}` },
    });
    const list = await r.json();
    return list.items.find((s) => s.title === "SMA crossover").id;
  });
  await page.goto(`${server.url}/strategies/${strategyId}`);
  await page.getByRole("heading", { level: 1, name: "SMA crossover" }).waitFor(WAIT);
  // The section is there before any check, with a way to start one.
  await page.getByRole("heading", { level: 2, name: "Robustness checks" }).waitFor(WAIT);
  await page.getByText("No robustness check yet.").waitFor(WAIT);

  // A small sweep: fast 5..20 step 5, slow 30..90 step 20.
  const first = page.getByRole("group", { name: "First setting" });
  const second = page.getByRole("group", { name: "Second setting" });
  await first.getByLabel("Setting").selectOption("fast.period");
  await first.getByLabel("From").fill("5");
  await first.getByLabel("To").fill("20");
  await first.getByLabel("Step").fill("5");
  await second.getByLabel("Setting").selectOption("slow.period");
  await second.getByLabel("From").fill("30");
  await second.getByLabel("To").fill("90");
  await second.getByLabel("Step").fill("20");
  await page.getByRole("button", { name: "Run sweep" }).click();
  await page.getByRole("heading", { level: 1, name: /^Sweep: SMA crossover/ }).waitFor(WAIT);

  // "Check robustness" once the sweep has finished, prefilled from it.
  await page.getByRole("button", { name: "Check robustness" }).click(LONG);
  const dialog = page.getByRole("dialog", { name: /^Check robustness/ });
  await dialog.waitFor(WAIT);
  const axes = dialog.getByRole("group", { name: "Settings to vary" });
  assert.deepEqual(
    await axes.locator('input[type="number"]').evaluateAll((els) => els.map((e) => e.value)),
    ["5", "20", "5", "30", "90", "20"],
    "the sweep's ranges",
  );
  await axes.getByText(/^Only combinations where .* is smaller than /).waitFor();
  await dialog.getByLabel("Number of windows").fill("3");
  await dialog.getByLabel("Monte Carlo runs").fill("200");
  await dialog.getByLabel("Seed (optional)").fill("7");
  await screenshot(page, "robustness-dialog-1440");
  await dialog.getByRole("button", { name: "Start the check" }).click();

  // The robustness page: live, then the verdict.
  await page.getByRole("heading", { level: 1, name: /^Robustness: SMA crossover/ }).waitFor(WAIT);
  assert.match(new URL(page.url()).pathname, /^\/robustness\/[\w-]+$/);
  const headline = page.getByTestId("overall-headline");
  await headline.waitFor(LONG);
  assert.match(await headline.innerText(), /\d+ of \d+ checks passed|checks? (passed|failed)|caution/i);
  const wf = page.getByTestId("verdict-walk_forward");
  await wf.waitFor(WAIT);
  assert.match(await wf.innerText(), /Walk-forward\s*[✓!✗?]?\s*(Pass|Caution|Fail|Not known)/);
  await wf.getByText("How this was checked").click();
  await wf.getByText(/^Thresholds: /).waitFor();
  await page.getByRole("region", { name: "Walk-forward windows" }).waitFor();
  assert.equal(await page.getByRole("region", { name: "Walk-forward windows" }).locator("tbody tr").count(), 3);
  await page.getByRole("heading", { name: "Trades reshuffled", exact: true }).waitFor();
  await page.getByText(/seed 7\./).first().waitFor();
  // A trade simulation's drops are from trade to trade: the page says so and names the
  // candle-by-candle one; a neighbour's "good" is said in the walk-forward's metric.
  await page.getByText(/Worst drops here run from one closed trade to the next, so dips while a trade is open do not count: candle by candle, the backtest's own worst drop was \d/).first().waitFor();
  await page.getByText(/Good means a Sharpe ratio of at least /).waitFor();
  await page.locator("figure.chart canvas").first().waitFor(WAIT);

  // The holdout: kept aside, not looked at yet.
  const looks = page.getByTestId("holdout-looks");
  await page.getByText(/^Kept aside: /).waitFor();
  assert.match(await looks.innerText(), /has been looked at 0 times\./);
  assert.equal(await page.getByTestId("verdict-holdout").count(), 0, "no holdout result before a look");
  const violations = await axe(page);
  assert.deepEqual(violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`), [], "axe before the look");
  await screenshot(page, "robustness-1440");

  await page.getByRole("button", { name: "Look at the holdout" }).click();
  const confirm = page.getByRole("alertdialog", { name: "Look at the holdout?" });
  await confirm.getByText(/Each look is recorded/).waitFor();
  await confirm.getByRole("button", { name: "Yes, look at it" }).click();
  await page.getByTestId("verdict-holdout").waitFor(WAIT);
  assert.match(await looks.innerText(), /has been looked at 1 time\./);
  assert.match(await page.getByTestId("verdict-holdout").innerText(), /Holdout\s*[✓!✗?]?\s*(Pass|Caution|Fail|Not known)/);
  assert.equal(await page.getByRole("button", { name: "Look at the holdout" }).count(), 0);
  const after = await axe(page);
  assert.deepEqual(after.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`), [], "axe after the look");
  await screenshot(page, "robustness-holdout-1440");

  // A phone: nothing wider than the screen but the tables' own scroll boxes.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.getByTestId("overall-headline").waitFor();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 1, `the page scrolls sideways by ${overflow}px at 390 px`);
  await screenshot(page, "robustness-390");

  // The strategy page compares the checks, one column per check.
  await page.setViewportSize({ width: 1440, height: 900 });
  await page.getByRole("link", { name: "SMA crossover" }).first().click();
  await page.getByRole("heading", { level: 1, name: "SMA crossover" }).waitFor(WAIT);
  const table = page.getByRole("region", { name: "Robustness checks of SMA crossover" });
  await table.waitFor(WAIT);
  assert.equal(await table.locator("tbody tr").count(), 1);
  for (const col of ["Version", "Overall", "Walk-forward", "Random entries"]) {
    await table.getByRole("columnheader", { name: col }).waitFor();
  }
  await table.getByRole("link", { name: "Version 1" }).waitFor();
  await table.scrollIntoViewIfNeeded();
  await screenshot(page, "robustness-strategy-1440");
  assert.deepEqual(errors, [], "no page errors");
  await context.close();
});
