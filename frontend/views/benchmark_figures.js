// The Across tasks view's figures (views/benchmark.js): each picture laid out once
// as a "scene" (plain shapes: tag, attributes, text); `sceneElement` draws it with
// createElementNS (text via textContent) and `sceneSvg` writes the same scene as a
// standalone SVG file (text escaped), so the export is exactly what the tab shows.
// The layout functions are pure and tested with node --test (frontend/tests/benchmark.test.js).

import { escapeXml, niceTicks } from "../chart_svg.js";
import { assignColors } from "../colors.js";
import { fixed, formatG4, formatNumber, toNumber } from "../format.js";

const SVG_NS = "http://www.w3.org/2000/svg";

/**
 * A scene as a standalone SVG document (text escaped: it never goes through the DOM).
 * @param {{width: number, height: number, items: object[]}} scene
 * @param {{background?: string}} [options]
 * @returns {string}
 */
export function sceneSvg(scene, options = {}) {
  const write = (item) => {
    const attrs = Object.entries(item.attrs || {})
      .map(([k, v]) => ` ${k}="${escapeXml(v)}"`)
      .join("");
    const inner = (item.children || []).map(write).join("") + (item.text !== undefined ? escapeXml(item.text) : "");
    return `<${item.tag}${attrs}>${inner}</${item.tag}>`;
  };
  const { width, height } = scene;
  const bg = options.background ? `<rect width="${width}" height="${height}" fill="${escapeXml(options.background)}"></rect>` : "";
  return `<svg xmlns="${SVG_NS}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Roboto, Helvetica, Arial, sans-serif" font-size="12">${bg}${scene.items.map(write).join("")}</svg>`;
}

/**
 * A scene as an <svg> element (attributes by setAttribute, text by textContent).
 * @param {{width: number, height: number, items: object[]}} scene
 * @param {string} className
 * @param {string} label  accessible name
 * @returns {SVGSVGElement}
 */
export function sceneElement(scene, className, label) {
  const make = (item) => {
    const node = document.createElementNS(SVG_NS, item.tag);
    for (const [k, v] of Object.entries(item.attrs || {})) node.setAttribute(k, String(v));
    for (const child of item.children || []) node.appendChild(make(child));
    if (item.text !== undefined) node.textContent = item.text;
    return node;
  };
  const svg = document.createElementNS(SVG_NS, "svg");
  svg.setAttribute("class", className);
  svg.setAttribute("width", String(scene.width));
  svg.setAttribute("height", String(scene.height));
  svg.setAttribute("viewBox", `0 0 ${scene.width} ${scene.height}`);
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", label);
  for (const item of scene.items) svg.appendChild(make(item));
  return svg;
}

const r1 = (v) => Math.round(v * 10) / 10;

/**
 * An interval bar for a table cell: the interval as a line, the estimate as a dot.
 * @param {object|null} estimate
 * @param {[number, number]|null} range  the column's scale
 * @param {{width?: number, height?: number, color?: string}} [options]
 * @returns {{width: number, height: number, items: object[]}}
 */
export function intervalBarScene(estimate, range, options = {}) {
  const width = options.width || 90;
  const height = options.height || 12;
  const color = options.color || "currentColor";
  const scene = { width, height, items: [] };
  const value = estimate ? toNumber(estimate.value) : null;
  if (!range || value === null || !Number.isFinite(value)) return scene;
  const [lo, hi] = range;
  const x = (v) => r1(3 + ((v - lo) / (hi - lo || 1)) * (width - 6));
  const low = toNumber(estimate.ci_low);
  const high = toNumber(estimate.ci_high);
  const y = height / 2;
  if (low !== null && high !== null && Number.isFinite(low) && Number.isFinite(high)) {
    scene.items.push({ tag: "line", attrs: { class: "rg-benchmark-ci", x1: x(low), x2: x(high), y1: y, y2: y, stroke: color, "stroke-width": 2 } });
  }
  scene.items.push({ tag: "circle", attrs: { class: "rg-benchmark-point", cx: x(value), cy: y, r: 3, fill: color } });
  return scene;
}

const PROFILE = { left: 52, right: 16, top: 12, bottom: 40, legend: 18 };

/**
 * The performance profiles: per method the fraction of (run, task) scores
 * above τ, as a step-free line over the τ grid, with its bootstrap band.
 * @param {object} answer
 * @param {{width?: number, height?: number, colors?: Map<string, string>, foreground?: string, grid?: string}} [options]
 * @returns {{width: number, height: number, items: object[]}}
 */
