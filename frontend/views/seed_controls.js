// The toolbar's seed controls (SPEC §5c): the "paired" toggle (pair each group's
// runs with the baseline's by seed; only with a baseline) and the exclude choice
// (leave flagged runs out of the statistics). They build DOM and call change().

import { el, labelled, select } from "./dom.js";

const EXCLUDE_OPTIONS = [
  ["", "none"],
  ["flagged", "flagged runs"],
  ["nonfinite", "NaN / infinite"],
  ["short", "stopped short"],
  ["outlier", "outliers"],
];

/**
 * The paired toggle and the exclude select for a state.
 * @param {{baseline: string|null, paired: boolean, exclude: string}} s
 * @param {(patch: object) => void} change
 * @returns {HTMLElement}
 */
export function seedControls(s, change) {
  const box = el("span", "rg-seed-controls");
  const toggle = el("label", "rg-paired-label");
  const input = el("input", "rg-paired");
  input.type = "checkbox";
  input.checked = Boolean(s.paired);
  input.disabled = !s.baseline;
  toggle.title = s.baseline
    ? "Pair each group's runs with the baseline's by seed: paired t-test and exact Wilcoxon signed-rank test"
    : "Pick a baseline first (a row's “baseline” button): pairing is with the baseline's runs";
  input.addEventListener("change", () => change({ paired: input.checked }));
  toggle.append(input, el("span", "", " paired by seed"));
  const options = [...EXCLUDE_OPTIONS];
  if (s.exclude && !options.some(([v]) => v === s.exclude)) options.push([s.exclude, s.exclude]);
  const exclude = select("rg-exclude", options, s.exclude || "", (v) => change({ exclude: v }), "Exclude runs");
  exclude.title = "Leave runs flagged as bad seeds (NaN, stopped short, outlier) out of every statistic; the count shows under the table";
  box.append(toggle, labelled("Exclude", exclude));
  return box;
}
