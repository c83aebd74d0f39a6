"""Warming: the first view is computed in the background, so the first click reads nothing."""

from __future__ import annotations

import gzip
import json
import threading
import time
from types import SimpleNamespace

import pytest
from conftest import scalar_event, write_events
from tensorboard.backend.event_processing import data_provider as mux_provider
from tensorboard.backend.event_processing import plugin_event_multiplexer
from tensorboard.context import RequestContext
from tensorboard.plugins import base_plugin

from tb_plugin import aggregate, answers, backend, plugin, queries, warm


@pytest.mark.parametrize(
    ("tags", "metric"),
    [
        (["epoch_accuracy", "epoch_loss"], "epoch_loss"),
        (["acc", "val_loss", "loss"], "val_loss"),
        (["Loss/train", "accuracy"], "Loss/train"),
        (["_hparams_/x", "accuracy"], "accuracy"),
        (["_rungroups_/run_metadata"], None),
        ([], None),
    ],
)
def test_default_metric(tags, metric):
    assert aggregate.default_metric(tags) == metric


class CountingProvider:
    """A real provider that counts the reads and the listings it serves."""

    def __init__(self, inner):
        self._inner = inner
        self.reads = 0
        self.lists = 0

    def __getattr__(self, name):
        attr = getattr(self._inner, name)
        if name.startswith(("read_", "list_")):

            def counted(*args, **kwargs):
                if name.startswith("read_"):
                    self.reads += 1
                else:
                    self.lists += 1
                return attr(*args, **kwargs)

            return counted
        return attr


@pytest.fixture
def served(tmp_path):
    for lr, seed in ((0.1, 1), (0.1, 2), (0.01, 1)):
        write_events(
            str(tmp_path / f"lr={lr}" / f"seed={seed}" / "validation"),
            [scalar_event("epoch_loss", s, 1.0 / (s + 1)) for s in range(5)],
        )
    multiplexer = plugin_event_multiplexer.EventMultiplexer()
    multiplexer.AddRunsFromDirectory(str(tmp_path))
    multiplexer.Reload()
    provider = CountingProvider(mux_provider.MultiplexerDataProvider(multiplexer, str(tmp_path)))
    return SimpleNamespace(
        logdir=tmp_path,
        multiplexer=multiplexer,
        provider=provider,
        reader=backend.Backend(provider, ()),
    )


def first_view(reader):
    """The answers the tab's first view asks for, as the routes give them."""
    ctx = RequestContext()
    return (
        answers.fields_encoded(reader, ctx, "", queries.FieldsQuery()),
        answers.tags_encoded(reader, ctx, "", queries.TagsQuery()),
        answers.runs_encoded(reader, ctx, "", warm.first_view_runs_query()),
        answers.groups_encoded(reader, ctx, "", warm.first_view_query()),
    )


def add_loss(served, lr, value):
    """Writes `epoch_loss` = `value` at step 9 for `lr=<lr>/seed=1` and has TensorBoard load it."""
    write_events(
        str(served.logdir / f"lr={lr}" / "seed=1" / "validation"),
        [scalar_event("epoch_loss", 9, value)],
    )
    served.multiplexer.Reload()


def member_values(body, lr):
    """The member values of the `/groups` answer's group of `lr`."""
    group = next(g for g in body["groups"] if g["values"] == [lr])
    return [m["value"] for m in group["members"]]


def started_warmer(reader, interval: float) -> warm.Warmer:
    """A running warmer whose first pass has computed the first view."""
    warmer = warm.Warmer(reader, interval=interval).start()
    deadline = time.time() + 10
    while warmer.warmed == 0 and time.time() < deadline:
        time.sleep(0.01)
    assert warmer.warmed == 1
    return warmer


def test_after_warming_the_first_view_reads_and_lists_nothing(served):
    warmer = warm.Warmer(served.reader, interval=3600)
    assert warmer.warm_once() is True
    assert warmer.warm_once() is False  # nothing changed: nothing recomputed
    served.reader.keep_fresh("", 60)  # what the warmer's loop does after a pass
    served.provider.reads = served.provider.lists = 0
    first_view(served.reader)
    assert (served.provider.reads, served.provider.lists) == (0, 0)
    # Without a warmer keeping it fresh, a request lists once the listing is older than 1 s.
    served.reader.keep_fresh("", None)
    time.sleep(backend.LISTING_TTL)
    first_view(served.reader)
    assert served.provider.lists > 0 and served.provider.reads == 0


def test_the_warmed_first_view_is_the_routes_answer(served):
    warmer = warm.Warmer(served.reader, interval=3600)
    assert warmer.warm_once() is True
    body = json.loads(gzip.decompress(first_view(served.reader)[3]))
    assert body["metric"] == "epoch_loss" and body["chart"]["keys"]
    assert body["chart"]["curves"]["smoothing"] == 0.6
    assert len(body["sparklines"]["curves"]) == len(body["groups"])


