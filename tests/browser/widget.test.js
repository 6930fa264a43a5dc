// The draw-a-digit widget (_ext/mnist_widget.py, web/widget.mjs) in headless Chromium, on every page
// whose source asks for it (a line `<!-- mnist-widget -->`): digits drawn with the mouse, a pen and a
// finger are read right, the JavaScript preparation equals Python's prepare_digit on the same pixels,
// nothing leaves 127.0.0.1, axe-core finds nothing serious, the keyboard reaches the buttons, and the
// runtime and the model load only once the reader draws. Run by `make test-browser`, after `make book`.
// Prints the session's load time, the time per reading and the pages' weight before and after the
// first drawing (also written to SCREENSHOT_DIR/widget-weight.txt, beside the screenshots).

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { after, before, describe, test } from "node:test";

import { chromium } from "playwright-core";

import { BOOK_ROOT, CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS, SITE, serve, sitePages } from "./lib/site.js";
import { blockExternal, isLocalUrl, weighRequests } from "./lib/visit.js";

const AXE_SOURCE = fs.readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
const PYTHON = process.env.PYTHON ?? path.join(BOOK_ROOT, ".venv", "bin", "python");
const SERIOUS = new Set(["serious", "critical"]);
const MARKER = /^\s*<!--\s*mnist-widget\s*-->\s*$/m;
// The files that only the reader's first drawing (or "Load the model") may fetch.
const HEAVY = /\/_web\/(ort\/|model\/)/;

// Digits as pen strokes, in the canvas's own 280x280 pixels: what a reader might draw.
const circle = (cx, cy, rx, ry, n = 32) =>
  [...Array(n + 1).keys()].map((i) => [cx + rx * Math.sin((2 * Math.PI * i) / n), cy - ry * Math.cos((2 * Math.PI * i) / n)]);
const DIGITS = {
  0: [circle(140, 140, 62, 95)],
  1: [[[150, 40], [146, 140], [140, 240]]],
  3: [
    [[80, 60], [140, 35], [195, 70], [150, 130]],
    [[150, 130], [200, 175], [180, 230], [90, 235]],
  ],
  7: [
    [[70, 60], [210, 55]],
    [[210, 55], [150, 150], [120, 235]],
  ],
};

/** The pages whose source has the marker: intro.md and the chapters' markdown cells. */
function pagesAskingForTheWidget() {
  const pages = [];
  const intro = path.join(BOOK_ROOT, "intro.md");
  if (MARKER.test(fs.readFileSync(intro, "utf8"))) pages.push("intro.html");
  const chapters = path.join(BOOK_ROOT, "chapters");
  for (const name of fs.readdirSync(chapters).filter((f) => f.endsWith(".ipynb")).sort()) {
    const nb = JSON.parse(fs.readFileSync(path.join(chapters, name), "utf8"));
    const asks = nb.cells.some((c) => c.cell_type === "markdown" && MARKER.test([].concat(c.source).join("")));
    if (asks) pages.push(`chapters/${name.replace(/\.ipynb$/, ".html")}`);
  }
  return pages;
}

const WIDGET_PAGES = pagesAskingForTheWidget();
const widgetSelector = ".mnist-widget";
let server;
let browser;
const timings = [];
const weights = [];
const fmt = (items) => items.map((x) => `\n  - ${x}`).join("");

before(async () => {
  assert.ok(fs.existsSync(path.join(SITE, "index.html")), `no built site in ${SITE}: run \`make book\` first`);
  server = await serve(SITE);
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
});

after(async () => {
  await browser?.close();
  await server?.close();
});

