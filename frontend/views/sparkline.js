// A group's mean curve drawn small as an SVG path (no chart library needed).
// SVG rather than a canvas: a canvas per table row costs the compositor a
// resource each, and rows are rebuilt whenever the table scrolls or sorts.

import { toNumber } from "../format.js";

const SVG_NS = "http://www.w3.org/2000/svg";
export const SPARK_WIDTH = 80;
export const SPARK_HEIGHT = 20;

/**
 * The SVG path data of a curve's mean in a width x height box (1px margin),
 * y growing downwards; a missing or non-finite value lifts the pen.
 * @param {{steps: number[], mean: unknown[]}} curve
 * @param {number} width
 * @param {number} height
 * @returns {string}  "" when fewer than two steps or no finite value
 */
export function sparklinePath(curve, width, height) {
  if (!curve || !curve.steps || curve.steps.length < 2) return "";
  const xs = curve.steps;
  const ys = curve.mean.map(toNumber);
  let lo = Infinity;
  let hi = -Infinity;
  for (const y of ys) {
    if (y !== null && Number.isFinite(y)) {
      lo = Math.min(lo, y);
      hi = Math.max(hi, y);
    }
  }
  if (!Number.isFinite(lo)) return "";
  const x0 = xs[0];
  const dx = xs[xs.length - 1] - x0 || 1;
  const dy = hi - lo || 1;
  const parts = [];
  let pen = false;
  for (let i = 0; i < xs.length; i++) {
    const y = ys[i];
    if (y === null || !Number.isFinite(y)) {
      pen = false;
      continue;
    }
    const px = ((xs[i] - x0) / dx) * (width - 2) + 1;
    const py = height - 1 - ((y - lo) / dy) * (height - 2);
    parts.push(`${pen ? "L" : "M"}${px.toFixed(1)} ${py.toFixed(1)}`);
    pen = true;
  }
  return parts.join("");
}

/**
 * An <svg> of the mean of a /curves curve.
 * @param {{steps: number[], mean: unknown[]}} curve
 * @param {string} color  CSS colour (the group's, or the theme's accent)
 * @param {string} className
 * @returns {SVGSVGElement}
 */
export function buildSparkline(curve, color, className) {
  const svg = document.createElementNS(SVG_NS, "svg");
  svg.setAttribute("class", className);
  svg.setAttribute("width", String(SPARK_WIDTH));
  svg.setAttribute("height", String(SPARK_HEIGHT));
  svg.setAttribute("viewBox", `0 0 ${SPARK_WIDTH} ${SPARK_HEIGHT}`);
  svg.setAttribute("aria-hidden", "true");
  const d = sparklinePath(curve, SPARK_WIDTH, SPARK_HEIGHT);
  if (d) {
    const path = document.createElementNS(SVG_NS, "path");
    path.setAttribute("d", d);
    path.setAttribute("fill", "none");
    path.setAttribute("stroke", color);
    path.setAttribute("stroke-width", "1.5");
    path.setAttribute("stroke-linejoin", "round");
    svg.append(path);
  }
  return svg;
}
