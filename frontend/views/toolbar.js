// The toolbar: group-by fields (nested, in order), metric, split, reduction
// (and k), more metrics, the spread shown and the interval, the baseline,
// text/regex filter, field-value filters, counts, exports (files and "Copy as
// Markdown/LaTeX") and copy link.
// It builds DOM and calls actions; it never fetches.

import { countsLine, formatFieldValue } from "../format.js";
import { varyingColumns } from "../group.js";
import { regexError } from "../regex.js";
import { DEFAULT_K, MAX_K } from "../state.js";
import { button, el, labelled, select } from "./dom.js";
import { seedControls } from "./seed_controls.js";

const DEBOUNCE_MS = 250;
// The state's keys the toolbar shows (the others change without rebuilding it).
const SHOWN = ["by", "split", "reduction", "more", "k", "filter", "regex", "where", "baseline", "spread", "ci", "paired", "exclude"];

function debounced(fn) {
  let timer = 0;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), DEBOUNCE_MS);
  };
}

/** The toolbar view. */
export class Toolbar {
  /**
   * @param {{change: (patch: object) => void, exportTable: (kind: string) => void,
   *   copyLink: () => void, report: () => void}} actions
   */
  constructor(actions) {
    this.actions = actions;
    this.element = el("div", "rg-toolbar");
    this.element.setAttribute("role", "toolbar");
    this.counts = el("span", "rg-counts");
    this.counts.setAttribute("aria-live", "polite");
    this.linkOut = el("input", "rg-link");
    this.linkOut.readOnly = true;
    this.linkOut.setAttribute("aria-label", "Link to this view");
    this.linkOut.hidden = true;
    // The last "Copy as Markdown/LaTeX" text, selectable when the clipboard refused it.
    this.exportBox = el("div", "rg-export-box");
    this.exportBox.hidden = true;
    this.exportOut = el("textarea", "rg-export-text");
    this.exportOut.readOnly = true;
    this.exportOut.rows = 6;
    this.exportOut.setAttribute("aria-label", "Exported table");
    this.exportNote = el("span", "rg-muted rg-export-note");
    this.exportBox.append(
      this.exportNote,
      button("rg-chip-btn rg-export-close", "×", () => {
        this.exportBox.hidden = true;
      }, "Close"),
      this.exportOut,
    );
    this.fields = [];
    this.tags = [];
    this.reductions = [];
    this.state = null;
    this.defaultBy = [];
    this._whereField = "";
  }

  /**
   * Shows a state with the answers it has so far.
   * @param {object} state
   * @param {{fields: object, tags: object, query?: object, groups?: object|null,
   *   groupsSplit?: string}} answer  /fields and /tags; `query` the state as asked of
   *   the backend (its metric the default one when the state names none), `groups` the
   *   last /groups answer and `groupsSplit` the split it was asked for
   */
  update(state, answer) {
    const q = answer.query || state;
    const g = answer.groups || null;
    if (g !== this._for || state.by !== this._forBy) {
      this._for = g;
      this._forBy = state.by;
      let constantBy = [];
      if (g && state.by === null) {
        const shown = new Set(varyingColumns(g.groups, g.by));
        constantBy = g.by.filter((_, i) => !shown.has(i));
      }
      this._constantBy = constantBy;
    }
    const baseline = g && state.baseline ? g.groups.find((x) => x.key === state.baseline) : null;
    const shown = { metric: q.metric };
    for (const key of SHOWN) shown[key] = state[key];
    this.show({
      constantBy: this._constantBy,
      fields: answer.fields.fields,
      defaultBy: answer.fields.default_by,
      tags: answer.tags.tags || [],
      reductions: answer.tags.reductions || [],
      state: shown,
      // Until /groups answers, the last answer's split for the same metric and split choice.
      usedSplit: g && g.metric === q.metric && answer.groupsSplit === q.split ? g.split : undefined,
      baselineLabel: baseline ? baseline.label : null,
    });
    if (g) this.setCounts(countsLine(g.matched, g.groups.length) + (g.matched !== g.trials ? ` (of ${g.trials})` : ""));
  }

