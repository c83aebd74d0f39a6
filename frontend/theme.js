// Light and dark themes. TensorBoard marks its own dark mode with the class
// `dark-mode` on the parent page's body (readable: the iframe is
// same-origin); without a parent, prefers-color-scheme decides (style.css).

/**
 * The theme for a parent body's classes: "dark", "light", or "auto" when
 * there is no TensorBoard page to follow.
 * @param {DOMTokenList|null} parentClasses
 * @returns {string}
 */
export function themeFor(parentClasses) {
  if (!parentClasses) return "auto";
  return parentClasses.contains("dark-mode") ? "dark" : "light";
}

/**
 * Applies the theme to <html data-theme> now and whenever TensorBoard's dark
 * mode or the system preference changes.
 * @param {(theme: string) => void} [onChange]
 */
export function followTheme(onChange) {
  let parentBody = null;
  try {
    parentBody = window.parent !== window ? window.parent.document.body : null;
  } catch {
    parentBody = null; // a cross-origin parent: fall back to the system preference
  }
  const apply = () => {
    const theme = themeFor(parentBody ? parentBody.classList : null);
    const dark = theme === "dark" || (theme === "auto" && matchMedia("(prefers-color-scheme: dark)").matches);
    if (document.documentElement.dataset.theme === theme && document.documentElement.dataset.dark === String(dark)) return;
    document.documentElement.dataset.theme = theme;
    document.documentElement.dataset.dark = String(dark);
    if (onChange) onChange(theme);
  };
  apply();
  if (parentBody) new MutationObserver(apply).observe(parentBody, { attributes: true, attributeFilter: ["class"] });
  matchMedia("(prefers-color-scheme: dark)").addEventListener("change", apply);
}
