"""Data page: what is loaded, upload -> detect -> map -> clean (preview + report) -> save as a version;
versions (switch, compare, delete) and exports."""

from __future__ import annotations

import streamlit as st

from recsys_core.app import CleaningOptions
from recsys_core.errors import UserError
from ui import auth, bigupload, spark_results
from ui import data_page as dp
from ui.i18n import has, t
from ui.markup import md_text
from ui.services import active_version_id, choose_version, dataset, lab, workspace
from ui.state import K, keep_widgets, lazy_tabs, opened

UPLOAD_TYPES = [
    "csv",
    "tsv",
    "txt",
    "dat",
    "data",
    "item",
    "user",
    "json",
    "jsonl",
    "ndjson",
    "parquet",
    "xlsx",
    "zip",
    "gz",
]
ROLES = ["interactions", "items", "users", "ignore"]
SCALES = {
    "detected": None,
    "1-5": (1.0, 5.0),
    "0.5-5": (0.5, 5.0),
    "0-5": (0.0, 5.0),
    "1-10": (1.0, 10.0),
    "0-10": (0.0, 10.0),
}

keep_widgets("data_")
st.title(f":material/database: {t('data.title')}")
st.caption(t("data.intro"))
ws = workspace()


def labels(df) -> dict:
    """Column headers in the UI language (the frame keeps its own column names)."""
    return {c: st.column_config.Column(t(f"col.{c}")) for c in df.columns if has(f"col.{c}")}


def show_table(df) -> None:
    # no widget key: a keyed dataframe keeps the headers of its first render when only the column_config
    # labels change, so a language switch would leave Chinese headers on an English page
    st.dataframe(df, hide_index=True, column_config=labels(df))


# ------------------------------------------------------------------ overview of the active version
def overview() -> None:
    v = active_version_id()
    if v is None:
        st.info(t("data.no_active"))
        return
    try:
        ds = dp.stored_version(v)  # name and metadata only: the numbers and charts below are counted by DuckDB
    except UserError as e:
        st.error(t("common.error", msg=e))
        return
    s = dp.summary_numbers(ds)
    st.subheader(t("data.summary_title", version=v, name=md_text(ds.name)))
    c = st.columns(5)
    c[0].metric(t("common.users"), f"{s['users']:,}")
    c[1].metric(t("common.items"), f"{s['items']:,}")
    c[2].metric(t("common.ratings"), f"{s['ratings']:,}")
    c[3].metric(t("common.reviews"), f"{s['reviews']:,}")
    c[4].metric(t("data.sparsity"), "-" if s["sparsity"] is None else f"{s['sparsity']:.2%}")
    lo, hi = s["rating_scale"]
    st.caption(
        t(
            "data.scale_line",
            lo=f"{lo:g}",
            hi=f"{hi:g}",
            mean="-" if s["mean_rating"] is None else f"{s['mean_rating']:.2f}",
            first=(s["first_time"] or "-")[:10],
            last=(s["last_time"] or "-")[:10],
        )
    )
    left, right = st.columns(2)
    if s["ratings"]:
        left.plotly_chart(
            dp.rating_histogram(ds, t("data.hist"), t("col.rating"), t("data.count")), key=K.DATA_HIST_CHART
        )
    right.markdown(f"**{t('data.top_films')}**")
    with right:
        show_table(dp.top_films(ds))
    if ds.meta.get("suspicious_users"):
        sus = ds.meta["suspicious_users"]
        st.warning(t("data.suspicious_in_version", n=len(sus), ids=", ".join(map(str, sus[:10]))))
        if st.button(t("data.drop_suspicious_btn", n=len(sus)), key=K.DATA_DROP_SUSPICIOUS):
            try:
                vid = lab().drop_users(ds, sus)  # copied by DuckDB: the version is not loaded
            except UserError as e:
                st.error(t("common.error", msg=e))
                return
            choose_version(vid)
            st.session_state[K.DATA_SAVED] = t("data.dropped_saved", n=len(sus), version=vid)
            st.rerun()
    flash = st.session_state.get(K.DATA_SAVED)
    if flash:
        st.success(flash)


