// A small DOM for the views' unit tests under node (no jsdom here): elements
// with classes, attributes, dataset, style, children, text, events, simple
// selectors (tag, .class, [attr], [attr="v"], combined, descendant), tables and
// selects. No markup parsing: views put text in with textContent only (test_lint.py).
// install() sets the globals the views use; import the views after it.

class FakeNode {
  constructor(doc) {
    this.ownerDocument = doc;
    this.parentNode = null;
    this.childNodes = [];
  }
  get firstChild() {
    return this.childNodes[0] || null;
  }
  get lastChild() {
    return this.childNodes[this.childNodes.length - 1] || null;
  }
  get textContent() {
    return this.childNodes.map((c) => c.textContent).join("");
  }
  remove() {
    if (!this.parentNode) return;
    const list = this.parentNode.childNodes;
    list.splice(list.indexOf(this), 1);
    this.parentNode = null;
  }
  replaceWith(node) {
    const parent = this.parentNode;
    if (!parent) return;
    const i = parent.childNodes.indexOf(this);
    parent._adopt(node);
    parent.childNodes.splice(i, 1, node);
    this.parentNode = null;
  }
}

class FakeText extends FakeNode {
  constructor(doc, text) {
    super(doc);
    this.data = String(text);
  }
  get textContent() {
    return this.data;
  }
}

class ClassList {
  constructor(el) {
    this.el = el;
  }
  _list() {
    return this.el.className.split(/\s+/).filter(Boolean);
  }
  contains(c) {
    return this._list().includes(c);
  }
  add(...cs) {
    this.el.className = [...new Set([...this._list(), ...cs])].join(" ");
  }
  remove(...cs) {
    this.el.className = this._list().filter((c) => !cs.includes(c)).join(" ");
  }
  toggle(c, on = !this.contains(c)) {
    if (on) this.add(c);
    else this.remove(c);
    return on;
  }
  [Symbol.iterator]() {
    return this._list()[Symbol.iterator]();
  }
}

/** An element: what the views use of HTMLElement. */
export class FakeElement extends FakeNode {
  constructor(doc, tag) {
    super(doc);
    this.tagName = tag.toUpperCase();
    this.className = "";
    this.classList = new ClassList(this);
    this.attributes = new Map();
    this.dataset = {};
    this.listeners = new Map();
    this.hidden = false;
    this.value = "";
    this.style = { setProperty: (k, v) => (this.style[k] = v) };
    if (tag === "select") this.options = [];
  }
  set textContent(text) {
    this.childNodes = [];
    if (text !== "" && text !== null && text !== undefined) this.append(String(text));
  }
  get textContent() {
    return super.textContent;
  }
  get children() {
    return this.childNodes.filter((c) => c instanceof FakeElement);
  }
  _adopt(node) {
    if (node.parentNode) node.remove();
    node.parentNode = this;
  }
  _nodes(items) {
    return items.map((x) => (x instanceof FakeNode ? x : new FakeText(this.ownerDocument, x)));
  }
  append(...items) {
    for (const n of this._nodes(items)) {
      this._adopt(n);
      this.childNodes.push(n);
    }
  }
  appendChild(n) {
    this.append(n);
    return n;
  }
  prepend(...items) {
    const nodes = this._nodes(items);
    for (const n of nodes) this._adopt(n);
    this.childNodes.unshift(...nodes);
  }
  replaceChildren(...items) {
    for (const c of this.childNodes) c.parentNode = null;
    this.childNodes = [];
    this.append(...items);
  }
  contains(node) {
    for (let n = node; n; n = n.parentNode) if (n === this) return true;
    return false;
  }
  setAttribute(k, v) {
    this.attributes.set(k, String(v));
  }
  getAttribute(k) {
    return this.attributes.has(k) ? this.attributes.get(k) : null;
  }
  hasAttribute(k) {
    return this.attributes.has(k);
  }
  addEventListener(type, fn) {
    if (!this.listeners.has(type)) this.listeners.set(type, []);
    this.listeners.get(type).push(fn);
  }
  dispatchEvent(event) {
    for (const fn of this.listeners.get(event.type) || []) fn(event);
    return true;
  }
  click() {
    if (this.type === "checkbox") this.checked = !this.checked;
    this.dispatchEvent({ type: "click", target: this });
    if (this.type === "checkbox") this.dispatchEvent({ type: "change", target: this });
  }
  focus() {
    this.ownerDocument.activeElement = this;
  }
  select() {}
  setSelectionRange() {}
  // Tables and selects.
  createTBody() {
    const b = this.ownerDocument.createElement("tbody");
    this.append(b);
    return b;
  }
  insertRow() {
    const r = this.ownerDocument.createElement("tr");
    this.append(r);
    return r;
  }
  add(option) {
    this.options.push(option);
    this.append(option);
    if (option.selected || this.options.length === 1) this.value = option.value;
  }
  matches(selector) {
    return selector.split(",").some((s) => matchOne(this, s.trim().split(/\s+/)));
  }
  querySelectorAll(selector) {
    const out = [];
    const walk = (n) => {
      for (const c of n.children) {
        if (c.matches(selector)) out.push(c);
        walk(c);
      }
    };
    walk(this);
    return out;
  }
  querySelector(selector) {
    return this.querySelectorAll(selector)[0] || null;
  }
}

