// A small /fields + /tags + /groups answer for the views' unit tests (the shape
// the routes give, see tb_plugin/http_api.md), three lr groups of seeds.

const stats = (mean, n) => ({ count: n, mean, ci_low: mean - 0.1, ci_high: mean + 0.1, ci_method: "t", ci_level: 0.95, std: 0.05, min: mean - 0.2, max: mean + 0.2, best_run: null, best_value: null });

/** A /groups answer: `by` lr and optimizer (optimizer constant), groups keyed k0.. */
export function groupsAnswer() {
  const groups = [0.1, 0.01, 0.001].map((lr, i) => ({
    key: `key${i}AAAAAAAAAAAA`.slice(0, 16),
    label: `lr=${lr}, optimizer=adam`,
    values: [lr, "adam"],
    size: 3 - i,
    stats: stats(1 - i / 10, 3 - i),
    members: Array.from({ length: 3 - i }, (_, s) => ({ trial: `lr=${lr}/seed_${s}`, run: `lr=${lr}/seed_${s}/train`, value: 1 - i / 10, status: "finished" })),
  }));
  return { metric: "loss", split: "train", by: ["lr", "optimizer"], matched: 6, trials: 8, groups, metrics: [{ metric: "loss", reduction: "last", split: "train" }], ci: { method: "t", level: 0.95 } };
}

export const FIELDS = {
  runs: 16,
  default_by: ["lr", "optimizer"],
  fields: [
    { id: "lr", values: [{ value: 0.1, count: 3 }], varies: true },
    { id: "optimizer", values: [{ value: "adam", count: 6 }], varies: false },
    { id: "seed", values: [], varies: true, repeat: true },
  ],
};

export const TAGS = { tags: [{ tag: "loss", splits: [{ split: "train" }, { split: null }] }, { tag: "acc", splits: [] }], reductions: ["last", "min", "max", "mean_last_k"], default_metric: "loss" };