def test_new_data_is_warmed_again_and_answers_stay_fresh(served):
    warmer = warm.Warmer(served.reader, interval=3600)
    assert warmer.warm_once() is True
    served.reader.keep_fresh("", 60)
    add_loss(served, 0.1, 0.01)
    assert warmer.warm_once() is True  # the warmer lists whatever the age of the last listing
    body = json.loads(gzip.decompress(first_view(served.reader)[3]))
    assert pytest.approx(0.01) in member_values(body, 0.1)  # float32 on disk


def test_a_request_waits_for_the_same_answer_being_computed():
    memo = backend.Memo()
    started = threading.Event()
    calls = []

    def slow():
        calls.append(1)
        started.set()
        time.sleep(0.3)
        return "answer"

    first = threading.Thread(target=memo.get_or_compute, args=("k", slow))
    first.start()
    started.wait(5)
    assert memo.get_or_compute("k", slow) == "answer"
    first.join()
    assert calls == [1]

    def broken():
        raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError):
        memo.get_or_compute("j", broken)
    assert memo.get_or_compute("j", lambda: "again") == "again"  # a failure is not kept


def test_the_flag_starts_and_zero_disables_the_thread(served):
    def load(interval):
        flags = SimpleNamespace(logdir=str(served.logdir), rungroups_warm_interval=interval)
        context = base_plugin.TBContext(
            logdir=str(served.logdir), data_provider=served.provider, flags=flags
        )
        return plugin.RunGroupsLoader().load(context)

    assert load(0)._warmer is None
    on = load(1.0)
    try:
        deadline = time.time() + 10
        while on._warmer.warmed == 0 and time.time() < deadline:
            time.sleep(0.05)
        assert on._warmer.warmed == 1
        # Three runs list in milliseconds: requests list for themselves, as without it.
        time.sleep(0.2)
        assert on._backend.max_listing_age("") == backend.LISTING_TTL
    finally:
        on._warmer.stop()
    assert on._backend.max_listing_age("") == backend.LISTING_TTL
    with pytest.raises(base_plugin.FlagsError):
        plugin.RunGroupsLoader().fix_flags(
            SimpleNamespace(logdir="", rungroups_pattern=None, rungroups_warm_interval=-1)
        )


@pytest.mark.parametrize("took", [0.0, 0.3, 1.0, 2.0, 3.0, 5.0, 8.0, 20.0, 300.0])
def test_the_period_keeps_the_listing_reusable_when_that_is_cheap(took):
    wait = warm.period(5.0, took)
    assert wait >= 5.0
    # Requests reuse a listing up to MAX_REUSE; the next lands a period and a pass later.
    fresh = wait + 2 * took <= warm.MAX_REUSE
    busy = took / (wait + took)
    if took / warm.MAX_BUSY + 2 * took <= warm.MAX_REUSE:
        assert wait == max(5.0, took / warm.MAX_BUSY) and fresh  # the 10% rule suffices
    elif fresh:
        assert warm.MAX_BUSY < busy <= warm.MAX_BUSY_FRESH
    else:  # too slow to keep fresh cheaply: the 10% rule
        assert wait == max(5.0, took / warm.MAX_BUSY)
    assert fresh == (took <= 6.0)  # 30 s - 2 × 6 s = 18 s, 6 s of 24 s: a quarter


def test_a_pass_that_mostly_waited_for_the_gil_does_not_stretch_the_period():
    # 20 s of wall time, 1 s on a CPU (TensorBoard's Python loader loading): the period
    # follows the CPU time (10 s), not 200 s.
    assert warm.period(5.0, 20.0, busy=1.0) == 10.0
    assert warm.period(5.0, 2.0, busy=0.5) == 5.0
    assert warm.period(5.0, 2.0) == 20.0  # busy defaults to the wall time


def test_a_costly_listing_is_reused_for_about_two_periods_a_cheap_one_not():
    assert warm.reuse(5.0, 0.01, 0.005) is None  # a few runs: a request lists in ms
    assert warm.reuse(5.0, 2.0, 1.0) == 14.0  # 10,000 runs under the Python loader
    assert warm.reuse(20.0, 8.0, 2.0) == warm.MAX_REUSE


