"""Cost envelopes: the budget, the refusal message, and refusals before any work is done."""

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from recsys_core.models import REGISTRY, make_model
from recsys_core.models.cost import (
    Cost,
    ModelTooLarge,
    ModelTooSlow,
    base_memory,
    budget_scope,
    check_fits,
    check_model,
    format_bytes,
    format_seconds,
    memory_budget,
    model_cost,
    models_that_fit,
    parse_budget,
    parse_time_budget,
    physical_memory,
    time_budget,
    time_budget_scope,
)
from recsys_core.trainset import Trainset

from .contract import planted_frame

ROOT = Path(__file__).resolve().parents[2]
GB = 1024**3


def test_parse_budget_units():
    assert parse_budget("8G") == 8 * GB
    assert parse_budget("512M") == 512 * 1024**2
    assert parse_budget("1.5GB") == int(1.5 * GB)
    assert parse_budget("2000000000") == 2_000_000_000
    assert parse_budget(" 64 k ") == 64 * 1024
    assert parse_budget("50%") == physical_memory() // 2
    for bad in ("lots", "-1G", "0", "150%", "8X"):
        with pytest.raises(ValueError):
            parse_budget(bad)


def test_budget_from_env_default_and_scope(monkeypatch):
    monkeypatch.delenv("CINELENS_MEMORY_BUDGET", raising=False)
    assert memory_budget() == int(physical_memory() * 0.5)
    monkeypatch.setenv("CINELENS_MEMORY_BUDGET", "3G")
    assert memory_budget() == 3 * GB
    with budget_scope("1G"):
        assert memory_budget() == GB
        with budget_scope(None):
            assert memory_budget() == 3 * GB
    assert memory_budget() == 3 * GB
    monkeypatch.setenv("CINELENS_MEMORY_BUDGET", "plenty")
    with pytest.raises(ValueError, match="CINELENS_MEMORY_BUDGET"):
        memory_budget()


def test_every_registered_model_declares_an_envelope():
    for name, cls in REGISTRY.items():
        c = cls.cost(1000, 500, 20_000)
        assert isinstance(c, Cost), name
        assert c.memory_bytes >= base_memory(1000, 500, 20_000) and c.fit_seconds > 0, name
        # grows with the data
        assert cls.cost(10_000, 5_000, 200_000).memory_bytes > c.memory_bytes, name


def test_dense_models_grow_with_the_square_of_films():
    ease_small = model_cost("ease", 10_000, 1_000, 100_000).memory_bytes
    ease_big = model_cost("ease", 10_000, 10_000, 100_000).memory_bytes
    base_delta = base_memory(10_000, 10_000, 100_000) - base_memory(10_000, 1_000, 100_000)
    assert ease_big - ease_small - base_delta == 4 * 8 * (10_000**2 - 1_000**2)
    # item-based CF keeps top-k neighbours: linear in films
    i1 = model_cost("itemcf", 10_000, 10_000, 100_000, max_neighbours=100).memory_bytes
    i2 = model_cost("itemcf", 10_000, 20_000, 100_000, max_neighbours=100).memory_bytes
    base_delta = base_memory(10_000, 20_000, 100_000) - base_memory(10_000, 10_000, 100_000)
    assert i2 - i1 - base_delta == 2 * 16 * 100 * 10_000


def test_refusal_message_names_model_need_budget_and_fits():
    shape = (20_000, 60_000, 1_000_000)
    need = model_cost("ease", *shape).memory_bytes
    budget = 2 * GB
    with pytest.raises(ModelTooLarge) as err:
        check_fits("ease", *shape, budget=budget)
    e = err.value
    assert e.model == "ease" and e.need_bytes == need and e.budget_bytes == budget
    msg = str(e)
    assert "'ease'" in msg and format_bytes(need) in msg and format_bytes(budget) in msg
    assert "dense films x films inverse" in msg
    assert e.fits == models_that_fit(*shape, budget=budget)
    assert "baseline" in e.fits and "svd" in e.fits and "ease" not in e.fits and "slopeone" not in e.fits
    assert "models that fit this dataset: " + ", ".join(e.fits) in msg
    assert isinstance(e, ValueError)
    # the same model fits a small catalogue
    assert check_fits("ease", 1000, 1000, 50_000, budget=budget).memory_bytes <= budget


