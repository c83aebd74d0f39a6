// The tab's controller: holds the state (state.js), asks api.js for what it
// needs, hands the answers to the views (views/*.js), which draw them and call
// `actions`. Every await is followed by a check that the answer is still
// wanted (a newer request may have started) before a view gets it.

import * as api from "./api.js";
import { indexTrials } from "./group.js";
import { GroupsData } from "./groups_data.js";
import { change, reportQuery, shareLink } from "./state.js";
import { benchmarkRoute, benchmarkState, effectsRoute } from "./view_routes.js";
import { Banner, Refreshing, Toast } from "./views/banner.js";
import { BenchmarkView } from "./views/benchmark.js";
import { copyText, downloadUrl, el } from "./views/dom.js";
import { EffectsView } from "./views/effects.js";
import { GroupsView } from "./views/groups.js";
import { RunPanel } from "./views/run_panel.js";
import { buildEmptyState, buildErrorState } from "./views/states.js";
import { ViewSwitcher } from "./views/switcher.js";
import { Editor } from "./views/edit.js";

/**
 * The tab's views, in the switcher's order: `View` a class of views/ (constructor(actions),
 * `element`, update(state, answer)); `route(q, answers)` the path (relative, with its query)
 * of the answer it draws for the query state `q` (its metric resolved) and the answers so far
 * (/fields, /tags), or nothing yet; `state(state, answers)` (optional) the state the view is
 * handed. Groups is drawn from /groups and /curves (groups_data.js); the others' routes are
 * in view_routes.js. A new view is its import and one line.
 */
export const VIEWS = [
  { id: "groups", label: "Groups", View: GroupsView, route: null },
  { id: "effects", label: "Effects", View: EffectsView, route: effectsRoute },
  { id: "benchmark", label: "Across tasks", View: BenchmarkView, route: benchmarkRoute, state: benchmarkState },
];

