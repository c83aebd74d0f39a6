// The group table: one row per group (values, runs, per metric block mean ±
// CI/std/sem with n and, with a baseline, Δ / p / P(better); min, max and best
// run of the first metric, sparkline, links), expandable to its runs. Rows are virtualised:
// only the rows in view (plus a margin) exist in the DOM, so 10,000 runs
// scroll as smoothly as 10; a row still in view after a scroll keeps its node.

import { formatFieldValue, shortRunName } from "../format.js";
import { flattenRows, groupBlock, groupRunNames, varyingColumns } from "../group.js";
import { anchoredRegex, timeSeriesHref } from "../regex.js";
import { cssVar, el } from "./dom.js";
import { flagMark, markProvisional, pairedCells, powerCells, sizeCell } from "./seed_cells.js";
import { buildSparkline } from "./sparkline.js";
import { FEW_RUNS, compareCells, fmt, gridTemplate, headRow, memberRow, membersHead, statCellNode } from "./table_cells.js";

export { FEW_RUNS };

/** Height of every row in pixels (virtualisation needs a fixed height). */
export const ROW_HEIGHT = 30;
// Rows rendered beyond each edge of the view, so a small scroll shows rows already there.
const OVERSCAN = 4;
// A group row's Time Series link before its regex is made, and the events that make it
// (everything that precedes opening, copying or reading the link).
const TIME_SERIES = "../../../#timeseries";
const LINK_EVENTS = ["pointerenter", "focus", "click", "auxclick", "contextmenu"];

