// Pure helpers over the backend's answers (tested with node --test): trials
// indexed from /runs, sorting groups, the flat row list of the virtualised
// table, the default metric, and the table's export.

import { formatFieldValue, isoSpanSeconds, toNumber } from "./format.js";
import { groupKey } from "./url_state.js";

// The backend's split order: no split, train, validation, then the others
// (evaluation, test) alphabetically — which "e…" < "t…" already gives.
function splitRank(split) {
  if (split === null || split === undefined) return "0";
  if (split === "train") return "1";
  if (split === "validation") return "2";
  return `3${split}`;
}

/**
 * Indexes /runs by trial: each trial's runs (root first, then splits in
 * order), metadata merged over its runs (later splits win, one level deep for
 * objects, as the backend merges), earliest start time, status and duration
 * (started_at to ended_at; for a running or stale trial, to its last event so
 * far, and `so_far` is true). O(n).
 * @param {object[]} runs  the `runs` of /runs
 * @returns {Map<string, object>}
 */
export function indexTrials(runs) {
  const trials = new Map();
  for (const run of runs || []) {
    let t = trials.get(run.trial);
    if (!t) {
      t = { trial: run.trial, runs: [], metadata: {}, start_time: null, status: null, first: run };
      trials.set(run.trial, t);
    }
    t.runs.push(run);
  }
  for (const t of trials.values()) {
    t.runs.sort((a, b) => (splitRank(a.split) < splitRank(b.split) ? -1 : 1));
    t.first = t.runs[0];
    for (const run of t.runs) {
      mergeMetadata(t.metadata, run.metadata);
      if (typeof run.start_time === "number" && (t.start_time === null || run.start_time < t.start_time)) {
        t.start_time = run.start_time;
      }
      if (run.status) t.status = run.status;
      if (run.error) t.error = run.error;
      if (typeof run.last_event_time === "number") t.last_event_time = run.last_event_time;
    }
    t.duration = isoSpanSeconds(t.metadata.started_at, t.metadata.ended_at);
    // Still running (or stale): from its start to its last event so far.
    t.so_far = t.duration === null && t.last_event_time !== undefined;
    if (t.so_far) t.duration = isoSpanSeconds(t.metadata.started_at, t.last_event_time);
  }
  return trials;
}

function isObject(v) {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function mergeMetadata(dst, src) {
  if (!isObject(src)) return;
  for (const [k, v] of Object.entries(src)) {
    dst[k] = isObject(v) && isObject(dst[k]) ? { ...dst[k], ...v } : v;
  }
}

/**
 * Every TensorBoard run of a group's member trials (all splits), in order;
 * falls back to the member's metric run when /runs has not arrived.
 * @param {object} group  a group of /groups
 * @param {Map<string, object>|null} trials  from indexTrials
 * @returns {string[]}
 */
export function groupRunNames(group, trials) {
  const out = [];
  for (const member of group.members || []) {
    const t = trials && trials.get(member.trial);
    if (t) for (const run of t.runs) out.push(run.run);
    else if (member.run) out.push(member.run);
    else out.push(member.trial);
  }
  return out;
}

/**
 * Picks the metric to show when the user chose none: `epoch_loss`, else a
 * validation loss, else any loss-like tag, else the first tag (null if none).
 * @param {{tag: string}[]} tags  the `tags` of /tags
 * @returns {string|null}
 */
export function defaultMetric(tags) {
  const names = (tags || []).map((t) => t.tag).filter((t) => !t.startsWith("_"));
  if (names.includes("epoch_loss")) return "epoch_loss";
  return (
    names.find((t) => /val/i.test(t) && /loss/i.test(t)) ||
    names.find((t) => /loss/i.test(t)) ||
    names[0] ||
    null
  );
}

const VALUE_KEYS = {
  runs: (g) => g.size,
  mean: (g) => statNumber(g, "mean"),
  std: (g) => statNumber(g, "std"),
  min: (g) => statNumber(g, "min"),
  max: (g) => statNumber(g, "max"),
  best: (g) => statNumber(g, "best_value"),
};

function statNumber(group, key) {
  const v = group.stats ? toNumber(group.stats[key]) : null;
  return v === null || Number.isNaN(v) ? null : v;
}

// Field values in the backend's order: numbers, booleans, strings (natural), null.
function valueRank(v) {
  if (v === null || v === undefined) return [4, 0];
  if (typeof v === "boolean") return [2, v ? 1 : 0];
  const n = toNumber(v);
  if (typeof v === "number" || (n !== null && typeof v === "string" && v !== "")) {
    return Number.isNaN(n) ? [1, 0] : [0, n];
  }
  return [3, String(v)];
}

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });

/**
 * Compares two field values in the backend's order.
 * @param {unknown} a
 * @param {unknown} b
 * @returns {number}
 */
