import assert from "node:assert/strict";
import { test } from "node:test";

// A minimal DOM (node has none): enough for the view to build its tree. It has
// no markup parser at all, so text can only arrive as text (tests/test_lint.py
// keeps markup-building calls out of the front end's source).
class FakeNode {
  constructor(tag, ns = null) {
    this.tagName = tag;
    this.namespaceURI = ns;
    this.attributes = new Map();
    this.children = [];
    this.listeners = {};
    this.dataset = {};
    this.style = {};
    this.options = [];
    this.className = "";
    this.title = "";
    this.isConnected = false;
    this._text = "";
    const node = this;
    this.classList = {
      add(c) {
        node.className = `${node.className} ${c}`.trim();
      },
    };
  }
  get textContent() {
    return this._text + this.children.map((c) => c.textContent).join("");
  }
  set textContent(text) {
    this.children = [];
    this._text = String(text);
  }
  setAttribute(k, v) {
    this.attributes.set(k, String(v));
  }
  getAttribute(k) {
    return this.attributes.has(k) ? this.attributes.get(k) : null;
  }
  append(...nodes) {
    for (const n of nodes) this.children.push(typeof n === "string" ? new FakeText(n) : n);
  }
  appendChild(n) {
    this.children.push(n);
    return n;
  }
  replaceChildren(...nodes) {
    this.children = [];
    this._text = "";
    this.append(...nodes);
  }
  addEventListener(type, fn) {
    (this.listeners[type] ||= []).push(fn);
  }
  dispatch(type) {
    for (const fn of this.listeners[type] || []) fn({ type });
  }
  add(option) {
    this.options.push(option);
    this.children.push(option);
    if (option.selected) this.value = option.value;
  }
  *walk() {
    yield this;
    for (const c of this.children) if (c.walk) yield* c.walk();
  }
  findAll(predicate) {
    return [...this.walk()].filter(predicate);
  }
  byClass(name) {
    return this.findAll((n) => (n.className || n.getAttribute?.("class") || "").split(" ").includes(name));
  }
}

class FakeText {
  constructor(text) {
    this.textContent = text;
  }
}

globalThis.document = {
  createElement: (tag) => new FakeNode(tag),
  createElementNS: (ns, tag) => new FakeNode(tag, ns),
  createTextNode: (text) => new FakeText(text),
};
globalThis.Option = class extends FakeNode {
  constructor(text, value, _default, selected) {
    super("option");
    this.textContent = text;
    this.value = value;
    this.selected = selected;
  }
};

const {
  AGGREGATES,
  BenchmarkView,
  bestMethods,
  benchmarkCsv,
  columnRanges,
  intervalText,
  missingText,
} = await import("../views/benchmark.js");
const { cdLayout, cdScene, intervalBarScene, profilesScene, sceneSvg } = await import(
  "../views/benchmark_figures.js"
);

const est = (value, ci_low, ci_high) => ({ value, ci_low, ci_high });

function answer() {
  const method = (name, tasks, runs, v, rank, p) => ({
    method: name,
    label: `label.0=${name}`,
    key: `key-${name}`,
    values: [name],
    tasks,
    runs,
    mean: est(v, v - 0.1, v + 0.12),
    median: est(v, v - 0.2, v + 0.2),
    iqm: est(v + 0.01, v - 0.15, v + 0.1),
    optimality_gap: est(1 - v / 3, 0.9 - v / 3, 1.1 - v / 3),
    average_rank: rank,
    ranks: {},
    p_improvement: p,
    p_improvement_ci: p === null ? null : { ci_low: p - 0.2, ci_high: Math.min(1, p + 0.2) },
    p_improvement_tasks: p === null ? 0 : 2,
  });
  return {
    task: "param.env",
    by: ["label.0"],
    metric: "rollout/ep_rew_mean",
    split: null,
    reduction: "last",
    goal: "max",
    tasks: ["CartPole-v1", "HalfCheetah-v4", "Hopper-v4"],
    normalize: "none",
    baseline: "PPO",
    higher_is_better: true,
    ci_level: 0.95,
    reps: 2000,
    seed: 0,
    optimality_threshold: 1,
    methods: [method("A2C", 2, 10, 0.8, 3, 0.12), method("PPO", 3, 15, 1.8, 2, null), method("SAC", 3, 15, 2.5, 1, 0.87)],
    profiles: {
      tau: [0, 1, 2],
      A2C: { y: [1, 0.4, 0], lower: [1, 0.2, 0], upper: [1, 0.6, 0.1] },
      PPO: { y: [1, 0.8, 0.2], lower: [1, 0.6, 0.1], upper: [1, 0.9, 0.4] },
      SAC: { y: [1, 1, 0.7], lower: [1, 0.9, 0.5], upper: [1, 1, 0.9] },
    },
    rank_tasks: ["CartPole-v1", "HalfCheetah-v4"],
    friedman: { statistic: 4, p_value: 0.135 },
    critical_difference: 1.2,
    cliques: [
      ["SAC", "PPO"],
      ["PPO", "A2C"],
    ],
    missing: [{ method: "A2C", task: "Hopper-v4" }],
  };
}