/** The virtualised group table. */
export class GroupTable {
  /**
   * @param {{change: (patch: object) => void, copy: (text: string, what: string) => void,
   *   wantSparklines?: (keys: string[]) => void}} actions  `wantSparklines` hears
   *   which groups' rows are rendered (scrolling), so their sparklines can be fetched
   */
  constructor(actions) {
    this.actions = actions;
    this.state = null;
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
    this._linking = false;
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
   * Draws a /groups answer for a state: sorted by `state.sort`, `state.expanded`
   * groups open, spread as `state.spread`, the chart's groups ticked in their colours.
   * @param {object} state
   * @param {{groups: object, sorted: object[], pick: {keys: string[], colors: Map<string, string>},
   *   trials: Map<string, object>|null, sparklines: Map<string, object>}} answer  `groups`
   *   the /groups answer, `sorted` its groups in `state.sort`'s order, `pick` the chart's
   *   groups (ChartView.pick), `trials` group.indexTrials of /runs, `sparklines` by group key
   */
  update(state, answer) {
    this.state = state;
    const g = answer.groups;
    markPainted();
    this.setData({
      groups: answer.sorted,
      by: g.by,
      // Under the default grouping, the grouping's columns that vary.
      columns: state.by === null ? varyingColumns(g.groups, g.by) : g.by.map((_, i) => i),
      expanded: new Set(state.expanded),
      selected: new Set(answer.pick.keys),
      colors: answer.pick.colors,
      trials: answer.trials,
      sparklines: answer.sparklines,
      sort: state.sort,
      metric: g.metric,
      blocks: g.metrics || [],
      spread: state.spread,
      ci: g.ci || null,
      baseline: g.baseline || null,
      paired: Boolean(g.paired && g.baseline),
      plan: g.plan || null,
    });
  }

  /**
   * Shows other chart groups (ticks and swatches) or run details without drawing the table anew.
   * @param {{keys: string[], colors: Map<string, string>}|null} pick
   * @param {Map<string, object>|null} trials
   */
  restyle(pick, trials) {
    if (!this.model) return;
    if (pick) {
      this.model.selected = new Set(pick.keys);
      this.model.colors = pick.colors;
    }
    this.model.trials = trials;
    // /runs arrived and only group rows are drawn: what they show of it is their Time
    // Series link (the regex and edit buttons read the trials when clicked), so the
    // first view is not drawn twice.
    if (!pick && [...this._nodes.keys()].every((i) => this.rows[i] && this.rows[i].kind === "group")) this._linkSoon();
    else this.refresh();
  }

  /**
   * Points a group row's Time Series link at its runs as the trials now say. A link's
   * regex can hold thousands of run names, so rows are drawn without it and it is
   * made when the browser is idle (`_linkSoon`) or, sooner, the moment the pointer,
   * the keyboard focus or a click reaches the link: the browser reads `href` after
   * the click's listeners, so no way of opening it sees it unmade.
   * @param {HTMLAnchorElement} a
   * @param {object} group
   */
  _link(a, group) {
    const href = this._href(group);
    if (a.getAttribute("href") !== href) a.setAttribute("href", href);
  }

  /** Makes the drawn rows' Time Series links once the browser is idle (after the first paint). */
  _linkSoon() {
    if (this._linking) return;
    const idle = globalThis.requestIdleCallback || ((fn) => setTimeout(fn, 0));
    this._linking = true;
    idle(
      () => {
        this._linking = false;
        if (!this.model) return;
        for (const [i, node] of this._nodes) {
          const a = this.rows[i] && this.rows[i].kind === "group" ? node.querySelector(".rg-ts-link") : null;
          if (a) this._link(a, this.rows[i].group);
        }
      },
      { timeout: 500 },
    );
  }

  _sort(key) {
    const s = this.state.sort;
    const dir = s.key === key ? -s.dir : key === "group" || key.startsWith("value.") ? 1 : -1;
    this.actions.change({ sort: { key, dir } });
  }

  _toggle(group) {
    const expanded = new Set(this.state.expanded);
    if (expanded.has(group.key)) expanded.delete(group.key);
    else expanded.add(group.key);
    this.actions.change({ expanded: [...expanded] });
  }

  _select(group, on) {
    // The groups charted now, in their order (ChartView.pick), this one added or removed.
    const keys = [...this.model.selected].filter((k) => k !== group.key);
    if (on) keys.push(group.key);
    this.actions.change({ selected: keys });
  }

  _openRun(run) {
    this.actions.change({ run });
  }

  /**
   * Shows groups.
   * @param {{groups: object[], by: string[], expanded: Set<string>, selected: Set<string>,
   *   colors: Map<string, string>, trials: Map<string, object>|null,
   *   sparklines: Map<string, object>, sort: {key: string, dir: number},
   *   metric: string|null, columns?: number[], blocks?: object[], spread?: string,
   *   ci?: {method: string, level: number}|null, baseline?: string|null,
   *   paired?: boolean, plan?: object|null}} model  `paired`: the answer has the
   *   paired comparison (`paired=true`); `plan` the answer's planner arguments
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
    const { template, min } = gridTemplate(model.columns.length, model.blocks.length, Boolean(model.baseline), Boolean(model.paired));
    this.element.style.setProperty("--rg-group-columns", template);
    this.element.style.setProperty("--rg-table-min-width", `${min}px`);
    this.head.replaceChildren(headRow(model, (key) => this._sort(key)));
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
    this._linkSoon();
    if (this.actions.wantSparklines) this.actions.wantSparklines(this.visibleGroupKeys());
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
    if (row.kind === "members-head") return membersHead(this.model);
    const node = memberRow(this.model, row.group, row.member, (run) => this._openRun(run));
    const mark = flagMark(row.member);
    if (mark) node.querySelector(".rg-value").append(" ", mark);
    // A run left out of the statistics (`exclude`): its value is shown struck through.
    if (Array.isArray(row.member.excluded) && row.member.excluded.length) node.classList.add("rg-member-excluded");
    return node;
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
    toggle.addEventListener("click", () => this._toggle(group));
    cells.push(toggle);
    const pick = el("input", "rg-select-group");
    pick.type = "checkbox";
    pick.checked = m.selected.has(key);
    pick.setAttribute("aria-label", "Show in the chart");
    pick.addEventListener("change", () => this._select(group, pick.checked));
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
    cells.push(sizeCell(group));
    const isBaseline = m.baseline === key;
    row.classList.toggle("rg-baseline-row", isBaseline);
    row.classList.toggle("rg-provisional-row", Boolean(group.provisional));
    const block = (i) => {
      const { stats, compare } = groupBlock(group, i);
      const stat = statCellNode(stats, i, m.spread);
      cells.push(group.provisional ? markProvisional(stat) : stat);
      if (!m.baseline) return;
      const more = [...compareCells(compare, isBaseline, i), ...powerCells(compare, isBaseline, i)];
      if (m.paired) more.push(...pairedCells(compare, isBaseline, i));
      if (group.provisional && compare) for (const c of more) c.classList.add("rg-provisional");
      cells.push(...more);
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
      b.addEventListener("click", () => this._openRun(memberRun(group, s.best_run)));
      best.append(b, el("span", "rg-muted", ` ${fmt(s.best_value)}`));
    }
    cells.push(best);
    for (let i = 1; i < m.blocks.length; i++) block(i);
    cells.push(this._spark(key));
    const links = el("span", "rg-links");
    const a = el("a", "rg-ts-link", "Time Series");
    a.setAttribute("href", TIME_SERIES); // its runs' regex: see _link
    const link = () => this._link(a, group);
    for (const type of LINK_EVENTS) a.addEventListener(type, link);
    a.target = "_top";
    a.title = "Open this group's runs in TensorBoard's Time Series";
    const copy = el("button", "rg-linklike rg-copy-regex", "regex");
    copy.type = "button";
    copy.title = "Copy a regular expression matching exactly this group's runs";
    copy.addEventListener("click", () => this.actions.copy(anchoredRegex(groupRunNames(group, m.trials)), "Regex copied"));
    const base = el("button", "rg-linklike rg-set-baseline", isBaseline ? "baseline ✓" : "baseline");
    base.type = "button";
    base.setAttribute("aria-pressed", String(isBaseline));
    base.title = isBaseline ? "Stop comparing with this group" : "Compare every group with this one (Δ, p, P(better))";
    base.addEventListener("click", () => this.actions.change({ baseline: this.state && this.state.baseline === key ? null : key }));
    links.append(a, copy, base);
    const edit = this.actions.editGroup ? this.actions.editGroup(group, () => m.trials) : null; // views/edit.js
    if (edit) links.append(edit);
    cells.push(links);
    for (const c of cells) c.setAttribute("role", "cell");
    row.append(...cells);
    return row;
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
}

function cell(node) {
  node.setAttribute("role", "cell");
  return node;
}

function memberRun(group, trial) {
  const m = (group.members || []).find((x) => x.trial === trial);
  return (m && m.run) || trial;
}

/** Marks "rg-table-painted" once the table just drawn is on screen (bench/bench_frontend.py). */
function markPainted() {
  requestAnimationFrame(() => setTimeout(() => performance.mark("rg-table-painted"), 0));
}
