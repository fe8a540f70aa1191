"""The :class:`Lab` facade: every use case the app and the command line share, over one workspace."""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, replace
from datetime import datetime

import pandas as pd

from ..data.cleaning import CleaningOptions, apply_mapping, clean
from ..errors import UserError
from ..models import Recommender, make_model
from ..recommend import Engine, Filters, new_user_id
from ..recommend.feedback import retrain
from ..trainset import Trainset
from . import experiment as X
from . import promotion, serving
from .names import generated_name

# Notes the lab writes on versions and models are codes ("code" or "code:count"); the UI words them
# from its catalogue (data.note.<code>, rec.note.<code>) and shows any other note as the user wrote it.
NOTE_FITTED = "fitted"
NOTE_SAVED = "saved"


def _retrained_note(n: int) -> str:
    return f"retrained:{int(n)}"


@dataclass(frozen=True)
class SavedUpload:
    raw: str
    cleaned: str
    rows: int


@dataclass(frozen=True)
class Registered:
    name: str
    model_id: str
    label: str
    seconds: float


def _finite_metrics(d: dict) -> dict:
    return {k: (None if (isinstance(v, float) and not math.isfinite(v)) else float(v)) for k, v in d.items()}


class Lab:
    """Use cases over a workspace (``None`` for the ones that only need a dataset, as in the CLI)."""

    def __init__(self, workspace=None):
        self._ws = workspace

    @property
    def ws(self):
        if self._ws is None:
            raise UserError("this action needs a workspace - set CINELENS_WORKSPACE or start the app")
        return self._ws

    @staticmethod
    def table_csv(frame: pd.DataFrame) -> bytes:
        """A result table as UTF-8 CSV for download, cells neutralised like every export."""
        from ..data.export import to_csv_bytes

        return to_csv_bytes(frame)

    # ------------------------------------------------------------------ dataset versions
    def default_version(self) -> str | None:
        """The workspace's default version: what a new session opens on."""
        return self.ws.active_version()

    def session_version(self, chosen: str | None) -> str | None:
        """The version a session sees: its own choice while that version exists, else the default."""
        if chosen and self.ws.has_version(chosen):
            return chosen
        return self.default_version()

    def make_default(self, version_id: str) -> None:
        self.ws.set_active(version_id)

    def delete_version(self, version_id: str) -> None:
        self.ws.delete_version(version_id)

    @staticmethod
    def clean_upload(result, overrides: dict, options: CleaningOptions, progress=None):
        """(raw dataset, cleaned dataset, report). The raw version keeps every parsable row as written."""
        raw_tables = apply_mapping(result, overrides)
        raw_ds, _ = clean(raw_tables, CleaningOptions.minimal())
        ds, report = clean(raw_tables, options, progress)
        return raw_ds, ds, report

    def save_upload(self, files: list[tuple[str, bytes]], raw_ds, ds, report, note: str = "") -> SavedUpload:
        """Keep the upload bytes and add a raw version and its cleaned child, in one transaction:
        either both versions exist afterwards or neither does. The workspace default does not change
        (except in an empty workspace, where the first version becomes the default)."""
        ws = self.ws
        with ws.transaction():
            upload_ids = [ws.save_upload(name, data) for name, data in files]
            up = upload_ids[0] if upload_ids else None
            raw_id = ws.add_version(raw_ds, kind="raw", note=note or "raw", upload_id=up)
            clean_id = ws.add_version(
                ds, kind="cleaned", parent=raw_id, note=note or "cleaned", report=report.to_dict(), upload_id=up
            )
            if ws.get_setting("active_version") == raw_id:  # an empty workspace: default to the cleaned one
                ws.set_setting("active_version", clean_id)
            ws.log_event(
                "data_upload_saved",
                {
                    "files": [n for n, _ in files],
                    "raw": raw_id,
                    "cleaned": clean_id,
                    "rows_in": report.rows_in,
                    "rows_out": report.rows_out,
                },
            )
        return SavedUpload(raw_id, clean_id, int(report.rows_out))

    def save_staged(self, staged, note: str = "") -> SavedUpload:
        """:meth:`save_upload` for a big file cleaned by the streaming ingest (recsys_core.data.ingest): the upload
        bytes and both versions in one transaction; the scratch files go either way."""
        try:
            up, raw_id, clean_id = staged.commit(self.ws, note=note)
            ws = self.ws
            with ws.transaction():
                if ws.get_setting("active_version") == raw_id:
                    ws.set_setting("active_version", clean_id)
                ws.log_event(
                    "data_upload_saved",
                    {
                        "files": [staged.source.filename],
                        "raw": raw_id,
                        "cleaned": clean_id,
                        "rows_in": staged.report.rows_in,
                        "rows_out": staged.report.rows_out,
                        "streamed": True,
                    },
                )
        finally:
            staged.discard()
        return SavedUpload(raw_id, clean_id, int(staged.report.rows_out))

    def drop_users(self, ds, user_ids, note: str = "") -> str:
        """A new cleaned version without these users (the current version stays as it is). ``ds`` is a dataset, or
        anything with the ``version`` and ``meta`` of a stored version: then DuckDB copies the rows that stay, and
        none passes through pandas (a version of 40M rows is filtered without being loaded)."""
        drop = set(map(str, user_ids))
        meta = dict(ds.meta)
        meta["suspicious_users"] = [u for u in meta.get("suspicious_users", []) if str(u) not in drop]
        meta["dropped_users"] = sorted(drop)
        note = note or f"dropped_suspicious:{len(drop)}"
        if getattr(ds, "version", None) and self.ws.has_version(ds.version):
            return self.ws.add_version_without_users(ds.version, drop, meta, note=note)
        inter = ds.interactions[~ds.interactions["user_id"].isin(drop)].reset_index(drop=True)
        if inter.empty:
            raise UserError("dropping these users would leave no rows - keep at least one user")
        users = ds.users[~ds.users["user_id"].isin(drop)].reset_index(drop=True) if ds.users is not None else None
        new = replace(ds, interactions=inter, users=users, version=None, meta=meta)
        return self.ws.add_version(new, kind="cleaned", parent=ds.version, note=note)

    # ------------------------------------------------------------------ experiments
    @staticmethod
    def experiment(ds, configs: dict[str, dict], protocol: dict, on_cell=None, folds=None, **kw):
        """Models x params x folds through the one loop; ``on_cell(cell, compute)`` per cell."""
        return X.run_experiment(ds, configs, protocol, on_cell=on_cell, folds=folds, **kw)

    @staticmethod
    def tune(ds, name, base_params, space, method, n_iter, protocol, metric, on_cell=None, folds=None):
        return X.run_search(ds, name, base_params, space, method, n_iter, protocol, metric, on_cell, folds)

    # ------------------------------------------------------------------ models
    def _register(self, model, name: str, params: dict, version, metrics=None, note: str = "") -> tuple[str, str]:
        label = generated_name(name, params, make_model(name).get_params(), version, datetime.now())
        model_id = self.ws.register_model(model, name, metrics or {}, version, note=note, label=label)
        return model_id, label

    def fit_and_register(self, ds, name: str, params: dict | None = None, note: str = NOTE_FITTED) -> Registered:
        """Fit a model on every rating of a dataset version and register it under a generated name."""
        params = dict(params or {})
        t0 = time.perf_counter()
        model = make_model(name, **params).fit(Trainset.from_dataset(ds))
        secs = time.perf_counter() - t0
        model_id, label = self._register(model, name, model.get_params(), ds.version, {}, note)
        return Registered(name, model_id, label, secs)

    def save_models(self, ds, evaluation, names: list[str], configs: dict, on_model=None) -> list[Registered]:
        """Refit each chosen model of a comparison on all ratings of the version and register it
        with its comparison metrics. ``on_model(name, index, total)`` before each fit."""
        from ..evaluation.compare import TIME_COLUMNS

        cols = [c for c in evaluation.metric_columns if c in evaluation.folds.columns] + list(TIME_COLUMNS)
        summary = evaluation.folds.groupby("model", sort=False)[cols].mean()
        ts = Trainset.from_dataset(ds)
        out = []
        for j, name in enumerate(names):
            if on_model:
                on_model(name, j, len(names))
            model = make_model(name, **configs.get(name, {}))
            t0 = time.perf_counter()
            model.fit(ts)
            secs = time.perf_counter() - t0
            metrics = _finite_metrics(summary.loc[name].to_dict()) if name in summary.index else {}
            metrics["full_fit_seconds"] = secs
            model_id, label = self._register(model, name, model.get_params(), ds.version, metrics, NOTE_SAVED)
            self.ws.log_event("model_saved", {"model_id": model_id, "protocol": evaluation.protocol})
            out.append(Registered(name, model_id, label, secs))
        return out

    def models(self, version: str | None = None) -> pd.DataFrame:
        """Registered models (newest first) with ``display``: the stored name, or one generated for
        models registered before names existed."""
        df = self.ws.list_models(data_version=version)
        df = df.sort_values("created", ascending=False).reset_index(drop=True)
        df["display"] = [self._display(r) for r in df.to_dict("records")]
        return df

    @staticmethod
    def _display(row: dict) -> str:
        label = row.get("label")
        if isinstance(label, str) and label:
            return label
        params = row.get("params") or {}
        try:
            defaults = make_model(row["name"]).get_params()
        except (KeyError, ValueError, UserError):
            defaults = {}
        return generated_name(row["name"], params, defaults, row.get("data_version"), pd.Timestamp(row["created"]))

    def rename_model(self, model_id: str, label: str) -> None:
        self.ws.rename_model(model_id, label)

    def engine(self, model_id: str) -> Engine:
        """The listing engine of a registered model (items from its dataset version when the model lacks them)."""
        model = self.ws.load_model(model_id)
        if not isinstance(model, Recommender):
            raise UserError(f"registered model {model_id} is not a recommender that can produce lists; pick another")
        items = None
        if getattr(getattr(model, "trainset_", None), "items_meta", None) is None:
            row = self.ws.list_models().query("model_id == @model_id")
            dv = row["data_version"].iloc[0] if len(row) else None
            if dv and self.ws.has_version(dv):
                items = self.ws.load_version(dv).items
        try:
            return Engine(model, items, model_id=model_id)
        except RuntimeError as e:  # not fitted
            raise UserError(f"registered model {model_id} cannot produce lists ({e}); fit a new one") from None

    def retrain_with_feedback(self, ds, eng: Engine, model_id: str, mode: str) -> tuple[Registered, int]:
        """Refit (or fold in) a registered model with this version's feedback and register the result.
        Returns (the new model, the number of feedback events used)."""
        fb = self.ws.feedback(data_version=ds.version)
        if fb.empty:
            raise UserError("no feedback yet for this dataset version: like or rate a few films first")
        t0 = time.perf_counter()
        new_model, _, n = retrain(eng.model, ds.ratings, fb, ds.rating_scale, ds.items, mode=mode)
        secs = time.perf_counter() - t0
        row = self.ws.list_models().query("model_id == @model_id")
        name = str(row["name"].iloc[0]) if len(row) else eng.model.name
        new_id, label = self._register(
            new_model, name, new_model.get_params(), ds.version, {"feedback_events": n}, _retrained_note(n)
        )
        self.ws.log_event(
            "model_retrained",
            {"model_id": new_id, "parent": model_id, "mode": mode, "feedback_events": n, "data_version": ds.version},
        )
        return Registered(name, new_id, label, secs), n

    # ------------------------------------------------------------------ feedback, visitors, serving
    def record_feedback(
        self, user_id, item_id, action, value=None, model_id=None, arm=None, session=None, version=None
    ):
        return self.ws.add_feedback(
            user_id,
            item_id,
            action,
            value=None if value is None else float(value),
            model_id=model_id,
            arm=arm,
            session=session,
            data_version=version,
        )

    def create_visitor(self, session: str, ratings: dict, genres: list, model_id: str, version: str) -> str:
        """A cold-start visitor: a generated id whose onboarding ratings are stored as feedback."""
        uid = new_user_id(f"{session}|{json.dumps(ratings, sort_keys=True)}")
        with self.ws.transaction():
            for i, v in ratings.items():
                self.ws.add_feedback(uid, i, "rate", v, model_id=model_id, session=session, data_version=version)
            self.ws.log_event(
                "visitor_created", {"user_id": uid, "ratings": len(ratings), "genres": genres, "data_version": version}
            )
        return uid

    def visitor_genres(self, user_id: str) -> list[str]:
        """Favourite genres a cold-start visitor picked (from the ``visitor_created`` event), or []."""
        for p in self.ws.events(kind="visitor_created")["payload"]:
            if p.get("user_id") == user_id:
                return list(p.get("genres") or [])
        return []

    def ab_state(self, version: str) -> serving.ABState:
        """The online A/B test of a version; it applies to every session of the workspace."""
        return serving.ABState.from_json(self.ws.get_setting(f"{serving.AB_SETTING}:{version}"))

    def set_ab_state(self, version: str, state: serving.ABState) -> None:
        if state.on and (not state.a or not state.b):
            raise UserError("pick a model for arm A and for arm B before starting the online test")
        self.ws.set_setting(f"{serving.AB_SETTING}:{version}", state.to_json())
        self.ws.log_event("online_ab_changed", {"data_version": version, "on": state.on, "a": state.a, "b": state.b})

    def route(self, version: str, model_id: str, user: str) -> tuple[str, str | None]:
        """(serving model id, arm or None) for a user: the workspace's A/B test decides while it runs."""
        return serving.route(self.ab_state(version), model_id, user)

    def serve(self, eng: Engine, version: str, user: str, filters: Filters | None = None, opts: dict | None = None):
        """A user's list (known user or visitor), without films they disliked or marked not interested."""
        opts = {"n": 10, "exclude_seen": True, "diversity": 0.0, "novelty": 0.0, **(opts or {})}
        fb = self.ws.feedback(data_version=version, user_id=user)
        genres = () if eng.knows(user) else self.visitor_genres(user)
        return serving.serve(eng, user, fb, filters or Filters(), opts, genres)

    # ------------------------------------------------------------------ audiences, segments, reviews
    def profiles(self, ds, tags: bool = True, text_sentiment: bool = False) -> pd.DataFrame:
        """One row per user (activity, tastes, tags, sentiment, demographics)."""
        from ..profiling.profiles import build_profiles

        cache = self._ws.cache_dir("jieba") if (tags and self._ws is not None) else None
        return build_profiles(ds, tags=tags, cache_dir=cache, use_text_model=text_sentiment, workspace=self._ws)

    @staticmethod
    def segments(profiles: pd.DataFrame, ds, k="auto", algorithm: str = "kmeans", **kw):
        """Segments of users with personas (``k="auto"`` picks k from the silhouette curve)."""
        from ..profiling.segments import fit_segments

        return fit_segments(profiles, k, algorithm, ds=ds, **kw)

    def save_segments(self, version: str, result) -> str:
        """Keep a segmentation in the workspace (the Recommend page finds users by segment)."""
        return self.ws.save_segments(version, result.memberships, result.personas, result.params)

    @staticmethod
    def audience(ds, **kw):
        """The target audience of a film in the data or of a described new one (ranked users)."""
        from ..profiling.audience import target_audience

        return target_audience(ds, **kw)

    @staticmethod
    def audience_models() -> list[str]:
        """Scorer names usable for audiences: built-ins, then implicit rankers, then rating models."""
        from ..profiling.audience import available_models

        return available_models()

    @staticmethod
    def behaviour_tasks() -> tuple[str, ...]:
        """The behaviour-prediction tasks (codes): ``genre_like``, ``active_next``."""
        from ..profiling.behaviour import TASKS

        return tuple(TASKS)

    @staticmethod
    def audience_mix(users, memberships, names: dict | None = None) -> pd.DataFrame:
        """Segment mix of an audience against everybody: segment, name, shares, index."""
        from ..profiling.audience import audience_mix

        return audience_mix(users, memberships, names)

    @staticmethod
    def group_persona(ds, profiles: pd.DataFrame, users) -> dict | None:
        """The persona of any group of users (e.g. a film's target audience), measured against everybody."""
        from ..profiling.segments import group_persona

        return group_persona(ds, profiles, users)

    def export_audience(self, audience: pd.DataFrame, who: str, what: str, pseudonymise: bool = True) -> bytes:
        """An audience as CSV (ids pseudonymised under the workspace's secret unless switched off),
        recorded in the workspace's export log."""
        from ..profiling.audience import export_audience_csv

        secret = self.ws.secret("pseudonym") if pseudonymise else None
        out = export_audience_csv(audience, secret, pseudonymise_ids=pseudonymise)
        self.ws.log_export(who, what, len(audience), pseudonymise, "csv")
        return out

    def score_reviews(self, ds, method: str = "auto", progress=None, **kw):
        """Sentiment of every review (cached in the workspace per version and method when there is one)."""
        from ..text.sentiment import score_dataset

        return score_dataset(ds, method=method, workspace=self._ws, progress=progress, **kw)

    # ------------------------------------------------------------------ promotion (see .promotion)
    def export_plan(self, plan, who: str, contacts=None, segment_names: dict | None = None, target: str = "") -> bytes:
        """An audience plan as CSV for an ad platform, pseudonymised under the workspace's secret and
        recorded in its export log."""
        return promotion.export_plan(self.ws, plan, who, contacts, segment_names, target)

    def buzz(self, ds, item_id, films=None, daily=None) -> promotion.BuzzRun:
        """A film's buzz around release, with the sentiment the workspace has scored for this version."""
        return promotion.buzz(ds, item_id, films, daily, ws=self._ws)
