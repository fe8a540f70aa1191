from .compare import compare, evaluate_fold, summarise
from .splits import Holdout, KFold

__all__ = ["compare", "evaluate_fold", "summarise", "Holdout", "KFold"]
