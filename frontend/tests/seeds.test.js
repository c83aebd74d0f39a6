// The seed cells and controls (SPEC §5c): power and seeds needed beside p, the
// paired comparison, bad-seed flag marks, live groups, the lines under the table,
// and the state's `paired` / `exclude` keys.
import assert from "node:assert/strict";
import { test } from "node:test";
import { install, texts } from "./fake_dom.js";
import { groupsAnswer } from "./answers_fixture.js";

install();
const cells = await import("../views/seed_cells.js");
const { seedControls } = await import("../views/seed_controls.js");
const { GroupTable } = await import("../views/group_table.js");
const { defaultState, groupsQuery, stateFromUrlData, stateToUrlData, change } = await import("../state.js");
const { sortGroups } = await import("../group.js");

const NOTE = "n=2: fewer than 3 runs on a side (2 here, 3 in the baseline); about 9 seeds per group would detect a difference this size 80% of the time";
const compare = (extra = {}) => ({ delta: 0.1, delta_ci_low: 0, delta_ci_high: 0.2, p_value: 0.2, p_holm: 0.4, prob_improvement: 0.7, n: 2, n_baseline: 3, power: 0.3987, seeds_needed: 9, target_power: 0.8, power_note: NOTE, ...extra });
const paired = (extra = {}) =>
  compare({
    n_pairs: 2,
    paired_delta: 0.0333,
    paired_ci_low: -0.0184,
    paired_ci_high: 0.085,
    paired_p: 0.109,
    wilcoxon_p: 0.5,
    unpaired_runs: [{ trial: "b/seed=7<img src=x>", run: "b/seed=7", side: "group", seed: 7, reason: "no run of the baseline has this seed" }],
    ...extra,
  });

test("power shows as a percentage, the seeds header follows the target power", () => {
  assert.equal(cells.formatPower(0.3987), "40%");
  assert.equal(cells.formatPower(1), "100%");
  assert.equal(cells.formatPower(null), "–");
  assert.equal(cells.formatPower("NaN"), "–");
  assert.equal(cells.seedsLabel(0.8), "seeds for 80%");
  assert.equal(cells.seedsLabel(0.9), "seeds for 90%");
  assert.equal(cells.seedsLabel(undefined), "seeds for 80%");
});

test("power and seeds cells: values, the note as tooltip, inline when power < 50% or n < 3", () => {
  const [power, seeds] = cells.powerCells(compare(), false, 0);
  assert.equal(power.querySelector(".rg-power-value").textContent, "40%");
  assert.equal(seeds.querySelector(".rg-seeds-value").textContent, "9");
  assert.equal(power.title, NOTE);
  assert.equal(seeds.title, NOTE);
  assert.equal(seeds.querySelector(".rg-power-note").textContent, NOTE, "n=2: shown inline");
  // Enough runs and power: the note stays in the tooltip.
  const [, quiet] = cells.powerCells(compare({ n: 5, n_baseline: 5, power: 0.9 }), false, 0);
  assert.equal(quiet.querySelector(".rg-power-note"), null);
  assert.equal(quiet.title, NOTE);
  // Low power with enough runs: inline.
  assert.ok(cells.noteInline(compare({ n: 5, n_baseline: 5, power: 0.49 })));
  assert.ok(!cells.noteInline(compare({ n: 5, n_baseline: 5, power: 0.5 })));
  assert.ok(cells.noteInline(compare({ n: 5, n_baseline: 2, power: 0.99 })));
  // Null power or seeds (too few runs, no difference): a dash.
  const [p0, s0] = cells.powerCells(compare({ power: null, seeds_needed: null }), false, 1);
  assert.equal(p0.textContent, "–");
  assert.equal(s0.querySelector(".rg-seeds-value").textContent, "–");
  assert.equal(p0.dataset.block, "1");
  // The baseline's own row and a group with no comparison: empty.
  for (const [a, b] of [cells.powerCells(compare(), true, 0), cells.powerCells(null, false, 0)]) assert.equal(a.textContent + b.textContent, "");
});

test("paired cells: n pairs, paired Δ [CI], paired p / Wilcoxon p, unpaired runs named in the tooltip as text", () => {
  const [delta, p] = cells.pairedCells(paired(), false, 0);
  assert.equal(delta.querySelector(".rg-n-pairs").textContent, "n=2 ");
  assert.match(delta.querySelector(".rg-paired-delta-value").textContent, /^\+0\.0333 \[-0\.0184, 0\.085\]$/);
  assert.equal(delta.querySelector(".rg-unpaired").textContent, " 1 unpaired");
  assert.ok(delta.title.includes("b/seed=7<img src=x> (group, seed 7): no run of the baseline has this seed"), delta.title);
  assert.equal(delta.querySelectorAll("img").length, 0, "run names never become markup");
  assert.equal(p.querySelector(".rg-paired-p-value").textContent, "0.11");
  assert.equal(p.querySelector(".rg-wilcoxon-p").textContent, " / 0.50");
  // Under 2 pairs the backend gives null p: shown as a dash, no unpaired mark when none.
  const [d1, p1] = cells.pairedCells(paired({ n_pairs: 1, paired_p: null, wilcoxon_p: null, unpaired_runs: [] }), false, 0);
  assert.equal(d1.querySelector(".rg-unpaired"), null);
  assert.match(p1.textContent, /^–/);
  assert.equal(cells.pairedCells(null, true, 0)[0].textContent, "baseline");
});

