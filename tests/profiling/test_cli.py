"""The segment and audience commands, run as a user would (python -m recsys_core ...)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from recsys_core.audit import read_exports
from recsys_core.profiling.audience import pseudonymise
from recsys_core.store import open_workspace

from .conftest import planted_dataset

ROOT = Path(__file__).resolve().parents[2]


def run_cli(*args):
    """A real ``python -m recsys_core`` process."""
    return subprocess.run(
        [sys.executable, "-m", "recsys_core", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env=dict(os.environ),
    )


def run_main(capsys, *args):
    """The same command line in this process (faster): returns (exit code, stdout, stderr)."""
    from recsys_core.__main__ import main

    code = main([str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    ds, truth = planted_dataset(own=20)
    d = tmp_path_factory.mktemp("planted")
    inter = ds.interactions[["user_id", "item_id", "rating", "timestamp"]]
    inter.to_csv(d / "interactions.csv", index=False)
    items = ds.items.assign(genres=ds.items["genres"].map("|".join), people="")
    items.to_csv(d / "items.csv", index=False)
    ds.users.to_csv(d / "users.csv", index=False)
    return d, truth


def test_segment_json(folder, tmp_path, capsys):
    d, truth = folder
    out = tmp_path / "seg.json"
    code, stdout, err = run_main(capsys, "segment", d, "--k", "auto", "--k-max", "5", "--json", out)
    assert code == 0, err
    assert stdout.startswith("k=3")
    res = json.loads(out.read_text(encoding="utf-8"))
    assert res["k"] == 3 and 0 < res["silhouette"] <= 1
    assert [s["size"] for s in res["segments"]] == [40, 40, 40]
    assert {frozenset(s["top_genres"][:2]) for s in res["segments"]} == {
        frozenset({"科幻", "动作"}),
        frozenset({"爱情", "剧情"}),
        frozenset({"喜剧", "动画"}),
    }
    assert len({s["name"] for s in res["segments"]}) == 3
    assert [c["k"] for c in res["silhouette_curve"]] == [2, 3, 4, 5]


def test_audience_export_pseudonymised_by_default(folder, tmp_path):
    d, truth = folder
    ws_path = tmp_path / "ws"
    out = tmp_path / "aud.csv"
    r = run_cli(
        "audience",
        str(d),
        "--item",
        "F25",
        "--model",
        "neighbour",
        "--top",
        "5",
        "--out",
        str(out),
        "--workspace",
        str(ws_path),
    )
    assert r.returncode == 0, r.stderr
    got = pd.read_csv(out, dtype=str, encoding="utf-8-sig")
    assert list(got.columns) == ["user_pseudonym", "score", "rank", "percentile"] and len(got) == 5
    raw_out = tmp_path / "raw.csv"
    r = run_cli(
        "audience", str(d), "--item", "F25", "--model", "neighbour", "--top", "5", "--out", str(raw_out), "--raw-ids",
        "--workspace", str(ws_path),
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    raw = pd.read_csv(raw_out, dtype=str, encoding="utf-8-sig")
    # both exports are in the workspace's export audit log, newest first
    log = read_exports(ws_path)
    assert log["what"].tolist() == ["audience of film F25", "audience of film F25"]
    assert log["rows"].tolist() == [5, 5] and log["pseudonymised"].tolist() == [False, True]
    assert log["target"].tolist() == [str(raw_out), str(out)] and log["format"].tolist() == ["csv", "csv"]
    assert all(log["who"].str.startswith("cli:"))
    assert not set(raw["user_id"]) & set(got["user_pseudonym"])
    assert got["user_pseudonym"].tolist() == pseudonymise(raw["user_id"], open_workspace(ws_path).secret("pseudonym"))
    # nobody who rated F25 is in its audience
    inter = pd.read_csv(d / "interactions.csv", dtype=str)
    assert not set(raw["user_id"]) & set(inter.loc[inter["item_id"] == "F25", "user_id"])


def test_audience_evaluate_json(folder, tmp_path, capsys):
    d, _ = folder
    out = tmp_path / "ev.json"
    code, _, err = run_main(
        capsys,
        "audience",
        d,
        "--evaluate",
        "--items",
        "2",
        "--model",
        "neighbour",
        "--min-likers",
        "5",
        "--seed",
        "3",
        "--json",
        out,
    )
    assert code == 0, err
    res = json.loads(out.read_text(encoding="utf-8"))
    assert {"items", "lift_at_10pct", "popularity_lift_at_10pct", "random_lift_at_10pct", "per_item"} <= set(res)
    assert res["items"] == 2 and len(res["per_item"]) == 2
    assert res["lift_at_10pct"] > res["popularity_lift_at_10pct"]


@pytest.mark.parametrize(
    "args,needle",
    [
        (("segment", "{d}", "--k", "x"), "--k must be 'auto' or a whole number"),
        (("audience", "{d}", "--item", "nope"), "has no ratings in this dataset"),
        (("audience", "{d}", "--item", "F00", "--model", "nope"), "unknown --model 'nope'"),
        (("audience", "{d}", "--evaluate", "--min-likers", "999"), "no film has at least 999 likers"),
    ],
)
def test_errors_are_one_line(folder, args, needle, capsys):
    d, _ = folder
    code, _, err = run_main(capsys, *[a.format(d=d) for a in args])
    assert code == 2
    lines = err.strip().splitlines()
    assert lines[-1].startswith("error: ") and needle in lines[-1], err
