"""All UI strings: one table, Chinese first, English second. ``t(key, **fmt)`` picks the session language."""
from __future__ import annotations

import streamlit as st

# key: (中文, English)
STRINGS: dict[str, tuple[str, str]] = {
    # --- app frame -------------------------------------------------------------------------
    "app.title": ("CineLens 影镜", "CineLens"),
    "app.tagline": ("电影受众与推荐实验室", "Film audience & recommendation lab"),
    "app.language": ("语言 / Language", "Language / 语言"),
    "app.dataset": ("当前数据集", "Active dataset"),
    "app.no_dataset": ("工作区里还没有数据集。", "The workspace has no dataset yet."),
    "app.synthetic": ("合成演示数据（非真实用户）", "Synthetic demo data (not real users)"),
    "app.version_label": ("{version} · {name} · {rows:,} 行", "{version} · {name} · {rows:,} rows"),
    "app.workspace": ("工作区：{path}", "Workspace: {path}"),
    "nav.data": ("数据", "Data"),
    "nav.audience": ("受众画像", "Audience"),
    "nav.reviews": ("影评分析", "Reviews"),
    "nav.models": ("模型对比", "Models"),
    "nav.recommend": ("个性化推荐", "Recommend"),
    "common.need_data": ("请先在「数据」页载入或选择一个数据集。", "Load or choose a dataset on the Data page first."),
    "common.go_data": ("前往数据页", "Go to the Data page"),
    "common.need_ratings": ("当前数据集没有评分，这一页需要评分数据。", "This dataset has no ratings; this page needs them."),
    "common.error": ("出错了：{msg}", "Something went wrong: {msg}"),
    "common.users": ("用户", "Users"),
    "common.items": ("影片", "Films"),
    "common.ratings": ("评分", "Ratings"),
    "common.reviews": ("短评", "Reviews"),
    "common.run": ("开始", "Run"),
    "common.download_csv": ("下载 CSV", "Download CSV"),
    "common.download_json": ("下载 JSON", "Download JSON"),
}


def lang() -> str:
    return st.session_state.get("lang", "zh")


def t(key: str, **fmt) -> str:
    pair = STRINGS.get(key)
    if pair is None:
        return key
    text = pair[0] if lang() == "zh" else pair[1]
    return text.format(**fmt) if fmt else text


def pick(zh: str, en: str) -> str:
    """For strings built from data (names, generated summaries) rather than the fixed table."""
    return zh if lang() == "zh" else en