test("flag marks: kinds shown, reasons in the tooltip, excluded runs marked so", () => {
  assert.equal(cells.flagMark({ trial: "a", flags: [] }), null);
  assert.equal(cells.flagMark({ trial: "a" }), null);
  const flags = [
    { metric: "acc", kind: "nonfinite", reason: "value is NaN" },
    { metric: "loss", kind: "short", reason: "last step 20 under half the group's median 100" },
  ];
  const mark = cells.flagMark({ trial: "a", flags, excluded: [] });
  assert.equal(mark.textContent, "⚑ nonfinite,short");
  assert.equal(mark.dataset.kinds, "nonfinite,short");
  assert.ok(mark.title.includes("nonfinite (acc): value is NaN"));
  assert.ok(mark.title.includes("short (loss): last step 20"));
  assert.ok(mark.title.endsWith("counted (not excluded)"));
  const out = cells.flagMark({ trial: "a", flags, excluded: ["nonfinite"] });
  assert.ok(out.classList.contains("rg-flag-excluded"));
  assert.ok(out.title.endsWith("excluded (nonfinite)"));
});

test("a group's size cell: flagged count, and a live group's finished/size", () => {
  const members = [{ trial: "a", flags: [{ metric: "m", kind: "outlier", reason: "z 5" }] }, { trial: "b", flags: [] }, { trial: "c" }];
  const c = cells.sizeCell({ size: 3, members, excluded: 0, provisional: true, finished: 2, running: 1 });
  assert.equal(c.querySelector(".rg-size").textContent, "3");
  assert.equal(c.querySelector(".rg-flag-count").textContent, " ⚑1");
  assert.match(c.querySelector(".rg-flag-count").title, /^1 flagged run, all counted/);
  assert.equal(c.querySelector(".rg-live").textContent, " 2/3 finished");
  assert.match(c.querySelector(".rg-live").title, /1 still running/);
  const done = cells.sizeCell({ size: 3, members: [], provisional: false, finished: 3, running: 0 });
  assert.equal(done.textContent, "3");
});

test("lines under the table: runs excluded by kind, groups still running", () => {
  const g = { excluded: { kinds: ["nonfinite", "short", "outlier"], count: 3, by_kind: { nonfinite: 1, short: 1, outlier: 1 } }, provisional: false, groups: [] };
  assert.deepEqual(cells.tableNotes(g), ["3 runs excluded (1 nonfinite, 1 short, 1 outlier)"]);
  const one = { excluded: { kinds: ["outlier"], count: 0, by_kind: { outlier: 0 } }, groups: [] };
  assert.deepEqual(cells.tableNotes(one), ["0 runs excluded (none outlier)"]);
  // No exclusion asked: nothing said; live groups: said.
  const live = { excluded: { kinds: [], count: 0, by_kind: {} }, provisional: true, groups: [{ provisional: true, running: 2 }, { provisional: false, running: 0 }] };
  assert.deepEqual(cells.tableNotes(live), ["provisional: 2 runs still running in 1 group"]);
  assert.deepEqual(cells.tableNotes(null), []);
});

test("the paired toggle needs a baseline; it and the exclude select call change(patch)", () => {
  const log = [];
  const off = seedControls({ ...defaultState() }, (p) => log.push(p));
  assert.equal(off.querySelector(".rg-paired").disabled, true);
  assert.match(off.querySelector(".rg-paired-label").title, /baseline first/);
  const on = seedControls({ ...defaultState(), baseline: "AbCdEfGhIjKlMnOp" }, (p) => log.push(p));
  const box = on.querySelector(".rg-paired");
  assert.equal(box.disabled, false);
  box.click();
  const sel = on.querySelector(".rg-exclude");
  assert.deepEqual(sel.options.map((o) => o.value), ["", "flagged", "nonfinite", "short", "outlier"]);
  sel.value = "flagged";
  sel.dispatchEvent({ type: "change" });
  assert.deepEqual(log, [{ paired: true }, { exclude: "flagged" }]);
  // A deep link's kind list stays shown as chosen.
  const combo = seedControls({ ...defaultState(), exclude: "nonfinite,short" }, () => {});
  assert.equal(combo.querySelector(".rg-exclude").value, "nonfinite,short");
});

