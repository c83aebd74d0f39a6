// The Effects view (SPEC §5b): which fields move the metric, by how much, and
// whether beyond seed noise, drawn from an /effects answer.
//
// One SVG figure: the fields ranked by their share of the variance, each a bar
// with its bootstrap interval, the seed-noise share as a dashed reference line;
// then per field the metric against the field's value with the t interval of
// each value as an error bar (numbers on a numeric axis, logarithmic when they
// span more than two decades; other values evenly spaced; n=1 drawn as a point
// that says "n=1", never "± 0"). Clicking a field (its bar or its panel) shows
// the table grouped by it: `actions.change({view: "groups", by: [field]})`.
// The figure downloads as SVG or PNG, the numbers as CSV.
//
// The figure is first a plain tree ({tag, attrs, children, text, field}) built by
// pure functions (`effectsFigure`, tested with node --test), then either DOM
// nodes (`document.createElementNS`, text only through textContent)
// or standalone SVG text (`effectsSvg`, escaped here) for "Export SVG".
// `effectsCsv` is the CSV export: the columns and rows of
// `tb_plugin/effects_export.py`'s `to_csv`.

import { escapeXml, niceTicks } from "../chart_svg.js";
import { fixed, formatFieldValue, formatNumber, formatP, toNumber } from "../format.js";
import { groupsQuery } from "../state.js";
import { toCsv } from "../group.js";
import { button, download } from "./dom.js";
import { svgToPng } from "./svg_png.js";

const SVG_NS = "http://www.w3.org/2000/svg";

/** The figure's width in CSS pixels (the SVG scales with its box). */
export const WIDTH = 640;
const ROW = 24; // one field's bar row
const LABEL = 130; // the field-name column
const NOTE = 170; // the text column right of the bars
const PANEL = 170; // one field's metric-against-value panel
const PAD = { left: 64, right: 16, top: 26, bottom: 40 };

/**
 * The query string of `/effects` for a state: the table's metric, split,
 * reduction and filters. Not `by`: the view considers every varying setting
 * (the backend's default grouping), so grouping the table by one field does
 * not hide the others.
 * @param {object} state  as `state.defaultState()` gives it
 * @returns {string}
 */
export function effectsQuery(state) {
  const q = new URLSearchParams(groupsQuery({ ...state, by: null, more: [], baseline: null, ci: "t", autoMetric: false }));
  if (!state.metric && state.reduction && state.reduction !== "last") q.set("reduction", state.reduction);
  return q.toString();
}

/** `param.lr` is `lr`; other families keep their prefix (export.short_field). */
export function shortField(field) {
  return field.startsWith("param.") ? field.slice("param.".length) : field;
}

/** A share in percent, one decimal: "24.0%"; "–" without one. */
export function percent(share) {
  const x = toNumber(share);
  return x === null || !Number.isFinite(x) ? "–" : `${fixed(100 * x, 1)}%`;
}

/**
 * The axis of a field's values: numeric when every value is a finite number
 * (logarithmic when all are positive and they span two decades or more: the
 * largest at least 100 times the smallest, up to rounding, so 0.0003…0.03 is
 * logarithmic), else categorical (evenly spaced, in the answer's value order).
 * @param {unknown[]} values
 * @returns {{kind: "linear"|"log"|"category", lo: number, hi: number}}
 */
export function valueAxis(values) {
  const numbers = values.map((v) => (typeof v === "number" && Number.isFinite(v) ? v : null));
  if (!values.length || numbers.some((v) => v === null)) return { kind: "category", lo: 0, hi: Math.max(values.length - 1, 0) };
  const lo = Math.min(...numbers);
  const hi = Math.max(...numbers);
  if (lo > 0 && hi / lo >= 100 * (1 - 1e-9)) return { kind: "log", lo, hi };
  return { kind: "linear", lo, hi };
}

