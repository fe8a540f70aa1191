"""CineLens synthetic demo data: a reproducible, realistic film-audience dataset.

Everything here is generated from a seed with ``numpy.random.default_rng``; no global
random state is touched, so ``generate(seed)`` returns the same tables every time.

The data has planted structure that the rest of CineLens should find:

* six audience groups with distinct genre tastes (``Dataset.meta["planted_group"]``
  maps every user to its group; it is *not* written to the shipped files);
* film quality and user leniency (bias models beat the global mean);
* taste-driven choice and rating (matrix factorisation beats bias models,
  clustering users on genre preferences recovers the groups);
* long tails of film popularity and user activity, per-user active windows and
  release-date effects in the timestamps;
* Chinese short reviews whose wording follows the star rating, with noise.

Regenerate the shipped copy with ``python -m recsys_core.data.demo --out data/demo``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd

from .dataset import Dataset
from .schema import age_band

DEFAULT_SEED = 20261122
DATASET_NAME = "CineLens 合成演示数据 / synthetic demo data"
DEFAULT_FOLDER = Path(__file__).resolve().parents[2] / "data" / "demo"
PROMOTION_FOLDER = "promotion"  # film, campaign and behaviour tables of the Promotion page

START = pd.Timestamp("2023-01-01")
END = pd.Timestamp("2025-12-31 23:59:59")

# --------------------------------------------------------------------------- vocab

GENRES = [
    "剧情",
    "喜剧",
    "动作",
    "爱情",
    "科幻",
    "悬疑",
    "惊悚",
    "动画",
    "犯罪",
    "奇幻",
    "战争",
    "纪录片",
    "家庭",
    "历史",
    "冒险",
    "恐怖",
]
G = {g: k for k, g in enumerate(GENRES)}
GENRE_WEIGHT = np.array([14, 9, 8, 7, 5, 5, 4, 4, 5, 3, 2, 2, 3, 2, 3, 3], float)
# genres that naturally co-occur with a film's primary genre
GENRE_COMPAT = {
    "剧情": ["爱情", "家庭", "历史", "犯罪", "战争", "喜剧", "悬疑"],
    "喜剧": ["爱情", "剧情", "家庭", "动作", "奇幻", "冒险"],
    "动作": ["犯罪", "冒险", "科幻", "惊悚", "战争", "喜剧"],
    "爱情": ["剧情", "喜剧", "家庭", "奇幻"],
    "科幻": ["动作", "冒险", "惊悚", "悬疑", "剧情"],
    "悬疑": ["犯罪", "惊悚", "剧情", "恐怖"],
    "惊悚": ["悬疑", "犯罪", "恐怖", "动作"],
    "动画": ["家庭", "喜剧", "奇幻", "冒险", "科幻"],
    "犯罪": ["悬疑", "动作", "剧情", "惊悚"],
    "奇幻": ["冒险", "动作", "爱情", "动画"],
    "战争": ["历史", "剧情", "动作"],
    "纪录片": ["历史", "家庭", "战争"],
    "家庭": ["剧情", "喜剧", "动画"],
    "历史": ["剧情", "战争", "动作"],
    "冒险": ["动作", "奇幻", "科幻", "喜剧"],
    "恐怖": ["惊悚", "悬疑"],
}

# the planted audience groups: (name, share of users, genre affinities)
GROUPS = [
    (
        "科幻动作迷",
        0.20,
        {"科幻": 1.2, "动作": 1.0, "冒险": 0.8, "奇幻": 0.6, "爱情": -0.9, "纪录片": -0.8, "家庭": -0.5, "剧情": -0.3},
    ),
    (
        "爱情剧情派",
        0.19,
        {
            "爱情": 1.2,
            "剧情": 0.8,
            "家庭": 0.6,
            "喜剧": 0.3,
            "恐怖": -1.1,
            "战争": -0.8,
            "科幻": -0.6,
            "动作": -0.5,
            "犯罪": -0.4,
        },
    ),
    (
        "动画家庭档",
        0.13,
        {
            "动画": 1.3,
            "家庭": 1.0,
            "喜剧": 0.6,
            "奇幻": 0.6,
            "冒险": 0.4,
            "恐怖": -1.2,
            "惊悚": -1.0,
            "犯罪": -0.8,
            "战争": -0.6,
        },
    ),
    (
        "犯罪悬疑控",
        0.18,
        {"犯罪": 1.1, "悬疑": 1.2, "惊悚": 0.9, "恐怖": 0.6, "爱情": -0.8, "动画": -0.9, "家庭": -0.6, "喜剧": -0.4},
    ),
    (
        "文艺纪录派",
        0.12,
        {"纪录片": 1.3, "历史": 1.0, "剧情": 0.8, "战争": 0.6, "喜剧": -0.8, "动作": -0.8, "动画": -0.5, "恐怖": -0.7},
    ),
    (
        "轻松喜剧党",
        0.18,
        {"喜剧": 1.3, "爱情": 0.5, "冒险": 0.4, "家庭": 0.3, "纪录片": -1.0, "历史": -0.8, "战争": -0.8, "惊悚": -0.5},
    ),
]
GROUP_NAMES = [g[0] for g in GROUPS]
# (age mean, age sd, share female, share 一线/新一线)
GROUP_DEMOGRAPHICS = [
    (24, 5, 0.30, 0.55),
    (29, 7, 0.72, 0.50),
    (34, 8, 0.58, 0.45),
    (31, 7, 0.45, 0.55),
    (38, 11, 0.50, 0.70),
    (27, 8, 0.52, 0.35),
]

CITY_TIERS = ["一线城市", "新一线城市", "二线城市", "三线及以下"]
REGIONS = ["中国大陆", "美国", "中国香港", "日本", "韩国", "中国台湾", "英国", "法国"]
REGION_WEIGHT = np.array([38, 24, 8, 8, 7, 5, 5, 5], float)

SURNAMES = list(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = list(
    "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚桂英华玉萍红娥玲芬燕彬鹏辉建文斌宇浩凯俊帆帅博子晨轩然欣怡佳琪梓涵雨婷思远一鸣嘉禾若曦书瑶天佑家豪志远晓光海峰春生秋雁"
)
WESTERN_FIRST = [
    "詹姆斯",
    "约翰",
    "罗伯特",
    "迈克尔",
    "威廉",
    "大卫",
    "理查德",
    "托马斯",
    "克里斯",
    "丹尼尔",
    "马修",
    "安东尼",
    "艾玛",
    "奥利维亚",
    "索菲亚",
    "伊莎贝拉",
    "米娅",
    "夏洛特",
    "艾米丽",
    "汉娜",
    "杰西卡",
    "劳拉",
    "露西",
    "凯特",
    "本",
    "汤姆",
    "瑞恩",
    "亚当",
    "内森",
    "伊桑",
]
WESTERN_LAST = [
    "史密斯",
    "约翰逊",
    "威廉姆斯",
    "布朗",
    "琼斯",
    "米勒",
    "戴维斯",
    "加西亚",
    "威尔逊",
    "摩尔",
    "泰勒",
    "安德森",
    "杰克逊",
    "怀特",
    "哈里斯",
    "马丁",
    "汤普森",
    "克拉克",
    "刘易斯",
    "沃克",
    "霍尔",
    "艾伦",
    "杨",
    "金",
    "赖特",
    "斯科特",
    "格林",
    "贝克",
    "亚当斯",
    "卡特",
    "杜邦",
    "勒菲弗",
]
JP_SURNAMES = [
    "山田",
    "佐藤",
    "铃木",
    "高桥",
    "田中",
    "伊藤",
    "渡边",
    "中村",
    "小林",
    "加藤",
    "吉田",
    "山本",
    "松本",
    "井上",
    "木村",
    "清水",
    "森",
    "池田",
    "桥本",
    "石川",
]
JP_GIVEN = [
    "浩二",
    "健太",
    "翔太",
    "大辅",
    "拓海",
    "直树",
    "阳菜",
    "美咲",
    "结衣",
    "葵",
    "真由",
    "由纪",
    "和也",
    "隆",
    "彩",
    "优子",
    "诚",
    "亮",
    "千寻",
    "菜菜子",
]
KR_SURNAMES = ["金", "李", "朴", "崔", "郑", "姜", "赵", "尹", "张", "林", "韩", "申"]
KR_GIVEN = [
    "敏俊",
    "智恩",
    "秀贤",
    "惠珍",
    "俊昊",
    "允儿",
    "泰民",
    "恩熙",
    "在成",
    "宝英",
    "东元",
    "秀智",
    "贤宇",
    "多慧",
    "承宪",
    "美妍",
]

# title pools: two-character heads and tails per genre; titles are head + tail or head + "的" + tail
TITLE_POOLS = {
    "剧情": (
        [
            "长河",
            "故乡",
            "归途",
            "岁月",
            "旧梦",
            "人间",
            "浮生",
            "远山",
            "北方",
            "小镇",
            "大地",
            "灯火",
            "春分",
            "往事",
        ],
        [
            "往事",
            "来信",
            "人家",
            "之歌",
            "年华",
            "少年",
            "故事",
            "秋天",
            "长路",
            "烟火",
            "之光",
            "人生",
            "渡口",
            "旧事",
        ],
    ),
    "喜剧": (
        [
            "疯狂",
            "欢乐",
            "快乐",
            "大话",
            "奇葩",
            "开心",
            "爆笑",
            "囧途",
            "乌龙",
            "土豪",
            "麻辣",
            "超级",
            "逗趣",
            "热闹",
        ],
        [
            "假期",
            "一家",
            "大作战",
            "兄弟",
            "旅行",
            "同学会",
            "婚礼",
            "奇遇",
            "外卖",
            "新邻居",
            "驾到",
            "闹翻天",
            "包租婆",
            "年夜饭",
        ],
    ),
    "动作": (
        [
            "极速",
            "铁血",
            "烈火",
            "怒海",
            "绝地",
            "破晓",
            "猎杀",
            "雷霆",
            "孤胆",
            "利刃",
            "突围",
            "狂飙",
            "锋芒",
            "暴风",
        ],
        [
            "行动",
            "追击",
            "风暴",
            "特工",
            "营救",
            "战警",
            "危机",
            "反击",
            "使命",
            "对决",
            "突击",
            "英雄",
            "防线",
            "出击",
        ],
    ),
    "爱情": (
        [
            "春日",
            "晚风",
            "初雪",
            "半夏",
            "遇见",
            "心动",
            "微光",
            "星空",
            "海边",
            "夏夜",
            "樱花",
            "月光",
            "如初",
            "温柔",
        ],
        [
            "恋曲",
            "情书",
            "之约",
            "告白",
            "恋人",
            "心事",
            "蜜语",
            "约定",
            "情缘",
            "回信",
            "邂逅",
            "时光",
            "旧爱",
            "重逢",
        ],
    ),
    "科幻": (
        [
            "星海",
            "深空",
            "量子",
            "银河",
            "未来",
            "机械",
            "时间",
            "光年",
            "天际",
            "流浪",
            "异星",
            "零度",
            "虚拟",
            "极光",
        ],
        [
            "归途",
            "迷航",
            "纪元",
            "边界",
            "之城",
            "觉醒",
            "方舟",
            "信号",
            "裂隙",
            "穿越",
            "守望",
            "旅人",
            "重启",
            "彼岸",
        ],
    ),
    "悬疑": (
        [
            "长夜",
            "迷雾",
            "无声",
            "暗河",
            "消失",
            "隐秘",
            "第七",
            "午夜",
            "沉默",
            "白夜",
            "镜中",
            "失踪",
            "雨夜",
            "无名",
        ],
        [
            "追凶",
            "疑案",
            "证人",
            "密码",
            "真相",
            "谜案",
            "之门",
            "线索",
            "迷局",
            "访客",
            "档案",
            "之谜",
            "疑云",
            "来电",
        ],
    ),
    "惊悚": (
        [
            "深夜",
            "窒息",
            "暗室",
            "血色",
            "惊魂",
            "封锁",
            "逃出",
            "盲区",
            "困兽",
            "午夜",
            "荒岛",
            "禁区",
            "循环",
            "幽闭",
        ],
        [
            "末班车",
            "来电",
            "追踪",
            "游戏",
            "倒计时",
            "猎物",
            "绝境",
            "逃亡",
            "迷宫",
            "审判",
            "陷阱",
            "凶间",
            "惊魂",
            "失控",
        ],
    ),
    "动画": (
        [
            "小熊",
            "魔法",
            "森林",
            "熊猫",
            "狐狸",
            "梦想",
            "童话",
            "小猫",
            "彩虹",
            "飞天",
            "小龙",
            "糖果",
            "云朵",
            "海底",
        ],
        [
            "历险记",
            "总动员",
            "大冒险",
            "王国",
            "奇遇",
            "乐园",
            "小镇",
            "派对",
            "守护者",
            "旅程",
            "伙伴",
            "学院",
            "星球",
            "传说",
        ],
    ),
    "犯罪": (
        [
            "黑金",
            "暗网",
            "扫毒",
            "无间",
            "罪恶",
            "边境",
            "卧底",
            "赌城",
            "江湖",
            "灰色",
            "狂徒",
            "悍匪",
            "毒枭",
            "黑帮",
        ],
        [
            "风云",
            "追踪",
            "警探",
            "交易",
            "疑凶",
            "行动",
            "之城",
            "密令",
            "警察",
            "大案",
            "黑幕",
            "清算",
            "风暴",
            "迷城",
        ],
    ),
    "奇幻": (
        [
            "千年",
            "神域",
            "仙境",
            "妖灵",
            "天命",
            "九州",
            "龙骨",
            "幻海",
            "镜湖",
            "山海",
            "白蛇",
            "青丘",
            "灵山",
            "异界",
        ],
        [
            "传说",
            "奇谭",
            "之心",
            "秘境",
            "封神",
            "神话",
            "宝藏",
            "契约",
            "结界",
            "之门",
            "灵珠",
            "书院",
            "游记",
            "异闻",
        ],
    ),
    "战争": (
        [
            "烽火",
            "血战",
            "长津",
            "铁骑",
            "硝烟",
            "决战",
            "孤城",
            "北线",
            "雪原",
            "江桥",
            "高地",
            "赤色",
            "黎明",
            "长城",
        ],
        [
            "岁月",
            "防线",
            "阻击",
            "战役",
            "记忆",
            "前线",
            "勇士",
            "号角",
            "突围",
            "行军",
            "战歌",
            "守望",
            "英魂",
            "归来",
        ],
    ),
    "纪录片": (
        [
            "寻味",
            "守护",
            "匠心",
            "我们",
            "远方",
            "丝路",
            "山河",
            "大国",
            "人间",
            "野性",
            "极地",
            "村庄",
            "城市",
            "时代",
        ],
        [
            "中国",
            "之声",
            "手艺",
            "家园",
            "四季",
            "影像",
            "记忆",
            "笔记",
            "人物",
            "之旅",
            "自然",
            "日常",
            "年轮",
            "印记",
        ],
    ),
    "家庭": (
        [
            "我的",
            "父亲",
            "妈妈",
            "外婆",
            "回家",
            "团圆",
            "爷爷",
            "老爸",
            "小院",
            "温暖",
            "老街",
            "兄妹",
            "阿嬷",
            "姐姐",
        ],
        [
            "饭桌",
            "的家",
            "小屋",
            "成长",
            "来了",
            "日记",
            "团聚",
            "心愿",
            "礼物",
            "约定",
            "陪伴",
            "答案",
            "老屋",
            "除夕",
        ],
    ),
    "历史": (
        [
            "大唐",
            "长安",
            "大明",
            "三国",
            "大宋",
            "秦时",
            "楚汉",
            "紫禁",
            "丝绸",
            "敦煌",
            "汉武",
            "贞观",
            "天下",
            "江山",
        ],
        [
            "风云",
            "烟云",
            "往事",
            "传奇",
            "秘史",
            "王朝",
            "英雄",
            "春秋",
            "长歌",
            "天下",
            "宫闱",
            "变局",
            "密卷",
            "长卷",
        ],
    ),
    "冒险": (
        [
            "寻龙",
            "失落",
            "秘境",
            "荒野",
            "极地",
            "丛林",
            "沙漠",
            "深海",
            "远征",
            "神秘",
            "古墓",
            "雪山",
            "孤岛",
            "迷失",
        ],
        [
            "探险",
            "寻宝",
            "远征",
            "求生",
            "奇航",
            "之旅",
            "宝藏",
            "历险",
            "漂流",
            "寻踪",
            "秘藏",
            "大陆",
            "密林",
            "归来",
        ],
    ),
    "恐怖": (
        [
            "凶宅",
            "怨灵",
            "午夜",
            "鬼村",
            "阴阳",
            "诡镜",
            "荒村",
            "回魂",
            "夜半",
            "黑猫",
            "废院",
            "诡宅",
            "冥婚",
            "幽灵",
        ],
        [
            "惊魂",
            "异事",
            "凶铃",
            "怪谈",
            "笔仙",
            "诡影",
            "魅影",
            "咒怨",
            "夜话",
            "来客",
            "哭声",
            "回声",
            "禁地",
            "之夜",
        ],
    ),
}

# heads that read naturally as "<head>的<tail>" (消失的证人, 沉默的真相)
DE_BAD_TAILS = {
    "追凶",
    "漂流",
    "探险",
    "寻宝",
    "求生",
    "寻踪",
    "突围",
    "远征",
    "穿越",
    "觉醒",
    "重启",
    "出击",
    "反击",
    "营救",
    "追击",
    "逃亡",
    "追踪",
    "历险",
    "归来",
    "清算",
    "行军",
    "阻击",
    "守望",
    "重逢",
}
DE_HEADS = {
    "消失",
    "沉默",
    "失踪",
    "隐秘",
    "失落",
    "迷失",
    "温柔",
    "疯狂",
    "快乐",
    "神秘",
    "无名",
    "遥远",
    "千年",
    "最后",
}

SYNOPSIS_TEMPLATES = {
    "剧情": [
        "{place}的{role}在人生低谷中重新找到了坚持下去的理由。",
        "一个{role}与家人之间横跨三十年的悲欢离合。",
        "{decade}，{place}的几位年轻人在时代浪潮中各自寻找出路。",
    ],
    "喜剧": [
        "倒霉的{role}意外卷入一场乌龙事件，笑料百出。",
        "一群性格迥异的{role}被迫同住一个屋檐下，闹剧不断。",
        "{role}为了保住饭碗冒充富豪，谎言越滚越大。",
    ],
    "动作": [
        "一名退役特种兵为营救被绑架的家人，孤身闯入{place}。",
        "一支精英小队奉命在{place}执行一项不可能完成的任务。",
        "{role}卷入跨国阴谋，必须在四十八小时内洗清罪名。",
    ],
    "爱情": [
        "{place}的一场偶遇，让两个孤独的人重新相信爱情。",
        "青梅竹马的{role}分别十年后重逢，却各自有了新的生活。",
        "一封迟到多年的信，揭开了{role}藏在心底的秘密。",
    ],
    "科幻": [
        "{year}年，{role}在{far}发现了一个足以改变人类命运的信号。",
        "人工智能觉醒之后，{role}必须决定是否相信机器。",
        "一次失败的时间实验，让{role}被困在同一天不断循环。",
    ],
    "悬疑": [
        "{place}接连发生离奇失踪案，{role}发现线索指向二十年前的旧案。",
        "一通深夜来电，把{role}拖进了一场精心设计的谜局。",
        "失忆的{role}醒来后发现自己成了头号嫌疑人。",
    ],
    "惊悚": [
        "被困{place}的一群人发现，他们之中藏着一个杀手。",
        "{role}搬进新家后，每天夜里都听到奇怪的声音。",
        "一场直播游戏失控，{role}必须在天亮前逃出去。",
    ],
    "动画": [
        "一只不被看好的小动物，踏上寻找{thing}的奇妙旅程。",
        "{place}的孩子们和神秘的小精灵结下了友谊。",
        "勇敢的小主角为了拯救家园，与伙伴们展开大冒险。",
    ],
    "犯罪": [
        "卧底多年的警察在收网前夜，身份面临暴露。",
        "{place}发生一起离奇劫案，老刑警与新人搭档追查真相。",
        "一笔来路不明的巨款，让几个小人物的命运纠缠在一起。",
    ],
    "奇幻": [
        "少年意外获得{thing}，从此被卷入人与妖的千年纷争。",
        "{place}深处的古老传说，在一个雨夜突然成真。",
        "为了解开家族的诅咒，{role}踏入了另一个世界。",
    ],
    "战争": [
        "{decade}，一支小分队在{place}坚守阵地七天七夜。",
        "战火中失散的兄弟，在前线以意想不到的方式重逢。",
        "一名年轻{role}在残酷的战役中完成了自己的成长。",
    ],
    "纪录片": [
        "镜头跟随{role}走过四季，记录{place}正在消失的生活方式。",
        "用三年时间拍摄{place}的{thing}，呈现人与自然的关系。",
        "走进{role}的日常，讲述普通人在时代里的坚守。",
    ],
    "家庭": [
        "一顿年夜饭，让分散各地的一家人重新面对多年的心结。",
        "{role}独自抚养孩子长大，却在孩子离家时才学会放手。",
        "老屋拆迁前的最后一个夏天，三代人各怀心事。",
    ],
    "历史": [
        "{dynasty}年间，一位{role}卷入了改变王朝命运的风波。",
        "{dynasty}末年，各方势力暗流涌动，{role}夹在其间艰难求存。",
        "根据真实事件改编，讲述{dynasty}一段鲜为人知的往事。",
    ],
    "冒险": [
        "一张残缺的地图，带领{role}深入{far}寻找失落的宝藏。",
        "飞机失事后，幸存者们在{place}展开艰难求生。",
        "一支业余探险队在雪山深处发现了不可思议的遗迹。",
    ],
    "恐怖": [
        "{role}回到多年未归的老家，发现村里人都在隐瞒一件事。",
        "一面古镜被搬进新房后，怪事接连发生。",
        "几个大学生闯入{place}探险，却再也没能全部回来。",
    ],
}
SYN_FILL = {
    "place": [
        "江南小镇",
        "东北老城",
        "港口城市",
        "边陲小城",
        "重庆山城",
        "海边渔村",
        "西北荒漠",
        "老胡同",
        "繁华都市",
        "深山古寨",
        "废弃工厂",
        "雨林深处",
        "孤岛",
    ],
    "role": [
        "警察",
        "出租车司机",
        "中学老师",
        "外卖骑手",
        "退休工人",
        "实习医生",
        "程序员",
        "落魄歌手",
        "侦探",
        "母亲",
        "父亲",
        "记者",
        "宇航员",
        "科学家",
        "厨师",
        "律师",
        "年轻人",
        "画家",
    ],
    "decade": ["上世纪八十年代", "九十年代初", "新世纪之交", "七十年代末", "抗战时期", "改革开放初期"],
    "year": ["2077", "2150", "2049", "2300", "2099", "2121"],
    "far": ["木星轨道", "月球背面", "深海基地", "遥远星系", "冰封大陆", "地下城市", "无人区"],
    "thing": ["一颗会发光的种子", "失落的宝石", "一把古剑", "传说中的宝藏", "候鸟", "茶山", "一块神秘玉佩"],
    "dynasty": ["大唐", "北宋", "明朝", "清末", "三国", "汉朝"],
}

# review phrase pools: aspect -> (praise fragments, complaint fragments)
ASPECTS = ["剧情", "演技", "特效", "画面", "配乐", "节奏", "台词", "结局", "导演", "摄影"]
PRAISE = {
    "剧情": [
        "剧情紧凑，环环相扣",
        "故事讲得很扎实",
        "剧情反转出人意料",
        "情节层层推进",
        "故事线清晰又有深度",
        "剧本打磨得很用心",
        "剧情张弛有度",
        "故事内核很动人",
    ],
    "演技": [
        "演员演技在线",
        "主演的表演教科书级别",
        "表演细腻自然",
        "演员之间很有化学反应",
        "配角也很出彩",
        "演技炸裂",
        "每个角色都立住了",
        "群像戏演得很精彩",
    ],
    "特效": [
        "特效震撼，值得去影院看",
        "特效做得非常精良",
        "视效水准很高",
        "动作场面拍得很燃",
        "特效场面大气",
        "打斗设计很有想象力",
        "特效细节经得起看",
    ],
    "画面": [
        "画面很美，每一帧都能当壁纸",
        "色调高级",
        "画面质感一流",
        "构图讲究",
        "美术设计很用心",
        "场景还原得很到位",
        "服化道很精致",
    ],
    "配乐": [
        "配乐太好听了",
        "音乐恰到好处地烘托了情绪",
        "主题曲循环了一整天",
        "原声带值得单独听",
        "配乐很抓人",
        "音效设计很讲究",
        "配乐一响就起鸡皮疙瘩",
    ],
    "节奏": [
        "节奏明快，两个小时一晃而过",
        "节奏把握得很好",
        "全程没有尿点",
        "张弛有度，越看越投入",
        "叙事节奏很舒服",
        "节奏紧凑不拖沓",
    ],
    "台词": [
        "台词很有味道",
        "几句台词戳中泪点",
        "对白精彩，金句不断",
        "台词写得很生活化",
        "对白幽默又不油腻",
        "台词很有嚼劲",
    ],
    "结局": [
        "结局很有余味",
        "结尾处理得很高级",
        "结局让人泪目",
        "最后十分钟太精彩了",
        "结局出乎意料又合情合理",
        "结尾很圆满",
    ],
    "导演": [
        "导演功力深厚",
        "导演的掌控力很强",
        "看得出导演很有想法",
        "导演把分寸拿捏得很好",
        "场面调度很见功力",
        "导演的个人风格很鲜明",
    ],
    "摄影": ["摄影很出色", "长镜头拍得漂亮", "镜头语言很讲究", "光影处理得很好", "运镜流畅", "摄影很有电影感"],
}
COMPLAINT = {
    "剧情": [
        "剧情漏洞太多",
        "故事老套，一眼看到结尾",
        "剧情逻辑经不起推敲",
        "情节拖沓，看得犯困",
        "剧本太水了",
        "故事讲得支离破碎",
        "剧情莫名其妙",
        "故事毫无新意",
    ],
    "演技": [
        "演技尴尬，全程面瘫",
        "表演用力过猛",
        "演员完全不在状态",
        "主角撑不起这个角色",
        "哭戏太假了",
        "演员台词功底太差",
        "配角抢戏又出戏",
    ],
    "特效": [
        "特效五毛，很出戏",
        "特效粗糙得像游戏过场",
        "抠图痕迹太明显",
        "特效堆砌，毫无美感",
        "视效廉价",
        "打斗剪得乱七八糟",
    ],
    "画面": ["画面灰蒙蒙的", "调色很奇怪", "画面廉价感严重", "布景一看就是摄影棚", "美术设计很敷衍", "服化道太随意"],
    "配乐": ["配乐太吵了", "音乐和画面完全不搭", "配乐煽情过度", "背景音乐喧宾夺主", "配乐很廉价", "音效忽大忽小"],
    "节奏": ["节奏太拖沓", "前半小时看得想睡觉", "节奏忽快忽慢", "中段严重拖沓", "剪辑混乱，节奏全无", "节奏慢得磨人"],
    "台词": ["台词尴尬到脚趾抠地", "对白太书面化", "台词像在念课文", "满屏说教台词", "对白又土又油", "台词空洞无力"],
    "结局": ["结局太仓促", "烂尾了", "结局强行圆满", "结尾莫名其妙", "结局让人失望", "最后草草收场"],
    "导演": [
        "导演想表达的太多，结果什么都没讲清",
        "导演的调度很混乱",
        "导演驾驭不了这个题材",
        "导演太自我了",
        "导演水平退步明显",
    ],
    "摄影": ["摄影很业余", "镜头晃得头晕", "运镜毫无章法", "光线处理太糟", "镜头语言单调", "摄影像廉价网剧"],
}
PRAISE_PERSON = [
    "{a}的表演很有层次",
    "{a}这次演得真好",
    "为{a}多加一星",
    "{a}贡献了近年最佳表演",
    "{a}一出场就抓住了我",
    "{a}把角色演活了",
]
COMPLAINT_PERSON = ["{a}的表演太出戏", "{a}不适合这个角色", "{a}演得用力过猛", "心疼{a}接了这个本子", "{a}全程一个表情"]
PRAISE_DIRECTOR = ["{d}又一次证明了自己", "{d}的风格很鲜明", "{d}导得克制又有力量", "{d}的新作没让人失望"]
COMPLAINT_DIRECTOR = ["{d}这次失手了", "{d}的水平下滑了", "{d}拍得太自我", "{d}江郎才尽了"]
OVERALL_POS = [
    "强烈推荐",
    "值得一看",
    "看完很满足",
    "二刷依然感动",
    "今年最喜欢的一部",
    "没让人失望",
    "值得一刷再刷",
    "五星推荐",
    "比预期好太多",
    "好看",
]
OVERALL_MID = ["中规中矩", "还行吧", "可以一看", "打发时间可以", "及格水平", "没有惊喜也不算差", "一般般"]
OVERALL_NEG = ["不推荐", "浪费时间", "很失望", "看得想退票", "不值票价", "难看", "烂片一部", "别去了"]
OPENERS = [
    "和朋友一起看的",
    "周末在家看的",
    "冲着预告去的",
    "带孩子去看的",
    "二刷了",
    "首映场看的",
    "熬夜看完",
    "陪爸妈看的",
    "下班后去看的",
    "冲着主演去的",
]
TITLE_POS = ["《{t}》比预期好看", "《{t}》果然没让人失望", "《{t}》值得进影院"]
TITLE_NEG = ["《{t}》没有想象中好", "《{t}》宣传比电影好看", "《{t}》让人失望"]
CONNECT_BUT = ["，可惜", "，但是", "，不过", "，只是", "，就是"]
CONNECT_AND = ["，", "，而且", "，", "，另外", "，同时"]

# genres where an aspect gets talked about more
GENRE_ASPECT_BOOST = {
    "科幻": {"特效": 2.5, "画面": 1.5},
    "动作": {"特效": 2.5, "节奏": 1.5},
    "奇幻": {"特效": 2.0, "画面": 1.5},
    "冒险": {"特效": 1.5, "画面": 1.5},
    "爱情": {"演技": 1.8, "台词": 1.8, "配乐": 1.5},
    "剧情": {"演技": 1.8, "剧情": 1.5, "台词": 1.3},
    "悬疑": {"剧情": 2.2, "结局": 2.0, "节奏": 1.5},
    "犯罪": {"剧情": 1.8, "节奏": 1.5, "演技": 1.3},
    "惊悚": {"节奏": 1.8, "结局": 1.5, "配乐": 1.3},
    "恐怖": {"配乐": 1.8, "剧情": 1.3, "画面": 1.3},
    "动画": {"画面": 2.2, "配乐": 1.5, "剧情": 1.2},
    "纪录片": {"摄影": 2.5, "画面": 2.0, "导演": 1.5},
    "历史": {"画面": 1.6, "台词": 1.4, "导演": 1.3},
    "战争": {"特效": 1.6, "演技": 1.4, "摄影": 1.3},
    "家庭": {"演技": 1.6, "台词": 1.5, "结局": 1.3},
    "喜剧": {"台词": 2.0, "节奏": 1.5, "演技": 1.3},
}

OCCUPATIONS_BY_AGE = [
    (17, ["学生"]),
    (24, ["学生", "学生", "互联网从业者", "销售", "自由职业", "设计师"]),
    (
        40,
        ["企业职员", "互联网从业者", "教师", "医生护士", "工程师", "销售", "自由职业", "公务员", "设计师", "个体经营"],
    ),
    (55, ["企业职员", "教师", "公务员", "医生护士", "工程师", "个体经营", "管理人员"]),
    (200, ["退休", "退休", "教师", "个体经营", "管理人员"]),
]


# --------------------------------------------------------------------------- helpers


def _pick(rng: np.random.Generator, seq):
    return seq[int(rng.integers(len(seq)))]


def _chinese_name(rng, region: str) -> str:
    if region in ("美国", "英国", "法国"):
        return f"{_pick(rng, WESTERN_FIRST)}·{_pick(rng, WESTERN_LAST)}"
    if region == "日本":
        return _pick(rng, JP_SURNAMES) + _pick(rng, JP_GIVEN)
    if region == "韩国":
        return _pick(rng, KR_SURNAMES) + _pick(rng, KR_GIVEN)
    given = _pick(rng, GIVEN) + (_pick(rng, GIVEN) if rng.random() < 0.7 else "")
    return _pick(rng, SURNAMES) + given


def _people_pools(rng) -> dict[str, tuple[list[str], list[str]]]:
    """Per region: (directors, actors). Names are unique across the whole pool."""
    pools, used = {}, set()
    sizes = {
        "中国大陆": (70, 220),
        "美国": (45, 150),
        "中国香港": (18, 60),
        "日本": (18, 50),
        "韩国": (16, 45),
        "中国台湾": (14, 40),
        "英国": (14, 40),
        "法国": (12, 35),
    }
    lookup = {"中国香港": "中国大陆", "中国台湾": "中国大陆"}
    for region in REGIONS:
        nd, na = sizes[region]
        names = []
        while len(names) < nd + na:
            n = _chinese_name(rng, lookup.get(region, region))
            if n not in used:
                used.add(n)
                names.append(n)
        pools[region] = (names[:nd], names[nd:])
    return pools


def _zipf_pick(rng, seq, a: float = 1.0):
    """Pick from seq with weight 1/(rank+1)^a, so a few names recur across many films."""
    cdf = _zipf_cdf(len(seq), a)
    return seq[min(int(np.searchsorted(cdf, rng.random(), side="right")), len(seq) - 1)]


_ZIPF: dict = {}


def _zipf_cdf(n: int, a: float) -> np.ndarray:
    if (n, a) not in _ZIPF:
        w = 1.0 / np.arange(1, n + 1) ** a
        _ZIPF[n, a] = np.cumsum(w / w.sum())
    return _ZIPF[n, a]


def _make_title(rng, genres: list[str], used: set[str]) -> str:
    for attempt in range(200):
        g = genres[0] if attempt < 60 or len(genres) == 1 else genres[int(rng.integers(len(genres)))]
        if attempt >= 120:
            g = GENRES[int(rng.integers(len(GENRES)))]
        heads, tails = TITLE_POOLS[g]
        if len(genres) > 1 and rng.random() < 0.25:
            heads = heads + TITLE_POOLS[genres[1]][0]
        h, t = _pick(rng, heads), _pick(rng, tails)
        if set(h) & set(t):  # no repeated characters: avoids 一家的家, 大话大作战
            continue
        de = h in DE_HEADS and len(t) == 2 and t[0] != "之" and t not in DE_BAD_TAILS and rng.random() < 0.5
        title = h + ("的" if de else "") + t
        if title not in used:
            used.add(title)
            return title
    raise RuntimeError("title pools exhausted")  # pragma: no cover


def _synopsis(rng, genres: list[str]) -> str:
    tpl = _pick(rng, SYNOPSIS_TEMPLATES[genres[0]])
    return tpl.format(**{k: _pick(rng, v) for k, v in SYN_FILL.items()})


def _round_robin_int(shares: np.ndarray, total: int) -> np.ndarray:
    """Integer counts proportional to shares that sum exactly to total (largest remainder)."""
    raw = shares / shares.sum() * total
    out = np.floor(raw).astype(int)
    rest = total - out.sum()
    out[np.argsort(-(raw - out), kind="stable")[:rest]] += 1
    return out


# --------------------------------------------------------------------------- tables


def _make_items(rng, n_items: int):
    pools = _people_pools(rng)
    used_titles: set[str] = set()
    rows, X = [], np.zeros((n_items, len(GENRES)))
    for k in range(n_items):
        primary = GENRES[int(rng.choice(len(GENRES), p=GENRE_WEIGHT / GENRE_WEIGHT.sum()))]
        n_g = int(rng.choice([1, 2, 3], p=[0.3, 0.45, 0.25]))
        compat = GENRE_COMPAT[primary]
        extra = list(rng.choice(compat, size=min(n_g - 1, len(compat)), replace=False)) if n_g > 1 else []
        genres = [primary] + [str(e) for e in extra]
        X[k, [G[g] for g in genres]] = 1.0 / len(genres) ** 0.5
        year = int(np.clip(2025 - np.floor(rng.exponential(7.0)), 1990, 2025))
        region = REGIONS[int(rng.choice(len(REGIONS), p=REGION_WEIGHT / REGION_WEIGHT.sum()))]
        if primary in ("纪录片", "历史") and region not in ("中国大陆", "英国", "日本") and rng.random() < 0.6:
            region = "中国大陆"
        directors, actors = pools[region]
        # Hong Kong / Taiwan films sometimes cast mainland actors
        if region in ("中国香港", "中国台湾") and rng.random() < 0.3:
            actors = actors + pools["中国大陆"][1][:40]
        cast: list[str] = []
        while len(cast) < int(rng.integers(2, 4)):
            a = _zipf_pick(rng, actors, 0.9)
            if a not in cast:
                cast.append(a)
        rows.append(
            {
                "item_id": f"M{k + 1:04d}",
                "title": _make_title(rng, genres, used_titles),
                "genres": genres,
                "year": year,
                "region": region,
                "synopsis": _synopsis(rng, genres),
                "people": [_zipf_pick(rng, directors, 0.8)] + cast,
            }
        )
    return pd.DataFrame(rows), X


def _make_users(rng, n_users: int):
    shares = np.array([g[1] for g in GROUPS])
    group = np.repeat(np.arange(len(GROUPS)), _round_robin_int(shares, n_users))
    group = group[rng.permutation(n_users)]
    rows = []
    for k in range(n_users):
        mu, sd, female, big_city = GROUP_DEMOGRAPHICS[group[k]]
        if group[k] == 2 and rng.random() < 0.15:  # some teenagers in the animation/family group
            age = int(rng.integers(13, 18))
        else:
            age = int(np.clip(np.round(rng.normal(mu, sd)), 15, 72))
        tier_p = np.array([big_city * 0.45, big_city * 0.55, (1 - big_city) * 0.5, (1 - big_city) * 0.5])
        city = CITY_TIERS[int(rng.choice(4, p=tier_p / tier_p.sum()))]
        occ = next(opts for hi, opts in OCCUPATIONS_BY_AGE if age <= hi)
        rows.append(
            {
                "user_id": f"U{k + 1:04d}",
                "age": age,
                "age_band": age_band(age),
                "gender": "女" if rng.random() < female else "男",
                "city": city,
                "occupation": _pick(rng, occ),
            }
        )
    return pd.DataFrame(rows), group


def _activity(act: np.ndarray, total: int, lo: int, hi: int) -> np.ndarray:
    """Per-user counts proportional to ``act``, each in [lo, hi], summing to ``total`` when feasible."""
    n = np.clip(_round_robin_int(act, total), lo, hi)
    for _ in range(50):
        gap = total - int(n.sum())
        if gap == 0:
            break
        free = (n < hi) if gap > 0 else (n > lo)
        if not free.any():
            break
        step = _round_robin_int(np.where(free, act, 0.0), abs(gap))
        n = np.clip(n + np.sign(gap) * step, lo, hi)
    return n


_HOUR_W = np.array([3, 2, 1, 0.5, 0.3, 0.3, 0.5, 1, 1.5, 2, 2.5, 3, 4, 4, 4, 4, 4.5, 5, 6, 8, 9, 9, 7, 5])
_HOUR_P = _HOUR_W / _HOUR_W.sum()


def _release_dates(rng, years: np.ndarray) -> np.ndarray:
    """A release day inside the film's year (datetime64[D]); recent films release Jan-Oct."""
    doy = rng.integers(0, 300, size=len(years))
    base = np.array([np.datetime64(f"{y}-01-01") for y in years], dtype="datetime64[D]")
    return base + doy.astype("timedelta64[D]")


