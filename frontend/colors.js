// Stable group colours (tested with node --test). A group's colour comes from
// its backend key, not from its position among the charted groups: the key's
// hash picks a home slot in the palette; when that slot is taken by another
// charted group, the next free slot is used (linear probing). Groups that stay
// charted keep the slot they have, so ticking or unticking another group never
// changes their colour; a deep link gives the same colours in every browser
// (the same keys in the same order probe the same way).

/** The palette: distinguishable on light and dark backgrounds. */
export const PALETTE = [
  "#1976d2",
  "#f57c00",
  "#388e3c",
  "#d32f2f",
  "#7b1fa2",
  "#00838f",
  "#c2185b",
  "#5d4037",
  "#689f38",
  "#455a64",
];

/**
 * A 32-bit FNV-1a hash of a string (the same number in every browser).
 * @param {string} text
 * @returns {number}
 */
export function hashKey(text) {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/**
 * Palette slots for the charted groups. Keys that had a slot keep it; new keys
 * (in the order given) take their hash's home slot, or the next free one. With
 * more keys than slots, the extra ones share their home slot.
 * @param {string[]} keys  the charted groups' keys
 * @param {Map<string, number>} [previous]  the slots given before
 * @param {number} [size]  palette size
 * @returns {Map<string, number>}  slot by key, in the order of `keys`
 */
export function assignSlots(keys, previous = new Map(), size = PALETTE.length) {
  const slots = new Map();
  const used = new Set();
  for (const key of keys) {
    const slot = previous.get(key);
    if (slot !== undefined && slot < size && !used.has(slot)) {
      slots.set(key, slot);
      used.add(slot);
    }
  }
  for (const key of keys) {
    if (slots.has(key)) continue;
    const home = hashKey(key) % size;
    let slot = home;
    for (let i = 0; i < size && used.has(slot); i++) slot = (slot + 1) % size;
    if (used.has(slot)) slot = home; // every slot taken: share the home slot
    slots.set(key, slot);
    used.add(slot);
  }
  return new Map(keys.map((k) => [k, slots.get(k)]));
}

/**
 * Colours for the charted groups, keeping the colours given before.
 * @param {string[]} keys
 * @param {Map<string, string>} [previous]  colour by key
 * @returns {Map<string, string>}  colour by key
 */
export function assignColors(keys, previous = new Map()) {
  const before = new Map();
  for (const [key, color] of previous) {
    const slot = PALETTE.indexOf(color);
    if (slot >= 0) before.set(key, slot);
  }
  const slots = assignSlots(keys, before, PALETTE.length);
  return new Map([...slots].map(([k, s]) => [k, PALETTE[s]]));
}