  /**
   * Rebuilds the controls for new fields/tags/state.
   * @param {{fields: object[], defaultBy: string[], tags: object[], reductions: string[],
   *   state: object, usedSplit: string|null, constantBy?: string[],
   *   baselineLabel?: string|null}} model  `reductions` as /tags lists them;
   *   `constantBy` the default grouping's fields that the filters left
   *   constant (not shown as columns); `baselineLabel` the baseline group's label
   */
  show(model) {
    // The same fields, tags and state as shown: nothing to rebuild (the tab
    // updates before fetching, and again when the answer names the split).
    const shown = JSON.stringify([model.defaultBy, model.state, model.usedSplit, model.constantBy, model.baselineLabel]);
    if (model.fields === this.fields && model.tags === this.tags && model.reductions === this.reductions && shown === this._shown) {
      return;
    }
    this._shown = shown;
    this.fields = model.fields;
    this.defaultBy = model.defaultBy;
    this.tags = model.tags;
    this.reductions = model.reductions || [];
    this.state = model.state;
    this.constantBy = model.constantBy || [];
    this.baselineLabel = model.baselineLabel || null;
    const s = model.state;
    const rowA = el("div", "rg-toolbar-row");
    rowA.append(this._groupBy(s));
    const rowB = el("div", "rg-toolbar-row");
    rowB.append(
      labelled("Metric", this._metric(s)),
      labelled("Split", this._split(s, model.usedSplit)),
      labelled("Reduction", this._reduction(s, s.metric, s.reduction, (v) => ({ reduction: v }), "rg-reduction")),
    );
    if (usesK(s)) rowB.append(labelled("k", this._kInput(s)));
    rowB.append(
      labelled("Filter", this._textInput("rg-filter", s.filter, "text in run names", (v) => ({ filter: v }))),
      labelled("Regex", this._regexInput(s)),
    );
    const rowS = el("div", "rg-toolbar-row rg-stats-row");
    rowS.append(
      this._moreMetrics(s),
      labelled("Show", select("rg-spread", [["ci", "mean ± CI"], ["std", "mean ± std"], ["sem", "mean ± sem"]], s.spread, (v) => this._change({ spread: v }), "Spread shown")),
      labelled("Interval", select("rg-ci", [["t", "Student t"], ["bootstrap", "bootstrap"]], s.ci, (v) => this._change({ ci: v }), "Confidence interval method")),
      this._baseline(s),
      seedControls(s, (patch) => this._change(patch)),
    );
    const rowC = el("div", "rg-toolbar-row");
    rowC.append(this._whereControls(s));
    const actions = el("div", "rg-toolbar-row rg-actions");
    actions.append(
      this.counts,
      button("rg-export-csv", "Export CSV", () => this.actions.exportTable("csv"), "Download the table as CSV"),
      button("rg-export-json", "Export JSON", () => this.actions.exportTable("json"), "Download the table as JSON"),
      button("rg-copy-markdown", "Copy as Markdown", () => this.actions.exportTable("markdown"), "Copy the paper table (mean ± CI with n) as Markdown"),
      button("rg-copy-latex", "Copy as LaTeX", () => this.actions.exportTable("latex"), "Copy the paper table (mean ± CI with n) as a LaTeX booktabs table"),
      button("rg-copy-link", "Copy link", () => this.actions.copyLink(), "Copy a link to this view"),
      button("rg-report", "Report", () => this.actions.report(), "Download this view as one HTML file that opens anywhere, with no server or network"),
      this.linkOut,
    );
    const focused = this._focusedInput();
    this.element.replaceChildren(rowA, rowB, rowS, rowC, actions, this.exportBox);
    if (focused) this._refocus(focused);
  }

  // Rebuilding must not steal the caret from someone typing a filter.
  _focusedInput() {
    const active = document.activeElement;
    if (!active || !this.element.contains(active) || active.tagName !== "INPUT") return null;
    const cls = [...active.classList].find((c) => c === "rg-filter" || c === "rg-regex" || c === "rg-k");
    return cls ? { cls, start: active.selectionStart, end: active.selectionEnd, value: active.value } : null;
  }

  _refocus({ cls, start, end, value }) {
    const input = this.element.querySelector(`input.${cls}`);
    if (!input) return;
    input.value = value;
    input.focus();
    input.setSelectionRange(start, end);
  }

  /**
   * Shows the counts line.
   * @param {string} text
   */
  setCounts(text) {
    this.counts.textContent = text;
  }

  /**
   * Shows a produced link in a visible, selectable field.
   * @param {string} link
   * @param {boolean} copied
   */
  showLink(link, copied) {
    this.linkOut.hidden = false;
    this.linkOut.value = link;
    this.linkOut.title = copied ? "Copied to the clipboard" : "Select and copy this link";
    this.linkOut.select();
  }

  /**
   * Shows an exported text (Markdown, LaTeX) in a visible, selectable box.
   * @param {string} text
   * @param {string} what  such as "LaTeX"
   * @param {boolean} copied
   */
  showExport(text, what, copied) {
    this.exportBox.hidden = false;
    this.exportBox.dataset.format = what;
    this.exportNote.textContent = copied ? `${what} copied to the clipboard:` : `${what}: select and copy it from here`;
    this.exportOut.value = text;
    if (!copied) this.exportOut.select();
  }

