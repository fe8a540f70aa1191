"""Every session-state key in one place, with its default. Defaults are created inside
``init_state()`` (called by app.py on every run), never at import time."""

from __future__ import annotations

import streamlit as st


class K:
    LANG = "lang"  # "zh" | "en"
    VERSION = "dataset_version"  # this session's dataset version (the workspace default is only where it starts)
    SIDEBAR_VERSION = "sidebar_version_select"  # the sidebar's dataset picker (mirrors VERSION)
    SEGMENT_FILTER = "segment_filter"  # list[int] of segment ids chosen on the Audience page, or []
    AUTH_USER = "auth_user"  # signed-in account name (only with CINELENS_AUTH), or absent
    AUTH_ROLE = "auth_role"  # "viewer" | "analyst" of the signed-in account
    AUTH_FORM = "auth_form"
    AUTH_NAME = "auth_name"
    AUTH_PASSWORD = "auth_password"
    AUTH_SIGN_OUT = "auth_sign_out"
    SESSION_ID = "session_id"  # random id of this browser session (feedback, A/B arms)
    MODELS_EVAL = "models_eval"  # Evaluation of the last comparison on the Models page, or None
    MODELS_RUN = "models_run"  # {"version", "configs", "protocol"} of that comparison, or None
    MODELS_TUNING = "models_tuning"  # TuningResult of the last search on the Models page, or None
    MODELS_LOADED = "models_loaded"  # {"model_id", "name", "seconds"} of the last registry reload, or None
    MEMORY_BUDGET_GB = "memory_budget_gb"  # the Models page's memory budget input (widget)
    MEMORY_BUDGET = "memory_budget"  # the session's chosen budget (GB), kept while the input is not drawn
    TIME_BUDGET_MIN = "time_budget_min"  # the Models page's time budget input (widget, minutes per fit)
    TIME_BUDGET = "time_budget"  # the session's chosen time budget (minutes), kept while the input is not drawn
    # --- Data page (widget keys and page state) ---
    DATA_UPLOAD = "data_upload"  # file uploader (several files make one dataset)
    DATA_ENCODING = "data_encoding"  # encoding override ("auto" detects)
    DATA_DELIMITER = "data_delimiter"  # delimiter override
    DATA_HEADER = "data_header"  # header-row override
    DATA_EXPORT_RAW = "data_export_raw"  # export raw user ids instead of pseudonyms (explicit opt-in)
    DATA_PARSED = "data_parsed"  # (signature, ReadResult) of this session's current upload (not shared)
    DATA_PREVIEW = "data_preview"  # {sig, raw, ds, report, options, overrides} of the last cleaning preview
    DATA_STREAM = "data_stream"  # {sig, read}: a big upload spooled to disk and read in parts (not shared)
    DATA_BIG = "data_big"  # this session's ticket for a big file sent to the upload route (ui.bigupload)
    DATA_BIG_PICKER = "data_big_picker"  # the big-file picker component
    DATA_BIG_ERROR = "data_big_error"  # the last big-file failure, in the UI language, until the next file arrives
    DATA_BIG_REMOVE = "data_big_remove"  # button: forget the big file
    DATA_SAVED = "data_saved"  # message shown after the last save
    DATA_MAP = "data_map_"  # prefix of the column-mapping widgets
    DATA_OPT = "data_opt_"  # prefix of the cleaning-option widgets
    DATA_PREVIEW_BTN = "data_preview_btn"
    DATA_SAVE_BTN = "data_save_btn"
    DATA_NOTE = "data_note"
    DATA_VERSION_PICK = "data_version_pick"
    DATA_ACTIVATE = "data_activate"  # "use in this session"
    DATA_MAKE_DEFAULT = "data_make_default"  # "make default for new sessions"
    DATA_DELETE = "data_delete"
    DATA_DELETE_CONFIRM = "data_delete_confirm"
    DATA_CMP_A = "data_cmp_a"
    DATA_CMP_B = "data_cmp_b"
    DATA_DROP_SUSPICIOUS = "data_drop_suspicious"
    # --- Recommend page (widget keys and page state) ---
    REC_MODEL = "rec_model"  # registered model id chosen for browsing
    REC_MODEL_CHOSEN = "rec_model_chosen"  # this session's model choice (survives leaving the page)
    REC_MODEL_PENDING = "rec_model_pending"  # model id to select on the next run (after fit / retrain)
    REC_NEW_MODEL = "rec_new_model"
    REC_FIT = "rec_fit"
    REC_FIND = "rec_find"
    REC_SEGMENT = "rec_segment"
    REC_SEG_USER = "rec_segment_user"
    REC_USER = "rec_user_id"
    REC_CURRENT_USER = "rec_current_user"  # the user browsed last (used by the A/B tab)
    REC_GENRES = "rec_genres"
    REC_YEARS = "rec_years"
    REC_REGIONS = "rec_regions"
    REC_N = "rec_n"
    REC_EXCLUDE_SEEN = "rec_exclude_seen"
    REC_DIVERSITY = "rec_diversity"
    REC_NOVELTY = "rec_novelty"
    REC_DIV_FEATURES = "rec_div_features"  # vectors MMR compares: auto | genres | latent | ratings
    REC_FLASH = "rec_flash"  # (action, item) of the last feedback click, shown once
    REC_PREV_LIST = "rec_prev_list"  # {key: (model, user), items} of the list shown last (what feedback changed)
    REC_RENAME = "rec_rename_"  # prefix: the rename text box of a registered model
    REC_RENAME_BTN = "rec_rename_btn"
    REC_LAST_SERVED = "rec_last_served"  # prefix: signature of the last logged list per source
    REC_FB = "rec_fb_"  # prefix of the feedback buttons on browse cards
    REC_FB_TABLE = "rec_fb_table"
    REC_SCORES_CHART = "rec_scores_chart"
    REC_RETRAIN_MODE = "rec_retrain_mode"
    REC_RETRAIN = "rec_retrain"
    REC_CHANGES = "rec_changes"  # {user, from, to, n, before, after} of the last retrain
    REC_CHANGES_TABLE = "rec_changes_table"
    REC_COLD_GENRES = "rec_cold_genres"
    REC_COLD_RATE = "rec_cold_rate_"  # prefix of the onboarding rating widgets
    REC_COLD_GO = "rec_cold_go"
    REC_COLD_USER = "rec_cold_user"  # {user, ratings, genres, model_id} of this session's visitor
    REC_COLD_FB = "rec_cold_fb_"
    REC_SBS_A = "rec_sbs_a"
    REC_SBS_B = "rec_sbs_b"
    REC_OFF_A = "rec_off_a"
    REC_OFF_B = "rec_off_b"
    REC_OFF_K = "rec_off_k"
    REC_OFF_TEST = "rec_off_test"
    REC_OFF_RUN = "rec_off_run"
    REC_OFFLINE = "rec_offline"  # (model a, model b, k, test share) of the last offline A/B
    REC_OFF_TABLE = "rec_off_table"
    REC_OFF_CHART = "rec_off_chart"
    REC_AB_ON = "rec_ab_on"
    REC_AB_A = "rec_ab_a"
    REC_AB_B = "rec_ab_b"
    REC_AB_TABLE = "rec_ab_table"
    REC_AB_LIFT = "rec_ab_lift"
    REC_AB_BASE = "rec_ab_base"
    REC_AB_LIFT2 = "rec_ab_lift2"
    REC_MON_SERVED = "rec_mon_served"
    REC_MON_FB = "rec_mon_fb"
    REC_MON_FREQ = "rec_mon_freq"
    REC_MON_CHART = "rec_mon_chart"
    REC_MON_REGISTRY = "rec_mon_registry"
    REC_MON_ERRORS = "rec_mon_errors"
    # --- Reviews page (widget keys and page state) ---
    REV_METHOD = "rev_method"
    REV_TABS = "rev_tabs"
    REV_RUN = "rev_run"
    REV_DONE = "rev_done"  # (version, method) of the last sentiment run, or None
    REV_ITEM = "rev_item"
    REV_CMP_A = "rev_cmp_a"
    REV_CMP_B = "rev_cmp_b"
    REV_TREND_ITEMS = "rev_trend_items"
    REV_KW_METHOD = "rev_kw_method"
    REV_KW_SCOPE = "rev_kw_scope"
    REV_KW_ITEM = "rev_kw_item"
    REV_KW_SEGMENT = "rev_kw_segment"
    REV_KW_SIDE = "rev_kw_side"
    REV_KW_TOP = "rev_kw_top"
    REV_KW_CHART = "rev_kw_chart"
    # --- Audience page (widget keys and page state; run-states default to None) ---
    AUD_PROFILES_RUN = "aud_profiles_run"  # (version, (tags, text sentiment)) of the profiles computed here
    AUD_TAGS = "aud_tags"
    AUD_TEXT_SENT = "aud_text_sent"
    AUD_PROFILE_GO = "aud_profile_go"
    AUD_USER = "aud_user"
    AUD_DIST_METRIC = "aud_dist_metric"
    AUD_SEG_ALGO = "aud_seg_algo"
    AUD_SEG_KMODE = "aud_seg_kmode"
    AUD_SEG_K = "aud_seg_k"
    AUD_SEG_DEMO = "aud_seg_demo"
    AUD_SEG_REVIEWS = "aud_seg_reviews"
    AUD_SEG_GO = "aud_seg_go"
    AUD_SEG_RUN = "aud_seg_run"  # params of the last segmentation run (dict) + run_id
    AUD_SEG_MAP = "aud_seg_map"
    CHOICES_LANG = "choices_lang"  # prefix: language a page's choice widgets were last drawn in
    AUD_SEG_PICK = "aud_seg_pick"  # k picked under the silhouette curve (reruns segmentation)
    AUD_SEG_PENDING = "aud_seg_pending"  # True once a k was picked: the page reruns segmentation
    AUD_BEH_TASK = "aud_beh_task"
    AUD_BEH_GENRE = "aud_beh_genre"
    AUD_BEH_WINDOW = "aud_beh_window"
    AUD_BEH_GO = "aud_beh_go"
    AUD_BEH_RUN = "aud_beh_run"  # (version, task, genre, window) of the last comparison
    AUD_TGT_MODE = "aud_tgt_mode"
    AUD_TGT_ITEM = "aud_tgt_item"
    AUD_TGT_GENRES = "aud_tgt_genres"
    AUD_TGT_KEYWORDS = "aud_tgt_keywords"
    AUD_TGT_MODEL = "aud_tgt_model"
    AUD_TGT_CUT = "aud_tgt_cut"
    AUD_TGT_N = "aud_tgt_n"
    AUD_TGT_THRESHOLD = "aud_tgt_threshold"
    AUD_TGT_GO = "aud_tgt_go"
    AUD_TGT_RUN = "aud_tgt_run"  # request dict of the last audience shown
    AUD_TGT_VALIDATE = "aud_tgt_validate"
    AUD_TGT_VAL_RUN = "aud_tgt_val_run"  # (version, item, model) of the last validation shown
    AUD_TGT_PSEUDO = "aud_tgt_pseudo"
    AUD_TGT_DOWNLOAD = "aud_tgt_download"
    AUD_TGT_BENCH_N = "aud_tgt_bench_n"
    AUD_TGT_BENCH_GO = "aud_tgt_bench_go"
    AUD_TGT_BENCH_RUN = "aud_tgt_bench_run"  # (version, model, films) of the last many-film benchmark
    # --- Promotion page (widget keys and page state; results default to None) ---
    PROMO_UP_FILMS = "promo_up_films"  # uploaded film table
    PROMO_UP_DAILY = "promo_up_daily"  # uploaded daily box-office table
    PROMO_UP_EXPOSURES = "promo_up_exposures"  # uploaded campaign exposure log
    PROMO_UP_BEHAVIOUR = "promo_up_behaviour"  # uploaded behaviour log
    PROMO_FILES = "promo_files"  # {kind: {"name", "data"}}: uploads in use, kept while the Tables tab is closed
    PROMO_FORGET = "promo_forget_"  # prefix of the "stop using this upload" buttons, one per table kind
    PROMO_MAP_PREFIX = "promo_map_"  # prefix of the FIELD=COLUMN mapping inputs, one per table kind
    PROMO_BO_TARGET = "promo_bo_target"
    PROMO_BO_POST = "promo_bo_post"  # opt in to post-release columns
    PROMO_BO_GO = "promo_bo_go"
    PROMO_BO = "promo_bo"  # {"sig", "res"} of the last forecast, or None
    PROMO_WHATIF = "promo_whatif"  # the what-if form
    PROMO_CAMP = "promo_camp"
    PROMO_SPEND = "promo_spend"
    PROMO_CAMP_GO = "promo_camp_go"
    PROMO_CAMP_RES = "promo_camp_res"  # {"sig", "campaign", "kind", "lift" | "did", "uplift"}, or None
    PROMO_RESP_TARGET = "promo_resp_target"
    PROMO_RESP_GO = "promo_resp_go"
    PROMO_RESP = "promo_resp"  # {"sig", "res", "scores"} of the last ad-response run, or None
    PROMO_PLAN_ITEM = "promo_plan_item"
    PROMO_PLAN_SHARE = "promo_plan_share"
    PROMO_PLAN_BUDGET = "promo_plan_budget"
    PROMO_PLAN_CPM = "promo_plan_cpm"
    PROMO_PLAN_FREQ = "promo_plan_freq"
    PROMO_PLAN_CONV = "promo_plan_conv"
    PROMO_PLAN_RESP = "promo_plan_resp"  # mix in the ad-response scores
    PROMO_PLAN_VALIDATE = "promo_plan_validate"
    PROMO_PLAN_VAL = "promo_plan_val"  # {"version", "lifts", "best", ...} of the offline validation, or None
    PROMO_PLAN_GO = "promo_plan_go"
    PROMO_PLAN = "promo_plan"  # {"version", "plan"} of the last plan, or None
    PROMO_CONTACTS = "promo_contacts"  # users table with email / phone for hashed export
    PROMO_PLAN_DL = "promo_plan_dl"
    PROMO_BUZZ_ITEM = "promo_buzz_item"
    PROMO_SEG_NAMES = "promo_seg_names"  # segment id (str) -> persona name in the UI language, for display
    # --- results computed by the Spark engine and imported (Recommend, Audience, Data pages) ---
    SPARK_REC_RESULT = "spark_rec_result"  # result id of the precomputed list being browsed
    SPARK_REC_USER = "spark_rec_user"
    SPARK_REC_TABLE = "spark_rec_table"
    SPARK_SEG_RESULT = "spark_seg_result"
    SPARK_SEG_TABLE = "spark_seg_table"
    SPARK_AUD_RESULT = "spark_aud_result"
    SPARK_AUD_FILM = "spark_aud_film"
    SPARK_AUD_TABLE = "spark_aud_table"
    SPARK_IMPORT_FOLDER = "spark_import_folder"
    SPARK_IMPORT_GO = "spark_import_go"

    # --- widget keys of charts, tables and downloads, and the Models page's widgets ---
    MODELS_SELECT = "models_select"
    MODELS_SPLIT = "models_split"
    MODELS_FOLDS = "models_folds"
    MODELS_TEST_SIZE = "models_test_size"
    MODELS_LEAVE_N = "models_leave_n"
    MODELS_K = "models_k"
    MODELS_SEED = "models_seed"
    MODELS_TRAIN = "models_train"
    MODELS_BAR_METRIC = "models_bar_metric"
    MODELS_CURVE_METRIC = "models_curve_metric"
    MODELS_TRADE_METRIC = "models_trade_metric"
    MODELS_SIG_A = "models_sig_a"
    MODELS_SIG_B = "models_sig_b"
    MODELS_SIG_METRIC = "models_sig_metric"
    MODELS_SIG_BY = "models_sig_by"
    MODELS_TUNE_MODEL = "models_tune_model"
    MODELS_TUNE_METHOD = "models_tune_method"
    MODELS_TUNE_METRIC = "models_tune_metric"
    MODELS_TUNE_ITER = "models_tune_iter"
    MODELS_TUNE_FOLDS = "models_tune_folds"
    MODELS_TUNE_RUN = "models_tune_run"
    MODELS_TUNE_APPLY = "models_tune_apply"
    MODELS_TUNE_PARAM_CHART = "models_tune_param_chart"
    MODELS_SAVE_PICK = "models_save_pick"
    MODELS_SAVE = "models_save"
    MODELS_REG_PICK = "models_registry_pick"
    MODELS_REG_LOAD = "models_registry_load"
    MODELS_DOWNLOAD = "models_download"
    DATA_HIST_CHART = "data_hist_chart"
    DATA_REPORT_TABLE = "data_report_table"
    DATA_FUNNEL_CHART = "data_funnel_chart"
    DATA_REPORT_JSON = "data_report_json"
    DATA_COMPARE_CHART = "data_compare_chart"
    DATA_EXPORT_CSV = "data_export_csv"
    DATA_EXPORT_XLSX = "data_export_xlsx"
    DATA_EXPORT_REPORT = "data_export_report"
    DATA_AUDIT_TABLE = "data_audit_table"
    AUD_POP_TABLE = "aud_pop_table"
    AUD_POP_GENRES = "aud_pop_genres"
    AUD_CARD_TABLE = "aud_card_table"
    AUD_AFF_CHART = "aud_aff_chart"
    AUD_DIST_CHART = "aud_dist_chart"
    AUD_SIL_CHART = "aud_sil_chart"
    AUD_MAP_CHART = "aud_map_chart"
    AUD_BEH_TABLE = "aud_beh_table"
    AUD_ROC_CHART = "aud_roc_chart"
    AUD_IMP_CHART = "aud_imp_chart"
    AUD_TGT_TABLE = "aud_tgt_table"
    AUD_MIX_CHART = "aud_mix_chart"
    AUD_GAIN_CHART = "aud_gain_chart"
    AUD_LIFT_CHART = "aud_lift_chart"
    AUD_BENCH_TABLE = "aud_bench_table"
    REV_CONFUSION_CHART = "rev_confusion_chart"
    REV_CONFUSION_TABLE = "rev_confusion_table"
    REV_DISAGREE_TABLE = "rev_disagree_table"
    REV_FILMS_TABLE = "rev_films_table"
    REV_DIST_CHART = "rev_dist_chart"
    REV_COMPARE_TABLE = "rev_compare_table"
    REV_COMPARE_CHART = "rev_compare_chart"
    REV_TREND_CHART = "rev_trend_chart"
    REV_SEGMENT_TABLE = "rev_segment_table"
    REV_SEGMENT_CHART = "rev_segment_chart"
    REV_KW_TABLE = "rev_kw_table"
    REV_KW_BAR = "rev_kw_bar"
    REV_KW_TREEMAP = "rev_kw_treemap"
    REV_ASPECT_TABLE = "rev_aspect_table"
    MODELS_CHART_BAR = "models_chart_bar"
    MODELS_CHART_CURVES = "models_chart_curves"
    MODELS_CHART_TRADE = "models_chart_trade"
    MODELS_CHART_LEARNING = "models_chart_learning"
    MODELS_CHART_TUNING = "models_chart_tuning"
    AUD_HEAT_CHART = "aud_heat_chart"
    DATA_EXAMPLES = "data_examples_"  # prefix: per-step example tables of the cleaning report
    AUD_CMP_CHART = "aud_cmp_chart_"  # prefix: segment comparison charts
    MODELS_PARAM = "models_param__"  # prefix: parameter inputs, models_param__<model>__<param>
    MODELS_TUNE = "models_tune__"  # prefix: tuning ranges, models_tune__<model>__<param>__<what>
    # --- lazy tabs (value: the open tab's label; *_AT: its position, kept across a language switch) ---
    DATA_TABS = "data_tabs"
    AUD_TABS = "aud_tabs"
    MODELS_TABS = "models_tabs"
    REC_TABS = "rec_tabs"
    PROMO_TABS = "promo_tabs"
    TAB_AT = "tab_at__"  # prefix: position of the open tab per tabs key
    TAB_RUNS = "tab_runs"  # {"<tabs key>:<position>": times the tab's content was computed} of this session

    # --- Promotion page charts and channel picker ---
    PROMO_BO_SCATTER = "promo_bo_scatter"
    PROMO_BO_IMP = "promo_bo_imp"
    PROMO_BO_PDP = "promo_bo_pdp"
    PROMO_CAMP_CH = "promo_camp_ch"
    PROMO_CAMP_DID = "promo_camp_did"
    PROMO_RESP_CAL = "promo_resp_cal"
    PROMO_PLAN_MIX = "promo_plan_mix"
    PROMO_PLAN_HEAT = "promo_plan_heat"
    PROMO_BUZZ_CHART = "promo_buzz_chart"


