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
    base_memory,
    budget_scope,
    check_fits,
    format_bytes,
    memory_budget,
    model_cost,
    models_that_fit,
    parse_budget,
    physical_memory,
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


def _evaluate_cli(models: str, budget: int, *extra):
    tiny = ROOT / "tests" / "data" / "tiny_ratings.csv"
    return subprocess.run(
        [sys.executable, "-m", "recsys_core", "evaluate", str(tiny), "--models", models, "--folds", "2", *extra],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**__import__("os").environ, "CINELENS_MEMORY_BUDGET": str(budget)},
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
