// The tab's controller: holds the state, asks api.js for data, hands it to
// the views. Every await is followed by a check that the answer is still
// wanted (a newer request may have started) before the DOM is touched.

import * as api from "./api.js";
import { GroupChart } from "./chart.js";
import { countsLine } from "./format.js";
import { defaultMetric, exportRecords, groupRunNames, indexTrials, legendLabels, sortGroups, toCsv } from "./group.js";
import { anchoredRegex } from "./regex.js";
import { shareLink } from "./url_state.js";
import { button, copyText, download, el, labelled, select } from "./views/dom.js";
import { GroupTable } from "./views/group_table.js";
import { buildRunPanel, buildRunPanelMessage } from "./views/run_panel.js";
import { buildEmptyState, buildErrorState } from "./views/states.js";
import { Toolbar } from "./views/toolbar.js";

const PALETTE = ["#1976d2", "#f57c00", "#388e3c", "#d32f2f", "#7b1fa2", "#00838f", "#c2185b", "#5d4037", "#689f38", "#455a64"];
const CHART_DEFAULT_GROUPS = 5;
const SPARKLINE_MAX_GROUPS = 300;
const SPARKLINE_POINTS = 40;
const CHART_POINTS = 500;

/** The Run Groups tab. */
export class App {
  /**
   * @param {HTMLElement} root
   * @param {object} state  initial state (from the URL)
   * @param {{topHref: () => string}} env
   */
  constructor(root, state, env) {
    this.root = root;
    this.state = state;
    this.env = env;
    this.gen = { load: 0, groups: 0, chart: 0, run: 0, spark: 0 };
    this.pending = 0; // requests in flight (see _busy)
    this.fields = null;
    this.tags = [];
    this.reductions = []; // the backend's reductions (/tags)
    this.trials = null;
    this.answer = null;
    this._byKey = null; // the answer's groups by key, made when first asked for
    this.sorted = [];
    this.sparklines = new Map();
    this.colors = new Map();

    this.toolbar = new Toolbar({
      onChange: (patch) => this.change(patch),
      onExport: (kind) => this.exportTable(kind),
      onCopyLink: () => this.copyLink(),
    });
    this.banner = el("div", "rg-banner");
    this.banner.setAttribute("role", "status");
    this.table = new GroupTable({
      onSort: (key) => this.sortBy(key),
      onToggle: (group) => this.toggle(group),
      onSelect: (group, on) => this.select(group, on),
      onOpenRun: (run) => this.openRun(run),
      onCopyRegex: (group) => this.copyRegex(group),
    });
    this.chart = new GroupChart();
    this.chartControls = el("div", "rg-chart-controls");
    this.panelSlot = el("div", "rg-panel-slot");
    this.toast = el("div", "rg-toast");
    this.toast.setAttribute("role", "status");
    this.content = el("div", "rg-content");
    this.main = el("div", "rg-main");
    const chartBox = el("section", "rg-chart-section");
    chartBox.append(this.chartControls, this.chart.element);
    this.main.append(this.toolbar.element, this.banner, chartBox, this.table.element);
    const header = el("header", "rg-header");
    header.append(el("h1", null, "Run Groups"), this.toast);
    root.append(header, this.content, this.panelSlot);
  }

  /** Loads everything (first render, TensorBoard reloaded its data). */
  async load() {
    const mine = ++this.gen.load;
    let fields;
    let tags;
    try {
      [fields, tags] = await this._busy(Promise.all([api.fetchFields(), api.fetchTags()]));
    } catch (e) {
      if (mine !== this.gen.load) return;
      this.content.replaceChildren(buildErrorState(e.message, () => this.reload()));
      return;
    }
    if (mine !== this.gen.load) return;
    this.fields = fields;
    this.tags = tags.tags || [];
    this.reductions = tags.reductions || [];
    if (!fields.runs) {
      this.content.replaceChildren(buildEmptyState());
      return;
    }
    if (this.content.firstChild !== this.main) this.content.replaceChildren(this.main);
    this._busy(api.fetchRuns()).then(
      (answer) => {
        if (mine !== this.gen.load) return;
        this.trials = indexTrials(answer);
        this.runNames = new Set(answer.runs.map((r) => r.run));
        this._showCounts();
        this.table.refresh();
      },
      () => {}, // the table works without /runs; members just show less
    );
    await this.loadGroups();
    if (this.state.run && mine === this.gen.load) this.openRun(this.state.run);
  }

