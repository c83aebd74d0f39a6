import assert from "node:assert/strict";
import { test } from "node:test";
import {
  curvesQuery,
  defaultState,
  groupsQuery,
  shareLink,
  stateFromUrlData,
  stateHash,
  stateToUrlData,
} from "../url_state.js";

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
  const { urlDataFromHash } = await import("../url_state.js");
  const hash = `#${stateHash(FULL)}&p.other.by=x&runFilter=y&p.rungroups.bad=%E0%A4%A`;
  assert.deepEqual(stateFromUrlData(urlDataFromHash(hash)), FULL);
  assert.deepEqual(urlDataFromHash("#timeseries"), {});
  assert.deepEqual(urlDataFromHash(""), {});
});

test("smoothing, x axis, seeds and the interval band travel in the link", async () => {
  const { curvesQuery, defaultState, stateFromUrlData, stateToUrlData } = await import("../url_state.js");
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
