// The canvas's layout in a real browser at 1440×900, on the starter strategies as they are in
// `strategies/*.json` (created through the API, so the test sees this checkout's layouts even
// when the server binary embeds older ones): no two ports overlap, block titles are at least
// 12 px on screen at the opening view, "Tidy up" lays a messy graph out with no overlapping
// blocks and Undo puts it back, and a block added with a block selected lands to its right.
//
// Run: `npm run build && node --test e2e/canvas_layout.test.mjs` (needs the binary, see harness).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { launchBrowser, repoDir, screenshot, settled, startServer } from "./harness.mjs";

const DEMO = { email: "demo@blockbuilders.local", password: "demo-password-123" };
const WAIT = { timeout: 20_000 };
const VIEWPORT = { width: 1440, height: 900 };

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

async function withPage(name, fn) {
  const context = await browser.newContext({ viewport: VIEWPORT });
  const page = await context.newPage();
  page.on("pageerror", (e) => console.error("page error:", e.message));
  try {
    await page.goto(`${server.url}/login`);
    await page.evaluate(async (creds) => {
      const r = await fetch("/api/v1/auth/login", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(creds) });
      if (!r.ok) throw new Error(`login answered ${r.status}`);
      sessionStorage.setItem("bb.token", (await r.json()).access_token);
    }, DEMO);
    await fn(page);
  } catch (e) {
    await screenshot(page, `failed-layout-${name}`).catch(() => {});
    throw e;
  } finally {
    await context.close();
  }
}

async function createStrategy(page, title, graph) {
  const r = await page.evaluate(
    async (body) => {
      const r = await fetch("/api/v1/strategies", {
        method: "POST",
        headers: { "Content-Type": "application/json", Authorization: `Bearer ${sessionStorage.getItem("bb.token")}` },
        body: JSON.stringify(body),
      });
      return { status: r.status, body: await r.json().catch(() => null) };
    },
    { title, graph, allow_invalid: true },
  );
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body.strategy.id;
}

async function openCanvas(page, id, count) {
  await page.goto(`${server.url}/strategies/${id}/edit`);
  await page.waitForFunction((n) => document.querySelectorAll(".react-flow__node").length === n, count, WAIT);
  // Measured, placed and shown (React Flow hides blocks until it has measured them).
  await page.waitForFunction(() => [...document.querySelectorAll(".react-flow__node")].every((n) => getComputedStyle(n).visibility === "visible"), null, WAIT);
  await settled(page, ".react-flow__node");
}

/** Each block's flow position (from its transform) and size. */
const blocks = (page) =>
  page.evaluate(() =>
    Object.fromEntries(
      [...document.querySelectorAll(".react-flow__node")].map((n) => {
        const m = new DOMMatrix(getComputedStyle(n).transform);
        return [n.dataset.id, { x: m.e, y: m.f, w: n.offsetWidth, h: n.offsetHeight }];
      }),
    ),
  );

function overlaps(boxes) {
  const list = Object.entries(boxes);
  const out = [];
  for (let i = 0; i < list.length; i++)
    for (let j = i + 1; j < list.length; j++) {
      const [a, p] = list[i];
      const [b, q] = list[j];
      if (p.x < q.x + q.w && q.x < p.x + p.w && p.y < q.y + q.h && q.y < p.y + p.h) out.push(`${a} × ${b}`);
    }
  return out;
}

const starters = readdirSync(join(repoDir, "strategies"))
  .filter((f) => f.endsWith(".json"))
  .map((f) => ({ file: f, graph: JSON.parse(readFileSync(join(repoDir, "strategies", f), "utf8")) }));