// Presentation attributes per class, so the figure reads alike in the tab and as an
// exported file (no stylesheet there). The tab's stylesheet may override them by class
// (CSS wins over presentation attributes); text and error bars follow the text colour.
const PAINT = {
  "rg-effects-svg": { "font-family": "sans-serif", "font-size": 12, fill: "currentColor" },
  "rg-effects-bar": { fill: "#90caf9" },
  "rg-effects-interval": { stroke: "currentColor", "stroke-width": 1.5 },
  "rg-effects-errorbar": { stroke: "currentColor", "stroke-width": 1.5 },
  "rg-effects-seed": { stroke: "#e53935", "stroke-width": 1.5, "stroke-dasharray": "4 3" },
  "rg-effects-seed-label": { fill: "#e53935", "font-size": 11 },
  "rg-effects-grid": { stroke: "#9e9e9e", "stroke-opacity": 0.3 },
  "rg-effects-frame": { fill: "transparent", stroke: "#9e9e9e", "stroke-opacity": 0.6 },
  "rg-effects-hit": { fill: "transparent" },
  "rg-effects-mean": { fill: "#1976d2" },
  "rg-effects-tick": { "fill-opacity": 0.7, "font-size": 11 },
  "rg-effects-n1": { "fill-opacity": 0.7, "font-size": 11 },
  "rg-effects-title": { "font-weight": 600 },
  "rg-effects-warning": { fill: "#b26a00" },
};
const BAR_FILL = { rest: "#bdbdbd", below: "#cfd8dc" };

function node(tag, attrs = {}, children = [], text) {
  const paint = PAINT[String(attrs.class || "").split(" ")[0]];
  const extra = paint ? Object.entries(paint).filter(([k]) => !(k in attrs)) : [];
  const out = { tag, attrs: { ...attrs, ...Object.fromEntries(extra) }, children };
  if (text !== undefined) out.text = String(text);
  return out;
}

const r1 = (v) => Math.round(v * 10) / 10;

function shareRows(answer, y0) {
  const fields = answer.fields || [];
  const rows = [...fields.map((f) => ({ kind: "field", f })), { kind: "rest", f: answer.rest_share || {} }];
  const seed = toNumber((answer.seed_share || {}).share);
  const highs = rows.flatMap(({ f }) => [toNumber(f.share), toNumber(f.ci_high)]).concat([seed]);
  const top = Math.min(1, Math.max(0.05, ...highs.filter((v) => v !== null && Number.isFinite(v))) * 1.05);
  const left = LABEL;
  const width = WIDTH - LABEL - NOTE;
  const x = (v) => r1(left + (Math.max(0, Math.min(v, top)) / top) * width);
  const out = [];
  const height = rows.length * ROW;
  for (const t of niceTicks(0, top, 4)) {
    out.push(node("line", { class: "rg-effects-grid", x1: x(t), x2: x(t), y1: y0, y2: y0 + height }));
    out.push(node("text", { class: "rg-effects-tick", x: x(t), y: y0 + height + 14, "text-anchor": "middle" }, [], percent(t)));
  }
  rows.forEach(({ kind, f }, i) => {
    const y = y0 + i * ROW;
    const share = toNumber(f.share);
    const low = toNumber(f.ci_low);
    const high = toNumber(f.ci_high);
    const name = kind === "field" ? shortField(f.field) : "interactions";
    const items = [
      node("rect", { class: "rg-effects-hit", x: 0, y, width: WIDTH, height: ROW }),
      node("text", { class: "rg-effects-label", x: LABEL - 8, y: y + ROW / 2 + 4, "text-anchor": "end" }, [], name),
    ];
    if (share !== null) {
      const fill = kind === "rest" ? { fill: BAR_FILL.rest } : f.below_noise ? { fill: BAR_FILL.below } : {};
      items.push(node("rect", { class: `rg-effects-bar${kind === "rest" ? " rg-effects-bar-rest" : ""}`, x: x(0), y: y + 5, width: r1(x(share) - x(0)), height: ROW - 10, ...fill }));
    }
    if (share !== null && low !== null && high !== null) {
      const attrs = { class: "rg-effects-interval", x1: x(low), x2: x(high), y1: y + ROW / 2, y2: y + ROW / 2, "data-low": low, "data-high": high };
      items.push(node("line", attrs));
      for (const v of [low, high]) items.push(node("line", { class: "rg-effects-interval", x1: x(v), x2: x(v), y1: y + 7, y2: y + ROW - 7 }));
    }
    let note;
    if (kind === "rest") note = share === null ? "" : percent(share);
    else if (share === null) note = f.df === 0 ? "not separable" : "–";
    else note = `${percent(share)}${f.below_noise ? " · below seed noise" : f.p_holm !== null && f.p_holm !== undefined ? ` · p=${formatP(f.p_holm)}` : ""}`;
    items.push(node("text", { class: "rg-effects-note", x: WIDTH - NOTE + 8, y: y + ROW / 2 + 4 }, [], note));
    const attrs = { class: `rg-effects-row${f.below_noise ? " rg-effects-below" : ""}`, "data-field": kind === "field" ? f.field : "" };
    const row = node("g", attrs, items);
    if (kind === "field") Object.assign(row, { field: f.field });
    out.push(row);
  });
  if (seed !== null) {
    const sx = x(seed);
    out.push(node("line", { class: "rg-effects-seed", x1: sx, x2: sx, y1: y0 - 6, y2: y0 + height, "data-share": seed }));
    out.push(node("text", { class: "rg-effects-seed-label", x: sx, y: y0 - 9, "text-anchor": "middle" }, [], `seed noise ${percent(seed)}`));
  }
  return { items: out, height: height + 22 };
}

