// The view switcher: one button per registered view (app.js' VIEWS), the
// state's `view` pressed. With one view there is nothing to switch: hidden.

import { button, el } from "./dom.js";

/** Buttons that switch the tab's view. */
export class ViewSwitcher {
  /**
   * @param {{change: (patch: object) => void}} actions
   * @param {{id: string, label: string}[]} views  in the order shown
   */
  constructor(actions, views) {
    this.actions = actions;
    this.element = el("nav", "rg-views");
    this.element.setAttribute("aria-label", "Views");
    this.buttons = new Map(views.map((v) => [v.id, button(`rg-view-tab rg-view-${v.id}`, v.label, () => actions.change({ view: v.id }))]));
    this.element.append(...this.buttons.values());
    this.element.hidden = views.length < 2;
  }

  /**
   * @param {object} state  its `view` pressed (the first view's when it names none registered)
   */
  update(state) {
    const shown = this.buttons.has(state.view) ? state.view : this.buttons.keys().next().value;
    for (const [id, b] of this.buttons) b.setAttribute("aria-pressed", String(id === shown));
  }
}
