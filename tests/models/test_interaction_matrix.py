import numpy as np
import pandas as pd

from recsys_core.models.implicit_rankers import interaction_matrix
from recsys_core.trainset import Trainset


def test_thresholded_matrix_leaves_the_trainset_untouched():
    df = pd.DataFrame(
        {"user_id": ["a", "a", "b", "b"], "item_id": ["x", "y", "x", "z"], "rating": [5.0, 2.0, 1.0, 4.0]}
    )
    ts = Trainset.from_frame(df, (1, 5))
    before = ts.csr.toarray().copy()
    X = interaction_matrix(ts, threshold=4)
    np.testing.assert_array_equal(X.toarray(), (before >= 4).astype(float))
    np.testing.assert_array_equal(ts.csr.toarray(), before)
    assert ts.csr.nnz == 4
