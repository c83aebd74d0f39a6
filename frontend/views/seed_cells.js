// The group table's seed cells (SPEC §5c): power and "seeds for 80%" beside p,
// the paired comparison (n pairs, paired Δ [CI], paired p / Wilcoxon p, the runs
// left unpaired), the bad-seed flag marks, a live group's "2/3 finished" and the
// lines under the table (runs excluded, provisional). Text through textContent
// and title only: notes, reasons and run names are untrusted.

import { formatNumber, formatP, toNumber } from "../format.js";
import { el } from "./dom.js";

/** Fewer runs than this on a side, or power under LOW_POWER: the power note shows inline. */
const NOTE_RUNS = 3;
const LOW_POWER = 0.5;

function num(value) {
  const n = toNumber(value);
  return n === null || Number.isNaN(n) ? null : n;
}

/**
 * A power as a percentage ("40%"), or "–".
 * @param {number|string|null} power  0..1
 * @returns {string}
 */
export function formatPower(power) {
  const p = num(power);
  return p === null ? "–" : `${Math.round(p * 100)}%`;
}

/**
 * The "seeds for 80%" header's text for the planner's target power.
 * @param {number|null|undefined} target  0..1 (the answer's `plan.power`)
 * @returns {string}
 */
export function seedsLabel(target) {
  const t = num(target);
  return `seeds for ${formatPower(t === null ? 0.8 : t)}`;
}

/**
 * Whether a comparison's power note shows inline: power under 50% or fewer
 * than 3 runs on a side.
 * @param {object|null} compare
 * @returns {boolean}
 */
export function noteInline(compare) {
  if (!compare || !compare.power_note) return false;
  const p = num(compare.power);
  const n = Math.min(num(compare.n) ?? 0, num(compare.n_baseline) ?? 0);
  return (p !== null && p < LOW_POWER) || n < NOTE_RUNS;
}

/**
 * The power and seeds-needed cells of a group against the baseline for one block.
 * @param {object|null} compare  the block's `compare`
 * @param {boolean} isBaseline
 * @param {number} i  the block's index
 * @returns {HTMLElement[]}  [power, seeds]
 */
export function powerCells(compare, isBaseline, i) {
  const power = el("span", "rg-num rg-power");
  const seeds = el("span", "rg-seeds-needed");
  for (const c of [power, seeds]) c.dataset.block = String(i);
  if (isBaseline || !compare) return [power, seeds];
  power.append(el("span", "rg-power-value", formatPower(compare.power)));
  const needed = num(compare.seeds_needed);
  seeds.append(el("span", "rg-num rg-seeds-value", needed === null ? "–" : String(needed)));
  if (compare.power_note) {
    const note = String(compare.power_note);
    power.title = note;
    seeds.title = note;
    if (noteInline(compare)) {
      seeds.classList.add("rg-low-power");
      seeds.append(el("span", "rg-power-note", note));
    }
  }
  return [power, seeds];
}

/**
 * The paired cells (with `paired=true`): n pairs and paired Δ [CI], then paired p /
 * Wilcoxon p; the runs left unpaired counted, listed in the tooltip.
 * @param {object|null} compare
 * @param {boolean} isBaseline
 * @param {number} i
 * @returns {HTMLElement[]}  [delta, p]
 */
export function pairedCells(compare, isBaseline, i) {
  const delta = el("span", "rg-num rg-paired-delta");
  const p = el("span", "rg-num rg-paired-p");
  for (const c of [delta, p]) c.dataset.block = String(i);
  if (isBaseline || !compare) {
    if (isBaseline) delta.append(el("span", "rg-muted", "baseline"));
    return [delta, p];
  }
  const d = num(compare.paired_delta);
  const low = num(compare.paired_ci_low);
  const high = num(compare.paired_ci_high);
  const ci = low !== null && high !== null ? ` [${formatNumber(low)}, ${formatNumber(high)}]` : "";
  delta.append(el("span", "rg-muted rg-n-pairs", `n=${num(compare.n_pairs) ?? 0} `));
  delta.append(el("span", "rg-paired-delta-value", d === null ? "–" : `${d > 0 ? "+" : ""}${formatNumber(d)}${ci}`));
  const unpaired = Array.isArray(compare.unpaired_runs) ? compare.unpaired_runs : [];
  const lines = [`${num(compare.n_pairs) ?? 0} pairs by seed; mean difference ${compare.paired_delta} [${compare.paired_ci_low}, ${compare.paired_ci_high}]`];
  if (unpaired.length) {
    const mark = el("span", "rg-unpaired", ` ${unpaired.length} unpaired`);
    delta.append(mark);
    lines.push("Unpaired runs:");
    for (const u of unpaired) lines.push(`${u.trial} (${u.side}, seed ${u.seed === null || u.seed === undefined ? "none" : u.seed}): ${u.reason}`);
  }
  delta.title = lines.join("\n");
  p.append(el("span", "rg-paired-p-value", formatP(compare.paired_p)), el("span", "rg-muted rg-wilcoxon-p", ` / ${formatP(compare.wilcoxon_p)}`));
  p.title = `paired t-test p = ${compare.paired_p}; exact Wilcoxon signed-rank p = ${compare.wilcoxon_p}`;
  return [delta, p];
}