  _change(patch) {
    this.actions.change(patch);
  }

  _groupBy(s) {
    const box = el("div", "rg-groupby");
    box.append(el("span", "rg-field-label", "Group by"));
    // Under the default grouping, fields the filters left constant are hidden
    // (they tell no groups apart); chips edit the grouping that is shown.
    const constant = s.by === null ? this.constantBy : [];
    const by = s.by === null ? this.defaultBy.filter((f) => !constant.includes(f)) : s.by;
    const chips = el("span", "rg-chips");
    by.forEach((field, i) => {
      const chip = el("span", "rg-chip rg-by-chip");
      chip.dataset.field = field;
      chip.append(el("span", "rg-chip-text", field));
      if (i > 0) {
        chip.append(
          button("rg-chip-btn rg-by-left", "◂", () => this._change({ by: moved(by, i, -1) }), `Move ${field} out`),
        );
      }
      chip.append(
        button("rg-chip-btn rg-by-remove", "×", () => this._change({ by: by.filter((_, j) => j !== i) }), `Stop grouping by ${field}`),
      );
      chips.append(chip);
    });
    if (!by.length) chips.append(el("span", "rg-muted", "nothing (one group)"));
    if (s.by === null) chips.append(el("span", "rg-muted rg-default-note", "default: repeats grouped"));
    if (constant.length) {
      const note = el("span", "rg-muted rg-constant-note", `(${constant.join(", ")}: constant here, hidden)`);
      note.title = "Fields of the default grouping that have one value in the filtered runs";
      chips.append(note);
    }
    const options = [["", "+ add field"]];
    for (const f of this.fields) {
      if (by.includes(f.id)) continue;
      const note = f.repeat ? " (repeat)" : f.varies ? "" : " (constant)";
      options.push([f.id, `${f.id}${note}`]);
    }
    const add = select("rg-by-add", options, "", (v) => v && this._change({ by: [...by, v] }), "Add a group-by field");
    box.append(chips, add);
    if (s.by !== null) box.append(button("rg-by-default", "Default", () => this._change({ by: null }), "Back to the default grouping"));
    return box;
  }

  _metric(s) {
    const options = this.tags.map((t) => [t.tag, t.tag]);
    if (!options.length) options.push(["", "(no scalars)"]);
    return select("rg-metric", options, s.metric || "", (v) => this._change({ metric: v || null }), "Metric");
  }

  /**
   * A reduction select: the backend's list, then "at best OTHER" for every
   * other metric; a deep link's other name stays shown (the backend judges it).
   */
  _reduction(s, metric, value, patchOf, className) {
    const options = this.reductions.map((r) => [r, r === "mean_last_k" ? "mean of last k" : r]);
    for (const t of this.tags) {
      if (t.tag !== metric && options.length < 60) options.push([`at_best:${t.tag}`, `at best ${t.tag}`]);
    }
    if (value && !options.some(([v]) => v === value)) options.push([value, value.replace(/^at_best:/, "at best ")]);
    return select(className, options, value, (v) => this._change(patchOf(v)), "Reduction");
  }

  _kInput(s) {
    const input = el("input", "rg-input rg-k");
    input.inputMode = "numeric";
    input.size = 5;
    input.value = String(s.k || DEFAULT_K);
    input.title = "mean_last_k: how many of each run's last logged values are averaged";
    const send = debounced(() => {
      const k = Number(input.value);
      const ok = Number.isInteger(k) && k >= 1 && k <= MAX_K;
      input.classList.toggle("rg-invalid", !ok);
      if (ok) this._change({ k });
    });
    input.addEventListener("input", send);
    return input;
  }

  /** More metric blocks: a chip per metric with its own reduction, and "+ metric". */
  _moreMetrics(s) {
    const box = el("div", "rg-more");
    box.append(el("span", "rg-field-label", "Also"));
    s.more.forEach(([metric, reduction], i) => {
      const chip = el("span", "rg-chip rg-more-chip");
      chip.dataset.metric = metric;
      chip.append(el("span", "rg-chip-text", metric));
      const patch = (r) => ({ more: s.more.map((p, j) => (j === i ? [metric, r] : p)) });
      chip.append(this._reduction(s, metric, reduction, patch, "rg-more-reduction"));
      chip.append(button("rg-chip-btn rg-more-remove", "×", () => this._change({ more: s.more.filter((_, j) => j !== i) }), `Remove ${metric}`));
      box.append(chip);
    });
    const options = [["", "+ metric"], ...this.tags.map((t) => [t.tag, t.tag])];
    const add = select("rg-more-add", options, "", (v) => v && this._change({ more: [...s.more, [v, "last"]] }), "Add a metric column block");
    add.title = "Add a metric (its own reduction): one more column block";
    box.append(add);
    return box;
  }