function valuePanel(answer, f, y0) {
  const values = f.values || [];
  const axis = valueAxis(values.map((v) => v.value));
  const left = PAD.left;
  const right = WIDTH - PAD.right;
  const top = y0 + PAD.top;
  const bottom = y0 + PANEL - PAD.bottom;
  const ys = values.flatMap((v) => [toNumber(v.mean), toNumber(v.ci_low), toNumber(v.ci_high)]).filter((v) => v !== null && Number.isFinite(v));
  let lo = Math.min(...ys);
  let hi = Math.max(...ys);
  if (!ys.length) [lo, hi] = [0, 1];
  if (hi === lo) [lo, hi] = [lo - 0.5 * (Math.abs(lo) || 1), hi + 0.5 * (Math.abs(hi) || 1)];
  const span = hi - lo;
  [lo, hi] = [lo - span * 0.05, hi + span * 0.05];
  const y = (v) => r1(bottom - ((v - lo) / (hi - lo)) * (bottom - top));
  const inner = 24; // keep the first and last value off the frame
  let x;
  if (axis.kind === "category") x = (_, i) => r1(left + inner + (axis.hi ? (i / axis.hi) * (right - left - 2 * inner) : (right - left) / 2 - inner));
  else if (axis.kind === "log") x = (v) => r1(left + inner + ((Math.log10(v) - Math.log10(axis.lo)) / (Math.log10(axis.hi) - Math.log10(axis.lo))) * (right - left - 2 * inner));
  else x = (v) => r1(left + inner + (axis.hi > axis.lo ? ((v - axis.lo) / (axis.hi - axis.lo)) * (right - left - 2 * inner) : (right - left) / 2 - inner));
  const items = [];
  const title = `${answer.metric} by ${shortField(f.field)}${f.share !== null && f.share !== undefined ? ` (${percent(f.share)} of the variance)` : ""}`;
  items.push(node("text", { class: "rg-effects-title", x: left, y: y0 + 16 }, [], title));
  items.push(node("rect", { class: "rg-effects-frame", x: left, y: top, width: right - left, height: bottom - top }));
  for (const t of niceTicks(lo, hi, 4)) {
    items.push(node("line", { class: "rg-effects-grid", x1: left, x2: right, y1: y(t), y2: y(t) }));
    items.push(node("text", { class: "rg-effects-tick", x: left - 6, y: y(t) + 4, "text-anchor": "end" }, [], formatNumber(t)));
  }
  values.forEach((v, i) => {
    const vx = x(v.value, i);
    const label = axis.kind === "category" ? formatFieldValue(v.value) : formatNumber(v.value);
    items.push(node("text", { class: "rg-effects-tick", x: vx, y: bottom + 16, "text-anchor": "middle" }, [], label));
    const mean = toNumber(v.mean);
    const low = toNumber(v.ci_low);
    const high = toNumber(v.ci_high);
    if (mean === null || !Number.isFinite(mean)) return;
    const point = [];
    if (low !== null && high !== null) {
      const attrs = { class: "rg-effects-errorbar", x1: vx, x2: vx, y1: y(low), y2: y(high), "data-value": JSON.stringify(v.value), "data-low": low, "data-high": high };
      point.push(node("line", attrs));
      for (const end of [low, high]) point.push(node("line", { class: "rg-effects-errorbar", x1: vx - 5, x2: vx + 5, y1: y(end), y2: y(end) }));
    }
    point.push(node("circle", { class: "rg-effects-mean", cx: vx, cy: y(mean), r: 3.5, "data-value": JSON.stringify(v.value), "data-mean": mean }));
    if (v.n === 1) {
      const leftOf = vx > right - 40; // near the right edge, the label goes left of the point
      point.push(node("text", { class: "rg-effects-n1", x: leftOf ? vx - 7 : vx + 7, y: y(mean) + 4, "text-anchor": leftOf ? "end" : "start" }, [], "n=1"));
    }
    items.push(node("g", { class: "rg-effects-point" }, point));
  });
  const axisName = `${shortField(f.field)}${axis.kind === "log" ? " (log scale)" : ""}`;
  items.push(node("text", { class: "rg-effects-axis", x: (left + right) / 2, y: bottom + 32, "text-anchor": "middle" }, [], axisName));
  const panel = node("g", { class: "rg-effects-panel", "data-field": f.field, "data-axis": axis.kind }, items);
  panel.field = f.field;
  return panel;
}

