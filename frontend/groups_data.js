// What the Groups view draws, fetched for app.js: /groups (the first view's
// with the chart's curves and the first sparklines in one round trip), the
// charted groups' /curves, the rows' sparklines in batches (sparklines.js), and
// the table as a file (/export).
// Each fetch has its request generation: an answer a newer request replaced
// is dropped. No DOM here; answers go to `app.answers` and app._draw().

import * as api from "./api.js";
import { SPARKLINE_POINTS, SparklineBatcher } from "./sparklines.js";
import { CHART_DEFAULT_GROUPS, CHART_POINTS } from "./views/chart_view.js";
import { copyText, download } from "./views/dom.js";

// Sparklines that come with the first view's /groups (more rows ask as they show).
const FIRST_SPARKLINES = 50;

/** The Groups view's requests. */
export class GroupsData {
  /**
   * @param {object} app  the controller: its `state`, `answers`, `groups` (the
   *   GroupsView), `_busy`, `_draw` and `_banner`
   */
  constructor(app) {
    this.app = app;
    this.gen = { groups: 0, chart: 0 };
    const fetchLines = (q, keys) => app._busy(afterPaint(api.fetchCurves(q, keys, SPARKLINE_POINTS, { sparkline: true })));
    this.sparks = new SparklineBatcher(fetchLines, (lines) => {
      app.answers.sparklines = lines;
      app._draw();
    });
  }

  /**
   * The first view's /groups, asked with the other first requests: without a chosen
   * metric the backend reduces its default one, and answers with the chart's curves
   * and the first rows' sparklines (state.tableCurvesQuery). In the default state this
   * is warm.FIRST_VIEW_GROUPS, which the backend keeps ready.
   * @param {object} state
   * @returns {Promise<object>}
   */
  early(state) {
    const { selected, smoothing, x } = state;
    const chartGroups = selected ? 0 : CHART_DEFAULT_GROUPS;
    const curves = { chart: selected, chartGroups, chartPoints: CHART_POINTS, smoothing, x, sparklines: FIRST_SPARKLINES, sparklinePoints: SPARKLINE_POINTS };
    const early = api.fetchGroups({ ...state, autoMetric: !state.metric }, curves);
    early.catch(() => {}); // groups() reports errors
    return early;
  }

  /**
   * The state sent to the backend: the chosen metric, or the default one (/tags).
   * @param {object} state
   * @param {object|null} tags  the /tags answer
   */
  static query(state, tags) {
    const known = ((tags && tags.tags) || []).some((t) => t.tag === state.metric);
    return { ...state, metric: known ? state.metric : (tags && tags.default_metric) || null };
  }

  /**
   * Fetches and shows the groups, then sparklines and the chart.
   * @param {Promise<object>|null} [early]  the first view's request (early()), used
   *   when it answered for the metric wanted
   */
  async groups(early = null) {
    const app = this.app;
    const mine = ++this.gen.groups;
    const q = app.query();
    app.answers.query = q;
    app._draw(); // the toolbar shows the new state at once
    let answer;
    try {
      answer = early ? await app._busy(early).catch(() => null) : null;
      // A chosen metric was asked as is; the default one only for a plain table. A stale
      // first view is shown as it came (its metric may be an older default), until the
      // fresh one replaces it (app.js): nothing more is asked for it.
      const asked = app.state.metric || (!(q.more || []).length && !q.baseline);
      const stale = answer && api.staleAge(answer) !== null;
      if (!(answer && (stale || (answer.metric === q.metric && asked)))) answer = await app._busy(api.fetchGroups(q));
      else {
        if (!stale) api.primeGroups(q, answer); // its metric is q's
        if (answer.chart) this._prime({ ...q, metric: answer.metric }, answer.chart);
      }
    } catch (e) {
      if (mine !== this.gen.groups) return;
      if (e.status === 404 && q.baseline && /compare/.test(e.message)) {
        // The filters left the baseline group out: compare with nothing, and say so.
        app.state = { ...app.state, baseline: null };
        await this.groups();
        if (mine + 1 === this.gen.groups && !app.groups.banner.failed) app._banner("The baseline group is not in this view: no comparison.");
        return;
      }
      return app._banner(e.status >= 400 && e.status < 500 ? e.message : `The backend failed: ${e.message}`, true);
    }
    if (mine !== this.gen.groups) return;
    if (answer === app.answers.groups) return app._banner(""); // a reload that changed nothing
    const fresh = api.staleAge(answer) === null;
    Object.assign(app.answers, { groups: answer, groupsSplit: q.split, banner: null, sparklines: this.sparks.reset(q, answer.sparklines, fresh) });
    app._draw(); // picks the chart's groups, draws the table, asks for its rows' sparklines
    this.chart(true);
  }