test("an estimate reads value [low, high], rounded as the interval allows", () => {
  assert.equal(intervalText(est(0.8642, 0.6481, 1.0779)), "0.86 [0.65, 1.08]");
  assert.equal(intervalText(est(0.00804, 0.0, 0.0239)), "0.0080 [0.0000, 0.0239]");
  assert.equal(intervalText(est(2, null, null)), "2");
  assert.equal(intervalText(est("NaN", null, null)), "–");
  assert.equal(intervalText(null), "–");
});

test("the best method per column: highest aggregates, lowest gap and rank", () => {
  const a = answer();
  assert.deepEqual(bestMethods(a), { mean: 2, median: 2, iqm: 2, optimality_gap: 2, average_rank: 2 });
  a.higher_is_better = false; // a loss without normalisation: lower is better, no gap pick
  assert.deepEqual(bestMethods(a), { mean: 0, median: 0, iqm: 0, optimality_gap: null, average_rank: 2 });
  const ranges = columnRanges(answer());
  assert.deepEqual(ranges.mean, [0.7000000000000001, 2.62]);
});

test("the missing cells are named", () => {
  assert.equal(missingText(answer()), "No runs: A2C on Hopper-v4. Those methods' aggregates are over fewer tasks (the Tasks column).");
  assert.equal(missingText({ ...answer(), missing: [] }), "");
});

test("CSV has the CLI's columns and neutralises formula-like names", () => {
  const a = answer();
  a.methods[0].method = "=HYPERLINK(1)";
  a.missing[0].method = "=HYPERLINK(1)";
  const lines = benchmarkCsv(a).split("\r\n");
  const head = [
    "method,label,tasks,runs",
    ...AGGREGATES.map(([n]) => `${n},${n} ci_low (95% CI),${n} ci_high (95% CI)`),
    "average_rank,p_improvement,p_improvement ci_low,p_improvement ci_high,missing_tasks",
  ].join(",");
  assert.equal(lines[0], head);
  assert.ok(lines[1].startsWith("'=HYPERLINK(1),label.0=A2C,2,10,0.8,"), lines[1]);
  assert.ok(lines[1].endsWith(",Hopper-v4"));
  assert.ok(lines[2].includes(",2,,,,"), lines[2]); // PPO: rank 2, no P(improvement), no missing task
  assert.equal(lines.length, 5); // header, 3 methods, the final CRLF
});

test("performance profiles: one line and one band per method over the τ grid", () => {
  const scene = profilesScene(answer(), { width: 500, height: 200 });
  const lines = scene.items.filter((i) => i.tag === "polyline");
  const bands = scene.items.filter((i) => i.tag === "polygon");
  assert.deepEqual(
    lines.map((l) => l.attrs["data-method"]),
    ["A2C", "PPO", "SAC"],
  );
  assert.equal(bands.length, 3);
  // τ 0..2 spans the plot (left 52, width 500-52-16); y=1 at the top (12), 0 at the bottom (212).
  assert.equal(lines[0].attrs.points, "52,12 268,132 484,212");
  assert.equal(bands[0].attrs.points.split(" ").length, 6);
  const legend = scene.items.filter((i) => i.attrs && i.attrs.class === "rg-benchmark-legend").map((i) => i.text);
  assert.deepEqual(legend, ["A2C", "PPO", "SAC"]);
});

test("the critical-difference diagram: rank axis, CD bar, labels on two sides, clique bars", () => {
  const layout = cdLayout(answer(), { width: 560 });
  assert.deepEqual(
    layout.axis.ticks.map((t) => t.rank),
    [1, 2, 3],
  );
  assert.equal(layout.axis.x1, 168);
  assert.equal(layout.axis.x2, 392);
  assert.deepEqual(layout.cd, { x1: 168, x2: r(168 + (1.2 / 2) * 224), y: 14, value: 1.2 });
  assert.deepEqual(
    layout.methods.map((m) => [m.method, m.side, m.x]),
    [
      ["SAC", "left", 168],
      ["PPO", "left", 280],
      ["A2C", "right", 392],
    ],
  );
  assert.deepEqual(
    layout.cliques.map((c) => [c.methods, c.x1, c.x2]),
    [
      [["SAC", "PPO"], 164, 284],
      [["PPO", "A2C"], 276, 396],
    ],
  );
  const scene = cdScene(answer());
  const labels = scene.items.filter((i) => i.attrs && i.attrs.class === "rg-cd-label").map((i) => i.text);
  assert.deepEqual(labels, ["SAC (1.00)", "PPO (2.00)", "A2C (3.00)"]);
  assert.equal(cdLayout({ ...answer(), methods: answer().methods.slice(0, 1) }), null);
});

