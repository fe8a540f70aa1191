import jieba

from recsys_core.data.dataset import Dataset
from recsys_core.text.tokenize import dictionary_words, get_tokenizer, load_stopwords, tokenize_reviews, user_words


def test_user_dictionary_from_titles_and_people(zh_dataset):
    titles, names = dictionary_words(zh_dataset)
    assert titles == ["扫毒追踪", "星河彼岸", "神域之心"]
    assert names == ["付文", "田一海", "秦娜", "覃若红", "钱杰婷", "雷霞"]
    assert "覃若红" in user_words(zh_dataset)


def test_names_and_titles_stay_whole(zh_dataset):
    # without the user dictionary, jieba cuts the invented name and title into single characters
    plain = jieba.Tokenizer()
    assert "覃若红" not in plain.lcut("覃若红的表演太精彩了", HMM=False)
    tok = get_tokenizer(zh_dataset)
    assert tok.cut("覃若红的表演太精彩了")[0] == "覃若红"
    assert tok.cut("神域之心剧情无聊")[:2] == ["神域之心", "剧情"]
    assert tok.tag("覃若红") == "nr" and tok.tag("神域之心") == "nz"


def test_user_words_do_not_leak_into_global_or_other_datasets(zh_dataset):
    get_tokenizer(zh_dataset)
    assert "覃若红" not in jieba.dt.FREQ  # the global tokenizer is untouched
    other = Dataset.from_frames(zh_dataset.interactions.head(3), rating_scale=(1, 5), name="other")
    assert "覃若红" not in get_tokenizer(other).cut("覃若红的表演")


def test_names_with_a_middle_dot_contribute_their_parts():
    import pandas as pd

    ds = Dataset.from_frames(
        pd.DataFrame({"user_id": ["u"], "item_id": ["m"], "rating": [5.0]}),
        items=pd.DataFrame({"item_id": ["m"], "title": ["公民凯恩 Citizen Kane"], "people": [["奥逊·威尔斯"]]}),
    )
    titles, names = dictionary_words(ds)
    assert titles == ["公民凯恩"]
    assert names == ["奥逊", "威尔斯"]


def test_stopwords_list():
    stop = load_stopwords()
    assert {"的", "了", "电影", "觉得", "，"} <= stop
    # opinion words are never stop words
    assert not ({"不", "好看", "无聊", "精彩", "失望"} & stop)


def test_tokens_cached_in_workspace(tmp_path, zh_dataset):
    from recsys_core.store import open_workspace

    ws = open_workspace(tmp_path / "ws")
    tok = get_tokenizer(zh_dataset)
    texts = ["剧情紧凑，特效震撼", "演技尴尬"]
    a = tokenize_reviews(texts, tok, workspace=ws, cache_key="v1")
    assert a.tokens == [["剧情", "紧凑", "，", "特效", "震撼"], ["演技", "尴尬"]]
    calls = []
    b = tokenize_reviews(texts, tok, workspace=ws, cache_key="v1", progress=lambda f, m: calls.append(m))
    assert b.tokens == a.tokens and calls == ["tokenise"]
