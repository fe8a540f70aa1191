import json

from recsys_core.__main__ import main


def test_sentiment_cli_json(tmp_path, reviews_csv):
    out = tmp_path / "s.json"
    assert main(["sentiment", str(reviews_csv), "--method", "stars", "--folds", "4", "--json", str(out)]) == 0
    d = json.loads(out.read_text(encoding="utf-8"))
    assert set(d) >= {"n", "method", "accuracy", "balanced_accuracy", "reviews_per_second", "per_item"}
    assert d["n"] == 46 and d["method"] == "stars" and 0.0 <= d["accuracy"] <= 1.0
    assert sorted(r["item_id"] for r in d["per_item"]) == ["M1", "M2", "M3"]
    assert sum(r["n"] for r in d["per_item"]) == 46
    assert set(d["per_item"][0]) == {"item_id", "n", "mean_score", "positive_share"}


def test_sentiment_cli_snownlp_without_stars(tmp_path):
    p = tmp_path / "r.csv"
    p.write_text("user_id,item_id,text\nu1,m1,太好看了，非常喜欢\nu2,m1,难看死了，很失望\n", encoding="utf-8")
    out = tmp_path / "s.json"
    assert main(["sentiment", str(p), "--json", str(out)]) == 0
    d = json.loads(out.read_text(encoding="utf-8"))
    assert d["method"] == "snownlp" and d["accuracy"] is None and d["balanced_accuracy"] is None and d["n"] == 2


def test_keywords_cli(tmp_path, reviews_csv, capsys):
    out = tmp_path / "k.json"
    assert main(["keywords", str(reviews_csv), "--top", "5", "--side", "negative", "--json", str(out)]) == 0
    d = json.loads(out.read_text(encoding="utf-8"))
    assert d["side"] == "negative" and len(d["keywords"]) == 5
    assert "无聊" in [k["word"] for k in d["keywords"]]
    assert main(["keywords", str(reviews_csv), "--item", "M9"]) == 2
    assert "M9" in capsys.readouterr().err
