import assert from "node:assert/strict";
import { test } from "node:test";
import { install, texts } from "./fake_dom.js";
import { FIELDS, TAGS, groupsAnswer } from "./answers_fixture.js";

install();
const { Toolbar } = await import("../views/toolbar.js");
const { defaultState } = await import("../state.js");

const actions = (log) => ({ change: (p) => log.push(["change", p]), exportTable: (k) => log.push(["export", k]), copyLink: () => log.push(["link"]) });

test("the toolbar shows a state: fields, metric asked, split used, counts, constant fields, baseline", () => {
  const bar = new Toolbar(actions([]));
  const g = groupsAnswer();
  const state = { ...defaultState(), baseline: g.groups[1].key };
  bar.update(state, { fields: FIELDS, tags: TAGS, query: { ...state, metric: "loss" }, groups: g, groupsSplit: "" });
  assert.equal(bar.element.querySelector(".rg-metric").value, "loss");
  assert.equal(bar.element.querySelector(".rg-split").options[0].textContent, "auto (train)");
  assert.deepEqual(texts(bar.element, ".rg-by-chip .rg-chip-text"), ["lr"]);
  assert.match(bar.element.querySelector(".rg-constant-note").textContent, /optimizer: constant here/);
  assert.equal(bar.element.querySelector(".rg-baseline-chip .rg-chip-text").textContent, "lr=0.01, optimizer=adam");
  assert.equal(bar.element.querySelector(".rg-counts").textContent, "6 runs in 3 groups (of 8)");
  // Before /groups answers for another split choice, the split is not guessed.
  bar.update({ ...state, split: "none" }, { fields: FIELDS, tags: TAGS, query: { ...state, split: "none", metric: "loss" }, groups: g, groupsSplit: "" });
  assert.equal(bar.element.querySelector(".rg-split").options[0].textContent, "auto");
});

test("the toolbar rebuilds only for what it shows, and its controls call actions", () => {
  const log = [];
  const bar = new Toolbar(actions(log));
  const state = { ...defaultState(), by: ["lr", "optimizer"] };
  const answer = { fields: FIELDS, tags: TAGS, query: { ...state, metric: "loss" }, groups: groupsAnswer(), groupsSplit: "" };
  bar.update(state, answer);
  const row = bar.element.firstChild;
  bar.update({ ...state, smoothing: 0.1, selected: [], run: "x" }, answer);
  assert.equal(bar.element.firstChild, row, "chart and panel keys do not rebuild the toolbar");
  bar.element.querySelector(".rg-by-remove").click();
  bar.element.querySelector(".rg-by-default").click();
  bar.element.querySelector(".rg-export-csv").click();
  bar.element.querySelector(".rg-copy-link").click();
  const metric = bar.element.querySelector(".rg-metric");
  metric.value = "acc";
  metric.dispatchEvent({ type: "change" });
  assert.deepEqual(log, [["change", { by: ["optimizer"] }], ["change", { by: null }], ["export", "csv"], ["link"], ["change", { metric: "acc" }]]);
});
