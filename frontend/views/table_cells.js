// The group table's header and cells that are not group rows (views/group_table.js):
// the grid's columns, the sortable header, a block's statistics and comparison
// cells, and the rows of an expanded group's runs. Text through textContent.

import { formatDelta, formatDuration, formatNumber, formatP, formatParams, formatProbability, formatValue, formatWallTime, statCell, toNumber } from "../format.js";
import { el } from "./dom.js";
import { seedsLabel } from "./seed_cells.js";

/** Fewer runs than this in a group: its interval is marked as resting on too few. */
export const FEW_RUNS = 3;

/** The grid's columns and their least total width (the table scrolls sideways below it). */
export function gridTemplate(nBy, nBlocks, baseline, paired = false) {
  const cols = [[28], [28]];
  for (let i = 0; i < Math.max(1, nBy); i++) cols.push([70, "1fr"]);
  cols.push([48, "0.5fr"]);
  const block = () => {
    cols.push([190, "1.3fr"]);
    if (baseline) cols.push([130, "1fr"], [92], [64], [56], [104, "0.9fr"]);
    if (baseline && paired) cols.push([210, "1.2fr"], [130]);
  };
  if (nBlocks) block();
  cols.push([72], [72], [130, "1.4fr"]);
  for (let i = 1; i < nBlocks; i++) block();
  cols.push([84], [190]);
  const template = cols.map(([px, fr]) => (fr ? `minmax(${px}px, ${fr})` : `${px}px`)).join(" ");
  const min = cols.reduce((sum, [px]) => sum + px, 0) + 8 * (cols.length - 1) + 16;
  return { template, min };
}

/** A block's header prefix: its metric (and reduction) when the table holds several. */
function blockName(model, i) {
  const blocks = model.blocks;
  if (blocks.length < 2) return "";
  const b = blocks[i] || {};
  const k = b.k !== null && b.k !== undefined ? ` k=${b.k}` : "";
  return `${b.metric || ""} (${b.reduction || ""}${k}) `;
}

/**
 * The table's header row: a sortable header per column (the sort shown).
 * @param {object} model  the table's model (GroupTable.setData)
 * @param {(key: string) => void} onSort
 * @returns {HTMLElement}
 */
export function headRow(model, onSort) {
  const row = el("div", "rg-row rg-head-row");
  row.setAttribute("role", "row");
  const cell = (text, key, title, numeric) => {
    const c = el("div", numeric ? "rg-th rg-num" : "rg-th", text);
    c.setAttribute("role", "columnheader");
    if (title) c.title = title;
    if (key) {
      c.classList.add("rg-sortable");
      c.dataset.sort = key;
      c.tabIndex = 0;
      const active = model.sort.key === key;
      c.setAttribute("aria-sort", active ? (model.sort.dir > 0 ? "ascending" : "descending") : "none");
      if (active) c.append(el("span", "rg-sort-mark", model.sort.dir > 0 ? " ▲" : " ▼"));
      const go = () => onSort(key);
      c.addEventListener("click", go);
      c.addEventListener("keydown", (e) => (e.key === "Enter" || e.key === " ") && go());
    }
    row.append(c);
  };
  cell("", null);
  cell("", null, "Show in the chart");
  if (model.by.length) for (const i of model.columns) cell(model.by[i], `value.${i}`);
  else cell("group", "group");
  cell("runs", "runs", "Runs (trials) in the group", true);
  const ci = model.ci || { method: "t", level: 0.95 };
  const level = `${+(ci.level * 100).toFixed(3)}%`;
  const spreadText = {
    ci: ci.method === "bootstrap" ? ["mean [CI]", `mean and ${level} percentile-bootstrap interval of the mean`] : ["mean ± CI", `mean ± half-width of the ${level} Student-t interval of the mean`],
    std: ["mean ± std", "mean ± sample standard deviation (ddof=1) over the group's runs"],
    sem: ["mean ± sem", "mean ± standard error of the mean (std/√n)"],
  }[model.spread] || ["mean", ""];
  const block = (i) => {
    const b = model.blocks[i] || {};
    const suffix = i ? `.${i}` : "";
    const what = `${b.metric || ""}${b.split ? ` [${b.split}, ${b.reduction}]` : ""}`;
    cell(`${blockName(model, i)}${spreadText[0]}`, `mean${suffix}`, `${what}: ${spreadText[1]}; n = runs with a value; marked when fewer than ${FEW_RUNS}`, true);
    if (!model.baseline) return;
    cell(`${blockName(model, i)}Δ`, `delta${suffix}`, `Difference of means from the baseline ± half-width of its ${level} Welch interval`, true);
    cell("p / Holm", `p${suffix}`, "Welch two-sided t-test p-value / Holm-adjusted over the groups compared", true);
    cell("P(better)", `prob${suffix}`, "Probability that a run of this group beats a run of the baseline (over all pairs, ties half)", true);
    const alpha = model.plan && model.plan.alpha ? model.plan.alpha : 0.05;
    cell("power", null, `Power of the two-sided Welch t-test at α = ${alpha} for the observed difference with today's n (non-central t)`, true);
    cell(seedsLabel(model.plan && model.plan.power), null, "Seeds per group (the same in both) for that power to detect a difference this size; the tooltip says it in words");
    if (!model.paired) return;
    cell("pairs: paired Δ [CI]", null, "Runs paired with the baseline's by seed: n pairs, mean difference and its Student t interval; runs left unpaired counted (tooltip lists them)", true);
    cell("paired p / Wilcoxon", null, "Paired t-test p (scipy.stats.ttest_rel) / exact Wilcoxon signed-rank p", true);
  };
  if (model.blocks.length) block(0);
  cell("min", "min", "", true);
  cell("max", "max", "", true);
  cell("best run", "best", "The group's best run and its value");
  for (let i = 1; i < model.blocks.length; i++) block(i);
  cell("trend", null, "The group's mean curve");
  cell("", null);
  return row;
}

