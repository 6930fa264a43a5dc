// One visit of one page in a fresh browser context: everything the tests assert is gathered
// here, so that each page is loaded once (a few seconds a page on 2 cores).

import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import zlib from "node:zlib";

import { SCREENSHOTS, SITE } from "./site.js";

const require = createRequire(import.meta.url);
const AXE_SOURCE = fs.readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

const gzipSizes = new Map();
/** What a host that compresses (GitHub Pages, Netlify...) would send for a local URL: gzip -6 of the file. */
export function gzipSize(url) {
  let file;
  try {
    file = path.join(SITE, decodeURIComponent(new URL(url).pathname));
    if (file.endsWith(path.sep)) file = path.join(file, "index.html");
  } catch {
    return 0;
  }
  if (!gzipSizes.has(file)) {
    const data = fs.existsSync(file) && fs.statSync(file).isFile() ? fs.readFileSync(file) : null;
    const compressible = /\.(html|css|m?js|json|svg|txt|ipynb|map|wasm)$/i.test(file);
    gzipSizes.set(file, !data ? 0 : compressible ? zlib.gzipSync(data).length : data.length);
  }
  return gzipSizes.get(file);
}

const WEIGHT_KIND = { document: "html", stylesheet: "css", script: "js", image: "img", font: "font" };

/** Whether a URL stays on the test server (data:, blob: and about: never reach a network). */
export const isLocalUrl = (origin, url) => url.startsWith(origin + "/") || /^(data|blob|about):/.test(url);

/**
 * Let `context` reach only the test server on 127.0.0.1: every other request is aborted and its URL
 * pushed to the list returned, which the tests require to stay empty (a reader with no network, or
 * with a blocker, must get the whole site from its own host).
 */
export async function blockExternal(context, origin) {
  const external = [];
  await context.route("**/*", (route) => {
    const url = route.request().url();
    if (isLocalUrl(origin, url)) return route.continue();
    external.push(url);
    return route.abort("blockedbyclient");
  });
  return external;
}

/** Bytes a page transferred, by kind, from the requests it finished (as the page-weight table counts them). */
export function weighRequests(page, origin) {
  const sizes = [];
  page.on("requestfinished", (req) => {
    sizes.push(
      req
        .sizes()
        .then((s) => ({
          url: req.url(),
          kind: WEIGHT_KIND[req.resourceType()] ?? "other",
          bytes: s.responseBodySize + s.responseHeadersSize,
          gzip: isLocalUrl(origin, req.url()) ? gzipSize(req.url()) + s.responseHeadersSize : 0,
        }))
        .catch(() => null),
    );
  });
  return async () => {
    const weight = { html: 0, css: 0, js: 0, img: 0, font: 0, other: 0, total: 0, gzip: 0, requests: 0, urls: [] };
    for (const s of await Promise.all(sizes)) {
      if (!s) continue;
      weight[s.kind] += s.bytes;
      weight.total += s.bytes;
      weight.gzip += s.gzip;
      weight.requests += 1;
      weight.urls.push(s.url);
    }
    return weight;
  };
}

/** Whether a page of the site only forwards to another (Jupyter Book's index.html). */
export function isRedirect(rel) {
  return /<meta http-equiv="refresh"/i.test(fs.readFileSync(path.join(SITE, rel), "utf8").slice(0, 1000));
}

/**
 * Wait until every running CSS animation and transition that ends has ended. myst-nb fades the
 * content of an opened <details> in over 0.3 s: a contrast check made halfway through measures
 * half-transparent text (seen on a loaded CI machine, never on a reader's screen a moment later).
 */
export async function settleAnimations(page, timeoutMs = 5_000) {
  await page.evaluate(async (timeoutMs) => {
    const ending = document.getAnimations().filter((a) => Number.isFinite(a.effect?.getComputedTiming().endTime));
    const timeout = new Promise((done) => setTimeout(done, timeoutMs));
    await Promise.race([Promise.all(ending.map((a) => a.finished.catch(() => null))), timeout]);
  }, timeoutMs);
}

