import assert from "node:assert/strict";
import { test } from "node:test";
import { aggregateRecords, alignCurves, bandAt, nearestIndex, pointAt } from "../curves.js";
import { toCsv } from "../group.js";

// Two /curves curves as the backend sends them (NaN as the string "NaN").
const A = {
  x: [0, 10, 20],
  steps: [0, 10, 20],
  mean: [1, 0.5, 0.25],
  std: [0.1, 0.2, "NaN"],
  min: [0.9, 0.3, 0.25],
  max: [1.1, 0.7, 0.25],
  ci_low: [0.75, 0.0, "NaN"],
  ci_high: [1.25, 1.0, "NaN"],
  count: [2, 2, 1],
  runs: 2,
  ci_level: 0.95,
};
const B = { x: [5, 10], mean: [3, 2], std: [0, 0], min: [3, 2], max: [3, 2], ci_low: [3, 2], ci_high: [3, 2], count: [3, 3], runs: 3 };

test("curves align on the union of their x, null where a curve has no point", () => {
  const { x, lines } = alignCurves([{ curve: A }, { curve: B }], "ci", false);
  assert.deepEqual(x, [0, 5, 10, 20]);
  assert.deepEqual(lines[0].mean, [1, null, 0.5, 0.25]);
  assert.deepEqual(lines[1].mean, [null, 3, 2, null]);
  assert.deepEqual(lines[0].lo, [0.75, null, 0, null]);
  assert.deepEqual(lines[0].hi, [1.25, null, 1, null]);
  assert.equal(lines[0].raw, null);
});

test("the raw curve aligns with the smoothed one; a log axis drops values <= 0", () => {
  const raw = { x: [0, 10, 20], mean: [2, 0, 1] };
  const { lines } = alignCurves([{ curve: A, raw }], "minmax", true);
  assert.deepEqual(lines[0].raw, [2, null, 1]);
  assert.deepEqual(lines[0].lo, [0.9, 0.3, 0.25]);
});

test("bands: min–max, ± sample std, the confidence interval, none", () => {
  assert.deepEqual(bandAt(A, 0, "minmax"), [0.9, 1.1]);
  assert.deepEqual(bandAt(A, 1, "std"), [0.3, 0.7]);
  assert.deepEqual(bandAt(A, 2, "std"), [null, null]); // one run: no std
  assert.deepEqual(bandAt(A, 0, "ci"), [0.75, 1.25]);
  assert.deepEqual(bandAt(A, 0, "none"), [null, null]);
});

test("the readout takes each curve's point nearest the hovered x", () => {
  assert.equal(nearestIndex([0, 10, 20], 4), 0);
  assert.equal(nearestIndex([0, 10, 20], 6), 1);
  assert.equal(nearestIndex([0, 10, 20], 99), 2);
  assert.equal(nearestIndex([], 1), -1);
  assert.deepEqual(pointAt(A, 11, "ci"), { x: 10, mean: 0.5, lo: 0, hi: 1, count: 2 });
  assert.deepEqual(pointAt(B, 0, "std"), { x: 5, mean: 3, lo: 3, hi: 3, count: 3 });
});

test("the aggregate CSV holds /curves' numbers: group, x, mean, lower, upper, count", () => {
  const series = [
    { label: "lr=0.1", title: "param.lr=0.1, param.bs=32", curve: A },
    { label: "lr=1", curve: B },
  ];
  const records = aggregateRecords(series, "ci", "step");
  assert.deepEqual(Object.keys(records[0]), ["group", "step", "mean", "lower", "upper", "count"]);
  assert.deepEqual(records[0], { group: "param.lr=0.1, param.bs=32", step: 0, mean: 1, lower: 0.75, upper: 1.25, count: 2 });
  assert.deepEqual(records[2], { group: "param.lr=0.1, param.bs=32", step: 20, mean: 0.25, lower: null, upper: null, count: 1 });
  assert.equal(records.length, 5);
  const csv = toCsv(records);
  assert.equal(
    csv,
    'group,step,mean,lower,upper,count\r\n"param.lr=0.1, param.bs=32",0,1,0.75,1.25,2\r\n"param.lr=0.1, param.bs=32",10,0.5,0,1,2\r\n' +
      '"param.lr=0.1, param.bs=32",20,0.25,,,1\r\nlr=1,5,3,3,3,3\r\nlr=1,10,2,2,2,3\r\n',
  );
  assert.deepEqual(Object.keys(aggregateRecords(series, "minmax", "wall")[0]), ["group", "wall_time", "mean", "lower", "upper", "count"]);
  assert.equal(aggregateRecords(series, "none", "relative")[0].lower, 0.9); // no band shown: min–max
});