function matchSimple(el, simple) {
  const re = /([.#]?[\w-]+|\[[^\]]+\]|\*)/g;
  for (const [part] of simple.matchAll(re)) {
    if (part === "*") continue;
    if (part.startsWith(".")) {
      if (!el.classList.contains(part.slice(1))) return false;
    } else if (part.startsWith("[")) {
      const m = /^\[([\w-]+)(?:="?([^"]*)"?)?\]$/.exec(part);
      const name = m[1];
      const actual = name.startsWith("data-") ? el.dataset[name.slice(5).replace(/-(\w)/g, (_, c) => c.toUpperCase())] : el.getAttribute(name);
      if (actual === null || actual === undefined) return false;
      if (m[2] !== undefined && String(actual) !== m[2]) return false;
    } else if (el.tagName !== part.toUpperCase()) {
      return false;
    }
  }
  return true;
}

function matchOne(el, parts) {
  if (!matchSimple(el, parts[parts.length - 1])) return false;
  if (parts.length === 1) return true;
  for (let p = el.parentNode; p && p instanceof FakeElement; p = p.parentNode) {
    if (matchOne(p, parts.slice(0, -1))) return true;
  }
  return false;
}

/** A fresh document. */
export class FakeDocument {
  constructor() {
    this.activeElement = null;
    this.body = this.createElement("body");
  }
  createElement(tag) {
    return new FakeElement(this, tag);
  }
  createElementNS(_ns, tag) {
    return new FakeElement(this, tag);
  }
  createTextNode(text) {
    return new FakeText(this, text);
  }
  addEventListener() {}
}

/**
 * Sets the browser globals the views use (document, Option, ResizeObserver,
 * requestAnimationFrame, getComputedStyle) to fakes.
 * @returns {FakeDocument}
 */
export function install() {
  const doc = new FakeDocument();
  globalThis.document = doc;
  globalThis.Option = function Option(text, value, defaultSelected, selected) {
    const o = doc.createElement("option");
    o.textContent = text;
    o.value = value === undefined ? text : value;
    o.selected = Boolean(selected);
    return o;
  };
  globalThis.ResizeObserver = class {
    observe() {}
    disconnect() {}
  };
  globalThis.requestAnimationFrame = (fn) => setTimeout(() => fn(0), 0);
  globalThis.getComputedStyle = () => ({ getPropertyValue: () => "" });
  return doc;
}

/** The visible text of an element's descendants matching a selector. */
export function texts(root, selector) {
  return root.querySelectorAll(selector).map((e) => e.textContent);
}
