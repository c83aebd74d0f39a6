// Fetches from the plugin's routes. No DOM here.
// URLs are relative to the iframe's <base href="plugin/rungroups/">, so
// --path_prefix and experiment-scoped URLs keep working.

export class ApiError extends Error {}

async function getJson(path) {
  let response;
  try {
    response = await fetch(path, { headers: { Accept: "application/json" } });
  } catch (e) {
    throw new ApiError(`Could not reach TensorBoard (${e.message}).`);
  }
  if (!response.ok) {
    const text = (await response.text()).trim().slice(0, 300);
    throw new ApiError(`${path} answered ${response.status}: ${text || response.statusText}`);
  }
  return response.json();
}

/** Every run with its parsed name fields and merged metadata. */
export function fetchRuns() {
  return getJson("./runs");
}
