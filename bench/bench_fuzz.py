"""Fuzzed requests against real tensorboard processes: no 5xx, nothing slow, no memory kept.

Starts a real ``tensorboard`` (``--load_fast=false``, then ``true``) over a small log
directory (`bench_backend.py`'s runs plus runs whose names hold HTML, terminal escapes,
newlines, bidirectional overrides and wide characters), then, per loader:

1. sends ``--requests`` hostile requests (default 1,600) from ``--clients`` concurrent
   clients (default 4): every route of the plugin with every argument it reads (and some it
   does not), each value drawn from a table of hostile texts (huge numbers, NaN, broken JSON,
   ReDoS-shaped and RE2-heavy regexes, control characters, long text, unknown experiment
   ids, repeated arguments) or mutated from a valid value. It counts answers 5xx, answers
   slower than ``--slow`` seconds (default 2) and failed connections, and prints the
   slowest requests;
2. sends ``--regexes`` distinct heavy regexes (default 1,000; half within RE2's bounds at
   ~9,900 instructions, half over them) to ``/groups`` and prints tensorboard's RSS growth
   (the process and its data server), after the same number of ordinary requests warmed it.

Bounded: at most ``--requests`` + ``--regexes`` requests per loader, each with a 60 s
timeout, and the whole loader stops after ``--max-seconds`` (default 900). Loopback only.
The machine it ran on is shared and CPU-noisy, so times are upper bounds.

Usage::

    python bench/bench_fuzz.py [--loader python|rust|both] [--requests 1600]
        [--regexes 1000] [--clients 4] [--slow 2] [--seed 0] [--max-seconds 900]
"""

from __future__ import annotations

import argparse
import concurrent.futures
import random
import shutil
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout
sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_backend  # noqa: E402
from tensorboard.compat.proto import event_pb2, summary_pb2  # noqa: E402

try:
    from tb_plugin import regexes
except ImportError:  # a checkout from before the bounds, to compare with
    regexes = None  # type: ignore[assignment]

PREFIX = "data/plugin/rungroups"
N_RUNS = 40
"""Runs of `bench_backend.generate` (train and validation of 20 trials)."""

HOSTILE_NAMES = [
    "opt=<img src=x onerror=alert(1)>,seed=0",
    "opt=[click](javascript:alert(2)),seed=1",
    "opt=adam\x1b[2J\x1b[H,seed=2",
    "opt=x\u202eevil,seed=3",
    "opt=大,seed=4",
    "opt=小型号,seed=5",
    "opt=%00%2e%2e,seed=6",
    "opt=' OR 1=1 --,seed=7",
]

ROUTES = {
    "runs": ["stale_after"],
    "metadata": ["run"],
    "fields": ["max_values", "stale_after"],
    "tags": [],
    "groups": [
        "by", "metric", "split", "reduction", "k", "filter", "regex", "where", "stale_after",
        "ci", "ci_level", "baseline", "auto_metric", "chart", "chart_groups", "chart_points",
        "smoothing", "sparklines", "sparkline_points",
    ],
    "curves": [
        "metric", "by", "split", "filter", "regex", "where", "max_points", "group", "x",
        "smoothing", "lines",
    ],
    "export": ["format", "by", "metric", "regex", "where", "ci", "baseline"],
    "run": ["run", "stale_after"],
}  # fmt: skip
"""The plugin's routes and the arguments each reads (`tb_plugin.queries`)."""

VALID = {
    "by": "lr,bs", "metric": "epoch_loss", "split": "validation", "reduction": "min",
    "k": "5", "filter": "adam", "regex": "seed_[01]", "where": "opt=adam",
    "stale_after": "3600", "ci": "bootstrap", "ci_level": "0.9", "baseline": "opt=adam",
    "auto_metric": "true", "chart": "true", "chart_groups": "5", "chart_points": "500",
    "smoothing": "0.6", "sparklines": "50", "sparkline_points": "40", "max_points": "200",
    "max_values": "10", "x": "relative", "lines": "true", "format": "markdown",
    "run": "lr=0.0001,bs=16,opt=adam/seed_0/validation", "group": "AAAAAAAAAAAAAAAA",
}  # fmt: skip

