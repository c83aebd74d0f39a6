import assert from "node:assert/strict";
import { test } from "node:test";
import {
  countsLine,
  decimalsFor,
  fixed,
  formatDelta,
  formatG4,
  formatP,
  formatProbability,
  statCell,
  formatDuration,
  formatFieldValue,
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

test("values and field values", () => {
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

// --- the paper's rounding (tb_plugin/export.py's paper_cell) ---

const T3 = {
  count: 3, mean: 0.6463157931963602, std: 0.010000020265594028, sem: 0.005773514392242426,
  ci_low: 0.6214743657363305, ci_high: 0.6711572206563899, ci_level: 0.95, ci_method: "t",
};

test("the spread keeps two significant digits and the mean its decimal place", () => {
  assert.equal(decimalsFor(0.0248), 3);
  assert.equal(decimalsFor(0.25), 2);
  assert.equal(decimalsFor(1.2), 1);
  assert.equal(decimalsFor(12), 0);
  assert.equal(decimalsFor(3400), 0);
  for (const bad of [0, -1, NaN, Infinity, null]) assert.equal(decimalsFor(bad), 4, String(bad));
  assert.deepEqual(
    [statCell(T3).mean, statCell(T3).spread, statCell(T3).n],
    ["0.646", "± 0.025", 3],
  );
  assert.deepEqual([statCell(T3, "std").mean, statCell(T3, "std").spread], ["0.646", "± 0.010"]);
  assert.deepEqual([statCell(T3, "sem").mean, statCell(T3, "sem").spread], ["0.6463", "± 0.0058"]);
  // A large spread rounds the mean to whole numbers.
  const big = { count: 4, mean: 1234.5678, ci_low: 1200.1, ci_high: 1269.0, ci_method: "t" };
  assert.deepEqual([statCell(big).mean, statCell(big).spread], ["1235", "± 34"]);
});

test("one run says n=1, never ± 0", () => {
  const one = { count: 1, mean: 0.6463157, std: null, sem: null, ci_low: null, ci_high: null, ci_method: "t" };
  for (const spread of ["ci", "std", "sem"]) {
    const c = statCell(one, spread);
    assert.deepEqual([c.mean, c.spread, c.n], ["0.6463", "", 1], spread);
  }
  // Zero variance over several runs is a real interval of width 0 (as paper_cell writes it).
  const flat = { count: 3, mean: 0.5, std: 0, sem: 0, ci_low: 0.5, ci_high: 0.5, ci_method: "t" };
  assert.deepEqual([statCell(flat).mean, statCell(flat).spread], ["0.5000", "± 0.0000"]);
});

test("a bootstrap interval is shown as it is, asymmetric, rounded by its shorter side", () => {
  const boot = { count: 5, mean: 0.5, ci_low: 0.4712, ci_high: 0.6123, ci_level: 0.9, ci_method: "bootstrap" };
  const c = statCell(boot);
  // min(0.5 - 0.4712, 0.6123 - 0.5) = 0.0288: three decimals.
  assert.deepEqual([c.mean, c.spread, c.n], ["0.500", "[0.471, 0.612]", 5]);
  assert.match(c.title, /90% CI \(percentile bootstrap\)/);
});

test("NaN and missing statistics show a dash, not NaN", () => {
  assert.deepEqual([statCell({ count: 0, nan_count: 2, mean: "NaN" }).mean, statCell({ count: 0, mean: "NaN" }).n], ["–", 0]);
  assert.equal(statCell(null).mean, "–");
  // A NaN interval (one side undefined) falls back to the mean alone.
  const c = statCell({ count: 2, mean: 1.5, ci_low: "NaN", ci_high: 2, ci_method: "t" });
  assert.deepEqual([c.mean, c.spread], ["1.5", ""]);
  assert.equal(formatDelta({ delta: "NaN" }), "–");
  assert.equal(formatP(null), "–");
  assert.equal(formatP("NaN"), "–");
  assert.equal(formatProbability(undefined), "–");
});

test("rounding ties to even like Python's format, whatever JS's toFixed does", () => {
  const cases = [
    [0.125, 2, "0.12"], [-0.125, 2, "-0.12"], [0.375, 2, "0.38"], [2.5, 0, "2"], [3.5, 0, "4"],
    [1.005, 2, "1.00"], [0.3, 1, "0.3"], [-0.0004, 2, "-0.00"], [NaN, 2, "nan"], [-Infinity, 1, "-inf"],
  ];
  for (const [x, d, want] of cases) assert.equal(fixed(x, d), want, `${x} ${d}`);
  for (const [x, want] of [[0.6463157, "0.6463"], [1e-5, "1e-05"], [100, "100"], [0.00012345, "0.0001234"], [-2.5, "-2.5"]]) {
    assert.equal(formatG4(x), want, String(x));
  }
});

test("comparisons: signed Δ with its interval, p to two digits, P(better) to two decimals", () => {
  const c = { delta: -0.16917293270428974, delta_ci_low: -0.19184254111067486, delta_ci_high: -0.1465033242979046 };
  assert.equal(formatDelta(c), "-0.169 ± 0.023");
  assert.equal(formatDelta({ delta: 0.0123, delta_ci_low: 0.004, delta_ci_high: 0.0206 }), "+0.0123 ± 0.0083");
  assert.equal(formatDelta({ delta: 0.25, delta_ci_low: null, delta_ci_high: null }), "+0.25");
  assert.equal(formatP(3.2e-5), "<0.001");
  assert.equal(formatP(0.0345), "0.035");
  assert.equal(formatP(0.1), "0.10");
  assert.equal(formatP(1), "1.0");
  assert.equal(formatProbability(0.8888), "0.89");
  assert.equal(formatProbability(1), "1.00");
});