def test_check_fits_uses_the_params_and_rejects_unknown_names():
    small = model_cost("autorec-i", 10_000, 1_000, 100_000, hidden=50).memory_bytes
    big = model_cost("autorec-i", 10_000, 1_000, 100_000, hidden=500).memory_bytes
    assert big > small
    with pytest.raises(ValueError, match="unknown model"):
        check_fits("nope", 10, 10, 10)


def test_fit_refuses_before_any_work():
    ts = Trainset.from_frame(planted_frame(), (1, 5))
    m = make_model("svd")
    with budget_scope(1024), pytest.raises(ModelTooLarge, match="'svd'"):
        m.fit(ts)
    assert not hasattr(m, "trainset_") and not hasattr(m, "pu_")
    with budget_scope("1G"):
        assert m.fit(ts).pu_.shape[0] == ts.n_users


def test_refused_fit_leaves_the_workspace_unchanged(tmp_path):
    """Fitting and registering a model whose envelope exceeds the budget changes nothing on disk."""
    from recsys_core.data.io import load_path
    from recsys_core.store import open_workspace

    ws = open_workspace(tmp_path / "ws")
    ds = load_path(ROOT / "tests" / "data" / "tiny_ratings.csv")
    version = ws.add_version(ds, note="tiny")
    ok = make_model("bias").fit(Trainset.from_dataset(ds))
    ws.register_model(ok, "bias", {}, version)
    before = (ws.list_models().copy(), ws.list_versions().copy(), ws.events().copy())
    files_before = sorted((p.relative_to(tmp_path), p.stat().st_size) for p in tmp_path.rglob("*") if p.is_file())

    def fit_and_register(name):
        model = make_model(name).fit(Trainset.from_dataset(ds))
        return ws.register_model(model, name, {}, version)

    with budget_scope(base_memory(6, 6, 24) + 1), pytest.raises(ModelTooLarge):
        fit_and_register("autorec-i")
    after = (ws.list_models(), ws.list_versions(), ws.events())
    for b, a in zip(before, after):
        pd.testing.assert_frame_equal(b.reset_index(drop=True), a.reset_index(drop=True))
    files_after = sorted((p.relative_to(tmp_path), p.stat().st_size) for p in tmp_path.rglob("*") if p.is_file())
    assert files_after == files_before


def _evaluate_cli(models: str, budget: int, *extra, time_budget: str | None = None):
    tiny = ROOT / "tests" / "data" / "tiny_ratings.csv"
    env = {**__import__("os").environ, "CINELENS_MEMORY_BUDGET": str(budget)}
    env.pop("CINELENS_TIME_BUDGET", None)
    if time_budget is not None:
        env["CINELENS_TIME_BUDGET"] = time_budget
    return subprocess.run(
        [sys.executable, "-m", "recsys_core", "evaluate", str(tiny), "--models", models, "--folds", "2", *extra],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )


