import assert from "node:assert/strict";
import { test } from "node:test";
import { install, texts } from "./fake_dom.js";
import { groupsAnswer } from "./answers_fixture.js";

install();
const { GroupTable } = await import("../views/group_table.js");
const { defaultState } = await import("../state.js");
const { sortGroups } = await import("../group.js");
const { anchoredRegex } = await import("../regex.js");

function draw(state, changes = [], copies = []) {
  const table = new GroupTable({ change: (p) => changes.push(p), copy: (t, w) => copies.push([w, t]) });
  const g = groupsAnswer();
  const pick = { keys: [g.groups[1].key], colors: new Map([[g.groups[1].key, "#123456"]]) };
  table.update(state, { groups: g, sorted: sortGroups(g.groups, state.sort), pick, trials: null, sparklines: new Map() });
  return { table, g };
}

test("the table draws an answer for a state: rows in its order, varying columns only, ticks", () => {
  const { table } = draw({ ...defaultState(), sort: { key: "mean", dir: -1 } });
  assert.deepEqual(texts(table.element, ".rg-th").slice(0, 4), ["", "", "lr", "runs"], "optimizer is constant: hidden");
  assert.deepEqual(texts(table.element, ".rg-group-row .rg-group-value"), ["0.1", "0.01", "0.001"]);
  assert.deepEqual(texts(table.element, ".rg-group-row .rg-size"), ["3", "2", "1"]);
  assert.deepEqual(table.element.querySelectorAll(".rg-select-group").map((b) => b.checked), [false, true, false]);
  assert.equal(table.element.querySelector(".rg-th[data-sort=\"mean\"]").getAttribute("aria-sort"), "descending");
  assert.ok(table.element.querySelector(".rg-group-row .rg-few"), "fewer than 3 runs marked");
});

test("the table's controls call change(patch): sort, expand, tick, baseline, open a run; regex is copied", () => {
  const changes = [];
  const copies = [];
  const state = { ...defaultState(), by: ["lr"] };
  const { table, g } = draw(state, changes, copies);
  const [k0, k1] = g.groups.map((x) => x.key);
  table.element.querySelector(".rg-th[data-sort=\"mean\"]").click();
  table.element.querySelector(".rg-th[data-sort=\"value.0\"]").click();
  table.element.querySelector(".rg-toggle").click();
  table.element.querySelector(".rg-select-group").click();
  table.element.querySelectorAll(".rg-select-group")[1].click(); // untick the charted one
  table.element.querySelector(".rg-set-baseline").click();
  table.element.querySelector(".rg-copy-regex").click();
  assert.deepEqual(changes, [
    { sort: { key: "mean", dir: -1 } },
    { sort: { key: "value.0", dir: 1 } },
    { expanded: [k0] },
    { selected: [k1, k0] },
    { selected: [] },
    { baseline: k0 },
  ]);
  const runs = ["lr=0.1/seed_0/train", "lr=0.1/seed_1/train", "lr=0.1/seed_2/train"];
  assert.deepEqual(copies, [["Regex copied", anchoredRegex(runs)]]);
  assert.ok(runs.every((r) => new RegExp(copies[0][1]).test(r)) && !new RegExp(copies[0][1]).test("lr=0.01/seed_0/train"));
});

test("a group row's Time Series link is made by the first pointer, focus or click that reaches it", async () => {
  const { groupRunNames } = await import("../group.js");
  const { timeSeriesHref } = await import("../regex.js");
  for (const type of ["pointerenter", "focus", "click", "auxclick", "contextmenu"]) {
    const { table, g } = draw(defaultState());
    const row = table.element.querySelector(".rg-group-row");
    const link = row.querySelector(".rg-ts-link");
    assert.equal(link.getAttribute("href"), "../../../#timeseries", "drawn without its regex");
    link.dispatchEvent({ type, target: link });
    const group = g.groups.find((x) => x.key === row.dataset.key);
    assert.equal(link.getAttribute("href"), timeSeriesHref(groupRunNames(group, null)), type);
  }
});

test("an expanded group shows its runs; restyle changes ticks without drawing anew", () => {
  const changes = [];
  const g0 = groupsAnswer().groups[0].key;
  const { table, g } = draw({ ...defaultState(), expanded: [g0] }, changes);
  assert.deepEqual(texts(table.element, ".rg-member-row .rg-run-name"), ["lr=0.1/seed_0", "lr=0.1/seed_1", "lr=0.1/seed_2"]);
  table.element.querySelector(".rg-member-row .rg-run-name").click();
  assert.deepEqual(changes, [{ run: "lr=0.1/seed_0/train" }]);
  const head = table.head.firstChild;
  table.restyle({ keys: [g.groups[2].key], colors: new Map([[g.groups[2].key, "#654321"]]) }, null);
  assert.equal(table.head.firstChild, head);
  assert.deepEqual(table.element.querySelectorAll(".rg-group-row .rg-select-group").map((b) => b.checked), [false, false, true]);
});

test("/runs arriving relinks the drawn group rows in place; with a group expanded, its runs are drawn anew", async () => {
  const { indexTrials, groupRunNames } = await import("../group.js");
  const { timeSeriesHref } = await import("../regex.js");
  const runsAnswer = (groups) => {
    const trials = groups.flatMap((x) => x.members).map((m) => ({ trial: m.trial, runs: [`${m.trial}/train`, `${m.trial}/validation`] }));
    return { runs: trials.flatMap((t) => t.runs.map((run) => ({ run, trial: t.trial }))), trials };
  };
  const idle = () => new Promise((resolve) => setTimeout(resolve, 5));
  const { table, g } = draw(defaultState());
  const row = table.element.querySelector(".rg-group-row");
  const group = g.groups.find((x) => x.key === row.dataset.key);
  await idle();
  const before = row.querySelector(".rg-ts-link").getAttribute("href");
  assert.equal(before, timeSeriesHref(groupRunNames(group, null)), "made once the browser is idle");
  const trials = indexTrials(runsAnswer(g.groups));
  table.restyle(null, trials);
  assert.equal(table.element.querySelector(".rg-group-row"), row, "the row is not drawn again");
  await idle();
  const href = row.querySelector(".rg-ts-link").getAttribute("href");
  assert.notEqual(href, before);
  assert.equal(href, timeSeriesHref(groupRunNames(group, trials)));
  assert.ok(groupRunNames(group, trials).some((r) => r.endsWith("/validation")));

  const open = draw({ ...defaultState(), expanded: [g.groups[0].key] }).table;
  const member = open.element.querySelector(".rg-member-row");
  open.restyle(null, indexTrials(runsAnswer(g.groups)));
  assert.notEqual(open.element.querySelector(".rg-member-row"), member, "member rows show /runs: drawn anew");
});