export function compareValues(a, b) {
  const [ra, va] = valueRank(a);
  const [rb, vb] = valueRank(b);
  if (ra !== rb) return ra - rb;
  if (ra === 3) return collator.compare(va, vb);
  return va < vb ? -1 : va > vb ? 1 : 0;
}

/**
 * Sorts groups by a column, stably, missing numbers last in either
 * direction. Keys: `group` (the backend's order), `value.<i>` (the i-th
 * group-by field), `runs`, `mean`, `std`, `min`, `max`, `best`.
 * @param {object[]} groups
 * @param {{key: string, dir: number}} sort
 * @returns {object[]}  a new array
 */
export function sortGroups(groups, sort) {
  const indexed = groups.map((g, i) => [g, i]);
  const dir = sort && sort.dir < 0 ? -1 : 1;
  const key = (sort && sort.key) || "group";
  let cmp;
  if (key.startsWith("value.")) {
    const i = Number(key.slice(6));
    cmp = (a, b) => compareValues(a[0].values[i], b[0].values[i]) * dir;
  } else if (VALUE_KEYS[key]) {
    const get = VALUE_KEYS[key];
    cmp = (a, b) => {
      const x = get(a[0]);
      const y = get(b[0]);
      if (x === null || y === null) return (x === null) - (y === null);
      return (x - y) * dir;
    };
  } else {
    cmp = (a, b) => (a[1] - b[1]) * dir;
  }
  indexed.sort((a, b) => cmp(a, b) || a[1] - b[1]);
  return indexed.map(([g]) => g);
}

/**
 * The flat list of rows of the virtualised table: each group, followed by
 * its members under a small header when expanded. O(rows).
 * @param {object[]} groups  sorted groups
 * @param {Set<string>} expanded  group keys
 * @returns {{kind: string, group: object, member?: object, index: number}[]}
 */
export function flattenRows(groups, expanded) {
  const rows = [];
  groups.forEach((group, index) => {
    rows.push({ kind: "group", group, index });
    if (expanded.size && expanded.has(groupKey(group.values))) {
      rows.push({ kind: "members-head", group, index });
      for (const member of group.members || []) rows.push({ kind: "member", group, member, index });
    }
  });
  return rows;
}

/**
 * The table as plain records, one per group, in the order shown: what the
 * CSV and JSON exports contain.
 * @param {object[]} groups  sorted groups
 * @param {string[]} by  field ids
 * @returns {object[]}
 */
export function exportRecords(groups, by) {
  return groups.map((g) => {
    const record = {};
    by.forEach((field, i) => {
      record[field] = g.values[i] === undefined ? null : g.values[i];
    });
    if (!by.length) record.group = g.label;
    const s = g.stats || {};
    Object.assign(record, {
      runs: g.size,
      mean: statNumber(g, "mean"),
      std: statNumber(g, "std"),
      min: statNumber(g, "min"),
      max: statNumber(g, "max"),
      best_run: s.best_run === undefined ? null : s.best_run,
      best_value: statNumber(g, "best_value"),
    });
    return record;
  });
}

function csvCell(value) {
  let text;
  if (value === null || value === undefined) text = "";
  else if (typeof value === "object") text = JSON.stringify(value);
  else text = String(value);
  // Cells that a spreadsheet would run as a formula get a leading quote.
  if (/^[=+\-@\t\r]/.test(text) && !/^-?\d/.test(text)) text = `'${text}`;
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * Records as CSV text (RFC 4180, CRLF line ends), columns from the first record.
 * @param {object[]} records
 * @returns {string}
 */
export function toCsv(records) {
  if (!records.length) return "";
  const columns = Object.keys(records[0]);
  const lines = [columns.map(csvCell).join(",")];
  for (const r of records) lines.push(columns.map((c) => csvCell(r[c])).join(","));
  return `${lines.join("\r\n")}\r\n`;
}

/**
 * Text of a group's value in one field, for the table and exports.
 * @param {object} group
 * @param {number} i
 * @returns {string}
 */
export function groupValueText(group, i) {
  return formatFieldValue(group.values[i]);
}

/**
 * Legend labels for the charted groups: only the fields whose values differ
 * among them ("param.lr=0.01" when lr is all that tells them apart), or every
 * field when none does. Groups of no field keep their own label.
 * @param {{values: unknown[], label: string}[]} groups
 * @param {string[]} by  field ids
 * @returns {string[]}
 */
export function legendLabels(groups, by) {
  if (!by.length) return groups.map((g) => g.label);
  const differs = by.map((_, i) => new Set(groups.map((g) => groupKey([g.values[i]]))).size > 1);
  const keep = differs.some(Boolean) ? differs : by.map(() => true);
  return groups.map((g) => by.flatMap((field, i) => (keep[i] ? [`${field}=${formatFieldValue(g.values[i])}`] : [])).join(", "));
}
