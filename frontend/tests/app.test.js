import assert from "node:assert/strict";
import { test } from "node:test";
import "./browser_globals.js";
import { FIELDS, TAGS, groupsAnswer } from "./answers_fixture.js";
import { texts } from "./fake_dom.js";

const { App, VIEWS } = await import("../app.js");
const { GroupChart } = await import("../chart.js");
const { defaultState } = await import("../state.js");
const api = await import("../api.js");

// Waits until `ok()` holds (the controller's answers arrive over a few tasks and frames).
async function until(ok, what) {
  for (let i = 0; i < 400 && !ok(); i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(ok(), what);
}
GroupChart.prototype.update = function (series) {
  this.element.dataset.series = String(series.length);
};

// The routes, answered from memory; every path asked is kept. While `staleRounds` > 0,
// the first view's routes (asked with allow_stale) answer stale, as tb_plugin/refresh.py
// does while the fresh answers are computed; each first-view /groups asked counts one
// round down.
const asked = [];
let staleRounds = 0;
let staleRuns = 0; // while > 0, /runs alone answers stale (each /runs asked counts one down)
globalThis.fetch = async (path) => {
  let stale = staleRounds > 0 && path.includes("allow_stale=true");
  if (stale && path.startsWith("./groups")) staleRounds--;
  if (staleRuns > 0 && path.startsWith("./runs")) stale = Boolean(staleRuns--);
  const headers = { get: (name) => (stale && name === "X-Rungroups-Stale" ? "12.0" : null) };
  asked.push(path);
  const route = path.replace(/^\.\//, "").split("?")[0];
  const g = groupsAnswer();
  const curves = { curves: g.groups.map((x) => ({ key: x.key, label: x.label, values: x.values, size: x.size, curve: { x: [0], mean: [1], lo: [1], hi: [1], count: [1] } })) };
  const answers = { fields: FIELDS, tags: TAGS, groups: g, runs: { runs: [] }, curves, effects: { fields: ["lr"], query: path } };
  const body = answers[route];
  if (!body) return { ok: false, status: 404, statusText: "Not Found", headers, text: async () => `no route ${route}` };
  return { ok: true, status: 200, headers, text: async () => JSON.stringify(body) };
};

// The Effects view's entry, its class swapped for one that prints what it got.
class EffectsView {
  constructor(actions) {
    this.actions = actions;
    this.element = document.createElement("section");
    this.element.className = "rg-effects";
  }
  update(state, answer) {
    this.element.textContent = answer ? `fields: ${answer.fields.join(",")}` : "loading";
  }
}

test("the controller: loads the Groups view, routes a change, and shows a registered view from its route", async () => {
  assert.deepEqual(
    VIEWS.map((v) => [v.id, v.label]),
    [
      ["groups", "Groups"],
      ["effects", "Effects"],
      ["benchmark", "Across tasks"],
    ],
  );
  const effects = VIEWS.find((v) => v.id === "effects");
  const RealView = effects.View;
  effects.View = EffectsView;
  try {
    const root = document.createElement("main");
    const app = new App(root, { ...defaultState(), filter: "seed" }, { topHref: () => "http://h/" });
    await app.load();
    await until(() => root.querySelector(".rg-chart").dataset.series === "2" && root.getAttribute("aria-busy") === "false", "chart drawn");
    assert.deepEqual(texts(root, ".rg-group-row .rg-size"), ["3", "2", "1"]);
    assert.equal(root.querySelector(".rg-chart").dataset.series, "2");
    assert.equal(root.querySelector(".rg-views").hidden, false);
    assert.equal(root.getAttribute("aria-busy"), "false");
    root.querySelector(".rg-view-effects").click();
    await until(() => root.querySelector(".rg-content").lastChild.textContent === "fields: lr", "the effects view drew its answer");
    assert.ok(asked.includes("./effects?metric=loss&filter=seed&reduction=last"), asked.join(" "));
    app.change({ view: "groups" });
    assert.ok(root.querySelector(".rg-content .rg-main"));
    // A change of the run opens the panel; Escape-like close through change(patch).
    app.change({ run: "lr=0.1/seed_0/train" });
    assert.ok(root.classList.contains("rg-has-panel"));
    app.change({ run: null });
    assert.equal(root.classList.contains("rg-has-panel"), false);
    // Settled (/runs read, the rows' sparklines asked), so nothing it asks lands in the next test.
    await until(() => app.answers.runs && root.getAttribute("aria-busy") === "false", "settled");
    await new Promise((r) => setTimeout(r, 150));
    await until(() => root.getAttribute("aria-busy") === "false", "settled");
  } finally {
    effects.View = RealView;
  }
});

test("a view answered stale is marked refreshing and asked again until it is fresh", async () => {
  const root = document.createElement("main");
  const app = new App(root, defaultState(), { topHref: () => "http://h/" });
  api.clearCache();
  staleRounds = 2;
  const before = asked.length;
  const count = (route) => asked.slice(before).filter((p) => p.startsWith(`./${route}?`)).length;
  await app.load();
  await until(() => root.dataset.view === "stale", "the first view shows, marked stale");
  const marker = root.querySelector(".rg-refreshing");
  assert.equal(marker.hidden, false);
  assert.match(marker.textContent, /Refreshing… \(showing the view of 12 s ago\)/);
  assert.deepEqual(texts(root, ".rg-group-row .rg-size"), ["3", "2", "1"]);
  // Nothing more is asked for a stale view (its chart and sparklines are what came with it).
  assert.equal(count("curves"), 0, asked.slice(before).join(" "));
  // Asked again after 1 s (/groups still stale, the rest fresh), then only /groups 1.5 s
  // later (fresh): the marker goes; the fresh answers were not asked again.
  for (let i = 0; i < 120 && root.dataset.view !== "fresh"; i++) await new Promise((r) => setTimeout(r, 50));
  assert.equal(root.dataset.view, "fresh", asked.slice(before).join(" "));
  assert.equal(marker.hidden, true);
  assert.deepEqual(["groups", "runs", "fields", "tags"].map(count), [3, 2, 2, 2]);
  assert.ok(asked.includes("./fields?allow_stale=true"), asked.join(" "));
  // Fresh from then on: no more requests.
  const settled = asked.length;
  await new Promise((r) => setTimeout(r, 1200));
  assert.equal(asked.length, settled);
});

test("the first view is drawn and marked before /runs is read; a stale /runs behind it marks it refreshing", async () => {
  const root = document.createElement("main");
  const app = new App(root, defaultState(), { topHref: () => "http://h/" });
  api.clearCache();
  staleRuns = 1;
  const before = asked.length;
  const count = (route) => asked.slice(before).filter((p) => p.startsWith(`./${route}?`)).length;
  const calls = [];
  const freshness = app._freshness.bind(app);
  app._freshness = (mine, answers) => (calls.push([answers.length, app.answers.runs]), freshness(mine, answers));
  await app.load();
  assert.equal(count("runs"), 1, "asked in the first round trip");
  assert.deepEqual(calls[0], [3, null], "the view (fields, tags, groups) is marked with /runs not yet read");
  assert.equal(calls.length, 2, "then /runs, stale: the view is marked again");
  assert.equal(calls[1][0], 4);
  assert.equal(root.dataset.view, "stale");
  assert.equal(root.querySelector(".rg-refreshing").hidden, false);
  await until(() => root.dataset.view === "fresh", "asked again, /runs comes fresh");
  assert.deepEqual(["groups", "runs", "fields", "tags"].map(count), [1, 2, 1, 1], asked.slice(before).join(" "));
});

test("back to the default grouping after another, the first view's answer is drawn again: no /groups asked", async () => {
  const root = document.createElement("main");
  const app = new App(root, defaultState(), { topHref: () => "http://h/" });
  api.clearCache();
  await app.load();
  await until(() => root.dataset.view === "fresh" && root.getAttribute("aria-busy") === "false", "first view");
  const first = app.answers.groups;
  const before = asked.length;
  const groupsAsked = () => asked.slice(before).filter((p) => p.startsWith("./groups?"));
  app.change({ by: ["lr", "seed"] });
  await until(() => app.answers.groups !== first && root.getAttribute("aria-busy") === "false", "regrouped");
  assert.equal(groupsAsked().length, 1);
  app.change({ by: null });
  await until(() => app.answers.groups === first, "the first view's answer again");
  assert.deepEqual(groupsAsked(), [groupsAsked()[0]], "nothing more asked");
});
