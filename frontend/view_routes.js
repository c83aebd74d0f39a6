// What the views other than Groups draw from (app.js' VIEWS, tested with node
// --test): the route of each one's answer for the query state, and the state a
// view is handed (the across-tasks view's task field resolved). No DOM, no fetch:
// app.loadView fetches the path with its request generation.

import { commonQuery, DEFAULT_K } from "./state.js";
import { effectsQuery } from "./views/effects.js";

/**
 * Names a task field goes by (environments, games, data sets), the field's
 * family prefix (`param.`, `name.`, `path.`, …) left off, in order of preference.
 */
export const TASK_NAMES = ["env", "env_id", "environment", "task", "dataset", "game"];

const bare = (id) => id.slice(id.indexOf(".") + 1);

/**
 * The fields the tasks can be: every field that varies and is no repeat key,
 * in /fields' order.
 * @param {object|null} fields  the /fields answer
 * @returns {string[]}  field ids
 */
export function taskFields(fields) {
  return ((fields && fields.fields) || []).filter((f) => f.varies && !f.repeat).map((f) => f.id);
}

/**
 * The task field when the state names none: the first varying, non-repeat
 * field whose name (family prefix left off) is one of TASK_NAMES, by
 * TASK_NAMES' order then /fields' order (`param.env` before `name.env`); ""
 * when no field is so named (the view then asks the user to pick one).
 * @param {object|null} fields  the /fields answer
 * @returns {string}
 */
export function defaultTask(fields) {
  const ids = taskFields(fields);
  for (const name of TASK_NAMES) {
    const id = ids.find((i) => bare(i) === name);
    if (id) return id;
  }
  return "";
}

/**
 * The state the Across tasks view draws: `task` resolved (defaultTask when the
 * state names none) and `taskFields` the fields it can choose from.
 * @param {object} state
 * @param {{fields: object|null}} answers
 * @returns {object}
 */
export function benchmarkState(state, answers) {
  return { ...state, task: state.task || defaultTask(answers.fields), taskFields: taskFields(answers.fields) };
}

/**
 * The query string of `/benchmark` for a state: the common arguments (the
 * grouping's fields other than the task make the methods), the reduction,
 * the task, the normalisation and the baseline method.
 * @param {object} state  its metric resolved, its `task` set
 * @returns {string}
 */
export function benchmarkQuery(state) {
  const q = new URLSearchParams(commonQuery(state));
  q.set("task", state.task);
  if (state.reduction && state.reduction !== "last") q.set("reduction", state.reduction);
  if (state.reduction === "mean_last_k") q.set("k", String(state.k || DEFAULT_K));
  if (state.normalize && state.normalize !== "none") q.set("normalize", state.normalize);
  if (state.baseline_method) q.set("baseline", state.baseline_method);
  return q.toString();
}

/**
 * The path (relative) of the Effects view's answer.
 * @param {object} q  the query state (its metric resolved)
 * @returns {string}
 */
export function effectsRoute(q) {
  return `effects?${effectsQuery(q)}`;
}

/**
 * The path (relative) of the Across tasks view's answer; null without a task field.
 * @param {object} q  the query state (its metric resolved)
 * @param {{fields: object|null}} answers
 * @returns {string|null}
 */
export function benchmarkRoute(q, answers) {
  const state = benchmarkState(q, answers);
  return state.task ? `benchmark?${benchmarkQuery(state)}` : null;
}
