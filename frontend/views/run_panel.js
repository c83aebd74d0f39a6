// The run detail panel: everything known about one run, each value once —
// status, parameters (parsed and recorded, merged), the command line, the
// rest of the metadata, the trial's runs, latest scalars, how the name was
// read — and "copy run path". `RunPanel` is the view; it never fetches.

import { formatDuration, formatFieldValue, formatNumber, formatValue, formatWallTime, toNumber } from "../format.js";
import { button, el } from "./dom.js";

function table(className, rows) {
  const t = el("table", `rg-kv ${className}`);
  const body = t.createTBody();
  for (const [k, v] of rows) {
    const tr = body.insertRow();
    tr.append(el("th", "rg-kv-key", k), el("td", "rg-kv-value", v));
  }
  return t;
}

function section(title, content) {
  const s = el("section", "rg-panel-section");
  s.append(el("h3", null, title), content);
  return s;
}

function flatRows(prefix, value, rows) {
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    const entries = Object.entries(value);
    if (!entries.length) rows.push([prefix, "{}"]);
    for (const [k, v] of entries) flatRows(prefix ? `${prefix}.${k}` : k, v, rows);
  } else if (Array.isArray(value)) {
    rows.push([prefix, value.every((x) => typeof x === "string") ? value.join(", ") : JSON.stringify(value)]);
  } else {
    rows.push([prefix, formatValue(value)]);
  }
  return rows;
}

// Metadata keys shown in their own sections (parameters, command line), not again under "Metadata".
const OWN_SECTIONS = new Set(["hparams", "command"]);

/**
 * The recorded metadata as [key, text] rows, nested objects flattened to
 * dotted keys; hparams and the command line are left out (they have their
 * own sections).
 * @param {Record<string, unknown>} metadata
 * @returns {[string, string][]}
 */
export function metadataRows(metadata) {
  const rows = [];
  for (const [key, value] of Object.entries(metadata || {})) {
    if (!OWN_SECTIONS.has(key)) flatRows(key, value, rows);
  }
  return rows;
}

/**
 * One row per parameter, parsed from the run's name and/or recorded as an
 * hparam, each shown once: `source` says where it comes from ("name",
 * "hparams", or "both" when the recorded value confirms the parsed one).
 * When they differ, the recorded value wins (as in grouping) and `parsed`
 * keeps what the name says. Order: the name's, then the other hparams'.
 * @param {Record<string, unknown>} params  parsed from the name
 * @param {Record<string, unknown>} hparams  recorded
 * @returns {{key: string, value: string, source: string, parsed?: string}[]}
 */
export function parameterRows(params, hparams) {
  const p = params || {};
  const h = hparams && typeof hparams === "object" && !Array.isArray(hparams) ? hparams : {};
  const rows = [];
  const same = (a, b) => a === b || formatFieldValue(a) === formatFieldValue(b);
  for (const [key, value] of Object.entries(p)) {
    if (!(key in h)) rows.push({ key, value: formatFieldValue(value), source: "name" });
    else if (same(value, h[key])) rows.push({ key, value: formatFieldValue(h[key]), source: "both" });
    else rows.push({ key, value: formatFieldValue(h[key]), source: "hparams", parsed: formatFieldValue(value) });
  }
  for (const [key, value] of Object.entries(h)) {
    if (!(key in p)) rows.push({ key, value: formatFieldValue(value), source: "hparams" });
  }
  return rows;
}

/**
 * A command line (a list of arguments, as recorded) as a POSIX shell would
 * read it: arguments with spaces or shell characters single-quoted.
 * @param {unknown} command  a list of strings, or a string kept as it is
 * @returns {string}
 */
export function commandLine(command) {
  if (typeof command === "string") return command;
  if (!Array.isArray(command)) return "";
  return command
    .map((a) => {
      const s = String(a);
      return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, "'\\''")}'`;
    })
    .join(" ");
}

const SOURCE_TEXT = {
  both: "name + hparams",
  name: "name",
  hparams: "hparams",
};

