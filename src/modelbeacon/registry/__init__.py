"""Model artifacts and training code: the only layer that imports scikit-learn and skops.

datasets    the built-in datasets (shipped with scikit-learn, no download)
algorithms  the catalogue: estimator, defaults and fit strategy per algorithm name
params      checking a client's hyperparameters before training
fitting     fit strategies that report real progress (trees, stages, epochs)
reference   the drift reference: decile bins of each feature of the training split
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
    "Dataset",
    "Predictor",
    "ProgressCallback",
    "SklearnPredictor",
    "StoredArtifact",
    "TrainedModel",
    "TrainingProgress",
    "TrainingSpec",
    "check_artifact_key",
    "load_dataset",
    "make_artifact_key",
    "train",
    "validate_spec",
]
