// Pure curve helpers for the chart (tested with node --test): aligning the
// groups' curves on one x grid for uPlot, the band of a point, the value of a
// group at a hovered x, and the charted aggregate as CSV records.

import { toNumber } from "./format.js";

/** The bands the chart can draw, with their names in the band select. */
export const BANDS = [
  ["minmax", "min–max"],
  ["std", "± std"],
  ["ci", "confidence interval"],
  ["none", "none"],
];

/** The x axes of /curves, with their labels and CSV column names. */
export const X_AXES = {
  step: { label: "step", column: "step" },
  relative: { label: "hours since the run's start", column: "relative_hours" },
  wall: { label: "wall time", column: "wall_time" },
};

/**
 * A curve's x values: `x` as /curves gives it (`steps` from older answers).
 * @param {{x?: number[], steps?: number[]}} curve
 * @returns {number[]}
 */
export function curveX(curve) {
  return (curve && (curve.x || curve.steps)) || [];
}

function finite(v) {
  const n = toNumber(v);
  return n === null || !Number.isFinite(n) ? null : n;
}

/**
 * The band of a curve's point j: [lower, upper], each null where the band is
 * undefined (a std or interval over fewer than two runs).
 * @param {object} curve  a /curves curve
 * @param {number} j
 * @param {string} band  "minmax", "std", "ci" or "none"
 * @returns {[number|null, number|null]}
 */
export function bandAt(curve, j, band) {
  if (band === "minmax") return [finite(curve.min[j]), finite(curve.max[j])];
  if (band === "ci") return [finite(curve.ci_low && curve.ci_low[j]), finite(curve.ci_high && curve.ci_high[j])];
  if (band === "std") {
    const m = finite(curve.mean[j]);
    const sd = finite(curve.std[j]);
    return m === null || sd === null ? [null, null] : [m - sd, m + sd];
  }
  return [null, null];
}

/**
 * Aligns curves on the union of their x values (no interpolation here: the
 * backend already aligned each group's runs; a curve is null where it has no
 * point) and computes each one's band and, when given, its unsmoothed mean.
 * @param {{curve: object, raw?: object|null}[]} series
 * @param {string} band  "minmax", "std", "ci" or "none"
 * @param {boolean} log  drop values <= 0 (a log axis cannot show them)
 * @returns {{x: number[], lines: {mean: (number|null)[], lo: (number|null)[],
 *   hi: (number|null)[], raw: (number|null)[]|null}[]}}
 */
export function alignCurves(series, band, log) {
  const xSet = new Set();
  for (const s of series) {
    for (const x of curveX(s.curve)) xSet.add(x);
    if (s.raw) for (const x of curveX(s.raw)) xSet.add(x);
  }
  const x = Float64Array.from(xSet).sort();
  const at = new Map();
  x.forEach((v, i) => at.set(v, i));
  const ok = (v) => (v === null || (log && v <= 0) ? null : v);
  const lines = series.map((s) => {
    const c = s.curve;
    const n = x.length;
    const mean = new Array(n).fill(null);
    const lo = new Array(n).fill(null);
    const hi = new Array(n).fill(null);
    curveX(c).forEach((xv, j) => {
      const i = at.get(xv);
      mean[i] = ok(finite(c.mean[j]));
      if (band !== "none") {
        const [l, h] = bandAt(c, j, band);
        lo[i] = ok(l);
        hi[i] = ok(h);
      }
    });
    let raw = null;
    if (s.raw) {
      raw = new Array(n).fill(null);
      curveX(s.raw).forEach((xv, j) => {
        raw[at.get(xv)] = ok(finite(s.raw.mean[j]));
      });
    }
    return { mean, lo, hi, raw };
  });
  return { x: Array.from(x), lines };
}

/**
 * The index of the x value closest to `x` in an increasing array (binary
 * search), or -1 for an empty array.
 * @param {ArrayLike<number>} xs
 * @param {number} x
 * @returns {number}
 */
export function nearestIndex(xs, x) {
  const n = xs.length;
  if (!n) return -1;
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (xs[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  if (lo > 0 && Math.abs(xs[lo - 1] - x) <= Math.abs(xs[lo] - x)) return lo - 1;
  return lo;
}

/**
 * What the hover readout shows for one group at a hovered x: its point
 * nearest to x (as TensorBoard's Time Series picks a run's nearest point).
 * @param {object} curve  a /curves curve
 * @param {number} x
 * @param {string} band
 * @returns {{x: number, mean: number|null, lo: number|null, hi: number|null,
 *   count: number}|null}  null when the curve has no point
 */
export function pointAt(curve, x, band) {
  const xs = curveX(curve);
  const j = nearestIndex(xs, x);
  if (j < 0) return null;
  const [lo, hi] = bandAt(curve, j, band === "none" ? "minmax" : band);
  return { x: xs[j], mean: finite(curve.mean[j]), lo, hi, count: curve.count[j] };
}

/**
 * The charted aggregate as records (group, x, mean, lower, upper, count): the
 * numbers of /curves as they arrived, one record per point; lower and upper
 * are the band shown (min–max when none is).
 * @param {{title?: string, label: string, curve: object}[]} series
 * @param {string} band
 * @param {string} axis  "step", "relative" or "wall"
 * @returns {object[]}
 */
export function aggregateRecords(series, band, axis) {
  const column = (X_AXES[axis] || X_AXES.step).column;
  const records = [];
  const which = band === "none" ? "minmax" : band;
  for (const s of series) {
    const c = s.curve;
    curveX(c).forEach((xv, j) => {
      const [lower, upper] = bandAt(c, j, which);
      records.push({
        group: s.title || s.label,
        [column]: xv,
        mean: finite(c.mean[j]),
        lower,
        upper,
        count: c.count[j],
      });
    });
  }
  return records;
}
