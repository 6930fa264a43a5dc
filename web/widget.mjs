// The draw-a-digit widget: the reader draws on a canvas, prepare.mjs turns the drawing into the
// 28x28 input chapter 7's model expects, and onnxruntime-web (WebAssembly, one thread) runs the
// model. _ext/mnist_widget.py writes the widget's HTML and loads this module when the widget comes
// near the screen (mount() then adds widget.css and the bars); the runtime and the model load on
// the first stroke or on "Load the model".
//
// For tests, the root element (class "mnist-widget") carries:
//   data-state       "idle" (nothing loaded), "loading", "ready", "error", or "no-wasm" (no WebAssembly);
//   data-prediction  the digit read from the latest drawing (absent when there is none);
//   .mnistWidget     { canvasRGBA() -> {width, height, data: Array of RGBA bytes}, prepared() ->
//                    Float32Array(784) or null, probabilities() -> Array(10) or null, load() -> Promise,
//                    clear(), settled() -> Promise (resolves when the latest drawing has been read),
//                    timings() -> {loadMs, inferenceMs: [ms per reading]} }.

import { ValueError, prepareDigit } from "./prepare.mjs";

const PEN_WIDTH = 18; // on the 280x280 canvas: MNIST-like strokes, about 1.5 pixels of the 20x20 box
const ORT_MODULE = "ort.wasm.min.mjs";

const percent = (p) => `${(100 * p).toFixed(1)}%`;

/** Add widget.css to the page once; resolves when it applies (the ink colour comes from it). */
function addStyle() {
  const href = new URL("widget.css", import.meta.url).href;
  let link = [...document.querySelectorAll('link[rel="stylesheet"]')].find((l) => l.href === href);
  if (!link) {
    link = Object.assign(document.createElement("link"), { rel: "stylesheet", href });
    document.head.append(link);
  }
  if (link.sheet) return Promise.resolve();
  return new Promise((done) => {
    link.addEventListener("load", done, { once: true });
    link.addEventListener("error", done, { once: true }); // unstyled, but it still works
  });
}

const mounted = new WeakMap();

/** Start the widget whose root element (class "mnist-widget") is `root`; resolves to its test API. */
export function mount(root) {
  if (!mounted.has(root)) mounted.set(root, addStyle().then(() => start(root)));
  return mounted.get(root);
}

