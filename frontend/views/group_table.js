// The group table: one row per group (values, runs, per metric block mean ±
// CI/std/sem with n and, with a baseline, Δ / p / P(better); min, max and best
// run of the first metric, sparkline, links), expandable to its runs. Rows are virtualised:
// only the rows in view (plus a margin) exist in the DOM, so 10,000 runs
// scroll as smoothly as 10; a row still in view after a scroll keeps its node.

import {
  formatDelta,
  formatDuration,
  formatFieldValue,
  formatNumber,
  formatP,
  formatProbability,
  formatParams,
  formatValue,
  formatWallTime,
  shortRunName,
  statCell,
  toNumber,
} from "../format.js";
import { flattenRows, groupBlock, groupRunNames } from "../group.js";
import { timeSeriesHref } from "../regex.js";
import { cssVar, el } from "./dom.js";
import { buildSparkline } from "./sparkline.js";

/** Fewer runs than this in a group: its interval is marked as resting on too few. */
export const FEW_RUNS = 3;

/** Height of every row in pixels (virtualisation needs a fixed height). */
export const ROW_HEIGHT = 30;
// Rows rendered beyond each edge of the view, so a small scroll shows rows already there.
const OVERSCAN = 4;

/** The virtualised group table. */
export class GroupTable {
  /**
   * @param {{onSort: (key: string) => void, onToggle: (group: object) => void,
   *   onSelect: (group: object, on: boolean) => void,
   *   onOpenRun: (run: string) => void, onCopyRegex: (group: object) => void,
   *   onBaseline: (group: object) => void}} handlers
   */
  constructor(handlers) {
    this.handlers = handlers;
    this.element = el("div", "rg-table");
    this.element.setAttribute("role", "table");
    this.head = el("div", "rg-thead");
    this.head.setAttribute("role", "rowgroup");
    this.scroller = el("div", "rg-table-scroll");
    this.body = el("div", "rg-tbody");
    this.body.setAttribute("role", "rowgroup");
    this.scroller.append(this.body);
    this.element.append(this.head, this.scroller);
    this.rows = [];
    this.model = null;
    this._frame = 0;
    // The rows in the DOM: their range and nodes (index -> node), in row order.
    this._first = 0;
    this._last = 0;
    this._nodes = new Map();
    this._accent = null;
    this._hrefs = new WeakMap();
    this._hrefsFor = null;
    // The scroll position and height, as last seen by the scroll event and the
    // ResizeObserver: rendering reads no layout, so it never forces one.
    this._top = 0;
    this._height = 600;
    this.scroller.addEventListener(
      "scroll",
      () => {
        this._top = this.scroller.scrollTop;
        this._schedule();
      },
      { passive: true },
    );
    new ResizeObserver(([entry]) => {
      this._height = entry.contentRect.height || this._height;
      this._schedule();
    }).observe(this.scroller);
  }

  /**
   * Shows groups.
   * @param {{groups: object[], by: string[], expanded: Set<string>, selected: Set<string>,
   *   colors: Map<string, string>, trials: Map<string, object>|null,
   *   sparklines: Map<string, object>, sort: {key: string, dir: number},
   *   metric: string|null, columns?: number[], blocks?: object[], spread?: string,
   *   ci?: {method: string, level: number}|null, baseline?: string|null}} model
   *   `groups` already sorted; `columns` the indices of `by` shown (all when
   *   absent); `blocks` the answer's `metrics`; `spread` "ci", "std" or "sem";
   *   `baseline` the baseline group's key
   */
  setData(model) {
    this.model = model;
    if (!model.columns) model.columns = model.by.map((_, i) => i);
    if (!model.blocks) model.blocks = model.metric ? [{ metric: model.metric }] : [];
    if (!model.spread) model.spread = "ci";
    this.rows = flattenRows(model.groups, model.expanded);
    const { template, min } = this._template(model.columns.length, model.blocks.length, Boolean(model.baseline));
    this.element.style.setProperty("--rg-group-columns", template);
    this.element.style.setProperty("--rg-table-min-width", `${min}px`);
    this._buildHead(model);
    this.body.style.height = `${this.rows.length * ROW_HEIGHT}px`;
    this.scroller.style.height = `min(70vh, ${Math.max(3, this.rows.length) * ROW_HEIGHT + 2}px)`;
    this.refresh();
  }