# Keys whose value Streamlit never takes from session state (buttons, uploads, downloads) or that
# hold an element's selection (charts, tables): keep_widgets() leaves them alone.
ACTIONS = frozenset(
    {
        K.AUD_BEH_GO,
        K.AUD_PROFILE_GO,
        K.AUD_SEG_GO,
        K.AUD_TGT_BENCH_GO,
        K.AUD_TGT_GO,
        K.AUD_TGT_VALIDATE,
        K.AUD_TGT_DOWNLOAD,
        K.AUTH_SIGN_OUT,
        K.SPARK_IMPORT_GO,
        K.DATA_ACTIVATE,
        K.DATA_DELETE,
        K.DATA_DROP_SUSPICIOUS,
        K.DATA_MAKE_DEFAULT,
        K.DATA_PREVIEW_BTN,
        K.DATA_SAVE_BTN,
        K.DATA_UPLOAD,
        K.DATA_BIG_PICKER,
        K.DATA_BIG_REMOVE,
        K.DATA_EXPORT_CSV,
        K.DATA_EXPORT_REPORT,
        K.DATA_EXPORT_XLSX,
        K.DATA_REPORT_JSON,
        K.MODELS_REG_LOAD,
        K.MODELS_SAVE,
        K.MODELS_TRAIN,
        K.MODELS_TUNE_APPLY,
        K.MODELS_TUNE_RUN,
        K.MODELS_DOWNLOAD,
        K.REC_COLD_GO,
        K.REC_FIT,
        K.REC_OFF_RUN,
        K.REC_RETRAIN,
        K.REC_RENAME_BTN,
        K.PROMO_BO_GO,
        K.PROMO_UP_FILMS,
        K.PROMO_UP_DAILY,
        K.PROMO_UP_EXPOSURES,
        K.PROMO_UP_BEHAVIOUR,
        K.PROMO_BO_IMP,
        K.PROMO_BO_PDP,
        K.PROMO_BO_SCATTER,
        K.PROMO_CAMP_CH,
        K.PROMO_CAMP_DID,
        K.PROMO_CAMP_GO,
        K.PROMO_CONTACTS,
        K.PROMO_PLAN_DL,
        K.PROMO_PLAN_GO,
        K.PROMO_PLAN_HEAT,
        K.PROMO_PLAN_MIX,
        K.PROMO_PLAN_VALIDATE,
        K.PROMO_RESP_CAL,
        K.PROMO_RESP_GO,
        K.REV_RUN,
        K.REV_KW_BAR,
        K.REV_KW_TREEMAP,
        K.MODELS_CHART_BAR,
        K.MODELS_CHART_CURVES,
        K.MODELS_CHART_TRADE,
        K.MODELS_CHART_TUNING,
        K.MODELS_CHART_LEARNING,
    }
)
ACTION_PREFIXES = (K.REC_FB, K.REC_COLD_FB, K.DATA_EXAMPLES, K.AUD_CMP_CHART, K.PROMO_FORGET)
ACTION_SUFFIXES = ("_chart", "_table", "_save", "_preview", "_genres", "_errors", "_served", "_fb", "_registry")


