// Watching a trade from a screener alert, in the browser. An admin (made with `blockbuilders
// users set --role admin`, refused a replay until two-factor sign-in is on; it is turned on
// through the API and the admin signs in through the code step) replays the 4-minute ES
// sample (Databento MBP-1) at full speed with the thresholds of screener.test.mjs, so the demo
// user has ESU4 alerts to trade from. On the "Gap up" alert (5,529.25) the user opens "Watch
// trade" (the side, the entry prefilled with the alert's price, the levels suggested 1% away
// for the side) and watches a long entered at 5,528.75 with a stop at 5,520 (never reached)
// and a take profit at 5,529.50 (reached at 00:01 in the file), and a short from the alert's
// price with a stop at 5,529.50 and a take profit at 5,528.50 (whichever the file reaches first
// closes it). From the symbol's view another long is refused with its stop above the entry
// (the server's message at the stop-loss field), then watched with the suggested levels and
// cancelled. The admin replays the file again (a new feed; open trades are checked against its
// trades): the long shows "Target hit" at 5,529.50 (+0.01%) without a reload, the short what
// the server reports, and a notification says so. At 390×844 nothing scrolls sideways; axe
// finds nothing serious.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import {
  startServer,
  launchBrowser,
  screenshot,
  axe,
  signIn,
  enableTwoFactor,
  signInTwoFactor,
  totp,
  artifacts,
  binPath,
  repoDir,
  DEMO,
} from "./harness.mjs";

const WAIT = { timeout: 30_000 };
const SAMPLE = resolve(repoDir, "../shared/data/databento/futures_mbp-1_2024-07-01T23-58_2024-07-02T00-02.dbn.zst");
// As in screener.test.mjs: low thresholds, so four minutes of one future raise 12 alerts.
const SETTINGS = {
  session_offset_minutes: 0,
  cooldown_seconds: 30,
  gap: { min_pct: 0.005 },
  volume_spike: { multiple: 1.5, min_history: 2, min_volume: 0.0 },
  high_low: { after_minutes: 0 },
  spread: { multiple: 1.5, min_quotes: 50 },
};

let server;
let browser;

