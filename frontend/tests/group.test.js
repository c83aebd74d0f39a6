import assert from "node:assert/strict";
import { test } from "node:test";
import {
  flattenRows,
  groupRunNames,
  indexTrials,
  legendLabels,
  sortGroups,
  toCsv,
} from "../group.js";

// A /runs answer as the backend sends it: runs, and trials with their runs in
// split order, metadata merged and durations computed (by Python).
const RUNS_ANSWER = {
  runs: [
    { run: "a/seed_1", trial: "a/seed_1", split: null, start_time: 20, metadata: { hparams: { lr: 1 } }, status: "finished" },
    { run: "a/seed_1/validation", trial: "a/seed_1", split: "validation", start_time: 10, metadata: { hparams: { bs: 2 } }, status: "finished" },
    { run: "a/seed_1/train", trial: "a/seed_1", split: "train", start_time: 15, metadata: {}, status: "finished" },
    { run: "b", trial: "b", split: null, start_time: 5, metadata: {}, status: null, error: "bad" },
    { run: "r", trial: "r", split: null, start_time: 1, metadata: { status: "running" }, status: "stale", last_event_time: 1767225690 },
  ],
  trials: [
    {
      trial: "a/seed_1",
      runs: ["a/seed_1", "a/seed_1/train", "a/seed_1/validation"],
      metadata: { hparams: { lr: 1, bs: 2 }, tags: ["x"] },
      start_time: 10,
      status: "finished",
      error: null,
      last_event_time: null,
      duration: 60,
      so_far: false,
    },
    { trial: "b", runs: ["b"], metadata: {}, start_time: 5, status: null, error: "bad", last_event_time: null, duration: null, so_far: false },
    { trial: "r", runs: ["r"], metadata: { status: "running" }, start_time: 1, status: "stale", error: null, last_event_time: 1767225690, duration: 90, so_far: true },
  ],
  stale_after: 3600,
};

function group(values, size, stats, members = [], ranks = values.map(() => 0)) {
  return { key: `k${JSON.stringify(values)}`, values, ranks, label: String(values), size, stats, members };
}

test("trials are indexed as the backend sends them, with their run objects", () => {
  const trials = indexTrials(RUNS_ANSWER);
  assert.deepEqual([...trials.keys()], ["a/seed_1", "b", "r"]);
  const a = trials.get("a/seed_1");
  // The backend's split order and merged metadata, taken as they come.
  assert.deepEqual(a.runs.map((r) => r.run), ["a/seed_1", "a/seed_1/train", "a/seed_1/validation"]);
  assert.equal(a.runs[1], RUNS_ANSWER.runs[2], "the run objects of answer.runs");
  assert.equal(a.first, RUNS_ANSWER.runs[0]);
  assert.deepEqual(a.metadata, { hparams: { lr: 1, bs: 2 }, tags: ["x"] });
  assert.equal(a.start_time, 10);
  assert.equal(a.duration, 60);
  assert.equal(a.so_far, false);
  assert.equal(trials.get("b").error, "bad");
  assert.equal(trials.get("b").duration, null);
  const r = trials.get("r");
  assert.equal(r.duration, 90);
  assert.equal(r.so_far, true);
  assert.equal(r.status, "stale");
  assert.equal(r.last_event_time, 1767225690);
  // Nothing is recomputed: a trial's numbers are the backend's even when its runs say otherwise.
  const odd = indexTrials({ runs: RUNS_ANSWER.runs, trials: [{ ...RUNS_ANSWER.trials[0], start_time: 99, duration: 7 }] });
  assert.equal(odd.get("a/seed_1").start_time, 99);
  assert.equal(odd.get("a/seed_1").duration, 7);
  // No trials (an empty log directory, or an answer that failed): an empty index.
  assert.equal(indexTrials({ runs: [] }).size, 0);
  assert.equal(indexTrials(null).size, 0);
});

test("a group's runs are every run of its trials", () => {
  const trials = indexTrials(RUNS_ANSWER);
  const g = group([1], 2, null, [{ trial: "a/seed_1", run: "a/seed_1/validation" }, { trial: "c", run: null }]);
  assert.deepEqual(groupRunNames(g, trials), ["a/seed_1", "a/seed_1/train", "a/seed_1/validation", "c"]);
  assert.deepEqual(groupRunNames(g, null), ["a/seed_1/validation", "c"]);
});