export function profilesScene(answer, options = {}) {
  const width = options.width || 560;
  const plot = options.height || 260;
  const fg = options.foreground || "#212121";
  const gridColor = options.grid || "#e0e0e0";
  const profiles = answer.profiles || {};
  const tau = (profiles.tau || []).map(toNumber);
  const methods = answer.methods.map((m) => m.method).filter((m) => profiles[m]);
  const colors = options.colors || methodColors(answer);
  const height = PROFILE.top + plot + PROFILE.bottom + methods.length * PROFILE.legend;
  const pw = width - PROFILE.left - PROFILE.right;
  const t0 = tau.length ? tau[0] : 0;
  const t1 = tau.length ? tau[tau.length - 1] : 1;
  const sx = (v) => r1(PROFILE.left + ((v - t0) / (t1 - t0 || 1)) * pw);
  const sy = (v) => r1(PROFILE.top + plot - v * plot);
  const items = [];
  const axes = { tag: "g", attrs: { class: "rg-benchmark-axes", stroke: gridColor, "stroke-width": 1 }, children: [] };
  const ticks = { tag: "g", attrs: { class: "rg-benchmark-ticks", fill: fg }, children: [] };
  for (const v of [0, 0.25, 0.5, 0.75, 1]) {
    axes.children.push({ tag: "line", attrs: { x1: PROFILE.left, x2: PROFILE.left + pw, y1: sy(v), y2: sy(v) } });
    ticks.children.push({ tag: "text", attrs: { x: PROFILE.left - 6, y: sy(v) + 4, "text-anchor": "end" }, text: String(v) });
  }
  for (const v of niceTicks(t0, t1, 6)) {
    axes.children.push({ tag: "line", attrs: { x1: sx(v), x2: sx(v), y1: PROFILE.top, y2: PROFILE.top + plot } });
    ticks.children.push({ tag: "text", attrs: { x: sx(v), y: PROFILE.top + plot + 16, "text-anchor": "middle" }, text: formatNumber(v) });
  }
  ticks.children.push({ tag: "text", attrs: { x: PROFILE.left + pw / 2, y: PROFILE.top + plot + 32, "text-anchor": "middle" }, text: `score τ${answer.normalize && answer.normalize !== "none" ? " (normalised)" : ""}` });
  ticks.children.push({ tag: "text", attrs: { x: 12, y: PROFILE.top + plot / 2, "text-anchor": "middle", transform: `rotate(-90 12 ${PROFILE.top + plot / 2})` }, text: "fraction of runs > τ" });
  items.push(axes, ticks);
  methods.forEach((method, i) => {
    const p = profiles[method];
    const color = colors.get(method) || "#1976d2";
    const pts = (ys) => tau.map((t, j) => [t, toNumber(ys[j])]).filter(([t, y]) => Number.isFinite(t) && y !== null && Number.isFinite(y));
    const upper = pts(p.upper || []);
    const lower = pts(p.lower || []);
    if (upper.length && lower.length) {
      const ring = [...upper.map(([t, y]) => `${sx(t)},${sy(y)}`), ...lower.reverse().map(([t, y]) => `${sx(t)},${sy(y)}`)];
      items.push({ tag: "polygon", attrs: { class: "rg-benchmark-band", points: ring.join(" "), fill: color, "fill-opacity": 0.18, stroke: "none" } });
    }
    const line = pts(p.y || []);
    if (line.length) {
      items.push({ tag: "polyline", attrs: { class: "rg-benchmark-profile", "data-method": method, points: line.map(([t, y]) => `${sx(t)},${sy(y)}`).join(" "), fill: "none", stroke: color, "stroke-width": 2 } });
    }
    const ly = PROFILE.top + plot + PROFILE.bottom + i * PROFILE.legend + 4;
    items.push({ tag: "line", attrs: { x1: PROFILE.left, x2: PROFILE.left + 24, y1: ly, y2: ly, stroke: color, "stroke-width": 3 } });
    items.push({ tag: "text", attrs: { class: "rg-benchmark-legend", x: PROFILE.left + 30, y: ly + 4, fill: fg }, text: method });
  });
  return { width, height, items };
}

/**
 * Demšar's critical-difference diagram laid out: the rank axis (1 on the
 * left), the CD bar, each method's tick with its label (the better half on
 * the left), and a thick bar under each clique of methods whose average ranks
 * differ by less than the critical difference.
 * @param {object} answer
 * @param {{width?: number}} [options]
 * @returns {{width: number, height: number, axis: {x1: number, x2: number, y: number, ticks: {rank: number, x: number}[]},
 *   cd: {x1: number, x2: number, y: number, value: number}|null, methods: {method: string, rank: number, x: number, y: number, side: string}[],
 *   cliques: {x1: number, x2: number, y: number, methods: string[]}[]}|null}  null without average ranks
 */
