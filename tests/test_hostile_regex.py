"""Hostile regexes: none costs seconds of CPU or keeps megabytes (issue 29, rel12 and rel13).

RE2's matching time is linear in the text with the compiled program as the constant; these
tests hold the bounds `tb_plugin.regexes` puts on the program, on the memory of compiled
patterns and on one request's matching, against the real TensorBoard WSGI app on 1,000 runs
and a real `tensorboard` process.
"""

from __future__ import annotations

import os
import re
import time
import urllib.parse

import pytest
import re2
from backend_fixtures import serving
from conftest import scalar_event, write_events
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tensorboard import errors

from tb_plugin import backend, queries, regexes

HOSTILE = "(?:" + ".?" * 40 + "){1,999}X"  # 92 characters, ~360,000 RE2 instructions
N_RUNS = 1000


def _names(n: int) -> list[str]:
    return [
        f"lr={(0.001, 0.01, 0.1)[i % 3]},bs=32,opt=adam,wd=0.0001/seed={i % 5}"
        f"/run_2026_11_20-10_{i // 60:02d}_{i % 60:02d}"
        for i in range(n)
    ]


def _rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


# --- the program bound --------------------------------------------------------------------


def test_a_huge_program_is_refused_quickly_and_says_why():
    started = time.process_time()
    with pytest.raises(errors.InvalidArgumentError, match="RE2 program .* 10,000 instructions"):
        queries.compile_regex(HOSTILE)
    assert time.process_time() - started < 0.1  # the probe compile fails fast (8 MiB: ~0.4 s)


@pytest.mark.parametrize(
    "pattern",
    [".{1,1000}", "(?:.?){1,999}", "(.?){1,999}", r"\w{1,1000}", "|".join(_names(14))],
)
def test_long_but_plain_patterns_stay_accepted(pattern):
    compiled = queries.compile_regex(pattern)
    assert compiled.programsize <= regexes.MAX_PROGRAM_SIZE
    assert compiled.search(_names(1)[0])


@pytest.mark.parametrize("k, n", [(40, 999), (10, 1000), (20, 600), (5, 999), (3, 999)])
def test_nested_counts_over_the_bound_are_refused(k, n):
    with pytest.raises(errors.InvalidArgumentError, match="instructions"):
        queries.compile_regex("(?:" + ".?" * k + f"){{1,{n}}}X")


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(["seed", "lr=0\\.0+1", "(seed)=[0-4]", "^lr", "adam$", "(?i)ADAM", "s(e)+d"]),
    st.sampled_from(_names(60) + ["", "\n", "é大🙂", "seed=\nx"]),
)
def test_matches_what_python_re_matches(pattern, name):
    # never_capture and the cache change nothing a search answers.
    assert queries.compile_regex(pattern).search(name) == bool(re.search(pattern, name))


def test_patterns_compare_by_text_so_memo_keys_keep_no_program():
    a, b = queries.compile_regex("seed=1"), queries.compile_regex("seed=1")
    assert a == b and hash(a) == hash(b)
    assert vars(a) == {"pattern": "seed=1"} or a.__dict__ == {"pattern": "seed=1"}


# --- memory: the compiled-pattern cache ---------------------------------------------------


def test_cache_is_bounded_in_bytes_and_google_re2_keeps_nothing():
    regexes._CACHE.clear()
    before = re2._Regexp._make.cache_info().currsize
    for i in range(50):
        compiled = queries.compile_regex(f"(?:.?){{1,999}}X{i}")
        assert not compiled.search("x" * 200)
        assert regexes._CACHE.bytes <= regexes.CACHE_BYTES
    assert len(regexes._CACHE) == regexes.CACHE_BYTES // regexes._Cache.cost("(?:.?){1,999}X10")
    assert re2._Regexp._make.cache_info().currsize == before
    # An evicted pattern is compiled again on use.
    assert queries.compile_regex("(?:.?){1,999}X0").search("aX0") is True


@pytest.mark.slow
def test_rss_grows_under_50_mb_over_1000_distinct_heavy_regexes():
    names = _names(3)
    for i in range(20):  # allocator warm-up
        queries.compile_regex(f"(?:.?){{1,980}}W{i}").search(names[0])
    before = _rss_mb()
    for i in range(1000):
        compiled = queries.compile_regex(f"(?:.?){{1,980}}{'Y' * (i % 7)}Z{i}")
        for name in names:
            compiled.search(name)
        if i % 10 == 0:
            with pytest.raises(errors.InvalidArgumentError):
                queries.compile_regex(HOSTILE + "Y" * i)
    growth = _rss_mb() - before
    assert growth < 50, f"+{growth:.0f} MB"


