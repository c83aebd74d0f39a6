import assert from "node:assert/strict";
import { test } from "node:test";
import { effectsCsv, effectsFigure, effectsQuery, effectsSvg, percent, svgMarkup, valueAxis } from "../views/effects.js";
import { defaultState } from "../state.js";

const HOSTILE = '<img src=x onerror="alert(1)"> & </svg>';

// A field the design cannot separate (df 0): no share, no test, its values still there.
function inseparable(field, a, b) {
  const none = { share: null, ci_low: null, ci_high: null, ss: null, df: 0, f_value: null, p_value: null, p_holm: null, below_noise: null };
  const values = [
    { value: a, mean: 0.7, std: 0.1, n: 19, ci_low: 0.65, ci_high: 0.75 },
    { value: b, mean: 0.9, std: null, n: 1, ci_low: null, ci_high: null },
  ];
  return { field, ...none, values };
}

// An /effects answer as the backend gives it (shape of tb_plugin/http_api.md).
function answer() {
  return {
    metric: "epoch_loss",
    split: "validation",
    reduction: "last",
    k: null,
    goal: "min",
    by: ["param.lr", "param.bs", "param.opt", "param.width"],
    repeat_fields: [],
    matched: 22,
    excluded: 1,
    trials: 21,
    configurations: 8,
    seed_df: 13,
    ci_level: 0.95,
    reps: 1000,
    seed: 0,
    total_ss: 0.1,
    constant: [],
    seed_share: { share: 0.14, ci_low: 0.1, ci_high: 0.27 },
    rest_share: { share: 0.1, ci_low: 0.05, ci_high: 0.18 },
    main_share: { share: 0.76, ci_low: 0.6, ci_high: 0.8 },
    fields: [
      {
        field: "param.lr",
        share: 0.5,
        ci_low: 0.3,
        ci_high: 0.62,
        ss: 0.05,
        df: 3,
        f_value: 9.1,
        p_value: 0.001,
        p_holm: 0.002,
        below_noise: false,
        values: [
          { value: 0.0001, mean: 0.9, std: 0.05, n: 6, ci_low: 0.85, ci_high: 0.95 },
          { value: 0.001, mean: 0.62, std: null, n: 1, ci_low: null, ci_high: null },
          { value: 0.01, mean: 0.7, std: 0.03, n: 6, ci_low: 0.67, ci_high: 0.73 },
          { value: 0.1, mean: 1.2, std: 0.2, n: 8, ci_low: 1.0, ci_high: 1.4 },
        ],
      },
      {
        field: "param.bs",
        share: 0.02,
        ci_low: 0,
        ci_high: 0.06,
        ss: 0.002,
        df: 1,
        f_value: 1.2,
        p_value: 0.3,
        p_holm: 0.3,
        below_noise: true,
        values: [
          { value: 32, mean: 0.8, std: 0.1, n: 10, ci_low: 0.73, ci_high: 0.87 },
          { value: 128, mean: 0.83, std: 0.1, n: 11, ci_low: 0.76, ci_high: 0.9 },
        ],
      },
      inseparable("param.opt", HOSTILE, null),
      inseparable("param.width", 64, 128),
    ],
    inseparable: [["param.opt", "param.width"]],
  };
}

// Every node of a tree, depth first.
function walk(tree, out = []) {
  out.push(tree);
  for (const child of tree.children) walk(child, out);
  return out;
}

const byClass = (tree, name) => walk(tree).filter((n) => (n.attrs.class || "").split(" ").includes(name));

test("fields are drawn in the answer's rank order, each a clickable row and panel", () => {
  const fig = effectsFigure(answer());
  const rows = byClass(fig, "rg-effects-row").filter((n) => n.field);
  assert.deepEqual(
    rows.map((r) => r.field),
    ["param.lr", "param.bs", "param.opt", "param.width"],
  );
  const panels = byClass(fig, "rg-effects-panel");
  assert.deepEqual(
    panels.map((p) => p.field),
    ["param.lr", "param.bs", "param.opt", "param.width"],
  );
  // The rows' labels are the short names; the first row's bar is the longest.
  const labels = byClass(fig, "rg-effects-label").map((n) => n.text);
  assert.deepEqual(labels, ["lr", "bs", "opt", "width", "interactions"]);
  const bars = byClass(fig, "rg-effects-bar");
  assert.ok(bars[0].attrs.width > bars[1].attrs.width);
});