/** A fresh browser context on `rel`, with everything the tests watch; call close() at the end. */
async function open(rel, { colorScheme = "light", hasTouch = false, initScript = null } = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, colorScheme, hasTouch, serviceWorkers: "block" });
  if (initScript) await context.addInitScript(initScript);
  const external = await blockExternal(context, server.origin);
  const page = await context.newPage();
  const problems = [];
  page.on("pageerror", (e) => problems.push(`uncaught ${e.name}: ${e.message}`));
  page.on("console", (m) => m.type() === "error" && problems.push(`console: ${m.text()} (${m.location()?.url})`));
  page.on("response", (res) => res.status() >= 400 && isLocalUrl(server.origin, res.url()) && problems.push(`HTTP ${res.status()} ${res.url()}`));
  const weighed = weighRequests(page, server.origin);
  const requested = [];
  page.on("request", (req) => requested.push(req.url()));
  await page.goto(`${server.origin}/${rel}`, { waitUntil: "load" });
  await page.waitForLoadState("networkidle", { timeout: 5000 }).catch(() => {});
  const widget = page.locator(widgetSelector).first();
  return {
    page,
    widget,
    external,
    problems,
    requested,
    weighed,
    /** Scroll to the widget and wait until its code has started (data-state is set by widget.mjs). */
    async start() {
      await widget.scrollIntoViewIfNeeded();
      await page.waitForFunction((sel) => document.querySelector(sel)?.mnistWidget, widgetSelector, { timeout: 10_000 });
    },
    api: (method, ...args) => widget.evaluate((el, [m, a]) => el.mnistWidget[m](...a), [method, args]),
    close: () => context.close(),
  };
}

/** Page coordinates of a point given in the drawing canvas's own pixels. */
async function toPage(widget) {
  const pad = widget.locator(".mnist-widget-pad");
  await pad.scrollIntoViewIfNeeded(); // events outside the viewport reach nothing
  const box = await pad.evaluate((el) => {
    const r = el.getBoundingClientRect();
    return { x: r.left + el.clientLeft, y: r.top + el.clientTop, w: el.clientWidth, h: el.clientHeight, cw: el.width, ch: el.height };
  });
  return ([x, y]) => [box.x + (x * box.w) / box.cw, box.y + (y * box.h) / box.ch];
}

async function drawWithMouse(session, strokes) {
  const at = await toPage(session.widget);
  for (const stroke of strokes) {
    await session.page.mouse.move(...at(stroke[0]));
    await session.page.mouse.down();
    for (const point of stroke.slice(1)) await session.page.mouse.move(...at(point), { steps: 4 });
    await session.page.mouse.up();
  }
}

/** Touch (or a pen) through the Chrome DevTools Protocol: real touch / pen pointer events. */
async function drawWithCdp(session, strokes, kind) {
  const at = await toPage(session.widget);
  const cdp = await session.page.context().newCDPSession(session.page);
  for (const stroke of strokes) {
    const points = [];
    for (let i = 0; i < stroke.length - 1; i++) {
      for (let s = 0; s < 4; s++) {
        const t = s / 4;
        points.push([stroke[i][0] + t * (stroke[i + 1][0] - stroke[i][0]), stroke[i][1] + t * (stroke[i + 1][1] - stroke[i][1])]);
      }
    }
    points.push(stroke.at(-1));
    const send = (type, [x, y]) =>
      kind === "touch"
        ? cdp.send("Input.dispatchTouchEvent", { type, touchPoints: type === "touchEnd" ? [] : [{ x, y }] })
        : cdp.send("Input.dispatchMouseEvent", { type, x, y, button: "left", buttons: type === "mouseReleased" ? 0 : 1, clickCount: 1, pointerType: "pen" });
    const [start, move, end] = kind === "touch" ? ["touchStart", "touchMove", "touchEnd"] : ["mousePressed", "mouseMoved", "mouseReleased"];
    await send(start, at(points[0]));
    for (const p of points.slice(1)) await send(move, at(p));
    await send(end, at(points.at(-1)));
  }
  await cdp.detach();
}

