// The table's sparklines, fetched in batches: only the rows the table renders
// ask for theirs (a 5,000-group table never shows 5,000 at once), and a
// frame's worth of rows scrolled into view goes out as one /curves request.
// No DOM here; the fetch is handed in (app.js gives api.fetchCurves).

/** Groups per sparkline request. */
export const SPARKLINE_MAX_GROUPS = 300;
/** Points of a sparkline. */
export const SPARKLINE_POINTS = 40;
/** How long rows asking for sparklines are gathered into one request (ms). */
export const SPARKLINE_BATCH_MS = 30;

/** Gathers the sparklines rows ask for, fetches them in batches, hands them over. */
export class SparklineBatcher {
  /**
   * @param {(q: object, keys: string[]) => Promise<{curves: {key: string, curve: object}[]}>} fetchCurves
   *   fetches the sparklines of some groups for a query state (`/curves?sparkline=true`)
   * @param {(lines: Map<string, object>) => void} onLines  hears every new set of
   *   sparklines by group key (a new Map each time)
   */
  constructor(fetchCurves, onLines) {
    this.fetchCurves = fetchCurves;
    this.onLines = onLines;
    this.lines = new Map();
    this.gen = 0;
    this._pending = new Set();
    this._query = null;
    this._timer = 0;
  }

  /**
   * Starts over for a new /groups answer: its own first sparklines (when they
   * are of the metric asked) kept, every later request for `q`.
   * @param {object} q  the query state (with the metric asked)
   * @param {{metric: string, curves: {key: string, curve: object}[]}|null|undefined} first
   *   the answer's `sparklines`
   * @param {boolean} [more]  whether rows may ask for more (false: a stale answer,
   *   which keeps its own sparklines, of the metric it was computed for)
   * @returns {Map<string, object>}  the sparklines known now
   */
  reset(q, first, more = true) {
    ++this.gen;
    this.lines = new Map();
    if (first && (first.metric === q.metric || !more)) for (const c of first.curves) this.lines.set(c.key, c.curve);
    this._pending = new Set();
    this._query = more && q.metric ? q : null;
    return this.lines;
  }

  /**
   * Asks for the sparklines of these groups that are neither known nor asked for yet.
   * @param {string[]} keys
   */
  want(keys) {
    if (!this._query) return;
    const missing = keys.filter((k) => !this.lines.has(k) && !this._pending.has(k));
    if (!missing.length) return;
    for (const k of missing) this._pending.add(k);
    if (!this._timer) this._timer = setTimeout(() => this._fetch(), SPARKLINE_BATCH_MS);
  }

  async _fetch() {
    this._timer = 0;
    const mine = this.gen;
    const q = this._query;
    const keys = [...this._pending].slice(0, SPARKLINE_MAX_GROUPS);
    if (!q || !keys.length) return;
    let answer;
    try {
      answer = await this.fetchCurves(q, keys);
    } catch {
      return; // sparklines are decoration; the chart reports errors
    } finally {
      if (mine === this.gen) for (const k of keys) this._pending.delete(k);
    }
    if (mine !== this.gen) return;
    this.lines = new Map(this.lines);
    for (const c of answer.curves) this.lines.set(c.key, c.curve);
    this.onLines(this.lines);
    if (this._pending.size && !this._timer) this._timer = setTimeout(() => this._fetch(), SPARKLINE_BATCH_MS);
  }
}
