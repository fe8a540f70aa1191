"""Format, encoding, delimiter, header and layout detection for uploaded files.

Everything here works on bytes / small text samples and returns plain values, so the
readers can show the user *what* was detected and the user can override it.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field

from ..errors import UserError

TEXT_EXTENSIONS = {"csv", "tsv", "txt", "dat", "data", "item", "user", "base", "test", "tab", ""}
SAMPLE_BYTES = 256 * 1024

# ---------------------------------------------------------------------------------------
# encoding
# ---------------------------------------------------------------------------------------

#: label shown to the user -> python codec used to decode
ENCODING_CODECS = {
    "UTF-8": "utf-8",
    "UTF-8-BOM": "utf-8-sig",
    "UTF-16": "utf-16",
    "GBK": "gbk",
    "GB18030": "gb18030",
    "Big5": "big5",
    "Latin-1": "latin-1",
    "Windows-1252": "cp1252",
}


def codec_for(label: str) -> str:
    return ENCODING_CODECS.get(label, label)


def detect_encoding(data: bytes) -> str:
    """Return a display label for the text encoding of ``data``.

    Chain: BOM -> strict UTF-8 -> charset-normalizer limited to the encodings film teams
    actually send (GB18030/GBK, Big5, Windows-1252/Latin-1) -> Latin-1 (never fails).
    The chosen candidate must decode the *whole* file strictly.
    """
    known = _bom_or_utf8(data)
    if known:
        return known
    candidates = _candidates(data)
    for label in candidates:
        try:
            data.decode(codec_for(label))
        except UnicodeDecodeError:
            continue
        return _refine(label, data)
    return "Latin-1"


def _bom_or_utf8(data: bytes) -> str | None:
    """UTF-8-BOM / UTF-16 from a byte-order mark, UTF-8 when the bytes decode as such, else None."""
    if data.startswith(b"\xef\xbb\xbf"):
        return "UTF-8-BOM"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "UTF-16"
    try:
        data.decode("utf-8")
        return "UTF-8"
    except UnicodeDecodeError as e:
        # a file cut in the middle of a multi-byte character is still UTF-8
        if e.start >= len(data) - 3 and e.reason == "unexpected end of data":
            return "UTF-8"
    return None


def _normalizer_guess(data: bytes) -> str | None:
    """charset-normalizer's best guess among GB18030, Big5, Windows-1252 and Latin-1 (None without one)."""
    try:
        from charset_normalizer import from_bytes

        sample = data[:SAMPLE_BYTES]
        cut = sample.rfind(b"\n")
        if cut > 0 and len(data) > SAMPLE_BYTES:
            sample = sample[:cut]
        best = from_bytes(sample, cp_isolation=["gb18030", "big5", "cp1252", "latin_1"]).best()
    except Exception:  # pragma: no cover - detector is optional
        return None
    if best is None:
        return None
    return {"gb18030": "GB18030", "big5": "Big5", "cp1252": "Windows-1252", "latin_1": "Latin-1"}.get(
        best.encoding, "Latin-1"
    )


def _candidates(data: bytes) -> list[str]:
    """Encodings to try in order: the detector's guess (Chinese ones settled GBK vs Big5), then the usual ones."""
    guess = _normalizer_guess(data)
    candidates = [guess] if guess else []
    for c in ("GB18030", "Big5", "Windows-1252"):
        if c not in candidates:
            candidates.append(c)
    if candidates[0] in ("GB18030", "Big5"):
        pick = _gbk_or_big5(data)
        if pick:
            candidates.insert(0, pick)
    return candidates


def _refine(label: str, data: bytes) -> str:
    """GBK when a GB18030 file is plain GBK; Latin-1 when a Windows-1252 file has none of its extra characters."""
    if label == "GB18030":
        try:
            data.decode("gbk")
            return "GBK"
        except UnicodeDecodeError:
            return "GB18030"
    if label == "Windows-1252" and not re.search(rb"[\x80-\x9f]", data):
        return "Latin-1"
    return label


