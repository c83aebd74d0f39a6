// The tab's one state (tested with node --test): its keys and defaults, the
// one `change(state, patch)` every control's patch goes through (with what it
// implies and what must be drawn or fetched again), its URL forms — the hash
// keys TensorBoard hands over through experimental.GetURLPluginData
// (`p.rungroups.<key>`, prefix stripped) and the link "Copy link" builds — and
// the query strings of the backend routes.

/** The plugin name, as in `p.rungroups.<key>` hash keys. */
export const PLUGIN = "rungroups";

// Reductions are the backend's (/tags lists them); a deep link's name only has
// to look like one, and the backend answers 400 to one it does not know.
const REDUCTION_NAME = /^[a-z_]{1,40}(:[^&]{1,200})?$/;
// Split names come from the backend (/tags); any lower-case word is accepted here.
const SPLIT_NAME = /^[a-z]{1,40}$/;
const BANDS = ["minmax", "std", "ci", "none"];
const X_AXES = ["step", "relative", "wall"];
/** TensorBoard's default smoothing weight. */
export const DEFAULT_SMOOTHING = 0.6;
/** The largest smoothing weight /curves accepts. */
export const MAX_SMOOTHING = 0.999;
// A group's key as the backend gives it (`grouping.group_key`): opaque, URL-safe.
const GROUP_KEY = /^[A-Za-z0-9_-]{16}$/;
const SPREADS = ["ci", "std", "sem"];
const CI_METHODS = ["t", "bootstrap"];
/** mean_last_k's default k (the backend's). */
export const DEFAULT_K = 5;
/** The largest k /groups accepts. */
export const MAX_K = 1000000;
// Extra metric blocks a link may hold (a table stays readable).
const MAX_MORE = 8;
// A view's id (`view`, see app.js' VIEWS) and a field's id (`task`) as a link may hold them.
const VIEW_ID = /^[a-z_]{1,40}$/;
const FIELD_ID = /^[^&]{1,200}$/;
const NORMALIZE = ["none", "minmax", "baseline", "reference"];
// An `exclude` value: "flagged" or comma-separated bad-seed kinds.
const EXCLUDE = /^(flagged|(nonfinite|short|outlier)(,(nonfinite|short|outlier)){0,2})$/;

/**
 * A fresh default state. `by: null` means the backend's default grouping and
 * `selected: null` the first few groups in the chart.
 * @returns {object}
 */
export function defaultState() {
  return {
    // The view shown (app.js' VIEWS: "groups", the table and chart, first).
    view: "groups",
    // The field naming the task of an across-tasks view (`/benchmark?task=`).
    task: "",
    // The across-tasks view's per-task normalisation and baseline method (`/benchmark`'s
    // `normalize` and `baseline`; not `baseline`, the table's baseline group).
    normalize: "none",
    baseline_method: "",
    by: null,
    metric: null,
    split: "",
    reduction: "last",
    // More metric blocks after the first: [metric, reduction] pairs.
    more: [],
    k: DEFAULT_K,
    spread: "ci",
    ci: "t",
    baseline: null,
    // Pair each group's runs with the baseline's by seed (/groups' `paired=true`).
    paired: false,
    // Runs left out of the statistics: "", "flagged" or kinds "nonfinite,short,outlier".
    exclude: "",
    filter: "",
    regex: "",
    where: [],
    sort: { key: "group", dir: 1 },
    expanded: [],
    selected: null,
    band: "minmax",
    log: false,
    smoothing: DEFAULT_SMOOTHING,
    x: "step",
    seeds: false,
    run: null,
  };
}

function parseJsonList(text) {
  try {
    const value = JSON.parse(text);
    return Array.isArray(value) ? value : null;
  } catch {
    return null;
  }
}

function groupKeys(list) {
  return list.filter((k) => typeof k === "string" && GROUP_KEY.test(k));
}

function splitList(text) {
  return text
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}

/**
 * Reads the plugin's URL data (hash keys without their `p.rungroups.` prefix)
 * into a state; unknown keys and bad values are ignored.
 * @param {Record<string, string>|null} data
 * @returns {object}
 */