def _make_ratings(rng, items: pd.DataFrame, X: np.ndarray, group: np.ndarray, n_ratings: int):
    n_users, n_items = len(group), len(items)
    # --- latent tastes
    profiles = np.zeros((len(GROUPS), len(GENRES)))
    for g, (_, _, aff) in enumerate(GROUPS):
        for name, v in aff.items():
            profiles[g, G[name]] = v
    strength = rng.uniform(0.7, 1.3, size=n_users)
    W = profiles[group] * strength[:, None] + rng.normal(0, 0.3, size=(n_users, len(GENRES)))
    aff = W @ X.T  # users x items genre affinity
    k_lat = 4
    P = rng.normal(0, 0.35, size=(n_users, k_lat))  # idiosyncratic taste beyond genres
    Q = rng.normal(0, 0.6, size=(n_items, k_lat))
    b_u = rng.normal(0, 0.35, size=n_users)  # leniency
    quality = rng.normal(0, 0.45, size=n_items)
    # --- popularity long tail (better films and recent films a bit more popular)
    pop = rng.lognormal(0, 1.1, size=n_items) * np.exp(0.6 * quality)
    recent = items["year"].to_numpy() >= 2015
    pop = pop * np.where(recent, 1.6, 1.0)
    # --- activity long tail; every user at least 12 ratings, at most 70% of the catalogue
    act = rng.lognormal(0, 0.9, size=n_users)
    n_u = _activity(act, n_ratings, 12, int(0.7 * n_items))
    # --- choice: Gumbel top-k over log(pop) + taste, vectorised per user
    logits = np.log(pop)[None, :] + 1.3 * aff + 0.5 * (P @ Q.T)
    keys = logits + rng.gumbel(size=logits.shape)
    order = np.argsort(-keys, axis=1, kind="stable")
    rows_u = np.repeat(np.arange(n_users), n_u)
    rows_i = np.concatenate([order[u, : n_u[u]] for u in range(n_users)])
    # top up films with fewer than 3 ratings from users whose taste fits them best
    counts = np.bincount(rows_i, minlength=n_items)
    seen = set(zip(rows_u.tolist(), rows_i.tolist(), strict=True))
    add_u, add_i = [], []
    for i in np.flatnonzero(counts < 3):
        for u in np.argsort(-keys[:, i], kind="stable"):
            if counts[i] >= 3:
                break
            if (int(u), int(i)) not in seen:
                seen.add((int(u), int(i)))
                add_u.append(int(u))
                add_i.append(int(i))
                counts[i] += 1
    rows_u = np.concatenate([rows_u, np.array(add_u, int)])
    rows_i = np.concatenate([rows_i, np.array(add_i, int)])
    # --- ratings
    mu = 3.1
    latent = (
        mu
        + b_u[rows_u]
        + quality[rows_i]
        + 0.75 * aff[rows_u, rows_i]
        + np.sum(P[rows_u] * Q[rows_i], axis=1)
        + rng.normal(0, 0.6, size=len(rows_u))
    )
    rating = np.clip(np.round(latent), 1, 5)
    # --- timestamps: per-user active window, not before the film's release, recent films rated soon after
    span = (END - START).days
    start = rng.integers(0, span - 30, size=n_users)
    length = np.minimum(np.exp(rng.uniform(np.log(45), np.log(span), size=n_users)).astype(int), span - start)
    release = _release_dates(rng, items["year"].to_numpy())
    rel_day = (release - np.datetime64(START.date(), "D")).astype(int)
    lo = np.maximum(start[rows_u], rel_day[rows_i])
    hi = np.maximum(start[rows_u] + length[rows_u], lo + 1)
    day = lo + np.floor(rng.random(len(rows_u)) * (hi - lo)).astype(int)
    fresh = (rel_day[rows_i] >= 0) & (rng.random(len(rows_u)) < 0.55)
    day = np.where(fresh, rel_day[rows_i] + rng.exponential(40, size=len(rows_u)).astype(int), day)
    late = day > span  # past the end of the data: somewhere between the earliest allowed day and the end
    day = np.where(late, lo + np.floor(rng.random(len(rows_u)) * np.maximum(span - lo, 1)).astype(int), day)
    day = np.clip(day, 0, span)
    # time of day: mostly afternoons and evenings
    hour = rng.choice(24, size=len(rows_u), p=_HOUR_P)
    secs = hour * 3600 + rng.integers(0, 3600, size=len(rows_u))
    ts = (
        np.datetime64(START.date(), "s")
        + day.astype("timedelta64[D]").astype("timedelta64[s]")
        + secs.astype("timedelta64[s]")
    )
    return rows_u, rows_i, rating, ts, {"quality": quality, "aff": aff, "release": release}