function r(v) {
  return Math.round(v * 10) / 10;
}

test("an interval bar spans its column's scale", () => {
  const scene = intervalBarScene(est(1, 0.5, 2), [0, 2], { width: 86, height: 10 });
  const [line, dot] = scene.items;
  assert.deepEqual([line.attrs.x1, line.attrs.x2, dot.attrs.cx], [23, 83, 43]);
  assert.deepEqual(intervalBarScene(est("NaN", null, null), [0, 1]).items, []);
});

test("exported SVG escapes every text", () => {
  const a = answer();
  a.methods[2].method = '<script>alert("x")</script>';
  a.profiles[a.methods[2].method] = a.profiles.SAC;
  const text = sceneSvg(profilesScene(a), { background: "#fff" });
  assert.ok(text.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'));
  assert.ok(!text.includes("<script>"));
  assert.ok(text.includes("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"));
  const cd = sceneSvg(cdScene(a));
  assert.ok(!cd.includes("<script>") && cd.includes("&lt;script&gt;"));
});

test("the view draws the table, the missing cell, profiles and the diagram; text only as text", () => {
  const changes = [];
  const view = new BenchmarkView({ change: (patch) => changes.push(patch) });
  const hostile = '<img src=x onerror="alert(1)">';
  const a = answer();
  a.methods[0].method = hostile;
  a.missing[0].method = hostile;
  a.profiles[hostile] = a.profiles.A2C;
  a.cliques[1] = ["PPO", hostile];
  const state = { task: "param.env", normalize: "none", baseline_method: "PPO", taskFields: ["param.env", "label.0"] };
  view.update(state, a);
  const root = view.element;
  const rows = root.byClass("rg-benchmark-row");
  assert.deepEqual(
    rows.map((row) => row.dataset.method),
    [hostile, "PPO", "SAC"],
  );
  assert.equal(rows[0].byClass("rg-benchmark-tasks")[0].textContent, "2/3");
  assert.equal(rows[0].byClass("rg-benchmark-tasks")[0].title, "No runs on Hopper-v4");
  assert.equal(rows[2].byClass("rg-benchmark-best").length, 5);
  assert.match(root.byClass("rg-benchmark-missing")[0].textContent, /No runs: <img src=x onerror="alert\(1\)"> on Hopper-v4/);
  // Interval bars, profile lines and the diagram are SVG built node by node.
  assert.equal(root.byClass("rg-benchmark-bar").length, 12);
  const profiles = root.byClass("rg-benchmark-profiles-svg")[0];
  assert.equal(profiles.namespaceURI, "http://www.w3.org/2000/svg");
  assert.equal(profiles.byClass("rg-benchmark-profile").length, 3);
  const cd = root.byClass("rg-benchmark-cd-svg")[0];
  assert.deepEqual(
    cd.byClass("rg-cd-label").map((n) => n.textContent),
    ["SAC (1.00)", "PPO (2.00)", `${hostile} (3.00)`],
  );
  assert.equal(cd.byClass("rg-cd-clique").length, 2);
  // No element was made from the hostile text: it is text everywhere.
  assert.equal(root.findAll((n) => n.tagName === "img").length, 0);
  // Controls change the state, nothing else.
  const normalize = root.byClass("rg-benchmark-normalize")[0];
  normalize.value = "minmax";
  normalize.dispatch("change");
  const baseline = root.byClass("rg-benchmark-baseline")[0];
  assert.deepEqual(
    baseline.options.map((o) => o.value),
    ["", hostile, "PPO", "SAC"],
  );
  baseline.value = "";
  baseline.dispatch("change");
  assert.deepEqual(changes, [
    { normalize: "minmax" },
    { baseline_method: "" },
  ]);
  assert.equal(root.byClass("rg-benchmark-svg").length, 2);
  assert.equal(root.byClass("rg-benchmark-png").length, 2);
  assert.equal(root.byClass("rg-benchmark-csv").length, 1);
});

test("loading and failure", () => {
  const view = new BenchmarkView({ change() {} });
  view.update({ task: "env" }, null);
  assert.equal(view.element.byClass("rg-benchmark-loading")[0].textContent, "Comparing methods across tasks…");
  view.update({}, null);
  assert.equal(view.element.byClass("rg-benchmark-loading")[0].textContent, "Choose the field whose values are the tasks.");
  view.update({ task: "env" }, { error: "argument 'task': unknown field 'env'" });
  assert.equal(view.element.byClass("rg-benchmark-error")[0].textContent, "argument 'task': unknown field 'env'");
});