/** Draw a digit on a cleared widget, wait for its reading; what the widget shows afterwards. */
async function drawDigit(session, digit, how = "mouse") {
  await session.api("clear");
  if (how === "mouse") await drawWithMouse(session, DIGITS[digit]);
  else await drawWithCdp(session, DIGITS[digit], how);
  await session.api("settled");
  return session.widget.evaluate((el) => ({
    prediction: el.dataset.prediction ?? null,
    state: el.dataset.state,
    result: el.querySelector(".mnist-widget-result").textContent,
    rgba: el.mnistWidget.canvasRGBA(),
    prepared: Array.from(el.mnistWidget.prepared() ?? []),
    probabilities: el.mnistWidget.probabilities(),
  }));
}

/** axe-core on the widget (site.test.js checks each whole page; here, what drawing changes). */
async function axe(page) {
  if (!(await page.evaluate(() => "axe" in window))) await page.addScriptTag({ content: AXE_SOURCE });
  const result = await page.evaluate((sel) => window.axe.run(sel, { resultTypes: ["violations"] }), widgetSelector);
  return result.violations.flatMap((v) =>
    v.nodes.filter((n) => SERIOUS.has(n.impact ?? v.impact)).map((n) => `${v.id} (${v.impact}): ${v.help}: ${n.target.join(" ")}`),
  );
}

