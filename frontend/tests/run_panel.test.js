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

// The view itself, in a fake DOM (views/run_panel.js' RunPanel).
const { install, texts } = await import("./fake_dom.js");
install();
const { RunPanel, readRows } = await import("../views/run_panel.js");

const DETAIL = { run: "lr=0.1/seed_1/train", trial: "lr=0.1/seed_1", split: "train", params: { lr: 0.1, seed: 1 }, metadata: {}, scalars: [] };
// A made-up `read` (issue 22's /runs field), with text that must stay text.
const READ = {
  fields: [
    { field: "lr", value: 0.1, rule: "key=value" },
    { field: "seed", value: 1, rule: "seed_N (repeat)" },
    { field: "note", value: "<b>x</b>", rule: "<img src=x onerror=alert(1)>" },
  ],
  trial: { trial: "lr=0.1/seed_1", rule: "train/validation split joined", joined: ["lr=0.1/seed_1/train", "lr=0.1/seed_1/validation"] },
  fix: "tb-rungroups patterns add '{lr}/seed_{seed}'",
};

test("readRows: each field with its rule, the trial's rule and joined runs, the fix", () => {
  assert.deepEqual(readRows(READ), {
    fields: [
      ["lr", "0.1", "key=value"],
      ["seed", "1", "seed_N (repeat)"],
      ["note", "<b>x</b>", "<img src=x onerror=alert(1)>"],
    ],
    trial: ["lr=0.1/seed_1", "train/validation split joined"],
    joined: ["lr=0.1/seed_1/train", "lr=0.1/seed_1/validation"],
    fix: "tb-rungroups patterns add '{lr}/seed_{seed}'",
  });
  assert.equal(readRows(undefined), null);
  assert.deepEqual(readRows({ fields: [], trial: null, fix: null }), { fields: [], trial: null, joined: [], fix: null });
});

test("the run panel shows how the name was read, as text, and nothing when not given", () => {
  const changes = [];
  const panel = new RunPanel({ change: (p) => changes.push(p), copy: () => {} });
  const state = { run: DETAIL.run };
  panel.update(state, { run: DETAIL.run, detail: { ...DETAIL, read: READ } });
  const section = panel.element.querySelectorAll(".rg-panel-section").find((s) => s.querySelector("h3").textContent === "How it was read");
  assert.ok(section, "a 'How it was read' section");
  assert.deepEqual(texts(section, ".rg-read-fields .rg-kv-key"), ["lr", "seed", "note"]);
  assert.deepEqual(texts(section, ".rg-read-rule"), ["key=value", "seed_N (repeat)", "<img src=x onerror=alert(1)>"]);
  assert.equal(section.querySelectorAll("img").length, 0, "rules are text, never markup");
  assert.equal(section.querySelector(".rg-read-trial").textContent, "trial lr=0.1/seed_1: train/validation split joined");
  assert.equal(section.querySelector(".rg-read-joined").textContent, "joined with lr=0.1/seed_1/train, lr=0.1/seed_1/validation");
  assert.equal(section.querySelector(".rg-read-fix").textContent, "Fix: tb-rungroups patterns add '{lr}/seed_{seed}'");
  panel.update(state, { run: DETAIL.run, detail: DETAIL });
  assert.deepEqual(texts(panel.element, ".rg-panel-section h3"), ["Run", "Parameters", "Metadata"]);
  // Close and a trial's other run go through change(patch).
  panel.element.querySelector(".rg-close").click();
  assert.deepEqual(changes, [{ run: null }]);
});

test("the run panel: nothing without a run, loading, then the error", () => {
  const panel = new RunPanel({ change: () => {}, copy: () => {} });
  panel.update({ run: null }, null);
  assert.equal(panel.element.childNodes.length, 0);
  panel.update({ run: "a/b" }, null);
  assert.equal(panel.element.querySelector(".rg-muted").textContent, "Loading…");
  panel.update({ run: "a/b" }, { run: "a/b", error: "no run named a/b" });
  assert.equal(panel.element.querySelector(".rg-muted").textContent, "no run named a/b");
  // An answer for another run (a late one) is not shown.
  panel.update({ run: "a/c" }, { run: "a/b", detail: DETAIL });
  assert.equal(panel.element.querySelector(".rg-panel-title").textContent, "a/c");
});