def _defaults() -> dict:
    import uuid

    return {
        K.LANG: "zh",
        K.VERSION: None,
        K.SEGMENT_FILTER: [],
        K.SESSION_ID: uuid.uuid4().hex[:12],
        K.MODELS_EVAL: None,
        K.MODELS_RUN: None,
        K.MODELS_TUNING: None,
        K.MODELS_LOADED: None,
        K.DATA_PREVIEW: None,
        K.DATA_SAVED: None,
        K.REC_FLASH: None,
        K.REC_CHANGES: None,
        K.REC_COLD_USER: None,
        K.REC_OFFLINE: None,
        K.REC_CURRENT_USER: None,
        K.REV_DONE: None,
        K.PROMO_BO: None,
        K.PROMO_CAMP_RES: None,
        K.PROMO_RESP: None,
        K.PROMO_PLAN_VAL: None,
        K.PROMO_PLAN: None,
    }


def is_action(key: str) -> bool:
    return key in ACTIONS or key.startswith(ACTION_PREFIXES) or key.endswith(ACTION_SUFFIXES)


def keep_widgets(prefix: str) -> None:
    """Keep the values of this page's widgets while they are not drawn (they sit in a closed lazy
    tab): Streamlit forgets a widget's value after a run that did not draw it, unless the value is
    assigned through session state, which is what this does at the top of the page."""
    for key in list(st.session_state.keys()):
        if isinstance(key, str) and key.startswith(prefix) and not is_action(key):
            st.session_state[key] = st.session_state[key]


