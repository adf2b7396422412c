// Settings follow a block's mode: a percent stop shows its distance, not its ATR period and
// multiple (the catalogue's `used_when`). The run's settings table leaves them out, the strategy
// page's form swaps them in as the mode is changed (before saving), the saved version keeps the
// new mode's settings, and the canvas's block summary and inspector name only what is used.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launchBrowser, signIn } from "./harness.mjs";

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

test("a block's settings follow its mode, in the run's table, the settings form and the canvas", async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await signIn(page, server.url);
  await page.goto(`${server.url}/`);

  // The RSI template: a 3% stop loss and a 6% take profit, both in percent mode.
  const card = page.getByRole("article", { name: "RSI mean reversion" });
  await card.getByRole("button", { name: "Use this template" }).click();
  await card.getByRole("button", { name: "Run backtest" }).click();
  await page.getByRole("dialog", { name: /^Run a backtest/ }).getByRole("button", { name: "Run backtest" }).click();
  await page.getByRole("heading", { level: 1, name: /^Result: RSI mean reversion/ }).waitFor(WAIT);
  const table = page.getByRole("region", { name: "Settings of this run" });
  await table.locator("tbody tr").first().waitFor(WAIT);
  const rows = await table.locator("tbody tr").allInnerTexts();
  const settings = rows.map((r) => r.replace(/\s+/g, " ").trim());
  assert.ok(settings.some((r) => /^Stop loss Distance 3 ?%$/.test(r)), settings.join("\n"));
  assert.ok(settings.some((r) => /^Take profit Distance 6 ?%$/.test(r)), settings.join("\n"));
  for (const unused of ["ATR period", "ATR multiple", "Reward/risk"]) {
    assert.ok(!settings.some((r) => r.includes(unused)), `${unused} is not a setting of percent stops:\n${settings.join("\n")}`);
  }

  // The strategy page's form: switching the stop to ATR swaps its settings before saving.
  await page.getByRole("link", { name: "Change a setting" }).click();
  await page.getByRole("heading", { level: 2, name: "Settings", exact: true }).waitFor(WAIT);
  const settingsForm = page.locator("#settings");
  const stopDistance = settingsForm.getByLabel("Stop loss: Distance (%)");
  await stopDistance.waitFor(WAIT);
  assert.equal(await settingsForm.getByLabel(/^Stop loss: ATR/).count(), 0, "no ATR settings for a percent stop");
  await settingsForm.getByLabel("Stop loss: Mode").selectOption("atr");
  await settingsForm.getByLabel("Stop loss: ATR multiple (× ATR)").waitFor(WAIT);
  await settingsForm.getByLabel("Stop loss: ATR period (bars)").waitFor();
  assert.equal(await stopDistance.count(), 0, "an ATR stop has no percent distance");
  assert.equal(await settingsForm.getByLabel(/^Take profit: ATR/).count(), 0, "the take profit stays in percent mode");
  await settingsForm.getByLabel("Stop loss: ATR multiple (× ATR)").fill("2.5");
  await page.getByRole("button", { name: "Save as version 2" }).click();
  await page.getByText("Saved as").waitFor(WAIT);
  const saved = await page.evaluate(async () => {
    const auth = { Authorization: `Bearer ${sessionStorage.getItem("bb.token")}` };
    const list = await (await fetch("/api/v1/strategies?mine=true&limit=100", { headers: auth })).json();
    const id = list.items.find((s) => s.title === "RSI mean reversion").id;
    const v = await (await fetch(`/api/v1/strategies/${id}/versions/2`, { headers: auth })).json();
    return { id, stop: v.graph.nodes.find((n) => n.kind === "stop_loss").params };
  });
  assert.equal(saved.stop.mode, "atr");
  assert.equal(saved.stop.atr_multiple, 2.5);

  // The canvas: the stop's summary names the ATR settings of version 2, not its old distance.
  await page.goto(`${server.url}/strategies/${saved.id}/edit`);
  const stopNode = page.locator(".react-flow__node").filter({ hasText: "Stop loss" }).first();
  await stopNode.waitFor(WAIT);
  const summary = await stopNode.innerText();
  assert.match(summary, /Mode: ATR/, summary);
  assert.match(summary, /ATR multiple: 2\.5/, summary);
  assert.doesNotMatch(summary, /Distance/, summary);
  // Its inspector (keyboard: focus the block, Enter) follows a change of mode at once; back in
  // percent mode the stop keeps the 3% distance version 2 still holds.
  await page.evaluate(() => document.querySelector('.react-flow__node[data-id="stop"]')?.focus());
  await page.keyboard.press("Enter");
  const inspector = page.locator(".bb-inspector");
  await inspector.locator("h2", { hasText: "Stop loss" }).waitFor(WAIT);
  await inspector.getByLabel(/^ATR multiple/).waitFor(WAIT);
  assert.equal(await inspector.getByLabel(/^Distance/).count(), 0, "an ATR stop has no distance to set");
  await inspector.getByLabel("Mode", { exact: true }).selectOption("percent");
  await inspector.getByLabel(/^Distance/).waitFor(WAIT);
  assert.equal(await inspector.getByLabel(/^ATR/).count(), 0, "a percent stop has no ATR settings");
  await page.waitForFunction(() => /Mode: percent · Distance: 3%/.test(document.querySelector('.react-flow__node[data-id="stop"]')?.textContent ?? ""));
  assert.deepEqual(errors, [], "no page errors");
  await context.close();
});
