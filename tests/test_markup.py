"""User strings become text: no element, link, image, directive or autolink survives md_text / html_text."""

import html
import re

from hypothesis import given
from hypothesis import strategies as st

from ui.markup import html_text, md_text


def test_markup_and_markdown_constructs_are_escaped():
    s = md_text("<img src=x>![p](http://e/x.png) [a](b) :red[x] $x$ **b** www.e.com a@b.cn")
    assert "<" not in s and ">" not in s
    assert "\\!\\[p\\]\\(" in s and "\\[a\\]\\(b\\)" in s and "\\:red\\[x\\]" in s and "\\$x\\$" in s
    assert "\\*\\*b\\*\\*" in s
    assert "http\u200b\\:" in s and "www\u200b\\." in s and "a\u200b@b" in s
    assert html_text("<b a='1'>&") == "&lt;b a=&#x27;1&#x27;&gt;&amp;"


@given(st.text())
def test_no_tag_survives_and_text_reads_the_same(s):
    out = md_text(s)
    assert "<" not in out and ">" not in out and "\n" not in out
    # undoing the escapes gives the original text back (newlines shown as spaces)
    back = re.sub(r"\\(.)", r"\1", html.unescape(out)).replace("\u200b", "")
    assert back == s.replace("\n", " ").replace("\r", " ").replace("\u200b", "")
