// Strategy files and audit packages in the browser. The demo exports its SMA crossover from the
// strategy page (the download is a `blockbuilders-strategy/1` file with every version), imports
// that file on the strategies page and lands on the new strategy; a malformed file is refused
// with the server's message naming the field. An admin (made with `blockbuilders users set
// --role admin`, two-factor turned on through the API, signed in through the code step) downloads
// an audit package of a period on the review page; a reversed period is refused on its field.
// Axe at 1440 and 390 px on the strategy, strategies and review pages.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startServer, launchBrowser, screenshot, axe, signIn, signInWithCode, enableTwoFactor, totp, binPath, DEMO } from "./harness.mjs";

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

/** A JSON call to the API from the test (with a token when given). */
async function call(token, method, path, body) {
  const r = await fetch(`${server.url}/api/v1${path}`, {
    method,
    headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...(body ? { "Content-Type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
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

/** Axe and a screenshot at 1440 px, then at 390 px (nothing wider than the screen), then back. */
async function bothWidths(page, name, ready) {
  await ready();
  await checkAxe(page, `${name} at 1440 px`);
  await screenshot(page, `${name}-1440`);
  await page.setViewportSize({ width: 390, height: 844 });
  await ready();
  await checkAxe(page, `${name} at 390 px`);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 1, `${name} scrolls sideways by ${overflow}px at 390 px`);
  await screenshot(page, `${name}-390`);
  await page.setViewportSize({ width: 1440, height: 900 });
}

test("export a strategy from its page, import the file on the strategies page", async () => {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, bypassCSP: true, acceptDownloads: true });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  try {
    await signIn(page, server.url, DEMO);
    const login = await call(null, "POST", "/auth/login", DEMO);
    const mine = await call(login.body.access_token, "GET", "/strategies?mine=true&limit=100");
    const strategy = mine.body.items.find((s) => s.title === "SMA crossover");
    assert.ok(strategy, "the demo account owns the SMA crossover");

    // Export from the strategy page.
    await page.goto(`${server.url}/strategies/${strategy.id}`);
    await page.getByRole("heading", { level: 1, name: "SMA crossover" }).waitFor(WAIT);
    const [download] = await Promise.all([page.waitForEvent("download", WAIT), page.getByRole("button", { name: "Export" }).click()]);
    assert.equal(download.suggestedFilename(), `${strategy.slug}.blockbuilders.json`);
    const text = readFileSync(await download.path(), "utf8");
    const file = JSON.parse(text);
    assert.equal(file.format, "blockbuilders-strategy/1");
    assert.ok(Array.isArray(file.versions) && file.versions.length >= 1, "the file holds versions");
    assert.equal(file.versions.length, strategy.latest_version, "every version is in the file");
    assert.equal(file.strategy.title, "SMA crossover");
    const n = file.versions.length;
    await page
      .getByRole("status")
      .filter({ hasText: `Saved ${strategy.slug}.blockbuilders.json: ${n} ${n === 1 ? "version" : "versions"}.` })
      .waitFor(WAIT);
    await bothWidths(page, "strategy-export", () =>
      page.getByRole("button", { name: "Export" }).waitFor(WAIT),
    );

    // Import it on the strategies page: a new strategy, opened.
    await page.goto(`${server.url}/strategies`);
    await page.getByRole("heading", { level: 1, name: "My strategies" }).waitFor(WAIT);
    await bothWidths(page, "strategies-import", () => page.getByLabel("Import a strategy").waitFor(WAIT));
    const dir = mkdtempSync(join(tmpdir(), "bb-export-"));
    const good = join(dir, download.suggestedFilename());
    writeFileSync(good, text); // byte for byte: the server checks the file's sha256
    await page.getByLabel("Import a strategy").setInputFiles(good);
    await page.waitForURL((u) => /\/strategies\/[^/]+$/.test(u.pathname) && !u.pathname.endsWith(strategy.id), WAIT);
    // The URL changes before the strategy page replaces the list: wait for its heading.
    await page.getByRole("heading", { level: 1, name: /SMA crossover/ }).waitFor(WAIT);
    await page.getByText(`Version ${n}`, { exact: false }).first().waitFor(WAIT);

    // A malformed file: the server's message, naming the field.
    await page.goto(`${server.url}/strategies`);
    const bad = join(dir, "broken.blockbuilders.json");
    writeFileSync(bad, JSON.stringify({ ...file, sha256: null, versions: [file.versions[0], { ...file.versions[1 % n], version: 2, graph: { nodes: 3 } }] }));
    await page.getByLabel("Import a strategy").setInputFiles(bad);
    await page.getByText(/versions\[1\]\.graph/).waitFor(WAIT);
    assert.match(page.url(), /\/strategies$/);
    // Not JSON at all.
    const notJson = join(dir, "notes.json");
    writeFileSync(notJson, "this is not JSON");
    await page.getByLabel("Import a strategy").setInputFiles(notJson);
    await page.getByText("notes.json is not a JSON file.").waitFor(WAIT);
    await screenshot(page, "strategies-import-error");
    assert.deepEqual(errors, [], "no page errors");
  } finally {
    await context.close();
  }
});

test("an admin with two-factor sign-in downloads an audit package of a period", async () => {
  const email = `admin-${Date.now()}@example.com`;
  const password = "violet harbour stamps quickly";
  assert.equal((await call(null, "POST", "/auth/register", { email, password, display_name: "Ada" })).status, 202);
  // The role change is audited.
  execFileSync(binPath, ["users", "set", email, "--role", "admin", "--database-url", `sqlite://${server.dbPath}`]);
  const token = (await call(null, "POST", "/auth/login", { email, password })).body.access_token;
  assert.equal((await call(token, "GET", "/admin/audit/export")).body.error.code, "two_factor_required");
  const { secret } = await enableTwoFactor(server.url, token);

  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, bypassCSP: true, acceptDownloads: true });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  try {
    // Sign in through the code step (the code that turned it on was used; the next one works).
    await signInWithCode(page, server.url, { email, password }, totp(secret, 1));

    await page.goto(`${server.url}/review`);
    const section = page.getByRole("region", { name: "Audit trail" });
    await section.waitFor(WAIT);

    // A reversed period is refused on its field.
    await section.getByLabel("From").fill("2030-01-02");
    await section.getByLabel("To").fill("2030-01-01");
    await section.getByRole("button", { name: "Download audit package" }).click();
    await section.getByText("The period is empty").waitFor(WAIT);
    assert.equal(await section.getByLabel("From").getAttribute("aria-invalid"), "true");

    const today = new Date().toISOString().slice(0, 10);
    await section.getByLabel("From").fill("2020-01-01");
    await section.getByLabel("To").fill(today);
    const [download] = await Promise.all([
      page.waitForEvent("download", WAIT),
      section.getByRole("button", { name: "Download audit package" }).click(),
    ]);
    const name = `audit-2020-01-01-${today}.json`;
    assert.equal(download.suggestedFilename(), name);
    const pkg = JSON.parse(readFileSync(await download.path(), "utf8"));
    assert.equal(pkg.manifest.format, "blockbuilders-audit-package/1");
    assert.ok(pkg.manifest.entry_count >= 1, "the role change is in the package");
    assert.equal(pkg.entries.length, pkg.manifest.entry_count);
    const saved = section.getByTestId("audit-saved");
    await saved.waitFor(WAIT);
    const words = await saved.textContent();
    assert.match(words, new RegExp(`${pkg.manifest.entry_count} entr`));
    assert.match(words, new RegExp(`seq ${pkg.manifest.first_seq} to ${pkg.manifest.last_seq}`));
    assert.ok(words.includes(pkg.manifest.head_hash), "the head hash is shown");
    assert.ok(words.includes(`blockbuilders audit verify ${name}`), "how to verify it offline");
    await bothWidths(page, "review-audit", () => saved.waitFor(WAIT));
    assert.deepEqual(errors, [], "no page errors");
  } finally {
    await context.close();
  }
});
