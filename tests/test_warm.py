"""Warming: the first view is computed in the background, so the first click reads nothing."""

from __future__ import annotations

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
    """A real provider that counts the reads (not the listings) it serves."""

    def __init__(self, inner):
        self._inner = inner
        self.reads = 0

    def __getattr__(self, name):
        attr = getattr(self._inner, name)
        if name.startswith("read_"):

            def counted(*args, **kwargs):
                self.reads += 1
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


def test_after_warming_the_first_view_reads_nothing(served):
    warmer = warm.Warmer(served.reader, interval=3600)
    assert warmer.warm_once() is True
    assert warmer.warm_once() is False  # nothing changed: nothing recomputed
    served.provider.reads = 0
    ctx = RequestContext()
    spec = queries.MetricSpec("epoch_loss", warm.aggregate.parse_reduction("last"))
    answers.groups(served.reader, ctx, "", queries.GroupsQuery(metrics=(spec,)))
    answers.curves(served.reader, ctx, "", queries.CurvesQuery(metric="epoch_loss", max_points=40))
    answers.fields(served.reader, ctx, "", queries.FieldsQuery())
    answers.runs_encoded(served.reader, ctx, "", queries.RunsQuery())
    assert served.provider.reads == 0


def test_new_data_is_warmed_again_and_answers_stay_fresh(served):
    warmer = warm.Warmer(served.reader, interval=3600)
    assert warmer.warm_once() is True
    write_events(
        str(served.logdir / "lr=0.1" / "seed=1" / "validation"),
        [scalar_event("epoch_loss", 9, 0.01)],
    )
    served.multiplexer.Reload()

    time.sleep(backend.LISTING_TTL)
    assert warmer.warm_once() is True
    spec = queries.MetricSpec("epoch_loss", warm.aggregate.parse_reduction("last"))
    body = answers.groups(
        served.reader, RequestContext(), "", queries.GroupsQuery(by=("lr",), metrics=(spec,))
    )
    group = next(g for g in body["groups"] if g["values"] == [0.1])
    assert pytest.approx(0.01) in [m["value"] for m in group["members"]]  # float32 on disk


def test_the_flag_starts_and_zero_disables_the_thread(served):
    def load(interval):
        flags = SimpleNamespace(logdir=str(served.logdir), rungroups_warm_interval=interval)
        context = base_plugin.TBContext(
            logdir=str(served.logdir), data_provider=served.provider, flags=flags
        )
        return plugin.RunGroupsLoader().load(context)

    assert load(0)._warmer is None
    on = load(0.05)
    try:
        deadline = time.time() + 10
        while on._warmer.warmed == 0 and time.time() < deadline:
            time.sleep(0.05)
        assert on._warmer.warmed == 1
    finally:
        on._warmer.stop()
    with pytest.raises(base_plugin.FlagsError):
        plugin.RunGroupsLoader().fix_flags(
            SimpleNamespace(logdir="", rungroups_pattern=None, rungroups_warm_interval=-1)
        )
