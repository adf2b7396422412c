// The real-time screener in the browser. An admin (made with `blockbuilders users set --role
// admin`) without two-factor sign-in is refused a replay, through the API and on the replay
// form (the server's message shown); two-factor sign-in is turned on through the API. The demo
// user opens /screener and waits for the live stream; the admin, signed in through the code
// step, replays the 4-minute ES sample (Databento MBP-1) through the API, with thresholds low enough that it raises 12 alerts
// on ESU4; they arrive on the open page without a reload. Then: the symbol search ("es" →
// ESU4) opens ESU4's chart and list, `?symbol=ESU4` opens it directly, the statistics over all
// time count 12, a screen is refused on its field, created, listed, edited and deleted; at
// 390×844 nothing scrolls sideways; axe finds nothing serious; the admin's replay form starts
// another replay from a file (signed in in the browser through the code step); with the stream blocked the feed polls and still gets new alerts;
// older alerts come a page at a time with "Load more".
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import {
  startServer,
  launchBrowser,
  screenshot,
  axe,
  signIn,
  signInWithCode,
  enableTwoFactor,
  signInTwoFactor,
  totp,
  binPath,
  repoDir,
  DEMO,
} from "./harness.mjs";

const WAIT = { timeout: 30_000 };
const SAMPLE = resolve(repoDir, "../shared/data/databento/futures_mbp-1_2024-07-01T23-58_2024-07-02T00-02.dbn.zst");
// Low thresholds, so four minutes of one future raise alerts of most kinds.
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

/** The alert rows of a list. */
const rows = (list) => list.locator(":scope > li");

