// What the browser tests need to know about the built book, and the two servers they use:
// a static file server for _build/html on 127.0.0.1 and headless Chromium (Debian's, via
// playwright-core: Playwright never downloads a browser of its own here).

import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parse as parseYaml } from "yaml";

const HERE = path.dirname(fileURLToPath(import.meta.url));

// Everything can be pointed elsewhere, e.g. at a scratch build:
//   BOOK_ROOT=/tmp/site-src node --test ...
export const BOOK_ROOT = path.resolve(process.env.BOOK_ROOT ?? path.join(HERE, "..", "..", ".."));
export const SITE = path.resolve(process.env.SITE_DIR ?? path.join(BOOK_ROOT, "_build", "html"));
export const SCREENSHOTS = path.resolve(
  process.env.SCREENSHOT_DIR ?? path.join(path.dirname(SITE), "screenshots"),
);
export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export const CONFIG = parseYaml(fs.readFileSync(path.join(BOOK_ROOT, "_config.yml"), "utf8"));
export const TOC = parseYaml(fs.readFileSync(path.join(BOOK_ROOT, "_toc.yml"), "utf8"));

const repository = CONFIG.repository ?? {};
export const REPO = String(repository.url ?? "").replace(/^https:\/\/github\.com\//, "").replace(/\/$/, "");
export const BRANCH = String(repository.branch ?? "master");
export const BOOK_PATH = String(repository.path_to_book ?? "").replace(/^\/|\/$/g, "");

/** Every file named in _toc.yml (no extension), the root page first. */
export function tocFiles() {
  const files = [TOC.root];
  const walk = (entries = []) => {
    for (const entry of entries) {
      if (entry.file) files.push(entry.file);
      walk(entry.sections);
    }
  };
  for (const part of TOC.parts ?? []) walk(part.chapters);
  walk(TOC.chapters);
  return files.map((f) => f.replace(/\.(md|ipynb)$/, ""));
}

/** Every HTML page of the built site (paths relative to SITE), skipping _static/ templates. */
export function sitePages() {
  const pages = [];
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      if (entry.name.startsWith("_") || entry.name.startsWith(".")) continue;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith(".html")) pages.push(path.relative(SITE, full).split(path.sep).join("/"));
    }
  };
  if (fs.existsSync(SITE)) walk(SITE);
  return pages.sort((a, b) => (a === "index.html" ? -1 : b === "index.html" ? 1 : a.localeCompare(b)));
}

/** The chapter pages: the built pages under chapters/. */
export function chapterPages() {
  return sitePages().filter((p) => p.startsWith("chapters/"));
}

/** What the notebook behind a chapter page says the page must show. */
export function notebookExpectations(page) {
  const name = path.basename(page, ".html");
  const source = path.join(SITE, "_sources", "chapters", `${name}.ipynb`);
  const nb = JSON.parse(fs.readFileSync(source, "utf8"));
  const HTML_FIRST = ["application/vnd.jupyter.widget-view+json", "application/javascript", "text/html"];
  const IMAGES = ["image/svg+xml", "image/png", "image/jpeg", "image/gif"];
  let cellsWithOutput = 0;
  let images = 0;
  let hiddenInputs = 0;
  for (const cell of nb.cells) {
    if (cell.cell_type !== "code") continue;
    const tags = cell.metadata?.tags ?? [];
    if (tags.includes("remove-cell")) continue;
    if (tags.includes("hide-input") || tags.includes("hide-cell")) hiddenInputs += 1;
    const outputs = tags.includes("remove-output") ? [] : (cell.outputs ?? []);
    if (outputs.length) cellsWithOutput += 1;
    for (const out of outputs) {
      const data = out.data ?? {};
      if (HTML_FIRST.some((m) => m in data)) continue; // rendered as HTML, not as <img>
      if (IMAGES.some((m) => m in data)) images += 1;
    }
  }
  return { name, source, nbformat: nb.nbformat, cellsWithOutput, images, hiddenInputs };
}

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8", // module scripts are refused under any other type
  ".wasm": "application/wasm", // WebAssembly.instantiateStreaming requires it
  ".css": "text/css; charset=utf-8",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".gif": "image/gif",
  ".svg": "image/svg+xml",
  ".ico": "image/x-icon",
  ".woff": "font/woff",
  ".woff2": "font/woff2",
  ".ttf": "font/ttf",
  ".json": "application/json",
  ".ipynb": "application/x-ipynb+json",
  ".txt": "text/plain; charset=utf-8",
  ".md": "text/markdown; charset=utf-8",
  ".inv": "application/octet-stream",
};

/** Serve `root` on 127.0.0.1 (a free port). Resolves to { origin, close() }. */
export function serve(root) {
  const server = http.createServer((req, res) => {
    let pathname;
    try {
      pathname = decodeURIComponent(new URL(req.url, "http://localhost").pathname);
    } catch {
      res.writeHead(400).end();
      return;
    }
    if (pathname.endsWith("/")) pathname += "index.html";
    const file = path.join(root, path.normalize(pathname));
    if (!file.startsWith(root + path.sep)) {
      res.writeHead(403).end();
      return;
    }
    fs.stat(file, (err, stat) => {
      if (err || !stat.isFile()) {
        if (!err && stat.isDirectory()) res.writeHead(301, { Location: pathname + "/" }).end();
        else res.writeHead(404, { "Content-Type": "text/plain" }).end("not found");
        return;
      }
      res.writeHead(200, {
        "Content-Type": TYPES[path.extname(file).toLowerCase()] ?? "application/octet-stream",
        "Content-Length": stat.size,
        "Cache-Control": "no-store",
      });
      if (req.method === "HEAD") res.end();
      else fs.createReadStream(file).pipe(res);
    });
  });
  return new Promise((resolve, reject) => {
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      resolve({
        origin: `http://127.0.0.1:${port}`,
        close: () =>
          new Promise((done) => {
            server.closeAllConnections?.();
            server.close(() => done());
          }),
      });
    });
  });
}

export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-quic",
  "--no-first-run",
  "--disable-component-update",
  "--disable-sync",
  "--disable-dev-shm-usage",
];

/** Relative luminance (0 black .. 1 white) of a CSS rgb()/rgba() colour; alpha too. */
export function parseColor(css) {
  const m = /rgba?\(([^)]+)\)/.exec(css ?? "");
  if (!m) return null;
  const [r, g, b, a = 1] = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
  const lin = (c) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return { luminance: 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b), alpha: a };
}

export function contrast(l1, l2) {
  const [hi, lo] = l1 > l2 ? [l1, l2] : [l2, l1];
  return (hi + 0.05) / (lo + 0.05);
}