/**
 * A run's flag mark (its kinds, the reasons as tooltip), or null when unflagged.
 * @param {object} member  a /groups member (`flags`, `excluded`)
 * @returns {HTMLElement|null}
 */
export function flagMark(member) {
  const flags = Array.isArray(member.flags) ? member.flags : [];
  if (!flags.length) return null;
  const kinds = [...new Set(flags.map((f) => String(f.kind)))];
  const excluded = Array.isArray(member.excluded) && member.excluded.length > 0;
  const mark = el("span", `rg-flag-mark${excluded ? " rg-flag-excluded" : ""}`, `⚑ ${kinds.join(",")}`);
  mark.dataset.kinds = kinds.join(",");
  const lines = flags.map((f) => `${f.kind} (${f.metric}): ${f.reason}`);
  lines.push(excluded ? `excluded (${member.excluded.join(", ")})` : "counted (not excluded)");
  mark.title = lines.join("\n");
  return mark;
}

/**
 * A group's size cell: its size, how many of its runs are flagged, and for a
 * live group "2/3 finished".
 * @param {object} group
 * @returns {HTMLElement}
 */
export function sizeCell(group) {
  const c = el("span", "rg-num rg-size-cell");
  c.append(el("span", "rg-size", String(group.size)));
  const flagged = (group.members || []).filter((m) => Array.isArray(m.flags) && m.flags.length);
  if (flagged.length) {
    const f = el("span", "rg-flag-count", ` ⚑${flagged.length}`);
    const out = num(group.excluded) || 0;
    f.title = `${flagged.length} flagged run${flagged.length === 1 ? "" : "s"}${out ? `, ${out} excluded` : ", all counted"} (expand the group for the reasons)`;
    c.append(f);
  }
  if (group.provisional) {
    const finished = num(group.finished) ?? 0;
    const live = el("span", "rg-live", ` ${finished}/${group.size} finished`);
    live.title = `${num(group.running) ?? 0} still running: the statistics are provisional`;
    c.append(live);
  }
  return c;
}

/**
 * Marks a cell's numbers provisional (a group with runs still running).
 * @param {HTMLElement} cell
 * @returns {HTMLElement}
 */
export function markProvisional(cell) {
  cell.classList.add("rg-provisional");
  cell.append(el("span", "rg-provisional-label", "provisional"));
  return cell;
}

/**
 * The lines under the table: runs excluded (when an exclusion was asked) and
 * groups still running.
 * @param {object|null} answer  the /groups answer
 * @returns {string[]}
 */
export function tableNotes(answer) {
  const out = [];
  if (!answer) return out;
  const ex = answer.excluded;
  if (ex && typeof ex === "object" && Array.isArray(ex.kinds) && ex.kinds.length) {
    const count = num(ex.count) ?? 0;
    const parts = Object.entries(ex.by_kind || {})
      .filter(([, n]) => num(n))
      .map(([kind, n]) => `${n} ${kind}`);
    out.push(`${count} run${count === 1 ? "" : "s"} excluded (${parts.length ? parts.join(", ") : `none ${ex.kinds.join(", ")}`})`);
  }
  if (answer.provisional) {
    const groups = (answer.groups || []).filter((g) => g.provisional);
    const running = groups.reduce((s, g) => s + (num(g.running) ?? 0), 0);
    out.push(`provisional: ${running} run${running === 1 ? "" : "s"} still running in ${groups.length} group${groups.length === 1 ? "" : "s"}`);
  }
  return out;
}
