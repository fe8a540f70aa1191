"""Safe CSV / Excel export and the ``clean`` command."""

import io
import json
import subprocess
import sys
from pathlib import Path

import openpyxl
import pandas as pd

from recsys_core.data.export import neutralise_cell, neutralise_frame, to_csv_bytes, to_excel_bytes

ROOT = Path(__file__).resolve().parents[2]


def test_neutralise_cells():
    assert [
        neutralise_cell(v) for v in ["=1+1", "+cmd", "-x", "@SUM(A1)", "\tx", "\rx", "ok", "-3", "+1.5", 7, None]
    ] == ["'=1+1", "'+cmd", "'-x", "'@SUM(A1)", "'\tx", "'\rx", "ok", "-3", "+1.5", 7, None]


def test_csv_has_bom_and_neutralised_cells_numbers_stay_numbers():
    df = pd.DataFrame(
        {
            "user_id": ['=HYPERLINK("x")', "2"],
            "rating": [-1.5, 4.0],
            "text": ["@me", "好看"],
            "genres": [["剧情", "爱情"], []],
        }
    )
    b = to_csv_bytes(df)
    assert b.startswith(b"\xef\xbb\xbf")
    back = pd.read_csv(io.BytesIO(b), encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert back["user_id"].tolist() == ['\'=HYPERLINK("x")', "2"]
    assert back["rating"].tolist() == ["-1.5", "4.0"]
    assert back["text"].tolist() == ["'@me", "好看"]
    assert back["genres"].tolist() == ["剧情|爱情", ""]
    assert df["user_id"].iloc[0] == '=HYPERLINK("x")'  # input untouched
    assert neutralise_frame(df)["rating"].dtype == "float64"


def test_excel_cells_are_text_not_formulas():
    df = pd.DataFrame({"user_id": ["=1+2", "u2"], "rating": [4.0, -2.0], "when": pd.to_datetime(["2021-01-01", None])})
    wb = openpyxl.load_workbook(io.BytesIO(to_excel_bytes({"interactions": df})))
    ws = wb["interactions"]
    assert ws["A2"].value == "'=1+2" and ws["A2"].data_type == "s"
    assert ws["B3"].value == -2 and ws["B3"].data_type == "n"


def run_cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "recsys_core", *args], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def test_cli_clean_report_and_out(tmp_path):
    src = tmp_path / "影评.csv"
    src.write_bytes(
        "用户ID,电影ID,评分,短评,时间\n1,10,力荐,=cmd,2021年3月31日\n1,10,4,,2021-04-02\n2,11,★★★,好,\n,12,3,,\n".encode(
            "gbk"
        )
    )
    before = src.read_bytes()
    out, rep = tmp_path / "clean.csv", tmp_path / "r.json"
    r = run_cli("clean", str(src), "--out", str(out), "--report", str(rep), "--raw-ids", "--workspace", str(tmp_path))
    assert r.returncode == 0, r.stderr
    printed = json.loads(r.stdout)
    saved = json.loads(rep.read_text(encoding="utf-8"))
    assert printed == saved
    assert (
        saved["source"]["encoding"] == "GBK"
        and saved["source"]["format"] == "csv"
        and saved["source"]["delimiter"] == ","
    )
    assert saved["source"]["mapping"]["user_id"] == "用户ID"
    assert (saved["rows_in"], saved["rows_out"]) == (4, 2)
    assert saved["rating_scale"] == {"detected": [1.0, 5.0], "normalised_to": [1.0, 5.0]}
    names = [s["name"] for s in saved["steps"]]
    assert names[:3] == ["exact_duplicates", "normalise_ids", "missing_ids"]
    assert all({"name", "rows_affected", "examples"} <= set(s) for s in saved["steps"])
    assert src.read_bytes() == before
    data = pd.read_csv(out, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")
    assert data[["user_id", "item_id", "rating", "text"]].values.tolist() == [
        ["1", "10", "4.0", "'=cmd"],
        ["2", "11", "3.0", "好"],
    ]


def test_cli_clean_errors_are_one_line(tmp_path):
    empty = tmp_path / "e.csv"
    empty.write_bytes(b"")
    for args, needle in [
        ((str(empty),), "empty"),
        (("/no/such.csv",), "no such file"),
        ((str(empty), "--scale", "5,1"), "--scale"),
    ]:
        r = run_cli("clean", *args)
        assert r.returncode == 2
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: ") and needle in lines[0]
        assert "Traceback" not in r.stderr


def test_cli_clean_mapping_and_scale(tmp_path):
    src = tmp_path / "x.txt"
    src.write_text("a|b|c\nu1|f1|10\nu2|f1|1\nu2|f2|4\n", encoding="utf-8")
    r = run_cli(
        "clean",
        str(src),
        "--map",
        "user=a,item=b,rating=c",
        "--scale",
        "1,5",
        "--quiet",
        "--out",
        str(tmp_path / "o.xlsx"),
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "3 rows in, 3 rows out"
    wb = openpyxl.load_workbook(tmp_path / "o.xlsx")
    vals = [row[2] for row in wb["interactions"].iter_rows(min_row=2, values_only=True)]
    assert vals == [5.0, 1.0, 1 + 3 / 9 * 4] or vals[:2] == [5, 1]
