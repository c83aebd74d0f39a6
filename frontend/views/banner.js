// The banner (what failed or what the view left out, above the table) and the
// toast (what was just copied, in the header). Text through textContent.

import { el } from "./dom.js";

/** The view's one-line message: an error or a note; hidden when there is none. */
export class Banner {
  constructor() {
    this.element = el("div", "rg-banner");
    this.element.setAttribute("role", "status");
    this.element.hidden = true;
    this._message = "";
    this._error = false;
  }

  /**
   * @param {object} state
   * @param {{message: string, error?: boolean}|null} answer  null: no message
   */
  update(state, answer) {
    const message = answer ? answer.message : "";
    const error = Boolean(answer && answer.error);
    if (message === this._message && error === this._error) return;
    this._message = message;
    this._error = error;
    this.element.textContent = message;
    this.element.classList.toggle("rg-banner-error", error);
    this.element.hidden = !message;
  }

  /** @returns {boolean} whether an error shows */
  get failed() {
    return !this.element.hidden && this.element.classList.contains("rg-banner-error");
  }
}

/** What was just copied (or what to copy by hand when the clipboard refused). */
export class Toast {
  constructor() {
    this.element = el("div", "rg-toast");
    this.element.setAttribute("role", "status");
  }

  /**
   * @param {string} message  such as "Regex copied"
   * @param {string|null} [text]  the copied text, shown as code
   */
  show(message, text = null) {
    const parts = [el("span", null, text === null ? message : `${message}: `)];
    if (text !== null) parts.push(el("code", "rg-copied", text));
    this.element.replaceChildren(...parts);
  }
}

/**
 * Says the view shows earlier answers while the fresh ones are computed (the first
 * view's routes answer stale rather than keep the tab waiting; tb_plugin/refresh.py);
 * hidden once every answer shown is fresh.
 */
export class Refreshing {
  constructor() {
    this.element = el("span", "rg-refreshing");
    this.element.setAttribute("role", "status");
    this.element.hidden = true;
  }

  /** @param {number|null} age  seconds the oldest answer shown had, null when all are fresh */
  update(age) {
    this.element.hidden = age === null;
    this.element.textContent = age === null ? "" : `Refreshing… (showing the view of ${Math.max(1, Math.round(age))} s ago)`;
  }
}