/**
 * The figure of an /effects answer as a plain tree: `{tag, attrs, children,
 * text?, field?}` (`field`: clicking it groups the table by that field).
 * @param {object} answer  the /effects JSON
 * @param {object} [state]  the tab's state (its `by` marks the current field)
 * @returns {object}
 */
export function effectsFigure(answer, state = {}) {
  const children = [];
  const split = answer.split === null || answer.split === undefined ? "no split" : answer.split;
  const caption = `${answer.metric} (${split}, ${answer.reduction}): share of the variance per field, ${answer.trials} trials in ${answer.configurations} configurations`;
  children.push(node("text", { class: "rg-effects-caption", x: 8, y: 16 }, [], caption));
  let y = 44;
  const shares = shareRows(answer, y);
  children.push(node("g", { class: "rg-effects-shares" }, shares.items));
  y += shares.height;
  for (const names of answer.inseparable || []) {
    y += 16;
    const text = `${names.map(shortField).join(" and ")} always change together: these runs cannot tell their effects apart.`;
    children.push(node("text", { class: "rg-effects-warning", x: 8, y }, [], text));
  }
  y += 12;
  const current = Array.isArray(state.by) && state.by.length === 1 ? state.by[0] : null;
  for (const f of answer.fields || []) {
    const panel = valuePanel(answer, f, y);
    if (f.field === current || shortField(f.field) === current) panel.attrs.class += " rg-effects-current";
    children.push(panel);
    y += PANEL;
  }
  const height = Math.ceil(y + 8);
  return node("svg", { xmlns: SVG_NS, class: "rg-effects-svg", width: WIDTH, height, viewBox: `0 0 ${WIDTH} ${height}`, role: "img", "aria-label": caption }, children);
}

/**
 * A tree as standalone SVG text (for "Export SVG"): every attribute and text escaped.
 * @param {object} tree  from `effectsFigure`
 * @returns {string}
 */
export function svgMarkup(tree) {
  const attrs = Object.entries(tree.attrs)
    .map(([k, v]) => ` ${k}="${escapeXml(v)}"`)
    .join("");
  const inner = tree.text !== undefined ? escapeXml(tree.text) : tree.children.map(svgMarkup).join("");
  return `<${tree.tag}${attrs}>${inner}</${tree.tag}>`;
}

/**
 * The figure of an answer as a standalone SVG document.
 * @param {object} answer  the /effects JSON
 * @returns {string}
 */
export function effectsSvg(answer) {
  return `<?xml version="1.0" encoding="UTF-8"?>\n${svgMarkup(effectsFigure(answer))}\n`;
}

/**
 * The answer as CSV: the columns and rows of `tb_plugin/effects_export.py`'s
 * `to_csv` (a row per field, per value of each field, and the seed, rest and
 * main shares), through the table's CSV writer (`group.js`' `toCsv`).
 * @param {object} answer  the /effects JSON
 * @returns {string}
 */
export function effectsCsv(answer) {
  const empty = { field: null, value: null, share: null, share_ci_low: null, share_ci_high: null, df: null, f_value: null, p_value: null, p_holm: null, below_noise: null, mean: null, std: null, n: null, ci_low: null, ci_high: null };
  const records = [];
  for (const f of answer.fields || []) {
    const shares = { share: f.share, share_ci_low: f.ci_low, share_ci_high: f.ci_high };
    const test = { df: f.df, f_value: f.f_value, p_value: f.p_value, p_holm: f.p_holm, below_noise: f.below_noise };
    records.push({ kind: "field", ...empty, field: f.field, ...shares, ...test });
    for (const v of f.values || []) {
      const stats = { mean: v.mean, std: v.std, n: v.n, ci_low: v.ci_low, ci_high: v.ci_high };
      records.push({ kind: "value", ...empty, field: f.field, value: formatFieldValue(v.value), ...stats });
    }
  }
  for (const [kind, key] of [["seed", "seed_share"], ["rest", "rest_share"], ["main", "main_share"]]) {
    const s = answer[key] || {};
    records.push({ kind, ...empty, share: s.share, share_ci_low: s.ci_low, share_ci_high: s.ci_high });
  }
  return toCsv(records);
}

