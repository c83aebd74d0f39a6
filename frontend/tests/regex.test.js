import assert from "node:assert/strict";
import { test } from "node:test";
import { anchoredRegex, escapeRegExp, regexError, timeSeriesHref } from "../regex.js";

const NAMES = [
  "lr=0.1,bs=32/seed_1/train",
  "a.b*c+d?e^f$g|h(i)j[k]l{m}n\\o/p-q",
  "<img src=x onerror=alert(1)>",
  "ünïcødé ✓ 日本",
];

test("escaped names match themselves literally and nothing longer", () => {
  for (const name of NAMES) {
    const re = new RegExp(`^${escapeRegExp(name)}$`);
    assert.ok(re.test(name), name);
    assert.ok(!re.test(`${name}x`), name);
  }
  assert.ok(!new RegExp(`^${escapeRegExp("a.c")}$`).test("abc"));
});

test("escaping is valid in unicode mode too", () => {
  for (const name of NAMES) assert.ok(new RegExp(`^${escapeRegExp(name)}$`, "u").test(name), name);
});

test("the anchored alternation matches exactly the runs, case-insensitively as Time Series does", () => {
  const re = new RegExp(anchoredRegex(NAMES), "i");
  for (const name of NAMES) assert.ok(re.test(name), name);
  for (const other of ["lr=0.1,bs=32/seed_1", "lr=0.1,bs=32/seed_1/train/x", "xlr=0.1,bs=32/seed_1/train", "lr=0x1,bs=32/seed_1/train"]) {
    assert.ok(!re.test(other), other);
  }
  assert.equal(anchoredRegex(["a", "a", "b"]), "^(?:a|b)$");
  assert.ok(!new RegExp(anchoredRegex([])).test(""));
});

test("the Time Series link is relative, encoded and opens the timeseries tab", () => {
  const href = timeSeriesHref(["a/b", "c&d"]);
  assert.ok(href.startsWith("../../../?runFilter="));
  assert.ok(href.endsWith("#timeseries"));
  const url = new URL(href, "http://host/prefix/data/plugin/rungroups/");
  assert.equal(url.pathname, "/prefix/");
  assert.equal(url.searchParams.get("runFilter"), "^(?:a\\/b|c&d)$");
  assert.equal(timeSeriesHref(["javascript:alert(1)"]).slice(0, 9), "../../../");
});

test("regex errors are reported, valid patterns are not", () => {
  assert.equal(regexError(""), null);
  assert.equal(regexError("seed_[12]"), null);
  assert.match(regexError("(x"), /Invalid regular expression/);
});