# ------------------------------------------------------------------ upload -> map -> clean -> save
def options_form() -> CleaningOptions:
    with st.expander(t("data.options"), expanded=True):
        c1, c2, c3 = st.columns(3)
        exact = c1.checkbox(t("opt.exact"), value=True, key=f"{K.DATA_OPT}exact")
        ids = c1.checkbox(t("opt.ids"), value=True, key=f"{K.DATA_OPT}ids")
        parse = c1.checkbox(t("opt.parse"), value=True, key=f"{K.DATA_OPT}parse")
        unparse = c1.selectbox(
            t("opt.unparseable"),
            ["drop", "blank"],
            key=f"{K.DATA_OPT}unparse",
            format_func=lambda v: t(f"opt.unparseable.{v}"),
        )
        missing = c2.selectbox(
            t("opt.missing"), ["keep", "drop"], key=f"{K.DATA_OPT}missing", format_func=lambda v: t(f"opt.missing.{v}")
        )
        pairs = c2.selectbox(
            t("opt.pairs"),
            ["latest", "mean", "first", "keep"],
            key=f"{K.DATA_OPT}pairs",
            format_func=lambda v: t(f"opt.pairs.{v}"),
        )
        oor = c2.selectbox(
            t("opt.oor"), ["drop", "clip", "keep"], key=f"{K.DATA_OPT}oor", format_func=lambda v: t(f"opt.oor.{v}")
        )
        scale = c3.selectbox(
            t("opt.scale"),
            list(SCALES),
            key=f"{K.DATA_OPT}scale",
            format_func=lambda v: t("opt.scale.detected") if v == "detected" else v,
        )
        step = c3.selectbox(
            t("opt.step"),
            [0.0, 0.5, 1.0],
            key=f"{K.DATA_OPT}step",
            format_func=lambda v: t("opt.step.none") if not v else f"{v:g}",
        )
        ts = c3.checkbox(t("opt.timestamps"), value=True, key=f"{K.DATA_OPT}ts")
        text = c3.checkbox(t("opt.text"), value=True, key=f"{K.DATA_OPT}text")
        maxlen = c3.number_input(
            t("opt.maxlen"), min_value=0, max_value=100000, value=2000, step=100, key=f"{K.DATA_OPT}maxlen"
        )
        sus = c2.checkbox(t("opt.suspicious"), value=True, key=f"{K.DATA_OPT}sus")
        drop_sus = c2.checkbox(t("opt.drop_suspicious"), value=False, key=f"{K.DATA_OPT}drop_sus")
        pii = c2.checkbox(t("opt.pii"), value=True, key=f"{K.DATA_OPT}pii", help=t("opt.pii.help"))
    return CleaningOptions(
        exact_duplicates=exact,
        normalise_ids=ids,
        parse_ratings=parse,
        unparseable_ratings=unparse,
        missing_ratings=missing,
        target_scale=SCALES[scale],
        rating_step=step or None,
        out_of_range=oor,
        parse_timestamps=ts,
        clean_text=text,
        text_max_len=int(maxlen),
        duplicate_pairs=pairs,
        flag_suspicious=sus,
        drop_suspicious=drop_sus,
        mask_pii=pii,
    )


def mapping_forms(sig, result) -> dict:
    overrides = {}
    saved = ws.mappings()
    for i, tb in enumerate(result.tables):
        head = t("data.table_head", name=tb.name, layout=tb.layout, role=t(f"data.role.{tb.role}"), rows=tb.n_rows)
        with st.expander(head, expanded=tb.role == "unknown"):
            base = dict(tb.mapping)
            role0 = tb.role
            hit = dp.saved_mapping_for(tb, saved) if tb.role == "unknown" else None
            if hit:
                base = dict(saved[hit].get("mapping", {}))
                role0 = saved[hit].get("role", "interactions")
                st.caption(t("data.saved_used", name=hit))
            if role0 == "unknown":
                st.info(t("data.need_mapping"))
                role0 = "interactions"
            role = st.selectbox(
                t("data.role"),
                ROLES,
                index=ROLES.index(role0),
                key=f"{K.DATA_MAP}{sig}_{i}_role",
                format_func=lambda r: t(f"data.role.{r}"),
            )
            if role == "ignore":
                overrides[tb.name] = {"role": "ignore", "mapping": {}}
                continue
            none = "—"
            cols = [none] + [str(c) for c in tb.frame.columns]
            mapping = {}
            grid = st.columns(4)
            for j, f in enumerate(dp.ROLE_FIELDS[role]):
                cur = base.get(f)
                choice = grid[j % 4].selectbox(
                    t(f"field.{f}"),
                    cols,
                    index=cols.index(cur) if cur in cols else 0,
                    key=f"{K.DATA_MAP}{sig}_{i}_{role}_{f}",
                )
                if choice != none:
                    mapping[f] = choice
            overrides[tb.name] = {"role": role, "mapping": mapping}
            st.caption(t("data.live_preview"))
            st.dataframe(dp.mapping_preview(tb, role, mapping), hide_index=True, key=f"{K.DATA_MAP}{sig}_{i}_preview")
            n1, n2 = st.columns([3, 1])
            name = n1.text_input(
                t("data.mapping_name"), key=f"{K.DATA_MAP}{sig}_{i}_name", placeholder=t("data.mapping_name_ph")
            )
            if n2.button(t("data.mapping_save"), key=f"{K.DATA_MAP}{sig}_{i}_save", disabled=not name.strip()):
                ws.save_mapping(name.strip(), {"role": role, "mapping": mapping, "columns": cols[1:]})
                st.success(t("data.mapping_saved", name=name.strip()))
    return overrides