function parameterTable(rows) {
  const t = el("table", "rg-kv rg-params");
  const body = t.createTBody();
  for (const r of rows) {
    const tr = body.insertRow();
    tr.dataset.source = r.source;
    const value = el("td", "rg-kv-value", r.value);
    const src = el("span", `rg-source rg-source-${r.source}`, SOURCE_TEXT[r.source]);
    src.title =
      r.source === "both"
        ? "Parsed from the run's name and confirmed by a recorded hparam"
        : r.source === "name"
          ? "Parsed from the run's name"
          : "Recorded as an hparam";
    value.append(" ", src);
    if (r.parsed !== undefined) value.append(el("span", "rg-source rg-source-differs", `name says ${r.parsed}`));
    tr.append(el("th", "rg-kv-key", r.key), value);
  }
  return t;
}

/**
 * How a run's name was read (`/runs`' `read`, when the backend gives it): one
 * row per field with the rule that found it, the trial's rule and the runs it
 * joined, and the suggested fix. Everything is text.
 * @param {{fields?: {field: string, value: unknown, rule: string}[],
 *   trial?: {trial: string, rule: string, joined?: string[]}|null, fix?: string|null}|null|undefined} read
 * @returns {{fields: [string, string, string][], trial: [string, string]|null, joined: string[], fix: string|null}|null}
 *   null when there is nothing to show
 */
export function readRows(read) {
  if (!read || typeof read !== "object") return null;
  const fields = (Array.isArray(read.fields) ? read.fields : []).map((f) => [String(f.field), formatFieldValue(f.value), String(f.rule || "")]);
  const t = read.trial && typeof read.trial === "object" ? read.trial : null;
  const trial = t ? [String(t.trial), String(t.rule || "")] : null;
  const joined = t && Array.isArray(t.joined) ? t.joined.map(String) : [];
  const fix = typeof read.fix === "string" && read.fix ? read.fix : null;
  return { fields, trial, joined, fix };
}

function readSection(read) {
  const rows = readRows(read);
  if (!rows) return null;
  const box = el("div", "rg-read");
  if (rows.fields.length) {
    const t = el("table", "rg-kv rg-read-fields");
    const body = t.createTBody();
    for (const [field, value, rule] of rows.fields) {
      const tr = body.insertRow();
      const v = el("td", "rg-kv-value", value);
      v.append(" ", el("span", "rg-source rg-read-rule", rule));
      tr.append(el("th", "rg-kv-key", field), v);
    }
    box.append(t);
  } else {
    box.append(el("p", "rg-muted", "no fields read from the name"));
  }
  if (rows.trial) {
    const p = el("p", "rg-read-trial", `trial ${rows.trial[0]}: ${rows.trial[1]}`);
    box.append(p);
    if (rows.joined.length) box.append(el("p", "rg-read-joined rg-muted", `joined with ${rows.joined.join(", ")}`));
  }
  if (rows.fix) box.append(el("p", "rg-read-fix", `Fix: ${rows.fix}`));
  return section("How it was read", box);
}

/**
 * Builds the panel for a /run answer. Each value shows once: parameters
 * merged from the name and the recorded hparams, the command line as one
 * line, the rest of the metadata, the latest scalars.
 * @param {object} detail  the /run answer
 * @param {{onClose: () => void, onCopyPath: (run: string) => void,
 *   onCopy: (text: string, what: string) => void, onOpenRun: (run: string) => void,
 *   editControls?: (detail: object) => HTMLElement|null}} handlers  `editControls` the edit
 *   section (views/edit.js), absent or null when editing is off
 * @returns {HTMLElement}
 */