// Milliseconds before a view shown stale is asked again, and the longest such wait.
const REFRESH_MS = 1000;
const REFRESH_MAX_MS = 5000;

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
    this.gen = { load: 0, run: 0, view: 0 };
    this.pending = 0; // requests in flight (see _busy)
    this.answers = { fields: null, tags: null, groups: null, trials: null, runs: null, sparklines: new Map(), chart: null, banner: null };
    this.actions = {
      change: (patch) => this.change(patch),
      copy: (text, what) => this.copy(text, what),
      exportTable: (kind) => this.data.exportTable(kind),
      copyLink: () => this.copyLink(),
      report: () => downloadUrl(`./report?${reportQuery(this.state)}`),
      wantSparklines: (keys) => this.data.sparks.want(keys),
      editRun: (detail) => this.editor.runControls(detail, this.answers.trials),
      editGroup: (group, trials) => this.editor.groupControls(group, trials),
    };
    this.editor = new Editor({ fetchEdit: api.fetchEdit, post: api.postAnnotate, onChanged: () => this.reload() });
    this.views = new Map(VIEWS.map((v) => [v.id, { ...v, view: new v.View(this.actions) }]));
    this.groups = this.views.get("groups").view;
    this.switcher = new ViewSwitcher(this.actions, VIEWS);
    this.panel = new RunPanel(this.actions);
    this.toast = new Toast();
    this.refreshing = new Refreshing();
    this.refreshTimer = 0;
    this.refreshDelay = 0;
    this.viewBanner = new Banner();
    this.data = new GroupsData(this);
    this.content = el("div", "rg-content");
    const header = el("header", "rg-header");
    header.append(el("h1", null, "Run Groups"), this.switcher.element, this.refreshing.element, this.toast.element);
    root.append(header, this.content, this.panel.element, this.editor.element);
    // Edit controls show only once /edit allows them: the rows and the panel are drawn again.
    this.editing = this.editor.init().then((on) => on && (this.groups.table.refresh(), this.state.run && this.loadRun()));
    root.ownerDocument.addEventListener("keydown", (e) => {
      if (e.key === "Escape" && this.state.run) this.change({ run: null });
    });
  }

  /**
   * Loads everything (first render, TensorBoard reloaded its data). The first view (the
   * table and chart) is drawn from /fields, /tags and /groups; /runs, asked in the same
   * round trip, is read once that view is on screen (see _onScreen): at 10,000 runs it
   * is megabytes of JSON that only the runs' rows, the edit controls and the Time Series
   * links of the groups' other splits need.
   */
  async load() {
    const mine = ++this.gen.load;
    let drawn;
    const onScreen = new Promise((resolve) => (drawn = resolve));
    try {
      await this._load(mine, onScreen, () => this._onScreen(drawn));
    } finally {
      drawn(); // on every way out: /runs must never wait for a view that will not be drawn
    }
  }

  /** Calls `done` once the view just drawn is painted (or 100 ms later, for a hidden tab). */
  _onScreen(done) {
    requestAnimationFrame(() => setTimeout(done, 0));
    setTimeout(done, 100);
  }

  /**
   * load()'s work.
   * @param {number} mine  this load's generation
   * @param {Promise<void>} onScreen  settles once the first view is painted (/runs waits for it)
   * @param {() => void} drawn  to call once the first view is drawn
   */
  async _load(mine, onScreen, drawn) {
    clearTimeout(this.refreshTimer);
    const early = this.data.early(this.state); // one round trip for the first view
    const runs = api.fetchRuns(onScreen); // /runs too, in the same round trip
    runs.catch(() => {});
    let fields;
    let tags;
    try {
      [fields, tags] = await this._busy(Promise.all([api.fetchFields(), api.fetchTags()]));
    } catch (e) {
      if (mine !== this.gen.load) return;
      this.refreshing.update(null); // the error replaces the view: nothing shown is refreshing
      delete this.root.dataset.view;
      this.content.replaceChildren(buildErrorState(e.message, () => this.reload()));
      return;
    }
    if (mine !== this.gen.load) return;
    Object.assign(this.answers, { fields, tags });
    this.answers.query = this.query(); // the toolbar is built once, with the metric asked
    if (!fields.runs) {
      this.content.replaceChildren(buildEmptyState());
      return this._freshness(mine, [fields, tags]);
    }
    this._showView(true); // another view than Groups asks for its answer now
    this._busy(runs).then(
      (answer) => {
        if (mine !== this.gen.load) return;
        Object.assign(this.answers, { runs: answer, trials: indexTrials(answer) });
        this.runNames = new Set(answer.runs.map((r) => r.run));
        this._draw();
      },
      () => {}, // the table works without /runs; members just show less
    );
    await this.data.groups(early);
    if (mine !== this.gen.load) return;
    if (this.state.run) this.loadRun();
    const view = [fields, tags, this.answers.groups];
    this._freshness(mine, view);
    drawn();
    const answer = await runs.catch(() => null);
    // A stale /runs behind a fresh view: the view says it is refreshing and asks again.
    if (mine === this.gen.load && !this.refreshDelay && api.staleAge(answer) !== null) this._freshness(mine, [...view, answer]);
  }

  /**
   * Marks the view as refreshing while any of its answers came stale, and asks again for
   * those (after 1 s, then 1.5 times longer each time, at most 5 s) until every answer
   * is fresh: a stale view is never left as final. Sets the performance mark
   * `rg-view-stale` or `rg-view-fresh` (bench/bench_open.py times the first view by them)
   * and the root's `data-view` to "stale" or "fresh".
   * @param {number} mine  the load generation these answers belong to
   * @param {Array<object|null>} answers
   */
  _freshness(mine, answers) {
    const ages = answers.map(api.staleAge).filter((age) => age !== null);
    const stale = ages.length > 0;
    this.refreshing.update(stale ? Math.max(...ages) : null);
    this.root.dataset.view = stale ? "stale" : "fresh";
    performance.mark(stale ? "rg-view-stale" : "rg-view-fresh");
    if (!stale) {
      this.refreshDelay = 0;
      return;
    }
    this.refreshDelay = Math.min(REFRESH_MAX_MS, this.refreshDelay ? this.refreshDelay * 1.5 : REFRESH_MS);
    this.refreshTimer = setTimeout(() => {
      if (mine !== this.gen.load) return;
      api.clearStale(); // the fresh answers are kept: only the stale ones are asked again
      this.load();
    }, this.refreshDelay);
  }

  /**
   * Tells whether a RunsChanged list is what the tab already shows (or is
   * being loaded right now), so the broadcast at start-up costs nothing.
   * @param {unknown} runs
   * @returns {boolean}
   */
  knowsRuns(runs) {
    if (!Array.isArray(runs)) return false;
    if (!this.runNames) return this.answers.fields !== null || this.gen.load > 0;
    return runs.length === this.runNames.size && runs.every((r) => this.runNames.has(r));
  }

  /** Forgets cached answers and loads again. */
  reload() {
    api.clearCache();
    return this.load();
  }

  /** The state sent to the backend: the chosen metric or the default one. */
  query() {
    return GroupsData.query(this.state, this.answers.tags);
  }

  /**
   * The one way the state changes (every control calls it through `actions`):
   * state.change says what to fetch or draw again.
   * @param {object} patch
   */
  change(patch) {
    const { state, redo } = change(this.state, patch);
    if (redo.has("none")) return; // e.g. a regex typed back to what is shown
    this.state = state;
    if (redo.has("view")) this._showView(true);
    if (redo.has("run")) this.loadRun();
    if (redo.has("groups")) {
      this.data.groups();
      if (this.state.view !== "groups") this.loadView();
      return;
    }
    if (redo.has("table") || redo.has("chart") || redo.has("curves")) this._draw();
    if (redo.has("chart") || redo.has("curves")) this.data.chart();
  }

  /** Fetches the state's run (its /run answer, with how it was read) for the run panel. */
  async loadRun() {
    const mine = ++this.gen.run;
    const run = this.state.run;
    this.root.classList.toggle("rg-has-panel", Boolean(run));
    this.panel.update(this.state, null);
    if (!run) return;
    let answer;
    try {
      answer = { run, detail: await this._busy(api.fetchRun(run)) };
    } catch (e) {
      answer = { run, error: e.message };
    }
    if (mine !== this.gen.run) return;
    this.panel.update(this.state, answer);
  }

  /** Fetches and draws the answer of the view shown when it is not Groups. */
  async loadView() {
    const entry = this.views.get(this.state.view);
    if (!entry || !entry.route) return;
    const mine = ++this.gen.view;
    const path = entry.route(this.query(), this.answers);
    const state = entry.state ? entry.state(this.state, this.answers) : this.state;
    this.viewBanner.update(this.state, null);
    entry.view.update(state, null);
    if (!path) return;
    try {
      const answer = await this._busy(api.fetchPath(path));
      if (mine === this.gen.view) entry.view.update(state, answer);
    } catch (e) {
      if (mine === this.gen.view) this.viewBanner.update(this.state, { message: e.message, error: true });
    }
  }

  async copy(text, what) {
    const ok = await copyText(text);
    this.toast.show(ok ? what : "Copy this", text);
  }

  async copyLink() {
    const link = shareLink(this.env.topHref(), this.state);
    this.groups.toolbar.showLink(link, await copyText(link));
  }

  /** Follows a theme change (chart colours live in its canvas). */
  retheme() {
    this.groups.retheme();
  }

  /** Shows the state's view (Groups when it names none registered). */
  _showView(load) {
    const entry = this.views.get(this.state.view) || this.views.get("groups");
    const parts = entry.route ? [this.viewBanner.element, entry.view.element] : [entry.view.element];
    if (this.content.lastChild !== entry.view.element) this.content.replaceChildren(...parts);
    this.switcher.update(this.state);
    if (load && entry.route) this.loadView();
    else this._draw();
  }

  /** Hands the Groups view the state and every answer so far (it draws what changed). */
  _draw() {
    if (this.answers.fields && this.content.lastChild === this.groups.element) this.groups.update(this.state, this.answers);
  }

  _banner(message, error = false) {
    this.answers.banner = message ? { message, error } : null;
    this._draw();
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
}
