import assert from "node:assert/strict";
import { test } from "node:test";
import { defaultState } from "../state.js";
import { benchmarkQuery, benchmarkRoute, benchmarkState, defaultTask, effectsRoute, taskFields } from "../view_routes.js";

const field = (id, varies = true, repeat = false) => ({ id, varies, repeat, values: [], missing: 0, distinct: 2 });

test("the task field: the first varying, non-repeat field named like a task, else none", () => {
  const sb3 = { fields: [field("param.env"), field("param.run", true, true), field("name.env"), field("label.0"), field("path.0")] };
  assert.deepEqual(taskFields(sb3), ["param.env", "name.env", "label.0", "path.0"]);
  assert.equal(defaultTask(sb3), "param.env");
  // TASK_NAMES' order first: an env wins over a dataset listed before it.
  assert.equal(defaultTask({ fields: [field("param.dataset"), field("param.game", false), field("name.env")] }), "name.env");
  // A field that does not vary, or a repeat key, is never the task.
  assert.equal(defaultTask({ fields: [field("param.env", false), field("param.task", true, true)] }), "");
  assert.equal(defaultTask({ fields: [field("param.lr"), field("param.environment_seed")] }), "");
  assert.equal(defaultTask(null), "");
});

test("the Across tasks view's state and route", () => {
  const fields = { fields: [field("param.env"), field("label.0")] };
  const s = { ...defaultState(), metric: "rollout/ep_rew_mean", by: ["param.env", "label.0"] };
  assert.equal(benchmarkState(s, { fields }).task, "param.env");
  assert.deepEqual(benchmarkState(s, { fields }).taskFields, ["param.env", "label.0"]);
  assert.equal(benchmarkState({ ...s, task: "label.0" }, { fields }).task, "label.0");
  const q = new URLSearchParams(benchmarkRoute(s, { fields }).split("?")[1]);
  assert.deepEqual([...q.keys()], ["by", "metric", "task"]);
  assert.equal(q.get("by"), "param.env,label.0");
  assert.equal(q.get("task"), "param.env");
  // Without a task field there is nothing to ask yet.
  assert.equal(benchmarkRoute(s, { fields: { fields: [field("param.lr")] } }), null);
  const full = new URLSearchParams(
    benchmarkQuery({ ...s, task: "param.env", reduction: "mean_last_k", k: 3, normalize: "baseline", baseline_method: "PPO", filter: "v4", where: [["label.0", "PPO"]] }),
  );
  assert.equal(full.get("reduction"), "mean_last_k");
  assert.equal(full.get("k"), "3");
  assert.equal(full.get("normalize"), "baseline");
  assert.equal(full.get("baseline"), "PPO");
  assert.equal(full.get("filter"), "v4");
  assert.deepEqual(full.getAll("where"), ["label.0=PPO"]);
  // The table's baseline group is not the benchmark's baseline method.
  assert.equal(new URLSearchParams(benchmarkQuery({ ...s, task: "param.env", baseline: "AbCdEfGhIjKlMnOp" })).get("baseline"), null);
});

test("the Effects view's route: every varying setting, whatever the table's grouping", () => {
  const path = effectsRoute({ ...defaultState(), metric: "epoch_loss", by: ["param.lr"], filter: "adam" });
  assert.equal(path, "effects?metric=epoch_loss&filter=adam&reduction=last");
});
