"""The catalogue of training algorithms: which estimator, which defaults, how it is fitted.

Each ``Algorithm`` says which scikit-learn estimator it builds, the defaults modelbeacon uses
where scikit-learn's own would not converge or not report progress on the built-in datasets,
which constructor parameters a client may not set (those modelbeacon controls itself, those
that would make the fit skip its progress reports, deprecated ones) and which fit strategy
turns the fit into progress reports.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from sklearn.ensemble import (  # type: ignore[import-untyped]
    GradientBoostingClassifier,
    RandomForestClassifier,
)
from sklearn.linear_model import LogisticRegression, SGDClassifier  # type: ignore[import-untyped]
from sklearn.neural_network import MLPClassifier  # type: ignore[import-untyped]

from modelbeacon.registry.fitting import (
    FitStrategy,
    fit_boosting_with_monitor,
    fit_forest_in_batches,
    fit_scaled_at_once,
    fit_scaled_by_epoch,
)

ALGORITHM_NAMES: tuple[str, ...] = (
    "logistic_regression",
    "random_forest",
    "gradient_boosting",
    "sgd",
    "mlp",
)

# Set by modelbeacon on every estimator, never by a client: the seed comes from the spec,
# the fit strategies own warm_start, and n_jobs/verbose would compete for the 2 cores or
# write to stdout.
_CONTROLLED = frozenset({"random_state", "warm_start", "n_jobs", "verbose"})


@dataclass(frozen=True)
class Algorithm:
    """How to build, configure and fit one of ``ALGORITHM_NAMES``.

    ``defaults`` are JSON-serialisable values (tuples for arrays, so nothing shared is
    mutable) applied before the client's params, which override them.
    ``forbidden`` names constructor parameters a client may not set, each with the reason
    given back in the error. ``allowed_values`` narrows a parameter to values the fit strategy
    supports (e.g. only the MLP solvers that have ``partial_fit``).
    """

    name: str
    factory: Callable[[], Any]
    fit: FitStrategy
    defaults: Mapping[str, Any]
    forbidden: Mapping[str, str]
    allowed_values: Mapping[str, tuple[Any, ...]]

    def accepted_params(self) -> tuple[str, ...]:
        """The parameter names a client may set, sorted."""
        params = self.factory().get_params(deep=False)
        return tuple(
            sorted(
                name
                for name, default in params.items()
                if name not in _CONTROLLED
                and name not in self.forbidden
                and not (isinstance(default, str) and default == "deprecated")
            )
        )

    def build(self, params: Mapping[str, Any], random_state: int) -> Any:
        """A fresh, unfitted estimator with defaults, then ``params``, then the seed applied.

        ``params`` must already be checked (see ``registry.params``): unknown names make
        scikit-learn raise ``ValueError``.
        """
        estimator = self.factory()
        estimator.set_params(**{**self.defaults, **params, "random_state": random_state})
        return estimator


def _frozen(mapping: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(mapping))


_PER_EPOCH = "training runs partial_fit once per epoch, for exactly max_iter epochs"

ALGORITHMS: Mapping[str, Algorithm] = MappingProxyType(
    {
        "logistic_regression": Algorithm(
            name="logistic_regression",
            factory=LogisticRegression,
            fit=fit_scaled_at_once,
            # scikit-learn's 100 lbfgs iterations stop short of convergence on scaled digits
            defaults=_frozen({"max_iter": 1000}),
            forbidden=_frozen({}),
            allowed_values=_frozen({}),
        ),
        "random_forest": Algorithm(
            name="random_forest",
            factory=RandomForestClassifier,
            fit=fit_forest_in_batches,
            defaults=_frozen({"n_estimators": 100}),
            forbidden=_frozen(
                {
                    "oob_score": "the held-out validation split already measures accuracy, "
                    "and out-of-bag scores of the first small batches of trees only warn",
                }
            ),
            allowed_values=_frozen({}),
        ),
        "gradient_boosting": Algorithm(
            name="gradient_boosting",
            factory=GradientBoostingClassifier,
            fit=fit_boosting_with_monitor,
            defaults=_frozen({"n_estimators": 100}),
            forbidden=_frozen({"init": "only the default initial estimator is supported"}),
            allowed_values=_frozen({}),
        ),
        "sgd": Algorithm(
            name="sgd",
            factory=SGDClassifier,
            fit=fit_scaled_by_epoch,
            # log_loss so the model has predict_proba; 20 epochs converge on every built-in set
            defaults=_frozen({"loss": "log_loss", "max_iter": 20}),
            forbidden=_frozen(
                {
                    **{
                        name: _PER_EPOCH
                        for name in (
                            "early_stopping",
                            "validation_fraction",
                            "n_iter_no_change",
                            "tol",
                        )
                    },
                    "class_weight": "SGDClassifier.partial_fit does not support it",
                }
            ),
            allowed_values=_frozen({}),
        ),
        "mlp": Algorithm(
            name="mlp",
            factory=MLPClassifier,
            fit=fit_scaled_by_epoch,
            # scikit-learn's (100,) at learning rate 0.001 underfits iris in 50 epochs (~0.8)
            defaults=_frozen(
                {"hidden_layer_sizes": (64,), "learning_rate_init": 0.01, "max_iter": 50}
            ),
            forbidden=_frozen(
                {
                    name: _PER_EPOCH
                    for name in (
                        "early_stopping",
                        "validation_fraction",
                        "n_iter_no_change",
                        "tol",
                        "max_fun",
                    )
                }
            ),
            allowed_values=_frozen(
                {"solver": ("adam", "sgd")}  # lbfgs has no partial_fit
            ),
        ),
    }
)
