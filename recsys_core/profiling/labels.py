"""Bilingual labels for genres and traits used in persona names (Chinese first, English second)."""
from __future__ import annotations

# Chinese genre -> English, as written on Douban-like sites
GENRES_ZH_EN = {
    "剧情": "drama", "喜剧": "comedy", "动作": "action", "爱情": "romance", "科幻": "sci-fi",
    "悬疑": "mystery", "惊悚": "thriller", "动画": "animation", "犯罪": "crime", "奇幻": "fantasy",
    "战争": "war", "纪录片": "documentary", "家庭": "family", "历史": "history", "冒险": "adventure",
    "恐怖": "horror", "音乐": "music", "歌舞": "musical", "传记": "biography", "运动": "sport",
    "西部": "western", "武侠": "martial-arts", "古装": "costume", "黑色电影": "film-noir",
    "儿童": "children's", "短片": "short", "同性": "LGBT", "灾难": "disaster", "情色": "erotic",
}
_EN_ZH = {v: k for k, v in GENRES_ZH_EN.items()}
_EN_ZH.update({"children": "儿童", "children's": "儿童", "musical": "歌舞", "film-noir": "黑色电影",
               "film noir": "黑色电影", "sci-fi": "科幻", "science fiction": "科幻", "documentary": "纪录片",
               "unknown": "未知"})


def genre_label(genre: str, lang: str = "zh") -> str:
    """Genre name in the UI language; unknown names are returned as they are."""
    g = str(genre).strip()
    if lang == "en":
        return GENRES_ZH_EN.get(g, g.lower() if g.isascii() else g)
    return _EN_ZH.get(g.lower(), g)


# persona name parts: (zh, en)
ACTIVITY = {"heavy": ("高频", "heavy"), "light": ("轻度", "light"), "regular": ("", "")}
HABIT = {"harsh": ("挑剔", "critical"), "generous": ("宽容", "generous"), "neutral": ("", "")}
FANS = ("迷", "fans")
