// The tab's controller: holds the state, asks api.js for data, hands it to
// the views. Every await is followed by a check that the answer is still
// wanted (a newer request may have started) before the DOM is touched.

import * as api from "./api.js";
import { GroupChart } from "./chart.js";
import { assignColors } from "./colors.js";
import { BANDS, aggregateRecords } from "./curves.js";
import { countsLine } from "./format.js";
import {
  defaultChartKeys,
  groupRunNames,
  indexTrials,
  legendLabels,
  sortGroups,
  toCsv,
  varyingColumns,
} from "./group.js";
import { anchoredRegex } from "./regex.js";
import { MAX_SMOOTHING, shareLink } from "./url_state.js";
import { button, copyText, download, el, labelled, select } from "./views/dom.js";
import { GroupTable } from "./views/group_table.js";
import { buildRunPanel, buildRunPanelMessage } from "./views/run_panel.js";
import { buildEmptyState, buildErrorState } from "./views/states.js";
import { Toolbar } from "./views/toolbar.js";

const CHART_DEFAULT_GROUPS = 5;
const SPARKLINE_MAX_GROUPS = 300; // per request
const SPARKLINE_BATCH_MS = 30;
const SPARKLINE_POINTS = 40;
const CHART_POINTS = 500;
// Sparklines that come with the first view's /groups (more rows ask as they show).
const FIRST_SPARKLINES = 50;
// Per-seed lines: groups of at most this many runs, at most this many points a run.
const SEED_MAX_RUNS = 100;
const SEED_POINTS = 200;
const SMOOTHING_DEBOUNCE_MS = 120;

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
    this._sparkPending = new Set();
    this._sparkQuery = null;
    this._sparkTimer = 0;
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
      onBaseline: (group) => this.change({ baseline: this.state.baseline === group.key ? null : group.key }),
    });
    this.chart = new GroupChart();
    this.chartControls = el("div", "rg-chart-controls");
    this.chartSeries = [];
    this._buildChartControls();
    this.panelSlot = el("div", "rg-panel-slot");
    this.toast = el("div", "rg-toast");
    this.toast.setAttribute("role", "status");
    this.content = el("div", "rg-content");
    this.main = el("div", "rg-main");
    const chartBox = el("section", "rg-chart-section");
    chartBox.append(this.chartControls, this.chart.element);
    this.main.append(this.toolbar.element, this.banner, chartBox, this.table.element);
    this.table.onRange = (keys) => this._wantSparklines(keys);
    const header = el("header", "rg-header");
    header.append(el("h1", null, "Run Groups"), this.toast);
    root.append(header, this.content, this.panelSlot);
    root.ownerDocument.addEventListener("keydown", (e) => {
      if (e.key === "Escape" && this.state.run) this.closeRun();
    });
  }

  /** Loads everything (first render, TensorBoard reloaded its data). */
  async load() {
    const mine = ++this.gen.load;
    // The table's request goes out with the others (one round trip for the first
    // view), and answers with the chart's curves and the first rows' sparklines:
    // without a chosen metric the backend reduces its default one.
    const early = api.fetchGroups({ ...this.state, autoMetric: !this.state.metric }, this.firstViewCurves());
    early.catch(() => {}); // loadGroups reports errors
    const runs = api.fetchRuns(); // /runs too, in the same round trip
    runs.catch(() => {});
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
    this.defaultMetric = tags.default_metric || null;
    if (!fields.runs) {
      this.content.replaceChildren(buildEmptyState());
      return;
    }
    if (this.content.firstChild !== this.main) this.content.replaceChildren(this.main);
    this._busy(runs).then(
      (answer) => {
        if (mine !== this.gen.load) return;
        this.trials = indexTrials(answer);
        this.runNames = new Set(answer.runs.map((r) => r.run));
        this._showCounts();
        this.table.refresh();
      },
      () => {}, // the table works without /runs; members just show less
    );
    await this.loadGroups(early);
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

  /**
   * The curves the first view's /groups answers with (url_state.tableCurvesQuery):
   * the chart's, as loadChart asks for them, and the first rows' sparklines. In
   * the default state this is warm.FIRST_VIEW_GROUPS, which the backend keeps ready.
   */
  firstViewCurves() {
    const selected = this.state.selected;
    return {
      chart: selected,
      chartGroups: selected ? 0 : CHART_DEFAULT_GROUPS,
      chartPoints: CHART_POINTS,
      smoothing: this.state.smoothing,
      x: this.state.x,
      sparklines: FIRST_SPARKLINES,
      sparklinePoints: SPARKLINE_POINTS,
    };
  }

  /** Forgets cached answers and loads again. */
  reload() {
    api.clearCache();
    return this.load();
  }

  /** The state sent to the backend: the chosen metric or the default one. */
  query() {
    const known = this.tags.some((t) => t.tag === this.state.metric);
    return { ...this.state, metric: known ? this.state.metric : this.defaultMetric };
  }

  /**
   * Fetches and shows the groups, then sparklines and the chart.
   * @param {Promise<object>|null} [early]  the first view's /groups?auto_metric
   *   request, already under way (used when it answered for the metric wanted)
   */
  async loadGroups(early = null) {
    const mine = ++this.gen.groups;
    const q = this.query();
    // Until the answer names the split "auto" used, the last one for the same
    // metric and split choice is the best guess (a regroup does not change it).
    const last = this.answer;
    const sameSplit = last && last.metric === q.metric && this.answeredSplit === q.split;
    this._updateToolbar(q, sameSplit ? last.split : undefined);
    let answer;
    try {
      answer = early ? await this._busy(early).catch(() => null) : null;
      // A chosen metric was asked as is; the default one only for a plain table.
      const asked = this.state.metric || (!(q.more || []).length && !q.baseline);
      const same = answer && answer.metric === q.metric && asked;
      if (!same) answer = await this._busy(api.fetchGroups(q));
      else if (answer.chart) this._primeChart(q, answer.chart);
    } catch (e) {
      if (mine !== this.gen.groups) return;
      if (e.status === 404 && q.baseline && /compare/.test(e.message)) {
        // The filters left the baseline group out: compare with nothing, and say so.
        this.state = { ...this.state, baseline: null };
        await this.loadGroups();
        const failed = this.banner.classList.contains("rg-banner-error");
        if (mine + 1 === this.gen.groups && !failed) this._showBanner("The baseline group is not in this view: no comparison.", false);
        return;
      }
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
    this.loadChart(false, true);
  }

  /**
   * Starts the sparklines of a new answer: only the rows the table renders ask
   * for theirs (a 5,000-group table never shows 5,000 at once), and scrolling
   * asks for the rest as they come into view.
   */
  loadSparklines(q) {
    ++this.gen.spark;
    this.sparklines = new Map();
    const first = this.answer && this.answer.sparklines;
    if (first && first.metric === q.metric) for (const c of first.curves) this.sparklines.set(c.key, c.curve);
    this._sparkPending = new Set();
    this._sparkQuery = q.metric ? q : null;
    this.table.setSparklines(this.sparklines);
    this._wantSparklines(this.table.visibleGroupKeys());
  }

  /** Asks for the sparklines of these groups that are neither shown nor asked for yet. */
  _wantSparklines(keys) {
    if (!this._sparkQuery) return;
    const missing = keys.filter((k) => !this.sparklines.has(k) && !this._sparkPending.has(k));
    if (!missing.length) return;
    for (const k of missing) this._sparkPending.add(k);
    // Scrolling asks often: gather a frame's worth of rows into one request.
    if (!this._sparkTimer) this._sparkTimer = setTimeout(() => this._fetchSparklines(), SPARKLINE_BATCH_MS);
  }

  async _fetchSparklines() {
    this._sparkTimer = 0;
    const mine = this.gen.spark;
    const q = this._sparkQuery;
    const keys = [...this._sparkPending].slice(0, SPARKLINE_MAX_GROUPS);
    if (!q || !keys.length) return;
    let curves;
    try {
      curves = await this._busy(afterPaint(api.fetchCurves(q, keys, SPARKLINE_POINTS, { sparkline: true })));
    } catch {
      return; // sparklines are decoration; the chart reports errors
    } finally {
      if (mine === this.gen.spark) for (const k of keys) this._sparkPending.delete(k);
    }
    if (mine !== this.gen.spark) return;
    for (const c of curves.curves) this.sparklines.set(c.key, c.curve);
    this.table.setSparklines(this.sparklines);
    if (this._sparkPending.size && !this._sparkTimer) this._sparkTimer = setTimeout(() => this._fetchSparklines(), SPARKLINE_BATCH_MS);
  }

  /**
   * Keeps the chart's curves that came with /groups as the answers of the
   * /curves requests loadChart makes for them (when it picks the same groups).
   */
  _primeChart(q, chart) {
    const { smoothing: w, x } = this.state;
    if (!chart.curves || chart.curves.smoothing !== w || chart.curves.x !== x) return;
    api.primeCurves(q, chart.keys, CHART_POINTS, { smoothing: w, x }, chart.curves);
    if (chart.raw) api.primeCurves(q, chart.keys, CHART_POINTS, { x }, chart.raw);
  }

  /** @returns {Map<string, object>} the answer's groups by their backend key */
  get byKey() {
    if (!this._byKey) this._byKey = new Map((this.answer ? this.answer.groups : []).map((g) => [g.key, g]));
    return this._byKey;
  }

  /** The keys of the groups shown in the chart. */
  selectedKeys() {
    if (this.state.selected) return this.state.selected.filter((k) => this.byKey.has(k));
    return defaultChartKeys(this.sorted, CHART_DEFAULT_GROUPS);
  }

  /**
   * Picks the chart's groups and their colours (the table shows both). A
   * group keeps its colour while it stays charted (colors.js).
   */
  _pickChartGroups() {
    const keys = this.selectedKeys();
    this.colors = assignColors(keys, this.colors);
    return keys;
  }

  /**
   * Draws the chart of the selected groups.
   * @param {boolean} [pick]  pick the groups again and redraw the table's
   *   ticks and swatches (false when the table was just rendered with them,
   *   or only the chart's options changed)
   * @param {boolean} [afterTable]  the table was just rendered: let it paint first
   */
  async loadChart(pick = true, afterTable = false) {
    const mine = ++this.gen.chart;
    const q = this.query();
    this._syncChartControls();
    const keys = pick ? this._pickChartGroups() : [...this.colors.keys()];
    if (pick) {
      this.table.model.colors = this.colors;
      this.table.model.selected = new Set(keys);
      this.table.refresh();
    }
    const options = { band: this.state.band, log: this.state.log, metric: q.metric || "", axis: this.state.x, smoothing: this.state.smoothing };
    if (!q.metric || !keys.length) {
      this.chartSeries = [];
      this.chart.update([], options);
      return;
    }
    const w = this.state.smoothing;
    const x = this.state.x;
    // The smoothed curves, the raw ones drawn faint behind them (cached: a
    // smoothing change fetches one answer), and each run for the seeds toggle.
    const seedKeys = this.state.seeds ? keys.filter((k) => (this.byKey.get(k) || { size: 0 }).size <= SEED_MAX_RUNS) : [];
    const wanted = Promise.all([
      api.fetchCurves(q, keys, CHART_POINTS, { smoothing: w, x }, "rg-curves-data"),
      w > 0 ? api.fetchCurves(q, keys, CHART_POINTS, { x }) : null,
      seedKeys.length ? api.fetchCurves(q, seedKeys, SEED_POINTS, { smoothing: w, x, lines: true }) : null,
    ]);
    let answers;
    try {
      // After new groups, the table paints first; the chart (tens of ms in uPlot) a frame later.
      answers = await this._busy(afterTable ? afterPaint(wanted) : wanted);
    } catch (e) {
      if (mine !== this.gen.chart) return;
      this._showBanner(`Could not load curves: ${e.message}`, true);
      return;
    }
    if (mine !== this.gen.chart) return;
    const [answer, rawAnswer, seedAnswer] = answers;
    const byKey = (a) => new Map(a ? a.curves.map((c) => [c.key, c]) : []);
    const curves = byKey(answer);
    const raws = byKey(rawAnswer);
    const seeds = byKey(seedAnswer);
    const shown = keys.filter((k) => curves.has(k)).map((k) => curves.get(k));
    const labels = legendLabels(shown, this.answer.by);
    const series = shown.map((c, i) => {
      const seed = seeds.get(c.key);
      let linesNote = "";
      if (this.state.seeds && !seed) linesNote = `Runs not drawn: more than ${SEED_MAX_RUNS} in this group`;
      return {
        key: c.key,
        label: labels[i],
        title: c.label,
        color: this.colors.get(c.key),
        size: c.size,
        curve: c.curve,
        raw: raws.has(c.key) ? raws.get(c.key).curve : null,
        lines: seed ? seed.lines || null : null,
        linesNote,
      };
    });
    this.chartSeries = series;
    this.chart.update(series, options);
    nextPaint().then(() => performance.mark("rg-chart-painted"));
  }

  /**
   * Downloads the chart (SVG or PNG, with its legend) or its aggregate (CSV:
   * the numbers of /curves for the charted groups and the band shown).
   * @param {string} kind  "svg", "png" or "csv"
   */
  async exportChart(kind) {
    if (!this.chartSeries.length) return;
    const stamp = `run-groups-chart-${(this.query().metric || "").replace(/[^\w.-]+/g, "_")}`;
    if (kind === "csv") {
      const shown = this.chartSeries.filter((s) => !this.chart.hidden.has(s.key));
      download(`${stamp}.csv`, toCsv(aggregateRecords(shown, this.state.band, this.state.x)), "text/csv");
    } else if (kind === "svg") {
      download(`${stamp}.svg`, this.chart.toSvg(), "image/svg+xml");
    } else {
      const blob = await this.chart.toPng();
      if (blob) download(`${stamp}.png`, blob, "image/png");
    }
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
    // A group key names a group of one grouping: a new grouping has no baseline.
    if ("by" in patch && !("baseline" in patch)) this.state.baseline = null;
    if (regroup && "by" in patch) this.state.selected = null;
    if (Object.keys(patch).every((k) => k === "spread")) {
      // How the spread is shown: the same answer, drawn again.
      this._updateToolbar(this.query(), this.answer ? this.answer.split : undefined);
      this._renderTable();
      return;
    }
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
    this.root.classList.add("rg-has-panel");
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
        onCopy: (text, what) => this.copy(text, what),
        onOpenRun: (r) => this.openRun(r),
      }),
    );
  }

  closeRun() {
    ++this.gen.run;
    this.state = { ...this.state, run: null };
    this.panelSlot.replaceChildren();
    this.root.classList.remove("rg-has-panel");
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

  /**
   * Exports the table through `/export` with the view's arguments, so the
   * files and texts are what `tb-rungroups ls --format F` prints for the same
   * view: CSV/JSON as a download, Markdown/LaTeX (the paper table) copied.
   * @param {string} kind  "csv", "json", "markdown" or "latex"
   */
  async exportTable(kind) {
    if (!this.answer) return;
    const q = this.query();
    let text;
    try {
      text = await this._busy(api.fetchExport(q, kind));
    } catch (e) {
      this._showBanner(`Could not export: ${e.message}`, true);
      return;
    }
    const stamp = q.metric ? `-${q.metric.replace(/[^\w.-]+/g, "_")}` : "";
    if (kind === "csv") download(`run-groups${stamp}.csv`, text, "text/csv");
    else if (kind === "json") download(`run-groups${stamp}.json`, text, "application/json");
    else {
      const what = kind === "latex" ? "LaTeX" : "Markdown";
      const ok = await copyText(text);
      this.toolbar.showExport(text, what, ok);
      this.toast.replaceChildren(el("span", null, ok ? `${what} table copied` : `${what} table below: copy it from there`));
    }
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
      columns: this._columns(),
      expanded: new Set(this.state.expanded),
      selected,
      colors: this.colors,
      trials: this.trials,
      sparklines: this.sparklines,
      sort: this.state.sort,
      metric: this.answer.metric,
      blocks: this.answer.metrics || [],
      spread: this.state.spread,
      ci: this.answer.ci || null,
      baseline: this.answer.baseline || null,
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

  /** The grouping's columns shown: under the default grouping, those that vary. */
  _columns() {
    const by = this.answer.by;
    return this.state.by === null ? varyingColumns(this.answer.groups, by) : by.map((_, i) => i);
  }

  _baselineLabel() {
    const g = this.state.baseline && this.answer ? this.byKey.get(this.state.baseline) : null;
    return g ? g.label : null;
  }

  _updateToolbar(q, usedSplit) {
    let constantBy = [];
    if (this.answer && this.state.by === null) {
      const shown = new Set(this._columns());
      constantBy = this.answer.by.filter((_, i) => !shown.has(i));
    }
    this.toolbar.update({
      constantBy,
      fields: this.fields.fields,
      defaultBy: this.fields.default_by,
      tags: this.tags,
      reductions: this.reductions,
      state: { ...this.state, metric: q.metric },
      usedSplit,
      baselineLabel: this._baselineLabel(),
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

  /** Builds the chart's controls once (a slider rebuilt mid-drag would drop the drag). */
  _buildChartControls() {
    const redraw = (patch) => {
      this.state = { ...this.state, ...patch };
      this.loadChart(false);
    };
    this.bandSelect = select("rg-band", BANDS, this.state.band, (v) => redraw({ band: v }), "Band");
    this.bandSelect.title = "The band around each mean: min–max of the runs, ± sample std, or the Student-t confidence interval of the mean";
    this.axisSelect = select(
      "rg-x-axis",
      [
        ["step", "step"],
        ["relative", "relative (hours)"],
        ["wall", "wall time"],
      ],
      this.state.x,
      (v) => redraw({ x: v }),
      "X axis",
    );
    this.logBox = el("input", "rg-log");
    this.logBox.type = "checkbox";
    this.logBox.addEventListener("change", () => redraw({ log: this.logBox.checked }));
    this.seedsBox = el("input", "rg-seeds");
    this.seedsBox.type = "checkbox";
    this.seedsBox.addEventListener("change", () => redraw({ seeds: this.seedsBox.checked }));
    // TensorBoard's smoothing slider: 0 (none) to 0.99, default 0.6.
    this.slider = el("input", "rg-smoothing");
    this.slider.type = "range";
    this.slider.min = "0";
    this.slider.max = "0.99";
    this.slider.step = "0.01";
    this.slider.setAttribute("aria-label", "Smoothing");
    this.sliderValue = el("input", "rg-input rg-smoothing-value");
    this.sliderValue.type = "number";
    this.sliderValue.min = "0";
    this.sliderValue.max = String(MAX_SMOOTHING);
    this.sliderValue.step = "0.001";
    this.sliderValue.setAttribute("aria-label", "Smoothing weight");
    let timer = 0;
    const smooth = (value) => {
      const w = Math.min(MAX_SMOOTHING, Math.max(0, Number(value)));
      if (!Number.isFinite(w)) return;
      clearTimeout(timer);
      timer = setTimeout(() => w !== this.state.smoothing && redraw({ smoothing: w }), SMOOTHING_DEBOUNCE_MS);
    };
    this.slider.addEventListener("input", () => {
      this.sliderValue.value = this.slider.value;
      smooth(this.slider.value);
    });
    this.sliderValue.addEventListener("change", () => {
      this.slider.value = this.sliderValue.value;
      smooth(this.sliderValue.value);
    });
    const smoothing = el("label", "rg-field rg-smoothing-field");
    smoothing.append(el("span", "rg-field-label", "Smoothing"), this.slider, this.sliderValue);
    smoothing.title = "TensorBoard's debiased exponential moving average, applied to each run before the mean";
    const check = (box, text, title) => {
      const l = el("label", "rg-field");
      l.append(box, el("span", null, ` ${text}`));
      l.title = title;
      return l;
    };
    const clear = button("rg-clear-selection", "Clear", () => {
      this.state = { ...this.state, selected: [] };
      this.loadChart();
    }, "Remove every group from the chart");
    const exports = el("span", "rg-chart-exports");
    exports.append(
      button("rg-export-svg", "SVG", () => this.exportChart("svg"), "Download the chart with its legend as SVG"),
      button("rg-export-png", "PNG", () => this.exportChart("png"), "Download the chart with its legend as PNG"),
      button("rg-export-curves", "CSV", () => this.exportChart("csv"), "Download the charted curves: group, x, mean, band, runs"),
    );
    this.chartControls.replaceChildren(
      el("h2", "rg-section-title", "Mean curves"),
      smoothing,
      labelled("X axis", this.axisSelect),
      labelled("Band", this.bandSelect),
      check(this.logBox, "log scale", "Logarithmic y axis"),
      check(this.seedsBox, "runs", "Draw each run of a charted group as a thin line"),
      clear,
      exports,
    );
    this._syncChartControls();
  }

  /** Shows the state in the chart's controls (without rebuilding them). */
  _syncChartControls() {
    const s = this.state;
    this.bandSelect.value = s.band;
    this.axisSelect.value = s.x;
    this.logBox.checked = s.log;
    this.seedsBox.checked = s.seeds;
    if (document.activeElement !== this.slider) this.slider.value = String(Math.min(0.99, s.smoothing));
    if (document.activeElement !== this.sliderValue) this.sliderValue.value = String(s.smoothing);
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
