// Pure formatting helpers (tested with node --test).

/** The label of a missing field value, as the backend names it. */
export const NONE_LABEL = "(none)";

/**
 * A number from TensorBoard JSON, where non-finite floats arrive as the
 * strings "NaN", "Infinity" and "-Infinity"; anything else is null.
 * @param {unknown} value
 * @returns {number|null}
 */
export function toNumber(value) {
  if (typeof value === "number") return value;
  if (value === "NaN") return NaN;
  if (value === "Infinity") return Infinity;
  if (value === "-Infinity") return -Infinity;
  return null;
}

/**
 * A short, readable text for any JSON value of run metadata.
 * @param {unknown} value
 * @returns {string}
 */
export function formatValue(value) {
  if (value === null || value === undefined) return "";
  if (typeof value === "string") return value;
  if (typeof value === "number") return formatNumber(value);
  if (typeof value === "boolean") return String(value);
  return JSON.stringify(value);
}

/**
 * A field value as the tab shows it in group labels: null is "(none)".
 * @param {unknown} value
 * @returns {string}
 */
export function formatFieldValue(value) {
  if (value === null || value === undefined) return NONE_LABEL;
  if (typeof value === "number") return String(value);
  return formatValue(value);
}

/**
 * Numbers with at most 4 significant digits, keeping integers whole.
 * @param {number} x
 * @returns {string}
 */
export function formatNumber(x) {
  if (x === null || x === undefined) return "";
  if (!Number.isFinite(x)) return String(x);
  if (Number.isInteger(x) && Math.abs(x) < 1e15) return String(x);
  const abs = Math.abs(x);
  if (abs !== 0 && (abs < 1e-3 || abs >= 1e6)) return x.toExponential(3).replace(/\.?0+e/, "e");
  return String(Number(x.toPrecision(4)));
}

/**
 * "0.6463 ± 0.008165" (or "" when there is no mean).
 * @param {unknown} mean
 * @param {unknown} std
 * @returns {string}
 */
export function formatMeanStd(mean, std) {
  const m = toNumber(mean);
  if (m === null || Number.isNaN(m)) return "";
  const s = toNumber(std);
  return s === null || Number.isNaN(s) ? formatNumber(m) : `${formatNumber(m)} ± ${formatNumber(s)}`;
}

/**
 * "a=1, b=x" for a params object, in key order.
 * @param {Record<string, unknown>} params
 * @returns {string}
 */
export function formatParams(params) {
  return Object.entries(params || {})
    .map(([k, v]) => `${k}=${formatValue(v)}`)
    .join(", ");
}

/**
 * A duration in seconds as "1h 02m", "3m 05s" or "12s".
 * @param {number|null} seconds
 * @returns {string}
 */
export function formatDuration(seconds) {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0) {
    return "";
  }
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  const pad = (n) => String(n).padStart(2, "0");
  if (h > 0) return `${h}h ${pad(m)}m`;
  if (m > 0) return `${m}m ${pad(rest)}s`;
  return `${rest}s`;
}

/**
 * A wall time (seconds since the epoch) as local "YYYY-MM-DD HH:MM".
 * @param {number|null} seconds
 * @returns {string}
 */
export function formatWallTime(seconds) {
  if (typeof seconds !== "number" || !Number.isFinite(seconds)) return "";
  const d = new Date(seconds * 1000);
  const pad = (n) => String(n).padStart(2, "0");
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}`
  );
}

/**
 * "412 runs in 37 groups", singular where needed.
 * @param {number} runs
 * @param {number} groups
 * @returns {string}
 */
export function countsLine(runs, groups) {
  const r = `${runs} run${runs === 1 ? "" : "s"}`;
  const g = `${groups} group${groups === 1 ? "" : "s"}`;
  return `${r} in ${g}`;
}

/**
 * A run name cut to the parts that tell it apart from the other names given
 * (its group's other members): parts shared by all of them become "…", and a
 * long distinguishing part (a timestamp) is shortened when a short one (such
 * as `seed=2`) already tells the runs apart. Names split into parts at "/"
 * and ",". `lr=0.1,bs=32,seed=2/run_2026_11_27-01_29_05` among its seeds
 * reads `…seed=2/run_…`.
 * @param {string} name
 * @param {string[]} names  the names it must be told apart from (itself may be among them)
 * @param {number} [longPart]  parts longer than this are shortened when possible
 * @returns {string}
 */
export function shortRunName(name, names, longPart = 12) {
  const others = (names || []).filter((n) => n !== name);
  if (!others.length) return name;
  const tokenize = (n) => {
    const out = [];
    n.split("/").forEach((seg, i) => seg.split(",").forEach((part, j) => out.push({ part, sep: j ? "," : i ? "/" : "" })));
    return out;
  };
  const otherSets = others.map((n) => new Set(tokenize(n).map((t) => t.part)));
  const tokens = tokenize(name).map((t) => ({ ...t, common: otherSets.every((s) => s.has(t.part)) }));
  const distinct = tokens.filter((t) => !t.common);
  if (!distinct.length) return name;
  const anyShort = distinct.some((t) => t.part.length <= longPart);
  let out = "";
  for (const t of tokens) {
    let text = t.part;
    if (t.common) text = "…";
    else if (anyShort && text.length > longPart) text = `${(/^[^\d_-]*[_-]?/.exec(text) || [""])[0] || text.slice(0, 4)}…`;
    if (text === "…" && out.endsWith("…")) continue;
    out += (out.endsWith("…") || !out ? "" : t.sep) + text;
  }
  return out;
}
