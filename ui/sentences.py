"""Sentences worded from structured results (codes and numbers) with the catalogue's templates.

Core functions return data only; every verdict, reason and summary the UI shows is built here,
in the language asked for, so no sentence is ever parsed or string-replaced after it is made.
"""

from __future__ import annotations

import numpy as np

from recsys_core.evaluation.compare import base_metric, lower_is_better

from .catalogue import genre_label, translate


def model_name(name: str, language: str) -> str:
    """A registry model's display name: its catalogue label, with the raw name when they differ."""
    key = f"model.{name}"
    label = translate(key, language)
    if label == key:  # a model the catalogue does not know yet
        return name
    if label.lower() == name:
        return label
    return translate("model.label", language, label=label, name=name)


def metric_name(column: str, language: str) -> str:
    """``ndcg@10`` -> "NDCG@10"; ``hit_rate`` -> "命中率" / "Hit rate"."""
    base, _, k = column.partition("@")
    label = translate(f"metric.{base}", language)
    if label == f"metric.{base}":
        label = base
    return translate("metric.at_k", language, metric=label, k=k) if k else label


def fmt_p(p: float, language: str) -> str:
    if not np.isfinite(p):
        return translate("fmt.p_unknown", language)
    if p < 0.001:
        return translate("fmt.p_small", language)
    s = f"{p:.3f}" if p < 0.01 else f"{p:.2g}" if p < 1 else "1"
    return translate("fmt.p", language, p=s)


def fmt_diff(x: float) -> str:
    ax = abs(x)
    if ax == 0:
        return "0"
    if ax >= 100:
        return f"{ax:.0f}"
    if ax >= 1:
        return f"{ax:.2f}"
    if ax >= 0.001:
        return f"{ax:.3f}"
    return f"{ax:.2g}"


def fmt_value(v: float, column: str) -> str:
    b = base_metric(column)
    if b in ("coverage", "hit_rate", "precision", "recall"):
        return f"{v:.1%}"
    if b.endswith("_seconds"):
        return f"{v:.2f}s" if v >= 0.01 else f"{v * 1000:.1f}ms"
    return f"{v:.3f}"


def join(values, language: str) -> str:
    return translate("fmt.list_sep", language).join(str(v) for v in values)


# ---------------------------------------------------------------------------- significance
def paired_sentence(res, language: str, labels: dict | None = None) -> str:
    """One sentence for a :class:`~recsys_core.evaluation.significance.PairedTest`."""
    labels = labels or {}
    a = labels.get(res.model_a, model_name(res.model_a, language))
    b = labels.get(res.model_b, model_name(res.model_b, language))
    metric = metric_name(res.metric, language)
    verdict = res.verdict
    if verdict == "incomparable":
        return translate("sig.incomparable", language, a=a, b=b, metric=metric)
    if verdict == "identical":
        return translate("sig.identical", language, a=a, b=b, metric=metric, p=fmt_p(1.0, language))
    d = res.diff
    a_better = (d < 0) if res.lower_is_better else (d > 0)
    if res.by == "user":
        metric = translate("sig.per_user_metric", language, metric=metric)
    head = translate(
        "sig.head.better" if a_better else "sig.head.worse",
        language,
        a=a,
        b=b,
        metric=metric,
        diff=fmt_diff(d),
        dir=translate("sig.lower" if d < 0 else "sig.higher", language),
        hint=translate("sig.lower_better" if res.lower_is_better else "sig.higher_better", language),
    )
    if res.by == "user":
        head = translate("sig.per_user", language, head=head)
    if verdict == "untestable":
        return translate("sig.untestable", language, head=head)
    how = translate(
        "sig.how",
        language,
        p=fmt_p(res.p_value, language),
        test=translate(f"sig.test.{res.test}", language),
        unit=translate(f"sig.unit.{res.by}", language, n=res.n),
    )
    key = "sig.significant" if verdict == "significant" else "sig.chance"
    return translate(key, language, head=head, how=how)


