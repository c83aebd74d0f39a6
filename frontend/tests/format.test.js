import assert from "node:assert/strict";
import { test } from "node:test";
import {
  countsLine,
  formatDuration,
  formatFieldValue,
  formatMeanStd,
  formatNumber,
  formatValue,
  toNumber,
} from "../format.js";

test("numbers keep integers and four significant digits", () => {
  const cases = [
    [32, "32"],
    [0.01, "0.01"],
    [0.646315793, "0.6463"],
    [1e-5, "1e-5"],
    [1234567.8, "1.235e+6"],
    [NaN, "NaN"],
    [-Infinity, "-Infinity"],
  ];
  for (const [x, want] of cases) assert.equal(formatNumber(x), want, String(x));
});

test("TensorBoard's cleansed non-finite strings become numbers", () => {
  assert.ok(Number.isNaN(toNumber("NaN")));
  assert.equal(toNumber("Infinity"), Infinity);
  assert.equal(toNumber("-Infinity"), -Infinity);
  assert.equal(toNumber(1.5), 1.5);
  assert.equal(toNumber("1.5"), null);
  assert.equal(toNumber(null), null);
});

test("mean ± std, values and field values", () => {
  assert.equal(formatMeanStd(0.6463157, 0.0081649), "0.6463 ± 0.008165");
  assert.equal(formatMeanStd("NaN", "NaN"), "");
  assert.equal(formatMeanStd(2, "NaN"), "2");
  assert.equal(formatValue({ a: 1 }), '{"a":1}');
  assert.equal(formatValue(true), "true");
  assert.equal(formatValue(null), "");
  assert.equal(formatFieldValue(null), "(none)");
  assert.equal(formatFieldValue(false), "false");
  assert.equal(formatFieldValue(0.01), "0.01");
});

test("durations", () => {
  assert.equal(formatDuration(12), "12s");
  assert.equal(formatDuration(185), "3m 05s");
  assert.equal(formatDuration(3720), "1h 02m");
  assert.equal(formatDuration(null), "");
  assert.equal(formatDuration(-1), "");
});

test("the counts line", () => {
  assert.equal(countsLine(412, 37), "412 runs in 37 groups");
  assert.equal(countsLine(1, 1), "1 run in 1 group");
  assert.equal(countsLine(0, 0), "0 runs in 0 groups");
});

test("a cut run name keeps the part that tells it from its group's runs", async () => {
  const { shortRunName } = await import("../format.js");
  const seeds = [0, 1, 2].map((s) => `lr=0.0003,bs=32,seed=${s}/run_2026_11_30-04_43_1${s}`);
  assert.deepEqual(
    seeds.map((n) => shortRunName(n, seeds)),
    ["…seed=0/run_…", "…seed=1/run_…", "…seed=2/run_…"],
  );
  assert.equal(shortRunName("lr=0.1,bs=64/seed_2", ["lr=0.1,bs=64/seed_1", "lr=0.1,bs=64/seed_2"]), "…seed_2");
  // Only a timestamp differs: it is kept whole.
  assert.equal(shortRunName("a/2026-01-01_10-00-00", ["a/2026-01-02_10-00-00"]), "…2026-01-01_10-00-00");
  // Alone in its group: the whole name.
  assert.equal(shortRunName("x/y", ["x/y"]), "x/y");
  assert.equal(shortRunName("x/y", []), "x/y");
});
