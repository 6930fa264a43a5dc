// The website (_build/html) tested in a real browser: headless Chromium from Debian, driven by
// playwright-core, the site served from 127.0.0.1. Run: `make test-browser` (after `make book`),
// or `cd tests/browser && npm ci && node --test --test-reporter=spec`.
// Pages are discovered from the build, so chapters added later are tested without changes here.

import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";

import { chromium } from "playwright-core";

import {
  BOOK_PATH,
  BOOK_ROOT,
  BRANCH,
  CHROMIUM,
  CHROMIUM_ARGS,
  REPO,
  SCREENSHOTS,
  SITE,
  chapterPages,
  contrast,
  notebookExpectations,
  parseColor,
  serve,
  sitePages,
  tocFiles,
} from "./lib/site.js";
import { blockExternal, isRedirect, searchResults, searchSite, settleAnimations, visitPage } from "./lib/visit.js";

// Words a reader searches for -> the chapters that must come up (checked only for chapters
// that are in the build). On top of this table, every built chapter whose text contains the
// word must be found.
const SEARCH_TABLE = {
  convolution: ["01_mnist_dataset", "05_dense_vs_cnn"],
  "one-hot": ["04_one_hot_encoding"],
  normalization: ["03_normalization"],
  overfitting: ["06_overfitting"],
};

// axe-core violations of impact serious or critical fail the test, except those listed here:
// problems of the theme (sphinx-book-theme / pydata-sphinx-theme) that the book's own content
// cannot fix. Each entry: rule id -> { why, selector: RegExp matching the offending node(s) }.
const AXE_ALLOWED = {};

// A sanity budget for one page (everything it transfers on first load).
const PAGE_BUDGET_BYTES = 10 * 1024 * 1024;

const PAGES = sitePages();
const CHAPTERS = new Set(chapterPages());
const SERIOUS = new Set(["serious", "critical"]);

let server;
let browser;
const visits = new Map();
const visit = (rel) => {
  if (!visits.has(rel)) {
    visits.set(rel, visitPage(browser, server.origin, rel, { screenshot: CHAPTERS.has(rel) }));
  }
  return visits.get(rel);
};

before(async () => {
  assert.ok(
    fs.existsSync(path.join(SITE, "index.html")),
    `no built site in ${SITE}: run \`make book\` (or \`make test-build\`) first`,
  );
  assert.ok(fs.existsSync(CHROMIUM), `no Chromium at ${CHROMIUM}: apt-get install chromium (or set CHROMIUM_PATH)`);
  server = await serve(SITE);
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  fs.rmSync(SCREENSHOTS, { recursive: true, force: true });
});

after(async () => {
  await browser?.close();
  await server?.close();
});

const fmt = (items, n = 10) =>
  items.slice(0, n).map((x) => `\n  - ${typeof x === "string" ? x : JSON.stringify(x)}`).join("") +
  (items.length > n ? `\n  ... and ${items.length - n} more` : "");

test("the site has pages, and every _toc.yml entry with a source file is built", () => {
  assert.ok(PAGES.length > 0, `no pages found in ${SITE}`);
  const missing = [];
  for (const file of tocFiles()) {
    const hasSource = [".md", ".ipynb"].some((ext) => fs.existsSync(path.join(BOOK_ROOT, file + ext)));
    if (hasSource && !fs.existsSync(path.join(SITE, `${file}.html`))) missing.push(file);
  }
  assert.deepEqual(missing, [], `in _toc.yml with a source file, but not built:${fmt(missing)}`);
  console.log(`# ${PAGES.length} pages (${CHAPTERS.size} chapters) in ${SITE}`);
});

