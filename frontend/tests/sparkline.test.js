import assert from "node:assert/strict";
import { test } from "node:test";
import { sparklinePath } from "../views/sparkline.js";

test("a sparkline spans the box with a 1px margin, high values at the top", () => {
  const d = sparklinePath({ steps: [0, 5, 10], mean: [0, 1, 0.5] }, 80, 20);
  assert.equal(d, "M1.0 19.0L40.0 1.0L79.0 10.0");
});

test("steps place points in proportion, not by index", () => {
  const d = sparklinePath({ steps: [0, 1, 10], mean: [1, 2, 3] }, 12, 12);
  assert.equal(d, "M1.0 11.0L2.0 6.0L11.0 1.0");
});

test("missing and non-finite values lift the pen", () => {
  const d = sparklinePath({ steps: [0, 1, 2, 3, 4], mean: [1, null, "NaN", 2, "Infinity"] }, 10, 10);
  assert.equal(d, "M1.0 9.0M7.0 1.0");
});

test("a flat curve is drawn at the bottom, and nothing to draw gives no path", () => {
  assert.equal(sparklinePath({ steps: [0, 1], mean: [3, 3] }, 10, 10), "M1.0 9.0L9.0 9.0");
  assert.equal(sparklinePath({ steps: [0], mean: [1] }, 10, 10), "");
  assert.equal(sparklinePath({ steps: [0, 1], mean: [null, "NaN"] }, 10, 10), "");
  assert.equal(sparklinePath(null, 10, 10), "");
});
