"""The tab's seed columns (SPEC §5c) in headless Chromium on a real tensorboard process.

Two methods x three seeds, one seed of method b NaN at its last step: the baseline's
power and "seeds for 80%" cells, the flag mark of the NaN run, the exclude control and
its line under the table, and the paired toggle's cells, each equal to what
`/groups` answers for the same query.
"""

from __future__ import annotations

import json
import math
import urllib.parse

import pytest
from conftest import write_scalars
from test_browser_tab import assert_clean, copy_link, start_tensorboard, wait_counts

from tb_plugin import grouping

pytestmark = pytest.mark.slow

# Final losses per seed; method b's seed 3 diverged (NaN).
FINALS = {"a": (0.50, 0.53, 0.47), "b": (0.44, 0.45, math.nan)}
BY = ["param.method"]
KEY = {m: grouping.group_key(BY, [m]) for m in FINALS}
ARGS = {"metric": "epoch_loss", "reduction": "last", "baseline": KEY["a"]}


@pytest.fixture(scope="module")
def seeds_tb(tmp_path_factory):
    root = tmp_path_factory.mktemp("rg-seeds")
    for method, finals in FINALS.items():
        for seed, final in enumerate(finals, 1):
            write_scalars(
                str(root / f"method={method}" / f"seed={seed}"), "epoch_loss", [1.0, 0.8, final]
            )
    tb = start_tensorboard(root, True, n_runs=6)
    yield tb
    tb.close()


def _groups(tb, **extra) -> dict:
    return tb.get_json("data/plugin/rungroups/groups?" + urllib.parse.urlencode({**ARGS, **extra}))


def _compare_b(answer: dict) -> dict:
    (b,) = [g for g in answer["groups"] if g["key"] == KEY["b"]]
    return b["compare"]


def _assert_power_cells(row, c: dict) -> None:
    """The row's power and seeds-needed cells show /groups' compare.power and seeds_needed."""
    assert c["power"] is not None and c["seeds_needed"] is not None
    assert row.locator(".rg-power-value").inner_text() == f"{round(c['power'] * 100)}%"
    assert row.locator(".rg-seeds-value").inner_text() == str(c["seeds_needed"])
    assert row.locator(".rg-power").get_attribute("title") == c["power_note"]
    # n=2 in method b: the note shows inline too.
    assert row.locator(".rg-power-note").inner_text() == c["power_note"]