for (const rel of PAGES) {
  const isChapter = CHAPTERS.has(rel);

  describe(rel, () => {
    test("loads with no console errors, no failed requests and nothing from another host", async () => {
      const r = await visit(rel);
      assert.equal(r.status, 200);
      assert.deepEqual(r.pageErrors, [], `uncaught errors:${fmt(r.pageErrors)}`);
      assert.deepEqual(r.consoleErrors, [], `console errors:${fmt(r.consoleErrors)}`);
      assert.deepEqual(r.failedRequests, [], `failed requests:${fmt(r.failedRequests)}`);
      // Every file must come from the site's own host: a reader with no network gets the whole page.
      assert.deepEqual(r.external, [], `requests to other hosts than 127.0.0.1 (blocked):${fmt(r.external)}`);
      if (r.redirect) assert.ok(r.redirectedTo?.startsWith(server.origin + "/"), `redirect ${r.redirect}`);
    });

    test("every image loads and has alt text", async () => {
      const r = await visit(rel);
      const broken = r.images.filter((i) => !i.complete || i.naturalWidth === 0).map((i) => i.src);
      assert.deepEqual(broken, [], `images that did not load:${fmt(broken)}`);
      const noAlt = r.images.filter((i) => !i.alt?.trim() && i.role !== "presentation").map((i) => i.src);
      assert.deepEqual(noAlt, [], `images without alt text:${fmt(noAlt)}`);
      // Figures in the text (plots, pictures) need a real description, not a word or a file name.
      const poor = r.images
        .filter((i) => i.inContent && ((i.alt ?? "").trim().length < 20 || /\.(png|jpe?g|svg|gif)$/i.test(i.alt)))
        .map((i) => `${i.src}: alt="${i.alt}"`);
      assert.deepEqual(poor, [], `figures whose alt text is not a description:${fmt(poor)}`);
    });

    if (isRedirect(rel)) {
      // A redirect stub (index.html): nothing to read, nothing more to check.
      return;
    }

    test("axe-core: no serious or critical accessibility violations (light and dark)", async () => {
      const r = await visit(rel);
      const report = [];
      for (const [mode, violations] of [["light", r.axeLight], ["dark", r.axeDark ?? []]]) {
        for (const v of violations) {
          const nodes = v.nodes.filter((n) => SERIOUS.has(n.impact ?? v.impact));
          const allowed = AXE_ALLOWED[v.id];
          const failing = nodes.filter((n) => !(allowed && allowed.selector.test(n.target)));
          if (nodes.length > failing.length) {
            console.log(`# ${rel} (${mode}): allowed ${v.id} on ${nodes.length - failing.length} node(s): ${allowed.why}`);
          }
          if (failing.length) {
            report.push(`[${mode}] ${v.id} (${v.impact}): ${v.help} ${fmt(failing.map((n) => `${n.target}  ${n.html}`), 5)}`);
          }
        }
      }
      assert.deepEqual(report, [], `axe-core violations:\n${report.join("\n")}`);
    });

    test("every internal link and anchor resolves", async () => {
      const r = await visit(rel);
      const problems = [];
      for (const link of r.links) {
        const url = new URL(link.href);
        if (url.origin !== server.origin) continue;
        let target = decodeURIComponent(url.pathname).replace(/^\//, "");
        if (target === "" || target.endsWith("/")) target += "index.html";
        const file = path.join(SITE, target);
        if (!fs.existsSync(file) || !fs.statSync(file).isFile()) {
          problems.push(`${link.kind} ${link.raw}: no file ${target}`);
          continue;
        }
        const fragment = decodeURIComponent(url.hash.replace(/^#/, ""));
        if (!fragment || link.kind !== "a" || !target.endsWith(".html")) continue;
        const ids = PAGES.includes(target)
          ? (await visit(target)).ids
          : [...fs.readFileSync(file, "utf8").matchAll(/\s(?:id|name)="([^"]+)"/g)].map((m) => m[1]);
        if (!ids.includes(fragment)) problems.push(`a ${link.raw}: no anchor #${fragment} in ${target}`);
      }
      assert.deepEqual(problems, [], `broken internal links:${fmt(problems, 20)}`);
      const local = r.links.filter((l) => l.href.startsWith(server.origin));
      console.log(`# ${rel}: ${local.length} internal links, ${r.links.length - local.length} external (not followed)`);
    });

    test("the light/dark switch changes html[data-theme] and the page stays readable", async () => {
      const r = await visit(rel);
      assert.ok(r.themeButton, "no visible theme switch button");
      const themes = r.themeSteps.map((s) => s.theme);
      assert.equal(themes[0], "light", `starts in ${themes[0]}`);
      assert.ok(themes.includes("dark"), `html[data-theme] went ${themes.join(" -> ")}, never dark`);
      assert.equal(themes.at(-1), "light", `could not switch back to light: ${themes.join(" -> ")}`);
      for (const step of r.themeSteps.filter((s) => s.theme === "dark").slice(0, 1)) {
        const bg = parseColor(step.background);
        const fg = parseColor(step.color);
        assert.ok(bg && bg.luminance < 0.2, `dark mode background is not dark: ${step.background}`);
        assert.ok(contrast(bg.luminance, fg.luminance) >= 4.5, `text ${step.color} on ${step.background}`);
      }
    });

    if (!isChapter) return;

    test("shows the notebook's code outputs and plots", async () => {
      const r = await visit(rel);
      const nb = notebookExpectations(rel);
      assert.ok(nb.cellsWithOutput > 0, `${nb.name}.ipynb has no stored outputs: run \`make execute CHAPTERS=...\``);
      assert.equal(r.outputs, nb.cellsWithOutput, "code cells with outputs on the page vs in the notebook");
      const plots = r.images.filter((i) => i.inOutput);
      assert.equal(plots.length, nb.images, "output images on the page vs image outputs in the notebook");
      const hidden = plots.filter((i) => !i.inClosedDetails && !i.visible).map((i) => i.src);
      assert.deepEqual(hidden, [], `plots that are not displayed:${fmt(hidden)}`);
    });

    test("plots stay readable in dark mode (opaque or on a light background, not inverted)", async (t) => {
      const r = await visit(rel);
      assert.ok(r.darkImages, "the page never switched to dark mode");
      if (!r.darkImages.length) return t.skip("no plots on this page");
      const bad = [];
      for (const img of r.darkImages) {
        const opaque = img.corner && img.corner[3] === 255;
        const bg = parseColor(img.background);
        const lightBackground = bg && bg.alpha === 1 && bg.luminance > 0.5;
        if (!opaque && !lightBackground) bad.push(`${img.src}: transparent, on ${img.background}`);
        if (/invert/.test(img.filter)) bad.push(`${img.src}: inverted (${img.filter})`);
        if (Number(img.opacity) < 0.9) bad.push(`${img.src}: opacity ${img.opacity}`);
      }
      assert.deepEqual(bad, [], `plots unreadable in dark mode:${fmt(bad)}`);
    });

    test("Colab, Binder and download links point at this notebook on the book's branch", async () => {
      const r = await visit(rel);
      const name = path.basename(rel, ".html");
      const nbPath = [BOOK_PATH, "chapters", `${name}.ipynb`].filter(Boolean).join("/");
      const colab = `https://colab.research.google.com/github/${REPO}/blob/${BRANCH}/${nbPath}`;
      const binder = `https://mybinder.org/v2/gh/${REPO}/${BRANCH}?urlpath=tree/${nbPath}`;
      assert.deepEqual([...new Set(r.launch.colab)], [colab], "Colab link");
      assert.deepEqual([...new Set(r.launch.binder)], [binder], "Binder link");
      const download = `${server.origin}/_sources/chapters/${name}.ipynb`;
      assert.deepEqual([...new Set(r.launch.download)], [download], "download link");
      const res = await fetch(download);
      assert.equal(res.status, 200, `${download} does not exist`);
      const nb = JSON.parse(await res.text());
      assert.equal(nb.nbformat, 4, "the download is not a notebook");
    });

    test("collapsed solutions are hidden and open when clicked", async () => {
      const r = await visit(rel);
      const nb = notebookExpectations(rel);
      const code = r.toggles.filter((t) => t.before.kind === "code");
      assert.equal(code.length, nb.hiddenInputs, "collapsed code cells on the page vs hide-input cells in the notebook");
      const bad = [];
      for (const { before: b, after: a } of r.toggles) {
        if (b.open || b.visible) bad.push(`"${b.label}" (${b.kind}) is not collapsed on load`);
        if (!a.open || !a.visible) bad.push(`"${b.label}" (${b.kind}) did not open when clicked`);
        if (b.kind === "code" && !(a.code?.visible && a.code.text)) bad.push(`"${b.label}": no code visible after the click`);
      }
      assert.deepEqual(bad, [], fmt(bad));
    });

    test("a screenshot is saved for review", async () => {
      const r = await visit(rel);
      assert.ok(fs.statSync(r.screenshot).size > 10_000, `${r.screenshot} is empty`);
      console.log(`# screenshots: ${r.screenshot}, ${path.basename(r.darkScreenshot)}`);
    });
  });
}

// The contrast checks run on a page at rest: a cell opened a moment ago is still fading in
// (myst-nb, 0.3 s), and half-transparent text fails contrast on a slow machine only.
test("the accessibility checks wait until an opened cell has faded in", async () => {
  const rel = PAGES.find((p) => /<details class="[^"]*\bhide above-input"/.test(fs.readFileSync(path.join(SITE, p), "utf8")));
  assert.ok(rel, "no page with a hidden code cell (hide-input) to open");
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  try {
    await blockExternal(context, server.origin);
    const page = await context.newPage();
    await page.goto(`${server.origin}/${rel}`, { waitUntil: "load" });
    const details = page.locator("details.hide.above-input").first();
    await details.locator(":scope > summary").click();
    const opacity = () => details.evaluate((d) => getComputedStyle(d.querySelector(":scope > summary ~ *")).opacity);
    await settleAnimations(page);
    assert.equal(await opacity(), "1", `${rel}: the opened cell is not fully shown when the checks would run`);
  } finally {
    await context.close();
  }
});

describe("search", () => {
  for (const [word, table] of Object.entries(SEARCH_TABLE)) {
    test(`"${word}" finds the chapters that contain it`, async (t) => {
      const pattern = new RegExp(`\\b${word.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/-/g, "[-\\s]")}`, "i");
      const expected = new Set(table.map((c) => `chapters/${c}.html`).filter((p) => CHAPTERS.has(p)));
      for (const page of CHAPTERS) if (pattern.test((await visit(page)).text)) expected.add(page);
      if (!expected.size) {
        t.skip(`no chapter in the build contains "${word}" yet`);
        return;
      }
      const found = await searchSite(browser, server.origin, word);
      const missing = [...expected].filter((p) => !found.includes(p));
      assert.deepEqual(missing, [], `search.html?q=${word} found ${JSON.stringify(found)}`);
      console.log(`# search "${word}": ${found.length} page(s), expected chapters found: ${[...expected].join(", ")}`);
    });
  }

  test("the search box in the page header leads to the results", async () => {
    const start = [...CHAPTERS][0] ?? PAGES.find((p) => p !== "index.html");
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    try {
      const external = await blockExternal(context, server.origin);
      const page = await context.newPage();
      await page.goto(`${server.origin}/${start}`, { waitUntil: "load" });
      await page.locator(".search-button__button:visible").first().click();
      const input = page.locator("#pst-search-dialog input[type=search]");
      await input.waitFor({ state: "visible" });
      await input.fill("mnist");
      await Promise.all([page.waitForURL(/search\.html\?q=mnist/), input.press("Enter")]);
      const found = await searchResults(page, server.origin);
      assert.ok(found.includes(start), `searching "mnist" from ${start} found ${JSON.stringify(found)}`);
      assert.deepEqual(external, [], `requests to other hosts than 127.0.0.1:${fmt(external)}`);
    } finally {
      await context.close();
    }
  });
});

test("summary, and page weight (bytes transferred on first load: HTML, CSS, JS, images, fonts)", async () => {
  const rows = [];
  const count = { images: 0, internal: 0, anchors: 0, external: 0, toggles: 0, blocked: new Set() };
  for (const rel of PAGES) {
    const r = await visit(rel);
    count.images += r.images.length;
    count.toggles += r.toggles?.length ?? 0;
    for (const l of r.links) {
      if (!l.href.startsWith(server.origin)) count.external += 1;
      else if (l.kind === "a" && new URL(l.href).hash.length > 1) count.anchors += 1;
      else count.internal += 1;
    }
    for (const u of r.external) count.blocked.add(new URL(u).host);
    const label = r.redirectedTo ? `${rel} (-> ${new URL(r.redirectedTo).pathname.slice(1)})` : rel;
    rows.push({ page: label, ...r.weight, seconds: r.seconds });
    if (process.env.BROWSER_TEST_TIMINGS) console.log(`# ${rel}: ${JSON.stringify(r.timings)}`);
  }
  rows.sort((a, b) => b.total - a.total);
  const kb = (n) => (n / 1024).toFixed(0);
  const columns = ["page", "total KB", "gzip KB", "html", "css", "js", "img", "font", "other", "requests", "visit s"];
  const table = [
    columns,
    ...rows.map((w) => [
      w.page,
      ...[w.total, w.gzip, w.html, w.css, w.js, w.img, w.font, w.other].map(kb),
      String(w.requests),
      w.seconds.toFixed(1),
    ]),
  ];
  const widths = columns.map((_, i) => Math.max(...table.map((row) => row[i].length)));
  const lines = [
    "Page weight: bytes transferred on first load, as served here (uncompressed); gzip KB: what a",
    "host that compresses would send (gzip of each text file). KB = 1024 bytes.",
    ...table.map((row) => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join("  ")),
    `heaviest page: ${rows[0].page}, ${(rows[0].total / 1024 / 1024).toFixed(2)} MiB (${(rows[0].gzip / 1024 / 1024).toFixed(2)} MiB gzipped) in ${rows[0].requests} requests`,
  ];
  lines.unshift(
    `Checked ${PAGES.length} pages (${CHAPTERS.size} chapters): ${count.images} images, ${count.internal} internal links ` +
      `and ${count.anchors} links to anchors (${count.external} external links not followed), ${count.toggles} collapsed blocks.`,
    `External requests blocked: ${count.blocked.size ? [...count.blocked].join(", ") : "none"}.`,
  );
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  fs.writeFileSync(path.join(SCREENSHOTS, "page-weight.txt"), lines.join("\n") + "\n");
  console.log(lines.map((l) => `# ${l}`).join("\n"));
  const over = rows.filter((w) => w.total > PAGE_BUDGET_BYTES).map((w) => `${w.page}: ${kb(w.total)} KB`);
  assert.deepEqual(over, [], `pages over the ${PAGE_BUDGET_BYTES / 1024 / 1024} MiB budget:${fmt(over)}`);
});
