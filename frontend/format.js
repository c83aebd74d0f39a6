// Pure formatting helpers (tested with node --test).

/** A short, readable text for any JSON value of run metadata. */
export function formatValue(value) {
  if (value === null || value === undefined) return "";
  if (typeof value === "string") return value;
  if (typeof value === "number") return formatNumber(value);
  if (typeof value === "boolean") return String(value);
  return JSON.stringify(value);
}

/** Numbers with at most 4 significant digits, keeping integers whole. */
export function formatNumber(x) {
  if (!Number.isFinite(x)) return String(x);
  if (Number.isInteger(x) && Math.abs(x) < 1e15) return String(x);
  const abs = Math.abs(x);
  if (abs !== 0 && (abs < 1e-3 || abs >= 1e6)) return x.toExponential(3).replace(/\.?0+e/, "e");
  return String(Number(x.toPrecision(4)));
}

/** "a=1, b=x" for a params object, in key order. */
export function formatParams(params) {
  return Object.entries(params || {})
    .map(([k, v]) => `${k}=${formatValue(v)}`)
    .join(", ");
}