test("screener alerts arrive live; symbol search, statistics, screens, a phone", { timeout: 300_000 }, async () => {
  // An admin, for the replay.
  const admin = { email: `admin-${Date.now()}@example.com`, password: "violet harbour stamps quickly" };
  assert.equal((await call(null, "POST", "/auth/register", { ...admin, display_name: "Ada" })).status, 202);
  execFileSync(binPath, ["users", "set", admin.email, "--role", "admin", "--database-url", `sqlite://${server.dbPath}`]);
  const plainToken = (await call(null, "POST", "/auth/login", admin)).body.access_token;
  assert.ok(plainToken, "the admin signed in with the password");

  // Replays are an admin action: without two-factor sign-in, refused through the API...
  const refusedReplay = await call(plainToken, "POST", "/screener/replays", null, readFileSync(SAMPLE));
  assert.equal(refusedReplay.status, 403, JSON.stringify(refusedReplay.body));
  assert.equal(refusedReplay.body.error.code, "two_factor_required");
  // ...and on the replay form, which shows the server's message.
  const plainContext = await browser.newContext({ viewport: { width: 1440, height: 900 }, bypassCSP: true });
  try {
    const plainPage = await plainContext.newPage();
    await signIn(plainPage, server.url, admin);
    await plainPage.goto(`${server.url}/screener`);
    const replay = plainPage.getByRole("region", { name: "Replay a recorded feed" });
    await replay.getByLabel("DBN file").setInputFiles(SAMPLE);
    await replay.getByRole("button", { name: "Start the replay" }).click();
    await replay.getByRole("alert").filter({ hasText: refusedReplay.body.error.message }).waitFor(WAIT);
    assert.equal(await replay.getByText("The replay started").count(), 0, "no replay started");
    await screenshot(plainPage, "screener-replay-two-factor-required");
  } finally {
    await plainContext.close();
  }

  // Two-factor sign-in turned on through the API (with the app's code of this step), then the
  // admin signs in through the code step. Each step's code works once and the browser signs in
  // later with the app's next code, so this sign-in answers with a recovery code.
  const { secret, recoveryCodes } = await enableTwoFactor(server.url, plainToken);
  const adminToken = await signInTwoFactor(server.url, admin, { recovery_code: recoveryCodes[0] });
  assert.ok(adminToken, "the admin signed in with two-factor sign-in");

  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, bypassCSP: true });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  try {
    await signIn(page, server.url, DEMO);
    await page.goto(`${server.url}/`);
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Screener", exact: true }).click();
    await page.getByRole("heading", { level: 1, name: "Screener" }).waitFor(WAIT);
    const feed = page.getByRole("region", { name: "Live alerts" });
    // Live: the stream is open.
    await feed.getByRole("status").filter({ hasText: "Live" }).waitFor(WAIT);
    await feed.getByText("No alerts yet.").waitFor(WAIT);
    assert.equal(await page.getByRole("region", { name: "Replay a recorded feed" }).count(), 0, "no replay form for a user");
    await page.evaluate(() => {
      window.__sameDocument = true;
    });

    // The admin replays the recording (at 600× real time: the 4 minutes in under half a second).
    const started = await call(adminToken, "POST", "/screener/replays?speed=600&name=es-sample.dbn.zst", null, readFileSync(SAMPLE));
    assert.equal(started.status, 202, JSON.stringify(started.body));

    // The 12 alerts arrive on the open page, newest on top.
    const list = feed.getByRole("list", { name: "Alerts" });
    await list.waitFor(WAIT);
    await page.waitForFunction(() => document.querySelectorAll('ol[aria-label="Alerts"] > li').length >= 12, null, WAIT);
    assert.equal(await rows(list).count(), 12);
    assert.equal(await page.evaluate(() => window.__sameDocument), true, "no reload");
    assert.ok((await list.locator("li.alert-new").count()) >= 1, "new alerts are highlighted");
    const gap = rows(list).filter({ hasText: "Gap up" });
    assert.equal(await gap.count(), 1);
    const gapText = await gap.innerText();
    for (const part of ["ESU4", "5,529.25", "+0.009%", "2024-07-02 00:00:01 UTC", "Above the previous session's close of 5,528.75"])
      assert.ok(gapText.includes(part), `the gap up row says ${part}: ${gapText}`);
    assert.match(await rows(list).filter({ hasText: "Volume spike" }).innerText(), /8\.5× its usual volume/);
    assert.equal(await rows(list).filter({ hasText: "Spread blow-out" }).count(), 6);
    assert.match(await rows(list).first().innerText(), /2024-07-02 00:01:30 UTC/, "the newest first");
    // The feed's status, from the health report.
    await feed.getByText(/replay of 1 DBN file: finished · 2,288 events · 12 alerts · 1 symbol/).waitFor(WAIT);

    // The filters: a symbol without alerts, then a type.
    await feed.getByLabel("Symbol").fill("nq");
    await feed.getByText("No alerts match these filters yet.").waitFor(WAIT);
    await feed.getByLabel("Symbol").fill("");
    await page.waitForFunction(() => document.querySelectorAll('ol[aria-label="Alerts"] > li').length === 12, null, WAIT);
    await feed.getByLabel("Type").selectOption("new_high");
    await page.waitForFunction(() => document.querySelectorAll('ol[aria-label="Alerts"] > li').length === 2, null, WAIT);
    await feed.getByLabel("Type").selectOption("");
    await page.waitForFunction(() => document.querySelectorAll('ol[aria-label="Alerts"] > li').length === 12, null, WAIT);

    // Statistics over all time.
    const stats = page.getByRole("region", { name: "Statistics" });
    await stats.getByLabel("All time").check();
    await stats.getByTestId("stats-total").filter({ hasText: /^12 alerts/ }).waitFor(WAIT);
    await stats.getByRole("img", { name: /12 alerts over 2 hours/ }).waitFor(WAIT);
    assert.match(await stats.locator(".type-counts li").filter({ hasText: "Spread blow-out" }).innerText(), /6/);

    // Symbol search: "es" suggests ESU4, which opens its view.
    await page.getByRole("combobox", { name: "Find a symbol" }).fill("es");
    await page.getByRole("option", { name: /ESU4/ }).click();
    await page.waitForURL((u) => u.searchParams.get("symbol") === "ESU4", WAIT);
    const view = page.getByRole("region", { name: "ESU4" });
    await view.waitFor(WAIT);
    await view.locator(".chart-canvas canvas").first().waitFor(WAIT);
    const its = view.getByRole("list", { name: "Alerts for ESU4" });
    await its.waitFor(WAIT);
    assert.equal(await rows(its).count(), 12);
    assert.match(await rows(its).filter({ hasText: "Gap up" }).innerText(), /5,529\.25/);
    await screenshot(page, "screener-1440");
    await checkAxe(page, "the screener at 1440 px");
    assert.equal(await page.evaluate(() => window.__sameDocument), true, "still no reload");

    // Closed, then opened again from the most alerted symbols.
    await view.getByRole("button", { name: "Close ESU4" }).click();
    await view.waitFor({ state: "detached", ...WAIT });
    await stats.getByRole("link", { name: "ESU4" }).click();
    await page.getByRole("region", { name: "ESU4" }).waitFor(WAIT);

    // A link (a notification's) opens the symbol directly.
    await page.goto(`${server.url}/screener?symbol=esu4`);
    await page.getByRole("region", { name: "ESU4" }).getByRole("list", { name: "Alerts for ESU4" }).waitFor(WAIT);
    await page.getByRole("region", { name: "ESU4" }).locator(".chart-canvas canvas").first().waitFor(WAIT);

    // Screens: refused on the field the server names, then created, listed, edited, deleted.
    await page.getByRole("navigation", { name: "Screener" }).getByRole("link", { name: "My screens" }).click();
    await page.getByRole("heading", { level: 1, name: "My screens" }).waitFor(WAIT);
    await page.getByText("No screens yet").waitFor(WAIT);
    const form = page.getByRole("region", { name: "New screen" });
    await form.getByLabel("Name").fill("ES watch");
    await form.getByRole("button", { name: "Create screen" }).click();
    await form.getByText("symbols: 1 to 50 symbols").waitFor(WAIT);
    assert.equal(await form.getByLabel("Symbols").getAttribute("aria-invalid"), "true");
    await form.getByLabel("Symbols").fill("esu4, nqu4 esu4");
    assert.equal(await form.getByLabel("Symbols").inputValue(), "ESU4, NQU4 ESU4");
    await form.getByText("2 symbols: ESU4, NQU4").waitFor(WAIT);
    await form.getByLabel("Spread blow-out").uncheck();
    await form.getByLabel("Strategy").selectOption({ label: "SMA crossover" });
    const canvasLink = form.getByRole("link", { name: /^Edit on canvas/ });
    await canvasLink.waitFor(WAIT);
    assert.match(await canvasLink.getAttribute("href"), /^\/strategies\/[^/]+\/edit$/);
    await form.getByLabel("Fires on").selectOption("either");
    await form.getByRole("button", { name: "Create screen" }).click();
    await page.getByText("Created “ES watch”.").waitFor(WAIT);
    const screens = page.getByRole("list", { name: "Your screens" });
    const card = screens.getByRole("listitem").filter({ hasText: "ES watch" });
    await card.waitFor(WAIT);
    const cardText = await card.innerText();
    assert.match(cardText, /ESU4, NQU4/);
    assert.match(cardText, /Gap up, Gap down, Volume spike, New high, New low/);
    assert.doesNotMatch(cardText, /Spread blow-out/);
    assert.match(cardText, /SMA crossover version \d+, on either entry/);
    await page.getByText("1 of 10 screens").waitFor(WAIT);
    await checkAxe(page, "the screens at 1440 px");

    await card.getByRole("button", { name: "Edit ES watch" }).click();
    const edit = page.getByRole("region", { name: "Edit “ES watch”" });
    await edit.getByLabel("Name").fill("ES and NQ");
    await edit.getByLabel("Also send each alert as a notification").uncheck();
    await edit.getByRole("button", { name: "Save changes" }).click();
    await page.getByText("Saved “ES and NQ”.").waitFor(WAIT);
    const edited = screens.getByRole("listitem").filter({ hasText: "ES and NQ" });
    assert.match(await edited.innerText(), /Notifications\s*Off/);
    const saved = await call((await call(null, "POST", "/auth/login", DEMO)).body.access_token, "GET", "/screener/screens");
    assert.equal(saved.body.length, 1);
    assert.equal(saved.body[0].name, "ES and NQ");
    assert.deepEqual(saved.body[0].symbols, ["ESU4", "NQU4"]);
    assert.equal(saved.body[0].signal, "either");
    assert.equal(saved.body[0].notify, false);

    // A phone: one column, nothing wider than the screen.
    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, "screener-screens-390");
    await noOverflow(page, "the screens page");
    await checkAxe(page, "the screens at 390 px");
    await edited.getByRole("button", { name: "Delete ES and NQ" }).click();
    const dialog = page.getByRole("dialog", { name: "Delete “ES and NQ”?" });
    await dialog.getByRole("button", { name: "Delete the screen" }).click();
    await page.getByText("Deleted “ES and NQ”.").waitFor(WAIT);
    await page.getByText("No screens yet").waitFor(WAIT);

    await page.goto(`${server.url}/screener?symbol=ESU4`);
    await page.getByRole("region", { name: "ESU4" }).locator(".chart-canvas canvas").first().waitFor(WAIT);
    await page.waitForFunction(() => document.querySelectorAll('ol[aria-label="Alerts"] > li').length === 12, null, WAIT);
    await page.getByRole("region", { name: "Statistics" }).getByRole("img", { name: /alerts/ }).waitFor({ state: "attached", ...WAIT }).catch(() => {});
    await noOverflow(page, "the screener");
    const widths = await page.evaluate(() => {
      const w = (sel) => document.querySelector(sel)?.getBoundingClientRect().width ?? 0;
      return { feed: w(".screener-feed"), stats: w(".screener-stats"), chart: w(".symbol-chart .chart-canvas"), main: w("main") };
    });
    assert.ok(Math.abs(widths.feed - widths.stats) <= 1, `one column: ${JSON.stringify(widths)}`);
    assert.ok(widths.chart >= widths.main - 80, `the chart is full width: ${JSON.stringify(widths)}`);
    await screenshot(page, "screener-390");
    await checkAxe(page, "the screener at 390 px");
    assert.deepEqual(errors, [], "no page errors");
  } finally {
    await context.close();
  }

  // The admin's replay form: a file and a speed, then the replay's alerts arrive in the feed.
  const adminContext = await browser.newContext({ viewport: { width: 1440, height: 900 }, bypassCSP: true });
  const adminPage = await adminContext.newPage();
  try {
    // Through the code step, with the app's next code (the one that turned it on was used).
    await signInWithCode(adminPage, server.url, admin, totp(secret, 1));
    await adminPage.goto(`${server.url}/screener`);
    const feed = adminPage.getByRole("region", { name: "Live alerts" });
    await feed.getByRole("status").filter({ hasText: "Live" }).waitFor(WAIT);
    await adminPage.waitForFunction(() => document.querySelectorAll('ol[aria-label="Alerts"] > li').length === 12, null, WAIT);
    const replay = adminPage.getByRole("region", { name: "Replay a recorded feed" });
    await replay.getByRole("button", { name: "Start the replay" }).click();
    await replay.getByText("Choose a DBN file").waitFor(WAIT);
    await replay.getByLabel("DBN file").setInputFiles(SAMPLE);
    await replay.getByLabel("Speed (times real time)").fill("600");
    await replay.getByRole("button", { name: "Start the replay" }).click();
    await replay.getByText("The replay started").waitFor(WAIT);
    await adminPage.waitForFunction(() => document.querySelectorAll('ol[aria-label="Alerts"] > li').length === 24, null, WAIT);
    await checkAxe(adminPage, "the screener with the replay form");
  } finally {
    await adminContext.close();
  }

  // Without the stream (a proxy that drops it), the feed polls, and a replay's alerts still come.
  const pollContext = await browser.newContext({ viewport: { width: 1440, height: 900 }, bypassCSP: true });
  const pollPage = await pollContext.newPage();
  try {
    await pollPage.route("**/api/v1/screener/alerts/stream**", (route) => route.abort());
    await signIn(pollPage, server.url, DEMO);
    await pollPage.goto(`${server.url}/screener`);
    const feed = pollPage.getByRole("region", { name: "Live alerts" });
    await pollPage.waitForFunction(() => document.querySelectorAll('ol[aria-label="Alerts"] > li').length === 24, null, WAIT);
    await feed.getByRole("status").filter({ hasText: "Updating every 4 seconds" }).waitFor(WAIT);
    const again = await call(adminToken, "POST", "/screener/replays?speed=600", null, readFileSync(SAMPLE));
    assert.equal(again.status, 202, JSON.stringify(again.body));
    await pollPage.waitForFunction(() => document.querySelectorAll('ol[aria-label="Alerts"] > li').length === 36, null, WAIT);
    assert.ok((await feed.locator("li.alert-new").count()) >= 12, "the polled alerts are highlighted as new");

    // 36 alerts: a page of 25, then "Load more" for the rest.
    await pollPage.unroute("**/api/v1/screener/alerts/stream**");
    await pollPage.reload();
    await feed.getByRole("status").filter({ hasText: "Live" }).waitFor(WAIT);
    await pollPage.waitForFunction(() => document.querySelectorAll('ol[aria-label="Alerts"] > li').length === 25, null, WAIT);
    await feed.getByRole("button", { name: "Load more" }).click();
    await pollPage.waitForFunction(() => document.querySelectorAll('ol[aria-label="Alerts"] > li').length === 36, null, WAIT);
    await feed.getByRole("button", { name: "Load more" }).waitFor({ state: "detached", ...WAIT });
  } finally {
    await pollContext.close();
  }
});
