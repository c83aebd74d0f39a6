"""What the statistics a researcher reports cost: `/groups` with and without them.

Over the log directory of `bench_backend.py` (N runs = N/2 trials of train + validation, 60
configurations × N/120 seeds), served by TensorBoard's real WSGI app with our plugin over the
Rust data server, this times warm `/groups?metric=epoch_loss` requests (median of 15 rounds, the
scalar caches warm, so what differs is the statistics) for three groupings:

* ``default``: the 60 configurations (N/120 runs each);
* ``by seed``: ``by=path.1`` (60 runs each);
* ``per trial``: ``by=path.0,path.1`` (N/2 groups of one trial);

each without an interval (``ci`` absent means the t interval, so the baseline row is the
previous release's shape: mean, std, min, median, max), with the t interval, with a seeded
percentile bootstrap (1,000 resamples) and with a baseline comparison (Welch, Holm,
P(improvement)), and prints each as a ratio to the first.

A last row times ``/effects`` (SPEC §5b: per-value t intervals, type-II shares, F tests and
the 1,000-resample bootstrap of the shares) of 4 fields (``lr,bs,opt,host``) against
``/groups`` of the same view (the same ``by``), interleaved, median of 15 rounds, and the
statistics alone (``effects.analyse`` over the same values, no listing and no reads).

Usage: ``python bench/bench_stats.py --runs 10000`` (``--only-effects``: the last row only)
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
import urllib.parse
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout
sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_backend  # noqa: E402
from tensorboard.backend import application  # noqa: E402
from tensorboard.data import server_ingester  # noqa: E402
from tensorboard.plugins import base_plugin  # noqa: E402
from tensorboard.util import grpc_util  # noqa: E402
from werkzeug import test as werkzeug_test  # noqa: E402

from tb_plugin import aggregate, effects, plugin  # noqa: E402

PREFIX = "/data/plugin/rungroups"
ROUNDS = 15
GROUPINGS = {"default": None, "by seed": "path.1", "per trial": "path.0,path.1"}


def client_for(logdir: Path) -> werkzeug_test.Client:
    ingester = server_ingester.SubprocessServerDataIngester(
        server_ingester.get_server_binary(),
        str(logdir),
        reload_interval=0,
        channel_creds_type=grpc_util.ChannelCredsType.LOCAL,
    )
    ingester.start()
    provider = ingester.data_provider
    context = base_plugin.TBContext(
        logdir=str(logdir), data_provider=provider, flags=SimpleNamespace(logdir=str(logdir))
    )
    rungroups = plugin.RunGroupsLoader().load(context)
    return werkzeug_test.Client(application.TensorBoardWSGI([rungroups], data_provider=provider))


def median_ms(client: werkzeug_test.Client, query: dict[str, str], repeats: int = 9) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        response = client.get(PREFIX + "/groups", query_string=urllib.parse.urlencode(query))
        times.append(time.perf_counter() - started)
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return statistics.median(times) * 1000


def _no_interval(stats_by_group):
    """`stats_by_group` without an interval (the previous release's statistics)."""

    def plain(*args, **kwargs):
        return stats_by_group(*args, **{**kwargs, "ci": None})

    return plain


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--only-effects", action="store_true", help="time /effects only")
    args = parser.parse_args()
    logdir = bench_backend.logdir_for(args.runs)
    client = client_for(logdir)
    deadline = time.time() + 1800
    while True:
        body = client.get(PREFIX + "/runs").get_json()
        if body and len(body["runs"]) >= args.runs:
            break
        if time.time() > deadline:
            raise SystemExit("the data server did not load every run")
        time.sleep(2)
    print(f"{args.runs} runs, {args.runs // 2} trials (Rust data server, in-process WSGI app)")
    if not args.only_effects:
        groupings(client)
    effects_row(client)


def groupings(client: werkzeug_test.Client) -> None:
    print(f"{'grouping':<10} {'groups':>6} {'no CI':>9} {'t':>9} {'bootstrap':>10} {'baseline':>9}")
    for name, by in GROUPINGS.items():
        base = {"metric": "epoch_loss"}
        if by is not None:
            base["by"] = by
        answer = client.get(
            PREFIX + "/groups", query_string=urllib.parse.urlencode(base)
        ).get_json()
        n_groups = len(answer["groups"])
        first = answer["groups"][0]["key"]
        median_ms(client, base, 3)  # warm the caches
        variants = {
            "plain": ({**base}, True),
            "t": ({**base, "ci": "t"}, False),
            "bootstrap": ({**base, "ci": "bootstrap"}, False),
            "baseline": ({**base, "baseline": first}, False),
        }
        times: dict[str, list[float]] = {v: [] for v in variants}
        original = aggregate.stats_by_group
        for _ in range(ROUNDS):  # interleaved, so load on the machine hits every variant alike
            for variant, (query, no_interval) in variants.items():
                if no_interval:
                    aggregate.stats_by_group = _no_interval(original)  # type: ignore[assignment]
                try:
                    # A request first, so that no measured one pays the experiment listing
                    # (reused for backend.LISTING_TTL): every variant times the same work.
                    client.get(PREFIX + "/fields")
                    times[variant].append(median_ms(client, query, 1))
                finally:
                    aggregate.stats_by_group = original  # type: ignore[assignment]
        plain, t, boot, compared = (statistics.median(times[v]) for v in variants)
        print(
            f"{name:<10} {n_groups:>6} {plain:>7.0f}ms {t:>7.0f}ms {boot:>8.0f}ms {compared:>7.0f}ms"
            f"   ratios t {t / plain:.2f}, bootstrap {boot / plain:.2f}, baseline {compared / plain:.2f}"
        )


EFFECTS_BY = "lr,bs,opt,host"


def effects_row(client: werkzeug_test.Client) -> None:
    """`/effects` of 4 fields against `/groups` of the same view, interleaved."""
    query = urllib.parse.urlencode({"metric": "epoch_loss", "by": EFFECTS_BY})
    answer = client.get(PREFIX + "/effects", query_string=query).get_json()
    fields = [f["field"] for f in answer["fields"]]
    times: dict[str, list[float]] = {"/groups": [], "/effects": []}
    for route in times:  # warm the caches
        client.get(PREFIX + route, query_string=query)
    for _ in range(ROUNDS):
        for route in times:
            client.get(PREFIX + "/fields")  # the listing, as above
            started = time.perf_counter()
            response = client.get(PREFIX + route, query_string=query)
            times[route].append(time.perf_counter() - started)
            assert response.status_code == 200, response.get_data(as_text=True)[:300]
    groups_ms, effects_ms = (statistics.median(times[r]) * 1000 for r in times)
    # The statistics alone (no listing, no reads): `effects.analyse` over the values and
    # fields of the same trials, as /groups gives them.
    table = client.get(PREFIX + "/groups", query_string=query).get_json()
    values, columns = [], {f: [] for f in table["by"]}
    for group in table["groups"]:
        for member in group["members"]:
            if isinstance(member["value"], float | int) and math.isfinite(member["value"]):
                values.append(member["value"])
                for f, v in zip(table["by"], group["values"], strict=True):
                    columns[f].append(v)
    alone = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        effects.analyse(values, columns)
        alone.append(time.perf_counter() - started)
    print(
        f"effects of {len(fields)} fields ({', '.join(fields)}) over {answer['trials']} trials in "
        f"{answer['configurations']} configurations, {answer['reps']} resamples: "
        f"/effects {effects_ms:.0f}ms, /groups {groups_ms:.0f}ms (same by), "
        f"ratio {effects_ms / groups_ms:.2f}; the statistics alone (effects.analyse) "
        f"{statistics.median(alone) * 1000:.0f}ms"
    )


if __name__ == "__main__":
    main()
