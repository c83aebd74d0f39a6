// views/edit.js in a fake DOM: no control unless /edit allows it, the changes
// each control posts, the Undo that posts the answer's undo back, text as text.
import assert from "node:assert/strict";
import { test } from "node:test";
import { install, texts } from "./fake_dom.js";

install();
const { Editor, changeFor, tagList, trialTargets } = await import("../views/edit.js");
const { RunPanel } = await import("../views/run_panel.js");

const HOSTILE = "<img src=x onerror=alert(1)>";
// indexTrials' shape: trial -> {runs: [{run}]}; "a/s1" is annotated (its own directory is a run).
const TRIALS = new Map([
  ["a/s1", { runs: [{ run: "a/s1" }, { run: "a/s1/train" }, { run: "a/s1/validation" }] }],
  ["a/s2", { runs: [{ run: "a/s2/train" }, { run: "a/s2/validation" }] }],
]);

/** An Editor over a fake backend that records every post and answers with an undo. */
function editor(edit = { allowed: true, token: "tok" }, fail = null) {
  const posts = [];
  const changed = [];
  const e = new Editor({
    fetchEdit: async () => {
      if (edit instanceof Error) throw edit;
      return edit;
    },
    post: async (body, token) => {
      posts.push({ body, token });
      if (fail) throw new Error(fail);
      return { runs: {}, undo: { changes: [{ runs: body.runs || ["x"], remove_tags: ["undo-of-" + posts.length] }] } };
    },
    onChanged: (answer) => changed.push(answer),
  });
  return { e, posts, changed };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

test("tagList, changeFor and trialTargets", () => {
  assert.deepEqual(tagList(["a", "b"]), ["a", "b"]);
  assert.deepEqual(tagList("a"), ["a"]);
  assert.deepEqual(tagList(undefined), []);
  assert.equal(changeFor(["r"], "tag", "   "), null);
  assert.equal(changeFor([], "tag", "x"), null);
  assert.deepEqual(changeFor(["r"], "tag", " best "), { runs: ["r"], add_tags: ["best"] });
  assert.deepEqual(changeFor(["r"], "note", "two words"), { runs: ["r"], note: "two words" });
  // An annotated trial is written in its own directory; otherwise in its first run.
  assert.deepEqual(trialTargets("a/s1", TRIALS), { home: "a/s1", all: ["a/s1", "a/s1/train", "a/s1/validation"] });
  assert.deepEqual(trialTargets("a/s2", TRIALS), { home: "a/s2/train", all: ["a/s2/train", "a/s2/validation"] });
  assert.deepEqual(trialTargets("b", null, "b/train"), { home: "b/train", all: ["b/train"] });
});

test("no control anywhere unless /edit allows it", async () => {
  for (const answer of [{ allowed: false, token: null }, { allowed: true, token: null }, { allowed: "yes", token: "t" }, new Error("403")]) {
    const { e } = editor(answer);
    assert.equal(await e.init(), false);
    assert.equal(e.runControls({ run: "a/s1", trial: "a/s1" }, TRIALS), null);
    assert.equal(e.groupControls({ label: "a", members: [{ trial: "a/s1" }] }, () => TRIALS), null);
    assert.equal(await e.apply({ runs: ["a/s1"], add_tags: ["x"] }, "x"), null);
  }
  // And the run panel shows no Edit section when the action gives none.
  const panel = new RunPanel({ change: () => {}, copy: () => {}, editRun: () => null });
  panel.update({ run: "a/s1" }, { run: "a/s1", detail: { run: "a/s1", trial: "a/s1", params: {}, metadata: {} } });
  assert.equal(panel.element.querySelectorAll(".rg-edit-run").length, 0);
});

test("the run panel's edit section: add tag, remove a tag (from every run of the trial), note, status", async () => {
  const { e, posts, changed } = editor();
  assert.equal(await e.init(), true);
  const panel = new RunPanel({ change: () => {}, copy: () => {}, editRun: (d) => e.runControls(d, TRIALS) });
  const detail = { run: "a/s1/train", trial: "a/s1", status: "running", params: {}, metadata: {}, trial_metadata: { tags: ["grid", HOSTILE] } };
  panel.update({ run: detail.run }, { run: detail.run, detail });
  const box = panel.element.querySelector(".rg-edit-run");
  assert.ok(box, "an Edit section");
  assert.deepEqual(texts(box, ".rg-edit-tag-text"), ["grid", HOSTILE]);
  assert.equal(box.querySelectorAll("img").length, 0, "a hostile tag stays text");
  assert.equal(box.querySelector(".rg-edit-tag[data-tag=grid] .rg-edit-untag").getAttribute("aria-label"), "Remove tag grid");

  const input = box.querySelector(".rg-edit-tag-input");
  input.value = "  ";
  box.querySelector(".rg-edit-add-tag").click();
  assert.equal(posts.length, 0, "a blank tag sends nothing");
  input.value = "best";
  box.querySelector(".rg-edit-add-tag").click();
  await tick();
  assert.deepEqual(posts[0], { body: { runs: ["a/s1"], add_tags: ["best"] }, token: "tok" });
  assert.equal(input.value, "", "the box empties once sent");
  assert.equal(changed.length, 1, "the tab refreshes after a write");

  box.querySelectorAll(".rg-edit-untag")[1].click();
  await tick();
  assert.deepEqual(posts[1].body, { runs: ["a/s1", "a/s1/train", "a/s1/validation"], remove_tags: [HOSTILE] });

  const note = box.querySelector(".rg-edit-note-input");
  note.value = "diverged after epoch 3";
  note.dispatchEvent({ type: "keydown", key: "Enter" });
  await tick();
  assert.deepEqual(posts[2].body, { runs: ["a/s1"], note: "diverged after epoch 3" });

  const status = box.querySelector(".rg-edit-status");
  assert.equal(status.value, "running");
  assert.deepEqual(
    status.options.map((o) => o.value),
    ["running", "finished", "failed", "interrupted"],
  );
  status.value = "failed";
  status.dispatchEvent({ type: "change", target: status });
  await tick();
  assert.deepEqual(posts[3].body, { runs: ["a/s1"], status: "failed" });
});

test("a group row's tag all / note all send every trial's run at once, through the dialog", async () => {
  const { e, posts } = editor();
  await e.init();
  const group = { label: HOSTILE, members: [{ trial: "a/s1", run: "a/s1/train" }, { trial: "a/s2", run: "a/s2/train" }] };
  const box = e.groupControls(group, () => TRIALS);
  assert.deepEqual(texts(box, "button"), ["tag all", "note all"]);
  box.querySelector(".rg-edit-group-tag").click();
  assert.equal(e.dialog.hidden, false);
  assert.equal(e.dialog.querySelector(".rg-edit-dialog-title").textContent, `Tag all 2 runs of ${HOSTILE}`);
  assert.equal(e.dialog.querySelectorAll("img").length, 0);
  e.dialog.querySelector(".rg-edit-dialog-input").value = "sweep-1";
  e.dialog.querySelector(".rg-edit-dialog-ok").click();
  await tick();
  assert.equal(e.dialog.hidden, true);
  assert.deepEqual(posts[0].body, { runs: ["a/s1", "a/s2/train"], add_tags: ["sweep-1"] });

  box.querySelector(".rg-edit-group-note").click();
  const input = e.dialog.querySelector(".rg-edit-dialog-input");
  input.value = "rerun with warmup";
  input.dispatchEvent({ type: "keydown", key: "Enter" });
  await tick();
  assert.deepEqual(posts[1].body, { runs: ["a/s1", "a/s2/train"], note: "rerun with warmup" });

  box.querySelector(".rg-edit-group-tag").click();
  e.dialog.querySelector(".rg-edit-dialog-cancel").click();
  assert.equal(e.dialog.hidden, true);
  assert.equal(posts.length, 2, "cancel sends nothing");
});

test("Undo posts the last answer's undo as it is, once", async () => {
  const { e, posts, changed } = editor();
  await e.init();
  await e.apply({ runs: ["a/s1"], add_tags: ["x"] }, "Tag added");
  assert.equal(e.bar.hidden, false);
  assert.equal(e.bar.querySelector(".rg-edit-message").textContent, "Tag added");
  const undo = e.bar.querySelector(".rg-edit-undo");
  assert.ok(undo, "an Undo button");
  undo.click();
  await tick();
  assert.deepEqual(posts[1], { body: { changes: [{ runs: ["a/s1"], remove_tags: ["undo-of-1"] }] }, token: "tok" });
  assert.equal(changed.length, 2);
  assert.equal(e.undo, null);
  assert.equal(e.bar.querySelector(".rg-edit-undo"), null, "nothing more to undo");
  assert.equal(e.bar.querySelector(".rg-edit-message").textContent, "Undone");
});

test("a refused write says why, keeps no undo and does not refresh", async () => {
  const { e, changed } = editor({ allowed: true, token: "tok" }, `missing or wrong X-Rungroups-Token header ${HOSTILE}`);
  await e.init();
  assert.equal(await e.apply({ runs: ["a/s1"], add_tags: ["x"] }, "Tag added"), null);
  assert.equal(changed.length, 0);
  assert.equal(e.undo, null);
  assert.ok(e.bar.classList.contains("rg-edit-error"));
  assert.equal(e.bar.querySelector(".rg-edit-message").textContent, `Not saved: missing or wrong X-Rungroups-Token header ${HOSTILE}`);
  assert.equal(e.bar.querySelectorAll("img").length, 0);
});

test("the group table puts the editor's controls in each group row, and none when it gives none", async () => {
  const { groupsAnswer } = await import("./answers_fixture.js");
  const { GroupTable } = await import("../views/group_table.js");
  const { defaultState } = await import("../state.js");
  const { sortGroups } = await import("../group.js");
  const { e, posts } = editor();
  await e.init();
  const off = editor({ allowed: false, token: null }).e;
  await off.init();
  const draw = (ed) => {
    const table = new GroupTable({ change: () => {}, copy: () => {}, editGroup: (g, trials) => ed.groupControls(g, trials) });
    const g = groupsAnswer();
    const state = defaultState();
    table.update(state, { groups: g, sorted: sortGroups(g.groups, state.sort), pick: { keys: [], colors: new Map() }, trials: null, sparklines: new Map() });
    return { table, g };
  };
  const { table, g } = draw(e);
  const rows = table.element.querySelectorAll(".rg-group-row");
  assert.equal(rows.length, g.groups.length);
  assert.ok(rows.every((r) => r.querySelector(".rg-links .rg-edit-group-tag")));
  rows[0].querySelector(".rg-edit-group-tag").click();
  e.dialog.querySelector(".rg-edit-dialog-input").value = "t";
  e.dialog.querySelector(".rg-edit-dialog-ok").click();
  await tick();
  const group = sortGroups(g.groups, defaultState().sort)[0];
  // Without /runs, each member's metric run.
  assert.deepEqual(posts[0].body.runs, group.members.map((m) => m.run || m.trial));
  assert.equal(draw(off).table.element.querySelectorAll(".rg-edit-group").length, 0);
});
