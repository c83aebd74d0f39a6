import assert from "node:assert/strict";
import { test } from "node:test";
import "./browser_globals.js";
import { FIELDS, TAGS, groupsAnswer } from "./answers_fixture.js";
import { texts } from "./fake_dom.js";

const { GroupsView, renderSaved } = await import("../views/groups.js");
const { defaultState } = await import("../state.js");
const { GroupChart } = await import("../chart.js");

const curvesFor = (keys) => ({ curves: keys.map((key, i) => ({ key, label: key, values: [i, "adam"], size: 2, curve: { x: [0, 1], mean: [1, 2], lo: [0, 1], hi: [2, 3], count: [2, 2] } })) });

function spy(view) {
  const calls = { table: 0, restyle: 0, chart: [] };
  const update = view.table.update.bind(view.table);
  view.table.update = (...a) => (calls.table++, update(...a));
  const restyle = view.table.restyle.bind(view.table);
  view.table.restyle = (...a) => (calls.restyle++, restyle(...a));
  view.chart.chart.update = (series) => calls.chart.push(series.map((s) => s.key));
  return calls;
}

test("the Groups view draws each part only when what it draws from changed", () => {
  const view = new GroupsView({ change() {}, copy() {}, exportTable() {}, copyLink() {} });
  const calls = spy(view);
  const state = defaultState();
  const g = groupsAnswer();
  const answers = { fields: FIELDS, tags: TAGS, query: { ...state, metric: "loss" }, groups: null };
  view.update(state, answers); // before /groups: the toolbar only
  assert.equal(calls.table, 0);
  answers.groups = g;
  view.update(state, answers);
  assert.equal(calls.table, 1);
  const { keys } = view.wants(state);
  assert.deepEqual(keys, [g.groups[0].key, g.groups[1].key], "the table's first groups of more than one run are charted");
  const k2 = g.groups[2].key;
  answers.chart = { groups: g, curves: curvesFor(keys) };
  view.update(state, answers);
  view.update(state, { ...answers, sparklines: new Map() });
  assert.deepEqual([calls.table, calls.restyle, calls.chart.length], [1, 0, 1], "curves and sparklines: no table redraw");
  view.update({ ...state, selected: [k2] }, answers);
  assert.deepEqual([calls.table, calls.restyle], [1, 1], "a new choice of groups: ticks redrawn");
  assert.deepEqual(view.wants({ ...state, selected: [k2] }).keys, [k2]);
  view.update({ ...state, selected: [k2], sort: { key: "mean", dir: 1 } }, answers);
  assert.equal(calls.table, 2);
  view.update({ ...state, selected: [k2], sort: { key: "mean", dir: 1 } }, { ...answers, banner: { message: "Could not load curves", error: true } });
  assert.equal(view.banner.failed, true);
});

test("renderSaved draws the table and chart from saved answers alone", () => {
  // uPlot needs a canvas: the chart's series are checked, not its pixels (the browser tests do).
  const drawn = [];
  GroupChart.prototype.update = function (series) {
    drawn.push(series.map((s) => s.key));
  };
  const container = document.createElement("div");
  const g = groupsAnswer();
  const keys = g.groups.map((x) => x.key);
  const state = { ...defaultState(), sort: { key: "mean", dir: 1 } };
  const view = renderSaved(container, state, { fields: FIELDS, tags: TAGS, groups: g, curves: curvesFor(keys) });
  assert.equal(container.firstChild, view.element);
  assert.deepEqual(texts(container, ".rg-group-row .rg-group-value"), ["0.001", "0.01", "0.1"]);
  assert.equal(container.querySelector(".rg-counts").textContent, "6 runs in 3 groups (of 8)");
  // The default pick (the table's first groups of more than one run), drawn for those
  // the saved curves have.
  assert.deepEqual(view.chart.pick.keys, [keys[1], keys[0]]);
  assert.deepEqual(drawn.at(-1), [keys[1], keys[0]]);
});