def test_events_loaded_after_a_cheap_pass_show_on_the_next_request(served):
    # TensorBoard's Python loader lists a run when it finds its directory and reads its
    # events (hparams, metric) later: a warmer pass in between must not hide them from
    # the requests made during its periods.
    warmer = started_warmer(served.reader, 3600.0)
    try:
        time.sleep(0.2)  # the pass has ended
        add_loss(served, 0.01, 0.5)
        time.sleep(backend.LISTING_TTL)
        body = json.loads(gzip.decompress(first_view(served.reader)[3]))
        assert member_values(body, 0.01) == [pytest.approx(0.5)]
    finally:
        warmer.stop()


class SlowListing(CountingProvider):
    """A real provider whose `list_scalars` takes `delay` seconds (a busy Python loader)."""

    delay = 0.0

    def __getattr__(self, name):
        attr = super().__getattr__(name)
        if name == "list_scalars":

            def slow(*args, **kwargs):
                time.sleep(self.delay)
                return attr(*args, **kwargs)

            return slow
        return attr


def test_a_pass_computes_from_its_own_listing_however_long_it_took(served):
    provider = SlowListing(served.provider._inner)
    reader = backend.Backend(provider, ())
    provider.delay = backend.LISTING_TTL + 0.1  # older than requests reuse by the time it ends
    warmer = warm.Warmer(reader, interval=3600)
    assert warmer.warm_once() is True
    # One listing (list_runs, two list_tensors, list_scalars via data.list_experiment's
    # calls and the configs) and nothing listed again for the answers.
    lists = provider.lists
    provider.lists = 0
    reader.view(RequestContext(), "", max_age=0)
    assert lists == provider.lists
    # Outside the pass, the freshness rules hold: a request lists again.
    provider.lists = 0
    provider.delay = 0.0
    first_view(reader)
    assert provider.lists > 0


def test_a_pass_over_budget_only_lists_and_requests_compute_the_change(served):
    warmer = warm.Warmer(served.reader, interval=3600)
    assert warmer.warm_once() is True
    served.reader.keep_fresh("", 60)
    add_loss(served, 0.01, 0.5)
    served.provider.lists = 0
    assert warmer.warm_once(compute=False) is False
    assert served.provider.lists > 0 and warmer.warmed == 1  # listed, computed nothing
    served.provider.lists = 0
    body = json.loads(gzip.decompress(first_view(served.reader)[3]))
    assert served.provider.lists == 0  # the request answers from the warmer's listing ...
    assert member_values(body, 0.01) == [pytest.approx(0.5)]  # ... and is fresh
    assert warmer.warm_once() is True  # next pass within budget: computes


def test_computing_is_budgeted_apart_from_listing(served, monkeypatch):
    # A first view that costs 0.3 s of CPU is computed again at most every 3 s
    # (`MAX_BUSY`), while the warmer keeps listing every period (here 0.05 s).
    groups_encoded = answers.groups_encoded

    def costly(*args, **kwargs):
        end = time.thread_time() + 0.3
        while time.thread_time() < end:
            pass
        return groups_encoded(*args, **kwargs)

    monkeypatch.setattr(answers, "groups_encoded", costly)
    warmer = started_warmer(served.reader, 0.05)
    try:
        deadline = time.time() + 10
        computed_at = time.monotonic()
        add_loss(served, 0.01, 0.5)
        served.provider.lists = 0
        time.sleep(1.0)
        assert served.provider.lists >= 4 and warmer.warmed == 1  # listing, not computing
        while warmer.warmed == 1 and time.time() < deadline:
            time.sleep(0.01)
        assert warmer.warmed == 2 and time.monotonic() - computed_at >= 0.3 / warm.MAX_BUSY
    finally:
        warmer.stop()


@pytest.mark.parametrize("busy", [0.0, 0.05, 0.1, 0.3, 0.5, 1.0, 2.0, 5.0])
def test_while_nothing_changes_listing_grows_rarer_but_stays_reusable(busy):
    took = 2 * busy
    idle = warm.period(5.0, took, busy, idle=True)
    active = warm.period(5.0, took, busy)
    assert idle >= active  # never more often than while data arrive
    if idle > active:
        assert idle + 2 * took <= warm.MAX_REUSE  # requests never list for themselves
        assert busy / idle <= warm.MAX_BUSY  # ... nor does it cost more than the rule
        assert idle == pytest.approx(min(busy / warm.MAX_BUSY_IDLE, warm.MAX_REUSE - 2 * took))


def test_an_idle_python_loader_lists_every_26_s_and_a_cheap_listing_keeps_the_interval():
    # 10,000 runs under the Python loader (≈0.5 s of CPU, 1 s with the pool, 2 s of wall
    # time beside TensorBoard's reloader) list about every 26 s instead of every 10 s.
    assert warm.period(5.0, 2.0, 1.0) == 10.0
    assert warm.period(5.0, 2.0, 1.0, idle=True) == 26.0
    assert warm.period(5.0, 0.01, 0.005, idle=True) == 5.0