def show_report(report) -> None:
    c = st.columns(4)
    c[0].metric(t("data.rows_in"), f"{report.rows_in:,}")
    c[1].metric(t("data.rows_out"), f"{report.rows_out:,}")
    c[2].metric(t("data.rows_dropped"), f"{report.rows_in - report.rows_out:,}")
    c[3].metric(
        t("data.scale"),
        f"{report.detected_scale[0]:g}-{report.detected_scale[1]:g} → "
        f"{report.normalised_to[0]:g}-{report.normalised_to[1]:g}",
    )
    table = report.table()
    table["label"] = table["step"].map(lambda s: t(f"step.{s}"))
    table["detail"] = [dp.step_detail(report, s, t) for s in report.steps]
    st.dataframe(
        table[["label", "rows_in", "rows_out", "dropped", "changed", "detail"]].rename(
            columns={
                "label": t("data.col.step"),
                "rows_in": t("data.rows_in"),
                "rows_out": t("data.rows_out"),
                "dropped": t("data.rows_dropped"),
                "changed": t("data.col.changed"),
                "detail": t("data.col.detail"),
            }
        ),
        hide_index=True,
        key=K.DATA_REPORT_TABLE,
    )
    labels = {s: t(f"step.{s}") for s in table["step"]}
    labels["input"] = t("data.funnel_input")
    st.plotly_chart(dp.funnel_chart(report, labels), key=K.DATA_FUNNEL_CHART)
    with st.expander(t("data.examples")):
        for s in report.steps:
            if s.examples:
                st.markdown(f"**{t(f'step.{s.name}')}** — {dp.step_detail(report, s, t)}")
                st.dataframe(s.examples, key=f"{K.DATA_EXAMPLES}{s.name}")
    for w in report.warnings:
        st.warning(w)
    joins = dp.joins_table(report)
    if not joins.empty:
        st.markdown(f"**{t('data.joins')}**")
        show_table(joins)
    if report.suspicious_users:
        st.warning(t("data.suspicious", n=len(report.suspicious_users)))
        show_table(dp.suspicious_table(report.suspicious_users))


def big_file_section():
    """Files over the uploader's limit: sent to the workspace's disk by the big-file route (never held in memory).
    Returns the ticket of the file on disk, or None."""
    st.markdown(f"**{t('data.big.title', mb=dp.MAX_UPLOAD_MB, limit=dp.upload_limit_mb())}**")
    if not bigupload.mounted():  # the script run some other way than `streamlit run app.py`
        st.caption(t("data.big.unavailable", mb=dp.MAX_UPLOAD_MB))
        return None
    bigf = dp.big_file()
    err = st.session_state.get(K.DATA_BIG_ERROR)
    if err:
        st.error(err)
    if bigf is None:
        return None
    c1, c2 = st.columns([4, 1])
    c1.success(t("data.big.file", name=md_text(bigf.name), size=dp.size_text(bigf.received)))
    if c2.button(t("data.big.remove"), key=K.DATA_BIG_REMOVE):
        dp.forget_big_file()
        st.rerun()
    return bigf


def choose_source(uploaded):
    """(big file on disk or None, small files' bytes or None when read in parts), or None when nothing is chosen."""
    bigf = big_file_section()
    if bigf is None and not uploaded:
        dp.discard_stream()
        return None
    if bigf is not None and uploaded:
        st.info(t("data.big.alone", name=md_text(bigf.name)))
    # read in parts when big: the bytes are on disk, never copied whole in memory
    big = bigf is not None or dp.is_big(uploaded)
    if big:
        st.info(t("data.stream.note", mb=dp.stream_mb()))
    return bigf, None if big else [(f.name, f.getvalue()) for f in uploaded]