  _baseline(s) {
    const box = el("span", "rg-baseline");
    box.append(el("span", "rg-field-label", "Baseline"));
    if (!s.baseline) {
      const hint = el("span", "rg-muted", "none (a row's “baseline” button picks one)");
      box.append(hint);
      return box;
    }
    const chip = el("span", "rg-chip rg-baseline-chip");
    chip.append(el("span", "rg-chip-text", this.baselineLabel || s.baseline));
    chip.append(button("rg-chip-btn rg-baseline-remove", "×", () => this._change({ baseline: null }), "Stop comparing"));
    box.append(chip);
    return box;
  }

  _split(s, usedSplit) {
    // The splits that have the metric, as /tags lists them (null: runs without a split).
    const tag = this.tags.find((t) => t.tag === s.metric);
    const auto = usedSplit === undefined ? "auto" : `auto (${usedSplit === null ? "no split" : usedSplit})`;
    const options = [["", auto]];
    for (const { split } of tag ? tag.splits : []) {
      options.push(split === null ? ["none", "(no split)"] : [split, split]);
    }
    if (s.split && !options.some(([v]) => v === s.split)) options.push([s.split, s.split]);
    return select("rg-split", options, s.split, (v) => this._change({ split: v }), "Split");
  }

  _textInput(className, value, placeholder, patchOf) {
    const input = el("input", `rg-input ${className}`);
    input.type = "search";
    input.value = value;
    input.placeholder = placeholder;
    const send = debounced(() => {
      const patch = patchOf(input.value);
      if (patch) this._change(patch);
    });
    input.addEventListener("input", send);
    return input;
  }

  _regexInput(s) {
    // An invalid pattern stays in the box, marked, and is not sent.
    const input = this._textInput("rg-regex", s.regex, "regular expression", (v) => (regexError(v) ? null : { regex: v }));
    const check = () => {
      const error = regexError(input.value);
      input.classList.toggle("rg-invalid", Boolean(error));
      input.title = error || "A regular expression searched in trial and run names";
    };
    input.addEventListener("input", check);
    check();
    return input;
  }

  _whereControls(s) {
    const box = el("div", "rg-where");
    box.append(el("span", "rg-field-label", "Only"));
    const fieldOptions = [["", "field…"], ...this.fields.map((f) => [f.id, f.id])];
    const valueSelect = el("select", "rg-select rg-where-value");
    valueSelect.setAttribute("aria-label", "Value");
    const fillValues = (fieldId) => {
      this._whereField = fieldId;
      valueSelect.replaceChildren();
      const f = this.fields.find((x) => x.id === fieldId);
      if (!f) return;
      for (const v of f.values) {
        const text = formatFieldValue(v.value);
        valueSelect.add(new Option(`${text} (${v.count})`, text));
      }
      if (f.missing) valueSelect.add(new Option(`(none) (${f.missing})`, "(none)"));
    };
    const fieldSelect = select("rg-where-field", fieldOptions, this._whereField, fillValues, "Filter field");
    fillValues(this._whereField);
    const add = button("rg-where-add", "Add filter", () => {
      if (!fieldSelect.value || !valueSelect.value) return;
      const pair = [fieldSelect.value, valueSelect.value];
      if (s.where.some(([f, v]) => f === pair[0] && v === pair[1])) return;
      this._change({ where: [...s.where, pair] });
    });
    box.append(fieldSelect, valueSelect, add);
    for (const [field, value] of s.where) {
      const chip = el("span", "rg-chip rg-where-chip");
      chip.append(el("span", "rg-chip-text", `${field} = ${value}`));
      chip.append(
        button("rg-chip-btn rg-where-remove", "×", () => this._change({ where: s.where.filter((p) => p[0] !== field || p[1] !== value) }), "Remove this filter"),
      );
      box.append(chip);
    }
    return box;
  }
}

function moved(list, i, delta) {
  const out = [...list];
  const [item] = out.splice(i, 1);
  out.splice(Math.max(0, i + delta), 0, item);
  return out;
}

function usesK(s) {
  return s.reduction === "mean_last_k" || s.more.some(([, r]) => r === "mean_last_k");
}
