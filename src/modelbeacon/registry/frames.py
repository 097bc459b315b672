"""Feature rows as the typed ``pandas.DataFrame`` a column-aware scikit-learn model expects.

A model fitted on a DataFrame (an uploaded dataset's pipeline, most imported pipelines) selects
its columns by name, so it must be called with one: numeric columns as float64 with NaN for a
missing value, categorical columns as object with NaN for a missing value (scikit-learn's
imputers and encoders treat NaN as missing in both).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from modelbeacon.inputs import FeatureSpec


def frame_of(rows: Sequence[Sequence[Any]] | np.ndarray, features: Sequence[FeatureSpec]) -> Any:
    """The DataFrame of ``rows`` (each in ``features`` order; ``None`` missing), one column per
    feature named by it. Raises ``ValueError`` for a row of another width, or a numeric column
    holding a value that is not a number."""
    array = np.asarray(rows, dtype=object)
    if array.ndim != 2 or array.shape[1] != len(features):
        raise ValueError(
            f"expected rows of {len(features)} values, got an array of shape {array.shape}"
        )
    columns: dict[str, Any] = {}
    for j, feature in enumerate(features):
        column = array[:, j]
        if feature.kind == "numeric":
            columns[feature.name] = np.array(
                [np.nan if v is None else float(v) for v in column], dtype=np.float64
            )
        else:
            columns[feature.name] = np.array(
                [np.nan if v is None else v for v in column], dtype=object
            )
    return pd.DataFrame(columns, columns=[f.name for f in features])