test("state: paired and exclude round-trip through links and reach /groups' query", () => {
  const s = { ...defaultState(), metric: "acc", baseline: "AbCdEfGhIjKlMnOp", paired: true, exclude: "nonfinite,outlier" };
  assert.deepEqual(stateToUrlData(s), { metric: "acc", baseline: "AbCdEfGhIjKlMnOp", paired: "1", exclude: "nonfinite,outlier" });
  assert.deepEqual(stateFromUrlData(stateToUrlData(s)), s);
  assert.equal(stateFromUrlData({ exclude: "everything" }).exclude, "", "a bad kind is ignored");
  assert.equal(stateFromUrlData({ exclude: "flagged" }).exclude, "flagged");
  const q = new URLSearchParams(groupsQuery(s));
  assert.equal(q.get("paired"), "true");
  assert.equal(q.get("exclude"), "nonfinite,outlier");
  // Paired only means something with a baseline: not asked without one.
  const q2 = new URLSearchParams(groupsQuery({ ...s, baseline: null }));
  assert.equal(q2.get("paired"), null);
  assert.equal(q2.get("exclude"), "nonfinite,outlier");
  assert.equal(new URLSearchParams(groupsQuery(defaultState())).get("exclude"), null);
  assert.deepEqual(change(s, { paired: false }).redo, new Set(["groups"]));
  assert.deepEqual(change(s, { exclude: "" }).redo, new Set(["groups"]));
  // No baseline (dropped, or a new grouping): no pairing either.
  assert.equal(change(s, { baseline: null }).state.paired, false);
  assert.equal(change(s, { by: ["param.lr"] }).state.paired, false);
  assert.equal(change(s, { sort: { key: "mean", dir: 1 } }).state.paired, true);
});

function seedsAnswer() {
  const g = groupsAnswer();
  g.baseline = g.groups[0].key;
  g.paired = true;
  g.plan = { alpha: 0.05, power: 0.9, mde: null, halfwidth: null };
  g.excluded = { kinds: [], count: 0, by_kind: {} };
  g.groups[1].compare = paired();
  g.groups[2].compare = compare({ n: 1, power: null, seeds_needed: null, power_note: "n=1: fewer than 2 runs" });
  g.groups[2].provisional = true;
  g.groups[2].finished = 0;
  g.groups[2].running = 1;
  g.groups[1].members[1].flags = [{ metric: "loss", kind: "nonfinite", reason: "value is NaN" }];
  g.groups[1].members[1].excluded = [];
  return g;
}

test("the table with a baseline: power and seeds beside p, paired columns, flag marks when expanded, provisional groups", () => {
  const g = seedsAnswer();
  const state = { ...defaultState(), baseline: g.baseline, paired: true, expanded: [g.groups[1].key] };
  const table = new GroupTable({ change() {}, copy() {} });
  table.update(state, { groups: g, sorted: sortGroups(g.groups, state.sort), pick: { keys: [], colors: new Map() }, trials: null, sparklines: new Map() });
  const heads = texts(table.element, ".rg-head-row .rg-th");
  const at = heads.indexOf("p / Holm");
  assert.deepEqual(heads.slice(at, at + 6), ["p / Holm", "P(better)", "power", "seeds for 90%", "pairs: paired Δ [CI]", "paired p / Wilcoxon"]);
  assert.deepEqual(texts(table.element, ".rg-group-row .rg-power-value"), ["40%", "–"]);
  assert.deepEqual(texts(table.element, ".rg-group-row .rg-seeds-value"), ["9", "–"]);
  assert.deepEqual(texts(table.element, ".rg-group-row .rg-paired-p-value"), ["0.11", "–"]);
  // The columns line up: as many cells per group row as header cells.
  for (const row of table.element.querySelectorAll(".rg-group-row")) assert.equal(row.children.length, heads.length);
  const template = table.element.style["--rg-group-columns"];
  assert.equal(template.split(/ (?![^(]*\))/).length, heads.length);
  // The expanded group's NaN run has its mark, the group row its count.
  const marks = table.element.querySelectorAll(".rg-member-row .rg-flag-mark");
  assert.equal(marks.length, 1);
  assert.equal(marks[0].parentNode.parentNode.dataset.trial, g.groups[1].members[1].trial);
  assert.deepEqual(texts(table.element, ".rg-group-row .rg-flag-count"), [" ⚑1"]);
  // The live group: "0/1 finished", its statistics marked provisional.
  const live = table.element.querySelector(`.rg-group-row[data-key="${g.groups[2].key}"]`);
  assert.ok(live.classList.contains("rg-provisional-row"));
  assert.equal(live.querySelector(".rg-live").textContent, " 0/1 finished");
  assert.equal(live.querySelector(".rg-stat").querySelector(".rg-provisional-label").textContent, "provisional");
  assert.ok(live.querySelector(".rg-p").classList.contains("rg-provisional"));
  // Without paired: no paired columns.
  const unpaired = { ...g, paired: false };
  table.update({ ...state, paired: false }, { groups: unpaired, sorted: sortGroups(unpaired.groups, state.sort), pick: { keys: [], colors: new Map() }, trials: null, sparklines: new Map() });
  assert.equal(table.element.querySelectorAll(".rg-paired-delta").length, 0);
  assert.ok(texts(table.element, ".rg-head-row .rg-th").includes("seeds for 90%"));
});