HEAVY = "(?:" + ".?" * 40 + "){1,999}X"  # ~360,000 RE2 instructions
HOSTILE = [
    "9" * 5000, "1e999", "-1e999", "nan", "NaN", "inf", "-inf", "Infinity", "-0", "0x10", "1_000",
    " 5 ", "٣", "+7", "", "100001", "18446744073709551617", "[" * 2000 + "]" * 2000,
    '["a"', "[NaN]", '{"__proto__": 1}', "(.+)+X", "(a*)*b", "(a|aa)*c", "(.*a){20}",
    "a{99999999999999999999}", "a{1000}", "a{1001}", "(" * 500 + ")" * 500,
    "(" * 101 + "a" + ")" * 101, "[", "(", "\\", "(?P<x>a)(?P=x)", "(?=a)", "\\p{L}+", "x" * 1001,
    HEAVY, "(?:" + ".?" * 10 + "){1,100}", "(?:.?){1,999}", "(.?){1,999}", ".{1,1000}",
    "(?:(.?)(.?)(.?)(.?)(.?)){1,180}", "\\w{1,1000}\\d{1,1000}", "x" * 10_240, "é" * 5000,
    "🙂" * 2000, "\u202e\u202d", "\x00", "\x00" * 100, "%00", "\udc80", "\ufeff",
    "<script>alert(1)</script>", "' OR 1=1 --", "../../../etc/passwd", "/", ".", "*", ",",
    "=", "==", "=x", "lr=", "(none)", "param." + "a" * 5000, "status=stale", "\n", "\r\n",
    "\t", "null", "__proto__", ",".join(["lr"] * 40), "lr," * 1000, "%s%s%n", "${jndi:x}",
    "at_best:", "at_best:" + "x" * 3000, "mean_last_k", "AAAAAAAAAAAAAAA=", "aaaaaaaaaaaaaaaaa",
    "\x1b[2J", "大小型号", "javascript:alert(1)", "[x](javascript:alert(1))",
]  # fmt: skip


def _mutate(rng: random.Random, text: str) -> str:
    """A valid value bent: cut, doubled, a character swapped for a hostile one, or padded."""
    kind = rng.randrange(5)
    if kind == 0:
        return text[: rng.randrange(len(text) + 1)]
    if kind == 1:
        return text * rng.choice((2, 50, 2000))
    if kind == 2 and text:
        i = rng.randrange(len(text))
        return text[:i] + rng.choice("\x00\n\x1b\u202e%&=,[](){}*+?|\\\"'<>大") + text[i + 1 :]
    if kind == 3:
        return text + rng.choice(HOSTILE)[:2000]
    return "".join(chr(rng.randrange(1, 0x3000)) for _ in range(rng.randrange(1, 60)))


def hostile_request(rng: random.Random) -> str:
    """One request path: a route, valid values for some arguments, hostile ones for others."""
    route = rng.choice(list(ROUTES))
    pairs: list[tuple[str, str]] = []
    names = ROUTES[route] + ["bogus"]
    for name in rng.sample(names, k=min(len(names), rng.randrange(1, 5))):
        roll = rng.random()
        if roll < 0.45:
            value = rng.choice(HOSTILE)
        elif roll < 0.8:
            value = _mutate(rng, VALID.get(name, "x"))
        else:
            value = VALID.get(name, "x")
        for _ in range(rng.choice((1, 1, 1, 2, 40))):  # sometimes repeated
            pairs.append((name, value))
    if route in ("curves", "export") and rng.random() < 0.7:
        pairs.append(("metric", "epoch_loss"))
    if route == "run" and rng.random() < 0.5:
        pairs.append(("run", VALID["run"]))
    query = urllib.parse.urlencode(pairs, errors="surrogatepass")
    prefix = ""
    if rng.random() < 0.1:  # an experiment id a client made up
        prefix = "experiment/" + urllib.parse.quote(_mutate(rng, "exp"), safe="") + "/"
    return f"{prefix}{PREFIX}/{route}?{query}"


def fetch(url: str, timeout: float = 60) -> tuple[int, float, str]:
    """(status, seconds, error); status -1 when the connection failed or timed out."""
    started = time.perf_counter()
    error = ""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            r.read()
            status = r.status
    except urllib.error.HTTPError as e:
        e.read()
        status = e.code
    except Exception as e:
        status, error = -1, f"{type(e).__name__}: {e}"[:100]
    return status, time.perf_counter() - started, error


def make_logdir(root: Path) -> int:
    """Writes the runs; returns how many there are."""
    bench_backend.generate(root, N_RUNS)
    for i, name in enumerate(HOSTILE_NAMES):
        run_dir = root / name.replace("/", "%2F")
        run_dir.mkdir(parents=True)
        records = [event_pb2.Event(wall_time=1.79e9, file_version="brain.Event:2")]
        for step in range(3):
            summ = summary_pb2.Summary()
            summ.value.add(tag="epoch_loss", simple_value=1.0 / (step + 1) + i / 100)
            records.append(event_pb2.Event(wall_time=1.79e9 + step, step=step, summary=summ))
        bench_backend._record_writer()(
            str(run_dir / f"events.out.tfevents.1790000000.fuzz.{i}"),
            [r.SerializeToString() for r in records],
        )
    return N_RUNS + len(HOSTILE_NAMES)


