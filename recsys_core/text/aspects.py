"""Aspect summary: how often reviews talk about the plot, the acting, the effects, … and in what mood.

A review mentions an aspect when its text contains one of the aspect's words (substring match on the raw text,
so it does not depend on how jieba cut the sentence). Each aspect gets the number and share of reviews that
mention it and the sentiment of those reviews (mean score, positive and negative share, net = positive -
negative share).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

# aspect: (English name, words that signal it)
ASPECTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "剧情": ("Plot", ("剧情", "故事", "情节", "剧本", "编剧", "逻辑", "叙事", "脑洞", "反转", "套路")),
    "演技": ("Acting", ("演技", "表演", "演员", "演得", "演的", "飙戏", "面瘫", "尬演", "演出")),
    "特效": ("Effects", ("特效", "视效", "CG", "五毛", "3D", "IMAX", "动画效果")),
    "画面": ("Visuals", ("画面", "画质", "摄影", "镜头", "构图", "色调", "视觉", "美术", "风景")),
    "配乐": ("Music", ("配乐", "音乐", "原声", "插曲", "主题曲", "歌曲", "BGM", "bgm")),
    "节奏": ("Pacing", ("节奏", "拖沓", "冗长", "紧凑", "太慢", "太长", "无聊", "沉闷")),
    "台词": ("Dialogue", ("台词", "对白", "金句", "对话")),
    "结局": ("Ending", ("结局", "结尾", "收尾", "烂尾", "大结局", "最后")),
    "人物": ("Characters", ("人物", "角色", "人设", "塑造", "形象")),
    "导演": ("Direction", ("导演", "执导", "调度", "手法")),
    "笑点": ("Humour", ("笑点", "搞笑", "好笑", "幽默", "笑死", "爆笑")),
    "情感": ("Emotion", ("感动", "泪目", "哭了", "煽情", "共鸣", "催泪", "温暖", "感人")),
    "剪辑": ("Editing", ("剪辑", "剪接", "转场")),
    "服化道": ("Costume & sets", ("服化道", "服装", "化妆", "妆容", "道具", "造型", "布景")),
}


def aspect_mentions(texts, aspects: dict | None = None) -> pd.DataFrame:
    """Boolean review x aspect frame: does the review mention the aspect?"""
    aspects = ASPECTS if aspects is None else aspects
    s = pd.Series(["" if t is None else str(t) for t in texts], dtype=object)
    cols = {}
    for name, (_, words) in aspects.items():
        pattern = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
        cols[name] = s.str.contains(pattern, regex=True).to_numpy()
    return pd.DataFrame(cols)


def aspect_summary(texts, scores=None, labels=None, aspects: dict | None = None) -> pd.DataFrame:
    """One row per aspect: aspect, aspect_en, mentions, share, mean_score, positive_share, negative_share, net.

    Sorted by mentions (most talked-about first); sentiment columns are NaN without scores / for no mentions.
    """
    aspects = ASPECTS if aspects is None else aspects
    m = aspect_mentions(texts, aspects)
    n = max(len(m), 1)
    scores = None if scores is None else np.asarray(scores, dtype=float)
    labels = None if labels is None else np.asarray(labels, dtype=object)
    rows = []
    for name, (en, _) in aspects.items():
        hit = m[name].to_numpy() if len(m) else np.zeros(0, dtype=bool)
        k = int(hit.sum())
        row = {
            "aspect": name,
            "aspect_en": en,
            "mentions": k,
            "share": k / n,
            "mean_score": np.nan,
            "positive_share": np.nan,
            "negative_share": np.nan,
            "net": np.nan,
        }
        if k and scores is not None:
            row["mean_score"] = float(np.nanmean(scores[hit]))
        if k and labels is not None:
            pos = float(np.mean(labels[hit] == "positive"))
            neg = float(np.mean(labels[hit] == "negative"))
            row.update(positive_share=pos, negative_share=neg, net=pos - neg)
        rows.append(row)
    out = pd.DataFrame(rows)
    return out.sort_values(["mentions", "aspect"], ascending=[False, True], kind="mergesort").reset_index(drop=True)