# --- the matching budget ------------------------------------------------------------------


def test_filtering_over_the_cpu_budget_is_a_400(monkeypatch):
    units = [
        type("Unit", (), {"trial": name, "runs": {"validation": name + "/validation"}})()
        for name in _names(2000)
    ]
    where = backend.Filter(regex=queries.compile_regex("(?:.?){1,999}Q"))
    assert regexes.filter_units(where, units) == []
    monkeypatch.setattr(regexes, "MATCH_CPU_SECONDS", 0.0)
    with pytest.raises(errors.InvalidArgumentError, match="took more than 0 s of CPU after 16 of"):
        regexes.filter_units(where, units)


# --- the real app on 1,000 runs -----------------------------------------------------------


@pytest.fixture(scope="module")
def thousand_runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs1000")
    for name in _names(N_RUNS):
        write_events(
            os.path.join(root, name), [scalar_event("epoch_loss", s, 1.0 / (s + 1)) for s in (0, 1)]
        )
    with serving(str(root), "python", N_RUNS) as app:
        yield app


def _regexes(leaves: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    count = st.integers(0, 1000)

    def quantified(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        return st.one_of(
            st.tuples(inner, st.sampled_from(["?", "*", "+", "??", "*?", ""])).map("".join),
            st.tuples(inner, count, count).map(lambda t: f"{t[0]}{{{min(t[1:])},{max(t[1:])}}}"),
            st.tuples(inner, count).map(lambda t: f"{t[0]}{{{t[1]}}}"),
        )

    def grow(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        return st.one_of(
            st.lists(children, min_size=1, max_size=6).map("".join),
            st.lists(children, min_size=2, max_size=4).map("|".join),
            st.tuples(st.sampled_from(["(?:", "(", "(?i:"]), children).map(
                lambda t: t[0] + t[1] + ")"
            ),
            quantified(children.map(lambda s: f"(?:{s})")),
        )

    return st.recursive(quantified(leaves), grow, max_leaves=12).filter(lambda p: len(p) <= 1000)


_LEAVES = st.sampled_from(
    [".", ".?", r"\d", r"\w", "[a-z]", "[^/]", "[0-9_]", "=", ",", "/", "seed", "X", r"\.", "a"]
)


@pytest.mark.slow
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(pattern=_regexes(_LEAVES))
def test_random_patterns_within_the_bounds_answer_within_2_s_on_1000_runs(thousand_runs, pattern):
    started = time.perf_counter()
    response = thousand_runs.get("/groups", by="", regex=pattern)
    took = time.perf_counter() - started
    assert response.status_code in (200, 400), response.get_data(as_text=True)[:300]
    assert took < 2, (pattern, response.status_code, took)


@pytest.mark.slow
@pytest.mark.parametrize(
    "pattern",
    [HOSTILE, "(?:" + ".?" * 10 + "){1,100}", "(?:(.?)(.?)(.?)(.?)(.?)){1,180}", "(.?){1,999}"],
)
def test_heavy_patterns_answer_within_2_s_on_1000_runs(thousand_runs, pattern):
    started = time.perf_counter()
    response = thousand_runs.get("/groups", by="", regex=pattern)
    took = time.perf_counter() - started
    assert response.status_code in (200, 400) and took < 2, (response.status_code, took)
    if response.status_code == 400:
        assert "instructions" in response.get_data(as_text=True)


@pytest.mark.process
def test_process_distinct_heavy_regexes_keep_no_memory(tensorboard_process, tmp_path):
    for i in range(6):
        write_events(str(tmp_path / _names(6)[i]), [scalar_event("epoch_loss", 0, 1.0)])
    tb = tensorboard_process(str(tmp_path), False)
    prefix = "data/plugin/rungroups"
    tb.wait_for(lambda: len(tb.get_json(f"{prefix}/runs")["runs"]) == 6)
    for i in range(20):
        tb.get(f"{prefix}/groups?regex=" + urllib.parse.quote(f"(?:.?){{1,999}}W{i}"))
    with open(f"/proc/{tb.proc.pid}/status") as f:
        before = next(int(x.split()[1]) for x in f if x.startswith("VmRSS:")) / 1024
    statuses = set()
    for i in range(300):
        for pattern in (HOSTILE + "Y" * i, f"(?:.?){{1,980}}Y{i}"):
            statuses.add(tb.get(f"{prefix}/groups?regex=" + urllib.parse.quote(pattern))[0])
    with open(f"/proc/{tb.proc.pid}/status") as f:
        after = next(int(x.split()[1]) for x in f if x.startswith("VmRSS:")) / 1024
    assert statuses == {200, 400}
    assert after - before < 50, f"{before:.0f} -> {after:.0f} MB"
