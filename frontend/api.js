// Fetches from the plugin's routes and caches the answers. No DOM here.
// URLs are relative to the iframe's <base href="plugin/rungroups/">, so
// --path_prefix and experiment-scoped URLs keep working.

import { curvesQuery, exportQuery, groupsQuery, tableCurvesQuery } from "./state.js";

/** A failed request, with the backend's one-line message. */
export class ApiError extends Error {
  /**
   * @param {string} message
   * @param {number} status  HTTP status, 0 when TensorBoard could not be reached
   */
  constructor(message, status = 0) {
    super(message);
    this.status = status;
  }
}

const cache = new Map();
const MAX_CACHED = 64;
// The last text and value per path, kept across clearCache(): an answer whose
// text did not change comes back as the very same object, so a reload that
// changed nothing costs the caller one identity check.
const last = new Map();

async function fetchText(path) {
  let response;
  try {
    response = await fetch(path);
  } catch (e) {
    throw new ApiError(`Could not reach TensorBoard (${e.message}).`);
  }
  const text = await response.text();
  if (!response.ok) throw new ApiError(text.trim().slice(0, 300) || `${response.status} ${response.statusText}`, response.status);
  return text;
}

/**
 * @param {string} path
 * @param {string} [mark]  a performance mark to set when the text has arrived
 *   (bench/bench_frontend.py times from there)
 * @param {Promise<void>} [after]  the text is parsed once this settles (see fetchRuns)
 */
async function fetchJson(path, mark, after) {
  let response;
  try {
    response = await fetch(path, { headers: { Accept: "application/json" } });
  } catch (e) {
    throw new ApiError(`Could not reach TensorBoard (${e.message}).`);
  }
  if (!response.ok) {
    const text = (await response.text()).trim().slice(0, 300);
    throw new ApiError(text || `${response.status} ${response.statusText}`, response.status);
  }
  const text = await response.text();
  if (mark) performance.mark(mark);
  if (after) await after;
  const age = response.headers.get(STALE_HEADER);
  const previous = last.get(path);
  let value;
  if (previous && previous.text === text) value = previous.value;
  else {
    value = JSON.parse(text);
    if (last.size >= MAX_CACHED) last.delete(last.keys().next().value);
    last.set(path, { text, value });
  }
  if (age === null) {
    staleAges.delete(value);
    stalePaths.delete(path);
  } else {
    staleAges.set(value, Number(age));
    stalePaths.add(path);
  }
  return value;
}

/** The response header of a stale answer (tb_plugin/refresh.py): its age in seconds. */
export const STALE_HEADER = "X-Rungroups-Stale";

// Answers that came stale (asked with allow_stale), to their age in seconds. An answer
// whose text comes again fresh is the same object (`last`): it is fresh from then on.
const staleAges = new WeakMap();
// Paths whose last answer came stale (see clearStale).
const stalePaths = new Set();

/**
 * How old a stale answer was when it came (seconds), or null when it is fresh.
 * @param {object|null} answer  a value this module returned
 * @returns {number|null}
 */
export function staleAge(answer) {
  return answer && typeof answer === "object" && staleAges.has(answer) ? staleAges.get(answer) : null;
}

// The first view's routes answer at once with their last answer, marked stale, while
// the fresh one is computed (app.js asks again until every answer is fresh).
const STALE_OK = "allow_stale=true";

/**
 * GETs a route once and caches its promise until `clearCache()` (failures are
 * not cached).
 * @param {string} path
 * @param {string} [mark]  see fetchJson
 * @param {Promise<void>} [after]  see fetchJson (an answer cached already is not held back)
 * @returns {Promise<any>}
 */
function cached(path, mark, after) {
  let promise = cache.get(path);
  if (!promise) {
    promise = fetchJson(path, mark, after);
    promise.catch(() => cache.delete(path));
    keep(path, promise);
  }
  return promise;
}

/** Caches `promise` as the answer of `path`, the oldest entry out once `MAX_CACHED` are kept. */
function keep(path, promise) {
  if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value);
  cache.set(path, promise);
}

/** Forgets every cached answer: TensorBoard reloaded its data. */
export function clearCache() {
  cache.clear();
}

/**
 * Forgets the cached answers that came stale, keeping the fresh ones: the tab asks
 * again only for what is still refreshing (asking again for everything, each route
 * could come back stale in turn while the others refresh, and never all fresh at once).
 */
export function clearStale() {
  for (const path of stalePaths) cache.delete(path);
}

/**
 * Every run with its parsed fields, metadata and status (`/runs`), without how each was
 * read (half the answer: the run panel takes a run's from `/run`). The backend keeps this
 * query warm (tb_plugin/warm.py's FIRST_VIEW_RUNS).
 * @param {Promise<void>} [after]  asked now, but parsed (megabytes of JSON at 10,000 runs)
 *   only once this settles: app.js passes "the first view is on screen". It must settle.
 */
export function fetchRuns(after) {
  return cached(`./runs?${STALE_OK}&read=false`, undefined, after);
}