  /**
   * Tells whether a RunsChanged list is what the tab already shows (or is
   * being loaded right now), so the broadcast at start-up costs nothing.
   * @param {unknown} runs
   * @returns {boolean}
   */
  knowsRuns(runs) {
    if (!Array.isArray(runs)) return false;
    if (!this.runNames) return this.fields !== null || this.gen.load > 0;
    return runs.length === this.runNames.size && runs.every((r) => this.runNames.has(r));
  }

  /** Forgets cached answers and loads again. */
  reload() {
    api.clearCache();
    return this.load();
  }

  /** The state sent to the backend: the chosen metric or the default one. */
  query() {
    const known = this.tags.some((t) => t.tag === this.state.metric);
    return { ...this.state, metric: known ? this.state.metric : defaultMetric(this.tags) };
  }

  /** Fetches and shows the groups, then sparklines and the chart. */
  async loadGroups() {
    const mine = ++this.gen.groups;
    const q = this.query();
    // Until the answer names the split "auto" used, the last one for the same
    // metric and split choice is the best guess (a regroup does not change it).
    const last = this.answer;
    const sameSplit = last && last.metric === q.metric && this.answeredSplit === q.split;
    this._updateToolbar(q, sameSplit ? last.split : undefined);
    let answer;
    try {
      answer = await this._busy(api.fetchGroups(q));
    } catch (e) {
      if (mine !== this.gen.groups) return;
      this._showBanner(e.status >= 400 && e.status < 500 ? e.message : `The backend failed: ${e.message}`, true);
      return;
    }
    if (mine !== this.gen.groups) return;
    this._showBanner("");
    if (answer === this.answer && this.table.model) return; // a reload that changed nothing
    this.answer = answer;
    this.answeredSplit = q.split;
    this._byKey = null;
    this._updateToolbar(q, answer.split);
    // The chart's groups are picked before the table renders, so it renders once.
    this._renderTable(true);
    this.loadSparklines(q);
    this.loadChart(false);
  }

  async loadSparklines(q) {
    const mine = ++this.gen.spark;
    this.sparklines = new Map();
    if (!q.metric || this.answer.groups.length > SPARKLINE_MAX_GROUPS) return;
    let curves;
    try {
      curves = await this._busy(afterPaint(api.fetchCurves(q, null, SPARKLINE_POINTS)));
    } catch {
      return; // sparklines are decoration; the chart reports errors
    }
    if (mine !== this.gen.spark) return;
    const lines = new Map(curves.curves.map((c) => [c.key, c.curve]));
    this.sparklines = lines;
    this.table.setSparklines(lines);
  }

  /** @returns {Map<string, object>} the answer's groups by their backend key */
  get byKey() {
    if (!this._byKey) this._byKey = new Map((this.answer ? this.answer.groups : []).map((g) => [g.key, g]));
    return this._byKey;
  }

  /** The keys of the groups shown in the chart. */
  selectedKeys() {
    if (this.state.selected) return this.state.selected.filter((k) => this.byKey.has(k));
    return this.sorted.slice(0, CHART_DEFAULT_GROUPS).map((g) => g.key);
  }

  /** Picks the chart's groups and their colours (the table shows both). */
  _pickChartGroups() {
    const keys = this.selectedKeys();
    this.colors = new Map(keys.map((k, i) => [k, PALETTE[i % PALETTE.length]]));
    return keys;
  }

