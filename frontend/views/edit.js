// Editing notes, tags and status from the tab (`GET /edit`, `POST /annotate`;
// http_api.md). Off unless TensorBoard runs with --rungroups_allow_edit: until
// `/edit` answers `allowed: true`, every builder here returns null and the tab
// shows no edit control. Each write offers an Undo that posts the answer's
// `undo` back as it is. Text goes in through textContent only.

import { button, el } from "./dom.js";

/** The statuses `POST /annotate` accepts. */
export const STATUSES = ["running", "finished", "failed", "interrupted"];

/**
 * A run's tags as a list of strings (metadata `tags` may be a list or one string).
 * @param {unknown} tags
 * @returns {string[]}
 */
export function tagList(tags) {
  if (Array.isArray(tags)) return tags.map(String);
  return typeof tags === "string" && tags ? [tags] : [];
}

/**
 * Where a trial's annotations go: `home`, the run a new tag, note or status is
 * written to (the trial's own directory when /runs lists it as a run, where
 * `tb-rungroups annotate` and the Keras callback write, else its first run),
 * and `all`, every run of the trial (a tag is removed from each).
 * @param {string} trial
 * @param {Map<string, {runs: {run: string}[]}>|null} trials  group.indexTrials of /runs
 * @param {string} [fallback]  the run to write when /runs has not arrived
 * @returns {{home: string, all: string[]}}
 */
export function trialTargets(trial, trials, fallback = trial) {
  const t = trials && trials.get(trial);
  const runs = t ? t.runs.map((r) => r.run) : [];
  if (!runs.length) return { home: fallback, all: [fallback] };
  return { home: runs.includes(trial) ? trial : runs[0], all: runs };
}

/**
 * The change a text box asks for, or null when it asks for none (blank).
 * @param {string[]} runs
 * @param {"tag"|"note"} kind
 * @param {string} text
 * @returns {object|null}  a `POST /annotate` body
 */
export function changeFor(runs, kind, text) {
  const t = String(text || "");
  if (!t.trim() || !runs.length) return null;
  return kind === "tag" ? { runs, add_tags: [t.trim()] } : { runs, note: t };
}

/** The edit controls, their one dialog (group rows) and the Undo bar. */
export class Editor {
  /**
   * @param {{fetchEdit: () => Promise<{allowed: boolean, token: string|null}>,
   *   post: (body: object, token: string) => Promise<object>,
   *   onChanged: (answer: object) => (void|Promise<void>)}} deps  `fetchEdit` and
   *   `post` from api.js; `onChanged` refreshes the tab after a write
   */
  constructor(deps) {
    this.deps = deps;
    this.allowed = false;
    this.token = null;
    this.undo = null;
    this.busy = false;
    this.element = el("div", "rg-edit");
    this.bar = el("div", "rg-edit-bar");
    this.bar.setAttribute("role", "status");
    this.bar.hidden = true;
    this.dialog = el("div", "rg-edit-dialog");
    this.dialog.setAttribute("role", "dialog");
    this.dialog.hidden = true;
    this.element.append(this.bar, this.dialog);
  }

  /**
   * Asks `/edit` whether the tab may edit; any failure means it may not.
   * @returns {Promise<boolean>}
   */
  async init() {
    try {
      const answer = await this.deps.fetchEdit();
      this.allowed = Boolean(answer && answer.allowed === true && typeof answer.token === "string" && answer.token);
      this.token = this.allowed ? answer.token : null;
    } catch {
      this.allowed = false;
      this.token = null;
    }
    return this.allowed;
  }

  /**
   * Sends one change (or an undo), keeps its answer's undo, refreshes the tab.
   * @param {object} body  a `POST /annotate` body
   * @param {string} what  what the bar says was done, such as "Tag added"
   * @param {boolean} [isUndo]
   * @returns {Promise<object|null>}  the answer, null when it failed
   */
  async apply(body, what, isUndo = false) {
    if (!this.allowed || this.busy) return null;
    this.busy = true;
    let answer;
    try {
      answer = await this.deps.post(body, this.token);
    } catch (e) {
      this.busy = false;
      this._say(`Not saved: ${e.message}`, null, true);
      return null;
    }
    this.busy = false;
    // An undo's own answer reverses the undo: not offered (Undo is for the last change).
    this.undo = isUndo ? null : answer.undo || null;
    this._say(what, this.undo);
    await this.deps.onChanged(answer);
    return answer;
  }

  /** Posts the last change's undo. */
  undoLast() {
    if (!this.undo) return Promise.resolve(null);
    return this.apply(this.undo, "Undone", true);
  }

  _say(message, undo, error = false) {
    const parts = [el("span", "rg-edit-message", message)];
    if (undo) parts.push(button("rg-edit-undo", "Undo", () => this.undoLast(), "Reverse the last change (what others wrote meanwhile stays)"));
    parts.push(button("rg-edit-dismiss", "×", () => (this.bar.hidden = true), "Dismiss"));
    this.bar.replaceChildren(...parts);
    this.bar.classList.toggle("rg-edit-error", error);
    this.bar.hidden = false;
  }

