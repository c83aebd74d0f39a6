// The "Groups" view: the toolbar, the banner, the chart of the charted groups
// and the group table, drawn from one state and the answers it has so far.
// Each part redraws only when what it draws from changed (the answer, or the
// state's keys it shows), so app.js hands over every answer the same way,
// live or saved (renderSaved below: the report's entry point).

import { indexTrials, sortGroups } from "../group.js";
import { Banner } from "./banner.js";
import { ChartView } from "./chart_view.js";
import { el } from "./dom.js";
import { GroupTable } from "./group_table.js";
import { tableNotes } from "./seed_cells.js";
import { Toolbar } from "./toolbar.js";

const same = (a, b) => a === b || JSON.stringify(a) === JSON.stringify(b);

/** The group table with its chart and toolbar. */
export class GroupsView {
  /**
   * @param {{change: (patch: object) => void, copy: (text: string, what: string) => void,
   *   exportTable: (kind: string) => void, copyLink: () => void,
   *   wantSparklines?: (keys: string[]) => void}} actions
   */
  constructor(actions) {
    this.actions = actions;
    this.toolbar = new Toolbar(actions);
    this.banner = new Banner();
    this.chart = new ChartView(actions);
    this.table = new GroupTable(actions);
    this.element = el("div", "rg-main");
    // Under the table: runs excluded and groups still running (seed_cells.tableNotes).
    this.notes = el("div", "rg-table-notes");
    this.notes.setAttribute("aria-live", "polite");
    this.element.append(this.toolbar.element, this.banner.element, this.chart.element, this.table.element, this.notes);
    this._last = {};
  }

  /**
   * Draws a state from its answers.
   * @param {object} state
   * @param {{fields: object, tags: object, query?: object, groups?: object|null,
   *   groupsSplit?: string, trials?: Map<string, object>|null,
   *   sparklines?: Map<string, object>, chart?: object|null,
   *   banner?: {message: string, error?: boolean}|null}} answer  /fields, /tags,
   *   /groups (Toolbar.update), /runs indexed by trial (group.indexTrials), the
   *   sparklines by group key, the chart's /curves answers (ChartView.update; their
   *   groups picked by `this.chart` for this answer, see wants()) and the banner
   */
  update(state, answer) {
    this.toolbar.update(state, answer);
    this.banner.update(state, answer.banner || null);
    const g = answer.groups;
    const last = this._last;
    if (!g) return;
    const trials = answer.trials || null;
    const sparklines = answer.sparklines || new Map();
    const fresh = g !== last.groups;
    if (fresh) this.notes.replaceChildren(...tableNotes(g).map((line) => el("div", "rg-table-note", line)));
    if (fresh || !same(state.sort, last.sort)) this.sorted = sortGroups(g.groups, state.sort);
    // The charted groups are picked on new data or a new choice, before the table draws them.
    const picked = fresh || !same(state.selected, last.selected);
    if (picked) this.chart.choose(state, this.sorted);
    if (fresh || !same(state.sort, last.sort) || !same(state.expanded, last.expanded) || state.spread !== last.spread) {
      this.table.update(state, { groups: g, sorted: this.sorted, pick: this.chart.pick, trials, sparklines });
    } else if (picked || trials !== last.trials) {
      this.table.restyle(picked ? this.chart.pick : null, trials);
    }
    this.table.state = state;
    if (sparklines !== last.sparklines && !fresh) this.table.setSparklines(sparklines);
    this._last = { groups: g, sort: state.sort, selected: state.selected, expanded: state.expanded, spread: state.spread, trials, sparklines };
    this.chart.update(state, answer.chart || null);
  }

  /**
   * What the chart needs fetched for the last answer drawn (ChartView.wants).
   * @param {object} state
   */
  wants(state) {
    return this.chart.wants(state, this._last.groups);
  }

  /** @returns {string[]} the keys of the group rows the table renders now */
  visibleGroupKeys() {
    return this.table.visibleGroupKeys();
  }

  /** Follows a theme change. */
  retheme() {
    this.chart.retheme();
    this.table.refresh();
  }
}

/**
 * Draws the Groups view from saved answers, with no server: the report's
 * entry point (SPEC §11), the same views as the live tab.
 * @param {HTMLElement} container
 * @param {object} state  a full state (state.js' defaultState, patched)
 * @param {{fields: object, tags: object, groups: object, runs?: object|null,
 *   curves?: object|null, raw?: object|null, lines?: object|null}} answers  the answers of
 *   /fields, /tags, /groups, /runs and the charted groups' /curves (smoothed, unsmoothed
 *   and per run), as the routes gave them
 * @param {object} [actions]  what the controls do (nothing by default)
 * @returns {GroupsView}
 */
export function renderSaved(container, state, answers, actions = {}) {
  const none = () => {};
  const view = new GroupsView({ change: none, copy: none, exportTable: none, copyLink: none, ...actions });
  container.append(view.element);
  const g = answers.groups;
  const trials = answers.runs ? indexTrials(answers.runs) : null;
  // The sparklines that came with /groups (`sparklines=N`), when it has them.
  const sparklines = new Map(g.sparklines && g.sparklines.metric === g.metric ? g.sparklines.curves.map((c) => [c.key, c.curve]) : []);
  const base = { fields: answers.fields, tags: answers.tags, query: { ...state, metric: g.metric }, groups: g, groupsSplit: state.split, trials, sparklines };
  view.update(state, base);
  const chart = { groups: g, curves: answers.curves || null, raw: answers.raw || null, lines: answers.lines || null };
  view.update(state, { ...base, chart });
  return view;
}
