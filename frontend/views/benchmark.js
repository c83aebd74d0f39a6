// The Across tasks view (SPEC §5d): methods compared across tasks, from a
// /benchmark answer (http_api.md), live or saved. Three parts: the aggregate
// table (each interval drawn as a bar), the performance profiles with their
// bootstrap bands, and Demšar's critical-difference diagram; plus the missing
// (method, task) cells by name, and CSV / SVG / PNG exports. The figures are laid
// out in views/benchmark_figures.js; the numbers and the view are
// here, tested with node --test (frontend/tests/benchmark.test.js).

import { decimalsFor, fixed, formatG4, toNumber } from "../format.js";
import { toCsv } from "../group.js";
import { cdScene, intervalBarScene, methodColors, profilesScene, sceneElement, sceneSvg } from "./benchmark_figures.js";
import { button, download, el } from "./dom.js";
import { svgToPng } from "./svg_png.js";


/** The aggregates, in the table's order, with their column titles. */
export const AGGREGATES = [
  ["mean", "Mean"],
  ["median", "Median"],
  ["iqm", "IQM"],
  ["optimality_gap", "Optimality gap"],
];

/** The per-task normalisations /benchmark takes (`normalize`), with their names. */
export const NORMALIZATIONS = [
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
 * loads; `{error: text}` to show a failure). The state's deep-linked choices
 * (state.js): `task` (the task field), `normalize` and `baseline_method`;
 * `state.taskFields` (optional) lists the field ids the task can be. Each control
 * calls `actions.change` with the key it sets (`{task}`, `{normalize}`,
 * `{baseline_method}`).
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
    const choice = { task: (state && state.task) || "", normalize: (state && state.normalize) || "none", baseline: (state && state.baseline_method) || "" };
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
    if (answer.methods.length < 2) {
      const text = `One method only: the methods are the groups of the grouping's fields other than ${answer.task}; group the runs (Groups view) by the fields that tell the methods apart too.`;
      parts.push(el("p", "rg-benchmark-note rg-benchmark-one", text));
    }
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
    const change = (patch) => this.actions.change(patch);
    const fields = (state && state.taskFields) || [];
    const task = el("select", "rg-select rg-benchmark-task");
    task.setAttribute("aria-label", "Task field");
    task.add(new Option("(choose)", "", false, !choice.task));
    for (const f of fields) task.add(new Option(f, f, false, f === choice.task));
    if (choice.task && !fields.includes(choice.task)) task.add(new Option(choice.task, choice.task, false, true));
    task.addEventListener("change", () => change({ task: task.value || "" }));
    const normalize = el("select", "rg-select rg-benchmark-normalize");
    normalize.setAttribute("aria-label", "Normalisation");
    for (const [v, text] of NORMALIZATIONS) normalize.add(new Option(text, v, false, v === (choice.normalize || "none")));
    normalize.addEventListener("change", () => change({ normalize: normalize.value }));
    const baseline = el("select", "rg-select rg-benchmark-baseline");
    baseline.setAttribute("aria-label", "Baseline method");
    baseline.add(new Option("(no baseline)", "", false, !choice.baseline));
    for (const m of (answer && answer.methods) || []) baseline.add(new Option(m.method, m.method, false, m.method === choice.baseline));
    baseline.addEventListener("change", () => change({ baseline_method: baseline.value || "" }));
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