/**
 * Builds DOM nodes from a tree: SVG elements with createElementNS, text with
 * textContent; a node with a `field` becomes a button that calls `onField(field)`.
 * @param {object} tree
 * @param {Document} doc
 * @param {(field: string) => void} onField
 * @returns {Element}
 */
export function buildSvg(tree, doc, onField) {
  const element = doc.createElementNS(SVG_NS, tree.tag);
  for (const [k, v] of Object.entries(tree.attrs)) if (k !== "xmlns") element.setAttribute(k, String(v));
  if (tree.text !== undefined) element.textContent = tree.text;
  else for (const child of tree.children) element.appendChild(buildSvg(child, doc, onField));
  if (tree.field) {
    const field = tree.field;
    element.setAttribute("cursor", "pointer");
    element.setAttribute("role", "button");
    element.setAttribute("tabindex", "0");
    element.setAttribute("aria-label", `Group the table by ${shortField(field)}`);
    element.addEventListener("click", () => onField(field));
    element.addEventListener("keydown", (e) => {
      if (e.key === "Enter" || e.key === " ") {
        e.preventDefault();
        onField(field);
      }
    });
  }
  return element;
}

function message(doc, className, text) {
  const p = doc.createElement("p");
  p.className = className;
  p.textContent = text;
  return p;
}

/**
 * The file name of an answer's exports, without extension.
 * @param {object} answer  the /effects JSON
 * @returns {string}
 */
export function effectsStamp(answer) {
  return `run-groups-effects-${String(answer.metric || "").replace(/[^\w.-]+/g, "_")}`;
}

function exportBar(answer) {
  const bar = globalThis.document.createElement("div");
  bar.className = "rg-effects-exports";
  const stamp = effectsStamp(answer);
  const svg = () => effectsSvg(answer);
  const png = async () => {
    const { width, height } = effectsFigure(answer).attrs;
    const blob = await svgToPng(svg(), width, height);
    if (blob) download(`${stamp}.png`, blob, "image/png");
  };
  bar.append(
    button("rg-effects-svg-export", "SVG", () => download(`${stamp}.svg`, svg(), "image/svg+xml"), "Download the figure as SVG"),
    button("rg-effects-png-export", "PNG", png, "Download the figure as PNG"),
    button("rg-effects-csv-export", "CSV", () => download(`${stamp}.csv`, effectsCsv(answer), "text/csv"), "Download the shares and the per-value statistics as CSV"),
  );
  return bar;
}

/**
 * The Effects view. `update(state, answer)` draws an /effects answer (live or
 * saved); clicking a field calls `actions.change({view: "groups", by: [field]})`.
 */
export class EffectsView {
  /**
   * @param {{change: (patch: object) => void}} actions
   * @param {Document} [doc]
   */
  constructor(actions, doc = globalThis.document) {
    this.actions = actions;
    this.doc = doc;
    this.element = doc.createElement("section");
    this.element.className = "rg-effects";
  }

  /**
   * @param {object} state  the tab's state
   * @param {object|null} answer  the /effects JSON; null while it loads
   */
  update(state, answer) {
    const doc = this.doc;
    if (!answer) return this.element.replaceChildren(message(doc, "rg-effects-empty", "Loading effects…"));
    if (!(answer.fields || []).length) {
      const text = answer.trials
        ? `No setting varies among these ${answer.trials} trials: nothing to compare.`
        : "No trial has a value of this metric.";
      return this.element.replaceChildren(message(doc, "rg-effects-empty", text));
    }
    const svg = buildSvg(effectsFigure(answer, state), doc, (field) => this.actions.change({ view: "groups", by: [field] }));
    const parts = [exportBar(answer), svg];
    if (answer.excluded) parts.push(message(doc, "rg-effects-note", `${answer.excluded} trial${answer.excluded === 1 ? "" : "s"} without a finite value left out.`));
    this.element.replaceChildren(...parts);
  }
}