def test_power_flags_exclude_and_paired_equal_the_backend(page, seeds_tb):
    tb = seeds_tb
    # The baseline (method a) and method b expanded, from a deep link.
    expanded = urllib.parse.quote(json.dumps([KEY["b"]]))
    hash_ = (
        "#rungroups&p.rungroups.metric=epoch_loss"
        f"&p.rungroups.baseline={KEY['a']}&p.rungroups.expanded={expanded}"
    )
    page.goto(tb.url + hash_)
    frame = page.frame_locator("iframe")
    wait_counts(frame, "6 runs in 2 groups", timeout=60_000)
    row = frame.locator(f'.rg-group-row[data-key="{KEY["b"]}"]')
    row.locator(".rg-power-value").wait_for()
    assert frame.locator(".rg-th", has_text="seeds for 80%").count() == 1
    plain = _groups(tb)
    _assert_power_cells(row, _compare_b(plain))
    base_row = frame.locator(f'.rg-group-row[data-key="{KEY["a"]}"]')
    assert base_row.locator(".rg-power").inner_text() == ""

    # The NaN run: a flag mark with its kind and reason; the group row counts it.
    nan_run = frame.locator('.rg-member-row[data-trial="method=b/seed=3"]')
    mark = nan_run.locator(".rg-flag-mark")
    assert mark.inner_text() == "⚑ nonfinite"
    (member,) = [
        m for g in plain["groups"] for m in g["members"] if m["trial"] == "method=b/seed=3"
    ]
    (flag,) = member["flags"]
    assert f"{flag['kind']} ({flag['metric']}): {flag['reason']}" in mark.get_attribute("title")
    assert frame.locator('.rg-member-row[data-trial="method=b/seed=1"] .rg-flag-mark').count() == 0
    assert row.locator(".rg-flag-count").inner_text().strip() == "⚑1"
    assert frame.locator(".rg-table-note").count() == 0  # no exclusion asked: nothing said

    # Exclude flagged runs: the line under the table says how many and why.
    frame.locator(".rg-exclude").select_option("flagged")
    frame.locator(".rg-table-note", has_text="excluded").wait_for()
    excluded = _groups(tb, exclude="flagged")
    assert excluded["excluded"]["count"] == 1
    assert frame.locator(".rg-table-note").inner_text() == "1 run excluded (1 nonfinite)"
    _assert_power_cells(row, _compare_b(excluded))

    # Paired by seed: n pairs, paired p and Wilcoxon p equal /groups?paired=true.
    frame.locator(".rg-paired").check()
    row.locator(".rg-paired-p-value").wait_for()
    paired = _groups(tb, exclude="flagged", paired="true")
    c = _compare_b(paired)
    assert paired["paired"] is True and c["n_pairs"] == 2
    assert row.locator(".rg-n-pairs").inner_text().strip() == f"n={c['n_pairs']}"
    p_title = row.locator(".rg-paired-p").get_attribute("title")
    shown_p = float(p_title.split("paired t-test p = ")[1].split(";")[0])
    assert shown_p == pytest.approx(c["paired_p"], rel=1e-12)
    # Shown to two significant digits, as the Welch p beside it.
    shown = row.locator(".rg-paired-p-value").inner_text()
    assert float(shown) == pytest.approx(float(f"{c['paired_p']:.2g}"))
    wilcoxon = row.locator(".rg-wilcoxon-p").inner_text().strip(" /")
    assert float(wilcoxon) == pytest.approx(float(f"{c['wilcoxon_p']:.2g}"))
    # The runs left without a partner are counted, and named in the tooltip.
    assert row.locator(".rg-unpaired").inner_text().strip() == f"{len(c['unpaired_runs'])} unpaired"
    tooltip = row.locator(".rg-paired-delta").get_attribute("title")
    for u in c["unpaired_runs"]:
        assert f"{u['trial']} ({u['side']}, seed {u['seed']}): {u['reason']}" in tooltip
    # The toggle and the exclusion are in the link.
    link = copy_link(frame)
    assert "p.rungroups.paired=1" in link and "p.rungroups.exclude=flagged" in link
    assert_clean(page)


def test_a_paired_request_with_nothing_to_pair_shows_the_backends_400(page, seeds_tb):
    tb = seeds_tb
    # Grouped by seed too: no repeat key is left to pair by, so /groups answers 400.
    by = ["param.method", "param.seed"]
    base = grouping.group_key(by, ["a", 1])
    query = {"metric": "epoch_loss", "by": ",".join(by), "baseline": base, "paired": "true"}
    status, _, body = tb.get("data/plugin/rungroups/groups?" + urllib.parse.urlencode(query))
    assert status == 400
    hash_ = (
        "#rungroups&p.rungroups.metric=epoch_loss&p.rungroups.by=param.method,param.seed"
        f"&p.rungroups.baseline={base}&p.rungroups.paired=1"
    )
    page.goto(tb.url + hash_)
    frame = page.frame_locator("iframe")
    banner = frame.locator(".rg-banner", has_text="nothing to pair")
    banner.wait_for(timeout=60_000)
    assert banner.inner_text().strip() == body.decode().strip()
    # The toggle still shows on, so it can be turned off; then the table comes back.
    toggle = frame.locator(".rg-paired")
    assert toggle.is_checked()
    toggle.uncheck()
    frame.locator(
        f'.rg-group-row[data-key="{base}"] .rg-set-baseline[aria-pressed="true"]'
    ).wait_for()
    assert frame.locator(".rg-group-row").count() == 6
    assert frame.locator(".rg-th", has_text="paired p").count() == 0
    assert page.dialogs == []
    assert all("400" in e for e in page.console_errors), page.console_errors