  /**
   * Draws the chart of the selected groups.
   * @param {boolean} [pick]  pick the groups again and redraw the table's
   *   ticks and swatches (false when the table was just rendered with them)
   */
  async loadChart(pick = true) {
    const mine = ++this.gen.chart;
    const q = this.query();
    this._chartControls();
    const keys = pick ? this._pickChartGroups() : [...this.colors.keys()];
    if (pick) {
      this.table.model.colors = this.colors;
      this.table.model.selected = new Set(keys);
      this.table.refresh();
    }
    if (!q.metric || !keys.length) {
      this.chart.update([], { band: this.state.band, log: this.state.log, metric: q.metric || "" });
      return;
    }
    let answer;
    try {
      // The table paints first; the chart (tens of ms in uPlot) follows a frame later.
      answer = await this._busy(afterPaint(api.fetchCurves(q, keys, CHART_POINTS)));
    } catch (e) {
      if (mine !== this.gen.chart) return;
      this._showBanner(`Could not load curves: ${e.message}`, true);
      return;
    }
    if (mine !== this.gen.chart) return;
    const curves = new Map(answer.curves.map((c) => [c.key, c]));
    const shown = keys.filter((k) => curves.has(k)).map((k) => curves.get(k));
    const labels = legendLabels(shown, this.answer.by);
    const series = shown.map((c, i) => ({
      key: c.key,
      label: labels[i],
      title: c.label,
      color: this.colors.get(c.key),
      size: c.size,
      curve: c.curve,
    }));
    this.chart.update(series, { band: this.state.band, log: this.state.log, metric: q.metric });
  }

  /**
   * Applies a change from the toolbar.
   * @param {object} patch
   */
  change(patch) {
    const same = Object.entries(patch).every(([k, v]) => JSON.stringify(v) === JSON.stringify(this.state[k]));
    if (same) return; // e.g. a regex typed back to what is shown: no refetch, no rebuild
    const regroup = "by" in patch || "where" in patch || "filter" in patch || "regex" in patch;
    this.state = { ...this.state, ...patch };
    if ("by" in patch) this.state.expanded = [];
    if (regroup && "by" in patch) this.state.selected = null;
    this.loadGroups();
  }

  sortBy(key) {
    const s = this.state.sort;
    const dir = s.key === key ? -s.dir : key === "group" || key.startsWith("value.") ? 1 : -1;
    this.state = { ...this.state, sort: { key, dir } };
    this._renderTable();
  }

  toggle(group) {
    const key = group.key;
    const expanded = new Set(this.state.expanded);
    if (expanded.has(key)) expanded.delete(key);
    else expanded.add(key);
    this.state = { ...this.state, expanded: [...expanded] };
    this._renderTable();
  }

  select(group, on) {
    const key = group.key;
    const keys = this.selectedKeys().filter((k) => k !== key);
    if (on) keys.push(key);
    this.state = { ...this.state, selected: keys };
    this.loadChart();
  }

  async openRun(run) {
    const mine = ++this.gen.run;
    this.state = { ...this.state, run };
    const close = () => this.closeRun();
    this.panelSlot.replaceChildren(buildRunPanelMessage(run, "Loading…", close));
    let detail;
    try {
      detail = await this._busy(api.fetchRun(run));
    } catch (e) {
      if (mine !== this.gen.run) return;
      this.panelSlot.replaceChildren(buildRunPanelMessage(run, e.message, close));
      return;
    }
    if (mine !== this.gen.run) return;
    this.panelSlot.replaceChildren(
      buildRunPanel(detail, {
        onClose: close,
        onCopyPath: (path) => this.copy(path, "Run path copied"),
        onOpenRun: (r) => this.openRun(r),
      }),
    );
  }

  closeRun() {
    ++this.gen.run;
    this.state = { ...this.state, run: null };
    this.panelSlot.replaceChildren();
  }

  copyRegex(group) {
    return this.copy(anchoredRegex(groupRunNames(group, this.trials)), "Regex copied");
  }

  async copy(text, what) {
    const ok = await copyText(text);
    this.toast.replaceChildren(el("span", null, ok ? `${what}: ` : "Copy this: "), el("code", "rg-copied", text));
  }

  async copyLink() {
    const link = shareLink(this.env.topHref(), this.state);
    const ok = await copyText(link);
    this.toolbar.showLink(link, ok);
  }

