// The book's digit preparation (mnist_book/images.py, prepare_digit) in JavaScript, for the
// draw-a-digit widget: canvas pixels (RGBA) -> the 28x28 floats an MNIST model expects.
// It follows the Python step by step, with the same constants and the same arithmetic, so that
// the model reads in the browser what chapter 7 gives it in Python. `make test-web` compares the
// two on shared fixtures (tools/widget_fixtures.py); the largest difference allowed is 1/255.
//
// Where Python's numerics differ from plain JavaScript, they are reproduced:
// - round() and np.round round half to even (2.5 -> 2); Math.round rounds half up;
// - NumPy sums floats pairwise; a plain loop sums them in another order;
// - Pillow resizes a float32 ("F") image in two passes (horizontal, then vertical), each
//   stored as float32, with coefficients computed in double precision.

/** Same constants as mnist_book/images.py. */
export const BOX = 20;
export const SIZE = 28;
export const CENTRE = 14.0;
export const MIN_CONTRAST = 0.15;
export const DARK_BACKGROUND = 0.25;
export const NOISE_LEVEL = 0.35;

/** What Python raises as ValueError; the message starts "prepare_digit: " like Python's. */
export class ValueError extends Error {
  constructor(problem) {
    super(`prepare_digit: ${problem}.`);
    this.name = "ValueError";
  }
}

/** Python's round() and np.round: halves go to the even neighbour. */
export function roundHalfEven(x) {
  const floor = Math.floor(x);
  const rest = x - floor;
  if (rest < 0.5) return floor;
  if (rest > 0.5) return floor + 1;
  return floor % 2 === 0 ? floor : floor + 1;
}

/** NumPy's pairwise summation of float64 (np.sum of a contiguous array): same order, same result. */
export function pairwiseSum(values, start = 0, n = values.length) {
  if (n < 8) {
    let sum = 0;
    for (let i = start; i < start + n; i++) sum += values[i];
    return sum;
  }
  if (n <= 128) {
    const r = [];
    for (let j = 0; j < 8; j++) r.push(values[start + j]);
    let i = 8;
    for (; i < n - (n % 8); i += 8) for (let j = 0; j < 8; j++) r[j] += values[start + i + j];
    let sum = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; i++) sum += values[start + i];
    return sum;
  }
  let half = Math.floor(n / 2);
  half -= half % 8;
  return pairwiseSum(values, start, half) + pairwiseSum(values, start + half, n - half);
}

/** A grey image: `data` holds height x width float64 values, row by row. */
const image = (width, height, data = new Float64Array(width * height)) => ({ width, height, data });

const max = (data) => data.reduce((a, b) => (b > a ? b : a), -Infinity);
const min = (data) => data.reduce((a, b) => (b < a ? b : a), Infinity);

/**
 * read_pixels + to_greyscale for canvas pixels: `rgba` is {width, height, data} as from
 * getImageData (4 bytes a pixel). RGB by the ITU-R 601 luma weights; transparent pixels are
 * paper, white when the visible ink is dark, black when it is light.
 */
export function toGreyscale(rgba) {
  const { width, height, data } = rgba;
  if (width < 2 || height < 2) {
    throw new ValueError(`the image is ${width}x${height} pixels, too small to hold a digit`);
  }
  const n = width * height;
  const grey = new Float64Array(n);
  const alpha = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    grey[i] = 0.299 * (data[4 * i] / 255) + 0.587 * (data[4 * i + 1] / 255) + 0.114 * (data[4 * i + 2] / 255);
    alpha[i] = data[4 * i + 3] / 255;
  }
  if (min(alpha) >= 0.99) return image(width, height, grey); // opaque: alpha says nothing
  const visible = pairwiseSum(alpha);
  const inkShade = visible > 0 ? pairwiseSum(grey.map((v, i) => v * alpha[i])) / visible : 0;
  const paper = inkShade < 0.5 ? 1 : 0;
  return image(width, height, grey.map((v, i) => alpha[i] * v + (1 - alpha[i]) * paper));
}

