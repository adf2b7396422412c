// The inspector from the price chart to the canvas (P8): a click on a candle of a results
// page opens the inspector on that bar, and "Show on the canvas" marks every block with its
// value on it (true/false in words on conditions, the number on indicators).
//
// Also on the canvas: a connection dragged from a port and dropped on empty space opens a
// menu of the blocks that fit; the one picked lands there, connected, in one undo step.
//
// Run: `npm run build && node --test e2e/inspector_canvas.test.mjs` (BB_BIN or target/debug).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launchBrowser, screenshot, axe, signIn } from "./harness.mjs";

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

/** A fresh signed-in page; on failure saves a screenshot; always closes it. */
async function withPage(name, fn) {
  // bypassCSP: axe-core is injected as an inline script, which the server's CSP refuses.
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, bypassCSP: true });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e));
  try {
    await signIn(page, server.url);
    await fn(page);
    assert.deepEqual(errors, []);
  } catch (e) {
    await screenshot(page, `failed-${name}`).catch(() => {});
    throw e;
  } finally {
    await context.close();
  }
}

/** Runs the SMA crossover template from the start page; resolves on its results page. */
async function runTemplate(page) {
  await page.goto(`${server.url}/`);
  const card = page.getByRole("article", { name: "SMA crossover" });
  await card.waitFor(WAIT);
  await card.getByRole("button", { name: "Use this template" }).click();
  await card.getByRole("button", { name: "Run backtest" }).click();
  const dialog = page.getByRole("dialog", { name: /^Run a backtest/ });
  await dialog.getByRole("button", { name: "Run backtest" }).click();
  await page.getByRole("heading", { level: 1, name: /^Result: SMA crossover/ }).waitFor(WAIT);
}

test("a click on the price chart inspects that bar, and the canvas marks every block on it", async () => {
  await withPage("inspector-canvas", async (page) => {
    await runTemplate(page);
    const figure = page.locator("figure.chart", { hasText: "Price with entries and exits" });
    const plot = figure.locator(".chart-canvas");
    await plot.waitFor(WAIT);
    await page.getByText("Click a bar on the price chart to inspect it").waitFor();
    await plot.scrollIntoViewIfNeeded();
    const box = await plot.boundingBox();
    assert.ok(box, "the price chart has a box");
    // Point at a candle (the hover line names its bar), then click it.
    const x = box.x + box.width * 0.45;
    const y = box.y + box.height * 0.5;
    await page.mouse.move(x, y);
    const hover = figure.locator(".chart-hover");
    await page.waitForFunction((el) => /^\d{4}-\d\d-\d\d/.test(el?.textContent ?? ""), await hover.elementHandle());
    const bar = (await hover.innerText()).split(" · ")[0];
    await page.mouse.click(x, y);

    const table = page.getByRole("region", { name: "Block values by bar" });
    await table.waitFor(WAIT);
    const chosen = table.locator('th[aria-current="true"]');
    await chosen.waitFor(WAIT);
    assert.equal(await chosen.innerText(), bar, "the inspector shows the clicked bar");
    await screenshot(page, "inspector-chart-click");

    // To the canvas: the banner names the bar, and the blocks carry their values on it.
    await page.getByRole("link", { name: "Show on the canvas" }).click();
    await page.waitForURL(/\/strategies\/[^/]+\/edit\?inspect=[^&]+&at=\d+/, WAIT);
    const banner = page.getByTestId("inspect-banner");
    await banner.getByText(`Inspecting bar ${bar}`).waitFor(WAIT);
    const marks = page.getByTestId("inspect-marks");
    await marks.first().waitFor(WAIT);
    const flags = page.locator('[data-testid="inspect-marks"] .bb-mark.true, [data-testid="inspect-marks"] .bb-mark.false');
    assert.ok((await flags.count()) > 0, "a condition block is marked true or false");
    const flagText = await flags.first().innerText();
    assert.match(flagText, /\b(true|false)\b/, "the mark says true or false in words");
    // An indicator block shows a number; its accessible name carries the value too.
    const numbers = page.locator('[data-testid="inspect-marks"] .bb-mark.number');
    assert.ok((await numbers.count()) > 0, "an indicator block shows its value");
    const labelled = page.locator('.react-flow__node[aria-label*="on the inspected bar"]');
    assert.ok((await labelled.count()) > 0, "blocks say their value in their accessible name");
    // The run tested the version shown: no warning about another version.
    assert.equal(await banner.getByRole("alert").count(), 0, "no version warning");

    // A later bar moves the banner and the marks along.
    const before = await banner.locator("strong").innerText();
    await banner.getByRole("button", { name: "Later bar →" }).click();
    await page.waitForFunction(
      (prev) => document.querySelector('[data-testid="inspect-banner"] strong')?.textContent !== prev,
      before,
    );
    assert.match(page.url(), /at=\d+/);
    await banner.getByRole("button", { name: "← Earlier bar" }).click();
    await banner.getByText(`Inspecting bar ${bar}`).waitFor(WAIT);
    await screenshot(page, "inspector-canvas");
    const violations = await axe(page);
    assert.deepEqual(violations, [], JSON.stringify(violations, null, 1));

    // Closing it clears the marks and the address.
    await banner.getByRole("button", { name: "Close the inspector" }).click();
    await page.getByTestId("inspect-banner").waitFor({ state: "detached" });
    assert.equal(await page.getByTestId("inspect-marks").count(), 0);
    assert.doesNotMatch(page.url(), /inspect=/);
  });
});