test("share intervals, the seed-noise line and the notes say what the answer says", () => {
  const fig = effectsFigure(answer());
  const intervals = byClass(fig, "rg-effects-interval").filter((n) => "data-low" in n.attrs);
  assert.deepEqual(
    intervals.map((n) => [n.attrs["data-low"], n.attrs["data-high"]]),
    [
      [0.3, 0.62],
      [0, 0.06],
      [0.05, 0.18],
    ],
  );
  // Bars and intervals share one scale from the label column: share 0.5 ends where the
  // interval's 0.5 would; the seed line sits at 0.14 on it.
  const bar = byClass(fig, "rg-effects-bar")[0];
  const scale = (v) => bar.attrs.x + ((bar.attrs.width / 0.5) * v);
  assert.ok(Math.abs(intervals[0].attrs.x1 - scale(0.3)) < 0.2);
  assert.ok(Math.abs(intervals[0].attrs.x2 - scale(0.62)) < 0.2);
  const [seed] = byClass(fig, "rg-effects-seed");
  assert.equal(seed.attrs["data-share"], 0.14);
  assert.ok(Math.abs(seed.attrs.x1 - scale(0.14)) < 0.2);
  assert.equal(byClass(fig, "rg-effects-seed-label")[0].text, "seed noise 14.0%");
  const notes = byClass(fig, "rg-effects-note").map((n) => n.text);
  assert.deepEqual(notes, ["50.0% · p=0.0020", "2.0% · below seed noise", "not separable", "not separable", "10.0%"]);
  assert.equal(byClass(fig, "rg-effects-below").length, 1);
  const [warning] = byClass(fig, "rg-effects-warning");
  assert.match(warning.text, /^opt and width always change together/);
});

test("error bars are the per-value t intervals; n=1 is a point that says so, never ± 0", () => {
  const fig = effectsFigure(answer());
  const lr = byClass(fig, "rg-effects-panel")[0];
  const bars = byClass(lr, "rg-effects-errorbar").filter((n) => "data-low" in n.attrs);
  assert.deepEqual(
    bars.map((n) => [JSON.parse(n.attrs["data-value"]), n.attrs["data-low"], n.attrs["data-high"]]),
    [
      [0.0001, 0.85, 0.95],
      [0.01, 0.67, 0.73],
      [0.1, 1.0, 1.4],
    ],
  );
  const means = byClass(lr, "rg-effects-mean");
  assert.deepEqual(
    means.map((n) => n.attrs["data-mean"]),
    [0.9, 0.62, 0.7, 1.2],
  );
  // Higher values are drawn higher (smaller y); the bar spans its interval around the mean.
  assert.ok(means[3].attrs.cy < means[0].attrs.cy);
  assert.ok(bars[2].attrs.y1 > means[3].attrs.cy && bars[2].attrs.y2 < means[3].attrs.cy);
  assert.deepEqual(
    byClass(lr, "rg-effects-n1").map((n) => n.text),
    ["n=1"],
  );
  assert.ok(!svgMarkup(fig).includes("± 0"));
});