def upload_section() -> None:
    if not auth.need("upload"):
        return
    st.caption(t("data.upload_limit", mb=dp.MAX_UPLOAD_MB))
    flash = st.session_state.get(K.DATA_SAVED)
    if flash:
        st.success(flash)
    uploaded = st.file_uploader(t("data.upload"), type=UPLOAD_TYPES, accept_multiple_files=True, key=K.DATA_UPLOAD)
    st.caption(t("data.upload_howto", mb=dp.MAX_UPLOAD_MB))  # Streamlit's own uploader text cannot be translated
    source = choose_source(uploaded)
    if source is None:
        return
    bigf, files = source
    with st.expander(t("data.overrides")):
        o1, o2, o3 = st.columns(3)
        enc = o1.selectbox(
            t("data.encoding"),
            dp.ENCODINGS,
            key=K.DATA_ENCODING,
            format_func=lambda v: t("data.auto") if v == "auto" else v,
        )
        delim = o2.selectbox(
            t("data.delimiter"),
            list(dp.DELIMITERS),
            key=K.DATA_DELIMITER,
            format_func=lambda v: t("data.auto") if v == "auto" else v,
        )
        header = o3.selectbox(
            t("data.header"), list(dp.HEADERS), key=K.DATA_HEADER, format_func=lambda v: t(f"data.header.{v}")
        )
    try:
        sig, result, big = dp.read_session_upload(uploaded, bigf, files, enc, delim, header)
    except UserError as e:
        st.error(t("data.read_failed", msg=e))
        return
    st.markdown(f"**{t('data.detected')}**")
    src = result.source_info()
    delim = {"\t": "tab", " ": "space"}.get(src["delimiter"], src["delimiter"]) or "-"
    st.caption(
        t(
            "data.detected_line",
            format=result.format,
            encoding=result.encoding or "-",
            delimiter=delim,
            layout=result.layout or "-",
            tables=len(result.tables),
        )
    )
    show_table(dp.detected_table(result))
    for w in result.warnings:
        st.warning(w)
    overrides = mapping_forms(sig, result)
    opts = options_form()
    if st.button(t("data.preview_btn"), key=K.DATA_PREVIEW_BTN, type="primary"):
        bar = st.progress(0.0, text=t("data.cleaning"))
        staged = raw_ds = ds = None
        try:
            if big:
                staged = dp.clean_big(big, overrides, opts, bar)
                report = staged.report
            else:
                raw_ds, ds, report = lab().clean_upload(
                    result,
                    overrides,
                    opts,
                    progress=lambda f, label="": bar.progress(min(max(f, 0.0), 1.0), text=label),
                )
        except UserError as e:
            bar.empty()
            st.session_state[K.DATA_PREVIEW] = None
            st.error(t("data.clean_failed", msg=e))
            return
        bar.empty()
        st.session_state[K.DATA_PREVIEW] = {
            "sig": sig,
            "raw": raw_ds,
            "ds": ds,
            "staged": staged,
            "report": report,
            "options": opts.to_dict(),
            "overrides": overrides,
        }
    prev = st.session_state.get(K.DATA_PREVIEW)
    if not prev or prev["sig"] != sig:
        return
    st.subheader(t("data.report"))
    stale = prev["options"] != opts.to_dict() or prev["overrides"] != overrides
    if stale:
        st.info(t("data.stale"))
    show_report(prev["report"])
    st.download_button(
        t("common.download_json"),
        data=dp.report_json(prev["report"]),
        file_name="cleaning_report.json",
        mime="application/json",
        key=K.DATA_REPORT_JSON,
        on_click="ignore",
    )
    note = st.text_input(t("data.note"), key=K.DATA_NOTE)
    if st.button(t("data.save_btn"), key=K.DATA_SAVE_BTN, type="primary", disabled=stale):
        try:
            if prev.get("staged") is not None:
                saved = lab().save_staged(prev["staged"], note=note)
            else:
                saved = lab().save_upload(files, prev["raw"], prev["ds"], prev["report"], note=note)
        except UserError as e:
            st.error(t("data.save_failed", msg=e))
            return
        choose_version(saved.cleaned)
        st.session_state[K.DATA_PREVIEW] = None
        st.session_state[K.DATA_SAVED] = t("data.saved", raw=saved.raw, clean=saved.cleaned, rows=saved.rows)
        st.rerun()