export function cdLayout(answer, options = {}) {
  const ranked = answer.methods
    .map((m) => ({ method: m.method, rank: toNumber(m.average_rank) }))
    .filter((m) => m.rank !== null && Number.isFinite(m.rank))
    .sort((a, b) => a.rank - b.rank || (a.method < b.method ? -1 : 1));
  if (ranked.length < 2) return null;
  const k = answer.methods.length;
  const width = options.width || 560;
  const side = Math.min(170, Math.round(width * 0.3));
  const x1 = side;
  const x2 = width - side;
  const x = (r) => r1(x1 + ((r - 1) / (k - 1 || 1)) * (x2 - x1));
  const cdValue = toNumber(answer.critical_difference);
  const axisY = cdValue !== null && Number.isFinite(cdValue) ? 44 : 24;
  const ticks = [];
  for (let r = 1; r <= k; r++) ticks.push({ rank: r, x: x(r) });
  const cd = cdValue !== null && Number.isFinite(cdValue) ? { x1: x(1), x2: x(Math.min(1 + cdValue, k)), y: 14, value: cdValue } : null;
  const position = new Map(ranked.map((m, i) => [m.method, i]));
  const cliques = (answer.cliques || [])
    .map((members) => members.filter((m) => position.has(m)))
    .filter((members) => members.length > 1)
    .map((members, j) => {
      const ranks = members.map((m) => ranked[position.get(m)].rank);
      return { x1: r1(x(Math.min(...ranks)) - 4), x2: r1(x(Math.max(...ranks)) + 4), y: axisY + 10 + j * 7, methods: members };
    });
  const top = axisY + 22 + cliques.length * 7;
  const half = Math.ceil(ranked.length / 2);
  const methods = ranked.map((m, i) => {
    const left = i < half;
    const row = left ? i : ranked.length - 1 - i;
    return { method: m.method, rank: m.rank, x: x(m.rank), y: top + row * 18, side: left ? "left" : "right" };
  });
  const height = top + half * 18 + 6;
  return { width, height, axis: { x1, x2, y: axisY, ticks }, cd, methods, cliques };
}

/**
 * The critical-difference diagram as a scene.
 * @param {object} answer
 * @param {{width?: number, foreground?: string, accent?: string}} [options]
 * @returns {{width: number, height: number, items: object[]}|null}
 */
export function cdScene(answer, options = {}) {
  const layout = cdLayout(answer, options);
  if (!layout) return null;
  const fg = options.foreground || "#212121";
  const accent = options.accent || "#f57c00";
  const { axis } = layout;
  const items = [{ tag: "line", attrs: { class: "rg-cd-axis", x1: axis.x1, x2: axis.x2, y1: axis.y, y2: axis.y, stroke: fg } }];
  for (const t of axis.ticks) {
    items.push({ tag: "line", attrs: { x1: t.x, x2: t.x, y1: axis.y - 5, y2: axis.y, stroke: fg } });
    items.push({ tag: "text", attrs: { x: t.x, y: axis.y - 8, "text-anchor": "middle", fill: fg }, text: String(t.rank) });
  }
  if (layout.cd) {
    const c = layout.cd;
    items.push({ tag: "line", attrs: { class: "rg-cd-bar", x1: c.x1, x2: c.x2, y1: c.y, y2: c.y, stroke: fg, "stroke-width": 2 } });
    items.push({ tag: "text", attrs: { x: c.x2 + 6, y: c.y + 4, fill: fg }, text: `CD = ${formatG4(c.value)}` });
  }
  for (const m of layout.methods) {
    const edge = m.side === "left" ? axis.x1 - 10 : axis.x2 + 10;
    items.push({ tag: "polyline", attrs: { points: `${m.x},${axis.y} ${m.x},${m.y} ${edge},${m.y}`, fill: "none", stroke: fg } });
    items.push({
      tag: "text",
      attrs: { class: "rg-cd-label", "data-method": m.method, x: m.side === "left" ? edge - 4 : edge + 4, y: m.y + 4, "text-anchor": m.side === "left" ? "end" : "start", fill: fg },
      text: `${m.method} (${fixed(m.rank, 2)})`,
    });
  }
  for (const c of layout.cliques) {
    items.push({ tag: "line", attrs: { class: "rg-cd-clique", x1: c.x1, x2: c.x2, y1: c.y, y2: c.y, stroke: accent, "stroke-width": 4, "stroke-linecap": "round" } });
  }
  return { width: layout.width, height: layout.height, items };
}

/**
 * A stable colour per method (by its group key when the answer has one).
 * @param {object} answer
 * @returns {Map<string, string>}  colour by method name
 */
export function methodColors(answer) {
  const keys = answer.methods.map((m) => m.key || m.method);
  const byKey = assignColors(keys);
  return new Map(answer.methods.map((m, i) => [m.method, byKey.get(keys[i])]));
}