# ---------------------------------------------------------------------------- A/B tests
def online_verdict_sentence(v: dict, language: str) -> str:
    """Words for :func:`recsys_core.recommend.abtest.online_verdict`."""
    a, b, na, nb = v["arm_a"], v["arm_b"], v["events_a"], v["events_b"]
    if v["verdict"] == "too_little":
        text = translate("ab.too_little", language, a=a, b=b, na=na, nb=nb)
    else:
        head = translate(
            "ab.head",
            language,
            a=a,
            b=b,
            na=na,
            nb=nb,
            rate_a=f"{v['rate_a']:.0%}",
            rate_b=f"{v['rate_b']:.0%}",
            p=fmt_p(v["p_value"], language),
        )
        key = "ab.significant" if v["verdict"] == "significant" else "ab.chance"
        text = translate(key, language, head=head, better=v.get("better") or "")
    if v.get("min_n") is not None:
        need = translate(
            "ab.need",
            language,
            base=f"{v['base']:.0%}",
            lift=f"{v['lift']:.0%}",
            power=f"{v['power']:.0%}",
            alpha=f"{v['alpha']:g}",
            need=int(v["min_n"]),
        )
        text = f"{text} {need}"
    return text


def offline_diff_sentence(row: dict, a: str, b: str, k: int, language: str) -> str:
    """Words for one row of :attr:`recsys_core.recommend.abtest.OfflineAB.diffs`."""
    metric = metric_name(f"{row['metric']}@{k}", language)
    d = float(row["diff"])
    if d == 0:
        return translate("off.same", language, a=a, b=b, metric=metric)
    head = translate(
        "off.head",
        language,
        a=a,
        b=b,
        metric=metric,
        diff=f"{abs(d):.3f}",
        dir=translate("sig.higher" if d > 0 else "sig.lower", language),
        lo=f"{row['ci_lo']:+.3f}",
        hi=f"{row['ci_hi']:+.3f}",
    )
    how = translate("off.how", language, n=int(row["users"]), p=fmt_p(float(row["p_value"]), language))
    return translate("off.significant" if row["significant"] else "off.chance", language, head=head, how=how)


# ---------------------------------------------------------------------------- recommendation reasons
def _titles(titles, language: str) -> str:
    return translate("fmt.list_sep", language).join(translate("fmt.title", language, title=x) for x in titles)


def _feature_values(kind: str, values, language: str) -> str:
    if kind == "genre":
        values = [genre_label(v, language) for v in values]
    return join(values, language)


def reason_sentence(reason, language: str) -> str:
    """Words for a :class:`~recsys_core.recommend.explain.Reason`."""
    if reason is None:
        return ""
    kind = reason.kind
    if kind in ("item", "latent"):
        key = "why.item" if kind == "item" else "why.latent"
        return translate(key, language, titles=_titles(reason.titles, language), sim=reason.similarity)
    if kind == "user":
        example = reason.evidence[0][0] if reason.evidence else "?"
        return translate("why.user", language, n=reason.count, example=example)
    if kind == "content" and reason.source == "profile":
        parts = [
            translate(
                "why.feature",
                language,
                name=translate(f"why.feature.{k}", language),
                values=_feature_values(k, v, language),
            )
            for k, v in reason.features
        ]
        return translate("why.profile", language, features=translate("fmt.clause_sep", language).join(parts))
    if kind == "content":
        parts = [
            translate(f"why.liked.{k}", language, values=_feature_values(k, v, language)) for k, v in reason.features
        ]
        return translate("fmt.clause_sep", language).join(parts)
    return translate("why.popular", language, n=reason.count)


# ---------------------------------------------------------------------------- Models page summary
def _winner(s, col: str, lab: dict, language: str) -> str | None:
    vals = s[col].dropna()
    if vals.empty:
        return None
    order = vals.sort_values(ascending=lower_is_better(col))
    best, bv = order.index[0], order.iloc[0]
    metric = metric_name(col, language)
    if len(order) > 1:
        second, sv = order.index[1], order.iloc[1]
        return translate(
            "sum.best",
            language,
            metric=metric,
            best=lab[best],
            value=fmt_value(bv, col),
            second=lab[second],
            gap=fmt_value(abs(bv - sv), col),
        )
    return translate("sum.only", language, metric=metric, best=lab[best], value=fmt_value(bv, col))


