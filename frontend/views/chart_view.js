// The chart section: its controls (smoothing, x axis, band, log scale, runs,
// clear, downloads), the mean curves with their legend (chart.js), and the
// picking of the charted groups and their colours, which the table shows too.
// It draws /curves answers and calls actions; it never fetches.

import { GroupChart } from "../chart.js";
import { assignColors } from "../colors.js";
import { BANDS, aggregateRecords } from "../curves.js";
import { defaultChartKeys, legendLabels, toCsv } from "../group.js";
import { MAX_SMOOTHING } from "../state.js";
import { button, download, el, labelled, select } from "./dom.js";

/** Groups charted when the state names none: the first few of the table. */
export const CHART_DEFAULT_GROUPS = 5;
/** Points of each charted mean curve (`/curves?max_points=`). */
export const CHART_POINTS = 500;
/** Per-run lines ("runs" ticked): groups of at most this many runs… */
export const SEED_MAX_RUNS = 100;
/** …with at most this many points a run. */
export const SEED_POINTS = 200;
const SMOOTHING_DEBOUNCE_MS = 120;

/**
 * The charted groups: the state's (those in the answer), else the first few of
 * the table in its order; each with a colour that it keeps while it stays
 * charted (colors.js).
 * @param {object} state
 * @param {object[]} sorted  the /groups answer's groups in the table's order
 * @param {Map<string, string>} [previous]  the colours of the groups charted before
 * @returns {{keys: string[], colors: Map<string, string>}}
 */
export function pickChartGroups(state, sorted, previous = new Map()) {
  let keys;
  if (state.selected) {
    const known = new Set(sorted.map((g) => g.key));
    keys = state.selected.filter((k) => known.has(k));
  } else {
    keys = defaultChartKeys(sorted, CHART_DEFAULT_GROUPS);
  }
  return { keys, colors: assignColors(keys, previous) };
}

/**
 * The chart's series from its answers.
 * @param {object} state
 * @param {{keys: string[], colors: Map<string, string>}} pick
 * @param {object} groups  the /groups answer (its `by` shortens the legend's labels)
 * @param {{curves: object|null, raw?: object|null, lines?: object|null}} answer  /curves
 *   answers: smoothed, unsmoothed (drawn faint) and per run (`lines=true`)
 * @returns {object[]}  GroupChart.update's series
 */
export function chartSeries(state, pick, groups, answer) {
  const byKey = (a) => new Map(a ? a.curves.map((c) => [c.key, c]) : []);
  const curves = byKey(answer.curves);
  const raws = byKey(answer.raw);
  const seeds = byKey(answer.lines);
  const shown = pick.keys.filter((k) => curves.has(k)).map((k) => curves.get(k));
  const labels = legendLabels(shown, groups.by);
  return shown.map((c, i) => {
    const seed = seeds.get(c.key);
    return {
      key: c.key,
      label: labels[i],
      title: c.label,
      color: pick.colors.get(c.key),
      size: c.size,
      curve: c.curve,
      raw: raws.has(c.key) ? raws.get(c.key).curve : null,
      lines: seed ? seed.lines || null : null,
      linesNote: state.seeds && !seed ? `Runs not drawn: more than ${SEED_MAX_RUNS} in this group` : "",
    };
  });
}

/** The chart of the charted groups' mean curves, with its controls. */
export class ChartView {
  /** @param {{change: (patch: object) => void}} actions */
  constructor(actions) {
    this.actions = actions;
    this.chart = new GroupChart();
    this.controls = el("div", "rg-chart-controls");
    this.element = el("section", "rg-chart-section");
    this.element.append(this.controls, this.chart.element);
    this.pick = { keys: [], colors: new Map() };
    this.series = [];
    this.state = null;
    this._drawn = null;
    this._build();
  }

  /**
   * Picks the charted groups for a state and the table's order (pickChartGroups),
   * keeping the colours of those still charted.
   * @param {object} state
   * @param {object[]} sorted
   * @returns {{keys: string[], colors: Map<string, string>}}
   */
  choose(state, sorted) {
    this.pick = pickChartGroups(state, sorted, this.pick.colors);
    return this.pick;
  }

  /**
   * What the chart needs fetched: the picked groups' curves, and each run of
   * those small enough to draw when "runs" is ticked.
   * @param {object} state
   * @param {object} groups  the /groups answer
   * @returns {{keys: string[], points: number, lineKeys: string[], linePoints: number}}
   */
  wants(state, groups) {
    const keys = this.pick.keys;
    let lineKeys = [];
    if (state.seeds) {
      const size = new Map(groups ? groups.groups.map((g) => [g.key, g.size]) : []);
      lineKeys = keys.filter((k) => (size.get(k) || 0) <= SEED_MAX_RUNS);
    }
    return { keys, points: CHART_POINTS, lineKeys, linePoints: SEED_POINTS };
  }