# --------------------------------------------------------------------------- reviews


def _film_aspects(rng, genres: list[str], quality: float) -> tuple[np.ndarray, np.ndarray]:
    """Per film: how much each aspect gets discussed, and whether it is a strength (+) or weakness (-)."""
    talk = rng.gamma(0.8, 1.0, size=len(ASPECTS)) + 0.05
    for g in genres:
        for a, m in GENRE_ASPECT_BOOST.get(g, {}).items():
            talk[ASPECTS.index(a)] *= m
    merit = quality * 1.5 + rng.normal(0, 1.0, size=len(ASPECTS))
    # cumulative choice weights for praise (strengths first) and complaint (weaknesses first)
    pos, neg = talk * np.exp(0.8 * merit), talk * np.exp(-0.8 * merit)
    return np.cumsum(pos / pos.sum()), np.cumsum(neg / neg.sum())


def _clause(rng, aspect: str, positive: bool) -> str:
    return _pick(rng, PRAISE[aspect] if positive else COMPLAINT[aspect])


def _review_polarity(rng, stars: float) -> int:
    """The opinion's side: follows the stars, ~10% disagree."""
    if stars >= 4:
        pol = 1
    elif stars <= 2:
        pol = -1
    else:
        pol = 0
    if rng.random() < 0.10:  # the words disagree with the stars: mixed feelings or the other side
        pol = int(rng.choice([-1, 1])) if pol == 0 else (0 if rng.random() < 0.5 else -pol)
    return pol


