import assert from "node:assert/strict";
import { test } from "node:test";
import { PALETTE, assignColors, assignSlots, hashKey } from "../colors.js";

const KEYS = ["eojrzY8xWeAH3YgR", "kEOqJxaL5UbVUhST", "AAAAAAAAAAAAAAAA", "zzzzzzzzzzzzzzzz", "Q1w2E3r4T5y6U7i8", "abcdefghijklmnop"];

test("a key's home slot comes from its hash, the same every time", () => {
  assert.equal(hashKey("a"), 0xe40c292c); // FNV-1a reference value
  const slots = assignSlots([KEYS[0]]);
  assert.equal(slots.get(KEYS[0]), hashKey(KEYS[0]) % PALETTE.length);
  assert.deepEqual(assignSlots(KEYS), assignSlots(KEYS));
});

test("collisions probe to the next free slot: charted groups never share a colour", () => {
  // Two keys with the same home slot.
  const size = 4;
  const byHome = new Map();
  let a = null;
  let b = null;
  for (let i = 0; !b; i++) {
    const key = `key${i}`;
    const home = hashKey(key) % size;
    if (byHome.has(home)) [a, b] = [byHome.get(home), key];
    else byHome.set(home, key);
  }
  const slots = assignSlots([a, b], new Map(), size);
  assert.equal(slots.get(a), hashKey(a) % size);
  assert.equal(slots.get(b), (hashKey(a) % size + 1) % size);
  const many = assignSlots(KEYS);
  assert.equal(new Set(many.values()).size, KEYS.length);
});

test("unticking or ticking a group keeps every other group's colour", () => {
  let colors = assignColors(KEYS.slice(0, 5));
  for (const drop of KEYS.slice(0, 5)) {
    const kept = KEYS.slice(0, 5).filter((k) => k !== drop);
    const after = assignColors(kept, colors);
    for (const k of kept) assert.equal(after.get(k), colors.get(k), `${k} after unticking ${drop}`);
  }
  const added = assignColors([...KEYS.slice(0, 5), KEYS[5]], colors);
  for (const k of KEYS.slice(0, 5)) assert.equal(added.get(k), colors.get(k));
  assert.ok(![...colors.values()].includes(added.get(KEYS[5])));
  // Order does not matter for groups that keep their colour.
  colors = assignColors([...KEYS].reverse(), added);
  for (const k of KEYS) assert.equal(colors.get(k), added.get(k));
});

test("more groups than colours: the extra ones share their home colour", () => {
  const keys = Array.from({ length: PALETTE.length + 3 }, (_, i) => `group-${i}`);
  const colors = assignColors(keys);
  assert.equal(new Set(colors.values()).size, PALETTE.length);
  for (const k of keys.slice(PALETTE.length)) assert.ok(PALETTE.includes(colors.get(k)));
});