export function stateFromUrlData(data) {
  const state = defaultState();
  if (!data || typeof data !== "object") return state;
  const get = (key) => (typeof data[key] === "string" ? data[key] : null);
  if (VIEW_ID.test(get("view") || "")) state.view = get("view");
  if (FIELD_ID.test(get("task") || "")) state.task = get("task");
  if (NORMALIZE.includes(get("normalize"))) state.normalize = get("normalize");
  if (FIELD_ID.test(get("baseline_method") || "")) state.baseline_method = get("baseline_method");
  if (get("by") !== null) state.by = splitList(get("by"));
  if (get("metric")) state.metric = get("metric");
  if (SPLIT_NAME.test(get("split") || "")) state.split = get("split");
  if (REDUCTION_NAME.test(get("reduction") || "")) state.reduction = get("reduction");
  if (get("more")) {
    state.more = (parseJsonList(get("more")) || [])
      .filter((p) => Array.isArray(p) && p.length === 2 && typeof p[0] === "string" && p[0] && REDUCTION_NAME.test(p[1]))
      .slice(0, MAX_MORE)
      .map(([m, r]) => [m, r]);
  }
  const k = Number(get("k"));
  if (get("k") && Number.isInteger(k) && k >= 1 && k <= MAX_K) state.k = k;
  if (SPREADS.includes(get("spread"))) state.spread = get("spread");
  if (CI_METHODS.includes(get("ci"))) state.ci = get("ci");
  if (GROUP_KEY.test(get("baseline") || "")) state.baseline = get("baseline");
  if (get("paired") === "1" || get("paired") === "true") state.paired = true;
  if (EXCLUDE.test(get("exclude") || "")) state.exclude = get("exclude");
  if (get("filter")) state.filter = get("filter");
  if (get("regex")) state.regex = get("regex");
  if (get("where")) {
    const list = parseJsonList(get("where")) || [];
    state.where = list
      .filter((p) => Array.isArray(p) && p.length === 2 && p.every((x) => typeof x === "string"))
      .map(([f, v]) => [f, v]);
  }
  const sort = get("sort");
  if (sort) {
    const desc = sort.startsWith("-");
    state.sort = { key: desc ? sort.slice(1) : sort, dir: desc ? -1 : 1 };
  }
  if (get("expanded")) state.expanded = groupKeys(parseJsonList(get("expanded")) || []);
  if (get("selected")) {
    // Links from before group keys listed values: ignored (the default groups show).
    const list = parseJsonList(get("selected"));
    const keys = groupKeys(list || []);
    if (list && (keys.length || !list.length)) state.selected = keys;
  }
  if (BANDS.includes(get("band"))) state.band = get("band");
  if (get("log") === "1" || get("log") === "true") state.log = true;
  const smoothing = get("smoothing") === null ? NaN : Number(get("smoothing"));
  if (get("smoothing") !== "" && smoothing >= 0 && smoothing <= MAX_SMOOTHING) state.smoothing = smoothing;
  if (X_AXES.includes(get("x"))) state.x = get("x");
  if (get("seeds") === "1" || get("seeds") === "true") state.seeds = true;
  if (get("run")) state.run = get("run");
  return state;
}

/**
 * The state as URL data: only what differs from the default, as strings.
 * @param {object} state
 * @returns {Record<string, string>}
 */
export function stateToUrlData(state) {
  const d = defaultState();
  const out = {};
  if (state.view && state.view !== d.view) out.view = state.view;
  if (state.task) out.task = state.task;
  if (state.normalize && state.normalize !== d.normalize) out.normalize = state.normalize;
  if (state.baseline_method) out.baseline_method = state.baseline_method;
  if (state.by !== null && state.by !== undefined) out.by = state.by.join(",");
  if (state.metric) out.metric = state.metric;
  if (state.split) out.split = state.split;
  if (state.reduction && state.reduction !== d.reduction) out.reduction = state.reduction;
  if (state.more && state.more.length) out.more = JSON.stringify(state.more);
  if (state.k && state.k !== d.k) out.k = String(state.k);
  if (state.spread && state.spread !== d.spread) out.spread = state.spread;
  if (state.ci && state.ci !== d.ci) out.ci = state.ci;
  if (state.baseline) out.baseline = state.baseline;
  if (state.paired) out.paired = "1";
  if (state.exclude) out.exclude = state.exclude;
  if (state.filter) out.filter = state.filter;
  if (state.regex) out.regex = state.regex;
  if (state.where && state.where.length) out.where = JSON.stringify(state.where);
  if (state.sort && (state.sort.key !== d.sort.key || state.sort.dir !== d.sort.dir)) {
    out.sort = (state.sort.dir < 0 ? "-" : "") + state.sort.key;
  }
  if (state.expanded && state.expanded.length) out.expanded = JSON.stringify(state.expanded);
  if (state.selected) out.selected = JSON.stringify(state.selected);
  if (state.band && state.band !== d.band) out.band = state.band;
  if (state.log) out.log = "1";
  if (typeof state.smoothing === "number" && state.smoothing !== d.smoothing) out.smoothing = String(state.smoothing);
  if (state.x && state.x !== d.x) out.x = state.x;
  if (state.seeds) out.seeds = "1";
  if (state.run) out.run = state.run;
  return out;
}