def test_cli_evaluate_skips_a_model_over_the_budget_and_runs_the_rest(tmp_path):
    budget = base_memory(6, 6, 24) + 1000  # baseline and bias fit (their envelope is the base); AutoRec does not
    need = model_cost("autorec-i", 6, 6, 24).memory_bytes
    out = tmp_path / "out.json"
    r = _evaluate_cli("baseline,autorec-i,bias", budget, "--json", str(out))
    assert r.returncode == 0, r.stderr
    skip_line = next(line for line in r.stderr.splitlines() if line.startswith("skipped autorec-i: "))
    assert f"would need about {format_bytes(need)}" in skip_line
    assert f"over the budget of {format_bytes(budget)}" in skip_line
    assert "models that fit this dataset: " in skip_line and "baseline" in skip_line
    folds_run = [line for line in r.stderr.splitlines() if line.startswith("[") and "fold" in line]
    assert len(folds_run) == 4 and not any("autorec" in line for line in folds_run)  # 2 models x 2 folds
    assert "# autorec-i: skipped, model 'autorec-i' would need about" in r.stdout
    res = __import__("json").loads(out.read_text())
    assert [m["name"] for m in res["models"]] == ["baseline", "bias"]
    assert all(m["rmse"] is not None and len(m["folds"]) == 2 for m in res["models"])
    (skipped,) = res["skipped"]
    assert skipped["name"] == "autorec-i" and skipped["need_bytes"] == need and skipped["budget_bytes"] == budget
    assert "baseline" in skipped["fits"] and "bias" in skipped["fits"] and "autorec-i" not in skipped["fits"]
    assert skipped["reason"] == skip_line.removeprefix("skipped autorec-i: ")


def test_cli_evaluate_refuses_when_no_model_fits():
    budget = base_memory(6, 6, 24) + 1000
    r = _evaluate_cli("autorec-i,autorec-u", budget)
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert lines[-1].startswith("error: no model fits the memory budget: model 'autorec-i' would need about")
    assert "model 'autorec-u' would need about" in lines[-1]
    assert not any(line.startswith("[") for line in lines)  # refused before the first fold started


# ---------------------------------------------------------------------------- the time budget
ML25M = (162_540, 59_047, 25_000_095)  # MovieLens-25M's shape (users, films, ratings)
ML100K = (943, 1_682, 100_000)
WIDE100K = (16_554, 10_445, 100_000)  # the sparse, wide 100K of the README's Scale section


def test_parse_time_budget_units():
    assert parse_time_budget("30m") == 1800
    assert parse_time_budget("2h") == 7200
    assert parse_time_budget("900s") == 900
    assert parse_time_budget("900") == 900
    assert parse_time_budget(" 1.5 h ") == 5400
    assert parse_time_budget("90min") == 5400
    assert parse_time_budget(600) == 600.0 and parse_time_budget(0.5) == 0.5
    for bad in ("soon", "-5m", "0", "0s", "10x", "m", "", "1d", "2h30m", 0, -1, float("inf"), True):
        with pytest.raises(ValueError, match="time budget"):
            parse_time_budget(bad)


def test_format_seconds():
    assert format_seconds(0.0033) == "0.0033 s"
    assert format_seconds(50.2) == "50 s"
    assert format_seconds(60) == "1 min"
    assert format_seconds(700) == "11 min 40 s"
    assert format_seconds(1800) == "30 min"
    assert format_seconds(3600) == "1 h"
    assert format_seconds(5274.4) == "1 h 28 min"


def test_time_budget_from_env_default_and_scope(monkeypatch):
    monkeypatch.delenv("CINELENS_TIME_BUDGET", raising=False)
    assert time_budget() == 1800.0  # 30 minutes a fit
    monkeypatch.setenv("CINELENS_TIME_BUDGET", "2h")
    assert time_budget() == 7200.0
    with time_budget_scope("10m"):
        assert time_budget() == 600.0
        with time_budget_scope(None):
            assert time_budget() == 7200.0
        with budget_scope("1G"):  # the memory scope leaves the time budget alone
            assert time_budget() == 600.0 and memory_budget() == GB
    assert time_budget() == 7200.0
    monkeypatch.setenv("CINELENS_TIME_BUDGET", "later")
    with pytest.raises(ValueError, match="CINELENS_TIME_BUDGET: cannot read time budget 'later'"):
        time_budget()