export function buildRunPanel(detail, handlers) {
  const panel = el("aside", "rg-panel");
  panel.setAttribute("aria-label", "Run details");
  const head = el("div", "rg-panel-head");
  head.append(el("h2", "rg-panel-title", detail.run));
  head.append(button("rg-close", "×", handlers.onClose, "Close (Esc)"));
  panel.append(head);
  const actions = el("div", "rg-panel-actions");
  actions.append(button("rg-copy-path", "Copy run path", () => handlers.onCopyPath(detail.run)));
  panel.append(actions);
  const edit = handlers.editControls ? handlers.editControls(detail) : null; // views/edit.js, when editing is on
  if (edit) panel.append(edit);
  if (detail.error) panel.append(el("p", "rg-badge-error rg-run-error", `Metadata error: ${detail.error}`));
  const md = detail.trial_metadata || detail.metadata || {};
  const started = toNumber(detail.start_time);
  const lastEvent = toNumber(detail.last_event_time);
  const summary = [
    ["trial", detail.trial],
    ["split", detail.split || ""],
    ["status", detail.status || ""],
    ["started", started !== null ? formatWallTime(started) : ""],
    ["last event", lastEvent !== null ? formatWallTime(lastEvent) : ""],
  ];
  if (started !== null && lastEvent !== null) summary.push(["duration", formatDuration(lastEvent - started)]);
  const parsed = [];
  if (detail.time) parsed.push(["time", detail.time.replace("T", " ")]);
  if (detail.labels && detail.labels.length) parsed.push(["labels", detail.labels.join(" / ")]);
  panel.append(section("Run", table("rg-summary", [...summary, ...parsed])));
  const params = parameterRows(detail.params, md.hparams);
  panel.append(section("Parameters", params.length ? parameterTable(params) : el("p", "rg-muted", "none parsed or recorded")));
  const command = commandLine(md.command);
  if (command) {
    const box = el("div", "rg-command-box");
    const pre = el("pre", "rg-command");
    pre.append(el("code", null, command));
    box.append(pre, button("rg-copy-command", "Copy", () => handlers.onCopy(command, "Command copied"), "Copy the command line"));
    panel.append(section("Command line", box));
  }
  const mdRows = metadataRows(md);
  panel.append(section("Metadata", mdRows.length ? table("rg-metadata", mdRows) : el("p", "rg-muted", "none recorded")));
  if (detail.scalars && detail.scalars.length) {
    const rows = detail.scalars.map((s) => [s.tag, `${formatNumber(toNumber(s.value))} @ step ${s.step}`]);
    panel.append(section("Latest scalars", table("rg-scalars", rows)));
  }
  if (detail.trial_runs && detail.trial_runs.length > 1) {
    const list = el("ul", "rg-trial-runs");
    for (const r of detail.trial_runs) {
      const li = el("li");
      const b = el("button", "rg-linklike", r.run);
      b.type = "button";
      b.addEventListener("click", () => handlers.onOpenRun(r.run));
      li.append(b);
      list.append(li);
    }
    panel.append(section("Runs of this trial", list));
  }
  const read = readSection(detail.read);
  if (read) panel.append(read);
  return panel;
}

/**
 * A placeholder panel while a run loads, or when it failed.
 * @param {string} run
 * @param {string} message
 * @param {() => void} onClose
 * @returns {HTMLElement}
 */
export function buildRunPanelMessage(run, message, onClose) {
  const panel = el("aside", "rg-panel");
  const head = el("div", "rg-panel-head");
  head.append(el("h2", "rg-panel-title", run), button("rg-close", "×", onClose, "Close (Esc)"));
  panel.append(head, el("p", "rg-muted", message));
  return panel;
}

/** The run panel view: the state's `run` (nothing when none), loading, failed or in detail. */
export class RunPanel {
  /** @param {{change: (patch: object) => void, copy: (text: string, what: string) => void}} actions */
  constructor(actions) {
    this.actions = actions;
    this.element = el("div", "rg-panel-slot");
  }

  /**
   * @param {object} state
   * @param {{run: string, detail?: object, error?: string}|null} answer  the /run answer
   *   for `state.run` (`/runs`' entry of the run gives `read`), its error, or null while it loads
   */
  update(state, answer) {
    const run = state.run;
    if (!run) return this.element.replaceChildren();
    const close = () => this.actions.change({ run: null });
    if (!answer || answer.run !== run || !answer.detail) {
      const message = answer && answer.run === run && answer.error ? answer.error : "Loading…";
      return this.element.replaceChildren(buildRunPanelMessage(run, message, close));
    }
    this.element.replaceChildren(
      buildRunPanel(answer.detail, {
        onClose: close,
        onCopyPath: (path) => this.actions.copy(path, "Run path copied"),
        onCopy: (text, what) => this.actions.copy(text, what),
        onOpenRun: (r) => this.actions.change({ run: r }),
        editControls: this.actions.editRun,
      }),
    );
  }
}
