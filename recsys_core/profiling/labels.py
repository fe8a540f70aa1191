"""Bilingual labels for genres and traits used in persona names (Chinese first, English second)."""

from __future__ import annotations

# Chinese genre -> English, as written on Douban-like sites
GENRES_ZH_EN = {
    "剧情": "drama",
    "喜剧": "comedy",
    "动作": "action",
    "爱情": "romance",
    "科幻": "sci-fi",
    "悬疑": "mystery",
    "惊悚": "thriller",
    "动画": "animation",
    "犯罪": "crime",
    "奇幻": "fantasy",
    "战争": "war",
    "纪录片": "documentary",
    "家庭": "family",
    "历史": "history",
    "冒险": "adventure",
    "恐怖": "horror",
    "音乐": "music",
    "歌舞": "musical",
    "传记": "biography",
    "运动": "sport",
    "西部": "western",
    "武侠": "martial-arts",
    "古装": "costume",
    "黑色电影": "film-noir",
    "儿童": "children's",
    "短片": "short",
    "同性": "LGBT",
    "灾难": "disaster",
    "情色": "erotic",
}
_EN_ZH = {v: k for k, v in GENRES_ZH_EN.items()}
_EN_ZH.update(
    {
        "children": "儿童",
        "children's": "儿童",
        "musical": "歌舞",
        "film-noir": "黑色电影",
        "film noir": "黑色电影",
        "sci-fi": "科幻",
        "science fiction": "科幻",
        "documentary": "纪录片",
        "unknown": "未知",
    }
)


def genre_label(genre: str, lang: str = "zh") -> str:
    """Genre name in the UI language; unknown names are returned as they are."""
    g = str(genre).strip()
    if lang == "en":
        return GENRES_ZH_EN.get(g, g.lower() if g.isascii() else g)
    return _EN_ZH.get(g.lower(), g)


# common demographic values, Chinese -> English (Douban-style tables and the demo data write them in Chinese,
# MovieLens in English); a value outside the table is shown as it is
VALUES_ZH_EN = {
    "男": "male",
    "女": "female",
    "未知": "unknown",
    "一线城市": "tier-1 city",
    "新一线城市": "new tier-1 city",
    "二线城市": "tier-2 city",
    "三线及以下": "tier-3 and below",
    "三线城市": "tier-3 city",
    "学生": "student",
    "教师": "educator",
    "医生护士": "healthcare",
    "管理人员": "executive",
    "互联网从业者": "internet industry",
    "销售": "salesman",
    "企业职员": "office worker",
    "设计师": "designer",
    "自由职业": "freelancer",
    "工程师": "engineer",
    "公务员": "civil servant",
    "个体经营": "self-employed",
    "退休": "retired",
    "程序员": "programmer",
    "艺术家": "artist",
    "医生": "doctor",
    "律师": "lawyer",
    "科学家": "scientist",
    "作家": "writer",
    "技术员": "technician",
    "家庭主妇": "homemaker",
    "图书管理员": "librarian",
    "市场营销": "marketing",
    "娱乐业": "entertainment",
    "其他": "other",
    "无": "none",
    "管理员": "administrator",
}
_VALUES_EN_ZH = {v: k for k, v in VALUES_ZH_EN.items()}
_VALUES_EN_ZH.update({"m": "男", "f": "女", "other": "其他", "none": "无"})


def value_label(value, lang: str = "zh") -> str:
    """A demographic value (gender, city tier, occupation) in the UI language; unknown values as they are."""
    v = str(value).strip()
    if lang == "en":
        return VALUES_ZH_EN.get(v, v)
    return _VALUES_EN_ZH.get(v.lower(), v)


# persona name parts: (zh, en)
ACTIVITY = {"heavy": ("高频", "heavy"), "light": ("轻度", "light"), "regular": ("", "")}
HABIT = {"harsh": ("挑剔", "critical"), "generous": ("宽容", "generous"), "neutral": ("", "")}
FANS = ("迷", "fans")
