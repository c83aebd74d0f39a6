// The Across tasks view (SPEC §5d): methods compared across tasks, from a
// /benchmark answer (http_api.md), live or saved. Three parts: the aggregate
// table (each interval drawn as a bar), the performance profiles with their
// bootstrap bands, and Demšar's critical-difference diagram; plus the missing
// (method, task) cells by name, and CSV / SVG / PNG exports.
//
// Each picture is laid out once as a "scene" (plain shapes: tag, attributes,
// text); `sceneElement` draws it with createElementNS (text via textContent)
// and `sceneSvg` writes the same scene as a standalone SVG file (text
// escaped), so the export is exactly what the tab shows. The layout functions
// are pure and tested with node --test (frontend/tests/benchmark.test.js).

import { escapeXml, niceTicks } from "../chart_svg.js";
import { assignColors } from "../colors.js";
import { decimalsFor, fixed, formatG4, formatNumber, toNumber } from "../format.js";
import { toCsv } from "../group.js";
import { button, download, el } from "./dom.js";

const SVG_NS = "http://www.w3.org/2000/svg";

/** The aggregates, in the table's order, with their column titles. */
export const AGGREGATES = [
  ["mean", "Mean"],
  ["median", "Median"],
  ["iqm", "IQM"],
  ["optimality_gap", "Optimality gap"],
];

const NORMALIZATIONS = [
  ["none", "raw scores"],
  ["minmax", "min–max per task"],
  ["baseline", "relative to the baseline"],
  ["reference", "reference scores"],
];

// --- numbers ---------------------------------------------------------------------------------

/**
 * An estimate as `value [low, high]`, rounded to the digits its interval
 * supports (the rule of tb_plugin/export.py's paper_cell for a bootstrap).
 * @param {{value: unknown, ci_low: unknown, ci_high: unknown}|null} estimate
 * @returns {string}  "–" without a value
 */
export function intervalText(estimate) {
  const value = estimate ? toNumber(estimate.value) : null;
  if (value === null || Number.isNaN(value)) return "–";
  const low = toNumber(estimate.ci_low);
  const high = toNumber(estimate.ci_high);
  if (low === null || high === null || !Number.isFinite(low) || !Number.isFinite(high)) return formatG4(value);
  const half = (high - low) / 2;
  const decimals = decimalsFor(Math.min(value - low, high - value) || half);
  return `${fixed(value, decimals)} [${fixed(low, decimals)}, ${fixed(high, decimals)}]`;
}

/**
 * The methods a missing cell leaves out, by method: `{A2C: ["Hopper-v4"]}`.
 * @param {object} answer
 * @returns {Map<string, string[]>}
 */
export function missingByMethod(answer) {
  const out = new Map();
  for (const cell of answer.missing || []) {
    if (!out.has(cell.method)) out.set(cell.method, []);
    out.get(cell.method).push(cell.task);
  }
  return out;
}

/**
 * One line naming every missing (method, task), or "" when none is missing.
 * @param {object} answer
 * @returns {string}
 */
export function missingText(answer) {
  const cells = answer.missing || [];
  if (!cells.length) return "";
  return `No runs: ${cells.map((c) => `${c.method} on ${c.task}`).join(", ")}. Those methods' aggregates are over fewer tasks (the Tasks column).`;
}

/**
 * Per column, the index of the best method (the highest mean, median and IQM
 * and the lowest optimality gap and average rank when higher is better).
 * @param {object} answer
 * @returns {Record<string, number|null>}
 */
export function bestMethods(answer) {
  const higher = answer.higher_is_better !== false;
  const pick = (values, maximise) => {
    let best = null;
    values.forEach((v, i) => {
      if (v === null || Number.isNaN(v)) return;
      if (best === null || (maximise ? v > values[best] : v < values[best])) best = i;
    });
    return best;
  };
  const out = {};
  for (const [name] of AGGREGATES) {
    const values = answer.methods.map((m) => toNumber(m[name] && m[name].value));
    out[name] = name === "optimality_gap" ? (higher ? pick(values, false) : null) : pick(values, higher);
  }
  out.average_rank = pick(
    answer.methods.map((m) => toNumber(m.average_rank)),
    false,
  );
  return out;
}

