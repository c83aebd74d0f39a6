import assert from "node:assert/strict";
import { test } from "node:test";
import { commandLine, metadataRows, parameterRows } from "../views/run_panel.js";

test("each parameter shows once: parsed, recorded, or both", () => {
  const rows = parameterRows({ lr: 0.0003, bs: 128, seed: 0 }, { lr: 0.0003, bs: 128, seed: 0, optimizer: "adam" });
  assert.deepEqual(rows, [
    { key: "lr", value: "0.0003", source: "both" },
    { key: "bs", value: "128", source: "both" },
    { key: "seed", value: "0", source: "both" },
    { key: "optimizer", value: "adam", source: "hparams" },
  ]);
  // A recorded value wins over the name's, which stays visible.
  assert.deepEqual(parameterRows({ lr: 0.1, x: "a" }, { lr: 0.2 }), [
    { key: "lr", value: "0.2", source: "hparams", parsed: "0.1" },
    { key: "x", value: "a", source: "name" },
  ]);
  assert.deepEqual(parameterRows(null, undefined), []);
});

test("metadata rows leave out what has its own section, nested keys dotted", () => {
  const rows = metadataRows({ hparams: { lr: 1 }, command: ["a"], dataset: { name: "d", rows: 3 }, tags: ["x", "y"], notes: "n" });
  assert.deepEqual(rows, [
    ["dataset.name", "d"],
    ["dataset.rows", "3"],
    ["tags", "x, y"],
    ["notes", "n"],
  ]);
});

test("the command line reads as a shell would", () => {
  assert.equal(commandLine(["demo/train.py", "--logdir", "demo_logs"]), "demo/train.py --logdir demo_logs");
  assert.equal(commandLine(["x", "a b", "it's", "$HOME"]), "x 'a b' 'it'\\''s' '$HOME'");
  assert.equal(commandLine("python x.py"), "python x.py");
  assert.equal(commandLine(null), "");
});