def _common_share(text: str, test) -> float:
    chars = [
        c for c in text[:20000] if ord(c) > 0x7F and not (0xFF00 <= ord(c) <= 0xFFEF or 0x3000 <= ord(c) <= 0x303F)
    ]
    if not chars:
        return 0.0
    return sum(1 for c in chars if test(c)) / len(chars)


def _in_gb2312(c: str) -> bool:
    try:
        c.encode("gb2312")
        return True
    except UnicodeEncodeError:
        return False


def _big5_level1(c: str) -> bool:
    try:
        b = c.encode("big5")
    except UnicodeEncodeError:
        return False
    return len(b) == 2 and (0xA440 <= int.from_bytes(b, "big") <= 0xC67E or b[0] in (0xA1, 0xA2, 0xA3))


def _gbk_or_big5(data: bytes) -> str | None:
    """When bytes decode both as GBK and as Big5, prefer the reading made of common characters
    (GB2312 for simplified, Big5 level 1 for traditional); ties go to GBK."""
    sample = data[:SAMPLE_BYTES]
    try:
        g = sample.decode("gb18030")
    except UnicodeDecodeError:
        g = None
    try:
        b = sample.decode("big5")
    except UnicodeDecodeError:
        b = None
    if g is None or b is None:
        return None
    gs, bs = _common_share(g, _in_gb2312), _common_share(b, _big5_level1)
    return "Big5" if bs > gs + 0.05 else "GB18030"


_SURROGATE = re.compile("[\udc80-\udcff]")


@dataclass
class MixedDecode:
    """A UTF-8 file with some lines in another encoding, decoded line by line."""

    text: str
    lines: list  # 1-based numbers of the lines that were not UTF-8
    fallback: str  # the encoding those lines were read with

    def warning(self, filename: str) -> str:
        first = ", ".join(map(str, self.lines[:5])) + (", ..." if len(self.lines) > 5 else "")
        return (
            f"{filename}: {len(self.lines)} line(s) were not UTF-8 and were read as {self.fallback} "
            f"(line {first}); the rest is UTF-8 - check those lines, or re-save the file as UTF-8"
        )


_VALID_NON_ASCII = re.compile("[^\x00-\x7f\udc80-\udcff]")


def decode_mostly_utf8(data: bytes, filename: str = "file", max_lines: int = 10_000) -> MixedDecode | None:
    """Decode a file that is UTF-8 except for a few lines (one GBK line pasted into a UTF-8 file).

    Each line that is not valid UTF-8 is decoded on its own as GB18030 (else Big5); a line that is neither is
    refused. Returns None when the file is not mostly UTF-8 (fewer well-formed UTF-8 characters than bad bytes:
    a GBK or Latin-1 file hardly ever holds valid multi-byte UTF-8), or more than ``max_lines`` lines fail, so
    the whole-file detection decides.
    """
    text = data.decode("utf-8", errors="surrogateescape")
    bad = sum(1 for _ in _SURROGATE.finditer(text))
    if not bad or sum(1 for _ in _VALID_NON_ASCII.finditer(text)) < bad:
        return None
    starts: set = set()
    for m in _SURROGATE.finditer(text):
        starts.add(text.rfind("\n", 0, m.start()) + 1)
        if len(starts) > max_lines:
            return None
    starts = sorted(starts)
    pieces, last, lines, used = [], 0, [], set()
    for st in starts:
        end = text.find("\n", st)
        end = len(text) if end < 0 else end
        raw = text[st:end].encode("utf-8", errors="surrogateescape")
        fixed = None
        for label in ("GB18030", "Big5"):
            try:
                fixed = raw.decode(codec_for(label))
                used.add(label)
                break
            except UnicodeDecodeError:
                continue
        line_no = text.count("\n", 0, st) + 1
        if fixed is None:
            raise UserError(
                f"{filename}: line {line_no} is neither UTF-8 nor GBK/Big5 (mixed encodings) - re-save the file as UTF-8"
            )
        pieces += [text[last:st], fixed]
        last = end
        lines.append(line_no)
    pieces.append(text[last:])
    out = "".join(pieces)
    return MixedDecode(out[1:] if out.startswith("\ufeff") else out, lines, " / ".join(sorted(used)))