# ------------------------------------------------------------------ versions
def versions_section() -> None:
    vers = ws.list_versions()
    if vers.empty:
        st.info(t("data.no_versions"))
        return
    show_table(dp.versions_view(vers))
    ids = vers["version_id"].tolist()
    current, default = active_version_id(), lab().default_version()
    st.caption(t("data.version_scope", current=current or "—", default=default or "—"))
    # the picker starts on this session's version; the buttons and the confirmation all read the same pick
    if st.session_state.get(K.DATA_VERSION_PICK) not in ids:
        st.session_state[K.DATA_VERSION_PICK] = current if current in ids else ids[-1]
    pick = st.selectbox(t("data.version"), ids, key=K.DATA_VERSION_PICK)
    c1, c2, c3 = st.columns(3)
    if c1.button(t("data.activate"), key=K.DATA_ACTIVATE, disabled=pick == current):
        choose_version(pick)
        st.rerun()
    if c2.button(t("data.make_default"), key=K.DATA_MAKE_DEFAULT, disabled=pick == default):
        lab().make_default(pick)
        st.rerun()
    confirm = c3.checkbox(t("data.delete_confirm", version=pick), key=K.DATA_DELETE_CONFIRM)
    if c3.button(t("data.delete"), key=K.DATA_DELETE, disabled=not confirm):
        lab().delete_version(pick)
        if pick == current:
            choose_version(None)
        st.session_state.pop(K.DATA_DELETE_CONFIRM, None)
        st.session_state.pop(K.DATA_VERSION_PICK, None)
        st.rerun()
    rep = ws.get_report(pick)
    if rep:
        with st.expander(t("data.version_report", version=pick)):
            st.json(rep, expanded=False)
    if len(ids) >= 2:
        st.markdown(f"**{t('data.compare')}**")
        a_col, b_col = st.columns(2)
        a = a_col.selectbox("A", ids, index=len(ids) - 2, key=K.DATA_CMP_A)
        b = b_col.selectbox("B", ids, index=len(ids) - 1, key=K.DATA_CMP_B)
        show_table(dp.compare_table(a, b))  # counted by DuckDB: neither version is read into pandas
        st.plotly_chart(
            dp.compare_histogram(a, b, f"A {a}", f"B {b}", t("data.hist"), t("col.rating"), t("data.count")),
            key=K.DATA_COMPARE_CHART,
        )


# ------------------------------------------------------------------ exports
def export_section() -> None:
    if not auth.need("export"):
        return
    v = active_version_id()
    if v is None:
        st.info(t("data.no_active"))
        return
    ds = dp.stored_version(v)  # the rows are read only when a download is asked for
    st.caption(t("data.export_note"))
    raw_ids = st.checkbox(t("data.export_raw"), value=False, key=K.DATA_EXPORT_RAW, help=t("data.export_raw_help"))
    who = dp.session_who()
    c1, c2, c3 = st.columns(3)
    c1.download_button(
        t("data.export_csv"),
        data=lambda: dp.export_csv(dataset(v), raw_ids, who),
        file_name=f"{ds.name}_{v}.csv",
        mime="text/csv",
        key=K.DATA_EXPORT_CSV,
        on_click="ignore",
    )
    try:
        c2.download_button(
            t("data.export_xlsx"),
            data=lambda: dp.export_excel(dataset(v), raw_ids, who),
            file_name=f"{ds.name}_{v}.xlsx",
            mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            key=K.DATA_EXPORT_XLSX,
            on_click="ignore",
        )
    except UserError as e:
        c2.warning(str(e))
    rep = ws.get_report(v)
    if rep:
        import json

        c3.download_button(
            t("data.export_report"),
            data=json.dumps(rep, ensure_ascii=False, indent=2).encode("utf-8"),
            file_name=f"{ds.name}_{v}_report.json",
            mime="application/json",
            key=K.DATA_EXPORT_REPORT,
            on_click="ignore",
        )
    st.markdown(f"**{t('data.audit_title')}**")
    audit = dp.audit_table(ws)
    if audit.empty:
        st.caption(t("data.audit_empty"))
    else:
        st.dataframe(audit, hide_index=True, key=K.DATA_AUDIT_TABLE)


tab_over, tab_up, tab_ver, tab_exp = lazy_tabs(
    [t("data.tab.overview"), t("data.tab.upload"), t("data.tab.versions"), t("data.tab.export")], K.DATA_TABS
)
for _ in opened(tab_over):
    overview()
for _ in opened(tab_up):
    upload_section()
    spark_results.import_block()
for _ in opened(tab_ver):
    versions_section()
for _ in opened(tab_exp):
    export_section()