test("groups sort by any column, missing numbers last, stably", () => {
  const gs = [
    group([0.1, "b"], 3, { mean: 2, std: 0, min: 1, max: 3, best_value: 1 }, [], [1, 1]),
    group([0.01, "a"], 1, { mean: "NaN", std: "NaN", min: "NaN", max: "NaN", best_value: "NaN" }, [], [0, 0]),
    group([1, "c"], 2, { mean: 1, std: 1, min: 0, max: 2, best_value: 0 }, [], [2, 2]),
  ];
  const keys = (sorted) => sorted.map((g) => g.values[0]);
  assert.deepEqual(keys(sortGroups(gs, { key: "mean", dir: 1 })), [1, 0.1, 0.01]);
  assert.deepEqual(keys(sortGroups(gs, { key: "mean", dir: -1 })), [0.1, 1, 0.01]);
  assert.deepEqual(keys(sortGroups(gs, { key: "runs", dir: -1 })), [0.1, 1, 0.01]);
  assert.deepEqual(keys(sortGroups(gs, { key: "value.0", dir: 1 })), [0.01, 0.1, 1]);
  assert.deepEqual(keys(sortGroups(gs, { key: "value.1", dir: -1 })), [1, 0.1, 0.01]);
  assert.deepEqual(keys(sortGroups(gs, { key: "group", dir: -1 })), [1, 0.01, 0.1]);
  assert.deepEqual(keys(sortGroups(gs, { key: "nonsense", dir: 1 })), [0.1, 0.01, 1]);
  assert.deepEqual(keys(gs), [0.1, 0.01, 1], "input untouched");
});

test("groups sort by a later metric block and by the comparison with a baseline", () => {
  const block = (mean, delta, p, prob) => ({ stats: { mean }, compare: delta === null ? null : { delta, p_value: p, prob_improvement: prob } });
  const gs = [
    { key: "a", values: ["a"], size: 3, metrics: [block(1, null), block(5, null)] },
    { key: "b", values: ["b"], size: 3, metrics: [block(2, 1, 0.2, 0.9), block(4, -1, 0.01, 0.1)] },
    { key: "c", values: ["c"], size: 3, metrics: [block(3, 2, 0.03, 1), block("NaN", "NaN", null, null)] },
  ];
  const keys = (sorted) => sorted.map((g) => g.key);
  assert.deepEqual(keys(sortGroups(gs, { key: "mean.1", dir: 1 })), ["b", "a", "c"]);
  assert.deepEqual(keys(sortGroups(gs, { key: "mean", dir: -1 })), ["c", "b", "a"]);
  assert.deepEqual(keys(sortGroups(gs, { key: "delta", dir: -1 })), ["c", "b", "a"], "the baseline (no compare) last");
  assert.deepEqual(keys(sortGroups(gs, { key: "p", dir: 1 })), ["c", "b", "a"]);
  assert.deepEqual(keys(sortGroups(gs, { key: "prob.1", dir: -1 })), ["b", "a", "c"]);
  assert.deepEqual(keys(sortGroups(gs, { key: "mean.7", dir: 1 })), ["a", "b", "c"], "a block not there: order kept");
});

test("a field's column sorts by the backend's ranks, not by its own idea of the values", () => {
  // The backend's order: numbers, NaN after them, booleans, strings naturally, (none) last.
  const gs = [
    group(["run_10"], 1, null, [], [5]),
    group([null], 1, null, [], [6]),
    group([true], 1, null, [], [3]),
    group(["Infinity"], 1, null, [], [1]),
    group(["run_2"], 1, null, [], [4]),
    group(["NaN"], 1, null, [], [2]),
    group([0.5], 1, null, [], [0]),
  ];
  const shown = (sorted) => sorted.map((g) => g.values[0]);
  assert.deepEqual(shown(sortGroups(gs, { key: "value.0", dir: 1 })), [0.5, "Infinity", "NaN", true, "run_2", "run_10", null]);
  assert.deepEqual(shown(sortGroups(gs, { key: "value.0", dir: -1 })), [null, "run_10", "run_2", true, "NaN", "Infinity", 0.5]);
  // Equal ranks keep the backend's order; a group without ranks goes last either way.
  const tied = [group(["x"], 1, null, [], [1]), group(["y"], 1, null, [], [0]), group(["z"], 1, null, [], [1])];
  const noRanks = { ...group(["w"], 1, null), ranks: undefined };
  assert.deepEqual(shown(sortGroups([...tied, noRanks], { key: "value.0", dir: 1 })), ["y", "x", "z", "w"]);
  assert.deepEqual(shown(sortGroups([noRanks, ...tied], { key: "value.0", dir: -1 })), ["x", "z", "y", "w"]);
});

test("rows flatten expanded groups with a header and their members", () => {
  const gs = [group([1], 2, null, [{ trial: "x" }, { trial: "y" }]), group([2], 1, null, [{ trial: "z" }])];
  const rows = flattenRows(gs, new Set([gs[0].key]));
  assert.deepEqual(rows.map((r) => r.kind), ["group", "members-head", "member", "member", "group"]);
  assert.equal(flattenRows(gs, new Set()).length, 2);
});