def decode(data: bytes, label: str, filename: str = "file") -> str:
    try:
        text = data.decode(codec_for(label))
    except UnicodeDecodeError as e:
        if label == "UTF-8" and e.start >= len(data) - 3:
            text = data[: e.start].decode("utf-8")
        else:
            raise UserError(
                f"{filename}: cannot be read as {label} (bad byte at position {e.start}) - "
                "choose another encoding or re-save the file as UTF-8"
            ) from None
    except LookupError:
        raise UserError(f"{filename}: unknown encoding {label!r} - choose UTF-8, GBK, Big5 or Latin-1") from None
    if text.startswith("\ufeff"):
        text = text[1:]
    return text


# ---------------------------------------------------------------------------------------
# container format
# ---------------------------------------------------------------------------------------


def sniff_format(filename: str, data: bytes) -> str:
    """One of csv, xlsx, xls, json, jsonl, parquet, zip, gzip, binary, empty."""
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if not data or not data.strip():
        return "empty"
    by_bytes = _format_from_magic(data, ext)
    if by_bytes:
        return by_bytes
    if ext in ("xlsx", "xlsm"):
        return "xlsx"  # not a zip: the reader says it is corrupt
    if ext in ("zip", "parquet"):
        return ext
    head = data[:SAMPLE_BYTES]
    if _looks_binary(head):
        return "binary"
    return _text_format(head, ext)


def _format_from_magic(data: bytes, ext: str) -> str | None:
    """The format the first bytes prove (Parquet, gzip, zip or xlsx, old Excel), else None."""
    if data[:4] == b"PAR1":
        return "parquet"
    if data[:2] == b"\x1f\x8b":
        return "gzip"
    if data[:4] == b"PK\x03\x04" or data[:4] == b"PK\x05\x06":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                names = z.namelist()
        except zipfile.BadZipFile:
            return "xlsx" if ext == "xlsx" else "zip"  # reader reports the corruption
        if "[Content_Types].xml" in names and any(n.startswith("xl/") for n in names):
            return "xlsx"
        return "zip"
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        return "xls"
    return None


def _text_format(head: bytes, ext: str) -> str:
    """json, jsonl or csv for a text file, from its extension and first characters."""
    stripped = head.lstrip(b"\xef\xbb\xbf").lstrip()
    if ext in ("jsonl", "ndjson"):
        return "jsonl"
    if ext == "json" or stripped[:1] in (b"[", b"{"):
        if stripped[:1] == b"{":
            first = stripped.split(b"\n", 1)[0].strip()
            rest = stripped.split(b"\n", 1)[1].strip() if b"\n" in stripped else b""
            if first.endswith(b"}") and rest.startswith(b"{"):
                return "jsonl"
        return "json"
    return "csv"