def keep_choices(page: str, keys) -> None:
    """Keep the choices of select widgets whose labels follow the UI language when it changes.

    Streamlit matches a select widget's value by its displayed label, so after a language switch
    every stored label is unknown and the choice is dropped (the Models page lost its models).
    Call at the top of the page, before any widget: when the language differs from the last run
    of ``page``, each value (still read through the previous run's labels) is assigned again.
    """
    memo = f"{K.CHOICES_LANG}:{page}"
    now = st.session_state.get(K.LANG, "zh")
    if st.session_state.get(memo, now) != now:
        for key in keys:
            if key in st.session_state:
                st.session_state[key] = st.session_state[key]
    st.session_state[memo] = now


def lazy_tabs(labels: list[str], key: str):
    """``st.tabs`` that rerun on a switch, so a page computes only the open tab (``if tab.open``).

    The open tab is remembered by position too, so a language switch (new labels) keeps it open.
    """
    at = f"{K.TAB_AT}{key}"
    current = st.session_state.get(key)
    if current not in labels:
        pos = st.session_state.get(at, 0)
        st.session_state[key] = labels[pos if 0 <= pos < len(labels) else 0]

    def remember():
        chosen = st.session_state.get(key)
        st.session_state[at] = labels.index(chosen) if chosen in labels else 0

    tabs = st.tabs(labels, key=key, on_change=remember)
    for i, tab in enumerate(tabs):
        tab.cinelens_name = f"{key}:{i}"
    return tabs


def opened(tab):
    """``for _ in opened(tab):`` runs its body once, inside the tab, only when the tab is open."""
    if tab.open is not False:  # None: a tab that does not track state is always drawn
        name = getattr(tab, "cinelens_name", None)
        if name:
            runs = st.session_state.setdefault(K.TAB_RUNS, {})
            runs[name] = runs.get(name, 0) + 1
        with tab:
            yield tab


def init_state() -> None:
    for key, value in _defaults().items():
        if key not in st.session_state:
            st.session_state[key] = value
