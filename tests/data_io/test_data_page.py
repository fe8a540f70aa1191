"""Data page AppTest: upload -> map -> clean -> save, versions and bad input."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from recsys_core.store import open_workspace
from tests.pages import seek
from ui.state import K

ROOT = Path(__file__).resolve().parents[2]
GBK = "用户ID,电影ID,评分,短评,时间\n1,10,力荐,<b>好看</b>,2021年3月31日\n1,10,4,,2021-04-02\n2,11,★★★,一般,\n,12,3,,\n3,12,x,,\n".encode(
    "gbk"
)


PAGE_SCRIPT = """
import runpy
from ui.state import init_state
init_state()
runpy.run_path("views/1_data.py", run_name="__main__")
"""


@pytest.fixture
def app(tmp_path, monkeypatch):
    monkeypatch.setenv("CINELENS_WORKSPACE", str(tmp_path / "ws"))
    monkeypatch.chdir(ROOT)
    # the page on its own (the router needs every other page); state defaults as app.py sets them
    at = AppTest.from_string(PAGE_SCRIPT, default_timeout=120)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def frame(at, column):
    """The first dataframe shown that has this column (dataframes carry no key in AppTest)."""
    return seek(at, K.DATA_TABS, lambda: next(d.value for d in at.dataframe if column in d.value.columns), 4)


def metric(at, label):
    return seek(at, K.DATA_TABS, lambda: next(m.value for m in at.metric if m.label == label), 4)


def test_upload_clean_save(app, tmp_path):
    at = app
    assert at.title[0].value == ":material/database: 数据"
    assert metric(at, "用户") == "800"  # the demo data is active
    seek(at, K.DATA_TABS, lambda: at.file_uploader(key="data_upload"), 4).set_value(("影评.csv", GBK, "text/csv")).run()
    assert not at.exception, [e.value for e in at.exception]
    det = frame(at, "encoding")
    assert det["encoding"].tolist() == ["GBK"] and det["role"].tolist() == [
        "评分/短评"
    ]  # what the table holds, in the UI language
    seek(at, K.DATA_TABS, lambda: at.button(key="data_preview_btn"), 4).click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert metric(at, "输入行数") == "5" and metric(at, "输出行数") == "2" and metric(at, "删除行数") == "3"
    table = frame(at, "删除行数")
    assert table.iloc[2]["删除行数"] == 1  # missing id
    assert table.iloc[3]["删除行数"] == 1  # "x" is not a rating
    assert table.iloc[10]["删除行数"] == 1  # (1, 10) twice -> latest kept (step 9 is personal data)
    assert table.iloc[3]["说明"] == "3 个非数字评分，其中 1 行无法解析已删除，其余已换算成数字"
    seek(at, K.DATA_TABS, lambda: at.button(key="data_save_btn"), 4).click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("v2" in s.value and "v3" in s.value for s in at.success)
    assert seek(at, K.DATA_TABS, lambda: at.selectbox(key="data_version_pick"), 4).value == "v3"
    ws = open_workspace(tmp_path / "ws")
    v = ws.list_versions()
    assert v["kind"].tolist() == ["demo", "raw", "cleaned"]
    assert v["rows"].tolist()[1:] == [4, 2]  # the raw version keeps every row with both ids
    assert ws.active_version() == "v1"  # saving switches this session only; the default stays
    ds = ws.load_version("v3")
    assert ds.interactions["rating"].tolist() == [4.0, 3.0]
    assert ds.interactions["text"].tolist() == ["好看", "一般"]
    assert ws.get_report("v3")["rows_out"] == 2
    # the overview now shows the cleaned version
    assert metric(at, "用户") == "2" and metric(at, "评分") == "2"


def test_unknown_columns_mapping_form_and_saved_mapping(app, tmp_path):
    at = app
    data = b"a,b,c\nx,y,5\nz,y,4\n"
    seek(at, K.DATA_TABS, lambda: at.file_uploader(key="data_upload"), 4).set_value(("odd.csv", data, "text/csv")).run()
    assert any("请指定" in i.value for i in at.info)
    sel = [s for s in at.selectbox if s.key and s.key.startswith("data_map_") and s.key.endswith("_user_id")][0]
    sel.set_value("a").run()
    [s for s in at.selectbox if s.key and s.key.endswith("_interactions_item_id")][0].set_value("b").run()
    [s for s in at.selectbox if s.key and s.key.endswith("_interactions_rating")][0].set_value("c").run()
    prev = next(d.value for d in at.dataframe if d.value.columns.tolist()[:1] == ["user_id"] and len(d.value) == 2)
    assert prev.columns.tolist() == ["user_id", "item_id", "rating"] and prev["user_id"].tolist() == ["x", "z"]
    [t for t in at.text_input if t.key and t.key.endswith("_name")][0].set_value("odd").run()
    [b for b in at.button if b.key and b.key.endswith("_save") and b.key.startswith("data_map_")][0].click().run()
    assert open_workspace(tmp_path / "ws").mappings()["odd"]["mapping"] == {
        "user_id": "a",
        "item_id": "b",
        "rating": "c",
    }
    seek(at, K.DATA_TABS, lambda: at.button(key="data_preview_btn"), 4).click().run()
    assert metric(at, "输出行数") == "2"


def test_bad_upload_one_line_error_and_workspace_unchanged(app, tmp_path):
    at = app
    seek(at, K.DATA_TABS, lambda: at.file_uploader(key="data_upload"), 4).set_value(
        ("cut.json", b'[{"user": 1, "item": ', "application/json")
    ).run()
    assert not at.exception
    errs = [e.value for e in at.error]
    assert len(errs) == 1 and "cut.json" in errs[0] and "invalid JSON" in errs[0] and "\n" not in errs[0]
    assert open_workspace(tmp_path / "ws").list_versions()["version_id"].tolist() == ["v1"]


def test_versions_switch_compare_delete(app, tmp_path):
    at = app
    seek(at, K.DATA_TABS, lambda: at.file_uploader(key="data_upload"), 4).set_value(
        ("r.csv", b"user_id,item_id,rating\n1,2,3\n1,3,4\n", "text/csv")
    ).run()
    seek(at, K.DATA_TABS, lambda: at.button(key="data_preview_btn"), 4).click().run()
    seek(at, K.DATA_TABS, lambda: at.button(key="data_save_btn"), 4).click().run()
    vers = frame(at, "kind")
    assert vers["kind"].tolist() == ["演示数据", "原始上传", "清洗后"]
    assert vers["parent"].tolist() == ["—", "—", "v2"]
    assert vers["note"].tolist() == ["合成演示数据", "按读取原样保存的上传", "清洗后"]
    cmp = frame(at, "measure").set_index("measure")
    assert cmp.loc["评分/短评行数", "a"] == "2" and cmp.loc["评分/短评行数", "b"] == "2"
    assert cmp.loc["只在 A 中的（用户, 影片）对", "a"] == "0" and cmp.loc["平均评分", "b"] == "3.5"
    seek(at, K.DATA_TABS, lambda: at.selectbox(key="data_version_pick"), 4).set_value("v1").run()
    seek(at, K.DATA_TABS, lambda: at.button(key="data_activate"), 4).click().run()
    assert at.session_state["dataset_version"] == "v1"
    assert metric(at, "用户") == "800"
    assert (
        seek(at, K.DATA_TABS, lambda: at.button(key="data_activate"), 4).disabled
        and seek(at, K.DATA_TABS, lambda: at.button(key="data_make_default"), 4).disabled
    )
    seek(at, K.DATA_TABS, lambda: at.selectbox(key="data_version_pick"), 4).set_value("v3").run()
    seek(at, K.DATA_TABS, lambda: at.button(key="data_make_default"), 4).click().run()
    assert open_workspace(tmp_path / "ws").active_version() == "v3"
    assert at.session_state["dataset_version"] == "v1"  # making a default does not switch this session
    seek(at, K.DATA_TABS, lambda: at.selectbox(key="data_version_pick"), 4).set_value("v2").run()
    seek(at, K.DATA_TABS, lambda: at.checkbox(key="data_delete_confirm"), 4).check().run()
    seek(at, K.DATA_TABS, lambda: at.button(key="data_delete"), 4).click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert open_workspace(tmp_path / "ws").list_versions()["version_id"].tolist() == ["v1", "v3"]


def test_encoding_override(app):
    at = app
    data = "user_id,item_id,rating\n甲,乙,5\n".encode("gbk")
    seek(at, K.DATA_TABS, lambda: at.file_uploader(key="data_upload"), 4).set_value(("r.csv", data, "text/csv")).run()
    assert frame(at, "encoding")["encoding"].tolist() == ["GBK"]
    seek(at, K.DATA_TABS, lambda: at.selectbox(key="data_encoding"), 4).set_value("Latin-1").run()
    assert not at.exception
    assert frame(at, "encoding")["encoding"].tolist() == ["Latin-1"]
    seek(at, K.DATA_TABS, lambda: at.selectbox(key="data_encoding"), 4).set_value("UTF-8").run()
    errs = [e.value for e in at.error]
    assert len(errs) == 1 and "cannot be read as UTF-8" in errs[0]


def test_several_files_one_dataset_with_join_report(app, tmp_path):
    at = app
    ratings = "用户ID,电影ID,评分\n1,10,4\n1,99,5\n2,10,3\n".encode()
    films = "电影ID,片名,类型\n10,甲,剧情\n11,乙,喜剧\n".encode()
    seek(at, K.DATA_TABS, lambda: at.file_uploader(key="data_upload"), 4).set_value(
        [("ratings.csv", ratings, "text/csv"), ("films.csv", films, "text/csv")]
    ).run()
    roles = frame(at, "encoding").set_index("table")["role"].to_dict()
    assert roles == {"ratings.csv": "评分/短评", "films.csv": "影片信息"}
    seek(at, K.DATA_TABS, lambda: at.button(key="data_preview_btn"), 4).click().run()
    joins = frame(at, "without_metadata")
    assert joins["without_metadata"].tolist() == [1] and joins["examples_without_metadata"].tolist() == ["99"]
    assert joins["metadata_without_interactions"].tolist() == [1]
    seek(at, K.DATA_TABS, lambda: at.button(key="data_save_btn"), 4).click().run()
    ds = open_workspace(tmp_path / "ws").load_version("v3")
    assert ds.items.set_index("item_id").loc["10", "title"] == "甲"
    assert sorted(ds.interactions["item_id"]) == ["10", "10", "99"]


def test_several_files_with_a_dense_one_name_the_real_reason(app, tmp_path, monkeypatch):
    """A dense CSV under CINELENS_STREAM_BYTES beside other files: the message names the memory it would take read
    whole and the limit (not the size threshold), the file to upload alone, and the others."""
    from recsys_core.data.limits import human_bytes
    from recsys_core.data.readers import text_memory

    ratings = "用户ID,电影ID,评分\n".encode() + b"".join(
        b"%d,%d,%d\n" % (k % 50, k % 70, k % 5 + 1) for k in range(400)
    )
    films = "电影ID,片名\n10,甲\n".encode()
    monkeypatch.setenv("CINELENS_MAX_UPLOAD_MEMORY", str(100 * 1024**2))  # under the fixed part of the estimate
    at = app
    seek(at, K.DATA_TABS, lambda: at.file_uploader(key="data_upload"), 4).set_value(
        [("films.csv", films, "text/csv"), ("ratings.csv", ratings, "text/csv")]
    ).run()
    assert not at.exception, [e.value for e in at.exception]
    errors = [e.value.replace("\\", "") for e in at.error]  # names are markdown-escaped
    need = human_bytes(text_memory(ratings, len(ratings)))
    assert len(errors) == 1 and f"ratings.csv（{human_bytes(len(ratings))}）整体读入约需 {need} 内存" in errors[0]
    assert (
        "上限 100 MB，CINELENS_MAX_UPLOAD_MEMORY" in errors[0]
        and "请只上传 ratings.csv，不要同时上传 films.csv" in errors[0]
    )
    assert "64 MB" not in errors[0]
    # past the size threshold instead: that is the reason given
    monkeypatch.delenv("CINELENS_MAX_UPLOAD_MEMORY")
    monkeypatch.setenv("CINELENS_STREAM_BYTES", "2048")
    at.file_uploader(key="data_upload").set_value(
        [("films.csv", films, "text/csv"), ("ratings.csv", ratings, "text/csv")]
    ).run()
    errors = [e.value.replace("\\", "") for e in at.error]  # names are markdown-escaped
    assert len(errors) == 1 and f"ratings.csv（{human_bytes(len(ratings))}）不小于 2 KB" in errors[0]
    assert open_workspace(tmp_path / "ws").list_versions()["kind"].tolist() == ["demo"]  # nothing added


def test_english_labels(app):
    at = app
    at.session_state["lang"] = "en"
    at.run()
    assert at.title[0].value.endswith(" Data")
    assert [tb.label for tb in at.tabs] == ["Active data", "Upload & clean", "Versions", "Export"]
    assert metric(at, "Users") == "800"
    seek(at, K.DATA_TABS, lambda: next(c for c in at.caption if "200 MB per file" in c.value), 4)


def test_suspicious_users_flagged_then_dropped_as_a_new_version(app, tmp_path):
    at = app
    rows = ["user_id,item_id,rating,timestamp"]
    rows += [f"bot,m{i},5,2021-01-01T00:{i // 60:02d}:{i % 60:02d}" for i in range(110)]
    rows += [f"fan,m{i},{1 + i % 5},2021-0{1 + i % 9}-01T00:00:00" for i in range(30)]
    seek(at, K.DATA_TABS, lambda: at.file_uploader(key="data_upload"), 4).set_value(
        ("r.csv", ("\n".join(rows) + "\n").encode(), "text/csv")
    ).run()
    seek(at, K.DATA_TABS, lambda: at.button(key="data_preview_btn"), 4).click().run()
    sus = frame(at, "reason")
    assert sus["user_id"].tolist() == ["bot"]
    assert sus["reason"].tolist() == ["10 分钟内至少 100 条相同评分（5）"]
    seek(at, K.DATA_TABS, lambda: at.button(key="data_save_btn"), 4).click().run()
    assert metric(at, "用户") == "2"
    assert any("1 个可疑用户" in w.value and "bot" in w.value for w in at.warning)
    seek(at, K.DATA_TABS, lambda: at.button(key="data_drop_suspicious"), 4).click().run()
    assert not at.exception, [e.value for e in at.exception]
    ws = open_workspace(tmp_path / "ws")
    v = ws.list_versions()
    assert v["version_id"].tolist() == ["v1", "v2", "v3", "v4"] and v["parent"].tolist()[-1] == "v3"
    assert at.session_state["dataset_version"] == "v4" and ws.active_version() == "v1"
    assert set(ws.load_version("v4").interactions["user_id"]) == {"fan"}
    assert len(ws.load_version("v3").interactions) == 140  # the flagged version is unchanged
    assert metric(at, "用户") == "1"


PII_CSV = "user_id,item_id,rating,text\nu1,10,4,电话 13812345678 找我\nu2,11,5,好看\n".encode()


def test_personal_data_masked_by_default_and_the_switch_turns_it_off(app, tmp_path):
    at = app
    seek(at, K.DATA_TABS, lambda: at.file_uploader(key="data_upload"), 4).set_value(
        ("r.csv", PII_CSV, "text/csv")
    ).run()
    seek(at, K.DATA_TABS, lambda: at.button(key="data_preview_btn"), 4).click().run()
    assert not at.exception, [e.value for e in at.exception]
    table = frame(at, "删除行数").set_index("步骤")
    assert table.loc["个人信息", "说明"] == "1 行里的个人信息已遮盖：手机号 1（按列：评论 1）"
    assert seek(at, K.DATA_TABS, lambda: at.checkbox(key=f"{K.DATA_OPT}pii"), 4).value is True
    at.checkbox(key=f"{K.DATA_OPT}pii").uncheck().run()
    seek(at, K.DATA_TABS, lambda: at.button(key="data_preview_btn"), 4).click().run()
    table = frame(at, "删除行数").set_index("步骤")
    assert table.loc["个人信息", "说明"] == "未启用"
    seek(at, K.DATA_TABS, lambda: at.button(key="data_save_btn"), 4).click().run()
    assert not at.exception, [e.value for e in at.exception]
    ds = open_workspace(tmp_path / "ws").load_version("v3")
    assert ds.interactions["text"].tolist() == ["电话 13812345678 找我", "好看"]


def test_big_file_is_read_in_parts_with_the_same_report(app, tmp_path, monkeypatch):
    """Above the size threshold (lowered here) the page takes the streaming path: the same GBK file, the same
    detection, report and saved rows as the in-memory upload above."""
    monkeypatch.setenv("CINELENS_STREAM_BYTES", "100")
    at = app
    seek(at, K.DATA_TABS, lambda: at.file_uploader(key="data_upload"), 4).set_value(("影评.csv", GBK, "text/csv")).run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("分块读取" in i.value for i in at.info)
    det = frame(at, "encoding")
    assert det["encoding"].tolist() == ["GBK"] and det["rows"].tolist() == [5]
    seek(at, K.DATA_TABS, lambda: at.button(key="data_preview_btn"), 4).click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert metric(at, "输入行数") == "5" and metric(at, "输出行数") == "2" and metric(at, "删除行数") == "3"
    assert frame(at, "删除行数").iloc[2]["删除行数"] == 1  # missing id
    seek(at, K.DATA_TABS, lambda: at.button(key="data_save_btn"), 4).click().run()
    assert not at.exception, [e.value for e in at.exception]
    ws = open_workspace(tmp_path / "ws")
    v = ws.list_versions()
    assert v["kind"].tolist()[-2:] == ["raw", "cleaned"] and v["rows"].tolist()[-2:] == [4, 2]
    inter = ws.load_version(v["version_id"].iloc[-1]).interactions
    assert inter["user_id"].tolist() == ["1", "2"] and inter["rating"].tolist() == [4.0, 3.0]
    assert not list((tmp_path / "ws" / "cache" / "ingest").glob("*/run-*"))  # the staged cleaning is gone
    spooled = list((tmp_path / "ws" / "cache" / "ingest").glob("*/影评.csv"))
    assert [p.read_bytes() for p in spooled] == [GBK]  # the upload, spooled once, until it is removed
    at.file_uploader(key="data_upload").set_value(None).run()
    assert not any((tmp_path / "ws" / "cache" / "ingest").iterdir())


def test_dense_file_under_the_size_threshold_is_read_in_parts(app, tmp_path, monkeypatch):
    """A CSV under CINELENS_STREAM_BYTES whose expected memory read whole passes CINELENS_MAX_UPLOAD_MEMORY (lowered
    here under the fixed part of the estimate) takes the streaming path, with the same report as in memory."""
    monkeypatch.setenv("CINELENS_MAX_UPLOAD_MEMORY", str(50 * 1024**2))
    at = app
    seek(at, K.DATA_TABS, lambda: at.file_uploader(key="data_upload"), 4).set_value(("影评.csv", GBK, "text/csv")).run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("分块读取" in i.value for i in at.info)
    seek(at, K.DATA_TABS, lambda: at.button(key="data_preview_btn"), 4).click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert metric(at, "输入行数") == "5" and metric(at, "输出行数") == "2" and metric(at, "删除行数") == "3"


def test_parquet_past_the_memory_limit_is_read_in_parts(app, tmp_path, monkeypatch):
    """A Parquet file whose expected memory read whole passes CINELENS_MAX_UPLOAD_MEMORY (lowered here) is read by
    batches and cleaned in parts, behind the same progress bar, instead of being refused."""
    import io

    import pandas as pd

    buf = io.BytesIO()
    pd.DataFrame({"user": [1, 2, 3] * 100, "film": [4, 5, 6] * 100, "rating": [3, 4, 5] * 100}).to_parquet(buf)
    monkeypatch.setenv("CINELENS_MAX_UPLOAD_MEMORY", str(50 * 1024**2))
    at = app
    up = seek(at, K.DATA_TABS, lambda: at.file_uploader(key="data_upload"), 4)
    up.set_value(("many.parquet", buf.getvalue(), "application/octet-stream")).run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error and any("分块读取" in i.value for i in at.info)
    det = frame(at, "format")
    assert det["format"].tolist() == ["parquet"] and det["rows"].tolist() == [300]
    seek(at, K.DATA_TABS, lambda: at.button(key="data_preview_btn"), 4).click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert metric(at, "输入行数") == "300" and metric(at, "输出行数") == "3" and metric(at, "删除行数") == "297"
    seek(at, K.DATA_TABS, lambda: at.button(key="data_save_btn"), 4).click().run()
    assert not at.exception, [e.value for e in at.exception]
    v = open_workspace(tmp_path / "ws").list_versions()
    assert v["kind"].tolist() == ["demo", "raw", "cleaned"] and v["rows"].tolist()[-2:] == [300, 3]