def _looks_binary(head: bytes) -> bool:
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False  # UTF-16 text has NUL bytes
    if b"\x00" in head:
        return True
    ctrl = sum(1 for b in head[:8192] if b < 32 and b not in (9, 10, 13, 12, 27))
    return ctrl > max(8, len(head[:8192]) // 50)


# ---------------------------------------------------------------------------------------
# delimiter and header
# ---------------------------------------------------------------------------------------

DELIMITERS = ["::", "\t", ",", ";", "|"]
DELIMITER_NAMES = {"::": "::", "\t": "tab", ",": ",", ";": ";", "|": "|", " ": "space"}


def _sample_lines(text: str, n: int = 60) -> list[str]:
    lines = []
    for line in text.splitlines():
        if line.strip():
            lines.append(line)
        if len(lines) >= n:
            break
    return lines


def sniff_delimiter(text: str) -> str:
    """Pick the delimiter that splits the first lines into the most consistent number (>1) of fields."""
    lines = _sample_lines(text[:SAMPLE_BYTES])
    if not lines:
        return ","
    best, best_key = ",", (-1.0, 0)
    for d in DELIMITERS:
        if d == "::":
            counts = [line.count("::") + 1 for line in lines]
        else:
            sample = "\n".join(lines)
            try:
                counts = [len(r) for r in csv.reader(io.StringIO(sample), delimiter=d, quotechar='"')]
            except csv.Error:
                continue
        if not counts:
            continue
        mode = max(set(counts), key=counts.count)
        if mode <= 1:
            continue
        consistency = counts.count(mode) / len(counts)
        key = (consistency + (0.5 if d == "::" and consistency > 0.9 else 0.0), mode)
        if key > best_key:
            best, best_key = d, key
    if best_key[0] < 0:
        # whitespace separated (e.g. "1 2 5 881250949")
        counts = [len(line.split()) for line in lines]
        if counts and min(counts) > 1 and len(set(counts)) == 1:
            return " "
    return best


_NUMERIC = re.compile(r"^\s*[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*$")


def _is_num(s: str) -> bool:
    return bool(_NUMERIC.match(s))


def sniff_header(rows: list[list[str]]) -> bool:
    """True when the first row looks like column names rather than data."""
    if not rows:
        return False
    first = rows[0]
    if any(normalise_header(c) in ALIASES for c in first):
        return True
    body = rows[1:20]
    if not body:
        return not all(_is_num(c) for c in first if c.strip())
    for j, cell in enumerate(first):
        col = [r[j] for r in body if j < len(r) and r[j].strip()]
        if col and not _is_num(cell) and cell.strip() and sum(_is_num(c) for c in col) / len(col) > 0.8:
            return True
    # all first-row cells are non-empty, distinct, non-numeric labels while the body differs
    if all(c.strip() and not _is_num(c) for c in first) and len(set(first)) == len(first):
        same = sum(1 for r in body if r[: len(first)] == first)
        lengths = [len(c) for c in first]
        return same == 0 and max(lengths) <= 40
    return False


# ---------------------------------------------------------------------------------------
# column aliases and layouts
# ---------------------------------------------------------------------------------------


_ALIAS_TABLE = {
    "user_id": [
        "user_id",
        "userid",
        "user",
        "uid",
        "user_md5",
        "username",
        "user_name",
        "reviewer",
        "reviewer_id",
        "member_id",
        "customer_id",
        "用户id",
        "用户",
        "用户名",
        "用户编号",
        "用戶id",
        "用戶",
    ],
    "item_id": [
        "item_id",
        "itemid",
        "movie_id",
        "movieid",
        "film_id",
        "filmid",
        "item",
        "movie",
        "film",
        "mid",
        "iid",
        "subject_id",
        "douban_id",
        "电影id",
        "影片id",
        "电影编号",
        "影片编号",
        "电影",
        "影片",
        "作品id",
        "電影id",
        "電影",
    ],
    "rating": [
        "rating",
        "ratings",
        "score",
        "stars",
        "star",
        "rate",
        "rating_score",
        "评分",
        "星级",
        "打分",
        "分数",
        "评星",
        "評分",
        "星級",
    ],
    "timestamp": [
        "timestamp",
        "time",
        "date",
        "datetime",
        "comment_time",
        "created_at",
        "rated_at",
        "review_time",
        "时间",
        "日期",
        "评论时间",
        "评分时间",
        "時間",
        "日期时间",
    ],
    "text": [
        "text",
        "comment",
        "comments",
        "review",
        "review_text",
        "content",
        "tag",
        "短评",
        "评论",
        "评论内容",
        "影评",
        "短評",
        "評論",
        "内容",
    ],
    "title": [
        "title",
        "name",
        "movie_name",
        "movie_title",
        "film_name",
        "item_name",
        "movie_name_cn",
        "movie_name_en",
        "moviename",
        "电影名",
        "电影名称",
        "片名",
        "名称",
        "标题",
        "影片名",
        "電影名",
    ],
    "genres": ["genres", "genre", "类型", "类别", "題材", "类型标签"],
    "year": ["year", "release_year", "年份", "上映年份"],
    "region": ["region", "regions", "country", "countries", "producing_regions", "地区", "国家", "制片国家"],
    "synopsis": ["synopsis", "storyline", "plot", "overview", "description", "简介", "剧情简介", "剧情"],
    "people": ["people", "actors", "cast", "stars_cast", "演员", "主演"],
    "age": ["age", "年龄"],
    "age_band": ["age_band", "age_group", "年龄段"],
    "gender": ["gender", "sex", "性别"],
    "city": ["city", "location", "城市", "所在地"],
    "occupation": ["occupation", "job", "职业"],
}


def normalise_header(name) -> str:
    s = str(name).strip().lower().lstrip("\ufeff")
    return re.sub(r"[\s_\-.·（）()]+", "", s)


ALIASES: dict[str, str] = {}
ALIAS_RANK: dict[str, int] = {}
for _field, _names in _ALIAS_TABLE.items():
    for _i, _n in enumerate(_names):
        ALIASES.setdefault(normalise_header(_n), _field)
        ALIAS_RANK.setdefault(normalise_header(_n), _i)


def suggest_mapping(columns) -> dict[str, str]:
    """canonical field -> source column, from header names (first match wins).

    A ratings table that names films only by title (e.g. DMSC's Movie_Name_CN) uses the title as the film id.
    """
    mapping: dict[str, str] = {}
    rank: dict[str, int] = {}
    for col in columns:
        h = normalise_header(col)
        f = ALIASES.get(h)
        if f and (f not in mapping or ALIAS_RANK[h] < rank[f]):  # the more specific name wins
            mapping[f], rank[f] = col, ALIAS_RANK[h]
    if "item_id" not in mapping and "title" in mapping and "user_id" in mapping and ({"rating", "text"} & set(mapping)):
        mapping["item_id"] = mapping["title"]
    return mapping


def role_of(mapping: dict) -> str:
    """interactions, items, users or unknown."""
    if "user_id" in mapping and "item_id" in mapping:
        return "interactions"
    if "item_id" in mapping and ({"title", "genres", "year", "synopsis"} & set(mapping)):
        return "items"
    if "user_id" in mapping and ({"age", "age_band", "gender", "occupation", "city"} & set(mapping)):
        return "users"
    return "unknown"


@dataclass
class Layout:
    name: str  # e.g. "movielens-100k", "douban-comments", "generic"
    role: str  # interactions | items | users | unknown
    mapping: dict = field(default_factory=dict)  # canonical field -> column of the frame
    rating_scale: tuple | None = None


def detect_layout(filename: str, columns: list[str], has_header: bool) -> Layout:
    base = filename.replace("\\", "/").rsplit("/", 1)[-1].lower()
    cols = [str(c) for c in columns]
    m = suggest_mapping(cols) if has_header else {}
    role = role_of(m)
    norm = {normalise_header(c) for c in cols}
    if role == "interactions":
        if {"userid", "movieid", "rating", "timestamp"} <= norm and base == "ratings.csv":
            return Layout("movielens-latest", role, m)
        if (
            {"comment", "movieid", "userid"} <= norm
            or {"usermd5", "comment"} <= norm
            or {"username", "star", "comment"} <= norm
        ):
            return Layout("douban-comments", role, m, (1.0, 5.0))
        return Layout("generic", role, m)
    if role == "items" and {"movieid", "title", "genres"} <= norm and base == "movies.csv":
        return Layout("movielens-latest", role, m)
    if role in ("items", "users"):
        return Layout("generic", role, m)
    return Layout("unknown", "unknown", m)
