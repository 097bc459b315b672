"""Model artifacts and training code: the only layer that imports scikit-learn and skops.

datasets    the built-in datasets (shipped with scikit-learn, no download)
tabular     uploaded CSV datasets: schema, typed rows, the preprocessor of their pipelines
algorithms  the catalogue: estimator, defaults and fit strategy per algorithm name
params      checking a client's hyperparameters before training
fitting     fit strategies that report real progress (trees, stages, epochs)
reference   the drift reference: bins of each feature of the training split
calibration the top-class probability's calibration map, fitted on the validation split
training    TrainingSpec -> validate_spec / train -> TrainedModel
predictor   the Predictor interface services call, and SklearnPredictor
artifacts   ArtifactStore: skops files, atomic writes, sha256, trusted types, safe keys
"""

from modelbeacon.registry.artifacts import (
    ArtifactStore,
    StoredArtifact,
    check_artifact_key,
    make_artifact_key,
)
from modelbeacon.registry.datasets import DATASET_NAMES, Dataset, load_dataset
from modelbeacon.registry.predictor import Predictor, SklearnPredictor
from modelbeacon.registry.tabular import (
    CsvSummary,
    TabularData,
    TabularSource,
    inspect_csv,
    load_csv,
    rows_of,
)
from modelbeacon.registry.training import (
    ALGORITHM_NAMES,
    ProgressCallback,
    TrainedModel,
    TrainingProgress,
    TrainingSpec,
    train,
    validate_spec,
)

__all__ = [
    "ALGORITHM_NAMES",
    "DATASET_NAMES",
    "ArtifactStore",
    "CsvSummary",
    "Dataset",
    "Predictor",
    "ProgressCallback",
    "SklearnPredictor",
    "StoredArtifact",
    "TabularData",
    "TabularSource",
    "TrainedModel",
    "TrainingProgress",
    "TrainingSpec",
    "check_artifact_key",
    "inspect_csv",
    "load_csv",
    "load_dataset",
    "make_artifact_key",
    "rows_of",
    "train",
    "validate_spec",
]