def _tradeoff(s, acc_col: str, lab: dict, language: str) -> str | None:
    """The most accurate model against the fastest by ``total_seconds`` (the table's own column)."""
    secs = s["total_seconds"]
    best = s[acc_col].idxmin() if lower_is_better(acc_col) else s[acc_col].idxmax()
    fastest = secs.idxmin()
    if best == fastest or not secs[fastest] > 0:
        return None
    return translate(
        "sum.tradeoff",
        language,
        best=lab[best],
        best_s=fmt_value(secs[best], "total_seconds"),
        fastest=lab[fastest],
        fastest_s=fmt_value(secs[fastest], "total_seconds"),
        ratio=secs[best] / secs[fastest],
    )


def models_summary(s, rank_col: str, language: str, paired=None) -> list[str]:
    """Plain-language sentences over a Models-page summary frame (rows: raw model names; columns:
    metric columns plus ``total_seconds``). ``paired``: a PairedTest of the two best models, or None."""
    if s.empty:
        return []
    lab = {m: model_name(m, language) for m in s.index}
    out = [w for col in ("rmse", rank_col, "coverage") if col in s.columns and (w := _winner(s, col, lab, language))]
    has_rmse = "rmse" in s.columns and s["rmse"].notna().any()
    rankers = [lab[m] for m in s.index if "rmse" in s.columns and not np.isfinite(s.at[m, "rmse"])]
    if rankers:
        key = "sum.rankers.one" if len(rankers) == 1 else "sum.rankers.many"
        out.append(translate(key, language, models=join(rankers, language)))
    if has_rmse and rank_col in s.columns and s[rank_col].notna().any():
        b_rmse, b_rank = s["rmse"].idxmin(), s[rank_col].idxmax()
        if b_rmse != b_rank:
            out.append(
                translate(
                    "sum.not_best_ranker",
                    language,
                    rmse_best=lab[b_rmse],
                    rank_best=lab[b_rank],
                    metric=metric_name(rank_col, language),
                )
            )
    acc_col = "rmse" if has_rmse else rank_col
    if acc_col in s.columns and s[acc_col].notna().any() and len(s) > 1:
        sentence = _tradeoff(s, acc_col, lab, language)
        if sentence:
            out.append(sentence)
    if paired is not None:
        out.append(paired_sentence(paired, language, lab))
    return out


# ---------------------------------------------------------------------------- persona names
def persona_name(p: dict, language: str) -> str:
    """A persona's name from its ``name_parts`` codes (activity, habit, genres, extra, number):
    高频挑剔科幻迷 / "heavy critical sci-fi fans". Personas saved before names were codes keep
    the names they were saved with."""
    parts = p.get("name_parts")
    if not parts:
        old = p.get(f"name_{language}") or p.get("name_zh") or p.get("name")
        return str(old) if old else f"#{p.get('id', p.get('segment', ''))}"
    words = "".join(
        translate("persona.word", language, word=translate(key, language))
        for key in (f"persona.activity.{parts['activity']}", f"persona.habit.{parts['habit']}")
        if key in _PERSONA_WORDS
    )
    genres = parts.get("genres") or []
    sep = translate("persona.genre_sep", language)
    gtext = sep.join(genre_label(g, language) for g in genres) if genres else translate("persona.all_round", language)
    name = translate("persona.name", language, words=words, genres=gtext)
    extra = parts.get("extra")
    if extra:
        v = str(extra.get("value"))
        key = f"persona.extra.{v}"
        word = translate(key, language) if extra.get("trait") == "gender" and key in _PERSONA_WORDS else v
        name = translate("persona.with_extra", language, extra=word, name=name)
    if parts.get("number"):
        name = translate("persona.numbered", language, name=name, n=int(parts["number"]))
    return name


def persona_names(personas, language: str) -> dict[int, str]:
    """{segment id: name} of a list of personas (saved ones carry ``segment`` or ``id``)."""
    out = {}
    for k, p in enumerate(personas or []):
        seg = int(p.get("segment", p.get("id", k)))
        out[seg] = persona_name(p, language)
    return out


# the words a persona name can take (regular activity and neutral habits add none)
_PERSONA_WORDS = frozenset(
    {
        "persona.activity.heavy",
        "persona.activity.light",
        "persona.habit.harsh",
        "persona.habit.generous",
        "persona.extra.男",
        "persona.extra.女",
    }
)
