"""Data is never markup: user-provided strings (titles, names, reasons, ids, review snippets, persona text) pass
through here before they reach ``st.markdown`` / captions / ``unsafe_allow_html``."""

from __future__ import annotations

import html
import re

# CommonMark lets a backslash escape any ASCII punctuation; these also cover Streamlit's own directives
# (:material/...:, :red[...]), LaTeX ($) and tables (|). "<", ">" and "&" are left to html.escape.
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~:$])")
# GFM turns bare URLs and e-mail addresses in *text* into links (after escapes are resolved), so a zero-width
# space goes between the scheme / "www" / local part and what makes them a link. The text reads the same.
_ZWSP = "\u200b"
_SCHEME = re.compile(r"(?i)\b(https?|ftp|mailto|xmpp)(?=:)")
_WWW = re.compile(r"(?i)\b(www)(?=\.)")


def html_text(value) -> str:
    """``value`` as HTML text: no element, attribute or entity from the data survives."""
    return html.escape("" if value is None else str(value), quote=True)


def md_text(value) -> str:
    """``value`` as Markdown text that Streamlit shows literally (with or without ``unsafe_allow_html``):
    no HTML element, Markdown link or image, directive, formula or autolink comes from the data."""
    s = "" if value is None else str(value).replace("\n", " ").replace("\r", " ")
    s = _WWW.sub(r"\1" + _ZWSP, _SCHEME.sub(r"\1" + _ZWSP, s)).replace("@", _ZWSP + "@")
    return html.escape(_MD_SPECIAL.sub(r"\\\1", s), quote=False)
