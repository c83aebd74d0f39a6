"""What the backend keeps between requests stays small, and answers stay the same."""

from __future__ import annotations

import time

import numpy as np
import pytest
from conftest import scalar_event, write_events
from tensorboard.backend.event_processing import data_provider as mux_provider
from tensorboard.backend.event_processing import plugin_event_multiplexer
from tensorboard.context import RequestContext

from tb_plugin import backend


class _Counting:
    """A real provider that counts its `read_scalars` calls."""

    def __init__(self, inner):
        self._inner = inner
        self.read_scalars_calls = 0

    def __getattr__(self, name):
        return getattr(self._inner, name)

    def read_scalars(self, *args, **kwargs):
        self.read_scalars_calls += 1
        return self._inner.read_scalars(*args, **kwargs)


@pytest.fixture
def logdir(tmp_path):
    for i in range(7):
        steps = 3 + i  # 3..9 points per run
        write_events(
            str(tmp_path / f"lr={i % 3}" / f"seed={i}" / "train"),
            [scalar_event("loss", s, 1.0 / (s + 1 + i)) for s in range(steps)]
            + ([scalar_event("acc", s, 0.1 * s) for s in range(2)] if i % 2 else []),
        )
    multiplexer = plugin_event_multiplexer.EventMultiplexer()
    multiplexer.AddRunsFromDirectory(str(tmp_path))
    multiplexer.Reload()
    return tmp_path, mux_provider.MultiplexerDataProvider(multiplexer, str(tmp_path)), multiplexer


def test_the_compact_listing_says_what_list_scalars_says(logdir):
    _, provider, _ = logdir
    ctx = RequestContext()
    listed = provider.list_scalars(ctx, experiment_id="", plugin_name="scalars")
    compact = backend.ScalarListing.of(listed, taken=0.0)
    tags = {tag for run_tags in listed.values() for tag in run_tags}
    assert tags == {"loss", "acc"}
    for tag in tags:
        assert compact.tag(tag) == {
            run: (ts.max_step, ts.max_wall_time)
            for run, run_tags in listed.items()
            if (ts := run_tags.get(tag)) is not None
        }
    assert compact.tag("no such tag") == {}
    assert compact.last_wall_times() == {
        run: max(ts.max_wall_time for ts in run_tags.values())
        for run, run_tags in listed.items()
        if run_tags
    }


@pytest.mark.parametrize("budget", [1, 5, 12, 1_000_000])
def test_batches_cover_every_run_once_within_the_budget(budget, monkeypatch):
    monkeypatch.setattr(backend, "READ_BATCH_POINTS", budget)
    listed = {f"r{i}": (i % 6, 0.0) for i in range(20)}  # expected points 1..6
    batches = list(backend._read_batches(list(listed), listed))
    assert [run for batch in batches for run in batch] == list(listed)
    for batch in batches:
        expected = sum(listed[run][0] + 1 for run in batch)
        assert len(batch) == 1 or expected <= budget


def test_series_read_in_batches_equal_one_read(logdir, monkeypatch):
    _, provider, _ = logdir
    ctx = RequestContext()
    whole = backend.Backend(provider, ())
    listed = whole.list_tag(ctx, "", "loss")
    assert len(listed) == 7
    expected = whole.timed_series(ctx, "", "loss", listed)

    monkeypatch.setattr(backend, "READ_BATCH_POINTS", 10)  # 3..9 points a run
    counting = _Counting(provider)
    batched = backend.Backend(counting, ())
    got = batched.timed_series(ctx, "", "loss", batched.list_tag(ctx, "", "loss"))
    # 42 points, at most 10 a call (a run of 9 and any other exceed it): 5 calls or more.
    assert (
        5 <= counting.read_scalars_calls == len(list(backend._read_batches(list(listed), listed)))
    )
    assert got.keys() == expected.keys()
    for run, arrays in expected.items():
        for a, b in zip(arrays, got[run], strict=True):
            np.testing.assert_array_equal(a, b)


def test_the_python_loader_is_read_one_series_a_call(logdir, monkeypatch):
    """TensorBoard's Python loader copies every run's metadata for any other read, and what
    a read holds reaches the garbage collector's oldest generation (`_is_python_loader`)."""
    _, provider, _ = logdir
    ctx = RequestContext()
    asked = {"read_scalars": [], "read_last_scalars": []}
    for name in asked:
        method = getattr(provider, name)

        def spy(*args, _method=method, _asked=asked[name], **kwargs):
            run_tag_filter = kwargs["run_tag_filter"]
            _asked.append((tuple(run_tag_filter.runs), tuple(run_tag_filter.tags)))
            return _method(*args, **kwargs)

        monkeypatch.setattr(provider, name, spy)
    reader = backend.Backend(provider, ())
    listed = reader.list_tag(ctx, "", "loss")
    series = reader.timed_series(ctx, "", "loss", listed)
    last = reader.last_values(ctx, "", "loss", listed)
    for calls in asked.values():
        assert sorted(runs[0] for runs, _ in calls) == sorted(listed)
        assert {(len(runs), tags) for runs, tags in calls} == {(1, ("loss",))}

    batched = backend.Backend(_Counting(provider), ())  # not the loader's type: batches
    assert batched.last_values(ctx, "", "loss", listed) == last and len(last) == 7
    expected = batched.timed_series(ctx, "", "loss", listed)
    assert series.keys() == expected.keys() and len(series) == 7
    for run, arrays in expected.items():
        for a, b in zip(arrays, series[run], strict=True):
            np.testing.assert_array_equal(a, b)


def test_the_view_is_rebuilt_only_when_its_listing_changes(logdir):
    root, provider, multiplexer = logdir
    ctx = RequestContext()
    reader = backend.Backend(provider, ())
    first = reader.view(ctx, "")
    assert reader.view(ctx, "", max_age=0) is first  # listed again, nothing changed
    # New points only: the same view (series freshness is per tag, not in the view).
    write_events(str(root / "lr=0" / "seed=0" / "train"), [scalar_event("loss", 50, 0.5)])
    multiplexer.Reload()
    assert reader.view(ctx, "", max_age=0) is first
    # A run with a new tag, and a new run: a new view that has them.
    write_events(str(root / "lr=0" / "seed=0" / "train"), [scalar_event("lr", 0, 0.1)])
    multiplexer.Reload()
    second = reader.view(ctx, "", max_age=0)
    assert second is not first and "lr" in second.metrics
    time.sleep(0.01)
    write_events(str(root / "lr=9" / "seed=9" / "train"), [scalar_event("loss", 0, 1.0)])
    multiplexer.AddRunsFromDirectory(str(root))
    multiplexer.Reload()
    third = reader.view(ctx, "", max_age=0)
    assert third is not second and len(third.records) == len(second.records) + 1


def test_free_memory_is_released_until_it_costs_too_much(monkeypatch):
    calls = []

    def slow_trim(pad):
        calls.append(pad)
        time.sleep(backend.TRIM_BUDGET * 2)
        return 1

    monkeypatch.setattr(backend, "_MALLOC_TRIM", slow_trim)
    backend.release_free_memory()
    backend.release_free_memory()  # too slow once: never again in this process
    assert calls == [0] and backend._MALLOC_TRIM is None


def test_a_fast_release_is_made_every_time(monkeypatch):
    calls = []
    monkeypatch.setattr(backend, "_MALLOC_TRIM", calls.append)
    for _ in range(3):
        backend.release_free_memory()
    assert calls == [0, 0, 0] and backend._MALLOC_TRIM is not None