def test_time_refusal_names_model_declared_time_budget_and_fits():
    memory = 12 * GB
    cost = model_cost("svdpp", *ML25M)
    assert cost.memory_bytes <= memory < model_cost("slopeone", *ML25M).memory_bytes
    with pytest.raises(ModelTooSlow) as err:
        check_fits("svdpp", *ML25M, budget=memory, time_budget=1800)
    e = err.value
    assert isinstance(e, ModelTooLarge) and isinstance(e, ValueError)  # every caller's except still applies
    assert e.resource == "time" and e.model == "svdpp"
    assert e.need_seconds == pytest.approx(cost.fit_seconds) and e.budget_seconds == 1800
    assert e.need_bytes == cost.memory_bytes and e.budget_bytes == memory
    assert e.fits == models_that_fit(*ML25M, budget=memory, time_budget=1800)
    msg = str(e)
    assert msg.startswith(f"model 'svdpp' would take about {format_seconds(cost.fit_seconds)} to fit on 2 cores")
    assert format_seconds(cost.fit_seconds) == "2 h 13 min"
    assert "over the time budget of 30 min" in msg and "SVD++ time grows with ratings x items per user" in msg
    assert "models that fit this dataset: " + ", ".join(e.fits) in msg
    assert "CINELENS_TIME_BUDGET" in msg and "\n" not in msg
    # over both budgets: the memory refusal comes first (it is the one that would kill the process)
    assert model_cost("slopeone", *ML25M).fit_seconds > 1800
    with pytest.raises(ModelTooLarge) as err:
        check_fits("slopeone", *ML25M, budget=memory, time_budget=1800)
    assert not isinstance(err.value, ModelTooSlow) and err.value.resource == "memory"
    # a budget above the declared time admits it; an instance's own parameters count
    assert check_fits("svdpp", *ML25M, budget=memory, time_budget="3h").fit_seconds == pytest.approx(cost.fit_seconds)
    fewer = make_model("svdpp", n_epochs=2)
    assert check_model(fewer, *ML25M, budget=memory, time_budget=1800).fit_seconds < 1800


def test_at_the_25m_shape_the_default_time_budget_admits_exactly_these(monkeypatch):
    """MovieLens-25M's shape under a 12 GB memory budget (half of a 24 GB machine) and the default
    30-minute time budget: the fast models are admitted, the rest refused with their reason."""
    monkeypatch.delenv("CINELENS_TIME_BUDGET", raising=False)
    memory = 12 * GB
    fits = models_that_fit(*ML25M, budget=memory)
    assert fits == [
        "baseline", "bias", "popularity", "random", "svd", "usercf", "itemcf", "nmf", "coclustering", "als", "bpr",
        "lmf",
    ]  # fmt: skip
    for name in ("svd", "als", "bpr", "itemcf", "popularity", "baseline"):  # the six
        assert check_fits(name, *ML25M, budget=memory).fit_seconds <= 1800
    for name in ("svdpp", "autorec-i", "autorec-u"):  # within 12 GB, declared over 30 minutes
        with pytest.raises(ModelTooSlow) as err:
            check_fits(name, *ML25M, budget=memory)
        assert err.value.need_seconds > 1800 and err.value.fits == fits
    for name in ("slopeone", "knnbaseline", "content", "ease", "hybrid"):  # over 12 GB
        with pytest.raises(ModelTooLarge) as err:
            check_fits(name, *ML25M, budget=memory)
        assert err.value.resource == "memory" and err.value.fits == fits
    assert set(fits) | {"svdpp", "autorec-i", "autorec-u", "slopeone", "knnbaseline", "content", "ease",
                        "hybrid"} == set(REGISTRY)  # fmt: skip


@pytest.mark.parametrize("shape", [ML100K, WIDE100K, (610, 9_742, 100_836)], ids=["ml100k", "wide100k", "610x9742"])
def test_the_default_time_budget_refuses_nothing_at_100k(monkeypatch, shape):
    """The demo-sized and README comparison shapes: the time budget changes nothing there."""
    monkeypatch.delenv("CINELENS_TIME_BUDGET", raising=False)
    memory = 12 * GB
    assert models_that_fit(*shape, budget=memory) == models_that_fit(*shape, budget=memory, time_budget=10**9)
    assert "ease" in models_that_fit(*shape, budget=memory) and "hybrid" in models_that_fit(*shape, budget=memory)