/** Calls the API from the page with its token. */
async function apiCall(page, method, path, body) {
  return page.evaluate(
    async ({ method, path, body }) => {
      const r = await fetch(path, {
        method,
        headers: { "Content-Type": "application/json", Authorization: `Bearer ${sessionStorage.getItem("bb.token")}` },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: r.status, body: await r.json().catch(() => null) };
    },
    { method, path, body },
  );
}

test("a connection dropped on empty canvas offers the blocks that fit and adds the one picked, connected", async () => {
  await withPage("connect-drop", async (page) => {
    const graph = {
      schema_version: 2,
      name: "Drop a connection",
      nodes: [{ id: "close", kind: "candle_field", params: { field: "close" }, position: { x: 0, y: 0 } }],
      edges: [],
    };
    const r = await apiCall(page, "POST", "/api/v1/strategies", { title: "Drop a connection", graph, allow_invalid: true });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    await page.goto(`${server.url}/strategies/${r.body.strategy.id}/edit`);
    const close = page.locator('.react-flow__node[data-id="close"]');
    await close.waitFor(WAIT);
    const out = close.locator('.react-flow__handle.source[data-handleid="out"]');
    const a = await out.boundingBox();
    assert.ok(a, "the output port is on screen");
    // Drag from the output to empty canvas, right of the block.
    await page.mouse.move(a.x + a.width / 2, a.y + a.height / 2);
    await page.mouse.down();
    await page.mouse.move(a.x + 150, a.y + 40, { steps: 5 });
    await page.mouse.move(a.x + 300, a.y + 60, { steps: 5 });
    await page.mouse.up();

    const menu = page.getByRole("dialog", { name: "Add a connected block" });
    await menu.waitFor(WAIT);
    await menu.getByText("Price / volume → ").waitFor();
    // Only blocks with a number input are offered: an action (yes/no input) is not.
    await menu.getByRole("button", { name: "Simple moving average (SMA)" }).waitFor();
    assert.equal(await menu.getByRole("button", { name: "Buy (enter long)" }).count(), 0, "no block without a number input");
    const search = menu.getByLabel("Find a block");
    assert.ok(await search.evaluate((el) => el === document.activeElement), "the search has the focus");
    await search.fill("simple moving");
    await screenshot(page, "canvas-connect-drop-menu");
    await menu.getByRole("button", { name: "Simple moving average (SMA)" }).click();
    await menu.waitFor({ state: "detached" });

    // The new block sits right of the drop, connected to the price.
    const sma = page.locator('.react-flow__node[data-id="sma"]');
    await sma.waitFor(WAIT);
    await page.locator(".react-flow__edge").first().waitFor(WAIT);
    assert.equal(await page.locator(".react-flow__edge").count(), 1);
    // (The view may pan to show it whole, so it is compared with the block it came from.)
    const box = await sma.boundingBox();
    const from = await close.boundingBox();
    assert.ok(box && from && box.x > from.x + from.width, `the new block is right of the price: ${JSON.stringify([box, from])}`);
    await page.getByTestId("canvas-notice").filter({ hasText: "connected to Price / volume" }).waitFor(WAIT);
    await screenshot(page, "canvas-connect-drop-added");
    const violations = await axe(page);
    assert.deepEqual(violations, [], JSON.stringify(violations, null, 1));

    // One undo takes back the block and its connection.
    await page.keyboard.press("Control+z");
    await sma.waitFor({ state: "detached" });
    assert.equal(await page.locator(".react-flow__edge").count(), 0);

    // Escape closes the menu without adding anything (the port has moved with the view).
    const b = await out.boundingBox();
    await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2);
    await page.mouse.down();
    await page.mouse.move(b.x + 200, b.y + 80, { steps: 8 });
    await page.mouse.up();
    await menu.waitFor(WAIT);
    await page.keyboard.press("Escape");
    await menu.waitFor({ state: "detached" });
    assert.equal(await page.locator(".react-flow__node").count(), 1);
    // The keyboard is back on the block the drag started from.
    await page.waitForFunction(() => document.activeElement?.getAttribute("data-id") === "close");
  });
});
