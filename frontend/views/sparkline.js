// A group's mean curve drawn small on a canvas (no chart library needed).

import { toNumber } from "../format.js";

/**
 * Draws the mean of a /curves curve into a canvas.
 * @param {HTMLCanvasElement} canvas
 * @param {{steps: number[], mean: unknown[]}} curve
 * @param {string|null} color  CSS colour, or the theme's accent
 */
export function drawSparkline(canvas, curve, color) {
  const ctx = canvas.getContext("2d");
  if (!ctx || !curve || !curve.steps || curve.steps.length < 2) return;
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
  if (!Number.isFinite(lo)) return;
  const w = canvas.width;
  const h = canvas.height;
  const x0 = xs[0];
  const dx = xs[xs.length - 1] - x0 || 1;
  const dy = hi - lo || 1;
  ctx.clearRect(0, 0, w, h);
  ctx.strokeStyle = color || getComputedStyle(canvas).getPropertyValue("--rg-accent").trim() || "#f57c00";
  ctx.lineWidth = 1.5;
  ctx.beginPath();
  let pen = false;
  for (let i = 0; i < xs.length; i++) {
    const y = ys[i];
    if (y === null || !Number.isFinite(y)) {
      pen = false;
      continue;
    }
    const px = ((xs[i] - x0) / dx) * (w - 2) + 1;
    const py = h - 1 - ((y - lo) / dy) * (h - 2);
    if (pen) ctx.lineTo(px, py);
    else ctx.moveTo(px, py);
    pen = true;
  }
  ctx.stroke();
}