/**
 * Each aggregate column's range over every method's interval (the bars' scale).
 * @param {object} answer
 * @returns {Record<string, [number, number]|null>}
 */
export function columnRanges(answer) {
  const out = {};
  for (const [name] of AGGREGATES) {
    let lo = Infinity;
    let hi = -Infinity;
    for (const m of answer.methods) {
      for (const key of ["value", "ci_low", "ci_high"]) {
        const v = toNumber(m[name] && m[name][key]);
        if (v !== null && Number.isFinite(v)) {
          lo = Math.min(lo, v);
          hi = Math.max(hi, v);
        }
      }
    }
    out[name] = Number.isFinite(lo) ? [lo, hi] : null;
  }
  return out;
}

/**
 * The table as CSV records (the columns of tb_plugin/benchmark_table.py, full precision).
 * @param {object} answer
 * @returns {string}  CSV text (RFC 4180, CRLF), formula-like cells neutralised
 */
export function benchmarkCsv(answer) {
  const missing = missingByMethod(answer);
  const level = `${+(answer.ci_level * 100).toFixed(3)}% CI`;
  const records = answer.methods.map((m) => {
    const r = { method: m.method, label: m.label ?? null, tasks: m.tasks, runs: m.runs };
    for (const [name] of AGGREGATES) {
      const e = m[name] || {};
      r[name] = e.value ?? null;
      r[`${name} ci_low (${level})`] = e.ci_low ?? null;
      r[`${name} ci_high (${level})`] = e.ci_high ?? null;
    }
    const ci = m.p_improvement_ci || {};
    r.average_rank = m.average_rank ?? null;
    r.p_improvement = m.p_improvement ?? null;
    r["p_improvement ci_low"] = ci.ci_low ?? null;
    r["p_improvement ci_high"] = ci.ci_high ?? null;
    r.missing_tasks = (missing.get(m.method) || []).join("; ");
    return r;
  });
  return toCsv(records);
}

// --- scenes: shapes drawn by the DOM or written as SVG text -----------------------------------

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

/**
 * The caption under the table: what was compared, how, and the rank test.
 * @param {object} answer
 * @returns {string}
 */
export function benchmarkCaption(answer) {
  const norm = (NORMALIZATIONS.find(([v]) => v === answer.normalize) || [null, answer.normalize])[1];
  const parts = [
    `${answer.metric} (${answer.split || "no split"}, ${answer.reduction}) over ${answer.tasks.length} tasks (${answer.task}); ${norm}; ${answer.higher_is_better === false ? "lower" : "higher"} is better`,
    `value [${+(answer.ci_level * 100).toFixed(3)}% percentile stratified bootstrap interval, ${answer.reps} resamples]`,
    `IQM: interquartile mean over runs and tasks; optimality gap at ${answer.optimality_threshold ?? 1}`,
  ];
  const ranks = `average rank over the ${(answer.rank_tasks || []).length} tasks every method has`;
  const f = answer.friedman;
  const cd = toNumber(answer.critical_difference);
  parts.push(
    f
      ? `${ranks} (Friedman χ² = ${formatG4(toNumber(f.statistic))}, p = ${formatG4(toNumber(f.p_value))}${cd !== null ? `; Nemenyi CD = ${formatG4(cd)}` : ""})`
      : ranks,
  );
  return `${parts.join("; ")}.`;
}

// --- the view ----------------------------------------------------------------------------------

/**
 * Renders an SVG text to a PNG blob (2× for sharpness) in the browser.
 * @param {string} svgText
 * @param {number} width
 * @param {number} height
 * @returns {Promise<Blob|null>}
 */
export function svgToPng(svgText, width, height) {
  return new Promise((resolve) => {
    const url = URL.createObjectURL(new Blob([svgText], { type: "image/svg+xml" }));
    const image = new Image();
    image.onload = () => {
      const canvas = document.createElement("canvas");
      canvas.width = width * 2;
      canvas.height = height * 2;
      const ctx = canvas.getContext("2d");
      ctx.scale(2, 2);
      ctx.drawImage(image, 0, 0);
      URL.revokeObjectURL(url);
      canvas.toBlob((blob) => resolve(blob), "image/png");
    };
    image.onerror = () => {
      URL.revokeObjectURL(url);
      resolve(null);
    };
    image.src = url;
  });
}