before(async () => {
  server = await startServer({
    // no feed of its own, and not the demo feed either: the test replays the sample
    env: { BB_SCREENER_SETTINGS: JSON.stringify(SETTINGS), BB_SCREENER_FEED: "off" },
  });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** A call to the API from the test: JSON, or a raw body (a file) when `raw` is given. */
async function call(token, method, path, body, raw) {
  const headers = { ...(token ? { Authorization: `Bearer ${token}` } : {}) };
  if (raw) headers["Content-Type"] = "application/octet-stream";
  else if (body) headers["Content-Type"] = "application/json";
  const r = await fetch(`${server.url}/api/v1${path}`, { method, headers, body: raw ?? (body ? JSON.stringify(body) : undefined) });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : null };
}

async function checkAxe(page, what) {
  const violations = await axe(page);
  assert.deepEqual(
    violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`),
    [],
    `axe on ${what}`,
  );
}

async function noOverflow(page, what) {
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 390, `${what} is ${width}px wide at 390 px`);
}

/** Waits until every feed (the replays) has stopped running. */
async function replaysDone(token) {
  const until = Date.now() + WAIT.timeout;
  for (;;) {
    const health = await call(token, "GET", "/screener/health");
    assert.equal(health.status, 200);
    const feeds = health.body.feeds.filter((f) => f.kind === "replay");
    if (feeds.length && feeds.every((f) => f.state !== "running")) {
      assert.ok(feeds.every((f) => f.state === "finished"), JSON.stringify(feeds));
      return feeds;
    }
    assert.ok(Date.now() < until, "the replay finishes");
    await new Promise((ok) => setTimeout(ok, 200));
  }
}

/** Waits until `predicate` holds for the user's trades (from the API); returns them. */
async function tradesWhen(token, predicate, what) {
  const until = Date.now() + WAIT.timeout;
  for (;;) {
    const r = await call(token, "GET", "/screener/trades");
    assert.equal(r.status, 200);
    if (predicate(r.body)) return r.body;
    assert.ok(Date.now() < until, `${what}: ${JSON.stringify(r.body)}`);
    await new Promise((ok) => setTimeout(ok, 250));
  }
}

/** The app's price format: thousands separators and cents (5,529.50). */
const money = (v) => new Intl.NumberFormat("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(v);

/** The rows of a list. */
const rows = (list) => list.locator(":scope > li");

test("watch a trade from an alert: suggested levels, errors at the field, target hit on a replay, cancel", { timeout: 300_000 }, async () => {
  const admin = { email: `admin-${Date.now()}@example.com`, password: "violet harbour stamps quickly" };
  assert.equal((await call(null, "POST", "/auth/register", { ...admin, display_name: "Ada" })).status, 202);
  execFileSync(binPath, ["users", "set", admin.email, "--role", "admin", "--database-url", `sqlite://${server.dbPath}`]);
  // Replays are an admin action: an admin needs two-factor sign-in.
  const plainToken = (await call(null, "POST", "/auth/login", admin)).body.access_token;
  assert.ok(plainToken, "the admin signed in with the password");
  const refusedReplay = await call(plainToken, "POST", "/screener/replays", null, readFileSync(SAMPLE));
  assert.equal(refusedReplay.status, 403, JSON.stringify(refusedReplay.body));
  assert.equal(refusedReplay.body.error.code, "two_factor_required");
  // Turned on through the API, then signed in through the code step with the app's next code
  // (the one that turned it on was used).
  const { secret } = await enableTwoFactor(server.url, plainToken);
  const adminToken = await signInTwoFactor(server.url, admin, { code: totp(secret, 1) });
  assert.ok(adminToken, "the admin signed in with two-factor sign-in");
  const userToken = (await call(null, "POST", "/auth/login", DEMO)).body.access_token;
  assert.ok(userToken, "the demo user signed in");

  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, bypassCSP: true });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  try {
    await signIn(page, server.url, DEMO);
    await page.goto(`${server.url}/screener`);
    await page.getByRole("heading", { level: 1, name: "Screener" }).waitFor(WAIT);
    const feed = page.getByRole("region", { name: "Live alerts" });
    await feed.getByRole("status").filter({ hasText: "Live" }).waitFor(WAIT);
    const panel = page.getByRole("region", { name: "Watched trades" });
    await panel.getByText("None yet.").waitFor(WAIT);

    // The admin replays the sample once, as fast as it goes: the alerts arrive.
    const first = await call(adminToken, "POST", "/screener/replays?name=es-sample.dbn.zst", null, readFileSync(SAMPLE));
    assert.equal(first.status, 202, JSON.stringify(first.body));
    const list = feed.getByRole("list", { name: "Alerts" });
    await page.waitForFunction(() => document.querySelectorAll('ol[aria-label="Alerts"] > li').length >= 12, null, WAIT);
    await replaysDone(adminToken);
    assert.equal(await rows(list).count(), 12);

    // "Watch trade" on the Gap up alert: a form under it, the side first, the entry the alert's
    // price and the levels 1% away for a long.
    const gap = rows(list).filter({ hasText: "Gap up" });
    assert.equal(await gap.count(), 1);
    const watchGap = gap.getByRole("button", { name: /^Watch trade/ });
    assert.equal(await watchGap.getAttribute("aria-expanded"), "false");
    await watchGap.click();
    assert.equal(await watchGap.getAttribute("aria-expanded"), "true");
    let form = gap.getByRole("form", { name: /^Watch a trade from the ESU4 Gap up alert/ });
    await form.waitFor(WAIT);
    const long = form.getByRole("radio", { name: "Long" });
    const short = form.getByRole("radio", { name: "Short" });
    assert.equal(await long.isChecked(), true, "long by default");
    assert.equal(await long.evaluate((el) => el === document.activeElement), true, "the side has the focus");
    assert.equal(await form.getByLabel("Entry").inputValue(), "5529.25");
    assert.equal(await form.getByLabel("Stop loss").inputValue(), "5473.96");
    assert.equal(await form.getByLabel("Take profit").inputValue(), "5584.54");
    // By keyboard: the arrow picks the short; the suggestions swap sides.
    await page.keyboard.press("ArrowRight");
    assert.equal(await short.isChecked(), true, "the arrow key picks the short");
    assert.equal(await form.getByLabel("Stop loss").inputValue(), "5584.54");
    assert.equal(await form.getByLabel("Take profit").inputValue(), "5473.96");
    await page.keyboard.press("ArrowLeft");
    assert.equal(await long.isChecked(), true);
    // The suggestions follow the entry until a level is typed.
    await form.getByLabel("Entry").fill("5528.75");
    assert.equal(await form.getByLabel("Stop loss").inputValue(), "5473.46");
    assert.equal(await form.getByLabel("Take profit").inputValue(), "5584.04");
    await form.getByLabel("Stop loss").fill("5520");
    await form.getByLabel("Take profit").fill("5529.5");
    await screenshot(page, "screener-trade-form-1440");
    await checkAxe(page, "the watch-trade form at 1440 px");
    await form.getByLabel("Take profit").press("Enter");
    await form.waitFor({ state: "detached", ...WAIT });
    await gap.getByRole("status").filter({ hasText: "Watching the ESU4 long from 5,528.75" }).waitFor(WAIT);
    assert.equal(await watchGap.evaluate((el) => el === document.activeElement), true, "the focus is back on Watch trade");

    const trades = panel.getByRole("list", { name: "Your watched trades" });
    const longRow = rows(trades).filter({ hasText: "5,528.75" });
    await longRow.waitFor(WAIT);
    let text = await longRow.innerText();
    for (const part of ["ESU4", "Long", "Open", "Entry", "5,528.75", "Stop", "5,520.00", "Target", "5,529.50"])
      assert.ok(text.includes(part), `the long says ${part}: ${text}`);
    assert.doesNotMatch(text, /Exit|Return/, "no exit while open");
    await longRow.getByRole("button", { name: "Cancel watching the ESU4 long from 5,528.75" }).waitFor(WAIT);

    // The short from the same alert: the alert's price, a stop at 5,529.50 and a target at 5,528.50.
    await watchGap.click();
    form = gap.getByRole("form", { name: /^Watch a trade/ });
    await form.getByRole("radio", { name: "Short" }).check();
    assert.equal(await form.getByLabel("Entry").inputValue(), "5529.25", "the entry is the alert's price again");
    await form.getByLabel("Stop loss").fill("5529.5");
    await form.getByLabel("Take profit").fill("5528.5");
    await form.getByRole("button", { name: "Watch the trade" }).click();
    await form.waitFor({ state: "detached", ...WAIT });
    const shortRow = rows(trades).filter({ hasText: "Short" });
    await shortRow.waitFor(WAIT);
    text = await shortRow.innerText();
    for (const part of ["ESU4", "Open", "5,529.25", "5,529.50", "5,528.50"]) assert.ok(text.includes(part), `the short says ${part}: ${text}`);

    // Escape closes the form and gives the focus back.
    await watchGap.click();
    await gap.getByRole("form", { name: /^Watch a trade/ }).waitFor(WAIT);
    await page.keyboard.press("Escape");
    await gap.getByRole("form", { name: /^Watch a trade/ }).waitFor({ state: "detached", ...WAIT });
    assert.equal(await watchGap.evaluate((el) => el === document.activeElement), true);

    // From the symbol's view: a long with its stop above the entry is refused at the stop loss.
    await page.goto(`${server.url}/screener?symbol=ESU4`);
    const view = page.getByRole("region", { name: "ESU4", exact: true });
    const its = view.getByRole("list", { name: "Alerts for ESU4" });
    await its.waitFor(WAIT);
    await page.evaluate(() => {
      window.__sameDocument = true;
    });
    const spike = rows(its).filter({ hasText: "Volume spike" }).first();
    await spike.getByRole("button", { name: /^Watch trade/ }).click();
    form = spike.getByRole("form", { name: /^Watch a trade from the ESU4 Volume spike alert/ });
    await form.waitFor(WAIT);
    const entry = Number(await form.getByLabel("Entry").inputValue());
    assert.ok(entry > 5000, `the entry is the alert's price: ${entry}`);
    const suggestedStop = await form.getByLabel("Stop loss").inputValue();
    const suggestedTarget = await form.getByLabel("Take profit").inputValue();
    // 1% away, to the cent.
    assert.ok(Math.abs(Number(suggestedStop) - entry * 0.99) <= 0.005 + 1e-9, `the suggested stop ${suggestedStop} from ${entry}`);
    assert.ok(Math.abs(Number(suggestedTarget) - entry * 1.01) <= 0.005 + 1e-9, `the suggested target ${suggestedTarget} from ${entry}`);
    const wrong = String(entry + 1);
    // What the server says of it, to find at the field.
    const spikeId = await spike.getAttribute("data-alert-id");
    const refused = await call(userToken, "POST", "/screener/trades", { alert_id: spikeId, side: "long", entry, stop_loss: Number(wrong), take_profit: Number(suggestedTarget) });
    assert.equal(refused.status, 422, JSON.stringify(refused.body));
    assert.equal(refused.body.error.details.field, "stop_loss");
    await form.getByLabel("Stop loss").fill(wrong);
    await form.getByRole("button", { name: "Watch the trade" }).click();
    await form.getByText(refused.body.error.message, { exact: true }).waitFor(WAIT);
    const stopField = form.getByLabel("Stop loss");
    assert.equal(await stopField.getAttribute("aria-invalid"), "true");
    await page.waitForFunction(() => document.activeElement?.getAttribute("aria-invalid") === "true", null, WAIT);
    const described = await stopField.getAttribute("aria-describedby");
    assert.ok(described, "the stop loss is described by its error");
    assert.equal(
      await page.evaluate((id) => document.getElementById(id)?.textContent, described.split(" ")[0]),
      refused.body.error.message,
      "the error is the stop loss's description",
    );
    assert.equal(await form.getByLabel("Take profit").getAttribute("aria-invalid"), null, "only the stop loss is marked");
    await checkAxe(page, "the watch-trade form with an error");
    // Mended: watched, then cancelled.
    await stopField.fill(suggestedStop);
    assert.equal(await stopField.getAttribute("aria-invalid"), null, "typing clears the error");
    await form.getByRole("button", { name: "Watch the trade" }).click();
    await form.waitFor({ state: "detached", ...WAIT });
    const watched = await tradesWhen(userToken, (ts) => ts.some((t) => t.alert_id === spikeId), "the trade from the volume spike");
    const otherTrade = watched.find((t) => t.alert_id === spikeId);
    assert.deepEqual(
      [otherTrade.side, otherTrade.entry, otherTrade.stop_loss, otherTrade.take_profit, otherTrade.status],
      ["long", entry, Number(suggestedStop), Number(suggestedTarget), "open"],
    );
    const other = trades.locator(`li[data-trade-id="${otherTrade.id}"]`);
    await other.getByText("Open", { exact: true }).waitFor(WAIT);
    assert.match(await other.innerText(), new RegExp(`Long[\\s\\S]*Entry\\s*${money(entry).replace(/[.,]/g, "\\$&")}`));
    assert.equal(await rows(trades).count(), 3);
    await panel.getByText("3 open").waitFor(WAIT);
    // Open trades first, newest first.
    assert.equal(await rows(trades).first().getAttribute("data-trade-id"), otherTrade.id);
    await other.getByRole("button", { name: /^Cancel watching the ESU4 long/ }).click();
    await other.getByText("Cancelled", { exact: true }).waitFor(WAIT);
    assert.equal(await other.getByRole("button", { name: /^Cancel/ }).count(), 0, "no Cancel once cancelled");
    await panel.getByText("2 open").waitFor(WAIT);
    assert.equal(await rows(trades).last().evaluate((el) => el.textContent.includes("Cancelled")), true, "closed trades after the open ones");
    const afterCancel = await call(userToken, "GET", "/screener/trades");
    assert.deepEqual(
      afterCancel.body.map((t) => t.status).sort(),
      ["cancelled", "open", "open"],
      JSON.stringify(afterCancel.body),
    );

    // A phone: the form and the panel fit.
    await page.setViewportSize({ width: 390, height: 844 });
    await spike.getByRole("button", { name: /^Watch trade/ }).click();
    await spike.getByRole("form", { name: /^Watch a trade/ }).waitFor(WAIT);
    await noOverflow(page, "the screener with the watch-trade form");
    await screenshot(page, "screener-trades-390");
    await checkAxe(page, "the watched trades at 390 px");
    await page.keyboard.press("Escape");
    await page.setViewportSize({ width: 1440, height: 900 });

    // The admin replays the same file: a new feed, whose trades reach the levels.
    const second = await call(adminToken, "POST", "/screener/replays?name=es-sample-again.dbn.zst", null, readFileSync(SAMPLE));
    assert.equal(second.status, 202, JSON.stringify(second.body));
    await replaysDone(adminToken);
    const closed = await tradesWhen(userToken, (ts) => ts.filter((t) => t.status === "open").length === 0, "both trades close");
    const target = closed.find((t) => t.side === "long" && t.entry === 5528.75);
    assert.equal(target.status, "target", JSON.stringify(target));
    assert.equal(target.exit_price, 5529.5);
    assert.ok(target.return_pct > 0);
    const shortTrade = closed.find((t) => t.side === "short");
    assert.ok(["target", "stopped"].includes(shortTrade.status), JSON.stringify(shortTrade));
    const shortLevel = shortTrade.status === "target" ? shortTrade.take_profit : shortTrade.stop_loss;
    assert.equal(shortTrade.exit_price, shortLevel, "the short closes at its level");

    // On the open page, without a reload: "Target hit" at 5,529.50, +0.01%.
    await longRow.getByText("Target hit", { exact: true }).waitFor(WAIT);
    text = await longRow.innerText();
    assert.match(text, /Exit\s*5,529\.50/, text);
    assert.match(text, /Return\s*\+0\.01%/, text);
    // When the feed's trade reached it, in the market's time.
    const when = new Date(target.exit_time).toISOString().slice(0, 19).replace("T", " ");
    assert.ok(when.startsWith("2024-07-02 00:0"), when);
    assert.ok(text.includes(`Closed by a trade at ${when} UTC`), text);
    assert.equal(await longRow.getByRole("button", { name: /^Cancel/ }).count(), 0);
    const shortWords = shortTrade.status === "target" ? "Target hit" : "Stopped out";
    await shortRow.getByText(shortWords, { exact: true }).waitFor(WAIT);
    text = await shortRow.innerText();
    assert.match(text, new RegExp(`Exit\\s*${money(shortLevel).replace(/[.,]/g, "\\$&")}`), text);
    assert.match(text, shortTrade.status === "target" ? /Return\s*\+0\.0\d%/ : /Return\s*−0\.0\d%/, text);
    await panel.getByText("0 open").waitFor(WAIT);
    assert.equal(await page.evaluate(() => window.__sameDocument), true, "no reload");

    // And a notification says so.
    const notes = await call(userToken, "GET", "/notifications?limit=100");
    const titles = notes.body.items.filter((n) => n.kind === "screener_alert").map((n) => n.title);
    assert.ok(titles.includes("ESU4 reached your take profit"), JSON.stringify(titles));
    await screenshot(page, "screener-trades-1440");
    await panel.screenshot({ path: join(artifacts, "screener-trades-panel.png") });
    await checkAxe(page, "the closed trades at 1440 px");
    assert.deepEqual(errors, [], "no page errors");
  } finally {
    await context.close();
  }
});