describe("canvas layout", () => {
  for (const { file, graph } of starters) {
    const name = file.replace(/\.json$/, "");
    test(`${name}: ports never overlap and block text is readable at the opening view`, () =>
      withPage(name, async (page) => {
        const id = await createStrategy(page, graph.name, graph);
        await openCanvas(page, id, graph.nodes.length);
        const found = await page.evaluate(() => {
          const scale = new DOMMatrix(getComputedStyle(document.querySelector(".react-flow__viewport")).transform).a;
          const titles = [...document.querySelectorAll(".bb-node-title")].map((t) => ({
            text: t.textContent,
            px: parseFloat(getComputedStyle(t).fontSize) * scale,
          }));
          const handles = [...document.querySelectorAll(".react-flow__node .react-flow__handle")].map((h) => ({
            id: `${h.closest(".react-flow__node").dataset.id}:${h.dataset.handleid}`,
            r: h.getBoundingClientRect(),
          }));
          const clash = [];
          for (let i = 0; i < handles.length; i++)
            for (let j = i + 1; j < handles.length; j++) {
              const a = handles[i].r;
              const b = handles[j].r;
              if (a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom) clash.push(`${handles[i].id} × ${handles[j].id}`);
            }
          return { scale, titles, handles: handles.length, clash };
        });
        assert.ok(found.handles >= graph.edges.length, "the ports are drawn");
        assert.deepEqual(found.clash, [], "no two ports overlap");
        for (const t of found.titles) assert.ok(t.px >= 12, `"${t.text}" is ${t.px.toFixed(1)} px on screen (zoom ${found.scale})`);
        assert.deepEqual(overlaps(await blocks(page)), [], "no two blocks overlap");
        await screenshot(page, `layout-${name}`);
      }));
  }

  test("Tidy up lays a messy graph out left to right with no overlaps; Undo puts it back", () =>
    withPage("tidy", async (page) => {
      const sma = starters.find((s) => s.file === "sma_crossover.json").graph;
      const messy = { ...sma, nodes: sma.nodes.map((n, i) => ({ ...n, position: { x: 40 * i, y: 30 * ((i * 3) % 5) } })) };
      const id = await createStrategy(page, "Messy crossover", messy);
      await openCanvas(page, id, messy.nodes.length);
      const before = await blocks(page);
      assert.ok(overlaps(before).length > 0, "the graph starts messy");
      await screenshot(page, "layout-tidy-before");

      await page.getByRole("button", { name: "Tidy up" }).click();
      await page.waitForFunction(() => {
        const x = (id) => new DOMMatrix(getComputedStyle(document.querySelector(`.react-flow__node[data-id="${id}"]`)).transform).e;
        return x("buy") > x("golden_cross") && x("golden_cross") > x("fast") && x("fast") > x("close");
      }, null, WAIT);
      await settled(page, ".react-flow__node");
      const tidy = await blocks(page);
      assert.deepEqual(overlaps(tidy), [], "no two blocks overlap after tidying");
      assert.equal(tidy.buy.x, tidy.sell.x, "Buy and Sell share the last column");
      assert.ok(tidy.fast.x >= tidy.close.x + tidy.close.w, "inputs on the left");
      await page.getByTestId("canvas-notice").filter({ hasText: "Tidied up" }).waitFor(WAIT);
      await screenshot(page, "layout-tidy-after");

      await page.getByRole("button", { name: "Undo" }).click();
      await page.waitForFunction(() => new DOMMatrix(getComputedStyle(document.querySelector('.react-flow__node[data-id="buy"]')).transform).e === 200, null, WAIT);
      const undone = await blocks(page);
      for (const [id, b] of Object.entries(before)) assert.deepEqual([undone[id].x, undone[id].y], [b.x, b.y], `Undo puts ${id} back`);
      await page.getByRole("button", { name: "Redo" }).click();
      await page.waitForFunction(() => new DOMMatrix(getComputedStyle(document.querySelector('.react-flow__node[data-id="buy"]')).transform).e !== 200, null, WAIT);
      const redone = await blocks(page);
      assert.deepEqual([redone.buy.x, redone.buy.y], [tidy.buy.x, tidy.buy.y], "Redo tidies again");
    }));

  test("a block added with a block selected lands to its right; without one, in view and clear of the others", () =>
    withPage("add", async (page) => {
      const sma = starters.find((s) => s.file === "sma_crossover.json").graph;
      const id = await createStrategy(page, "Add next to", sma);
      await openCanvas(page, id, sma.nodes.length);
      await page.locator('.react-flow__node[data-id="slow"]').click({ position: { x: 60, y: 12 } });
      await page.locator(".bb-inspector code", { hasText: "slow" }).waitFor(WAIT);
      await page.getByRole("button", { name: "Add Exponential moving average (EMA)", exact: true }).click();
      await page.locator('.react-flow__node[data-id="ema"]').waitFor(WAIT);
      await settled(page, ".react-flow__node");
      let b = await blocks(page);
      assert.ok(b.ema.x >= b.slow.x + b.slow.w, `the new block (x ${b.ema.x}) is right of the selected one (right edge ${b.slow.x + b.slow.w})`);
      assert.ok(b.ema.x <= b.slow.x + b.slow.w + 120, "in the next column");
      assert.ok(b.ema.y >= b.slow.y - 10, "not above the selected block");
      assert.deepEqual(overlaps(b), [], "it lands on no other block");
      await screenshot(page, "layout-add-next-to");

      // Nothing selected: the middle of the view, on a free spot.
      await page.locator(".bb-flow .react-flow__pane").click({ position: { x: 20, y: 20 } });
      await page.getByRole("button", { name: "Add Number", exact: true }).click();
      await page.locator('.react-flow__node[data-id="constant"]').waitFor(WAIT);
      await settled(page, ".react-flow__node");
      b = await blocks(page);
      assert.deepEqual(overlaps(b), [], "it lands on no other block");
      const box = await page.locator('.react-flow__node[data-id="constant"]').boundingBox();
      const flow = await page.locator(".bb-flow").boundingBox();
      assert.ok(box.x >= flow.x && box.y >= flow.y && box.x + box.width <= flow.x + flow.width && box.y + box.height <= flow.y + flow.height, "the new block is in view");
    }));
});
