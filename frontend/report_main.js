// Entry module of the report (tb_plugin/report.py inlines it, and every module it
// imports, into the report's one script; it exports nothing). It reads the saved
// answers from the page's data block and draws them with the tab's own views; text
// from the log directory goes in through textContent only. No fetch: the report's
// Content-Security-Policy forbids every request.

import { formatFieldValue, formatValue } from "./format.js";
import { indexTrials, sortGroups } from "./group.js";
import { defaultState } from "./state.js";
import { BenchmarkView } from "./views/benchmark.js";
import { el } from "./views/dom.js";
import { EffectsView } from "./views/effects.js";
import { renderSaved } from "./views/groups.js";

const saved = JSON.parse(document.getElementById("rg-report-data").textContent);
const view = document.getElementById("rg-report-view");
const state = { ...defaultState(), ...saved.state };
renderSaved(view, state, saved.answers);
view.append(...extraSections(state, saved.answers), runsSection(state, saved.answers));
document.documentElement.dataset.rendered = "true";

// --- what only the report shows -----------------------------------------------------------

/** The effects and across-tasks views, when the report holds their answers. */
function extraSections(state, answers) {
  const out = [];
  const none = () => {};
  for (const [key, View] of [
    ["effects", EffectsView],
    ["benchmark", BenchmarkView],
  ]) {
    if (!answers[key]) continue;
    const view = new View({ change: none, copy: none, openRun: none });
    const section = el("section", `rg-report-section rg-report-${key}`);
    section.append(view.element);
    view.update(state, answers[key]);
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