function start(root) {
  const list = root.querySelector(".mnist-widget-bars");
  list.replaceChildren(
    ...[...Array(10).keys()].map((digit) => {
      const row = document.createElement("li");
      row.innerHTML =
        `<span class="mnist-widget-digit">${digit}</span><span class="mnist-widget-bar" aria-hidden="true">` +
        `<span></span></span><span class="mnist-widget-pct">–</span>`;
      return row;
    }),
  );
  const pad = root.querySelector(".mnist-widget-pad");
  const seen = root.querySelector(".mnist-widget-input");
  const result = root.querySelector(".mnist-widget-result");
  const loadButton = root.querySelector('[data-action="load"]');
  const clearButton = root.querySelector('[data-action="clear"]');
  const rows = [...root.querySelectorAll(".mnist-widget-bars li")];
  const context = pad.getContext("2d", { willReadFrequently: true });

  const strokes = []; // each a list of [x, y] in canvas pixels: redrawn whole, so pixels depend on them only
  let drawingPointer = null;
  let drawingNumber = 0; // bumped by every change, so a late reading of an old drawing is dropped
  let prepared = null;
  let probabilities = null;
  let model = null; // a promise of { ort, session }
  let queue = Promise.resolve();
  const timings = { loadMs: null, inferenceMs: [] };
  const hasWasm = typeof WebAssembly === "object";

  const say = (text) => (result.textContent = text);
  const setState = (state) => (root.dataset.state = state);

  function render() {
    context.clearRect(0, 0, pad.width, pad.height);
    const ink = getComputedStyle(pad).color; // the theme's text colour: dark ink in light mode, light in dark
    Object.assign(context, { strokeStyle: ink, fillStyle: ink, lineWidth: PEN_WIDTH, lineCap: "round", lineJoin: "round" });
    for (const stroke of strokes) {
      context.beginPath();
      if (stroke.length === 1) {
        context.arc(stroke[0][0], stroke[0][1], PEN_WIDTH / 2, 0, 2 * Math.PI);
        context.fill();
        continue;
      }
      context.moveTo(...stroke[0]);
      for (const point of stroke.slice(1)) context.lineTo(...point);
      context.stroke();
    }
  }

  function showReading() {
    const image = seen.getContext("2d").createImageData(28, 28);
    for (let i = 0; i < 784; i++) {
      const level = prepared ? Math.round(prepared[i] * 255) : 0;
      image.data.set([level, level, level, 255], 4 * i);
    }
    seen.getContext("2d").putImageData(image, 0, 0);
    const top = probabilities ? probabilities.indexOf(Math.max(...probabilities)) : -1;
    rows.forEach((row, digit) => {
      const p = probabilities?.[digit];
      row.querySelector(".mnist-widget-bar > span").style.width = p === undefined ? "0" : `${100 * p}%`;
      row.querySelector(".mnist-widget-pct").textContent = p === undefined ? "–" : percent(p);
      row.classList.toggle("is-top", digit === top);
    });
    if (top >= 0) root.dataset.prediction = String(top);
    else delete root.dataset.prediction;
  }

  function loadModel() {
    if (!hasWasm) return Promise.reject(new Error("no WebAssembly"));
    if (!model) {
      model = startRuntime();
      model.catch((error) => {
        model = null; // "Load the model" tries again
        setState("error");
        say(`The model could not be loaded (${error.message}). Press "Load the model" to try again.`);
      });
    }
    return model;
  }

  async function startRuntime() {
    setState("loading");
    say("Loading the model…");
    const started = performance.now();
    const runtime = new URL(root.dataset.runtime, document.baseURI);
    const ort = await import(new URL(ORT_MODULE, runtime).href);
    ort.env.wasm.numThreads = 1; // one thread: no cross-origin isolation (COOP/COEP headers) needed
    ort.env.wasm.wasmPaths = runtime.href; // the site's own copy, never a CDN
    const response = await fetch(new URL(root.dataset.model, document.baseURI));
    if (!response.ok) throw new Error(`the model file answered HTTP ${response.status}`);
    const bytes = new Uint8Array(await response.arrayBuffer());
    if (globalThis.crypto?.subtle) {
      // The build checked the file against chapter 7's record; this checks what arrived.
      const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
      const hex = [...digest].map((b) => b.toString(16).padStart(2, "0")).join("");
      if (hex !== root.dataset.modelSha256) throw new Error("the model file is not the one this page was built with");
    }
    const session = await ort.InferenceSession.create(bytes, { executionProviders: ["wasm"] });
    timings.loadMs = performance.now() - started;
    setState("ready");
    loadButton.textContent = "Model loaded";
    loadButton.setAttribute("aria-disabled", "true");
    if (!strokes.length) say("The model is loaded: draw a digit.");
    return { ort, session };
  }

  async function read(number) {
    if (number !== drawingNumber || !strokes.length) return;
    let digit;
    try {
      digit = prepareDigit(context.getImageData(0, 0, pad.width, pad.height));
    } catch (error) {
      if (!(error instanceof ValueError)) throw error;
      [prepared, probabilities] = [null, null];
      showReading();
      // "prepare_digit: no ink found, is the image blank or very faint? (details)" -> its first part.
      say(`Could not read a digit: ${error.message.replace(/^prepare_digit: /, "").split(" (")[0]}`);
      return;
    }
    [prepared, probabilities] = [digit, null];
    showReading();
    if (!hasWasm) return;
    let loaded;
    try {
      loaded = await loadModel();
    } catch {
      return; // loadModel has said why
    }
    // The drawing may change while the model loads or runs: then its own reading follows this one.
    if (number !== drawingNumber) return;
    const { ort, session } = loaded;
    const input = new ort.Tensor("float32", digit, [1, 28, 28, 1]);
    const started = performance.now();
    const outputs = await session.run({ [session.inputNames[0]]: input });
    timings.inferenceMs.push(performance.now() - started);
    if (number !== drawingNumber) return;
    probabilities = Array.from(outputs[session.outputNames[0]].data);
    showReading();
    const [[p1, d1], [p2, d2]] = probabilities.map((p, d) => [p, d]).sort((a, b) => b[0] - a[0]);
    say(p1 < 0.6 ? `Reads ${d1} (${percent(p1)}), or perhaps ${d2} (${percent(p2)})` : `Reads ${d1} (${percent(p1)})`);
  }

  /** Read the drawing as it is now, after any reading still running. */
  function readLater() {
    const number = ++drawingNumber;
    queue = queue.then(() => read(number)).catch((error) => {
      setState("error");
      say(`The model could not read the drawing (${error.message}).`);
    });
    return queue;
  }

  function clear() {
    strokes.length = 0;
    drawingNumber += 1;
    [prepared, probabilities] = [null, null];
    render();
    showReading();
    say("Cleared: draw a digit.");
  }

  const point = (event) => [
    ((event.clientX - pad.getBoundingClientRect().left - pad.clientLeft) * pad.width) / pad.clientWidth,
    ((event.clientY - pad.getBoundingClientRect().top - pad.clientTop) * pad.height) / pad.clientHeight,
  ];

  pad.addEventListener("pointerdown", (event) => {
    if (!event.isPrimary || event.button > 0 || drawingPointer !== null) return;
    event.preventDefault();
    pad.setPointerCapture(event.pointerId);
    drawingPointer = event.pointerId;
    strokes.push([point(event)]);
    render();
    if (hasWasm) loadModel().catch(() => {}); // start loading on the first stroke
  });
  pad.addEventListener("pointermove", (event) => {
    if (event.pointerId !== drawingPointer) return;
    const stroke = strokes.at(-1);
    for (const e of event.getCoalescedEvents?.() ?? [event]) stroke.push(point(e));
    render();
  });
  const endStroke = (event) => {
    if (event.pointerId !== drawingPointer) return;
    drawingPointer = null;
    render();
    readLater();
  };
  pad.addEventListener("pointerup", endStroke);
  pad.addEventListener("pointercancel", endStroke);

  loadButton.addEventListener("click", () => {
    if (loadButton.getAttribute("aria-disabled") === "true") return;
    loadModel()
      .then(() => strokes.length && readLater())
      .catch(() => {});
  });
  clearButton.addEventListener("click", clear);

  // A theme switch changes the ink colour: redraw, and read the redrawn pixels.
  new MutationObserver(() => {
    render();
    if (strokes.length) readLater();
  }).observe(document.documentElement, { attributes: true, attributeFilter: ["data-theme"] });

  if (!hasWasm) {
    setState("no-wasm");
    loadButton.disabled = true;
    say(
      "This browser cannot run WebAssembly, which the model needs, so the widget cannot read digits here. " +
        "You can still draw and see the 28×28 input that the model would get.",
    );
  }

  root.mnistWidget = {
    canvasRGBA: () => {
      const { width, height, data } = context.getImageData(0, 0, pad.width, pad.height);
      return { width, height, data: Array.from(data) };
    },
    prepared: () => prepared,
    probabilities: () => probabilities,
    load: loadModel,
    clear,
    settled: () => queue,
    timings: () => ({ loadMs: timings.loadMs, inferenceMs: [...timings.inferenceMs] }),
  };
  return root.mnistWidget;
}