/** Python's prepare_digit (tools/widget_fixtures.py --prepare) on canvases {width, height, data}. */
function pythonPrepare(canvases) {
  const out = execFileSync(PYTHON, ["-m", "tools.widget_fixtures", "--prepare"], {
    cwd: BOOK_ROOT,
    input: JSON.stringify(canvases),
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(out.toString());
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

test("every page that asks for the widget has it, and no other page does", () => {
  assert.ok(WIDGET_PAGES.includes("intro.html"), "intro.md has no `<!-- mnist-widget -->` line");
  const built = sitePages().filter((p) => /class="mnist-widget"/.test(fs.readFileSync(path.join(SITE, p), "utf8")));
  assert.deepEqual(built.sort(), [...WIDGET_PAGES].sort(), "pages with the widget in the build vs in the sources");
});

for (const rel of WIDGET_PAGES) {
  describe(rel, () => {
    test("first load: no runtime, no model; they arrive with the first drawing, which reads 0, 1, 3 and 7", async () => {
      const s = await open(rel);
      try {
        const firstLoad = await s.weighed();
        assert.equal(await s.widget.getAttribute("data-state"), "idle");
        const early = s.requested.filter((u) => HEAVY.test(u) || /widget\.mjs|prepare\.mjs/.test(u));
        assert.deepEqual(early, [], `fetched with the page, before the reader did anything:${fmt(early)}`);

        await s.start();
        assert.equal(await s.widget.getAttribute("data-state"), "idle", "the widget's code loaded something by itself");
        assert.deepEqual(s.requested.filter((u) => HEAVY.test(u)), [], "the runtime or the model loaded before any drawing");

        const readings = {};
        for (const digit of Object.keys(DIGITS)) {
          readings[digit] = await drawDigit(s, digit);
          if (!weights.some((w) => w.page === rel)) {
            weights.push({ page: rel, firstLoad, afterDrawing: await s.weighed() });
          }
        }
        const wrong = Object.entries(readings)
          .filter(([digit, r]) => r.prediction !== digit)
          .map(([digit, r]) => `drew ${digit}, the widget says ${r.prediction} (${r.result}; state ${r.state})`);
        assert.deepEqual(wrong, [], `digits read wrong:${fmt(wrong)}`);
        for (const [digit, r] of Object.entries(readings)) {
          assert.equal(r.state, "ready");
          assert.match(r.result, new RegExp(`^Reads ${digit} \\(\\d+\\.\\d%\\)`), "the live result line");
          const sum = r.probabilities.reduce((a, b) => a + b, 0);
          assert.ok(r.probabilities.length === 10 && Math.abs(sum - 1) < 1e-4, `probabilities sum to ${sum}`);
          const bar = await s.widget.locator(".mnist-widget-bars li").nth(Number(digit)).innerText();
          assert.match(bar.replace(/\s+/g, " "), new RegExp(`^${digit} \\d+\\.\\d%$`), "the digit's bar label");
        }

        // The JavaScript 28x28 against Python's prepare_digit of the very same canvas pixels.
        const python = pythonPrepare(Object.values(readings).map((r) => r.rgba));
        Object.values(readings).forEach((r, i) => {
          assert.ok(python[i].prepared, `Python could not prepare the canvas: ${JSON.stringify(python[i].error)}`);
          const worst = Math.max(...r.prepared.map((v, j) => Math.abs(v - python[i].prepared[j])));
          assert.ok(worst <= 1 / 255, `drawing ${Object.keys(readings)[i]}: JavaScript and Python differ by ${worst}`);
        });

        const t = await s.api("timings");
        assert.ok(t.loadMs > 0 && t.inferenceMs.length >= 4, `timings: ${JSON.stringify(t)}`);
        timings.push({ page: rel, loadMs: t.loadMs, inferenceMs: t.inferenceMs });
        console.log(
          `# ${rel}: runtime and model loaded in ${t.loadMs.toFixed(0)} ms; one reading takes ${median(t.inferenceMs).toFixed(1)} ms ` +
            `(median of ${t.inferenceMs.length}; the first, ${t.inferenceMs[0].toFixed(1)} ms, warms up)`,
        );
        assert.deepEqual(s.external, [], `requests to other hosts than 127.0.0.1:${fmt(s.external)}`);
        assert.deepEqual(s.problems, [], `errors in the page:${fmt(s.problems)}`);
      } finally {
        await s.close();
      }
    });

    test("a finger (touch events) and a pen draw too", async () => {
      const s = await open(rel, { hasTouch: true });
      try {
        await s.start();
        await s.widget.locator(".mnist-widget-pad").evaluate((pad) => {
          window.pointerTypes = [];
          pad.addEventListener("pointerdown", (e) => window.pointerTypes.push(e.pointerType));
        });
        const touched = await drawDigit(s, "7", "touch");
        assert.equal(touched.prediction, "7", `a 7 drawn by touch: ${touched.result}`);
        const penned = await drawDigit(s, "1", "pen");
        assert.equal(penned.prediction, "1", `a 1 drawn with a pen: ${penned.result}`);
        const types = await s.page.evaluate(() => [...new Set(window.pointerTypes)]);
        assert.deepEqual(types.sort(), ["pen", "touch"], "pointer types the widget received");
        const scrolled = await s.page.evaluate(() => getComputedStyle(document.querySelector(".mnist-widget-pad")).touchAction);
        assert.equal(scrolled, "none", "touch-action on the drawing area (a finger must draw, not scroll)");
        assert.deepEqual(s.external, []);
        assert.deepEqual(s.problems, [], `errors in the page:${fmt(s.problems)}`);
      } finally {
        await s.close();
      }
    });

    test("keyboard: Tab reaches Load and Clear; Clear resets the reading and the bars", async () => {
      const s = await open(rel);
      try {
        await s.start();
        // Focus the last focusable element before the widget's buttons, then Tab on from there.
        await s.page.evaluate((sel) => {
          const load = document.querySelector(`${sel} [data-action="load"]`);
          const focusable = [...document.querySelectorAll("a[href], button, input, select, textarea, [tabindex]")].filter(
            (el) => el.tabIndex >= 0 && !el.disabled && el.checkVisibility({ visibilityProperty: true }),
          );
          const previous = focusable[focusable.indexOf(load) - 1];
          previous.focus();
          if (document.activeElement !== previous) throw new Error(`could not focus ${previous.outerHTML.slice(0, 120)}`);
        }, widgetSelector);
        const focused = () => s.page.evaluate(() => document.activeElement?.dataset?.action ?? document.activeElement?.tagName);
        await s.page.keyboard.press("Tab");
        assert.equal(await focused(), "load", "Tab did not reach the Load button");
        await s.page.keyboard.press("Enter");
        await s.page.waitForFunction((sel) => document.querySelector(sel).dataset.state === "ready", widgetSelector, { timeout: 30_000 });
        await s.page.keyboard.press("Tab");
        assert.equal(await focused(), "clear", "Tab did not reach the Clear button");

        const drawn = await drawDigit(s, "0");
        assert.equal(drawn.prediction, "0");
        await s.widget.locator('[data-action="clear"]').focus();
        await s.page.keyboard.press("Space");
        const cleared = await s.widget.evaluate((el) => ({
          prediction: el.dataset.prediction ?? null,
          widths: [...el.querySelectorAll(".mnist-widget-bar > span")].map((b) => b.style.width || "0"),
          labels: [...el.querySelectorAll(".mnist-widget-pct")].map((p) => p.textContent),
          blank: el.mnistWidget.canvasRGBA().data.every((v) => v === 0),
          probabilities: el.mnistWidget.probabilities(),
        }));
        assert.equal(cleared.prediction, null, "data-prediction after Clear");
        assert.ok(cleared.widths.every((w) => parseFloat(w) === 0), `bars after Clear: ${cleared.widths}`);
        assert.ok(cleared.labels.every((l) => !/\d/.test(l)), `bar labels after Clear: ${cleared.labels}`);
        assert.ok(cleared.blank && cleared.probabilities === null, "the canvas or the probabilities were not cleared");
        assert.deepEqual(s.problems, [], `errors in the page:${fmt(s.problems)}`);
      } finally {
        await s.close();
      }
    });

    for (const colorScheme of ["light", "dark"]) {
      test(`${colorScheme} mode: axe-core finds no serious or critical violations before and after a drawing; screenshot`, async () => {
        const s = await open(rel, { colorScheme });
        try {
          await s.start();
          const theme = await s.page.evaluate(() => document.documentElement.dataset.theme);
          assert.equal(theme, colorScheme, "the page did not follow the browser's colour scheme");
          const before = await axe(s.page);
          const drawn = await drawDigit(s, "7");
          assert.equal(drawn.prediction, "7", `a 7 in ${colorScheme} mode: ${drawn.result}`);
          const afterDrawing = await axe(s.page);
          assert.deepEqual([...before, ...afterDrawing], [], `axe-core:${fmt([...before, ...afterDrawing])}`);
          const name = `widget-${path.basename(rel, ".html")}${colorScheme === "dark" ? "-dark" : ""}.png`;
          await s.page.mouse.move(0, 0);
          await s.widget.screenshot({ path: path.join(SCREENSHOTS, name) });
          console.log(`# screenshot: ${path.join(SCREENSHOTS, name)}`);
          assert.deepEqual(s.external, []);
          assert.deepEqual(s.problems, [], `errors in the page:${fmt(s.problems)}`);
        } finally {
          await s.close();
        }
      });
    }
  });
}

describe("when the runtime is missing, slow or fails", () => {
  const rel = WIDGET_PAGES[0];

  test("without WebAssembly the widget says so plainly (data-state no-wasm), and still shows the 28x28 input", async () => {
    const s = await open(rel, { initScript: () => delete globalThis.WebAssembly });
    try {
      await s.start();
      assert.equal(await s.widget.getAttribute("data-state"), "no-wasm");
      assert.match(await s.widget.locator(".mnist-widget-result").innerText(), /cannot run WebAssembly/);
      assert.ok(await s.widget.locator('[data-action="load"]').isDisabled(), "Load is not disabled");
      const drawn = await drawDigit(s, "1");
      assert.equal(drawn.prediction, null);
      assert.equal(drawn.prepared.length, 784, "no 28x28 input shown without WebAssembly");
      assert.deepEqual(s.requested.filter((u) => HEAVY.test(u)), [], "it fetched the runtime anyway");
      assert.deepEqual(s.problems, [], `errors in the page (there must be no traceback):${fmt(s.problems)}`);
    } finally {
      await s.close();
    }
  });

  test("drawing and clearing while the model loads: the latest drawing is the one read", async () => {
    const s = await open(rel);
    try {
      // A slow network: the model arrives a second after it is asked for.
      await s.page.route("**/_web/model/**", (route) => setTimeout(() => route.continue(), 1000));
      await s.start();
      await drawWithMouse(s, DIGITS[1]); // starts loading
      assert.equal(await s.widget.getAttribute("data-state"), "loading");
      await s.api("clear");
      await drawWithMouse(s, DIGITS[7]);
      await s.api("settled");
      assert.equal(await s.widget.getAttribute("data-state"), "ready");
      assert.equal(await s.widget.getAttribute("data-prediction"), "7");
      assert.deepEqual(s.problems, [], `errors in the page:${fmt(s.problems)}`);
    } finally {
      await s.close();
    }
  });

  test("a model file that does not arrive: data-state error, a message, and Load tries again", async () => {
    const s = await open(rel);
    try {
      await s.page.route("**/_web/model/**", (route) => route.fulfill({ status: 503, body: "unavailable" }));
      await s.start();
      await s.widget.locator('[data-action="load"]').click();
      await s.page.waitForFunction((sel) => document.querySelector(sel).dataset.state === "error", widgetSelector);
      assert.match(await s.widget.locator(".mnist-widget-result").innerText(), /could not be loaded \(the model file answered HTTP 503\)/);
      await s.page.unroute("**/_web/model/**");
      await s.widget.locator('[data-action="load"]').click();
      await s.page.waitForFunction((sel) => document.querySelector(sel).dataset.state === "ready", widgetSelector, { timeout: 30_000 });
      const pageErrors = s.problems.filter((p) => !/HTTP 503|status of 503/.test(p));
      assert.deepEqual(pageErrors, [], `errors in the page:${fmt(pageErrors)}`);
    } finally {
      await s.close();
    }
  });
});

test("summary: page weight before and after the first drawing, load and reading times", () => {
  assert.equal(weights.length, WIDGET_PAGES.length, "a widget page was not weighed");
  const kb = (n) => (n / 1024).toFixed(0);
  const rows = [
    ["page", "first load KB", "gzip KB", "requests", "after first drawing KB", "gzip KB", "requests"],
    ...weights.map((w) => [
      w.page,
      kb(w.firstLoad.total),
      kb(w.firstLoad.gzip),
      String(w.firstLoad.requests),
      kb(w.afterDrawing.total),
      kb(w.afterDrawing.gzip),
      String(w.afterDrawing.requests),
    ]),
  ];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const lines = [
    "Widget pages: bytes transferred on first load and after the first drawing (runtime and model included);",
    "gzip KB: what a host that compresses would send. KB = 1024 bytes.",
    ...rows.map((r) => r.map((c, i) => (i ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join("  ")),
    ...timings.map(
      (t) =>
        `${t.page}: runtime and model loaded in ${t.loadMs.toFixed(0)} ms; a reading takes ${median(t.inferenceMs).toFixed(1)} ms ` +
        `(median of ${t.inferenceMs.length}, the first ${t.inferenceMs[0].toFixed(1)} ms)`,
    ),
  ];
  fs.writeFileSync(path.join(SCREENSHOTS, "widget-weight.txt"), lines.join("\n") + "\n");
  console.log(lines.map((l) => `# ${l}`).join("\n"));
  for (const w of weights) {
    const heavy = w.afterDrawing.urls.filter((u) => HEAVY.test(u));
    assert.ok(heavy.length >= 3, `${w.page}: the first drawing did not fetch the runtime and the model: ${heavy}`);
  }
});