def _aspect(rng, cdf) -> str:
    return ASPECTS[min(int(np.searchsorted(cdf, rng.random(), side="right")), len(ASPECTS) - 1)]


def _mixed_parts(rng, parts: list[str], cdf_pos, cdf_neg) -> None:
    """One praise and one complaint joined with "but" (and sometimes an overall line)."""
    good, bad = _aspect(rng, cdf_pos), _aspect(rng, cdf_neg)
    first, second = (_clause(rng, good, True), _clause(rng, bad, False))
    if rng.random() < 0.4:
        first, second = second, first
    parts.append(first + _pick(rng, CONNECT_BUT) + second)
    if rng.random() < 0.5:
        parts.append(_pick(rng, OVERALL_MID))


def _one_sided_parts(rng, parts: list[str], positive: bool, stars: float, cdfs: tuple) -> None:
    """One to three clauses on one side; a softer star adds one point of the other side."""
    cdf_pos, cdf_neg = cdfs
    n_cl = int(rng.choice([1, 2, 3], p=[0.35, 0.45, 0.2]))
    seen: set[str] = set()
    for _ in range(n_cl):
        a = _aspect(rng, cdf_pos if positive else cdf_neg)
        if a in seen:
            continue
        seen.add(a)
        parts.append(_clause(rng, a, positive))
    if stars in (4.0, 2.0) and rng.random() < 0.3:  # a softer star: one point of the other side
        a = _aspect(rng, cdf_neg if positive else cdf_pos)
        parts[-1] = parts[-1] + _pick(rng, CONNECT_BUT) + _clause(rng, a, not positive)


