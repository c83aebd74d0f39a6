import assert from "node:assert/strict";
import { test } from "node:test";
import {
  curvesQuery,
  defaultState,
  exportQuery,
  groupsQuery,
  shareLink,
  stateFromUrlData,
  stateHash,
  stateToUrlData,
} from "../state.js";

// TensorBoard's own hash reader (tf_storage.getUrlHashDict): split on & and =.
function readHash(hash) {
  const out = {};
  for (const part of hash.replace(/^#/, "").split("&")) {
    const kv = part.split("=");
    if (kv.length === 1) out.__tab__ = kv[0];
    else if (kv.length === 2) out[decodeURIComponent(kv[0])] = decodeURIComponent(kv[1]);
  }
  return out;
}

function pluginData(hashDict) {
  const out = {};
  for (const [k, v] of Object.entries(hashDict)) if (k.startsWith("p.rungroups.")) out[k.slice(12)] = v;
  return out;
}

const FULL = {
  ...defaultState(),
  by: ["param.lr", "param.bs"],
  metric: "epoch_loss",
  split: "validation",
  reduction: "best",
  filter: "a&b=c",
  regex: "seed_[12]$",
  where: [["param.opt", "adam"], ["status", "(none)"]],
  sort: { key: "mean", dir: -1 },
  // Group keys as the backend gives them (grouping.group_key).
  expanded: ["Ab3_-xYz0123456Q"],
  selected: ["Ab3_-xYz0123456Q", "zz_ZZ-9900aabbcc"],
  band: "std",
  log: true,
  run: "lr=0.01,bs=32/seed_1 ✓",
  more: [["epoch_accuracy", "at_best:epoch_loss"], ["epoch_loss", "mean_last_k"]],
  k: 3,
  spread: "sem",
  ci: "bootstrap",
  baseline: "zz_ZZ-9900aabbcc",
};

test("the default state writes nothing", () => {
  assert.deepEqual(stateToUrlData(defaultState()), {});
  assert.equal(stateHash(defaultState()), "rungroups");
});

test("a state survives TensorBoard's hash format", () => {
  const hash = stateHash(FULL);
  assert.ok(hash.startsWith("rungroups&p.rungroups.by="));
  const dict = readHash(hash);
  assert.equal(dict.__tab__, "rungroups");
  assert.deepEqual(stateFromUrlData(pluginData(dict)), FULL);
});

test("an empty grouping (one group) differs from the default grouping", () => {
  const state = { ...defaultState(), by: [] };
  assert.deepEqual(stateFromUrlData(pluginData(readHash(stateHash(state)))).by, []);
  assert.equal(stateFromUrlData({}).by, null);
});

test("bad URL data is ignored", () => {
  const s = stateFromUrlData({ reduction: "Mean!", split: "Not a split!", where: "{not json", selected: "[1", band: "z", log: "no" });
  assert.deepEqual(s, defaultState());
  assert.deepEqual(stateFromUrlData(null), defaultState());
  assert.deepEqual(stateFromUrlData({ where: '[["a","b"],["c"],[1,2],"x"]' }).where, [["a", "b"]]);
});

test("the share link keeps the query and replaces the hash", () => {
  const link = shareLink("http://h:6006/pre/?darkMode=true#timeseries&x=1", { ...defaultState(), by: ["param.lr"] });
  assert.equal(link, "http://h:6006/pre/?darkMode=true#rungroups&p.rungroups.by=param.lr");
});

test("route queries carry the state", () => {
  const q = new URLSearchParams(groupsQuery(FULL));
  assert.equal(q.get("by"), "param.lr,param.bs");
  assert.equal(q.get("metric"), "epoch_loss");
  assert.equal(q.get("reduction"), "best");
  assert.equal(q.get("filter"), "a&b=c");
  assert.deepEqual(q.getAll("where"), ["param.opt=adam", "status=(none)"]);
  assert.equal(new URLSearchParams(groupsQuery(defaultState())).has("by"), false);
  assert.equal(new URLSearchParams(groupsQuery({ ...defaultState(), by: [] })).get("by"), "");
  const c = new URLSearchParams(curvesQuery(FULL, ["Ab3_-xYz0123456Q", "zz_ZZ-9900aabbcc"], 40));
  assert.deepEqual(c.getAll("group"), ["Ab3_-xYz0123456Q", "zz_ZZ-9900aabbcc"]);
  assert.equal(c.get("max_points"), "40");
  assert.equal(c.has("reduction"), false);
  assert.equal(new URLSearchParams(curvesQuery(FULL, null, 40)).has("group"), false);
});

test("reductions are the backend's to judge: any sane-looking name is kept", () => {
  for (const r of ["min", "mean_last_k", "at_best:epoch_accuracy", "at_best:val loss/x", "some_future_one"]) {
    assert.equal(stateFromUrlData({ reduction: r }).reduction, r);
    assert.equal(stateFromUrlData(pluginData(readHash(stateHash({ ...defaultState(), reduction: r })))).reduction, r);
  }
  for (const r of ["", "MIN", "min max", "a".repeat(41), "at_best:", `at_best:${"x".repeat(201)}`, "<b>"]) {
    assert.equal(stateFromUrlData({ reduction: r }).reduction, "last", r);
  }
});

test("deep-linked groups are backend keys; old links listing values are ignored", () => {
  const keys = ["Ab3_-xYz0123456Q", "zz_ZZ-9900aabbcc"];
  assert.deepEqual(stateFromUrlData({ selected: JSON.stringify(keys) }).selected, keys);
  assert.deepEqual(stateFromUrlData({ selected: "[]" }).selected, [], "an empty chart stays empty");
  // Before group keys, links listed each group's values as JSON: the default groups show.
  assert.equal(stateFromUrlData({ selected: '["[0.01,32]","[0.1,64]"]' }).selected, null);
  assert.deepEqual(stateFromUrlData({ selected: JSON.stringify(["[0.01]", keys[0], 7, "short"]) }).selected, [keys[0]]);
  assert.deepEqual(stateFromUrlData({ expanded: '["[0.01,32]"]' }).expanded, []);
  assert.deepEqual(stateFromUrlData({ expanded: JSON.stringify(keys) }).expanded, keys);
});

test("the plugin's keys are read from a TensorBoard hash", async () => {
  const { urlDataFromHash } = await import("../state.js");
  const hash = `#${stateHash(FULL)}&p.other.by=x&runFilter=y&p.rungroups.bad=%E0%A4%A`;
  assert.deepEqual(stateFromUrlData(urlDataFromHash(hash)), FULL);
  assert.deepEqual(urlDataFromHash("#timeseries"), {});
  assert.deepEqual(urlDataFromHash(""), {});
});

test("smoothing, x axis, seeds and the interval band travel in the link", async () => {
  const { curvesQuery, defaultState, stateFromUrlData, stateToUrlData } = await import("../state.js");
  const d = defaultState();
  assert.equal(d.smoothing, 0.6);
  assert.deepEqual(stateToUrlData(d), {});
  const s = { ...d, smoothing: 0.85, x: "relative", seeds: true, band: "ci" };
  const data = stateToUrlData(s);
  assert.deepEqual(data, { smoothing: "0.85", x: "relative", seeds: "1", band: "ci" });
  const back = stateFromUrlData(data);
  assert.equal(back.smoothing, 0.85);
  assert.equal(back.x, "relative");
  assert.equal(back.seeds, true);
  assert.equal(back.band, "ci");
  assert.equal(stateFromUrlData({ smoothing: "0" }).smoothing, 0);
  for (const bad of ["1", "-0.1", "x", ""]) assert.equal(stateFromUrlData({ smoothing: bad }).smoothing, 0.6, bad);
  assert.equal(stateFromUrlData({ x: "bogus" }).x, "step");
  const q = new URLSearchParams(curvesQuery({ ...d, metric: "loss" }, ["k"], 500, { smoothing: 0.6, x: "wall", lines: true }));
  assert.equal(q.get("smoothing"), "0.6");
  assert.equal(q.get("x"), "wall");
  assert.equal(q.get("lines"), "true");
  const plain = new URLSearchParams(curvesQuery({ ...d, metric: "loss" }, null, 40));
  assert.equal(plain.get("smoothing"), null);
  assert.equal(plain.get("x"), null);
});

test("spread, interval, baseline, k and more metrics travel in the link and reach /groups", () => {
  const data = stateToUrlData(FULL);
  assert.equal(data.spread, "sem");
  assert.equal(data.ci, "bootstrap");
  assert.equal(data.baseline, "zz_ZZ-9900aabbcc");
  assert.equal(data.k, "3");
  assert.deepEqual(JSON.parse(data.more), FULL.more);
  const q = new URLSearchParams(groupsQuery(FULL));
  assert.deepEqual(q.getAll("metric"), ["epoch_loss", "epoch_accuracy", "epoch_loss"]);
  assert.deepEqual(q.getAll("reduction"), ["best", "at_best:epoch_loss", "mean_last_k"]);
  assert.equal(q.get("k"), "3");
  assert.equal(q.get("ci"), "bootstrap");
  assert.equal(q.get("baseline"), "zz_ZZ-9900aabbcc");
  // The spread is how the tab shows the answer: not an argument of the backend.
  assert.equal(q.has("spread"), false);
  // One reduction for all metrics is sent once; k only for mean_last_k; t is the default.
  const one = new URLSearchParams(groupsQuery({ ...defaultState(), metric: "a", more: [["b", "last"]] }));
  assert.deepEqual([one.getAll("metric"), one.getAll("reduction"), one.has("k"), one.has("ci"), one.has("baseline")], [["a", "b"], ["last"], false, false, false]);
  assert.equal(new URLSearchParams(groupsQuery({ ...defaultState(), metric: "a", reduction: "mean_last_k" })).get("k"), "5");
  // /export gets exactly /groups' arguments and the format.
  const e = new URLSearchParams(exportQuery(FULL, "latex"));
  assert.equal(e.get("format"), "latex");
  e.delete("format");
  assert.equal(e.toString(), groupsQuery(FULL));
  // The curves are the first metric's.
  assert.deepEqual(new URLSearchParams(curvesQuery(FULL, null, 40)).getAll("metric"), ["epoch_loss"]);
});

test("bad statistics settings in a link are ignored", () => {
  const s = stateFromUrlData({ spread: "var", ci: "normal", baseline: "<b>", k: "0", more: '[["a"],["b","MAX"],[1,"last"],["c","min"]]' });
  assert.deepEqual([s.spread, s.ci, s.baseline, s.k], ["ci", "t", null, 5]);
  assert.deepEqual(s.more, [["c", "min"]]);
  for (const k of ["1.5", "-3", "x", "1000001"]) assert.equal(stateFromUrlData({ k }).k, 5, k);
  assert.equal(stateFromUrlData({ k: "12" }).k, 12);
});

test("the first view asks /groups for the backend's default metric, sparklines ask for little", () => {
  const auto = new URLSearchParams(groupsQuery({ by: null, autoMetric: true }));
  assert.equal(auto.get("auto_metric"), "true");
  assert.equal(auto.get("metric"), null);
  const chosen = new URLSearchParams(groupsQuery({ by: null, autoMetric: true, metric: "acc" }));
  assert.equal(chosen.get("auto_metric"), null);
  assert.equal(chosen.get("metric"), "acc");
  const spark = new URLSearchParams(curvesQuery({ by: null, metric: "loss" }, ["AAAAAAAAAAAAAAAA"], 40, { sparkline: true }));
  assert.equal(spark.get("sparkline"), "true");
  assert.deepEqual(spark.getAll("group"), ["AAAAAAAAAAAAAAAA"]);
});

test("the first view's /groups also asks for the chart's curves and the first sparklines", async () => {
  const { tableCurvesQuery } = await import("../state.js");
  const base = { chart: null, chartGroups: 5, chartPoints: 500, smoothing: 0.6, x: "step", sparklines: 50, sparklinePoints: 40 };
  // The default tab's request: tb_plugin/warm.py's FIRST_VIEW_GROUPS (the backend keeps it ready).
  assert.equal(tableCurvesQuery(base), "chart_groups=5&chart_points=500&smoothing=0.6&sparklines=50&sparkline_points=40");
  const q = new URLSearchParams(tableCurvesQuery({ ...base, chart: ["Ab3_-xYz0123456Q", "zz_ZZ-9900aabbcc"], chartGroups: 0, smoothing: 0, x: "wall" }));
  assert.deepEqual(q.getAll("chart"), ["Ab3_-xYz0123456Q", "zz_ZZ-9900aabbcc"]);
  assert.equal(q.get("chart_groups"), "0");
  assert.equal(q.get("smoothing"), "0");
  assert.equal(q.get("x"), "wall");
});

test("deep links saved from the tab before the views restructure restore the same view", async () => {
  const { readFileSync } = await import("node:fs");
  const { change, defaultState, shareLink, stateFromUrlData, urlDataFromHash } = await import("../state.js");
  const saved = JSON.parse(readFileSync(new URL("./fixtures/deep_links_v1.json", import.meta.url), "utf8"));
  assert.ok(saved.length >= 10);
  for (const { link, state } of saved) {
    const restored = stateFromUrlData(urlDataFromHash(link.split("#")[1]));
    // The same state, on the Groups view (the only one then), unpaired, nothing excluded.
    assert.deepEqual(
      restored,
      { ...state, view: "groups", task: "", normalize: "none", baseline_method: "", paired: false, exclude: "" },
      link,
    );
    // And the same link back, for the links the tab itself made.
    if (link.includes("darkMode")) assert.equal(shareLink(link, restored), link);
  }
  assert.deepEqual(change(defaultState(), {}).redo, new Set(["none"]));
});

test("change(patch): what a patch implies, and what is done again", async () => {
  const { change, defaultState, stateFromUrlData, stateToUrlData } = await import("../state.js");
  const s0 = { ...defaultState(), by: ["lr"], expanded: ["AbCdEfGhIjKlMnOp"], baseline: "AbCdEfGhIjKlMnOp", selected: ["q_rStUvWxYz-0123"] };
  const regroup = change(s0, { by: ["lr", "bs"] });
  assert.deepEqual(regroup.state, { ...s0, by: ["lr", "bs"], expanded: [], baseline: null, selected: null });
  assert.deepEqual(regroup.redo, new Set(["groups"]));
  assert.deepEqual(change(s0, { by: ["bs"], baseline: "ZZZZZZZZZZZZZZZZ" }).state.baseline, "ZZZZZZZZZZZZZZZZ");
  // The same value again: nothing (a regex typed back to what is shown).
  assert.deepEqual(change(s0, { by: ["lr"] }), { state: s0, redo: new Set(["none"]) });
  const cases = [
    [{ sort: { key: "mean", dir: -1 } }, ["table"]],
    [{ expanded: [] }, ["table"]],
    [{ spread: "std" }, ["table"]],
    [{ selected: [] }, ["chart"]],
    [{ smoothing: 0.9, band: "std" }, ["curves"]],
    [{ run: "a/b" }, ["run"]],
    [{ view: "effects" }, ["view"]],
    [{ filter: "adam", log: true }, ["groups", "curves"]],
  ];
  for (const [patch, redo] of cases) {
    const { state, redo: got } = change(s0, patch);
    assert.deepEqual(got, new Set(redo), JSON.stringify(patch));
    assert.deepEqual(state, { ...s0, ...patch });
  }
  // The view and task keys round-trip through the link; a bad view name is ignored.
  const s = { ...defaultState(), view: "benchmark", task: "param.env", normalize: "minmax", baseline_method: "PPO" };
  assert.deepEqual(stateToUrlData(s), { view: "benchmark", task: "param.env", normalize: "minmax", baseline_method: "PPO" });
  assert.deepEqual(stateFromUrlData(stateToUrlData(s)), s);
  assert.equal(stateFromUrlData({ normalize: "zscore" }).normalize, "none");
  assert.deepEqual(change(s, { normalize: "none" }).redo, new Set(["view"]));
  assert.deepEqual(change(s, { baseline_method: "A2C" }).redo, new Set(["view"]));
  assert.equal(stateFromUrlData({ view: "<x>" }).view, "groups");
});
