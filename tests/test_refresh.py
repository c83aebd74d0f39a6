"""The first view's routes answer stale rather than keep the tab waiting (tb_plugin/refresh.py).

`Refresher.answer` with computations the test holds back: a request that allows it gets the
last answer, with its age, when the fresh one is not ready within the wait; the next one
gets the fresh result (computed once); errors, bounds and the routes' argument and header.
"""

from __future__ import annotations

import threading
import time

import pytest

from tb_plugin import refresh


class Held:
    """A computation that blocks until released, counting its calls, keeping what it returns."""

    def __init__(self, refresher: refresh.Refresher, key, body: bytes):
        self.refresher, self.key, self.body = refresher, key, body
        self.release = threading.Event()
        self.calls = 0

    def __call__(self) -> bytes:
        self.calls += 1
        assert self.release.wait(10)
        return self.refresher.keep(self.key, self.body)


def wait_handed_over(r: refresh.Refresher, key) -> None:
    """Waits until `key`'s background computation has ended and awaits the next request."""
    for _ in range(100):
        with r._lock:
            if key in r._ready:
                return
        time.sleep(0.01)
    raise AssertionError(f"{key!r} was never handed over")


def test_without_allow_stale_the_answer_is_computed_in_the_request():
    r = refresh.Refresher(wait=0.05)
    r.keep("k", b"old")
    assert r.answer("k", lambda: r.keep("k", b"new"), allow_stale=False) == (b"new", None)


def test_with_nothing_earlier_the_request_waits_for_its_answer():
    r = refresh.Refresher(wait=0.01)
    slow = Held(r, "k", b"first")
    threading.Timer(0.2, slow.release.set).start()
    started = time.monotonic()
    assert r.answer("k", slow, allow_stale=True) == (b"first", None)
    assert time.monotonic() - started >= 0.19


def test_with_nothing_earlier_an_answer_kept_meanwhile_is_answered_stale():
    # TensorBoard has just listed every run: the warmer is still computing the view of
    # the runs it listed before (an older listing), the request's own computation takes
    # longer. The request gets the warmer's answer as soon as it is kept, marked stale.
    r = refresh.Refresher(wait=0.05)
    slow = Held(r, "k", b"all runs")
    threading.Timer(0.3, lambda: r.keep("k", b"fewer runs")).start()
    started = time.monotonic()
    body, age = r.answer("k", slow, allow_stale=True)
    assert (body, age is not None) == (b"fewer runs", True)
    assert 0.29 <= time.monotonic() - started < 2.0
    slow.release.set()
    wait_handed_over(r, "k")
    assert r.answer("k", Held(r, "k", b"never"), allow_stale=True) == (b"all runs", None)
    assert slow.calls == 1


def test_with_nothing_earlier_its_own_answer_kept_is_fresh():
    r = refresh.Refresher(wait=0.01)
    slow = Held(r, "k", b"mine")
    threading.Timer(0.2, slow.release.set).start()
    assert r.answer("k", slow, allow_stale=True) == (b"mine", None)


def test_a_slow_fresh_answer_is_replaced_by_the_last_one_marked_stale_then_handed_over():
    r = refresh.Refresher(wait=0.1)
    r.keep("k", b"old")
    time.sleep(0.3)
    slow = Held(r, "k", b"new")
    started = time.monotonic()
    body, age = r.answer("k", slow, allow_stale=True)
    took = time.monotonic() - started
    assert body == b"old" and age is not None and 0.3 <= age < 5
    assert 0.09 <= took < 1.0  # the wait, not the computation
    # Asked again while it computes: the same computation, still stale.
    assert r.answer("k", slow, allow_stale=True)[0] == b"old"
    slow.release.set()
    wait_handed_over(r, "k")
    # The next request gets the fresh result, without computing it again.
    again = Held(r, "k", b"never")
    assert r.answer("k", again, allow_stale=True) == (b"new", None)
    assert slow.calls == 1 and again.calls == 0
    # And after that, computes as usual (a fast answer within the wait is fresh).
    assert r.answer("k", lambda: r.keep("k", b"newer"), allow_stale=True) == (b"newer", None)


def test_a_fast_answer_is_fresh_and_leaves_nothing_to_hand_over():
    r = refresh.Refresher(wait=1.0)
    r.keep("k", b"old")
    assert r.answer("k", lambda: r.keep("k", b"new"), allow_stale=True) == (b"new", None)
    assert r._ready == {} and r._pending == {} and r._answered_stale == set()


def test_an_error_within_the_wait_is_raised():
    r = refresh.Refresher(wait=1.0)
    r.keep("k", b"old")

    def fails():
        raise LookupError("no such metric")

    with pytest.raises(LookupError, match="no such metric"):
        r.answer("k", fails, allow_stale=True)


def test_background_computations_are_bounded(monkeypatch):
    monkeypatch.setattr(refresh, "MAX_PENDING", 2)
    r = refresh.Refresher(wait=0.01)
    held = []
    for i in range(2):
        r.keep(i, b"old")
        held.append(Held(r, i, b"new"))
        assert r.answer(i, held[-1], allow_stale=True)[0] == b"old"
    # A third key past the bound is computed in its request (fresh, not stale).
    r.keep(2, b"old")
    assert r.answer(2, lambda: r.keep(2, b"mine"), allow_stale=True) == (b"mine", None)
    for h in held:
        h.release.set()


def test_kept_answers_are_bounded_in_bytes(monkeypatch):
    r = refresh.Refresher()
    big = b"x" * (refresh.LAST_BYTES // 4)
    for i in range(10):
        r.keep(i, big)
    assert r._last.bytes <= refresh.LAST_BYTES + len(big)
    assert r._last.get(0) is None and r._last.get(9) is not None


@pytest.mark.parametrize("wait", [-1, 3601, float("nan")])
def test_the_stale_wait_flag_is_checked(wait):
    from types import SimpleNamespace

    from tensorboard.plugins import base_plugin

    from tb_plugin import plugin

    with pytest.raises(base_plugin.FlagsError, match="--rungroups_stale_wait"):
        plugin.RunGroupsLoader().fix_flags(
            SimpleNamespace(logdir="", rungroups_pattern=None, rungroups_stale_wait=wait)
        )


def test_the_stale_wait_flag_sets_the_wait(tmp_path):
    from types import SimpleNamespace

    from tensorboard.plugins import base_plugin

    from tb_plugin import plugin

    flags = SimpleNamespace(logdir=str(tmp_path), rungroups_stale_wait=0.0)
    context = base_plugin.TBContext(logdir=str(tmp_path), data_provider=None, flags=flags)
    loaded = plugin.RunGroupsLoader().load(context)
    assert loaded._backend.refresher._wait == 0.0