/**
 * A TensorBoard hash for the tab with the state, formatted the way
 * TensorBoard's tf_storage writes its hash: `rungroups&p.rungroups.by=…`,
 * keys and values URI-encoded.
 * @param {object} state
 * @returns {string}
 */
export function stateHash(state) {
  const parts = [PLUGIN];
  for (const [key, value] of Object.entries(stateToUrlData(state))) {
    parts.push(`${encodeURIComponent(`p.${PLUGIN}.${key}`)}=${encodeURIComponent(value)}`);
  }
  return parts.join("&");
}

/**
 * The shareable link: the top page's URL (query kept, hash replaced) with the
 * state in the hash.
 * @param {string} topHref
 * @param {object} state
 * @returns {string}
 */
export function shareLink(topHref, state) {
  const url = String(topHref).split("#")[0];
  return `${url}#${stateHash(state)}`;
}

/**
 * Reads the plugin's keys from a TensorBoard hash the way TensorBoard's
 * GetURLPluginData does (tf_storage's format: `tab&key=value&…`, URI-encoded,
 * `p.rungroups.` prefix stripped).
 * @param {string} hash  with or without the leading "#"
 * @returns {Record<string, string>}
 */
export function urlDataFromHash(hash) {
  const prefix = `p.${PLUGIN}.`;
  const out = {};
  for (const part of String(hash || "").replace(/^#/, "").split("&")) {
    const kv = part.split("=");
    if (kv.length !== 2) continue;
    let key;
    let value;
    try {
      key = decodeURIComponent(kv[0]);
      value = decodeURIComponent(kv[1]);
    } catch {
      continue; // a malformed escape: skip the pair, as a bad key would be
    }
    if (key.startsWith(prefix)) out[key.slice(prefix.length)] = value;
  }
  return out;
}

/**
 * The query string every route of a view takes (`/groups`, `/curves`, `/effects`,
 * `/benchmark`): grouping, metric, split and filters.
 * @param {object} state
 * @returns {string}
 */
export function commonQuery(state) {
  return commonParams(state).toString();
}

function commonParams(state) {
  const q = new URLSearchParams();
  if (state.by !== null && state.by !== undefined) q.set("by", state.by.join(","));
  if (state.metric) q.set("metric", state.metric);
  if (state.split) q.set("split", state.split);
  if (state.filter) q.set("filter", state.filter);
  if (state.regex) q.set("regex", state.regex);
  for (const [field, value] of state.where || []) q.append("where", `${field}=${value}`);
  return q;
}

/**
 * The query string of `/groups` for a state.
 * @param {object} state
 * @returns {string}
 */
export function groupsQuery(state) {
  const q = commonParams(state);
  if (!state.metric && state.autoMetric) {
    // The first view, before /tags: the backend picks its default metric.
    q.set("auto_metric", "true");
    if (state.reduction && state.reduction !== "last") q.set("reduction", state.reduction);
    if (state.reduction === "mean_last_k") q.set("k", String(state.k || DEFAULT_K));
    if (state.ci && state.ci !== "t") q.set("ci", state.ci);
  }
  if (state.metric) {
    const reductions = [state.reduction || "last"];
    for (const [metric, reduction] of state.more || []) {
      q.append("metric", metric);
      reductions.push(reduction || "last");
    }
    // One reduction for every metric, or one per metric in order.
    if (reductions.every((r) => r === reductions[0])) q.set("reduction", reductions[0]);
    else for (const r of reductions) q.append("reduction", r);
    if (reductions.includes("mean_last_k")) q.set("k", String(state.k || DEFAULT_K));
    if (state.ci && state.ci !== "t") q.set("ci", state.ci);
    if (state.baseline) q.set("baseline", state.baseline);
    if (state.baseline && state.paired) q.set("paired", "true");
  }
  if (state.exclude) q.set("exclude", state.exclude);
  return q.toString();
}

/**
 * The extra query string of a `/groups` request that answers with the chart's
 * curves and the first rows' sparklines too (the first view in one round trip;
 * the backend's `queries.TableCurves`).
 * @param {{chart: string[]|null, chartGroups: number, chartPoints: number,
 *   smoothing: number, x: string, sparklines: number, sparklinePoints: number}} c
 *   `chart`: the chart's group keys, null for the default pick of `chartGroups`
 * @returns {string}
 */
export function tableCurvesQuery(c) {
  const q = new URLSearchParams();
  for (const key of c.chart || []) q.append("chart", key);
  q.set("chart_groups", String(c.chartGroups));
  q.set("chart_points", String(c.chartPoints));
  q.set("smoothing", String(c.smoothing));
  if (c.x && c.x !== "step") q.set("x", c.x);
  q.set("sparklines", String(c.sparklines));
  q.set("sparkline_points", String(c.sparklinePoints));
  return q.toString();
}

/**
 * The query string of `/export` for a state: `/groups`' arguments and the format.
 * @param {object} state
 * @param {string} format  csv, json, markdown or latex
 * @returns {string}
 */
export function exportQuery(state, format) {
  return `format=${encodeURIComponent(format)}&${groupsQuery(state)}`;
}

/**
 * The query string of `/report` for a state: the view on screen as one HTML file
 * (`tb-rungroups report` with the same options writes the same bytes but for the date).
 * @param {object} state
 * @returns {string}
 */
export function reportQuery(state) {
  const q = new URLSearchParams(groupsQuery(state));
  q.delete("auto_metric");
  for (const key of state.selected || []) q.append("chart", key);
  q.set("smoothing", String(state.smoothing));
  if (state.x && state.x !== "step") q.set("x", state.x);
  if (state.band && state.band !== "minmax") q.set("band", state.band);
  if (state.log) q.set("log", "true");
  if (state.seeds) q.set("seeds", "true");
  if (state.spread && state.spread !== "ci") q.set("spread", state.spread);
  if (state.sort && state.sort.key && state.sort.key !== "group") q.set("sort", state.sort.key);
  if (state.sort && state.sort.dir < 0) q.set("desc", "true");
  if (state.task) q.set("task", state.task);
  if (state.normalize && state.normalize !== "none") q.set("normalize", state.normalize);
  return q.toString();
}

/**
 * The query string of `/curves` for a state and some groups.
 * @param {object} state
 * @param {string[]|null} keys  the groups' keys (as /groups gives them); null for every group
 * @param {number} maxPoints
 * @param {{smoothing?: number, x?: string, lines?: boolean, sparkline?: boolean}} [curve]  the curves'
 *   smoothing, x axis and per-run lines (the backend's defaults when left out:
 *   unsmoothed, by step, no lines)
 * @returns {string}
 */
export function curvesQuery(state, keys, maxPoints, curve = {}) {
  const q = commonParams(state);
  q.set("max_points", String(maxPoints));
  if (curve.smoothing) q.set("smoothing", String(curve.smoothing));
  if (curve.x && curve.x !== "step") q.set("x", curve.x);
  if (curve.lines) q.set("lines", "true");
  if (curve.sparkline) q.set("sparkline", "true");
  for (const key of keys || []) q.append("group", key);
  return q.toString();
}

// What a change redraws or refetches, by state key (anything else: the groups again).
const REDO = {
  view: "view",
  task: "view",
  normalize: "view",
  baseline_method: "view",
  run: "run",
  sort: "table",
  expanded: "table",
  spread: "table",
  selected: "chart",
  band: "curves",
  log: "curves",
  smoothing: "curves",
  x: "curves",
  seeds: "curves",
};

/**
 * The one change every control makes: the state with `patch` applied and what
 * it implies (a new grouping has no expanded rows, no baseline and the default
 * chart groups), and what must be done again, widest first:
 * "groups" (fetch /groups, then everything), "table" (draw the same answer again),
 * "chart" (pick the chart's groups again and fetch their curves), "curves"
 * (the same groups' curves with new options), "run" (the run panel), "view"
 * (another view), or "none" (the patch changes nothing).
 * @param {object} state
 * @param {object} patch  some of the state's keys, with their new values
 * @returns {{state: object, redo: Set<string>}}
 */
export function change(state, patch) {
  const keys = Object.keys(patch).filter((k) => JSON.stringify(patch[k]) !== JSON.stringify(state[k]));
  if (!keys.length) return { state, redo: new Set(["none"]) };
  const next = { ...state, ...patch };
  if ("by" in patch) {
    next.expanded = [];
    // A group key names a group of one grouping: a new grouping has no baseline.
    if (!("baseline" in patch)) next.baseline = null;
    next.selected = null;
  }
  // Pairing is with the baseline's runs: no baseline, no pairing.
  if (!next.baseline) next.paired = false;
  return { state: next, redo: new Set(keys.map((k) => REDO[k] || "groups")) };
}