def _people_part(rng, parts: list[str], positive: bool, title: str, director: str, actors: list[str]) -> None:
    """Sometimes a line on an actor, the director or the title, then sometimes an overall line."""
    r = rng.random()
    if r < 0.25 and actors:
        tpl = PRAISE_PERSON if positive else COMPLAINT_PERSON
        parts.insert(int(rng.integers(0, len(parts) + 1)), _pick(rng, tpl).format(a=_pick(rng, actors)))
    elif r < 0.35:
        tpl = PRAISE_DIRECTOR if positive else COMPLAINT_DIRECTOR
        parts.insert(int(rng.integers(0, len(parts) + 1)), _pick(rng, tpl).format(d=director))
    elif r < 0.45:
        parts.insert(0, _pick(rng, TITLE_POS if positive else TITLE_NEG).format(t=title))
    if rng.random() < 0.55:
        parts.append(_pick(rng, OVERALL_POS if positive else OVERALL_NEG))


def _review(rng, stars: float, title: str, director: str, actors: list[str], cdf_pos, cdf_neg) -> str:
    pol = _review_polarity(rng, stars)
    parts: list[str] = []
    if rng.random() < 0.25:
        parts.append(_pick(rng, OPENERS))
    if pol == 0:  # mixed: one praise, one complaint, joined with "but"
        _mixed_parts(rng, parts, cdf_pos, cdf_neg)
    else:
        _one_sided_parts(rng, parts, pol > 0, stars, (cdf_pos, cdf_neg))
        _people_part(rng, parts, pol > 0, title, director, actors)
    text = "，".join(parts)
    while len(text) > 79 and len(parts) > 1:
        parts.pop(0 if len(parts) > 2 else -1)
        text = "，".join(parts)
    end = _pick(rng, ["。", "。", "！", "", "。"])
    while len(text) + len(end) < 8:
        text = text + "，" + _pick(rng, OVERALL_MID if pol == 0 else (OVERALL_POS if pol > 0 else OVERALL_NEG))
    return (text + end)[:80]


