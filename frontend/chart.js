// The chart of selected groups' mean curves with spread bands. The only
// module that knows uPlot. Legend is our own DOM (text through textContent),
// so band series stay out of it and hiding a group hides its band too.

import uPlot from "./vendor/uplot/uPlot.esm.js";
import { alignCurves } from "./curves.js";
import { formatNumber } from "./format.js";
import { cssVar, el } from "./views/dom.js";

const STEP_INCREMENTS = [1, 2, 5].flatMap((m) => [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8].map((p) => m * p)).sort((a, b) => a - b);

function withAlpha(color, alpha) {
  const m = /^#([0-9a-f]{6})$/i.exec(color);
  if (!m) return color;
  const n = parseInt(m[1], 16);
  return `rgba(${n >> 16}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
}

/** The curves chart with its legend and options. */
export class GroupChart {
  constructor() {
    this.element = el("div", "rg-chart");
    this.plotBox = el("div", "rg-chart-plot");
    this.legend = el("ul", "rg-legend");
    this.legend.setAttribute("aria-label", "Chart legend");
    this.element.append(this.plotBox, this.legend);
    this.plot = null;
    this.hidden = new Set();
    new ResizeObserver(() => this._resize()).observe(this.plotBox);
  }

  /**
   * Draws curves.
   * @param {{key: string, label: string, title?: string, color: string, size: number,
   *   curve: object}[]} series  `label` in the legend, `title` (the full label) on hover
   * @param {{band: string, log: boolean, metric: string}} options
   */
  update(series, options) {
    this.series = series;
    this.options = options;
    this._build();
  }

  /** Rebuilds with the current theme's colours. */
  retheme() {
    if (this.series) this._build();
  }

  /** Frees the chart. */
  destroy() {
    if (this.plot) this.plot.destroy();
    this.plot = null;
  }

  _build() {
    this.destroy();
    const { series, options } = this;
    this.plotBox.replaceChildren();
    this.legend.replaceChildren();
    if (!series.length) {
      this.element.dataset.series = "0";
      this.plotBox.append(el("p", "rg-muted rg-chart-empty", "Tick groups in the table to chart their mean curves."));
      return;
    }
    const { x, lines } = alignCurves(series, options.band, options.log);
    const fg = cssVar(this.element, "--rg-muted", "#616161");
    const grid = cssVar(this.element, "--rg-border", "#e0e0e0");
    const data = [x];
    const uSeries = [{ label: "step" }];
    const bands = [];
    series.forEach((s, i) => {
      const show = !this.hidden.has(s.key);
      data.push(lines[i].mean);
      uSeries.push({ label: s.label, stroke: s.color, width: 2, spanGaps: true, show, value: (u, v) => (v === null ? "" : formatNumber(v)) });
      if (options.band !== "none") {
        const hiIdx = data.push(lines[i].hi) - 1;
        uSeries.push({ label: `${s.label} (upper)`, stroke: "transparent", width: 0, spanGaps: true, show, points: { show: false } });
        const loIdx = data.push(lines[i].lo) - 1;
        uSeries.push({ label: `${s.label} (lower)`, stroke: "transparent", width: 0, spanGaps: true, show, points: { show: false } });
        bands.push({ series: [hiIdx, loIdx], fill: withAlpha(s.color, 0.18) });
      }
    });
    // What is drawn, for people reading the DOM (and tests): canvases are opaque.
    this.element.dataset.series = String(series.length);
    this.element.dataset.bands = String(bands.length);
    this.element.dataset.scale = options.log ? "log" : "linear";
    const width = Math.max(300, this.plotBox.clientWidth || 800);
    const axis = { stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
    this.plot = new uPlot(
      {
        width,
        height: 260,
        legend: { show: false },
        cursor: { drag: { x: true, y: false } },
        scales: { x: { time: false }, y: { distr: options.log ? 3 : 1 } },
        // Steps are integers: only whole-number tick spacings on the x axis.
        axes: [{ ...axis, label: "step", incrs: STEP_INCREMENTS }, { ...axis, label: options.metric + (options.log ? " (log)" : ""), size: 60 }],
        series: uSeries,
        bands,
      },
      data,
      this.plotBox,
    );
    this.seriesIndex = new Map();
    let idx = 1;
    for (const s of series) {
      this.seriesIndex.set(s.key, options.band === "none" ? [idx] : [idx, idx + 1, idx + 2]);
      idx += options.band === "none" ? 1 : 3;
    }
    this._buildLegend();
  }

  _buildLegend() {
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
      item.append(sw, b, el("span", "rg-muted", ` (${s.size} run${s.size === 1 ? "" : "s"})`));
      this.legend.append(item);
    }
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
    if (width !== this.plot.width) this.plot.setSize({ width, height: 260 });
  }
}
