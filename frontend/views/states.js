// The empty state (how to name runs and record metadata) and the error state.

import { el } from "./dom.js";

function code(text) {
  return el("code", "rg-code", text);
}

/**
 * The empty state: no runs yet, and how to make runs Run Groups understands.
 * @returns {HTMLElement}
 */
export function buildEmptyState() {
  const box = el("div", "rg-empty");
  box.append(el("h2", null, "No runs yet"));
  box.append(
    el(
      "p",
      null,
      "Run Groups reads the names of your run directories and the metadata your runs record, " +
        "then groups repeats (seeds) of the same configuration. Start TensorBoard on the root " +
        "log directory that holds one sub-directory per run.",
    ),
  );
  box.append(el("h3", null, "Name runs with their parameters"));
  const p1 = el("p", null, "For example ");
  p1.append(
    code("my_logs/lr=0.01,bs=32/seed_1"),
    document.createTextNode(" or "),
    code("my_logs/lr=0.01,bs=32/run_2026_11_27-01_29_05"),
    document.createTextNode(". "),
    code('tb_plugin.get_run_logdir("my_logs", lr=0.01, bs=32)'),
    document.createTextNode(
      " makes such names. Timestamps, seed_3 / version_3 / fold-2, Hydra, Ray Tune and " +
        "PyTorch default names are understood too.",
    ),
  );
  box.append(p1);
  box.append(el("h3", null, "Record metadata"));
  const p2 = el("p", null, "Hyper-parameters, notes, tags and status travel with the logs: ");
  p2.append(
    code("tb_plugin.summary.run_metadata({...})"),
    document.createTextNode(" in TensorFlow, the Keras callback "),
    code("tb_plugin.keras.RunMetadataCallback(hparams=...)"),
    document.createTextNode(", or "),
    code("tb_plugin.writer.write_run_metadata(logdir, {...})"),
    document.createTextNode(" for any framework; "),
    code("tb-rungroups annotate RUN_DIR --note ..."),
    document.createTextNode(" annotates a finished run."),
  );
  box.append(p2);
  return box;
}

/**
 * An error state that says what failed and what to try.
 * @param {string} message  the backend's message (untrusted text)
 * @param {() => void} [onRetry]
 * @returns {HTMLElement}
 */
export function buildErrorState(message, onRetry) {
  const box = el("div", "rg-error-state");
  box.setAttribute("role", "alert");
  box.append(el("h2", null, "Run Groups could not load its data"));
  box.append(el("p", "rg-error-message", message));
  box.append(
    el(
      "p",
      null,
      "TensorBoard's log (the terminal it runs in) says more. Reload TensorBoard's data " +
        "with its reload button, or retry.",
    ),
  );
  if (onRetry) {
    const b = el("button", "rg-button rg-retry", "Retry");
    b.type = "button";
    b.addEventListener("click", onRetry);
    box.append(b);
  }
  return box;
}