/** Run axe-core on the page once its animations have ended; every violation, with its nodes. */
async function runAxe(page, rules = null) {
  await settleAnimations(page);
  if (!(await page.evaluate(() => typeof window.axe !== "undefined"))) {
    await page.addScriptTag({ content: AXE_SOURCE });
  }
  return page.evaluate(async (rules) => {
    const options = { resultTypes: ["violations"] };
    if (rules) options.runOnly = { type: "rule", values: rules };
    const result = await window.axe.run(document, options);
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      helpUrl: v.helpUrl,
      nodes: v.nodes.map((n) => ({ target: n.target.join(" "), impact: n.impact, html: n.html.slice(0, 200) })),
    }));
  }, rules);
}

/** The page's state of <html data-theme>, and the colours of its body. */
function themeState(page) {
  return page.evaluate(() => {
    const body = getComputedStyle(document.body);
    return {
      theme: document.documentElement.dataset.theme,
      mode: document.documentElement.dataset.mode,
      background: body.backgroundColor,
      color: body.color,
    };
  });
}

/** For each output image: whether it stays readable (opaque or on a light background, not inverted). */
function outputImageLooks(page) {
  return page.evaluate(() =>
    [...document.querySelectorAll(".bd-article .cell_output img")].map((img) => {
      let corner = null;
      try {
        const canvas = document.createElement("canvas");
        canvas.width = img.naturalWidth;
        canvas.height = img.naturalHeight;
        const ctx = canvas.getContext("2d");
        ctx.drawImage(img, 0, 0);
        corner = [...ctx.getImageData(0, 0, 1, 1).data];
      } catch (e) {
        corner = null;
      }
      const style = getComputedStyle(img);
      return {
        src: img.getAttribute("src"),
        corner,
        background: style.backgroundColor,
        filter: style.filter,
        opacity: style.opacity,
      };
    }),
  );
}

/**
 * Load `rel` (a path under the site) from `origin` and gather what the tests check.
 * options.screenshot: save <name>.png (full page, light) and <name>-dark.png (dark, at the first plot).
 */