def fuzz(server: bench_backend.Server, args: argparse.Namespace, deadline: float) -> dict:
    rng = random.Random(args.seed)
    paths = [hostile_request(rng) for _ in range(args.requests)]
    results: list[tuple[int, float, str]] = []
    with concurrent.futures.ThreadPoolExecutor(args.clients) as pool:
        futures = {}
        for path in paths:
            futures[pool.submit(fetch, server.url + path)] = path
        for future in concurrent.futures.as_completed(futures):
            status, seconds, error = future.result()
            results.append((status, seconds, futures[future] + (f"  [{error}]" if error else "")))
            if time.perf_counter() > deadline:
                for other in futures:
                    other.cancel()
                break
    statuses: dict[int, int] = {}
    for status, _, _ in results:
        statuses[status] = statuses.get(status, 0) + 1
    return {
        "sent": len(results),
        "statuses": dict(sorted(statuses.items())),
        "5xx": sum(n for s, n in statuses.items() if s >= 500),
        "failed": statuses.get(-1, 0),
        "slow": sum(1 for _, s, _ in results if s > args.slow),
        "slowest": sorted(results, key=lambda r: -r[1])[:5],
        "errors": [r for r in results if r[0] >= 500 or r[0] == -1][:10],
    }


def regex_memory(server: bench_backend.Server, args: argparse.Namespace, deadline: float) -> dict:
    groups = server.url + PREFIX + "/groups?"
    for i in range(50):  # warm every cache with ordinary requests and small regexes
        fetch(groups + urllib.parse.urlencode({"metric": "epoch_loss", "regex": f"seed_{i % 7}"}))
        fetch(groups + urllib.parse.urlencode({"regex": f"(?:.?){{1,980}}W{i}"}))
    time.sleep(1)
    before = server.rss_mb()
    statuses: dict[int, int] = {}
    slow = sent = 0
    started = time.perf_counter()
    for i in range(args.regexes):
        if time.perf_counter() > deadline:
            break
        # Odd: refused (over the program bound); even: accepted, ~9,900 instructions.
        pattern = HEAVY + "Y" * (i % 900) if i % 2 else f"(?:.?){{1,980}}{'Z' * (i % 5)}Q{i}"
        status, seconds, _ = fetch(groups + urllib.parse.urlencode({"regex": pattern}))
        statuses[status] = statuses.get(status, 0) + 1
        slow += seconds > args.slow
        sent += 1
    took = time.perf_counter() - started
    time.sleep(2)
    after = server.rss_mb()
    return {
        "sent": sent,
        "statuses": dict(sorted(statuses.items())),
        "slow": slow,
        "seconds": took,
        "rss_before": before,
        "rss_after": after,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--loader", choices=("python", "rust", "both"), default="both")
    parser.add_argument("--requests", type=int, default=1600)
    parser.add_argument("--regexes", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--slow", type=float, default=2.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-seconds", type=float, default=900)
    args = parser.parse_args()
    args.requests = max(0, min(args.requests, 20_000))
    args.regexes = max(0, min(args.regexes, 5_000))
    if regexes is None:
        print("regex bounds: none (a checkout from before tb_plugin/regexes.py)")
    else:
        print(
            f"regex bounds: {regexes.MAX_PROGRAM_SIZE:,} RE2 instructions, "
            f"{regexes.MATCH_CPU_SECONDS:g} s of CPU per request, "
            f"{regexes.CACHE_BYTES >> 20} MiB of compiled patterns"
        )
    root = Path(tempfile.mkdtemp(prefix="rungroups-fuzz-"))
    try:
        n_runs = make_logdir(root)
        loaders = ["python", "rust"] if args.loader == "both" else [args.loader]
        for loader in loaders:
            server = bench_backend.Server(root, load_fast=loader == "rust")
            try:
                bench_backend.wait_until_listed(server, n_runs)
                deadline = time.perf_counter() + args.max_seconds
                found = fuzz(server, args, deadline)
                print(
                    f"{loader}: {found['sent']} hostile requests, {args.clients} clients: "
                    f"{found['5xx']} answers 5xx, {found['slow']} over {args.slow:g} s, "
                    f"{found['failed']} failed; statuses {found['statuses']}"
                )
                for status, seconds, path in found["slowest"][:3]:
                    print(f"  slowest: {seconds:.2f} s  {status}  {path[:110]!r}")
                for status, seconds, path in found["errors"]:
                    print(
                        f"  failed: {status} after {seconds:.2f} s, {len(path):,}-character "
                        f"request line: {path[:100]!r}{path[path.rfind('  [') :] if ' [' in path else ''}"
                    )
                mem = regex_memory(server, args, deadline)
                growth = mem["rss_after"] - mem["rss_before"]
                print(
                    f"{loader}: {mem['sent']} distinct heavy regexes in {mem['seconds']:.0f} s: "
                    f"statuses {mem['statuses']}, {mem['slow']} over {args.slow:g} s; RSS "
                    f"{mem['rss_before']:.0f} -> {mem['rss_after']:.0f} MB ({growth:+.0f} MB)"
                )
                if server.proc.poll() is not None:
                    print(f"{loader}: tensorboard exited: see {server.log_path}")
            finally:
                server.close()
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
