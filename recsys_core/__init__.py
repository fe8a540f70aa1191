"""CineLens core library: data, workspace, recommenders, evaluation, text and audience analytics.

Never imports streamlit; usable from a notebook or the command line.
"""

from .data.dataset import Dataset
from .trainset import Prediction, Trainset

__version__ = "0.1.0"
__all__ = ["Dataset", "Trainset", "Prediction", "__version__"]
