// The chart of selected groups' mean curves with spread bands, read like
// TensorBoard's Time Series: a readout of every group at the hovered x, the
// unsmoothed mean faint behind the smoothed one, each run as a thin line on
// request, drag to zoom (x, y or a box), double-click to reset. The only
// module that knows uPlot. The legend and readout are our own DOM (text
// through textContent), so band series stay out of them and hiding a group
// hides its band too.

import { chartSvg } from "./chart_svg.js";
import { X_AXES, alignCurves, pointAt } from "./curves.js";
import { formatNumber, formatWallTime } from "./format.js";
import uPlot from "./vendor/uplot/uPlot.esm.js";
import { cssVar, el } from "./views/dom.js";

const STEP_INCREMENTS = [1, 2, 5].flatMap((m) => [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8].map((p) => m * p)).sort((a, b) => a - b);
const HEIGHT = 280;

function withAlpha(color, alpha) {
  const m = /^#([0-9a-f]{6})$/i.exec(color);
  if (!m) return color;
  const n = parseInt(m[1], 16);
  return `rgba(${n >> 16}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
}

/**
 * An x value as the axis shows it.
 * @param {number} v
 * @param {string} axis  "step", "relative" or "wall"
 * @returns {string}
 */
export function formatX(v, axis) {
  if (axis === "wall") return formatWallTime(v);
  if (axis === "relative") return `${formatNumber(v)} h`;
  return formatNumber(v);
}

/** The curves chart with its legend, readout and options. */
export class GroupChart {
  constructor() {
    this.element = el("div", "rg-chart");
    this.plotBox = el("div", "rg-chart-plot");
    this.readoutHead = el("div", "rg-readout-head rg-muted");
    this.legend = el("ul", "rg-legend");
    this.legend.setAttribute("aria-label", "Chart legend");
    this.element.append(this.plotBox, this.readoutHead, this.legend);
    this.plot = null;
    this.hidden = new Set();
    this.zoomed = false;
    this.shape = "";
    this.series = [];
    this.cells = new Map();
    new ResizeObserver(() => this._resize()).observe(this.plotBox);
  }

  /**
   * Draws curves.
   * @param {{key: string, label: string, title?: string, color: string, size: number,
   *   curve: object, raw?: object|null, lines?: Record<string, {x: number[], y: number[]}>|null,
   *   linesNote?: string}[]} series  `label` in the legend, `title` (the full label) on hover;
   *   `raw` the unsmoothed curve, `lines` the group's runs (per-seed curves)
   * @param {{band: string, log: boolean, metric: string, axis?: string, smoothing?: number}} options
   */
  update(series, options) {
    this.series = series;
    this.options = { axis: "step", smoothing: 0, ...options };
    this._build();
  }

  /** Rebuilds with the current theme's colours. */
  retheme() {
    if (this.options) {
      this.shape = "";
      this._build();
    }
  }

  /** Frees the chart. */
  destroy() {
    if (this.plot) this.plot.destroy();
    this.plot = null;
    this.shape = "";
  }

  /**
   * Shows the readout for the hovered x (null: nothing hovered).
   * @param {number|null} x
   */
  showReadout(x) {
    const { band, axis } = this.options;
    if (x === null || x === undefined) {
      this.readoutHead.textContent = "Hover the chart to read each group's mean, band and runs.";
      delete this.readoutHead.dataset.x;
      for (const cells of this.cells.values()) {
        cells.mean.textContent = "";
        cells.band.textContent = "";
        cells.count.textContent = "";
        delete cells.item.dataset.x;
      }
      return;
    }
    this.readoutHead.textContent = `${X_AXES[axis].label} ${formatX(x, axis)}`;
    this.readoutHead.dataset.x = String(x);
    for (const s of this.series) {
      const cells = this.cells.get(s.key);
      if (!cells) continue;
      const p = pointAt(s.curve, x, band);
      if (!p) continue;
      cells.item.dataset.x = String(p.x);
      cells.mean.textContent = p.mean === null ? "–" : formatNumber(p.mean);
      cells.band.textContent = p.lo === null || p.hi === null ? "" : `[${formatNumber(p.lo)}, ${formatNumber(p.hi)}]`;
      cells.count.textContent = `${p.count} run${p.count === 1 ? "" : "s"}`;
      cells.mean.title = p.x === x ? "" : `nearest point: ${formatX(p.x, axis)}`;
    }
  }

  /**
   * The chart as an SVG document with its legend (what is shown: zoom, hidden
   * groups and runs included).
   * @returns {string}
   */
  toSvg() {
    const { log, axis } = this.options;
    const shown = this.series.filter((s) => !this.hidden.has(s.key));
    const aligned = this.aligned;
    const sx = this.plot ? this.plot.scales.x : { min: aligned.x[0], max: aligned.x.at(-1) };
    const sy = this.plot ? this.plot.scales.y : { min: 0, max: 1 };
    return chartSvg({
      width: this.plot ? this.plot.width : 800,
      plotHeight: HEIGHT - 50,
      xLabel: X_AXES[axis].label,
      yLabel: this._yLabel(),
      log,
      xRange: [sx.min, sx.max],
      yRange: [sy.min, sy.max],
      xTick: (v) => formatX(v, axis),
      background: cssVar(this.element, "--rg-bg", "#ffffff"),
      foreground: cssVar(this.element, "--rg-fg", "#212121"),
      grid: cssVar(this.element, "--rg-border", "#e0e0e0"),
      x: aligned.x,
      series: shown.map((s) => {
        const line = aligned.lines[this.series.indexOf(s)];
        return {
          label: s.title || s.label,
          color: s.color,
          mean: line.mean,
          lo: this.options.band === "none" ? null : line.lo,
          hi: this.options.band === "none" ? null : line.hi,
          raw: line.raw,
          lines: s.lines ? Object.values(s.lines) : null,
          note: `(${s.size} run${s.size === 1 ? "" : "s"})`,
        };
      }),
    });
  }

  /**
   * The chart as a PNG with its legend below it (the plot's canvas as drawn).
   * @returns {Promise<Blob|null>}
   */
  toPng() {
    if (!this.plot) return Promise.resolve(null);
    const src = this.plot.ctx.canvas;
    const ratio = src.width / this.plot.width;
    const shown = this.series.filter((s) => !this.hidden.has(s.key));
    const line = 18 * ratio;
    const canvas = document.createElement("canvas");
    canvas.width = src.width;
    canvas.height = src.height + Math.ceil(line * shown.length + 10 * ratio);
    const ctx = canvas.getContext("2d");
    ctx.fillStyle = cssVar(this.element, "--rg-bg", "#ffffff");
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.drawImage(src, 0, 0);
    ctx.font = `${12 * ratio}px Roboto, Helvetica, Arial, sans-serif`;
    ctx.textBaseline = "middle";
    shown.forEach((s, i) => {
      const y = src.height + 4 * ratio + i * line;
      ctx.fillStyle = s.color;
      ctx.fillRect(60 * ratio, y + 4 * ratio, 10 * ratio, 10 * ratio);
      ctx.fillStyle = cssVar(this.element, "--rg-fg", "#212121");
      ctx.fillText(`${s.title || s.label} (${s.size} run${s.size === 1 ? "" : "s"})`, 76 * ratio, y + 9 * ratio);
    });
    return new Promise((resolve) => canvas.toBlob(resolve, "image/png"));
  }

  _yLabel() {
    const { metric, log, smoothing } = this.options;
    const parts = [metric];
    if (smoothing > 0) parts.push(`smoothed ${smoothing}`);
    if (log) parts.push("log");
    return parts.length > 1 ? `${metric} (${parts.slice(1).join(", ")})` : metric;
  }

  _build() {
    const { series, options } = this;
    if (!series.length) {
      this.destroy();
      this.plotBox.replaceChildren();
      this.legend.replaceChildren();
      this.readoutHead.textContent = "";
      this.cells = new Map();
      this.element.dataset.series = "0";
      this.plotBox.append(el("p", "rg-muted rg-chart-empty", "Tick groups in the table to chart their mean curves."));
      return;
    }
    const aligned = alignCurves(series, options.band, options.log);
    this.aligned = aligned;
    const data = [aligned.x];
    const uSeries = [{ label: X_AXES[options.axis].label }];
    const bands = [];
    const index = new Map();
    series.forEach((s, i) => {
      const show = !this.hidden.has(s.key);
      const own = [];
      const line = aligned.lines[i];
      if (line.raw) {
        own.push(data.push(line.raw) - 1);
        uSeries.push({ label: `${s.label} (unsmoothed)`, stroke: withAlpha(s.color, 0.3), width: 1, spanGaps: true, show, points: { show: false } });
      }
      own.push(data.push(line.mean) - 1);
      uSeries.push({ label: s.label, stroke: s.color, width: 2, spanGaps: true, show });
      if (options.band !== "none") {
        const hiIdx = data.push(line.hi) - 1;
        uSeries.push({ label: `${s.label} (upper)`, stroke: "transparent", width: 0, spanGaps: true, show, points: { show: false } });
        const loIdx = data.push(line.lo) - 1;
        uSeries.push({ label: `${s.label} (lower)`, stroke: "transparent", width: 0, spanGaps: true, show, points: { show: false } });
        bands.push({ series: [hiIdx, loIdx], fill: withAlpha(s.color, 0.18) });
        own.push(hiIdx, loIdx);
      }
      index.set(s.key, own);
    });
    this.seriesIndex = index;
    // What is drawn, for people reading the DOM (and tests): canvases are opaque.
    this.element.dataset.series = String(series.length);
    this.element.dataset.bands = String(bands.length);
    this.element.dataset.scale = options.log ? "log" : "linear";
    this.element.dataset.axis = options.axis;
    this.element.dataset.smoothing = String(options.smoothing);
    this.element.dataset.raw = String(series.filter((s) => s.raw).length);
    this.element.dataset.seeds = String(series.reduce((n, s) => n + (s.lines ? Object.keys(s.lines).length : 0), 0));
    const shape = JSON.stringify([uSeries.map((s) => [s.label, s.stroke]), bands.length, options.log, options.axis, options.metric, this._yLabel()]);
    if (this.plot && shape === this.shape) {
      // The same series with new numbers (a smoothing change): keep the plot
      // and, when the user zoomed, the zoom.
      this.plot.setData(data, !this.zoomed);
      this._buildLegend();
      return;
    }
    this.destroy();
    this.plotBox.replaceChildren();
    this.zoomed = false;
    const fg = cssVar(this.element, "--rg-muted", "#616161");
    const grid = cssVar(this.element, "--rg-border", "#e0e0e0");
    const width = Math.max(300, this.plotBox.clientWidth || 800);
    const axis = { stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
    const xAxis = { ...axis, label: X_AXES[options.axis].label };
    if (options.axis === "step") xAxis.incrs = STEP_INCREMENTS; // whole-number steps only
    if (options.axis === "relative") xAxis.values = (u, splits) => splits.map((v) => formatNumber(v));
    const yScale = { distr: options.log ? 3 : 1 };
    // uPlot's log range snaps to powers of ten, squashing curves that sit between
    // 0.6 and 0.7 into a tenth of the plot: pad the data's own range instead.
    if (options.log) yScale.range = (u, min, max) => (min > 0 && max > 0 ? [min / 1.05, max * 1.05] : [0.1, 1]);
    this.plot = new uPlot(
      {
        width,
        height: HEIGHT,
        legend: { show: false },
        // Drag a box to zoom; a drag along one axis zooms that axis only.
        cursor: { drag: { x: true, y: true, uni: 30, setScale: true } },
        scales: { x: { time: options.axis === "wall" }, y: yScale },
        axes: [xAxis, { ...axis, label: this._yLabel(), size: 64 }],
        series: uSeries,
        bands,
        hooks: {
          drawClear: [(u) => this._drawRuns(u)],
          setCursor: [(u) => this.showReadout(u.cursor.idx === null || u.cursor.idx === undefined ? null : u.data[0][u.cursor.idx])],
          setSelect: [(u) => {
            if (u.select.width > 0 || u.select.height > 0) this.zoomed = true;
          }],
        },
      },
      data,
      this.plotBox,
    );
    this.shape = shape;
    this.plot.over.addEventListener("dblclick", () => {
      this.zoomed = false;
      this.plot.setData(this.plot.data, true); // every scale back to the data's range
    });
    this.plot.over.title = "Drag to zoom (a box, or along one axis); double-click to reset";
    this._buildLegend();
  }

  /** Draws each run of a group as a thin line under the means (the per-seed toggle). */
  _drawRuns(u) {
    const withLines = this.series.filter((s) => s.lines && !this.hidden.has(s.key));
    if (!withLines.length) return;
    const { ctx } = u;
    const { left, top, width, height } = u.bbox;
    const log = this.options.log;
    ctx.save();
    ctx.beginPath();
    ctx.rect(left, top, width, height);
    ctx.clip();
    ctx.lineWidth = Math.max(1, devicePixelRatio * 0.75);
    for (const s of withLines) {
      ctx.strokeStyle = withAlpha(s.color, 0.35);
      ctx.beginPath();
      for (const line of Object.values(s.lines)) {
        let pen = false;
        for (let j = 0; j < line.x.length; j++) {
          const y = typeof line.y[j] === "number" ? line.y[j] : NaN;
          if (!Number.isFinite(y) || (log && y <= 0)) {
            pen = false;
            continue;
          }
          const px = u.valToPos(line.x[j], "x", true);
          const py = u.valToPos(y, "y", true);
          if (pen) ctx.lineTo(px, py);
          else ctx.moveTo(px, py);
          pen = true;
        }
      }
      ctx.stroke();
    }
    ctx.restore();
  }

  _buildLegend() {
    this.cells = new Map();
    const items = [];
    for (const s of this.series) {
      const item = el("li", "rg-legend-item");
      item.dataset.key = s.key;
      item.classList.toggle("rg-legend-off", this.hidden.has(s.key));
      const sw = el("span", "rg-swatch");
      sw.style.background = s.color;
      const b = el("button", "rg-linklike rg-legend-label", s.label);
      b.type = "button";
      b.title = `${s.title || s.label}: show or hide`;
      b.addEventListener("click", () => this._toggle(s.key, item));
      const size = el("span", "rg-muted rg-legend-size", ` (${s.size} run${s.size === 1 ? "" : "s"})`);
      if (s.linesNote) size.title = s.linesNote;
      const mean = el("span", "rg-num rg-read-mean");
      const band = el("span", "rg-num rg-muted rg-read-band");
      const count = el("span", "rg-num rg-muted rg-read-count");
      item.append(sw, b, size, mean, band, count);
      this.cells.set(s.key, { item, mean, band, count });
      items.push(item);
    }
    this.legend.replaceChildren(...items);
    const idx = this.plot && this.plot.cursor.idx;
    this.showReadout(idx === null || idx === undefined || !this.plot ? null : this.plot.data[0][idx]);
  }

  _toggle(key, item) {
    const show = this.hidden.has(key);
    if (show) this.hidden.delete(key);
    else this.hidden.add(key);
    item.classList.toggle("rg-legend-off", !show);
    for (const i of this.seriesIndex.get(key) || []) this.plot.setSeries(i, { show });
  }

  _resize() {
    if (!this.plot) return;
    const width = Math.max(300, this.plotBox.clientWidth);
    if (width !== this.plot.width) this.plot.setSize({ width, height: HEIGHT });
  }
}

