// The chart as a standalone SVG document, for "Export SVG" (tested with node
// --test). Pure: numbers and labels in, text out. Every group is one <path>
// (its mean), its band a <polygon>, its unsmoothed mean and its runs
// <polyline>s; the legend is drawn below the plot. Text is escaped here,
// since this string never goes through the DOM.

import { formatNumber } from "./format.js";

const MARGIN = { left: 70, right: 20, top: 14, bottom: 44 };
const LEGEND_LINE = 18;

/**
 * Escapes text for SVG/XML content and attribute values.
 * @param {unknown} text
 * @returns {string}
 */
export function escapeXml(text) {
  return String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

/**
 * About `count` round tick values between lo and hi (1, 2, 5 times a power of ten).
 * @param {number} lo
 * @param {number} hi
 * @param {number} [count]
 * @returns {number[]}
 */
export function niceTicks(lo, hi, count = 5) {
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || hi <= lo) return Number.isFinite(lo) ? [lo] : [];
  const raw = (hi - lo) / count;
  const p = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw) || 10 * p;
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

function logTicks(lo, hi) {
  const out = [];
  for (let e = Math.ceil(Math.log10(lo)); e <= Math.floor(Math.log10(hi)); e++) out.push(10 ** e);
  return out.length ? out : [lo, hi];
}

const num = (v) => (Math.round(v * 10) / 10).toFixed(1);

/**
 * Builds the SVG text of a chart.
 * @param {{width: number, plotHeight: number, xLabel: string, yLabel: string, log: boolean,
 *   xRange: [number, number], yRange: [number, number], xTick?: (v: number) => string,
 *   background?: string, foreground?: string, grid?: string,
 *   x: number[], series: {label: string, color: string, mean: (number|null)[],
 *   lo?: (number|null)[], hi?: (number|null)[], raw?: (number|null)[]|null,
 *   lines?: {x: number[], y: number[]}[]|null, note?: string}[]}} chart  `x` is shared by
 *   mean, lo, hi and raw (as the chart draws them); `lines` carry their own x
 * @returns {string}
 */