/** A group's mean ± spread and n for one metric block, aligned on "±". */
export function statCellNode(stats, i, spread) {
  const c = statCell(stats, spread);
  const node = el("span", `rg-num rg-stat${i ? "" : " rg-mean"}`);
  node.dataset.block = String(i);
  node.append(el("span", "rg-stat-mean", c.mean), el("span", "rg-stat-spread", c.spread));
  const n = el("span", "rg-stat-n", `n=${c.n}`);
  if (c.n < FEW_RUNS) {
    node.classList.add("rg-few");
    const mark = el("span", "rg-few-mark", "⚠");
    mark.title = c.n === 1 ? "One run: no interval" : `Only ${c.n} runs: an interval from fewer than ${FEW_RUNS} runs is wide and fragile`;
    node.append(mark);
  }
  node.append(n);
  if (c.title) node.title = c.title;
  return node;
}

/** Δ, p / Holm and P(better) of a group against the baseline for one metric block. */
export function compareCells(compare, isBaseline, i) {
  const delta = el("span", "rg-num rg-delta");
  const p = el("span", "rg-num rg-p");
  const prob = el("span", "rg-num rg-prob");
  for (const c of [delta, p, prob]) c.dataset.block = String(i);
  if (isBaseline || !compare) {
    delta.append(el("span", "rg-muted", isBaseline ? "baseline" : "–"));
    return [delta, p, prob];
  }
  if (compare.warning) {
    const w = el("span", "rg-warning", "⚠ ");
    w.title = compare.warning;
    delta.append(w);
    delta.classList.add("rg-warned");
  }
  delta.append(el("span", "rg-delta-value", formatDelta(compare)));
  delta.title = `Δ ${compare.delta} [${compare.delta_ci_low}, ${compare.delta_ci_high}]; n=${compare.n} vs ${compare.n_baseline}${compare.warning ? `; ${compare.warning}` : ""}`;
  p.append(el("span", "rg-p-value", formatP(compare.p_value)), el("span", "rg-muted rg-p-holm", ` / ${formatP(compare.p_holm)}`));
  p.title = `p = ${compare.p_value} (Welch, two-sided); Holm-adjusted ${compare.p_holm}`;
  prob.textContent = formatProbability(compare.prob_improvement);
  prob.title = `P(better) = ${compare.prob_improvement}`;
  return [delta, p, prob];
}

/**
 * The header row of a group's runs.
 * @param {object} model
 * @returns {HTMLElement}
 */
export function membersHead(model) {
  const row = el("div", "rg-row rg-member-row rg-members-head");
  row.setAttribute("role", "row");
  const metric = model.metric || "value";
  for (const t of ["", "run", "parsed fields", "status", "started", "duration", metric, "tags", "notes"]) {
    const c = el("span", "rg-th", t);
    c.setAttribute("role", "columnheader");
    row.append(c);
  }
  return row;
}

/**
 * One run of a group (expanded): name, parsed fields, status, start, duration, value, tags, notes.
 * @param {object} model
 * @param {object} group
 * @param {object} member
 * @param {(run: string) => void} onOpenRun
 * @returns {HTMLElement}
 */
export function memberRow(model, group, member, onOpenRun) {
  const t = model.trials ? model.trials.get(member.trial) : null;
  const row = el("div", "rg-row rg-member-row");
  row.setAttribute("role", "row");
  row.dataset.trial = member.trial;
  const run = member.run || (t && t.first ? t.first.run : member.trial);
  const name = el("button", "rg-linklike rg-run-name", member.trial);
  name.type = "button";
  name.title = `Details of ${run}`;
  name.addEventListener("click", () => onOpenRun(run));
  const md = t ? t.metadata : {};
  const status = member.status || (t && t.status) || "";
  const statusCell = el("span", `rg-status rg-status-${statusClass(status)}`, status);
  if (t && t.error) statusCell.title = t.error;
  else if (t && typeof t.last_event_time === "number") {
    // Running or stale: when it was last heard of.
    statusCell.title = `recorded as running; last event ${formatWallTime(t.last_event_time)}`;
  }
  const fields = t ? parsedText(t.first) : "";
  const tags = Array.isArray(md.tags) ? md.tags.map(String).join(", ") : formatValue(md.tags);
  const cells = [
    el("span", "rg-indent"),
    name,
    el("span", "rg-parsed", fields),
    statusCell,
    el("span", "rg-started", t ? formatWallTime(t.start_time) : ""),
    duration(t),
    el("span", "rg-num rg-value", fmt(member.value)),
    el("span", "rg-tags", tags),
    el("span", "rg-notes", formatValue(md.notes)),
  ];
  for (const c of cells) {
    c.setAttribute("role", "cell");
    if (c.textContent && !c.title) c.title = c.textContent;
  }
  row.append(...cells);
  return row;
}

function duration(trial) {
const c = el("span", "rg-duration", trial ? formatDuration(trial.duration) : "");
if (trial && trial.so_far && c.textContent) c.title = `${c.textContent} so far (to its last event)`;
return c;
}

export function fmt(value) {
  const n = toNumber(value);
  return n === null ? "" : formatNumber(n);
}

function statusClass(status) {
  return ["running", "finished", "failed", "interrupted", "stale"].includes(status) ? status : "other";
}

function parsedText(run) {
  if (!run) return "";
  const fields = { ...run.params };
  if (run.time) fields.time = run.time.replace("T", " ");
  const parts = [formatParams(fields)];
  if (run.labels && run.labels.length) parts.push(run.labels.join(" / "));
  return parts.filter(Boolean).join(" · ");
}