  /**
   * Shows the state in the controls, and draws the curves when they are new.
   * @param {object} state
   * @param {{groups: object, curves: object|null, raw?: object|null, lines?: object|null}|null} answer
   *   the /groups answer and the picked groups' /curves answers (see chartSeries);
   *   null or `curves: null`: nothing to draw yet (the last drawing stays)
   */
  update(state, answer) {
    this.state = state;
    this._sync(state);
    if (!answer || answer === this._drawn || answer.curves === undefined) return;
    this._drawn = answer;
    const options = { band: state.band, log: state.log, metric: (answer.groups && answer.groups.metric) || "", axis: state.x, smoothing: state.smoothing };
    this.series = answer.curves && answer.groups ? chartSeries(state, this.pick, answer.groups, answer) : [];
    this.chart.update(this.series, options);
    if (answer.curves) requestAnimationFrame(() => setTimeout(() => performance.mark("rg-chart-painted"), 0));
  }

  /** Follows a theme change (the chart's colours live in its canvas). */
  retheme() {
    this.chart.retheme();
  }

  /**
   * Downloads the chart (SVG or PNG, with its legend) or its aggregate (CSV:
   * the numbers of /curves for the charted groups and the band shown).
   * @param {string} kind  "svg", "png" or "csv"
   */
  async download(kind) {
    if (!this.series.length) return;
    const stamp = `run-groups-chart-${(this.chart.options.metric || "").replace(/[^\w.-]+/g, "_")}`;
    if (kind === "csv") {
      const shown = this.series.filter((s) => !this.chart.hidden.has(s.key));
      download(`${stamp}.csv`, toCsv(aggregateRecords(shown, this.state.band, this.state.x)), "text/csv");
    } else if (kind === "svg") {
      download(`${stamp}.svg`, this.chart.toSvg(), "image/svg+xml");
    } else {
      const blob = await this.chart.toPng();
      if (blob) download(`${stamp}.png`, blob, "image/png");
    }
  }

  /** Builds the controls once (a slider rebuilt mid-drag would drop the drag). */
  _build() {
    const change = (patch) => this.actions.change(patch);
    this.bandSelect = select("rg-band", BANDS, "minmax", (v) => change({ band: v }), "Band");
    this.bandSelect.title = "The band around each mean: min–max of the runs, ± sample std, or the Student-t confidence interval of the mean";
    const axes = [
      ["step", "step"],
      ["relative", "relative (hours)"],
      ["wall", "wall time"],
    ];
    this.axisSelect = select("rg-x-axis", axes, "step", (v) => change({ x: v }), "X axis");
    this.logBox = el("input", "rg-log");
    this.logBox.type = "checkbox";
    this.logBox.addEventListener("change", () => change({ log: this.logBox.checked }));
    this.seedsBox = el("input", "rg-seeds");
    this.seedsBox.type = "checkbox";
    this.seedsBox.addEventListener("change", () => change({ seeds: this.seedsBox.checked }));
    // TensorBoard's smoothing slider: 0 (none) to 0.99, default 0.6.
    this.slider = el("input", "rg-smoothing");
    Object.assign(this.slider, { type: "range", min: "0", max: "0.99", step: "0.01" });
    this.slider.setAttribute("aria-label", "Smoothing");
    this.sliderValue = el("input", "rg-input rg-smoothing-value");
    Object.assign(this.sliderValue, { type: "number", min: "0", max: String(MAX_SMOOTHING), step: "0.001" });
    this.sliderValue.setAttribute("aria-label", "Smoothing weight");
    let timer = 0;
    const smooth = (value) => {
      const w = Math.min(MAX_SMOOTHING, Math.max(0, Number(value)));
      if (!Number.isFinite(w)) return;
      clearTimeout(timer);
      timer = setTimeout(() => change({ smoothing: w }), SMOOTHING_DEBOUNCE_MS);
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
    const clear = button("rg-clear-selection", "Clear", () => change({ selected: [] }), "Remove every group from the chart");
    const exports = el("span", "rg-chart-exports");
    exports.append(
      button("rg-export-svg", "SVG", () => this.download("svg"), "Download the chart with its legend as SVG"),
      button("rg-export-png", "PNG", () => this.download("png"), "Download the chart with its legend as PNG"),
      button("rg-export-curves", "CSV", () => this.download("csv"), "Download the charted curves: group, x, mean, band, runs"),
    );
    this.controls.replaceChildren(
      el("h2", "rg-section-title", "Mean curves"),
      smoothing,
      labelled("X axis", this.axisSelect),
      labelled("Band", this.bandSelect),
      check(this.logBox, "log scale", "Logarithmic y axis"),
      check(this.seedsBox, "runs", "Draw each run of a charted group as a thin line"),
      clear,
      exports,
    );
  }

  /** Shows the state in the controls (without rebuilding them). */
  _sync(s) {
    if (s === this._synced) return;
    this._synced = s;
    this.bandSelect.value = s.band;
    this.axisSelect.value = s.x;
    this.logBox.checked = s.log;
    this.seedsBox.checked = s.seeds;
    const active = this.element.ownerDocument.activeElement;
    if (active !== this.slider) this.slider.value = String(Math.min(0.99, s.smoothing));
    if (active !== this.sliderValue) this.sliderValue.value = String(s.smoothing);
  }
}