def _make_reviews(rng, items, quality, rows_u, rows_i, rating, n_reviews: int):
    n = len(rows_u)
    # who writes: extremes and active users write more
    w = np.select([rating >= 5, rating <= 1, rating == 2], [1.6, 1.8, 1.2], 1.0)
    w = w * rng.lognormal(0, 0.5, size=n)
    keys = np.log(w) + rng.gumbel(size=n)
    picked = np.sort(np.argsort(-keys, kind="stable")[:n_reviews])
    film = {}
    titles = items["title"].tolist()
    people = items["people"].tolist()
    genres = items["genres"].tolist()
    texts = np.full(n, None, dtype=object)
    for r in picked:
        i = int(rows_i[r])
        if i not in film:
            film[i] = _film_aspects(rng, genres[i], quality[i])
        cdf_pos, cdf_neg = film[i]
        texts[r] = _review(rng, float(rating[r]), titles[i], people[i][0], people[i][1:], cdf_pos, cdf_neg)
    return texts


# --------------------------------------------------------------------------- public API


def generate(
    seed: int = DEFAULT_SEED, n_users: int = 800, n_items: int = 500, n_ratings: int = 60_000, n_reviews: int = 10_000
) -> Dataset:
    """Generate the synthetic demo dataset (deterministic for a given seed)."""
    return _generate(seed, n_users, n_items, n_ratings, n_reviews)[0]