/** The median of the border band, min(height, width) // 20 pixels wide (at least 1). */
export function paperShade(grey) {
  const { width, height, data } = grey;
  const band = Math.max(1, Math.floor(Math.min(height, width) / 20));
  const border = [];
  const at = (row, col) => data[row * width + col];
  for (let row = 0; row < band; row++) for (let col = 0; col < width; col++) border.push(at(row, col));
  for (let row = height - band; row < height; row++) for (let col = 0; col < width; col++) border.push(at(row, col));
  for (let row = 0; row < height; row++) for (let col = 0; col < band; col++) border.push(at(row, col));
  for (let row = 0; row < height; row++) for (let col = width - band; col < width; col++) border.push(at(row, col));
  border.sort((a, b) => a - b);
  const mid = border.length >> 1;
  return border.length % 2 ? border[mid] : (border[mid - 1] + border[mid]) / 2;
}

/** Ink bright (up to 1) on exactly 0; faint differences from the paper dropped. */
export function inkOnBlack(grey) {
  const paper = paperShade(grey);
  const darkInk = paper - min(grey.data) >= max(grey.data) - paper;
  const difference = grey.data.map((v) => Math.max(darkInk ? paper - v : v - paper, 0));
  const peak = max(difference);
  if (peak < MIN_CONTRAST) {
    const measured =
      `no pixel differs from the background, grey level ${paper.toFixed(2)} on a 0-1 scale, by more than ` +
      `${peak.toFixed(2)}; a digit needs ${MIN_CONTRAST} or more`;
    if (paper < DARK_BACKGROUND) {
      throw new ValueError(`no ink found, the photo is too dark (${measured}): take it again in brighter, even light`);
    }
    throw new ValueError(`no ink found, is the image blank or very faint? (${measured})`);
  }
  const threshold = NOISE_LEVEL * peak;
  const ink = difference.map((d) => Math.min(Math.max((d - threshold) / (peak - threshold), 0), 1));
  return image(grey.width, grey.height, ink);
}

/** Cut away the rows and columns that hold no ink. */
export function cropToInk(ink) {
  const { width, height, data } = ink;
  let [top, bottom, left, right] = [height, -1, width, -1];
  for (let row = 0; row < height; row++) {
    for (let col = 0; col < width; col++) {
      if (data[row * width + col] === 0) continue;
      top = Math.min(top, row);
      bottom = Math.max(bottom, row);
      left = Math.min(left, col);
      right = Math.max(right, col);
    }
  }
  const cropped = image(right - left + 1, bottom - top + 1);
  for (let row = top; row <= bottom; row++) {
    cropped.data.set(data.subarray(row * width + left, row * width + right + 1), (row - top) * cropped.width);
  }
  return cropped;
}

/** Pillow's Lanczos kernel: sinc(x) sinc(x/3) on [-3, 3). */
function lanczos(x) {
  const sinc = (t) => (t === 0 ? 1 : Math.sin(t * Math.PI) / (t * Math.PI));
  return x >= -3 && x < 3 ? sinc(x) * sinc(x / 3) : 0;
}

/**
 * Pillow's resampling coefficients (Resample.c, precompute_coeffs) for one axis: for each output
 * pixel, the first input pixel it reads and its normalised weights.
 */
function lanczosCoefficients(inSize, outSize) {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = 3 * filterScale; // a wider kernel when shrinking: it averages what it covers
  const inverse = 1 / filterScale;
  const rows = [];
  for (let out = 0; out < outSize; out++) {
    const centre = (out + 0.5) * scale;
    // C's (int) cast truncates towards zero.
    const first = Math.max(0, Math.trunc(centre - support + 0.5));
    const count = Math.min(inSize, Math.trunc(centre + support + 0.5)) - first;
    const weights = new Float64Array(count);
    let total = 0;
    for (let i = 0; i < count; i++) {
      weights[i] = lanczos((i + first - centre + 0.5) * inverse);
      total += weights[i];
    }
    if (total !== 0) for (let i = 0; i < count; i++) weights[i] /= total;
    rows.push({ first, weights });
  }
  return rows;
}