export function chartSvg(chart) {
  const fg = chart.foreground || "#212121";
  const bg = chart.background || "#ffffff";
  const gridColor = chart.grid || "#e0e0e0";
  const width = chart.width;
  const ph = chart.plotHeight;
  const height = MARGIN.top + ph + MARGIN.bottom + chart.series.length * LEGEND_LINE + 8;
  const pw = width - MARGIN.left - MARGIN.right;
  const [x0, x1] = chart.xRange;
  const [y0, y1] = chart.yRange;
  const ty = chart.log ? (v) => Math.log10(v) : (v) => v;
  const sx = (v) => MARGIN.left + ((v - x0) / (x1 - x0 || 1)) * pw;
  const sy = (v) => MARGIN.top + ph - ((ty(v) - ty(y0)) / (ty(y1) - ty(y0) || 1)) * ph;
  const usable = (v) => v !== null && v !== undefined && Number.isFinite(v) && (!chart.log || v > 0);
  const xTick = chart.xTick || formatNumber;
  const out = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Roboto, Helvetica, Arial, sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="${escapeXml(bg)}"/>`,
    `<defs><clipPath id="rg-plot-area"><rect x="${MARGIN.left}" y="${MARGIN.top}" width="${pw}" height="${ph}"/></clipPath></defs>`,
  );
  // Axes and grid.
  const axis = [`<g class="rg-svg-axes" stroke="${escapeXml(gridColor)}" stroke-width="1">`];
  const labels = [`<g class="rg-svg-ticks" fill="${escapeXml(fg)}">`];
  for (const v of niceTicks(x0, x1, 6)) {
    const px = num(sx(v));
    axis.push(`<line x1="${px}" y1="${MARGIN.top}" x2="${px}" y2="${MARGIN.top + ph}"/>`);
    labels.push(`<text x="${px}" y="${MARGIN.top + ph + 16}" text-anchor="middle">${escapeXml(xTick(v))}</text>`);
  }
  for (const v of chart.log ? logTicks(y0, y1) : niceTicks(y0, y1, 5)) {
    const py = num(sy(v));
    axis.push(`<line x1="${MARGIN.left}" y1="${py}" x2="${MARGIN.left + pw}" y2="${py}"/>`);
    labels.push(`<text x="${MARGIN.left - 6}" y="${py}" text-anchor="end" dominant-baseline="middle">${escapeXml(formatNumber(v))}</text>`);
  }
  axis.push(`<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${pw}" height="${ph}" fill="none"/>`, "</g>");
  labels.push(
    `<text x="${MARGIN.left + pw / 2}" y="${MARGIN.top + ph + 36}" text-anchor="middle">${escapeXml(chart.xLabel)}</text>`,
    `<text transform="translate(14 ${MARGIN.top + ph / 2}) rotate(-90)" text-anchor="middle">${escapeXml(chart.yLabel)}</text>`,
    "</g>",
  );
  out.push(...axis, ...labels);
  // Curves, clipped to the plot (a zoomed chart exports what it shows).
  out.push(`<g clip-path="url(#rg-plot-area)" fill="none" stroke-linejoin="round">`);
  for (const s of chart.series) {
    const color = escapeXml(s.color);
    for (const line of s.lines || []) {
      const pts = [];
      line.x.forEach((xv, j) => usable(line.y[j]) && pts.push(`${num(sx(xv))},${num(sy(line.y[j]))}`));
      if (pts.length > 1) out.push(`<polyline class="rg-svg-run" points="${pts.join(" ")}" stroke="${color}" stroke-width="0.75" stroke-opacity="0.35"/>`);
    }
    if (s.lo && s.hi) {
      // Gaps are spanned, as on screen (a gap is another group's x).
      const upper = [];
      const lower = [];
      chart.x.forEach((xv, i) => {
        if (!usable(s.lo[i]) || !usable(s.hi[i])) return;
        upper.push(`${num(sx(xv))},${num(sy(s.hi[i]))}`);
        lower.push(`${num(sx(xv))},${num(sy(s.lo[i]))}`);
      });
      if (upper.length > 1) {
        out.push(`<polygon class="rg-svg-band" points="${[...upper, ...lower.reverse()].join(" ")}" fill="${color}" fill-opacity="0.18" stroke="none"/>`);
      }
    }
    if (s.raw) {
      const pts = [];
      chart.x.forEach((xv, i) => usable(s.raw[i]) && pts.push(`${num(sx(xv))},${num(sy(s.raw[i]))}`));
      if (pts.length > 1) out.push(`<polyline class="rg-svg-raw" points="${pts.join(" ")}" stroke="${color}" stroke-width="1" stroke-opacity="0.3"/>`);
    }
    const d = [];
    let pen = false;
    chart.x.forEach((xv, i) => {
      if (!usable(s.mean[i])) return; // gaps are spanned, as on screen
      d.push(`${pen ? "L" : "M"}${num(sx(xv))} ${num(sy(s.mean[i]))}`);
      pen = true;
    });
    out.push(`<path class="rg-svg-mean" d="${d.join("")}" stroke="${color}" stroke-width="2"><title>${escapeXml(s.label)}</title></path>`);
  }
  out.push("</g>");
  // Legend.
  out.push(`<g class="rg-svg-legend" fill="${escapeXml(fg)}">`);
  chart.series.forEach((s, i) => {
    const y = MARGIN.top + ph + MARGIN.bottom + i * LEGEND_LINE + 6;
    out.push(
      `<rect x="${MARGIN.left}" y="${y}" width="10" height="10" rx="2" fill="${escapeXml(s.color)}"/>`,
      `<text x="${MARGIN.left + 16}" y="${y + 9}">${escapeXml(s.note ? `${s.label} ${s.note}` : s.label)}</text>`,
    );
  });
  out.push("</g>", "</svg>");
  return `${out.join("\n")}\n`;
}
