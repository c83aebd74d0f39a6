// Entry module of the report (tb_plugin/report.py inlines it, and every module it
// imports, into the report's one script; it exports nothing). It reads the saved
// answers from the page's data block and draws them with the tab's own views; text
// from the log directory goes in through textContent only. No fetch: the report's
// Content-Security-Policy forbids every request.

import { GroupChart } from "./chart.js";
import { assignColors } from "./colors.js";
import { countsLine, formatFieldValue, formatValue } from "./format.js";
import { indexTrials, legendLabels, sortGroups, varyingColumns } from "./group.js";
import { el } from "./views/dom.js";
import { GroupTable } from "./views/group_table.js";

const saved = JSON.parse(document.getElementById("rg-report-data").textContent);
const view = document.getElementById("rg-report-view");
renderSaved(view, saved.state, saved.answers);
view.append(...extraSections(saved.answers), runsSection(saved.state, saved.answers));
document.documentElement.dataset.rendered = "true";

// --- the table and chart (the tab's views, wired as app.js wires them) -------------------
// When the tab's views draw saved answers themselves (issue 23's renderSaved), this
// function is replaced by importing theirs.

/**
 * Draws the table and chart of saved /groups and /curves answers.
 * @param {HTMLElement} container
 * @param {object} state  the view: by, metric, band, log, smoothing, x, seeds, spread, sort, selected
 * @param {object} answers  {fields, tags, groups (with its rows' sparklines), runs, curves,
 *   raw, lines, chart_keys}: the routes' answers (tb_plugin/report.py's gather)
 */
function renderSaved(container, state, answers) {
  const answer = answers.groups;
  const keys = answers.chart_keys || [];
  const colors = assignColors(keys);
  const trials = indexTrials(answers.runs);
  const sparklines = new Map(((answer.sparklines || {}).curves || []).map((c) => [c.key, c.curve]));
  let sort = state.sort;
  const expanded = new Set(state.expanded || []);
  // The kept groups' runs (a report holds the first groups only; its header says so).
  const kept = answer.groups.reduce((n, g) => n + g.size, 0);
  let text = countsLine(kept, answer.groups.length);
  if (kept !== answer.trials) text += ` (of ${answer.trials})`;
  const counts = el("p", "rg-counts", text);
  const table = new GroupTable({
    onSort: (key) => {
      const dir = sort.key === key ? -sort.dir : key === "group" || key.startsWith("value.") ? 1 : -1;
      sort = { key, dir };
      draw();
    },
    onToggle: (group) => {
      if (expanded.has(group.key)) expanded.delete(group.key);
      else expanded.add(group.key);
      draw();
    },
    onSelect: () => draw(), // the chart holds the saved groups only
    onOpenRun: () => {},
    onCopyRegex: () => {},
    onBaseline: () => {},
  });
  const columns = state.by === null ? varyingColumns(answer.groups, answer.by) : answer.by.map((_, i) => i);
  function draw() {
    table.setData({
      groups: sortGroups(answer.groups, sort),
      by: answer.by,
      columns,
      expanded,
      selected: new Set(keys),
      colors,
      trials,
      sparklines,
      sort,
      metric: answer.metric,
      blocks: answer.metrics || [],
      spread: state.spread,
      ci: answer.ci || null,
      baseline: answer.baseline || null,
    });
  }
  const chart = new GroupChart();
  const chartBox = el("section", "rg-chart-section rg-report-section");
  chartBox.append(el("h2", "rg-section-title", "Mean curves"), chart.element);
  container.append(chartBox, counts, table.element);
  draw();
  const byKey = (a) => new Map(a ? a.curves.map((c) => [c.key, c]) : []);
  const curves = byKey(answers.curves);
  const raws = byKey(answers.raw);
  const seeds = byKey(answers.lines);
  const shown = keys.filter((k) => curves.has(k)).map((k) => curves.get(k));
  const labels = legendLabels(shown, answer.by);
  chart.update(
    shown.map((c, i) => ({
      key: c.key,
      label: labels[i],
      title: c.label,
      color: colors.get(c.key),
      size: c.size,
      curve: c.curve,
      raw: raws.has(c.key) ? raws.get(c.key).curve : null,
      lines: seeds.has(c.key) ? seeds.get(c.key).lines || null : null,
    })),
    { band: state.band, log: state.log, metric: answer.metric || "", axis: state.x, smoothing: state.smoothing },
  );
}

// --- what only the report shows -----------------------------------------------------------

/** The effects and across-tasks answers, when the report holds them (as JSON text). */
function extraSections(answers) {
  const out = [];
  for (const [key, title] of [
    ["effects", "Which hyperparameters matter"],
    ["benchmark", "Across tasks"],
  ]) {
    if (!answers[key]) continue;
    const section = el("section", `rg-report-section rg-report-${key}`);
    section.append(el("h2", "rg-section-title", title), el("pre", "rg-report-json", JSON.stringify(answers[key], null, 1)));
    out.push(section);
  }
  return out;
}

/** The runs behind each group: every TensorBoard run of its trials, and how it was read. */
function runsSection(state, answers) {
  const section = el("section", "rg-report-section rg-report-runs");
  section.append(el("h2", "rg-section-title", "Runs behind each group"));
  const trials = indexTrials(answers.runs);
  const answer = answers.groups;
  for (const group of sortGroups(answer.groups, state.sort)) {
    const details = el("details", "rg-report-group");
    details.dataset.key = group.key;
    details.append(el("summary", null, `${group.label} (${group.size} run${group.size === 1 ? "" : "s"})`));
    const rows = el("table");
    const head = el("tr");
    for (const h of ["trial", "run", "split", "status", answer.metric || "value", "read"]) head.append(el("th", null, h));
    rows.append(head);
    for (const member of group.members) {
      const trial = trials.get(member.trial);
      const runs = trial ? trial.runs : [{ run: member.run, split: null }];
      for (const run of runs) {
        const tr = el("tr", "rg-report-run");
        const read = run.read === undefined || run.read === null ? "" : typeof run.read === "string" ? run.read : JSON.stringify(run.read);
        const value = run.run === member.run ? formatValue(member.value) : "";
        for (const text of [member.trial, run.run, formatFieldValue(run.split), member.status || "", value, read]) tr.append(el("td", null, text));
        rows.append(tr);
      }
    }
    details.append(rows);
    section.append(details);
  }
  return section;
}