/** Image.fromarray(float32).resize((width, height), LANCZOS): each pass rounds to float32. */
export function resizeLanczos(source, width, height) {
  let current = image(source.width, source.height, source.data.map(Math.fround));
  if (width !== current.width) {
    const coefficients = lanczosCoefficients(current.width, width);
    const next = image(width, current.height);
    for (let row = 0; row < current.height; row++) {
      coefficients.forEach(({ first, weights }, col) => {
        let sum = 0;
        for (let i = 0; i < weights.length; i++) sum += current.data[row * current.width + first + i] * weights[i];
        next.data[row * width + col] = Math.fround(sum);
      });
    }
    current = next;
  }
  if (height !== current.height) {
    const coefficients = lanczosCoefficients(current.height, height);
    const next = image(current.width, height);
    coefficients.forEach(({ first, weights }, row) => {
      for (let col = 0; col < current.width; col++) {
        let sum = 0;
        for (let i = 0; i < weights.length; i++) sum += current.data[(first + i) * current.width + col] * weights[i];
        next.data[row * current.width + col] = Math.fround(sum);
      }
    });
    current = next;
  }
  return current;
}

/** Longer side to `box` pixels, aspect ratio kept, anti-aliased; strongest ink stretched to 1. */
export function fitInBox(cropped, box = BOX) {
  const scale = box / Math.max(cropped.height, cropped.width);
  const width = Math.max(1, roundHalfEven(cropped.width * scale));
  const height = Math.max(1, roundHalfEven(cropped.height * scale));
  const fitted = resizeLanczos(cropped, width, height);
  fitted.data = fitted.data.map((v) => Math.min(Math.max(v, 0), 1));
  const peak = max(fitted.data);
  if (peak <= 0) throw new ValueError("no ink left after resizing to 20x20: the ink is a few specks far apart");
  fitted.data = fitted.data.map((v) => v / peak);
  return fitted;
}

/** (row, column) of the ink's centre of mass, in pixel indices. */
export function centreOfMass(fitted) {
  const { width, data } = fitted;
  const total = pairwiseSum(data);
  const rows = data.map((v, i) => Math.floor(i / width) * v);
  const cols = data.map((v, i) => (i % width) * v);
  return [pairwiseSum(rows) / total, pairwiseSum(cols) / total];
}

/** Paste into size x size zeros, centre of mass on `centre` (a whole-pixel shift), ink kept inside. */
export function centreByMass(fitted, size = SIZE, centre = CENTRE) {
  const [row, col] = centreOfMass(fitted);
  const clip = (v, hi) => Math.min(Math.max(v, 0), hi);
  const top = clip(roundHalfEven(centre - row), size - fitted.height);
  const left = clip(roundHalfEven(centre - col), size - fitted.width);
  const canvas = new Float32Array(size * size);
  for (let r = 0; r < fitted.height; r++) {
    for (let c = 0; c < fitted.width; c++) canvas[(top + r) * size + left + c] = fitted.data[r * fitted.width + c];
  }
  return canvas;
}

/**
 * prepare_digit for canvas pixels: {width, height, data} with 4 bytes (RGBA) a pixel, as
 * CanvasRenderingContext2D.getImageData returns. Returns a Float32Array of 28 x 28 values in
 * [0, 1], row by row: the digit bright on 0, fitted into 20x20, centred by its mass.
 * Throws ValueError where Python raises it (a blank canvas: "no ink found ...").
 */
export function prepareDigit(rgba) {
  if (rgba.data.length !== rgba.width * rgba.height * 4) {
    throw new ValueError(`got ${rgba.data.length} bytes for ${rgba.width}x${rgba.height} RGBA pixels`);
  }
  return centreByMass(fitInBox(cropToInk(inkOnBlack(toGreyscale(rgba)))));
}
