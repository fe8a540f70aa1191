"""load_path(path) -> Dataset: the one entry point the CLI and tests use to read data from disk."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..errors import UserError
from .dataset import Dataset

_ALIASES = {
    "user_id": ["user_id", "userid", "user", "uid", "用户id", "用户"],
    "item_id": ["item_id", "itemid", "movie_id", "movieid", "item", "movie", "iid", "电影id", "电影"],
    "rating": ["rating", "score", "stars", "star", "评分"],
    "timestamp": ["timestamp", "time", "date", "comment_time", "时间"],
    "text": ["text", "comment", "review", "content", "短评", "评论"],
}


def _ml100k(folder: Path) -> Dataset:
    inter = pd.read_csv(folder / "u.data", sep="\t", names=["user_id", "item_id", "rating", "timestamp"])
    inter["timestamp"] = pd.to_datetime(inter["timestamp"], unit="s")
    items = users = None
    if (folder / "u.item").exists():
        genre_names = ["unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime", "Documentary",
                       "Drama", "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi",
                       "Thriller", "War", "Western"]
        raw = pd.read_csv(folder / "u.item", sep="|", header=None, encoding="latin-1")
        flags = raw.iloc[:, 5:24].to_numpy()
        items = pd.DataFrame({
            "item_id": raw[0],
            "title": raw[1],
            "genres": [[g for g, f in zip(genre_names, row) if f == 1] for row in flags],
            "year": pd.to_datetime(raw[2], errors="coerce", format="%d-%b-%Y").dt.year,
        })
    if (folder / "u.user").exists():
        u = pd.read_csv(folder / "u.user", sep="|", names=["user_id", "age", "gender", "occupation", "zip"])
        users = u.drop(columns=["zip"])
    return Dataset.from_frames(inter, items, users, rating_scale=(1, 5), name=folder.name, sources=(str(folder),))


def _canonical_folder(folder: Path) -> Dataset:
    inter = pd.read_csv(folder / "interactions.csv", dtype={"user_id": str, "item_id": str})
    items = pd.read_csv(folder / "items.csv", dtype={"item_id": str}) if (folder / "items.csv").exists() else None
    users = pd.read_csv(folder / "users.csv", dtype={"user_id": str}) if (folder / "users.csv").exists() else None
    return Dataset.from_frames(inter, items, users, name=folder.name, sources=(str(folder),))


def _table(path: Path) -> Dataset:
    try:
        df = pd.read_csv(path, sep=None, engine="python", encoding="utf-8-sig")
    except UnicodeDecodeError:
        df = pd.read_csv(path, sep=None, engine="python", encoding="gb18030")
    except (pd.errors.EmptyDataError, pd.errors.ParserError) as e:
        raise UserError(f"{path.name}: cannot read a table ({str(e).splitlines()[0]}); check the file is CSV/TSV") from None
    lower = {str(c).strip().lower(): c for c in df.columns}
    rename = {}
    for canon, names in _ALIASES.items():
        for n in names:
            if n in lower:
                rename[lower[n]] = canon
                break
    df = df.rename(columns=rename)
    missing = [c for c in ("user_id", "item_id", "rating") if c not in df.columns]
    if missing:
        raise UserError(f"{path.name}: no column for {', '.join(missing)}; name the columns user_id, item_id, rating")
    return Dataset.from_frames(df, name=path.stem, sources=(str(path),))


def load_path(path) -> Dataset:
    p = Path(path)
    if not p.exists():
        raise UserError(f"{p}: no such file or folder; check the path")
    if p.is_dir():
        if (p / "u.data").exists():
            return _ml100k(p)
        if (p / "interactions.csv").exists():
            return _canonical_folder(p)
        raise UserError(f"{p}: folder holds neither MovieLens files (u.data) nor a CineLens dataset (interactions.csv)")
    if p.stat().st_size == 0:
        raise UserError(f"{p.name}: the file is empty; export the ratings again")
    return _table(p)
