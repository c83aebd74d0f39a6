// Pure helpers over the backend's answers (tested with node --test): trials
// indexed from /runs, sorting groups (by the backend's ranks), the flat row
// list of the virtualised table, the default metric, and the table's export.
// Orders, merges and keys come from the backend; nothing here recomputes them.

import { formatFieldValue, toNumber } from "./format.js";

/**
 * Indexes the trials of /runs by name. The backend does the work (each
 * trial's runs in split order, metadata merged over them, start time, status,
 * duration); this only swaps run names for the run objects of `answer.runs`
 * and notes the first one. O(n).
 * @param {{runs?: object[], trials?: object[]}} answer  the /runs answer
 * @returns {Map<string, object>}  `{trial, runs, first, metadata, start_time,
 *   status, error, last_event_time, duration, so_far}` by trial
 */
export function indexTrials(answer) {
  const runs = new Map();
  for (const run of (answer && answer.runs) || []) runs.set(run.run, run);
  const trials = new Map();
  for (const t of (answer && answer.trials) || []) {
    const own = (t.runs || []).map((name) => runs.get(name)).filter(Boolean);
    trials.set(t.trial, { ...t, metadata: t.metadata || {}, runs: own, first: own[0] || null });
  }
  return trials;
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
 * A group's statistics and comparison for one metric block (the first block
 * is also the group's own `stats`/`compare`).
 * @param {object} group  a group of /groups
 * @param {number} i  the block's index in the answer's `metrics`
 * @returns {{stats: object|null, compare: object|null}}
 */
export function groupBlock(group, i) {
  const block = group.metrics && group.metrics[i];
  if (block) return { stats: block.stats || null, compare: block.compare || null };
  return i === 0 ? { stats: group.stats || null, compare: group.compare || null } : { stats: null, compare: null };
}

const STAT_KEYS = { mean: "mean", std: "std", min: "min", max: "max", best: "best_value" };
const COMPARE_KEYS = { delta: "delta", p: "p_value", prob: "prob_improvement" };
const SORT_KEY = /^(mean|std|min|max|best|delta|p|prob)(?:\.(\d+))?$/;

function finite(value) {
  const v = toNumber(value);
  return v === null || Number.isNaN(v) ? null : v;
}

/** The number a sort key reads from a group, or undefined for a key that names none. */
function sortValue(key) {
  if (key === "runs") return (g) => g.size;
  const m = SORT_KEY.exec(key);
  if (!m) return undefined;
  const i = Number(m[2] || 0);
  if (STAT_KEYS[m[1]]) return (g) => finite((groupBlock(g, i).stats || {})[STAT_KEYS[m[1]]]);
  return (g) => finite((groupBlock(g, i).compare || {})[COMPARE_KEYS[m[1]]]);
}

/**
 * Sorts groups by a column, stably, missing numbers last in either
 * direction. Keys: `group` (the backend's order), `value.<i>` (the i-th
 * group-by field, by the rank the backend gives its value in `ranks`),
 * `runs`, and a statistic `mean`, `std`, `min`, `max`, `best` or a
 * comparison `delta`, `p`, `prob` of the first metric block, or of block i
 * with a `.<i>` suffix (`mean.1`).
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
    const rank = (g) => (g.ranks && Number.isFinite(g.ranks[i]) ? g.ranks[i] : Infinity);
    cmp = (a, b) => {
      const x = rank(a[0]);
      const y = rank(b[0]);
      if (x === Infinity || y === Infinity) return (x === Infinity) - (y === Infinity);
      return (x - y) * dir;
    };
  } else if (sortValue(key)) {
    const get = sortValue(key);
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
 * @param {Set<string>} expanded  group keys (the backend's `key`)
 * @returns {{kind: string, group: object, member?: object, index: number}[]}
 */
export function flattenRows(groups, expanded) {
  const rows = [];
  groups.forEach((group, index) => {
    rows.push({ kind: "group", group, index });
    if (expanded.size && expanded.has(group.key)) {
      rows.push({ kind: "members-head", group, index });
      for (const member of group.members || []) rows.push({ kind: "member", group, member, index });
    }
  });
  return rows;
}

const CSV_NUMBER = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$|^[-+]?(?:inf|nan|Infinity|NaN)$/i;

function csvCell(value) {
  let text;
  if (value === null || value === undefined) text = "";
  else if (typeof value === "object") text = JSON.stringify(value);
  else text = String(value);
  // Cells that a spreadsheet would run as a formula get a leading quote: any text
  // that starts with = + - @ tab or CR and is not a whole number (the rule of
  // tb_plugin/export.py's csv_cell).
  if (/^[=+\-@\t\r]/.test(text) && !CSV_NUMBER.test(text)) text = `'${text}`;
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
 * Legend labels for the charted groups: only the fields whose values differ
 * among them ("param.lr=0.01" when lr is all that tells them apart), or every
 * field when none does. Groups of no field keep their own label.
 * @param {{values: unknown[], label: string}[]} groups
 * @param {string[]} by  field ids
 * @returns {string[]}
 */
export function legendLabels(groups, by) {
  if (!by.length) return groups.map((g) => g.label);
  // JSON text tells 1 from true and "1" (the backend sends NaN as "NaN").
  const differs = by.map((_, i) => new Set(groups.map((g) => JSON.stringify(g.values[i]))).size > 1);
  const keep = differs.some(Boolean) ? differs : by.map(() => true);
  return groups.map((g) => by.flatMap((field, i) => (keep[i] ? [`${field}=${formatFieldValue(g.values[i])}`] : [])).join(", "));
}

/**
 * The columns of a grouping whose value differs between groups (indices into
 * `by`): under the default grouping, a field a filter made constant tells no
 * rows apart and is hidden. When none differs, every column stays.
 * @param {{values: unknown[]}[]} groups
 * @param {string[]} by
 * @returns {number[]}
 */
export function varyingColumns(groups, by) {
  const all = by.map((_, i) => i);
  const varying = all.filter((i) => {
    const first = JSON.stringify(groups[0] ? groups[0].values[i] : null);
    return groups.some((g) => JSON.stringify(g.values[i]) !== first);
  });
  return varying.length ? varying : all;
}

/**
 * The groups charted when the user ticked none: the largest groups (most
 * runs: the main experiment's repeats, not one-off runs), at most `n`, in the
 * order given (the table's). One-run groups only when no group has more.
 * @param {{key: string, size: number}[]} groups  in table order
 * @param {number} n
 * @returns {string[]}  keys
 */
export function defaultChartKeys(groups, n) {
  const multi = groups.some((g) => g.size > 1);
  const ranked = groups
    .map((g, i) => [g, i])
    .filter(([g]) => !multi || g.size > 1)
    .sort((a, b) => b[0].size - a[0].size || a[1] - b[1])
    .slice(0, n);
  return ranked.sort((a, b) => a[1] - b[1]).map(([g]) => g.key);
}