def test_fit_refuses_over_time_before_any_work():
    ts = Trainset.from_frame(planted_frame(), (1, 5))
    m = make_model("svd")
    need = type(m).cost(ts.n_users, ts.n_items, ts.n_ratings).fit_seconds
    with time_budget_scope(need / 2), pytest.raises(ModelTooSlow, match="'svd' would take about"):
        m.fit(ts)
    assert not hasattr(m, "trainset_") and not hasattr(m, "pu_")
    with time_budget_scope(need * 2):
        assert m.fit(ts).pu_.shape[0] == ts.n_users


def test_cli_evaluate_skips_a_model_over_the_time_budget(tmp_path):
    seconds = 0.001  # baseline's declared fit on the tiny file is 6e-05 s, AutoRec's 0.0033 s
    need = model_cost("autorec-i", 6, 6, 24).fit_seconds
    assert model_cost("baseline", 6, 6, 24).fit_seconds < seconds < need
    out = tmp_path / "out.json"
    r = _evaluate_cli("baseline,autorec-i", 16 * GB, "--json", str(out), time_budget=str(seconds))
    assert r.returncode == 0, r.stderr
    skip_line = next(line for line in r.stderr.splitlines() if line.startswith("skipped autorec-i: "))
    assert f"would take about {format_seconds(need)} to fit" in skip_line and "time budget of 0.001 s" in skip_line
    res = __import__("json").loads(out.read_text())
    assert [m["name"] for m in res["models"]] == ["baseline"]
    (skipped,) = res["skipped"]
    assert skipped["budget"] == "time" and skipped["need_seconds"] == pytest.approx(need)
    assert skipped["budget_seconds"] == pytest.approx(seconds) and "baseline" in skipped["fits"]


def test_cli_evaluate_refuses_when_no_model_fits_the_time_budget():
    r = _evaluate_cli("autorec-i,autorec-u", 16 * GB, time_budget="0.001")
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert [line.split(":")[0] for line in lines] == ["skipped autorec-i", "skipped autorec-u", "error"]
    assert lines[-1].startswith("error: no model fits the time budget: model 'autorec-i' would take about 0.0033 s")
    assert "model 'autorec-u' would take about" in lines[-1] and "CINELENS_TIME_BUDGET" in lines[-1]
    assert not r.stdout  # refused before the first fold started


def test_cli_audience_over_the_time_budget_exits_2_and_leaves_the_workspace_unchanged(tmp_path):
    """A scorer over CINELENS_TIME_BUDGET: one line, exit 2, no export written, the workspace as it was."""
    from recsys_core.data.io import load_path
    from recsys_core.store import open_workspace

    ws_dir = tmp_path / "ws"
    ws = open_workspace(ws_dir)
    ws.add_version(load_path(ROOT / "tests" / "data" / "tiny_ratings.csv"), note="tiny")
    ws.close()
    files_before = sorted((p.relative_to(tmp_path), p.stat().st_size) for p in tmp_path.rglob("*") if p.is_file())
    out = tmp_path / "audience.csv"
    r = subprocess.run(
        [sys.executable, "-m", "recsys_core", "audience", str(ROOT / "tests" / "data" / "tiny_ratings.csv"),
         "--item", "i1", "--model", "autorec-i", "--out", str(out), "--workspace", str(ws_dir)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
        env={**__import__("os").environ, "CINELENS_TIME_BUDGET": "0.001"},
    )  # fmt: skip
    assert r.returncode == 2, r.stdout + r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert "'autorec-i' would take about" in lines[0] and "over the time budget of 0.001 s" in lines[0]
    assert not out.exists()
    files_after = sorted((p.relative_to(tmp_path), p.stat().st_size) for p in tmp_path.rglob("*") if p.is_file())
    assert files_after == files_before