  /** Redraws the visible rows (new sparklines, colours, run details or theme). */
  refresh() {
    this._nodes = new Map();
    this._accent = null;
    this._render();
  }

  /**
   * Shows new sparklines in the rows on screen (the others get them when
   * they are rendered).
   * @param {Map<string, object>} lines  curves by group key
   */
  setSparklines(lines) {
    if (!this.model) return;
    this.model.sparklines = lines;
    for (const node of this._nodes.values()) {
      const key = node.dataset.key;
      const cell = key === undefined ? null : node.querySelector(".rg-spark");
      if (cell) cell.replaceWith(this._spark(key));
    }
  }

  /**
   * Scrolls so the given group row is in view.
   * @param {string} key
   */
  scrollToGroup(key) {
    const i = this.rows.findIndex((r) => r.kind === "group" && r.group.key === key);
    if (i >= 0) this.scroller.scrollTop = this._top = i * ROW_HEIGHT;
  }

  /** The grid's columns and their least total width (the table scrolls sideways below it). */
  _template(nBy, nBlocks, baseline) {
    const cols = [[28], [28]];
    for (let i = 0; i < Math.max(1, nBy); i++) cols.push([70, "1fr"]);
    cols.push([48]);
    const block = () => {
      cols.push([190, "1.3fr"]);
      if (baseline) cols.push([130, "1fr"], [92], [64]);
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
  _blockName(i) {
    const blocks = this.model.blocks;
    if (blocks.length < 2) return "";
    const b = blocks[i] || {};
    const k = b.k !== null && b.k !== undefined ? ` k=${b.k}` : "";
    return `${b.metric || ""} (${b.reduction || ""}${k}) `;
  }

  _buildHead(model) {
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
        const go = () => this.handlers.onSort(key);
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
      cell(`${this._blockName(i)}${spreadText[0]}`, `mean${suffix}`, `${what}: ${spreadText[1]}; n = runs with a value; marked when fewer than ${FEW_RUNS}`, true);
      if (!model.baseline) return;
      cell(`${this._blockName(i)}Δ`, `delta${suffix}`, `Difference of means from the baseline ± half-width of its ${level} Welch interval`, true);
      cell("p / Holm", `p${suffix}`, "Welch two-sided t-test p-value / Holm-adjusted over the groups compared", true);
      cell("P(better)", `prob${suffix}`, "Probability that a run of this group beats a run of the baseline (over all pairs, ties half)", true);
    };
    if (model.blocks.length) block(0);
    cell("min", "min", "", true);
    cell("max", "max", "", true);
    cell("best run", "best", "The group's best run and its value");
    for (let i = 1; i < model.blocks.length; i++) block(i);
    cell("trend", null, "The group's mean curve");
    cell("", null);
    this.head.replaceChildren(row);
  }

  _schedule() {
    if (this._frame) return;
    this._frame = requestAnimationFrame(() => {
      this._frame = 0;
      this._render();
    });
  }

  _render() {
    if (!this.model) return;
    // Fewer rows than the last scroll position reaches: the browser will clamp
    // it (and fire a scroll event); meanwhile the last screenful is what shows.
    const shown = Math.ceil(this._height / ROW_HEIGHT);
    const top = Math.min(Math.floor(this._top / ROW_HEIGHT), Math.max(0, this.rows.length - shown));
    const first = Math.max(0, top - OVERSCAN);
    const last = Math.min(this.rows.length, top + shown + OVERSCAN);
    const old = this._nodes;
    if (old.size && first === this._first && last === this._last) return;
    // Rows still in view keep their nodes; new ones go before or after them,
    // so the DOM stays in row order (screen readers, tests).
    const nodes = new Map();
    const before = [];
    const after = [];
    let kept = 0;
    for (let i = first; i < last; i++) {
      let node = old.get(i);
      if (node) {
        old.delete(i);
        kept++;
      } else {
        node = this._row(this.rows[i]);
        node.style.transform = `translateY(${i * ROW_HEIGHT}px)`;
        node.setAttribute("aria-rowindex", String(i + 2));
        (kept ? after : before).push(node);
      }
      nodes.set(i, node);
    }
    if (!kept) {
      this.body.replaceChildren(...before);
    } else {
      for (const node of old.values()) node.remove();
      this.body.prepend(...before);
      this.body.append(...after);
    }
    this._nodes = nodes;
    this._first = first;
    this._last = last;
    if (this.onRange) this.onRange(this.visibleGroupKeys());
  }

  /** The keys of the group rows rendered now (in view, plus a few beyond each edge). */
  visibleGroupKeys() {
    const keys = [];
    if (!this.rows) return keys;
    for (let i = this._first; i < this._last; i++) {
      const row = this.rows[i];
      if (row && row.kind === "group") keys.push(row.group.key);
    }
    return keys;
  }

  _row(row) {
    if (row.kind === "group") return this._groupRow(row.group);
    if (row.kind === "members-head") return this._membersHead();
    return this._memberRow(row.group, row.member);
  }

  _groupRow(group) {
    const m = this.model;
    const key = group.key;
    const row = el("div", "rg-row rg-group-row");
    row.setAttribute("role", "row");
    row.dataset.key = key;
    const expanded = m.expanded.has(key);
    row.classList.toggle("rg-expanded", expanded);
    const cells = [];
    const toggle = el("button", "rg-toggle", expanded ? "▾" : "▸");
    toggle.type = "button";
    toggle.setAttribute("aria-expanded", String(expanded));
    toggle.setAttribute("aria-label", expanded ? "Collapse group" : "Expand group");
    toggle.addEventListener("click", () => this.handlers.onToggle(group));
    cells.push(toggle);
    const pick = el("input", "rg-select-group");
    pick.type = "checkbox";
    pick.checked = m.selected.has(key);
    pick.setAttribute("aria-label", "Show in the chart");
    pick.addEventListener("change", () => this.handlers.onSelect(group, pick.checked));
    const pickCell = el("span", "rg-pick");
    const swatch = el("span", "rg-swatch");
    const color = m.colors.get(key);
    if (color && pick.checked) swatch.style.background = color;
    pickCell.append(pick, swatch);
    cells.push(pickCell);
    if (m.by.length) {
      for (const i of m.columns) cells.push(el("span", "rg-group-value", formatFieldValue(group.values[i])));
    } else {
      cells.push(el("span", "rg-group-value", group.label));
    }
    cells.push(el("span", "rg-num rg-size", String(group.size)));
    const isBaseline = m.baseline === key;
    row.classList.toggle("rg-baseline-row", isBaseline);
    const block = (i) => {
      const { stats, compare } = groupBlock(group, i);
      cells.push(this._statCell(stats, i));
      if (m.baseline) cells.push(...this._compareCells(compare, isBaseline, i));
    };
    if (m.blocks.length) block(0);
    const s = group.stats || {};
    cells.push(el("span", "rg-num rg-min", fmt(s.min)));
    cells.push(el("span", "rg-num rg-max", fmt(s.max)));
    const best = el("span", "rg-best");
    if (s.best_run) {
      // Cut to the part that tells it from its group's other runs (its seed).
      const names = (group.members || []).map((x) => x.trial);
      const b = el("button", "rg-linklike rg-best-run", shortRunName(s.best_run, names));
      b.type = "button";
      b.title = `${s.best_run}: ${fmt(s.best_value)}`;
      b.addEventListener("click", () => this.handlers.onOpenRun(memberRun(group, s.best_run)));
      best.append(b, el("span", "rg-muted", ` ${fmt(s.best_value)}`));
    }
    cells.push(best);
    for (let i = 1; i < m.blocks.length; i++) block(i);
    cells.push(this._spark(key));
    const links = el("span", "rg-links");
    const a = el("a", "rg-ts-link", "Time Series");
    a.setAttribute("href", this._href(group));
    a.target = "_top";
    a.title = "Open this group's runs in TensorBoard's Time Series";
    const copy = el("button", "rg-linklike rg-copy-regex", "regex");
    copy.type = "button";
    copy.title = "Copy a regular expression matching exactly this group's runs";
    copy.addEventListener("click", () => this.handlers.onCopyRegex(group));
    const base = el("button", "rg-linklike rg-set-baseline", isBaseline ? "baseline ✓" : "baseline");
    base.type = "button";
    base.setAttribute("aria-pressed", String(isBaseline));
    base.title = isBaseline ? "Stop comparing with this group" : "Compare every group with this one (Δ, p, P(better))";
    base.addEventListener("click", () => this.handlers.onBaseline(group));
    links.append(a, copy, base);
    cells.push(links);
    for (const c of cells) c.setAttribute("role", "cell");
    row.append(...cells);
    return row;
  }

  /** A group's mean ± spread and n for one metric block, aligned on "±". */
  _statCell(stats, i) {
    const c = statCell(stats, this.model.spread);
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
  _compareCells(compare, isBaseline, i) {
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

  /** The sparkline cell of a group: its mean curve, or empty. */
  _spark(key) {
    const curve = this.model.sparklines.get(key);
    if (!curve) return cell(el("span", "rg-spark"));
    const color = this.model.selected.has(key) ? this.model.colors.get(key) : null;
    if (!color && this._accent === null) {
      this._accent = cssVar(this.element, "--rg-accent", "#f57c00");
    }
    return cell(buildSparkline(curve, color || this._accent, "rg-spark"));
  }

  /**
   * The Time Series link of a group (a regex of all its runs): made once per
   * group object (an answer's groups outlive sorting, expanding, scrolling).
   */
  _href(group) {
    if (this._hrefsFor !== this.model.trials) {
      this._hrefs = new WeakMap(); // /runs arrived: groups now link their split runs
      this._hrefsFor = this.model.trials;
    }
    let href = this._hrefs.get(group);
    if (href === undefined) {
      href = timeSeriesHref(groupRunNames(group, this.model.trials));
      this._hrefs.set(group, href);
    }
    return href;
  }

  _membersHead() {
    const row = el("div", "rg-row rg-member-row rg-members-head");
    row.setAttribute("role", "row");
    const metric = this.model.metric || "value";
    for (const t of ["", "run", "parsed fields", "status", "started", "duration", metric, "tags", "notes"]) {
      const c = el("span", "rg-th", t);
      c.setAttribute("role", "columnheader");
      row.append(c);
    }
    return row;
  }

  _memberRow(group, member) {
    const t = this.model.trials ? this.model.trials.get(member.trial) : null;
    const row = el("div", "rg-row rg-member-row");
    row.setAttribute("role", "row");
    row.dataset.trial = member.trial;
    const run = member.run || (t && t.first ? t.first.run : member.trial);
    const name = el("button", "rg-linklike rg-run-name", member.trial);
    name.type = "button";
    name.title = `Details of ${run}`;
    name.addEventListener("click", () => this.handlers.onOpenRun(run));
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
}

function duration(trial) {
  const c = el("span", "rg-duration", trial ? formatDuration(trial.duration) : "");
  if (trial && trial.so_far && c.textContent) c.title = `${c.textContent} so far (to its last event)`;
  return c;
}

function cell(node) {
  node.setAttribute("role", "cell");
  return node;
}

function fmt(value) {
  const n = toNumber(value);
  return n === null ? "" : formatNumber(n);
}

function statusClass(status) {
  return ["running", "finished", "failed", "interrupted", "stale"].includes(status) ? status : "other";
}

function memberRun(group, trial) {
  const m = (group.members || []).find((x) => x.trial === trial);
  return (m && m.run) || trial;
}

function parsedText(run) {
  if (!run) return "";
  const fields = { ...run.params };
  if (run.time) fields.time = run.time.replace("T", " ");
  const parts = [formatParams(fields)];
  if (run.labels && run.labels.length) parts.push(run.labels.join(" / "));
  return parts.filter(Boolean).join(" · ");
}
