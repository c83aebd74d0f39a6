import assert from "node:assert/strict";
import { test } from "node:test";
import { install, texts } from "./fake_dom.js";

install();
const { ViewSwitcher } = await import("../views/switcher.js");
const { Banner, Toast } = await import("../views/banner.js");

test("the switcher: hidden with one view; a button per view, the state's pressed, a click changes the view", () => {
  const changes = [];
  const one = new ViewSwitcher({ change: (p) => changes.push(p) }, [{ id: "groups", label: "Groups" }]);
  assert.equal(one.element.hidden, true);
  const views = [
    { id: "groups", label: "Groups" },
    { id: "effects", label: "Effects" },
  ];
  const two = new ViewSwitcher({ change: (p) => changes.push(p) }, views);
  assert.equal(two.element.hidden, false);
  assert.deepEqual(texts(two.element, ".rg-view-tab"), ["Groups", "Effects"]);
  two.update({ view: "effects" });
  assert.deepEqual(two.element.querySelectorAll(".rg-view-tab").map((b) => b.getAttribute("aria-pressed")), ["false", "true"]);
  two.update({ view: "gone" }); // a link to a view not registered: the first shows
  assert.equal(two.element.querySelector(".rg-view-groups").getAttribute("aria-pressed"), "true");
  two.element.querySelector(".rg-view-effects").click();
  assert.deepEqual(changes, [{ view: "effects" }]);
});

test("the banner shows a message or an error, and hides without one; the toast shows what was copied", () => {
  const b = new Banner();
  assert.equal(b.element.hidden, true);
  b.update({}, { message: "<b>bad</b>", error: true });
  assert.deepEqual([b.element.textContent, b.element.hidden, b.failed], ["<b>bad</b>", false, true]);
  b.update({}, { message: "note" });
  assert.equal(b.failed, false);
  b.update({}, null);
  assert.deepEqual([b.element.textContent, b.element.hidden], ["", true]);
  const t = new Toast();
  t.show("Regex copied", "^a$");
  assert.equal(t.element.textContent, "Regex copied: ^a$");
  assert.equal(t.element.querySelector(".rg-copied").textContent, "^a$");
  t.show("LaTeX table copied");
  assert.equal(t.element.textContent, "LaTeX table copied");
});
