// Pure helpers that build regular expressions and links for TensorBoard's
// own dashboards (tested with node --test).

// `-` is left alone: it is literal outside a class, and `\-` fails in unicode mode.
const SPECIAL = /[\\^$.*+?()[\]{}|/]/g;

/**
 * Escapes every regular-expression metacharacter of `text`.
 * @param {string} text
 * @returns {string}
 */
export function escapeRegExp(text) {
  return String(text).replace(SPECIAL, "\\$&");
}

/**
 * An anchored alternation that matches exactly the given names: `^(?:a|b)$`.
 * Time Series' runFilter is case-insensitive and unanchored, so every name is
 * escaped and the whole is anchored. Duplicates are dropped, order is kept.
 * @param {string[]} names
 * @returns {string}
 */
export function anchoredRegex(names) {
  const unique = [...new Set(names.map(String))];
  if (unique.length === 0) return "^$(?!)"; // matches nothing
  return `^(?:${unique.map(escapeRegExp).join("|")})$`;
}

/**
 * The link that opens Time Series filtered to `runs`, relative to the tab's
 * iframe base (`plugin/rungroups/` under `data/`), so --path_prefix and
 * experiment URLs survive.
 * @param {string[]} runs
 * @param {string} [base]
 * @returns {string}
 */
export function timeSeriesHref(runs, base = "../../../") {
  const query = new URLSearchParams({ runFilter: anchoredRegex(runs) });
  return `${base}?${query.toString()}#timeseries`;
}

/**
 * Checks a user's regular expression the way the tab can (JavaScript syntax);
 * returns an error message or null. The backend has the final word.
 * @param {string} pattern
 * @returns {string|null}
 */
export function regexError(pattern) {
  if (!pattern) return null;
  try {
    new RegExp(pattern);
    return null;
  } catch (e) {
    return e.message;
  }
}