def generate_with_promotion(seed: int = DEFAULT_SEED, **sizes) -> tuple[Dataset, dict, dict]:
    """The demo dataset plus its promotion tables (films, box_office_daily, exposures, behaviour)
    and their manifest (with the planted campaign uplift). The rating tables are the same as
    :func:`generate`'s: the promotion tables come from their own random stream."""
    from .demo_promotion import generate_promotion

    ds, extras = _generate(seed, **sizes)
    group_genres = [{g for g, v in aff.items() if v >= 0.8} for _, _, aff in GROUPS]
    tables, manifest = generate_promotion(
        seed, ds.items, ds.users, extras["group"], ds.interactions, extras["latent"], group_genres
    )
    return ds, tables, manifest


def _generate(
    seed: int = DEFAULT_SEED, n_users: int = 800, n_items: int = 500, n_ratings: int = 60_000, n_reviews: int = 10_000
) -> tuple[Dataset, dict]:
    if n_users < 10 or n_items < 20 or n_ratings < 12 * n_users or n_reviews < 0:
        raise ValueError("generate() needs n_users >= 10, n_items >= 20, n_ratings >= 12 * n_users")
    rng = np.random.default_rng(seed)
    items, X = _make_items(rng, n_items)
    users, group = _make_users(rng, n_users)
    rows_u, rows_i, rating, ts, latent = _make_ratings(rng, items, X, group, n_ratings)
    n_rev = min(n_reviews, len(rows_u))
    texts = _make_reviews(rng, items, latent["quality"], rows_u, rows_i, rating, n_rev)

    user_ids = users["user_id"].to_numpy()
    item_ids = items["item_id"].to_numpy()
    inter = pd.DataFrame(
        {
            "user_id": user_ids[rows_u],
            "item_id": item_ids[rows_i],
            "rating": rating.astype(float),
            "timestamp": ts.astype("datetime64[ns]"),
            "text": texts,
        }
    )
    # a few review-only rows (watched, wrote a line, gave no stars): ~1% of reviews
    n_only = n_rev // 100
    if n_only:
        src = rng.choice(np.flatnonzero(pd.notna(texts)), size=n_only, replace=False)
        extra = inter.iloc[src].copy()
        extra["rating"] = np.nan
        offset = rng.integers(1, 5, size=n_only)
        extra["item_id"] = item_ids[(rows_i[src] + offset * 37) % n_items]
        rated = set(zip(inter["user_id"], inter["item_id"], strict=True))
        extra = extra[[(u, i) not in rated for u, i in zip(extra["user_id"], extra["item_id"], strict=True)]]
        extra = extra.drop_duplicates(["user_id", "item_id"])
        year_of = dict(zip(item_ids.tolist(), items["year"].tolist(), strict=True))
        extra = extra[extra["item_id"].map(year_of) < extra["timestamp"].dt.year]  # released before the review
        inter = pd.concat([inter, extra], ignore_index=True)
    inter = inter.sort_values(["timestamp", "user_id", "item_id"], kind="stable").reset_index(drop=True)
    meta = {
        "synthetic": True,
        "seed": int(seed),
        "planted_group": dict(zip(user_ids.tolist(), group.tolist(), strict=True)),
        "group_names": dict(enumerate(GROUP_NAMES)),
        "label": DATASET_NAME,
    }
    ds = Dataset.from_frames(
        inter,
        items,
        users,
        rating_scale=(1, 5),
        name="demo",
        sources=(f"recsys_core.data.demo seed={seed}",),
        meta=meta,
    )
    return ds, {"group": group, "latent": latent}


