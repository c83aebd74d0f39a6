import assert from "node:assert/strict";
import { test } from "node:test";
import { chartSvg, escapeXml, niceTicks } from "../chart_svg.js";

const HOSTILE = '<img src=x onerror="alert(1)"> & </svg>';

function chart(extra = {}) {
  return {
    width: 600,
    plotHeight: 200,
    xLabel: "step",
    yLabel: "epoch_loss",
    log: false,
    xRange: [0, 20],
    yRange: [0, 3],
    x: [0, 5, 10, 20],
    series: [
      { label: "lr=0.1", color: "#1976d2", mean: [1, null, 0.5, 0.25], lo: [0.9, null, 0.4, 0.2], hi: [1.1, null, 0.6, 0.3], raw: [1.2, null, 0.4, 0.3] },
      { label: HOSTILE, color: "#f57c00", mean: [null, 3, 2, null], lo: null, hi: null, lines: [{ x: [5, 10], y: [3.1, 2.1] }], note: "(3 runs)" },
    ],
    ...extra,
  };
}

// A small XML well-formedness check: every tag closes in order, attributes are quoted.
function elements(svg) {
  const stack = [];
  const names = [];
  const tag = /<(\/?)([a-zA-Z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/g;
  let last = 0;
  for (let m; (m = tag.exec(svg)); ) {
    assert.ok(!/[<>]/.test(svg.slice(last, m.index)), `stray markup before ${m[0]}`);
    last = tag.lastIndex;
    if (m[1]) assert.equal(stack.pop(), m[2]);
    else {
      names.push(m[2]);
      if (!m[4]) stack.push(m[2]);
    }
  }
  assert.ok(!/[<>]/.test(svg.slice(last)), "stray markup at the end");
  assert.deepEqual(stack, []);
  return names;
}

test("the SVG is well-formed, one <path> per charted group, legend included", () => {
  const svg = chartSvg(chart());
  assert.ok(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'));
  const names = elements(svg);
  assert.equal(names.filter((n) => n === "path").length, 2);
  assert.equal(names.filter((n) => n === "polygon").length, 1); // the first group's band (the second has none)
  assert.equal((svg.match(/class="rg-svg-raw"/g) || []).length, 1);
  assert.equal((svg.match(/class="rg-svg-run"/g) || []).length, 1);
  assert.match(svg, /<text x="86" y="[\d.]+">lr=0\.1<\/text>/);
  assert.ok(svg.includes(`${escapeXml(HOSTILE)} (3 runs)`));
  assert.ok(!svg.includes("<img"));
});

test("a mean path maps data to the plot box and spans gaps", () => {
  const svg = chartSvg(chart());
  const d = /class="rg-svg-mean" d="([^"]*)"/.exec(svg)[1];
  // x 0 -> left margin 70; y 1 of [0, 3] over 200px below a 14px top margin.
  assert.ok(d.startsWith("M70.0 147.3L"), d);
  assert.equal((d.match(/M/g) || []).length, 1);
  assert.equal((d.match(/L/g) || []).length, 2);
});

test("log scale: ticks at powers of ten, values <= 0 left out", () => {
  const svg = chartSvg(chart({ log: true, yRange: [0.1, 10] }));
  elements(svg);
  for (const t of ["0.1", "1", "10"]) assert.ok(svg.includes(`dominant-baseline="middle">${t}</text>`), t);
});

test("nice ticks are round numbers inside the range", () => {
  assert.deepEqual(niceTicks(0, 1, 5), [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.deepEqual(niceTicks(0.62, 0.66, 4), [0.62, 0.64, 0.66]);
  assert.deepEqual(niceTicks(3, 3), [3]);
});
