// The run detail panel: everything known about one run — status, parsed
// fields, all metadata, the trial's runs, latest scalars — and "copy run path".

import { formatDuration, formatNumber, formatValue, formatWallTime, toNumber } from "../format.js";
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

function metadataRows(metadata) {
  const rows = [];
  for (const [key, value] of Object.entries(metadata || {})) {
    if (value !== null && typeof value === "object" && !Array.isArray(value)) {
      const entries = Object.entries(value);
      if (!entries.length) rows.push([key, "{}"]);
      for (const [k, v] of entries) rows.push([`${key}.${k}`, formatValue(v)]);
    } else if (Array.isArray(value)) {
      rows.push([key, value.every((x) => typeof x === "string") ? value.join(", ") : JSON.stringify(value)]);
    } else {
      rows.push([key, formatValue(value)]);
    }
  }
  return rows;
}

/**
 * Builds the panel for a /run answer.
 * @param {object} detail  the /run answer
 * @param {{onClose: () => void, onCopyPath: (run: string) => void,
 *   onOpenRun: (run: string) => void}} handlers
 * @returns {HTMLElement}
 */
export function buildRunPanel(detail, handlers) {
  const panel = el("aside", "rg-panel");
  panel.setAttribute("aria-label", "Run details");
  const head = el("div", "rg-panel-head");
  head.append(el("h2", "rg-panel-title", detail.run));
  head.append(button("rg-close", "×", handlers.onClose, "Close"));
  panel.append(head);
  const actions = el("div", "rg-panel-actions");
  actions.append(button("rg-copy-path", "Copy run path", () => handlers.onCopyPath(detail.run)));
  panel.append(actions);
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
  panel.append(section("Run", table("rg-summary", summary)));
  const parsed = [...Object.entries(detail.params || {}).map(([k, v]) => [k, formatValue(v)])];
  if (detail.time) parsed.push(["time", detail.time]);
  if (detail.labels && detail.labels.length) parsed.push(["labels", detail.labels.join(" / ")]);
  panel.append(section("Parsed from the name", parsed.length ? table("rg-parsed-fields", parsed) : el("p", "rg-muted", "nothing")));
  const mdRows = metadataRows(md);
  panel.append(section("Metadata", mdRows.length ? table("rg-metadata", mdRows) : el("p", "rg-muted", "none recorded")));
  const fieldRows = Object.entries(detail.fields || {}).map(([k, v]) => [k, formatValue(v)]);
  if (fieldRows.length) panel.append(section("Fields", table("rg-fields", fieldRows)));
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
  head.append(el("h2", "rg-panel-title", run), button("rg-close", "×", onClose, "Close"));
  panel.append(head, el("p", "rg-muted", message));
  return panel;
}