  exportTable(kind) {
    if (!this.answer) return;
    const records = exportRecords(this.sorted, this.answer.by);
    const stamp = this.answer.metric ? `-${this.answer.metric.replace(/[^\w.-]+/g, "_")}` : "";
    if (kind === "csv") download(`run-groups${stamp}.csv`, toCsv(records), "text/csv");
    else download(`run-groups${stamp}.json`, `${JSON.stringify(records, null, 2)}\n`, "application/json");
  }

  /** Follows a theme change (chart colours live in its canvas). */
  retheme() {
    this.chart.retheme();
    this.table.refresh();
  }

  /** @param {boolean} [pickChart]  also pick the chart's groups (new data) */
  _renderTable(pickChart = false) {
    if (!this.answer) return;
    markPainted();
    this.sorted = sortGroups(this.answer.groups, this.state.sort);
    const prev = this.table.model;
    const selected = pickChart ? new Set(this._pickChartGroups()) : prev ? prev.selected : new Set();
    this.table.setData({
      groups: this.sorted,
      by: this.answer.by,
      expanded: new Set(this.state.expanded),
      selected,
      colors: this.colors,
      trials: this.trials,
      sparklines: this.sparklines,
      sort: this.state.sort,
      metric: this.answer.metric,
    });
    this._showCounts();
  }

  _showCounts() {
    if (!this.answer || !this.table.model) return;
    this.table.model.trials = this.trials;
    let text = countsLine(this.answer.matched, this.answer.groups.length);
    if (this.answer.matched !== this.answer.trials) text += ` (of ${this.answer.trials})`;
    this.toolbar.setCounts(text);
  }

  _updateToolbar(q, usedSplit) {
    this.toolbar.update({
      fields: this.fields.fields,
      defaultBy: this.fields.default_by,
      tags: this.tags,
      reductions: this.reductions,
      state: { ...this.state, metric: q.metric },
      usedSplit,
    });
    this._showCounts();
  }

  /**
   * Marks the tab aria-busy while a request is pending (assistive technology
   * and bench/bench_frontend.py wait for it), settled answers included.
   * @template T
   * @param {Promise<T>} promise
   * @returns {Promise<T>}
   */
  _busy(promise) {
    this.pending++;
    this.root.setAttribute("aria-busy", "true");
    const done = () => {
      if (--this.pending === 0) this.root.setAttribute("aria-busy", "false");
    };
    promise.then(done, done);
    return promise;
  }

  _showBanner(message, isError = false) {
    this.banner.textContent = message;
    this.banner.classList.toggle("rg-banner-error", isError);
    this.banner.hidden = !message;
  }

  _chartControls() {
    const band = select(
      "rg-band",
      [
        ["minmax", "min–max"],
        ["std", "± std"],
        ["none", "none"],
      ],
      this.state.band,
      (v) => {
        this.state = { ...this.state, band: v };
        this.loadChart();
      },
      "Band",
    );
    const log = el("input", "rg-log");
    log.type = "checkbox";
    log.checked = this.state.log;
    log.addEventListener("change", () => {
      this.state = { ...this.state, log: log.checked };
      this.loadChart();
    });
    const clear = button("rg-clear-selection", "Clear", () => {
      this.state = { ...this.state, selected: [] };
      this.loadChart();
    }, "Remove every group from the chart");
    const logLabel = el("label", "rg-field");
    logLabel.append(log, el("span", null, " log scale"));
    this.chartControls.replaceChildren(el("h2", "rg-section-title", "Mean curves"), labelled("Band", band), logLabel, clear);
  }
}

/**
 * Resolves once the next frame has been rendered: a task queued from the
 * next animation frame runs after that frame's style, layout and paint.
 * @returns {Promise<void>}
 */
function nextPaint() {
  return new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
}

/**
 * A promise's value, once it has arrived and the next frame has been
 * rendered: what the tab shows first (the table) paints before what follows.
 * @template T
 * @param {Promise<T>} promise
 * @returns {Promise<T>}
 */
async function afterPaint(promise) {
  const value = await promise;
  await nextPaint();
  return value;
}

/** Marks "rg-table-painted" once the table just rendered is on screen (bench/bench_frontend.py). */
function markPainted() {
  nextPaint().then(() => performance.mark("rg-table-painted"));
}
