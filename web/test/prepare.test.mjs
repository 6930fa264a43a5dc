// web/prepare.mjs against Python's prepare_digit on the same canvases. The fixtures are written
// by tools/widget_fixtures.py (`make test-web` runs it first); WIDGET_FIXTURES=DIR reads another folder.

import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";

import { ValueError, pairwiseSum, prepareDigit, resizeLanczos, roundHalfEven } from "../prepare.mjs";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const FIXTURES = path.resolve(process.env.WIDGET_FIXTURES ?? path.join(HERE, "..", "..", "_build", "widget_fixtures"));
// One grey level of an 8-bit image: the largest difference from Python that the widget may show.
const TOLERANCE = 1 / 255;

const files = fs.existsSync(FIXTURES) ? fs.readdirSync(FIXTURES).filter((f) => f.endsWith(".json")).sort() : [];

function load(file) {
  const record = JSON.parse(fs.readFileSync(path.join(FIXTURES, file), "utf8"));
  const rgba = { width: record.width, height: record.height, data: new Uint8ClampedArray(Buffer.from(record.rgba, "base64")) };
  let expected = null;
  if (record.prepared) {
    const bytes = Buffer.from(record.prepared, "base64");
    expected = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
  }
  return { ...record, rgba, expected };
}

/** The message up to its details in parentheses: what went wrong, without the measured numbers. */
const gist = (message) => message.split(" (")[0];

test("the fixtures exist (python -m tools.widget_fixtures, run by make test-web)", () => {
  assert.ok(files.length >= 20, `only ${files.length} fixtures in ${FIXTURES}: run \`make test-web\``);
  const names = files.map((f) => f.replace(/\.json$/, ""));
  for (const needed of ["handwriting_7_marker", "blank_transparent", "round_half_to_even_width", "wide_dash"]) {
    assert.ok(names.includes(needed), `no fixture ${needed} in ${FIXTURES}`);
  }
});

describe("prepareDigit equals Python's prepare_digit on the shared canvases", () => {
  for (const file of files) {
    const fixture = load(file);
    test(`${fixture.name}: ${fixture.about}`, () => {
      if (fixture.error) {
        assert.throws(
          () => prepareDigit(fixture.rgba),
          (error) => {
            assert.ok(error instanceof ValueError, `${error.name} instead of ValueError: ${error.message}`);
            assert.equal(error.name, fixture.error.type);
            assert.equal(gist(error.message), gist(fixture.error.message));
            return true;
          },
        );
        return;
      }
      const prepared = prepareDigit(fixture.rgba);
      assert.ok(prepared instanceof Float32Array && prepared.length === 784, "not 784 float32 values");
      let worst = 0;
      let where = -1;
      prepared.forEach((v, i) => {
        const d = Math.abs(v - fixture.expected[i]);
        if (d > worst) [worst, where] = [d, i];
      });
      assert.ok(
        worst <= TOLERANCE,
        `largest difference ${worst.toFixed(4)} (${(worst * 255).toFixed(2)}/255) at row ${Math.floor(where / 28)}, ` +
          `column ${where % 28}: JavaScript ${prepared[where]}, Python ${fixture.expected[where]}`,
      );
    });
  }
});

describe("the numerics that differ between Python and plain JavaScript", () => {
  test("roundHalfEven rounds like Python's round(): halves to the even neighbour", () => {
    const cases = [[0.5, 0], [1.5, 2], [2.5, 2], [3.5, 4], [-0.5, 0], [-1.5, -2], [2.4999, 2], [2.5001, 3], [7, 7]];
    for (const [x, expected] of cases) assert.equal(roundHalfEven(x) + 0, expected, `round(${x})`);
  });

  test("pairwiseSum adds in NumPy's order, which a plain loop does not", () => {
    // 0.1 summed 1000 times: NumPy's pairwise np.sum gives 100.00000000000001 (np.full(1000, 0.1).sum()),
    // a loop from 0 gives 99.9999999999986.
    const values = new Float64Array(1000).fill(0.1);
    assert.equal(pairwiseSum(values), 100.00000000000001);
    assert.notEqual(values.reduce((a, b) => a + b, 0), pairwiseSum(values));
    assert.equal(pairwiseSum(new Float64Array([1, 2, 3])), 6);
  });

  test("resizeLanczos keeps a flat image flat and sizes as asked", () => {
    const flat = { width: 37, height: 11, data: new Float64Array(37 * 11).fill(0.75) };
    const out = resizeLanczos(flat, 20, 6);
    assert.equal(out.width, 20);
    assert.equal(out.height, 6);
    for (const v of out.data) assert.ok(Math.abs(v - 0.75) < 1e-6, `a flat image came out uneven: ${v}`);
  });
});
