"""The catalogue reader the command line shares with the app does not need Streamlit, and words our
own genre and demographic vocabulary (other values are data and stay as written)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from ui.catalogue import genre_label, translate, value_label

ROOT = Path(__file__).resolve().parents[1]


def test_cli_and_reader_import_without_streamlit():
    code = (
        "import sys; import ui.catalogue, ui.sentences, recsys_core.cli.segment, recsys_core.cli.plan; "
        "print('streamlit' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_genres_of_our_vocabulary_read_in_both_languages():
    assert genre_label("科幻", "en") == "sci-fi" and genre_label("Sci-Fi", "zh") == "科幻"
    assert genre_label("Children's", "zh") == "儿童" and genre_label("Children's", "en") == "children's"
    assert genre_label(" 剧情 ", "zh") == "剧情" and genre_label("Drama", "en") == "drama"
    # data values outside the vocabulary stay as written (Latin ones lower-cased in English)
    assert genre_label("赛博朋克", "en") == "赛博朋克" and genre_label("Cyberpunk", "zh") == "Cyberpunk"
    assert genre_label("Cyberpunk", "en") == "cyberpunk"


def test_values_of_our_vocabulary_read_in_both_languages():
    assert value_label("女", "en") == "female" and value_label("F", "zh") == "女"
    assert value_label("新一线城市", "en") == "new tier-1 city" and value_label("Student", "zh") == "学生"
    assert value_label("Student", "en") == "Student" and value_label("火星", "en") == "火星"


def test_translate_formats_and_falls_back_to_the_key():
    assert translate("persona.numbered", "en", name="heavy drama fans", n=2) == "heavy drama fans 2"
    assert translate("persona.numbered", "zh", name="高频剧情迷", n=2) == "高频剧情迷2"
    assert translate("no.such.key", "zh") == "no.such.key"