  /**
   * The run panel's edit section for a run's trial: its tags (each with ×),
   * "add tag", "add note" and a status select. Null when editing is off.
   * @param {{run: string, trial?: string, status?: string|null, metadata?: object,
   *   trial_metadata?: object}} detail  the /run answer
   * @param {Map<string, object>|null} trials  group.indexTrials of /runs
   * @returns {HTMLElement|null}
   */
  runControls(detail, trials) {
    if (!this.allowed) return null;
    const { home, all } = trialTargets(detail.trial || detail.run, trials, detail.run);
    const run = home;
    const metadata = detail.trial_metadata || detail.metadata || {};
    const status = detail.status;
    const box = el("section", "rg-panel-section rg-edit-run");
    box.append(el("h3", null, "Edit"));
    const tags = el("div", "rg-edit-tags");
    for (const tag of tagList(metadata && metadata.tags)) {
      const chip = el("span", "rg-edit-tag");
      chip.dataset.tag = tag;
      const x = button("rg-edit-untag", "×", () => this.apply({ runs: all, remove_tags: [tag] }, `Tag “${tag}” removed`), `Remove tag ${tag}`);
      x.setAttribute("aria-label", `Remove tag ${tag}`);
      chip.append(el("span", "rg-edit-tag-text", tag), x);
      tags.append(chip);
    }
    if (!tags.childNodes.length) tags.append(el("span", "rg-muted", "no tags"));
    box.append(tags);
    box.append(this._entry("tag", [run], "Add tag", "new tag"));
    box.append(this._entry("note", [run], "Add note", "a note (appended as a line)"));
    const s = el("select", "rg-select rg-edit-status");
    s.setAttribute("aria-label", "Status");
    const current = STATUSES.includes(String(status)) ? String(status) : "";
    if (!current) s.add(new Option("— set status —", "", false, true));
    for (const v of STATUSES) s.add(new Option(v, v, false, v === current));
    s.addEventListener("change", () => {
      if (s.value && s.value !== current) this.apply({ runs: [run], status: s.value }, `Status set to ${s.value}`);
    });
    const label = el("label", "rg-field");
    label.append(el("span", "rg-field-label", "status"), s);
    box.append(label);
    return box;
  }

  /** A text box with a button that sends a tag or a note for some runs (Enter sends too). */
  _entry(kind, runs, label, placeholder) {
    const row = el("div", `rg-edit-entry rg-edit-${kind}-entry`);
    const input = el("input", `rg-input rg-edit-input rg-edit-${kind}-input`);
    input.type = "text";
    input.placeholder = placeholder;
    input.setAttribute("aria-label", label);
    const send = () => {
      const body = changeFor(runs, kind, input.value);
      if (!body) return;
      input.value = "";
      this.apply(body, kind === "tag" ? `Tag “${body.add_tags[0]}” added` : "Note added");
    };
    input.addEventListener("keydown", (e) => {
      if (e.key === "Enter") send();
    });
    row.append(input, button(`rg-edit-add-${kind}`, label, send));
    return row;
  }

  /**
   * A group row's "tag all" and "note all" buttons, for every trial of the
   * group at once (each opens the dialog). Null when editing is off.
   * @param {{label?: string, values?: unknown[], members?: {trial: string, run?: string}[]}} group
   *   a group of /groups
   * @param {() => (Map<string, object>|null)} trials  group.indexTrials of /runs, as of the
   *   click (the row is drawn before /runs arrives and not drawn again when it does)
   * @returns {HTMLElement|null}
   */
  groupControls(group, trials) {
    if (!this.allowed) return null;
    const box = el("span", "rg-edit-group");
    const label = group.label || (group.values || []).map(String).join(", ") || "this group";
    const open = (kind) => () => {
      const now = trials();
      const names = (group.members || []).map((m) => trialTargets(m.trial, now, m.run || m.trial).home);
      const what = kind === "tag" ? "Tag" : "Note";
      this.ask(`${what} all ${names.length} runs of ${label}`, kind, names);
    };
    const tag = el("button", "rg-linklike rg-edit-group-tag", "tag all");
    tag.type = "button";
    tag.title = "Add a tag to every run of this group";
    tag.addEventListener("click", open("tag"));
    const note = el("button", "rg-linklike rg-edit-group-note", "note all");
    note.type = "button";
    note.title = "Append a note to every run of this group";
    note.addEventListener("click", open("note"));
    box.append(tag, note);
    return box;
  }

  /**
   * Opens the dialog asking for a tag or note for some runs.
   * @param {string} title
   * @param {"tag"|"note"} kind
   * @param {string[]} runs
   */
  ask(title, kind, runs) {
    const input = el("input", "rg-input rg-edit-input rg-edit-dialog-input");
    input.type = "text";
    input.setAttribute("aria-label", title);
    const close = () => {
      this.dialog.hidden = true;
      this.dialog.replaceChildren();
    };
    const ok = () => {
      const body = changeFor(runs, kind, input.value);
      if (!body) return;
      close();
      this.apply(body, kind === "tag" ? `Tag “${body.add_tags[0]}” added to ${runs.length} runs` : `Note added to ${runs.length} runs`);
    };
    input.addEventListener("keydown", (e) => {
      if (e.key === "Enter") ok();
      else if (e.key === "Escape") {
        if (e.stopPropagation) e.stopPropagation(); // closes the dialog, not the run panel
        close();
      }
    });
    this.dialog.replaceChildren(
      el("p", "rg-edit-dialog-title", title),
      input,
      button("rg-edit-dialog-ok", kind === "tag" ? "Add tag" : "Add note", ok),
      button("rg-edit-dialog-cancel", "Cancel", close),
    );
    this.dialog.hidden = false;
    input.focus();
  }
}
