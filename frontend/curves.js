// Pure curve alignment for the chart (tested with node --test).

import { toNumber } from "./format.js";

/**
 * Aligns curves on the union of their steps (no interpolation: a curve is
 * null where it has no point) and computes each one's band.
 * @param {{curve: object}[]} series
 * @param {string} band  "minmax", "std" or "none"
 * @param {boolean} log  drop values <= 0 (a log axis cannot show them)
 * @returns {{x: number[], lines: {mean: (number|null)[], lo: (number|null)[], hi: (number|null)[]}[]}}
 */
export function alignCurves(series, band, log) {
  const stepSet = new Set();
  for (const s of series) for (const step of s.curve.steps) stepSet.add(step);
  const x = [...stepSet].sort((a, b) => a - b);
  const at = new Map(x.map((step, i) => [step, i]));
  const ok = (v) => (v === null || !Number.isFinite(v) || (log && v <= 0) ? null : v);
  const lines = series.map((s) => {
    const c = s.curve;
    const mean = new Array(x.length).fill(null);
    const lo = new Array(x.length).fill(null);
    const hi = new Array(x.length).fill(null);
    c.steps.forEach((step, j) => {
      const i = at.get(step);
      const m = toNumber(c.mean[j]);
      mean[i] = ok(m);
      if (band === "std") {
        const sd = toNumber(c.std[j]);
        if (m !== null && sd !== null) {
          lo[i] = ok(m - sd);
          hi[i] = ok(m + sd);
        }
      } else if (band === "minmax") {
        lo[i] = ok(toNumber(c.min[j]));
        hi[i] = ok(toNumber(c.max[j]));
      }
    });
    return { mean, lo, hi };
  });
  return { x, lines };
}
