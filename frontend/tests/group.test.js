import assert from "node:assert/strict";
import { test } from "node:test";
import {
  compareValues,
  defaultMetric,
  exportRecords,
  flattenRows,
  groupRunNames,
  indexTrials,
  legendLabels,
  sortGroups,
  toCsv,
} from "../group.js";

const RUNS = [
  { run: "a/seed_1", trial: "a/seed_1", split: null, start_time: 20, metadata: { hparams: { lr: 1 }, tags: ["x"], started_at: "2026-01-01T00:00:00", ended_at: "2026-01-01T00:01:00" }, status: "finished" },
  { run: "a/seed_1/validation", trial: "a/seed_1", split: "validation", start_time: 10, metadata: { hparams: { bs: 2 } }, status: "finished" },
  { run: "a/seed_1/train", trial: "a/seed_1", split: "train", start_time: 15, metadata: {}, status: "finished" },
  { run: "b", trial: "b", split: null, start_time: 5, metadata: {}, status: null, error: "bad" },
  // Running: no ended_at yet, its last event 90 s after started_at.
  { run: "r", trial: "r", split: null, start_time: 1, metadata: { status: "running", started_at: "2026-01-01T00:00:00+00:00" }, status: "stale", last_event_time: Date.parse("2026-01-01T00:01:30Z") / 1000 },
];

function group(values, size, stats, members = []) {
  return { values, label: String(values), size, stats, members };
}

test("trials index their runs in split order and merge metadata one level deep", () => {
  const trials = indexTrials(RUNS);
  const a = trials.get("a/seed_1");
  assert.deepEqual(a.runs.map((r) => r.run), ["a/seed_1", "a/seed_1/train", "a/seed_1/validation"]);
  assert.deepEqual(a.metadata.hparams, { lr: 1, bs: 2 });
  assert.equal(a.start_time, 10);
  assert.equal(a.duration, 60);
  assert.equal(a.so_far, false);
  assert.equal(trials.get("b").error, "bad");
  assert.equal(trials.get("b").duration, null);
  const r = trials.get("r");
  assert.equal(r.duration, 90);
  assert.equal(r.so_far, true);
  assert.equal(r.status, "stale");
});

test("a group's runs are every run of its trials", () => {
  const trials = indexTrials(RUNS);
  const g = group([1], 2, null, [{ trial: "a/seed_1", run: "a/seed_1/validation" }, { trial: "c", run: null }]);
  assert.deepEqual(groupRunNames(g, trials), ["a/seed_1", "a/seed_1/train", "a/seed_1/validation", "c"]);
  assert.deepEqual(groupRunNames(g, null), ["a/seed_1/validation", "c"]);
});

test("the default metric prefers epoch_loss, then a validation loss, then any loss", () => {
  assert.equal(defaultMetric([{ tag: "acc" }, { tag: "epoch_loss" }]), "epoch_loss");
  assert.equal(defaultMetric([{ tag: "acc" }, { tag: "loss" }, { tag: "val_loss" }]), "val_loss");
  assert.equal(defaultMetric([{ tag: "acc" }, { tag: "train/loss" }]), "train/loss");
  assert.equal(defaultMetric([{ tag: "acc" }]), "acc");
  assert.equal(defaultMetric([]), null);
});

test("values compare in the backend's order", () => {
  const values = ["run_10", null, true, "run_2", 3, 0.5, false, "NaN"];
  assert.deepEqual([...values].sort(compareValues), [0.5, 3, "NaN", false, true, "run_2", "run_10", null]);
});

test("groups sort by any column, missing numbers last, stably", () => {
  const gs = [
    group([0.1, "b"], 3, { mean: 2, std: 0, min: 1, max: 3, best_value: 1 }),
    group([0.01, "a"], 1, { mean: "NaN", std: "NaN", min: "NaN", max: "NaN", best_value: "NaN" }),
    group([1, "c"], 2, { mean: 1, std: 1, min: 0, max: 2, best_value: 0 }),
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

test("rows flatten expanded groups with a header and their members", () => {
  const gs = [group([1], 2, null, [{ trial: "x" }, { trial: "y" }]), group([2], 1, null, [{ trial: "z" }])];
  const rows = flattenRows(gs, new Set(["[1]"]));
  assert.deepEqual(rows.map((r) => r.kind), ["group", "members-head", "member", "member", "group"]);
  assert.equal(flattenRows(gs, new Set()).length, 2);
});

test("flattening 10,000 members stays linear", () => {
  const members = Array.from({ length: 10000 }, (_, i) => ({ trial: `t${i}` }));
  const gs = Array.from({ length: 1000 }, (_, i) => group([i], 10, null, members.slice(i * 10, i * 10 + 10)));
  const expanded = new Set(gs.map((g) => JSON.stringify(g.values)));
  const t0 = performance.now();
  const rows = flattenRows(gs, expanded);
  assert.equal(rows.length, 12000);
  assert.ok(performance.now() - t0 < 200);
});

test("exports hold what the table shows, CSV quoted and formula-safe", () => {
  const gs = [
    group([0.1, "a,b"], 3, { mean: 0.5, std: 0.1, min: 0.4, max: 0.6, best_run: 'r "1"', best_value: 0.4 }),
    group([null, "=cmd()"], 1, { mean: "NaN", std: "NaN", min: "NaN", max: "NaN", best_run: null, best_value: "NaN" }),
  ];
  const records = exportRecords(gs, ["param.lr", "param.x"]);
  assert.deepEqual(records[0], {
    "param.lr": 0.1, "param.x": "a,b", runs: 3, mean: 0.5, std: 0.1, min: 0.4, max: 0.6, best_run: 'r "1"', best_value: 0.4,
  });
  assert.equal(records[1].mean, null);
  const csv = toCsv(records);
  assert.equal(
    csv,
    'param.lr,param.x,runs,mean,std,min,max,best_run,best_value\r\n' +
      '0.1,"a,b",3,0.5,0.1,0.4,0.6,"r ""1""",0.4\r\n' +
      ",'=cmd(),1,,,,,,\r\n",
  );
  assert.equal(toCsv([]), "");
  assert.deepEqual(Object.keys(exportRecords([group([], 5, null)], [])[0]).slice(0, 2), ["group", "runs"]);
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
  // 1 and true are different values (as group keys are).
  assert.deepEqual(legendLabels([g([1]), g([true])], ["param.x"]), ["param.x=1", "param.x=true"]);
  assert.deepEqual(legendLabels([g([]), g([])], []), ["full", "full"]);
});
