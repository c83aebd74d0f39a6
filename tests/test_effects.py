"""tb_plugin.effects against statsmodels' type-II ANOVA and scipy's t intervals (SPEC §5b).

Every design here is fitted again with ``statsmodels.formula.api.ols`` and
``statsmodels.stats.anova.anova_lm(typ=2)`` (sums of squares, F, p), the seed share with the
configuration model ``y ~ C(cell)``, Holm with ``statsmodels.stats.multitest.multipletests``
and the per-value intervals with ``scipy.stats.t.interval``: a balanced 3×2 grid with 5 seeds,
an unbalanced design with a missing cell, a field with no effect, two perfectly confounded
fields and one trial per value.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from scipy import stats as sps
from statsmodels.stats.anova import anova_lm
from statsmodels.stats.multitest import multipletests

from tb_plugin import effects

LRS = (0.1, 0.01, 0.001)
OPTS = ("adam", "sgd")


def grid(seed: int, *, seeds: int = 5, opt_effect: float = 0.3, noise: float = 0.5):
    """A 3×2 grid (lr × opt) with `seeds` trials per configuration; lr matters."""
    rng = np.random.default_rng(seed)
    rows = []
    for lr in LRS:
        for opt in OPTS:
            for s in range(seeds):
                y = -math.log10(lr) + (opt == "adam") * opt_effect + rng.normal() * noise
                rows.append({"lr": lr, "opt": opt, "seed": s, "y": y})
    return pd.DataFrame(rows)


def analyse(df: pd.DataFrame, fields=("lr", "opt"), **kwargs):
    return effects.analyse(df["y"].tolist(), {f: df[f].tolist() for f in fields}, **kwargs)


def by_field(answer):
    return {f["field"]: f for f in answer["fields"]}


def total_ss(df):
    return float(((df["y"] - df["y"].mean()) ** 2).sum())


def check_against_statsmodels(df: pd.DataFrame, fields, answer, *, confounded=()):
    """Shares, F and p of the separable fields; the seed, rest and main shares. Of the
    `confounded` fields (one-to-one), the model has the first and no field is checked."""
    separable = [f for f in fields if f not in confounded]
    model = [f for f in fields if f not in confounded[1:]]
    formula = "y ~ " + " + ".join(f"C({f})" for f in model)
    main = smf.ols(formula, df).fit()
    table = anova_lm(main, typ=2)
    total = total_ss(df)
    got = by_field(answer)
    assert answer["total_ss"] == pytest.approx(total, rel=1e-10)
    for f in separable:
        row = table.loc[f"C({f})"]
        assert got[f]["share"] == pytest.approx(row["sum_sq"] / total, rel=1e-9, abs=1e-12)
        assert got[f]["ss"] == pytest.approx(row["sum_sq"], rel=1e-9, abs=1e-12)
        assert got[f]["df"] == row["df"]
        assert got[f]["f_value"] == pytest.approx(row["F"], rel=1e-8)
        assert got[f]["p_value"] == pytest.approx(row["PR(>F)"], rel=1e-8, abs=1e-300)
    cells = df[list(fields)].astype(str).agg("|".join, axis=1)
    cell_model = smf.ols("y ~ C(cell)", df.assign(cell=cells)).fit()
    if answer["seed_df"] == 0:  # one trial per configuration: no seed noise to measure
        assert answer["seed_share"]["share"] is None and cell_model.ssr < 1e-20 * total
    else:
        assert answer["seed_share"]["share"] == pytest.approx(cell_model.ssr / total, rel=1e-9)
    assert answer["rest_share"]["share"] == pytest.approx(
        (main.ssr - cell_model.ssr) / total, rel=1e-7, abs=1e-12
    )
    assert answer["main_share"]["share"] == pytest.approx(main.ess / total, rel=1e-9)
    assert answer["configurations"] == cells.nunique()
    # Holm over the fields with a p-value, as statsmodels adjusts them.
    tested = [f for f in answer["fields"] if f["p_value"] is not None]
    if tested:
        _, adjusted, _, _ = multipletests([f["p_value"] for f in tested], method="holm")
        for f, p in zip(tested, adjusted, strict=True):
            assert f["p_holm"] == pytest.approx(p, rel=1e-12)
            assert f["below_noise"] is bool(p >= 0.05)


def check_values_against_scipy(df: pd.DataFrame, answer, level=0.95):
    for f in answer["fields"]:
        seen = []
        for entry in f["values"]:
            value = entry["value"]
            sample = df.loc[df[f["field"]].map(lambda v, value=value: v == value), "y"]
            seen.append(len(sample))
            assert entry["n"] == len(sample)
            assert entry["mean"] == pytest.approx(sample.mean(), rel=1e-12)
            if len(sample) == 1:
                assert entry["std"] is None and entry["ci_low"] is None and entry["ci_high"] is None
                continue
            assert entry["std"] == pytest.approx(sample.std(ddof=1), rel=1e-10)
            low, high = sps.t.interval(level, len(sample) - 1, sample.mean(), sps.sem(sample))
            assert entry["ci_low"] == pytest.approx(low, rel=1e-10)
            assert entry["ci_high"] == pytest.approx(high, rel=1e-10)
        assert sum(seen) == len(df)


def test_balanced_grid_matches_statsmodels_and_scipy():
    df = grid(1)
    answer = analyse(df)
    check_against_statsmodels(df, ("lr", "opt"), answer)
    check_values_against_scipy(df, answer)
    assert answer["trials"] == 30 and answer["configurations"] == 6 and answer["seed_df"] == 24
    # Balanced: the interaction of the full factorial model is the rest.
    full = anova_lm(smf.ols("y ~ C(lr) * C(opt)", df).fit(), typ=2)
    total = total_ss(df)
    assert answer["rest_share"]["share"] == pytest.approx(
        full.loc["C(lr):C(opt)", "sum_sq"] / total, rel=1e-8
    )
    shares = [f["share"] for f in answer["fields"]]
    assert sum(shares) + answer["rest_share"]["share"] + answer["seed_share"]["share"] == (
        pytest.approx(1.0, rel=1e-12)
    )
    # Ranked by share, lr first; values in value order (numbers ascending).
    assert [f["field"] for f in answer["fields"]] == ["lr", "opt"]
    assert [v["value"] for v in answer["fields"][0]["values"]] == [0.001, 0.01, 0.1]
    assert answer["fields"][0]["below_noise"] is False
    for key in ("seed_share", "rest_share", "main_share"):
        share = answer[key]
        assert 0 <= share["ci_low"] <= share["ci_high"] <= 1
    lr = answer["fields"][0]
    assert lr["ci_low"] <= lr["share"] <= lr["ci_high"]
    assert lr["ci_low"] > 0.4


def test_unbalanced_with_a_missing_cell_matches_statsmodels():
    df = grid(2)
    missing = (df["lr"] == 0.001) & (df["opt"] == "sgd")
    df = df[~missing].drop(index=[0, 1, 7]).reset_index(drop=True)  # and 5, 4, 4 seeds
    answer = analyse(df)
    assert answer["configurations"] == 5
    check_against_statsmodels(df, ("lr", "opt"), answer)
    check_values_against_scipy(df, answer)
    # Unbalanced: the type-II sums of squares do not add up to the main effects' together.
    shares = sum(f["share"] for f in answer["fields"])
    assert shares != pytest.approx(answer["main_share"]["share"], rel=1e-6)


def test_a_three_field_unbalanced_design_with_a_missing_level():
    """Three fields, one with a missing value (a level of its own), uneven seeds."""
    rng = np.random.default_rng(5)
    rows = []
    for lr in LRS:
        for opt in OPTS:
            for bs in (32, 128, None):
                for s in range(int(rng.integers(1, 5))):
                    y = lr * 10 + (bs or 64) / 100 + rng.normal() * 0.2
                    rows.append({"lr": lr, "opt": opt, "bs": bs, "seed": s, "y": y})
    df = pd.DataFrame(rows)
    answer = effects.analyse(
        df["y"].tolist(),
        {
            "lr": df["lr"].tolist(),
            "opt": df["opt"].tolist(),
            "bs": [None if b != b else b for b in df["bs"]],
        },
    )
    check_against_statsmodels(df.assign(bs=df["bs"].fillna(-1)), ("lr", "opt", "bs"), answer)
    bs_values = [v["value"] for v in by_field(answer)["bs"]["values"]]
    assert bs_values == [32, 128, None]  # the missing value is a level, listed last


def test_a_field_with_no_effect_is_below_seed_noise_and_its_interval_includes_zero():
    df = grid(3, opt_effect=0.0)
    answer = analyse(df)
    check_against_statsmodels(df, ("lr", "opt"), answer)
    opt = by_field(answer)["opt"]
    assert opt["below_noise"] is True and opt["p_holm"] >= 0.05
    assert opt["ci_low"] == 0.0 <= opt["share"] <= opt["ci_high"]
    assert opt["share"] < answer["seed_share"]["share"]
    lr = by_field(answer)["lr"]
    assert lr["below_noise"] is False and lr["ci_low"] > 0


def test_no_effect_intervals_include_zero_in_most_designs():
    """The basic bootstrap interval of a null field's share reaches 0 in most random designs
    (a percentile interval of a sum of squares never would)."""
    covered = 0
    for seed in range(20):
        answer = analyse(grid(100 + seed, opt_effect=0.0), reps=300, seed=seed)
        covered += by_field(answer)["opt"]["ci_low"] == 0.0
    assert covered >= 16


def test_two_confounded_fields_are_named_inseparable():
    df = grid(4)
    df["width"] = df["lr"].map({0.1: 64, 0.01: 128, 0.001: 256})  # changes with lr, always
    answer = analyse(df, fields=("lr", "opt", "width"))
    assert answer["inseparable"] == [["lr", "width"]]
    got = by_field(answer)
    for f in ("lr", "width"):
        assert got[f]["df"] == 0
        assert got[f]["share"] is None and got[f]["p_value"] is None
        assert got[f]["below_noise"] is None and got[f]["ci_low"] is None
        assert len(got[f]["values"]) == 3  # the per-value statistics are still there
    # The separable field is what statsmodels gives without the duplicate.
    check_against_statsmodels(df, ("lr", "opt", "width"), answer, confounded=("lr", "width"))
    assert [f["field"] for f in answer["fields"]] == ["opt", "lr", "width"]  # no share: last


def test_a_nested_field_has_no_unique_effect_and_is_not_called_inseparable():
    df = grid(6)
    df["big_lr"] = df["lr"] > 0.005  # a function of lr, not one to one
    answer = analyse(df, fields=("lr", "opt", "big_lr"))
    got = by_field(answer)
    assert got["big_lr"]["df"] == 0 and got["big_lr"]["share"] is None
    assert got["lr"]["df"] == 1  # lr's levels beyond what big_lr says
    assert answer["inseparable"] == []


def test_one_trial_per_value_and_per_configuration():
    df = grid(7, seeds=1)  # 6 trials, one per configuration
    df["run_id"] = [f"r{i}" for i in range(len(df))]
    answer = analyse(df)
    check_against_statsmodels(df, ("lr", "opt"), answer)
    check_values_against_scipy(df, answer)
    assert answer["seed_df"] == 0
    assert answer["seed_share"] == {"share": None, "ci_low": None, "ci_high": None}
    # Nothing to resample: no intervals of the shares.
    assert all(f["ci_low"] is None and f["ci_high"] is None for f in answer["fields"])
    one_each = analyse(df, fields=("run_id",))
    values = one_each["fields"][0]["values"]
    assert [v["n"] for v in values] == [1] * 6
    assert all(v["std"] is None and v["ci_low"] is None and v["ci_high"] is None for v in values)
    # A saturated model: no residual to test against.
    assert one_each["fields"][0]["p_value"] is None and one_each["fields"][0]["below_noise"] is None


def test_intervals_are_seeded_and_levels_apply():
    df = grid(8)
    a, b = analyse(df, seed=3), analyse(df, seed=3)
    assert a == b
    c = analyse(df, seed=4)
    assert c["fields"][0]["ci_low"] != a["fields"][0]["ci_low"]
    assert c["fields"][0]["share"] == a["fields"][0]["share"]
    narrow = analyse(df, ci_level=0.5, seed=3)
    check_values_against_scipy(df, narrow, level=0.5)
    lr, lr_narrow = a["fields"][0], narrow["fields"][0]
    assert lr_narrow["ci_high"] - lr_narrow["ci_low"] < lr["ci_high"] - lr["ci_low"]
    none = analyse(df, reps=0)
    assert none["fields"][0]["ci_low"] is None and none["fields"][0]["share"] == lr["share"]


def test_bootstrap_resamples_within_configurations():
    """Every configuration's trials are equal: resampling seeds changes nothing, so every
    interval is the point itself (seed share 0)."""
    df = grid(9)
    df["y"] = df.groupby(["lr", "opt"])["y"].transform("mean")
    answer = analyse(df)
    assert answer["seed_share"]["share"] == pytest.approx(0.0, abs=1e-12)
    for f in answer["fields"]:
        assert f["ci_low"] == pytest.approx(f["share"], abs=1e-9)
        assert f["ci_high"] == pytest.approx(f["share"], abs=1e-9)


def test_constant_fields_empty_and_bad_input():
    df = grid(10)
    answer = analyse(df.assign(same=1), fields=("lr", "same"))
    assert answer["constant"] == ["same"] and [f["field"] for f in answer["fields"]] == ["lr"]
    empty = effects.analyse([], {"lr": []})
    assert empty["trials"] == 0 and empty["fields"] == [] and empty["seed_share"]["share"] is None
    flat = effects.analyse([1.0] * 4, {"lr": [1, 1, 2, 2]})
    assert flat["fields"][0]["share"] is None and flat["fields"][0]["p_value"] is None
    with pytest.raises(ValueError, match="finite"):
        effects.analyse([1.0, math.nan], {"lr": [1, 2]})
    with pytest.raises(ValueError, match="2 trials"):
        effects.analyse([1.0, 2.0], {"lr": [1]})
    with pytest.raises(ValueError, match="ci_level"):
        effects.analyse([1.0, 2.0], {"lr": [1, 2]}, ci_level=1.0)
    with pytest.raises(ValueError, match="reps"):
        effects.analyse([1.0, 2.0], {"lr": [1, 2]}, reps=-1)


def test_equal_numbers_are_one_level_and_booleans_are_not_numbers():
    answer = effects.analyse([1.0, 2.0, 3.0, 4.0], {"x": [1, 1.0, True, True]})
    values = answer["fields"][0]["values"]
    assert [(v["value"], v["n"]) for v in values] == [(1, 2), (True, 2)]
    nan_level = effects.analyse([1.0, 2.0, 3.0, 4.0], {"x": [math.nan, math.nan, 1.0, 1]})
    values = nan_level["fields"][0]["values"]
    assert [v["n"] for v in values] == [2, 2] and values[0]["value"] == 1.0
    assert math.isnan(values[1]["value"])
    text = effects.analyse([1.0, 2.0, 3.0], {"x": ["b", "a10", "a2"]})["fields"][0]["values"]
    assert [v["value"] for v in text] == ["a2", "a10", "b"]  # natural order, as the table


@pytest.mark.parametrize("seed", range(12))
def test_random_unbalanced_designs_match_statsmodels(seed):
    """Three fields of 2–4 levels, 0–4 trials per configuration (empty cells included)."""
    rng = np.random.default_rng(1000 + seed)
    levels = [list(range(int(rng.integers(2, 5)))) for _ in range(3)]
    rows = []
    for a in levels[0]:
        for b in levels[1]:
            for c in levels[2]:
                for _ in range(int(rng.integers(0, 5))):
                    y = a * 0.3 - b * 0.2 + rng.normal() * (1 + c)
                    rows.append({"a": f"a{a}", "b": b, "c": float(c), "y": y})
    df = pd.DataFrame(rows)
    fields = ("a", "b", "c")
    model = smf.ols("y ~ C(a) + C(b) + C(c)", df).fit()
    # These seeds give designs of full rank (confounded ones are tested above).
    assert np.linalg.matrix_rank(model.model.exog) == model.model.exog.shape[1]
    answer = analyse(df, fields=fields, reps=50)
    check_against_statsmodels(df, fields, answer)
    check_values_against_scipy(df, answer)