test("flattening 10,000 members stays linear", () => {
  const members = Array.from({ length: 10000 }, (_, i) => ({ trial: `t${i}` }));
  const gs = Array.from({ length: 1000 }, (_, i) => group([i], 10, null, members.slice(i * 10, i * 10 + 10)));
  const expanded = new Set(gs.map((g) => g.key));
  const t0 = performance.now();
  const rows = flattenRows(gs, expanded);
  assert.equal(rows.length, 12000);
  assert.ok(performance.now() - t0 < 200);
});

test("CSV is quoted and formula-safe", () => {
  const records = [
    { "param.lr": 0.1, "param.x": "a,b", best_run: 'r "1"', best_value: 0.4 },
    { "param.lr": null, "param.x": "=cmd()", best_run: "-1+cmd|' /C calc'!A0", best_value: -1.5 },
  ];
  assert.equal(
    toCsv(records),
    "param.lr,param.x,best_run,best_value\r\n" +
      '0.1,"a,b","r ""1""",0.4\r\n' +
      ",'=cmd(),'-1+cmd|' /C calc'!A0,-1.5\r\n",
  );
  assert.equal(toCsv([]), "");
});

test("curves align on the union of steps with bands, and log drops non-positive values", async () => {
  const { alignCurves } = await import("../curves.js");
  const a = { curve: { steps: [0, 2], mean: [1, 0.5], std: [0.1, 0], min: [0.9, 0.5], max: [1.1, 0.5] } };
  const b = { curve: { steps: [1, 2], mean: [2, "NaN"], std: [1, 0], min: [0, 1], max: [4, 1] } };
  const mm = alignCurves([a, b], "minmax", false);
  assert.deepEqual(mm.x, [0, 1, 2]);
  assert.deepEqual(mm.lines[0].mean, [1, null, 0.5]);
  assert.deepEqual(mm.lines[0].hi, [1.1, null, 0.5]);
  assert.deepEqual(mm.lines[1].mean, [null, 2, null]);
  const sd = alignCurves([b], "std", false);
  assert.deepEqual(sd.lines[0].lo, [1, null]);
  assert.deepEqual(sd.lines[0].hi, [3, null]);
  const logged = alignCurves([b], "minmax", true);
  assert.deepEqual(logged.lines[0].lo, [null, 1], "a log axis cannot show 0");
  assert.deepEqual(alignCurves([a], "none", false).lines[0].lo, [null, null]);
});

test("legend labels keep only the fields that tell the charted groups apart", () => {
  const by = ["param.lr", "param.bs", "param.opt"];
  const g = (values) => ({ values, label: "full" });
  assert.deepEqual(legendLabels([g([0.01, 32, "adam"]), g([0.1, 32, "adam"])], by), ["param.lr=0.01", "param.lr=0.1"]);
  assert.deepEqual(legendLabels([g([0.01, 32, null]), g([0.01, 64, "sgd"])], by), [
    "param.bs=32, param.opt=(none)",
    "param.bs=64, param.opt=sgd",
  ]);
  // One group, or groups alike in every field shown: every field.
  assert.deepEqual(legendLabels([g([0.01, 32, "adam"])], by), ["param.lr=0.01, param.bs=32, param.opt=adam"]);
  // 1 and true are different values (as group keys are); so are NaN and infinity.
  assert.deepEqual(legendLabels([g([1]), g([true])], ["param.x"]), ["param.x=1", "param.x=true"]);
  assert.deepEqual(legendLabels([g(["NaN", 32]), g(["Infinity", 32]), g([0.1, 32])], ["param.lr", "param.bs"]), [
    "param.lr=NaN",
    "param.lr=Infinity",
    "param.lr=0.1",
  ]);
  assert.deepEqual(legendLabels([g([]), g([])], []), ["full", "full"]);
});

test("under a filter, columns that tell no groups apart are hidden", async () => {
  const { varyingColumns } = await import("../group.js");
  const groups = [
    { values: [0.1, 32, "adam", null] },
    { values: [0.1, 64, "adam", null] },
  ];
  assert.deepEqual(varyingColumns(groups, ["lr", "bs", "opt", "job"]), [1]);
  assert.deepEqual(varyingColumns([groups[0]], ["lr", "bs", "opt", "job"]), [0, 1, 2, 3]);
  assert.deepEqual(varyingColumns([{ values: [1] }, { values: ["1"] }], ["a"]), [0]);
});

test("the chart's default groups are the largest, not one-run groups, in table order", async () => {
  const { defaultChartKeys } = await import("../group.js");
  const g = (key, size) => ({ key, size });
  const groups = [g("a", 1), g("b", 3), g("c", 3), g("d", 1), g("e", 2), g("f", 3)];
  assert.deepEqual(defaultChartKeys(groups, 5), ["b", "c", "e", "f"]);
  assert.deepEqual(defaultChartKeys(groups, 2), ["b", "c"]);
  assert.deepEqual(defaultChartKeys([g("a", 1), g("b", 1)], 5), ["a", "b"]);
});
