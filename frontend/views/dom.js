// Small DOM helpers shared by the views. Text goes in through textContent.

/**
 * Creates an element with an optional class and text.
 * @param {string} tag
 * @param {string} [className]
 * @param {string} [text]
 * @returns {HTMLElement}
 */
export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = text;
  return node;
}

/**
 * A CSS custom property's value on a node (the theme's colours), or a fallback.
 * @param {Element} node
 * @param {string} name  such as "--rg-accent"
 * @param {string} fallback
 * @returns {string}
 */
export function cssVar(node, name, fallback) {
  return getComputedStyle(node).getPropertyValue(name).trim() || fallback;
}

/**
 * A button with a label and a click handler.
 * @param {string} className
 * @param {string} label
 * @param {(e: Event) => void} onClick
 * @param {string} [title]
 * @returns {HTMLButtonElement}
 */
export function button(className, label, onClick, title) {
  const b = el("button", `rg-button ${className}`, label);
  b.type = "button";
  if (title) b.title = title;
  b.addEventListener("click", onClick);
  return b;
}

/**
 * A <select> filled with [value, text] options via new Option().
 * @param {string} className
 * @param {[string, string][]} options
 * @param {string} value
 * @param {(value: string) => void} onChange
 * @param {string} label  accessible name
 * @returns {HTMLSelectElement}
 */
export function select(className, options, value, onChange, label) {
  const s = el("select", `rg-select ${className}`);
  s.setAttribute("aria-label", label);
  for (const [v, text] of options) s.add(new Option(text, v, false, v === value));
  s.addEventListener("change", () => onChange(s.value));
  return s;
}

/**
 * A labelled control: <label><span>text</span>control</label>.
 * @param {string} text
 * @param {HTMLElement} control
 * @returns {HTMLLabelElement}
 */
export function labelled(text, control) {
  const l = el("label", "rg-field");
  l.append(el("span", "rg-field-label", text), control);
  return l;
}

/**
 * Copies text to the clipboard; resolves true on success. Falls back to a
 * selected textarea and execCommand when the Clipboard API is refused.
 * @param {string} text
 * @returns {Promise<boolean>}
 */
export async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const area = el("textarea", "rg-offscreen");
    area.value = text;
    document.body.appendChild(area);
    area.select();
    let ok = false;
    try {
      ok = document.execCommand("copy");
    } catch {
      ok = false;
    }
    area.remove();
    return ok;
  }
}

/**
 * Downloads what a same-origin URL answers (the server names the file).
 * @param {string} url
 */
export function downloadUrl(url) {
  const a = el("a", "rg-offscreen");
  a.href = url;
  a.download = "";
  document.body.appendChild(a);
  a.click();
  a.remove();
}

/**
 * Offers text as a file download through a Blob and an object URL.
 * @param {string} filename
 * @param {string} text
 * @param {string} type  MIME type
 */
export function download(filename, text, type) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = el("a", "rg-offscreen");
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
