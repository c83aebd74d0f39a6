import assert from "node:assert/strict";
import { test } from "node:test";
import "./browser_globals.js";

const { CHART_DEFAULT_GROUPS, ChartView, SEED_MAX_RUNS, chartSeries, pickChartGroups } = await import("../views/chart_view.js");
const { defaultState } = await import("../state.js");

const wait = (ms) => new Promise((r) => setTimeout(r, ms));
const groups = (sizes) => sizes.map((size, i) => ({ key: `k${i}`, size, label: `lr=${i}`, values: [i] }));
const curve = { x: [0, 1], mean: [1, 2], lo: [0, 1], hi: [2, 3], count: [2, 2] };
const curvesAnswer = (keys) => ({ curves: keys.map((key) => ({ key, label: `lr=${key.slice(1)}`, values: [Number(key.slice(1))], size: 3, curve })) });

test("the chart's groups: the state's (those still there), else the table's first few, colours kept", () => {
  const sorted = groups([3, 3, 3, 3, 3, 3, 3]);
  const first = pickChartGroups(defaultState(), sorted);
  assert.equal(first.keys.length, CHART_DEFAULT_GROUPS);
  assert.deepEqual([...first.colors.keys()], first.keys);
  const chosen = pickChartGroups({ ...defaultState(), selected: ["k6", "gone", first.keys[1]] }, sorted, first.colors);
  assert.deepEqual(chosen.keys, ["k6", first.keys[1]]);
  assert.equal(chosen.colors.get(first.keys[1]), first.colors.get(first.keys[1]), "a group keeps its colour");
  assert.deepEqual(pickChartGroups({ ...defaultState(), selected: [] }, sorted).keys, []);
});

test("chartSeries: the picked groups that have curves, in order, with raw curves and runs", () => {
  const pick = { keys: ["k2", "k0", "k9"], colors: new Map([["k2", "#111111"], ["k0", "#222222"], ["k9", "#333333"]]) };
  const answer = { curves: curvesAnswer(["k0", "k2"]), raw: curvesAnswer(["k0"]), lines: { curves: [{ key: "k2", lines: { r: { x: [0], y: [1] } } }] } };
  const series = chartSeries({ ...defaultState(), seeds: true }, pick, { by: ["lr"] }, answer);
  assert.deepEqual(series.map((s) => [s.key, s.color, Boolean(s.raw), Boolean(s.lines), s.linesNote]), [
    ["k2", "#111111", false, true, ""],
    ["k0", "#222222", true, false, `Runs not drawn: more than ${SEED_MAX_RUNS} in this group`],
  ]);
});

test("the chart view draws new curves only, and its controls call change(patch)", async () => {
  const changes = [];
  const view = new ChartView({ change: (p) => changes.push(p) });
  const drawn = [];
  view.chart.update = (series, options) => drawn.push([series.map((s) => s.key), options]);
  const state = { ...defaultState(), band: "std", x: "relative", smoothing: 0.3 };
  const g = { metric: "loss", by: ["lr"], groups: groups([3, 200, 3]) };
  view.choose(state, g.groups);
  assert.deepEqual(view.wants({ ...state, seeds: true }, g), { keys: ["k0", "k1", "k2"], points: 500, lineKeys: ["k0", "k2"], linePoints: 200 });
  view.update(state, null); // no curves yet: nothing drawn, controls show the state
  assert.equal(drawn.length, 0);
  assert.deepEqual([view.bandSelect.value, view.axisSelect.value, view.slider.value, view.sliderValue.value], ["std", "relative", "0.3", "0.3"]);
  const answer = { groups: g, curves: curvesAnswer(["k0", "k1", "k2"]) };
  view.update(state, answer);
  view.update(state, answer); // the same answer again (a sparkline arrived): not redrawn
  assert.deepEqual(drawn, [[["k0", "k1", "k2"], { band: "std", log: false, metric: "loss", axis: "relative", smoothing: 0.3 }]]);
  view.update(state, { groups: g, curves: null }); // nothing to chart: drawn empty
  assert.deepEqual(drawn[1][0], []);
  view.logBox.click();
  view.seedsBox.click();
  view.element.querySelector(".rg-clear-selection").click();
  view.slider.value = "0.8";
  view.slider.dispatchEvent({ type: "input" });
  view.slider.value = "0.85";
  view.slider.dispatchEvent({ type: "input" }); // debounced: one change
  await wait(200);
  assert.deepEqual(changes, [{ log: true }, { seeds: true }, { selected: [] }, { smoothing: 0.85 }]);
});
