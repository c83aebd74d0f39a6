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

// --- numbers a paper can report (the rule of tb_plugin/export.py's paper_cell) ---

/**
 * Decimal places that show two significant digits of a spread (an interval's
 * half-width, a std); 4 when the spread is not a positive finite number.
 * @param {number|null} spread
 * @returns {number}
 */
export function decimalsFor(spread) {
  if (typeof spread !== "number" || !Number.isFinite(spread) || spread <= 0) return 4;
  return Math.max(0, 1 - Math.floor(Math.log10(spread)));
}

/**
 * `x` with `decimals` places, ties to even like Python's `f"{x:.{d}f}"` (JS's
 * toFixed rounds exact ties away from zero), non-finite as nan/inf/-inf.
 * @param {number} x
 * @param {number} decimals  0..20
 * @returns {string}
 */
export function fixed(x, decimals) {
  if (Number.isNaN(x)) return "nan";
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
  const text = x.toFixed(decimals);
  if (Math.abs(x) >= 1e21) return text;
  // The exact decimal expansion tells a true tie (…5 followed by zeros only).
  const exact = Math.abs(x).toFixed(Math.min(100, decimals + 30));
  const point = exact.indexOf(".");
  const kept = decimals ? exact.slice(0, point + 1 + decimals) : exact.slice(0, point);
  const rest = exact.slice(point + 1 + decimals);
  if (!/^50*$/.test(rest) || Number(kept.slice(-1)) % 2 !== 0) return text;
  return `${x < 0 ? "-" : ""}${kept}`;
}

/**
 * Python's `f"{x:.4g}"`: 4 significant digits, trailing zeros dropped,
 * scientific below 1e-4 and from 1e4.
 * @param {number} x
 * @returns {string}
 */
export function formatG4(x) {
  if (Number.isNaN(x)) return "nan";
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
  if (x === 0) return "0";
  const [mantissa, exp] = x.toExponential(3).split("e");
  const e = Number(exp);
  if (e >= -4 && e < 4) return fixed(x, 3 - e).replace(/(\.\d*?)0+$/, "$1").replace(/\.$/, "");
  const m = mantissa.replace(/(\.\d*?)0+$/, "$1").replace(/\.$/, "");
  return `${m}e${e < 0 ? "-" : "+"}${String(Math.abs(e)).padStart(2, "0")}`;
}

/** How the table shows a group's spread: the interval, the std or the sem. */
export const SPREADS = ["ci", "std", "sem"];

/**
 * A group's cell for one metric: the mean rounded to the digits its spread
 * supports (the spread to two significant digits, the mean to the same
 * decimal place), the spread (`± h`, or `[low, high]` for a bootstrap
 * interval, which need not be symmetric), and n. One run has no spread: its
 * mean keeps 4 significant digits and the cell says n=1, never `± 0`.
 * @param {object|null} stats  a group's `stats` from /groups
 * @param {string} spread  "ci", "std" or "sem"
 * @returns {{mean: string, spread: string, n: number, title: string}}
 */
export function statCell(stats, spread = "ci") {
  const n = stats && typeof stats.count === "number" ? stats.count : 0;
  const mean = stats ? toNumber(stats.mean) : null;
  if (!n || mean === null || Number.isNaN(mean)) return { mean: "–", spread: "", n, title: "" };
  let text = "";
  let title = `mean ${mean}`;
  let decimals = null;
  if (spread === "ci") {
    const low = toNumber(stats.ci_low);
    const high = toNumber(stats.ci_high);
    if (low !== null && high !== null && !Number.isNaN(low) && !Number.isNaN(high)) {
      const half = (high - low) / 2;
      const bootstrap = stats.ci_method === "bootstrap";
      decimals = decimalsFor(bootstrap ? Math.min(mean - low, high - mean) || half : half);
      text = bootstrap ? `[${fixed(low, decimals)}, ${fixed(high, decimals)}]` : `± ${fixed(half, decimals)}`;
      const level = typeof stats.ci_level === "number" ? `${+(stats.ci_level * 100).toFixed(3)}% ` : "";
      title += `; ${level}CI (${bootstrap ? "percentile bootstrap" : "Student t"}) [${low}, ${high}]`;
    }
  } else {
    const s = toNumber(stats[spread]);
    if (s !== null && !Number.isNaN(s)) {
      decimals = decimalsFor(s);
      text = `± ${fixed(s, decimals)}`;
      title += `; ${spread === "std" ? "sample std" : "standard error of the mean"} ${s}`;
    }
  }
  return { mean: decimals === null ? formatG4(mean) : fixed(mean, decimals), spread: text, n, title: `${title}; n=${n}` };
}

/**
 * A comparison's difference of means, rounded like a mean by its interval's
 * half-width, with an explicit sign: `+0.012 ± 0.008`.
 * @param {object|null} compare  a group's `compare` from /groups
 * @returns {string}
 */
export function formatDelta(compare) {
  const d = compare ? toNumber(compare.delta) : null;
  if (d === null || Number.isNaN(d)) return "–";
  const low = toNumber(compare.delta_ci_low);
  const high = toNumber(compare.delta_ci_high);
  const ok = low !== null && high !== null && Number.isFinite(low) && Number.isFinite(high);
  const half = ok ? (high - low) / 2 : null;
  const decimals = ok ? decimalsFor(half) : null;
  const text = decimals === null ? formatG4(d) : fixed(d, decimals);
  const signed = d > 0 && !text.startsWith("+") ? `+${text}` : text;
  return ok ? `${signed} ± ${fixed(half, decimals)}` : signed;
}

/**
 * A p-value with two significant digits, "<0.001" below that, "–" without one.
 * @param {unknown} p
 * @returns {string}
 */
export function formatP(p) {
  const x = toNumber(p);
  if (x === null || Number.isNaN(x)) return "–";
  if (x < 0.001) return "<0.001";
  return Number(x).toPrecision(2);
}

/**
 * A probability of improvement with two decimals ("–" without one).
 * @param {unknown} p
 * @returns {string}
 */
export function formatProbability(p) {
  const x = toNumber(p);
  return x === null || Number.isNaN(x) ? "–" : fixed(x, 2);
}
