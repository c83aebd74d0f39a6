import assert from "node:assert/strict";
import { test } from "node:test";
import { themeFor } from "../theme.js";

test("the theme follows TensorBoard's dark-mode class, else the system", () => {
  const classes = (...names) => ({ contains: (n) => names.includes(n) });
  assert.equal(themeFor(classes("dark-mode", "x")), "dark");
  assert.equal(themeFor(classes()), "light");
  assert.equal(themeFor(null), "auto");
});