/** Every grouping field with its values, and the default grouping (`/fields`). */
export function fetchFields() {
  return cached(`./fields?${STALE_OK}`);
}

/** Scalar tags with their goals and splits (`/tags`). */
export function fetchTags() {
  return cached(`./tags?${STALE_OK}`);
}

/**
 * Groups, members and statistics for a state (`/groups`).
 * @param {object} state
 * @param {object} [curves]  also answer with the chart's curves and the first
 *   rows' sparklines (see state.tableCurvesQuery)
 */
export function fetchGroups(state, curves = undefined) {
  // With curves: the first view's request, which may answer stale (see STALE_OK).
  const extra = curves ? `&${tableCurvesQuery(curves)}&${STALE_OK}` : "";
  return cached(`./groups?${groupsQuery(state)}${extra}`, "rg-groups-data");
}

/**
 * Keeps a fresh first view's /groups answer (asked with `auto_metric` and the chart's
 * curves) as the answer of the plain `fetchGroups(state)` for its metric: coming back to
 * the default view after another grouping asks for nothing.
 * @param {object} state  the query state, its metric the one the answer chose
 * @param {object} answer
 */
export function primeGroups(state, answer) {
  keep(`./groups?${groupsQuery(state)}`, Promise.resolve(answer));
}

/**
 * Mean curves of some groups (`/curves`).
 * @param {object} state
 * @param {string[]|null} keys  the groups' keys (from /groups), null for all
 * @param {number} maxPoints
 * @param {{smoothing?: number, x?: string, lines?: boolean}} [curve]  see curvesQuery
 * @param {string} [mark]  a performance mark set when the answer's text arrives
 */
export function fetchCurves(state, keys, maxPoints, curve = {}, mark = undefined) {
  return cached(`./curves?${curvesQuery(state, keys, maxPoints, curve)}`, mark);
}

/**
 * The `fetchCurves` answer with these arguments if it is cached (primed by the first
 * view's /groups), else null: nothing is fetched.
 * @param {object} state
 * @param {string[]} keys
 * @param {number} maxPoints
 * @param {{smoothing?: number, x?: string, lines?: boolean}} [curve]
 * @returns {Promise<object>|null}
 */
export function cachedCurves(state, keys, maxPoints, curve = {}) {
  return cache.get(`./curves?${curvesQuery(state, keys, maxPoints, curve)}`) || null;
}

/**
 * Keeps a `/curves` answer that came with another one (`/groups` with curves) as
 * the answer of the `fetchCurves` call with the same arguments.
 * @param {object} state
 * @param {string[]} keys
 * @param {number} maxPoints
 * @param {{smoothing?: number, x?: string, lines?: boolean}} curve
 * @param {object} answer
 */
export function primeCurves(state, keys, maxPoints, curve, answer) {
  keep(`./curves?${curvesQuery(state, keys, maxPoints, curve)}`, Promise.resolve(answer));
}

/**
 * Any route's answer, cached (a view's: `effects?…`, `benchmark?…`).
 * @param {string} path  relative to the plugin, with its query string
 */
export function fetchPath(path) {
  return cached(`./${path}`);
}

/**
 * One run in detail (`/run`).
 * @param {string} run
 */
export function fetchRun(run) {
  return cached(`./run?${new URLSearchParams({ run }).toString()}`);
}

/**
 * The table of a state as a file (`/export`): the same text as
 * `tb-rungroups ls --format F` for the same view. Not cached (a copy or a
 * download is asked for once).
 * @param {object} state
 * @param {string} format  csv, json, markdown or latex
 * @returns {Promise<string>}
 */
export function fetchExport(state, format) {
  return fetchText(`./export?${exportQuery(state, format)}`);
}

/**
 * Whether the tab may edit, and its token (`GET /edit`, never cached: a new
 * TensorBoard has a new token).
 * @returns {Promise<{allowed: boolean, token: string|null}>}
 */
export async function fetchEdit() {
  return JSON.parse(await fetchText("./edit"));
}

/** The header `POST /annotate` wants the `/edit` token in (tb_plugin/editing.py). */
export const TOKEN_HEADER = "X-Rungroups-Token";

/**
 * Changes notes, tags and status (`POST /annotate`; http_api.md): JSON with
 * the token; the browser sends the tab's own Origin. Forgets cached answers
 * (the runs' metadata changed).
 * @param {object} body  one change, or {changes: [...]} (an answer's `undo`)
 * @param {string} token  from fetchEdit
 * @returns {Promise<{runs: object, undo: object|null}>}
 * @throws {ApiError}  with the backend's message (403, 400, 404)
 */
export async function postAnnotate(body, token) {
  let response;
  try {
    response = await fetch("./annotate", {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json", [TOKEN_HEADER]: token },
      body: JSON.stringify(body),
      cache: "no-store",
    });
  } catch (e) {
    throw new ApiError(`Could not reach TensorBoard (${e.message}).`);
  }
  const text = await response.text();
  if (!response.ok) throw new ApiError(text.trim().slice(0, 300) || `${response.status} ${response.statusText}`, response.status);
  clearCache();
  return JSON.parse(text);
}