function theme(node) {
  const read = (name, fallback) => {
    if (typeof getComputedStyle !== "function" || !node.isConnected) return fallback;
    return getComputedStyle(node).getPropertyValue(name).trim() || fallback;
  };
  return { foreground: read("--rg-fg", "#212121"), grid: read("--rg-border", "#e0e0e0"), accent: read("--rg-accent", "#f57c00"), background: read("--rg-bg", "#ffffff") };
}

/**
 * The Across tasks view.
 *
 * `update(state, answer)`: `answer` is the /benchmark JSON (null while it
 * loads; `{error: text}` to show a failure). `state.benchmark` holds the
 * deep-linked choices `{task, normalize, baseline}`; `state.fields` (optional)
 * lists field ids the task can be. Every control calls
 * `actions.change({benchmark: {...state.benchmark, <changed>}})`.
 */
export class BenchmarkView {
  /** @param {{change: (patch: object) => void}} actions */
  constructor(actions) {
    this.element = el("section", "rg-benchmark");
    this.element.setAttribute("aria-label", "Across tasks");
    this.actions = actions;
  }

  /**
   * @param {object} state
   * @param {object|null} answer
   */
  update(state, answer) {
    const choice = (state && state.benchmark) || {};
    const controls = this.controls(state, choice, answer);
    if (!answer) {
      this.element.replaceChildren(controls, el("p", "rg-benchmark-loading", choice.task ? "Comparing methods across tasks…" : "Choose the field whose values are the tasks."));
      return;
    }
    if (answer.error) {
      this.element.replaceChildren(controls, el("p", "rg-error rg-benchmark-error", String(answer.error)));
      return;
    }
    const colors = methodColors(answer);
    const look = theme(this.element);
    const parts = [controls];
    const missing = missingText(answer);
    if (missing) parts.push(el("p", "rg-benchmark-missing", missing));
    parts.push(this.table(answer, colors), el("p", "rg-benchmark-caption", benchmarkCaption(answer)));
    const profiles = profilesScene(answer, { colors, foreground: look.foreground, grid: look.grid });
    const figures = el("div", "rg-benchmark-figures");
    const profileFigure = el("figure", "rg-benchmark-profiles");
    profileFigure.append(
      el("figcaption", "rg-benchmark-figure-title", "Performance profiles (bands: bootstrap intervals)"),
      sceneElement(profiles, "rg-benchmark-profiles-svg", "Performance profiles"),
      this.exports("profiles", profiles, look),
    );
    figures.append(profileFigure);
    const cd = cdScene(answer, { foreground: look.foreground, accent: look.accent });
    const cdFigure = el("figure", "rg-benchmark-cd");
    cdFigure.append(el("figcaption", "rg-benchmark-figure-title", "Critical difference diagram (Nemenyi)"));
    if (cd) cdFigure.append(sceneElement(cd, "rg-benchmark-cd-svg", "Critical difference diagram"), this.exports("critical-difference", cd, look));
    else cdFigure.append(el("p", "rg-benchmark-note", "Ranks need at least two methods with runs on a common task."));
    figures.append(cdFigure);
    parts.push(figures);
    this.element.replaceChildren(...parts);
  }

