// Entry module of the Run Groups tab. TensorBoard's plugin_entry.html imports
// it and calls render(); this module only wires the pieces together.

import { App } from "./app.js";
import { HostChannel } from "./ipc.js";
import { followTheme } from "./theme.js";
import { PLUGIN, stateFromUrlData, urlDataFromHash } from "./state.js";

function addStylesheet(href) {
  const link = document.createElement("link");
  link.rel = "stylesheet";
  link.href = new URL(href, import.meta.url).href;
  document.head.appendChild(link);
}

function topHref() {
  try {
    return window.top.location.href;
  } catch {
    return document.referrer || "";
  }
}

const URL_DATA_TIMEOUT_MS = 2000;

async function askHost(host) {
  // A host that never answers must not keep the tab blank.
  const timeout = new Promise((resolve) => setTimeout(() => resolve(null), URL_DATA_TIMEOUT_MS));
  try {
    return await Promise.race([host.request("experimental.GetURLPluginData", { pluginName: PLUGIN }), timeout]);
  } catch {
    return null;
  }
}

/**
 * The deep-link keys: TensorBoard's answer to GetURLPluginData, or, when it
 * has none, the top page's hash read directly. TensorBoard 2.21 caches its
 * hash dictionary on `hashchange` only, so on a page opened with a link it
 * answers {} although the URL holds p.rungroups.* keys.
 */
async function urlData(host) {
  const answer = await askHost(host);
  if (answer && typeof answer === "object" && Object.keys(answer).length) return answer;
  try {
    return urlDataFromHash(window.top.location.hash);
  } catch {
    return answer; // a cross-origin parent: only the host can tell
  }
}

/** Builds the tab; TensorBoard calls this once per iframe. */
export async function render() {
  addStylesheet("./vendor/uplot/uPlot.min.css");
  addStylesheet("./style.css");
  const root = document.createElement("main");
  root.className = "rg-root";
  document.body.appendChild(root);

  const host = new HostChannel();
  const state = stateFromUrlData(await urlData(host));
  const app = new App(root, state, { topHref });
  followTheme(() => app.retheme());

  let timer = 0;
  const reloadSoon = () => {
    clearTimeout(timer);
    timer = setTimeout(() => app.reload(), 200);
  };
  host.on("experimental.DataReloaded", reloadSoon);
  host.on("experimental.RunsChanged", (runs) => {
    if (!app.knowsRuns(runs)) reloadSoon();
  });
  await app.load();
}