export async function visitPage(browser, origin, rel, { screenshot = false, interact = true } = {}) {
  const started = Date.now();
  const context = await browser.newContext({
    viewport: { width: 1280, height: 900 },
    colorScheme: "light",
    serviceWorkers: "block",
    reducedMotion: "reduce",
  });
  const page = await context.newPage();
  const isLocal = (u) => isLocalUrl(origin, u);
  const r = {
    page: rel,
    url: `${origin}/${rel}`,
    consoleErrors: [],
    pageErrors: [],
    failedRequests: [],
    // Nothing may leave 127.0.0.1: requests to other hosts are blocked, listed here, and fail the test.
    external: await blockExternal(context, origin),
    weight: { html: 0, css: 0, js: 0, img: 0, font: 0, other: 0, total: 0, gzip: 0, requests: 0 },
  };
  const weighed = weighRequests(page, origin);
  page.on("console", (msg) => {
    if (msg.type() !== "error") return;
    const where = msg.location()?.url ?? "";
    // The console line Chromium prints for a request we blocked on purpose (listed in r.external).
    if (/net::ERR_BLOCKED_BY_CLIENT/.test(msg.text()) && where && !isLocal(where)) return;
    r.consoleErrors.push(`${msg.text()} (${where}:${msg.location()?.lineNumber ?? "?"})`);
  });
  page.on("pageerror", (err) => r.pageErrors.push(`${err?.name ?? "Error"}: ${err?.message ?? err}`));
  page.on("requestfailed", (req) => {
    if (isLocal(req.url())) r.failedRequests.push(`${req.url()}: ${req.failure()?.errorText}`);
  });
  page.on("response", (res) => {
    if (res.status() >= 400 && isLocal(res.url())) r.failedRequests.push(`HTTP ${res.status()} ${res.url()}`);
  });

  try {
    // Jupyter Book's index.html only forwards to the root page (<meta http-equiv="Refresh">).
    r.redirect = isRedirect(rel);
    const response = await page.goto(r.url, { waitUntil: "load", timeout: 30_000 });
    r.status = response?.status();
    if (r.redirect) {
      await page.waitForURL((u) => u.href !== r.url, { timeout: 10_000 });
      await page.waitForLoadState("load");
      r.redirectedTo = page.url();
    }
    await page.waitForLoadState("networkidle", { timeout: 5_000 }).catch(() => {});

    // Images: make lazy ones load, then wait for every image to settle.
    await page.evaluate(async () => {
      for (const img of document.images) if (img.loading === "lazy") img.loading = "eager";
      await Promise.all(
        [...document.images].map((img) =>
          img.complete
            ? null
            : new Promise((done) => {
                img.addEventListener("load", done, { once: true });
                img.addEventListener("error", done, { once: true });
                setTimeout(done, 5000);
              }),
        ),
      );
    });
    r.images = await page.$$eval("img", (imgs) =>
      imgs.map((img) => ({
        src: img.getAttribute("src"),
        alt: img.getAttribute("alt"),
        role: img.getAttribute("role"),
        complete: img.complete,
        naturalWidth: img.naturalWidth,
        inContent: !!img.closest(".bd-article"),
        inOutput: !!img.closest(".cell_output"),
        visible: img.checkVisibility(),
        inClosedDetails: !!img.closest("details:not([open])"),
      })),
    );
    r.outputs = await page.$$eval(".bd-article .cell_output", (els) => els.length);
    r.text = await page.evaluate(() => (document.querySelector("article.bd-article") ?? document.body).textContent);
    r.title = await page.title();

    // Links and anchors, as the reader's browser resolves them.
    r.links = await page.evaluate(() => {
      const out = [];
      for (const a of document.querySelectorAll("a[href]")) out.push({ kind: "a", href: a.href, raw: a.getAttribute("href") });
      for (const l of document.querySelectorAll("link[href]")) {
        if (!/preconnect|dns-prefetch/.test(l.rel)) out.push({ kind: "link", href: l.href, raw: l.getAttribute("href") });
      }
      for (const el of document.querySelectorAll("img[src], script[src], source[src], iframe[src]")) {
        out.push({ kind: el.tagName.toLowerCase(), href: el.src, raw: el.getAttribute("src") });
      }
      return out;
    });
    r.ids = await page.evaluate(() => [
      ...[...document.querySelectorAll("[id]")].map((e) => e.id),
      ...[...document.querySelectorAll("a[name]")].map((e) => e.getAttribute("name")),
    ]);

    // Launch and download buttons.
    r.launch = await page.evaluate(() => ({
      colab: [...document.querySelectorAll('a[href*="colab.research.google.com"]')].map((a) => a.href),
      binder: [...document.querySelectorAll('a[href*="mybinder.org"]')].map((a) => a.href),
      download: [...document.querySelectorAll("a.btn-download-source-button, a[href*='_sources/']")].map((a) => a.href),
    }));

    // Weight of the page as first loaded (what a reader downloads), before we inject anything.
    r.weight = await weighed();

    r.timings = { load: (Date.now() - started) / 1000 };
    const lap = (name) => (r.timings[name] = (Date.now() - started) / 1000 - Object.values(r.timings).reduce((a, b) => a + b, 0));
    if (r.redirect || !interact) return r;

    if (screenshot) {
      fs.mkdirSync(SCREENSHOTS, { recursive: true });
      r.screenshot = path.join(SCREENSHOTS, `${path.basename(rel, ".html")}.png`);
      await page.screenshot({ path: r.screenshot, fullPage: true });
      lap("screenshot");
    }

    // Collapsed content: every closed <details> (myst-nb hide-input/hide-output, dropdowns)
    // and every sphinx-togglebutton admonition must be hidden first and open when clicked.
    r.toggles = [];
    const nDetails = await page.evaluate(() => {
      const closed = [...document.querySelectorAll(".bd-article details:not([open])")];
      closed.forEach((d, i) => d.setAttribute("data-browser-test", `details-${i}`));
      return closed.length;
    });
    for (let i = 0; i < nDetails; i++) {
      const d = page.locator(`[data-browser-test="details-${i}"]`);
      const state = () =>
        d.evaluate((el) => {
          const body = [...el.children].filter((c) => c.tagName !== "SUMMARY");
          const code = el.querySelector(".cell_input pre");
          return {
            open: el.open,
            visible: body.length > 0 && body.some((c) => c.checkVisibility() && c.getBoundingClientRect().height > 0),
            code: code ? { visible: code.checkVisibility(), text: code.innerText.trim().slice(0, 80) } : null,
            label: (el.querySelector("summary")?.innerText ?? "").trim().split("\n")[0],
            kind: el.querySelector(".cell_input") ? "code" : el.querySelector(".cell_output") ? "output" : "other",
          };
        });
      const before = await state();
      await d.locator(":scope > summary").click();
      await page.waitForTimeout(50);
      r.toggles.push({ before, after: await state() });
    }
    const toggleButtons = page.locator(".bd-article .admonition.toggle > .admonition-title .toggle-button");
    for (let i = 0, n = await toggleButtons.count(); i < n; i++) {
      const b = toggleButtons.nth(i);
      const state = () =>
        b.evaluate((btn) => {
          const adm = btn.closest(".admonition");
          const body = [...adm.children].filter((c) => !c.classList.contains("admonition-title"));
          return {
            open: !adm.classList.contains("toggle-hidden"),
            visible: body.length > 0 && body.some((c) => c.checkVisibility() && c.getBoundingClientRect().height > 0),
            code: null,
            label: adm.querySelector(".admonition-title")?.innerText.trim() ?? "",
            kind: "toggle",
          };
        });
      const before = await state();
      await b.click();
      await page.waitForTimeout(50);
      r.toggles.push({ before, after: await state() });
    }

    // Accessibility in light mode (with the collapsed content now open, so it is checked too).
    lap("toggles");
    r.axeLight = await runAxe(page);
    lap("axeLight");

    // The light/dark switch: click the theme button until html[data-theme] is dark.
    r.themeSteps = [await themeState(page)];
    const button = page.locator(".theme-switch-button:visible").first();
    r.themeButton = (await button.count()) > 0;
    if (r.themeButton) {
      for (let i = 0; i < 3 && r.themeSteps.at(-1).theme !== "dark"; i++) {
        await button.click();
        await page.waitForTimeout(100);
        r.themeSteps.push(await themeState(page));
      }
      r.darkImages = await outputImageLooks(page);
      lap("theme");
      // Only colours change with the theme: in dark mode, check contrast (all rules ran in light).
      r.axeDark = await runAxe(page, ["color-contrast", "link-in-text-block"]);
      lap("axeDark");
      if (screenshot) {
        r.darkScreenshot = path.join(SCREENSHOTS, `${path.basename(rel, ".html")}-dark.png`);
        await page.evaluate(() => document.activeElement?.blur());
        await page.mouse.move(640, 450); // no tooltip over the picture
        const firstPlot = page.locator(".bd-article .cell_output img").first();
        if (await firstPlot.count()) await firstPlot.scrollIntoViewIfNeeded();
        await page.screenshot({ path: r.darkScreenshot });
      }
      // ...and back to light.
      for (let i = 0; i < 3 && r.themeSteps.at(-1).theme !== "light"; i++) {
        await button.click();
        await page.waitForTimeout(100);
        r.themeSteps.push(await themeState(page));
      }
    }
    return r;
  } finally {
    r.seconds = (Date.now() - started) / 1000;
    await context.close();
  }
}

/** Search the book the way a reader does on search.html; the result pages, in order. */
export async function searchSite(browser, origin, query) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, serviceWorkers: "block" });
  try {
    const external = await blockExternal(context, origin);
    const page = await context.newPage();
    await page.goto(`${origin}/search.html?q=${encodeURIComponent(query)}`, { waitUntil: "load" });
    const found = await searchResults(page, origin);
    if (external.length) throw new Error(`search.html requested other hosts: ${external.join(", ")}`);
    return found;
  } finally {
    await context.close();
  }
}

/** Wait for Sphinx's search to finish on the open search page; the result pages. */
export async function searchResults(page, origin) {
  await page.waitForFunction(
    () => /found|did not match/.test(document.querySelector("#search-results .search-summary")?.innerText ?? ""),
    null,
    { timeout: 15_000 },
  );
  const hrefs = await page.$$eval("#search-results ul.search > li > a:first-of-type", (as) => as.map((a) => a.href));
  return [...new Set(hrefs.map((h) => new URL(h, origin).pathname.replace(/^\//, "")))];
}