  controls(state, choice, answer) {
    const bar = el("div", "rg-benchmark-controls");
    const change = (patch) => this.actions.change({ benchmark: { ...choice, ...patch } });
    const fields = (state && state.fields) || [];
    const task = el("select", "rg-select rg-benchmark-task");
    task.setAttribute("aria-label", "Task field");
    task.add(new Option("(choose)", "", false, !choice.task));
    for (const f of fields) task.add(new Option(f, f, false, f === choice.task));
    if (choice.task && !fields.includes(choice.task)) task.add(new Option(choice.task, choice.task, false, true));
    task.addEventListener("change", () => change({ task: task.value || null }));
    const normalize = el("select", "rg-select rg-benchmark-normalize");
    normalize.setAttribute("aria-label", "Normalisation");
    for (const [v, text] of NORMALIZATIONS) normalize.add(new Option(text, v, false, v === (choice.normalize || "none")));
    normalize.addEventListener("change", () => change({ normalize: normalize.value }));
    const baseline = el("select", "rg-select rg-benchmark-baseline");
    baseline.setAttribute("aria-label", "Baseline method");
    baseline.add(new Option("(no baseline)", "", false, !choice.baseline));
    for (const m of (answer && answer.methods) || []) baseline.add(new Option(m.method, m.method, false, m.method === choice.baseline));
    baseline.addEventListener("change", () => change({ baseline: baseline.value || null }));
    const label = (text, control) => {
      const l = el("label", "rg-field");
      l.append(el("span", "rg-field-label", text), control);
      return l;
    };
    bar.append(label("Tasks", task), label("Normalise", normalize), label("Baseline", baseline));
    if (answer && answer.methods) {
      bar.append(button("rg-benchmark-csv", "CSV", () => download("benchmark.csv", benchmarkCsv(answer), "text/csv"), "Download the table as CSV"));
    }
    return bar;
  }

  table(answer, colors) {
    const table = el("table", "rg-table rg-benchmark-table");
    const head = el("tr");
    const titles = ["Method", "Tasks", ...AGGREGATES.map(([, t]) => t), "Avg. rank"];
    if (answer.baseline) titles.push(`P(> ${answer.baseline})`);
    for (const t of titles) head.append(el("th", "", t));
    const thead = el("thead");
    thead.append(head);
    const body = el("tbody");
    const best = bestMethods(answer);
    const ranges = columnRanges(answer);
    const missing = missingByMethod(answer);
    answer.methods.forEach((m, i) => {
      const row = el("tr", "rg-benchmark-row");
      row.dataset.method = m.method;
      const name = el("td", "rg-benchmark-method");
      const swatch = el("span", "rg-benchmark-swatch");
      swatch.style.background = colors.get(m.method) || "";
      name.append(swatch, document.createTextNode(m.method));
      if (m.label) name.title = m.label;
      const tasks = el("td", "rg-benchmark-tasks", `${m.tasks}/${answer.tasks.length}`);
      if (missing.has(m.method)) {
        tasks.classList.add("rg-benchmark-partial");
        tasks.title = `No runs on ${missing.get(m.method).join(", ")}`;
      }
      row.append(name, tasks);
      for (const [agg] of AGGREGATES) {
        const cell = el("td", `rg-benchmark-cell${best[agg] === i ? " rg-benchmark-best" : ""}`);
        cell.append(el("span", "rg-benchmark-value", intervalText(m[agg])));
        cell.append(sceneElement(intervalBarScene(m[agg], ranges[agg], { color: colors.get(m.method) }), "rg-benchmark-bar", `${agg} interval`));
        row.append(cell);
      }
      const rank = toNumber(m.average_rank);
      row.append(el("td", `rg-benchmark-rank${best.average_rank === i ? " rg-benchmark-best" : ""}`, rank === null ? "–" : fixed(rank, 2)));
      if (answer.baseline) {
        const p = toNumber(m.p_improvement);
        const ci = m.p_improvement_ci || {};
        row.append(el("td", "rg-benchmark-p", p === null ? "–" : intervalText({ value: p, ci_low: ci.ci_low, ci_high: ci.ci_high })));
      }
      body.append(row);
    });
    table.append(thead, body);
    return table;
  }

  exports(name, scene, look) {
    const box = el("div", "rg-benchmark-exports");
    const svgText = () => sceneSvg(scene, { background: look.background });
    box.append(
      button("rg-benchmark-svg", "SVG", () => download(`${name}.svg`, svgText(), "image/svg+xml"), `Download the ${name} figure as SVG`),
      button(
        "rg-benchmark-png",
        "PNG",
        async () => {
          const blob = await svgToPng(svgText(), scene.width, scene.height);
          if (blob) download(`${name}.png`, blob, "image/png"); // a Blob is a Blob part too
        },
        `Download the ${name} figure as PNG`,
      ),
    );
    return box;
  }
}