def write_promotion(tables: dict, manifest: dict, folder: str | Path) -> None:
    """Write the promotion tables (one CSV each) and their manifest into ``folder``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name, df in tables.items():
        df.to_csv(folder / f"{name}.csv", index=False, encoding="utf-8", lineterminator="\n")
    text = json.dumps({"name": DATASET_NAME, **manifest}, ensure_ascii=False, indent=2) + "\n"
    (folder / "manifest.json").write_text(text, encoding="utf-8")


def write(ds: Dataset, folder: str | Path) -> dict:
    """Write ``ds`` as interactions.csv, items.csv, users.csv and manifest.json (UTF-8)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    inter = ds.interactions.copy()
    inter["timestamp"] = inter["timestamp"].dt.strftime("%Y-%m-%dT%H:%M:%S")
    inter["rating"] = inter["rating"].map(
        lambda v: "" if pd.isna(v) else str(int(v)) if float(v).is_integer() else repr(v)
    )
    inter.to_csv(folder / "interactions.csv", index=False, encoding="utf-8", lineterminator="\n")
    if ds.items is not None:
        items = ds.items.copy()
        for c in ("genres", "people"):
            items[c] = items[c].map("|".join)
        items.to_csv(folder / "items.csv", index=False, encoding="utf-8", lineterminator="\n")
    if ds.users is not None:
        ds.users.to_csv(folder / "users.csv", index=False, encoding="utf-8", lineterminator="\n")
    s = ds.summary()
    manifest = {
        "name": DATASET_NAME,
        "seed": ds.meta.get("seed"),
        "generator": "recsys_core.data.demo",
        "counts": {
            "users": s["users"],
            "items": s["items"],
            "interactions": s["interactions"],
            "ratings": s["ratings"],
            "reviews": s["reviews"],
        },
        "rating_scale": list(ds.rating_scale),
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return manifest


def load(folder: str | Path | None = None) -> Dataset:
    """Read the shipped demo data (default: the repository's ``data/demo``) into canonical form."""
    folder = Path(folder) if folder is not None else DEFAULT_FOLDER
    if not folder.is_absolute() and not folder.exists() and (DEFAULT_FOLDER.parents[1] / folder).exists():
        folder = DEFAULT_FOLDER.parents[1] / folder
    if not (folder / "interactions.csv").exists():
        raise FileNotFoundError(f"no demo data in {folder}: run `python -m recsys_core.data.demo --out {folder}`")
    str_cols = {"user_id": str, "item_id": str, "text": str}
    inter = pd.read_csv(
        folder / "interactions.csv",
        dtype=str_cols,
        keep_default_na=False,
        na_values={"rating": [""], "text": [""]},
        encoding="utf-8",
    )
    inter["timestamp"] = pd.to_datetime(inter["timestamp"], format="%Y-%m-%dT%H:%M:%S", errors="coerce")
    items = users = None
    if (folder / "items.csv").exists():
        items = pd.read_csv(
            folder / "items.csv",
            dtype={"item_id": str, "title": str, "synopsis": str, "region": str, "genres": str, "people": str},
            keep_default_na=False,
            encoding="utf-8",
        )
        for c in ("genres", "people"):
            items[c] = items[c].map(lambda s: [p for p in s.split("|") if p])
    if (folder / "users.csv").exists():
        users = pd.read_csv(
            folder / "users.csv",
            dtype={"user_id": str, "age_band": str, "gender": str, "city": str, "occupation": str},
            encoding="utf-8",
        )
    meta: dict = {"synthetic": True, "label": DATASET_NAME}
    if (folder / "manifest.json").exists():
        man = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        meta["seed"] = man.get("seed")
    return Dataset.from_frames(inter, items, users, rating_scale=(1, 5), name="demo", sources=(str(folder),), meta=meta)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m recsys_core.data.demo", description="Regenerate the CineLens synthetic demo dataset."
    )
    p.add_argument("--out", default=str(DEFAULT_FOLDER), help="output folder (default: data/demo)")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default: {DEFAULT_SEED})")
    a = p.parse_args(argv)
    t0 = time.perf_counter()
    ds, tables, promo = generate_with_promotion(a.seed)
    man = write(ds, a.out)
    write_promotion(tables, promo, Path(a.out) / PROMOTION_FOLDER)
    print(f"wrote {a.out}: {man['counts']} in {time.perf_counter() - t0:.1f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