test("numeric values on a numeric axis, log past two decades; other values evenly spaced", () => {
  assert.deepEqual(valueAxis([0.0001, 0.001, 0.1]), { kind: "log", lo: 0.0001, hi: 0.1 });
  assert.deepEqual(valueAxis([32, 64, 128]), { kind: "linear", lo: 32, hi: 128 });
  assert.deepEqual(valueAxis([1, 99]), { kind: "linear", lo: 1, hi: 99 });
  assert.deepEqual(valueAxis([0.0003, 0.03]), { kind: "log", lo: 0.0003, hi: 0.03 }); // two decades, rounded
  assert.deepEqual(valueAxis([-1, 1000]), { kind: "linear", lo: -1, hi: 1000 });
  assert.equal(valueAxis(["adam", "sgd"]).kind, "category");
  assert.equal(valueAxis([1, null]).kind, "category");
  assert.equal(valueAxis([true, false]).kind, "category");
  const fig = effectsFigure(answer());
  const panels = byClass(fig, "rg-effects-panel");
  assert.deepEqual(
    panels.map((p) => p.attrs["data-axis"]),
    ["log", "linear", "category", "linear"],
  );
  // On the log axis 0.001 is a third of the way from 0.0001 to 0.1.
  const xs = byClass(panels[0], "rg-effects-mean").map((n) => n.attrs.cx);
  assert.ok(Math.abs((xs[1] - xs[0]) / (xs[3] - xs[0]) - 1 / 3) < 0.01);
  // On the linear axis 64 is at a third from 32 to 128... of the values 32 and 128 only here.
  const bs = byClass(panels[1], "rg-effects-mean").map((n) => n.attrs.cx);
  assert.ok(bs[1] > bs[0]);
  // The log axis says so.
  assert.ok(byClass(panels[0], "rg-effects-axis")[0].text.endsWith("(log scale)"));
});

test("the SVG export is well-formed and escapes untrusted text", () => {
  const svg = effectsSvg(answer());
  assert.ok(svg.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg"'));
  assert.ok(!svg.includes("<img"));
  assert.ok(svg.includes("&lt;img src=x onerror=&quot;alert(1)&quot;&gt; &amp; &lt;/svg&gt;"));
  const stack = [];
  for (const m of svg.matchAll(/<(\/?)([a-z]+)(?:\s[^<>]*)?>/g)) {
    if (m[1]) assert.equal(stack.pop(), m[2]);
    else stack.push(m[2]);
  }
  assert.deepEqual(stack, []);
  assert.ok(svg.includes("(none)"));
});

test("the CSV has effects_export's columns and a row per field, value and share", () => {
  const lines = effectsCsv(answer()).split("\r\n");
  assert.equal(lines[0], "kind,field,value,share,share_ci_low,share_ci_high,df,f_value,p_value,p_holm,below_noise,mean,std,n,ci_low,ci_high");
  assert.equal(lines[1], "field,param.lr,,0.5,0.3,0.62,3,9.1,0.001,0.002,false,,,,,");
  assert.equal(lines[3], "value,param.lr,0.001,,,,,,,,,0.62,,1,,");
  assert.equal(lines.at(-4), "seed,,,0.14,0.1,0.27,,,,,,,,,,");
  assert.equal(lines.at(-2), "main,,,0.76,0.6,0.8,,,,,,,,,,");
  assert.equal(lines.at(-1), "");
  // A value that a spreadsheet would run is neutralised; (none) names a missing value.
  assert.ok(lines.some((l) => l.startsWith('value,param.opt,"<img')));
  assert.ok(lines.includes("value,param.opt,(none),,,,,,,,,0.9,,1,,"));
  assert.equal(lines.length, 1 + 4 + 10 + 3 + 1);
});

test("the query is the table's metric, split, reduction and filters, never its grouping", () => {
  const state = { ...defaultState(), by: ["param.lr"], metric: "epoch_loss", split: "validation", reduction: "min", regex: "^lr", where: [["opt", "adam"]] };
  const q = new URLSearchParams(effectsQuery(state));
  assert.equal(q.get("by"), null);
  assert.equal(q.get("metric"), "epoch_loss");
  assert.equal(q.get("split"), "validation");
  assert.equal(q.get("reduction"), "min");
  assert.equal(q.get("regex"), "^lr");
  assert.deepEqual(q.getAll("where"), ["opt=adam"]);
  assert.equal(q.get("baseline"), null);
  const first = new URLSearchParams(effectsQuery({ ...defaultState(), reduction: "best" }));
  assert.equal(first.get("metric"), null);
  assert.equal(first.get("reduction"), "best");
  assert.equal(percent(0.1234), "12.3%");
  assert.equal(percent(null), "–");
});

test("the current grouping field is marked", () => {
  const fig = effectsFigure(answer(), { by: ["param.bs"] });
  assert.deepEqual(
    byClass(fig, "rg-effects-current").map((n) => n.field),
    ["param.bs"],
  );
});
