// The runs table: one row per run with its parsed fields and metadata.
// Untrusted text (run names, metadata) goes in through textContent only.

import { formatParams, formatValue } from "../format.js";

const SHOWN_KEYS = ["status", "tags", "notes", "hparams"];

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function otherMetadata(metadata) {
  const rest = Object.entries(metadata || {}).filter(([k]) => !SHOWN_KEYS.includes(k));
  return rest.map(([k, v]) => `${k}: ${formatValue(v)}`).join("\n");
}

/** Builds the table element for the /runs answer. */
export function buildRunsTable(runs) {
  const table = el("table", "rg-table");
  const head = table.createTHead().insertRow();
  for (const title of ["Run", "Parsed fields", "Status", "Tags", "Notes", "Hparams", "Other metadata"]) {
    head.appendChild(el("th", null, title));
  }
  const body = table.createTBody();
  for (const run of runs) {
    const row = body.insertRow();
    row.className = "rg-row";
    row.dataset.run = run.run; // dataset is an attribute value, not markup
    const nameCell = row.insertCell();
    nameCell.className = "rg-run-name";
    nameCell.appendChild(el("span", null, run.run));
    if (run.error) {
      const badge = el("span", "rg-badge rg-badge-error", "metadata error");
      badge.title = run.error;
      nameCell.appendChild(badge);
    }
    const fields = { ...run.params };
    if (run.split) fields.split = run.split;
    if (run.time) fields.time = run.time;
    const parsed = [formatParams(fields), (run.labels || []).join(" / ")].filter(Boolean);
    row.appendChild(el("td", "rg-parsed", parsed.join(" · ")));
    const md = run.metadata || {};
    row.appendChild(el("td", "rg-status", formatValue(md.status)));
    row.appendChild(el("td", "rg-tags", Array.isArray(md.tags) ? md.tags.join(", ") : formatValue(md.tags)));
    row.appendChild(el("td", "rg-notes", formatValue(md.notes)));
    row.appendChild(el("td", "rg-hparams", md.hparams ? formatParams(md.hparams) : ""));
    row.appendChild(el("td", "rg-other", otherMetadata(md)));
  }
  return table;
}

/** The empty state: how to name runs and log metadata. */
export function buildEmptyState() {
  const box = el("div", "rg-empty");
  box.appendChild(el("h2", null, "No runs yet"));
  box.appendChild(
    el(
      "p",
      null,
      "Run Groups reads the names of your run directories and the metadata your runs record. " +
        "Name runs with their parameters, for example my_logs/lr=0.01,bs=32/run_2026_11_27-01_29_05 " +
        "(tb_plugin.get_run_logdir(\"my_logs\", lr=0.01, bs=32) makes such names), " +
        "and record metadata with tb_plugin.summary.run_metadata({...}) or the Keras callback " +
        "tb_plugin.keras.RunMetadataCallback.",
    ),
  );
  return box;
}

/** An error state that says what failed. */
export function buildErrorState(message) {
  const box = el("div", "rg-error");
  box.appendChild(el("h2", null, "Run Groups could not load its data"));
  box.appendChild(el("p", null, message));
  return box;
}
