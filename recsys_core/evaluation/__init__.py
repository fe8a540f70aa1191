from .compare import ALL_METRICS, DEFAULT_METRICS, Evaluation, compare, evaluate, evaluate_fold, summarise
from .significance import PairedTest, paired_test
from .splits import Holdout, KFold, Temporal, UserLeaveLastN, make_splitter
from .tuning import Range, TuningResult, grid_search, random_search, search

__all__ = [
    "compare",
    "evaluate",
    "evaluate_fold",
    "summarise",
    "Evaluation",
    "ALL_METRICS",
    "DEFAULT_METRICS",
    "Holdout",
    "KFold",
    "Temporal",
    "UserLeaveLastN",
    "make_splitter",
    "PairedTest",
    "paired_test",
    "Range",
    "TuningResult",
    "grid_search",
    "random_search",
    "search",
]
