// Entry module of the Run Groups tab. TensorBoard's plugin_entry.html imports
// it and calls render(); this module only wires the pieces together.

import { fetchRuns } from "./api.js";
import { HostChannel } from "./ipc.js";
import { buildEmptyState, buildErrorState, buildRunsTable } from "./views/runs_table.js";

function addStylesheet() {
  const link = document.createElement("link");
  link.rel = "stylesheet";
  link.href = new URL("./style.css", import.meta.url).href;
  document.head.appendChild(link);
}

function followDarkMode() {
  // TensorBoard marks its own dark mode on the parent's body; the iframe is
  // same-origin, so it can be read (and watched) from here.
  let parentBody = null;
  try {
    parentBody = window.parent !== window ? window.parent.document.body : null;
  } catch {
    parentBody = null;
  }
  const apply = () => {
    const dark = parentBody ? parentBody.classList.contains("dark-mode") : null;
    document.documentElement.dataset.theme = dark === null ? "auto" : dark ? "dark" : "light";
  };
  apply();
  if (parentBody) new MutationObserver(apply).observe(parentBody, { attributes: true, attributeFilter: ["class"] });
}

export async function render() {
  addStylesheet();
  followDarkMode();
  const root = document.createElement("main");
  root.className = "rg-root";
  const header = document.createElement("header");
  header.className = "rg-header";
  const title = document.createElement("h1");
  title.textContent = "Run Groups";
  const count = document.createElement("span");
  count.className = "rg-count";
  header.append(title, count);
  const content = document.createElement("section");
  content.className = "rg-content";
  root.append(header, content);
  document.body.appendChild(root);

  let generation = 0;
  async function load() {
    const mine = ++generation;
    let answer;
    try {
      answer = await fetchRuns();
    } catch (e) {
      if (mine !== generation) return;
      content.replaceChildren(buildErrorState(e.message));
      return;
    }
    if (mine !== generation) return; // a newer load has started
    const runs = answer.runs || [];
    count.textContent = `${runs.length} run${runs.length === 1 ? "" : "s"}`;
    content.replaceChildren(runs.length ? buildRunsTable(runs) : buildEmptyState());
  }

  const host = new HostChannel();
  host.on("experimental.DataReloaded", () => load());
  host.on("experimental.RunsChanged", () => load());
  await load();
}
