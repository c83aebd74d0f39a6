import assert from "node:assert/strict";
import { test } from "node:test";
import { SPARKLINE_MAX_GROUPS, SparklineBatcher } from "../sparklines.js";

const wait = (ms) => new Promise((r) => setTimeout(r, ms));
const curvesOf = (keys) => ({ curves: keys.map((key) => ({ key, curve: { x: [0], mean: [1] } })) });

test("sparklines: rows asking within a batch go out as one request, each key once", async () => {
  const asked = [];
  const heard = [];
  const b = new SparklineBatcher(
    async (q, keys) => {
      asked.push([q.metric, keys]);
      return curvesOf(keys);
    },
    (lines) => heard.push([...lines.keys()]),
  );
  const first = b.reset({ metric: "loss" }, { metric: "loss", curves: [{ key: "a", curve: {} }] });
  assert.deepEqual([...first.keys()], ["a"]);
  b.want(["a", "b", "c"]);
  b.want(["c", "d"]);
  await wait(80);
  assert.deepEqual(asked, [["loss", ["b", "c", "d"]]]);
  assert.deepEqual(heard, [["a", "b", "c", "d"]]);
  b.want(["a", "d"]); // known: nothing asked
  await wait(50);
  assert.equal(asked.length, 1);
});

test("sparklines: big batches are split, a reset drops late answers, no metric asks nothing", async () => {
  const asked = [];
  let release;
  const gate = new Promise((r) => (release = r));
  const heard = [];
  const b = new SparklineBatcher(
    async (q, keys) => {
      asked.push(keys.length);
      await gate;
      return curvesOf(keys);
    },
    (lines) => heard.push(lines.size),
  );
  b.reset({ metric: "loss" }, null);
  b.want(Array.from({ length: SPARKLINE_MAX_GROUPS + 20 }, (_, i) => `k${i}`));
  await wait(50);
  assert.deepEqual(asked, [SPARKLINE_MAX_GROUPS]);
  b.reset({ metric: "acc" }, { metric: "loss", curves: [{ key: "x", curve: {} }] }); // another metric's: not kept
  assert.equal(b.lines.size, 0);
  release();
  await wait(80);
  assert.deepEqual(heard, [], "the answer for the old query is dropped");
  b.reset({ metric: null }, null);
  b.want(["a"]);
  await wait(50);
  assert.equal(asked.length, 1);
});