  /** Keeps the chart's curves that came with /groups as the answers of chart()'s /curves requests. */
  _prime(q, chart) {
    const { smoothing: w, x } = this.app.state;
    if (!chart.curves || chart.curves.smoothing !== w || chart.curves.x !== x) return;
    api.primeCurves(q, chart.keys, CHART_POINTS, { smoothing: w, x }, chart.curves);
    if (chart.raw) api.primeCurves(q, chart.keys, CHART_POINTS, { x }, chart.raw);
  }

  /**
   * Fetches the curves of the charted groups (the smoothed ones, the raw ones drawn
   * faint behind them, each run for "runs") and hands them to the Groups view.
   * @param {boolean} [afterTable]  the table was just drawn: let it paint first
   */
  async chart(afterTable = false) {
    const app = this.app;
    const mine = ++this.gen.chart;
    const q = app.query();
    const groups = app.answers.groups;
    const { keys, points, lineKeys, linePoints } = app.groups.wants(app.state);
    const draw = (chart) => {
      app.answers.chart = chart;
      app._draw();
    };
    if (!groups || !q.metric || !keys.length) return draw({ groups, curves: null });
    const { smoothing: w, x } = app.state;
    let wanted;
    if (api.staleAge(groups) !== null) {
      // A stale first view draws the curves that came with it, and asks for nothing.
      const cq = { ...q, metric: groups.metric };
      const got = api.cachedCurves(cq, keys, points, { smoothing: w, x });
      if (!got || lineKeys.length) return draw({ groups, curves: null });
      wanted = Promise.all([got, w > 0 ? api.cachedCurves(cq, keys, points, { x }) : null, null]);
    } else
      wanted = Promise.all([
        api.fetchCurves(q, keys, points, { smoothing: w, x }, "rg-curves-data"),
        w > 0 ? api.fetchCurves(q, keys, points, { x }) : null,
        lineKeys.length ? api.fetchCurves(q, lineKeys, linePoints, { smoothing: w, x, lines: true }) : null,
      ]);
    let curves;
    try {
      // After new groups, the table paints first; the chart (tens of ms in uPlot) a frame later.
      curves = await app._busy(afterTable ? afterPaint(wanted) : wanted);
    } catch (e) {
      if (mine === this.gen.chart) app._banner(`Could not load curves: ${e.message}`, true);
      return;
    }
    if (mine === this.gen.chart) draw({ groups, curves: curves[0], raw: curves[1], lines: curves[2] });
  }

  /**
   * Exports the table through `/export` with the view's arguments, so the
   * files and texts are what `tb-rungroups ls --format F` prints for the same
   * view: CSV/JSON as a download, Markdown/LaTeX (the paper table) copied.
   * @param {string} kind  "csv", "json", "markdown" or "latex"
   */
  async exportTable(kind) {
    const app = this.app;
    if (!app.answers.groups) return;
    const q = app.query();
    let text;
    try {
      text = await app._busy(api.fetchExport(q, kind));
    } catch (e) {
      return app._banner(`Could not export: ${e.message}`, true);
    }
    const stamp = q.metric ? `-${q.metric.replace(/[^\w.-]+/g, "_")}` : "";
    if (kind === "csv" || kind === "json") return download(`run-groups${stamp}.${kind}`, text, kind === "csv" ? "text/csv" : "application/json");
    const what = kind === "latex" ? "LaTeX" : "Markdown";
    const ok = await copyText(text);
    app.groups.toolbar.showExport(text, what, ok);
    app.toast.show(ok ? `${what} table copied` : `${what} table below: copy it from there`);
  }
}

/**
 * A promise's value, once it has arrived and the next frame has been
 * rendered (a task queued from the next animation frame runs after that
 * frame's style, layout and paint): what the tab shows first (the table)
 * paints before what follows.
 * @template T
 * @param {Promise<T>} promise
 * @returns {Promise<T>}
 */
export async function afterPaint(promise) {
  const value = await promise;
  await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
  return value;
}
