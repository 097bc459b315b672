"""Predict over the whole float64 range against a real server: never a 5xx, never a non-finite
number out, and a refused request leaves no trace (issue 14).

Three models refuse differently: a scaled logistic regression (its scaler overflows 1e308 to
infinity and scikit-learn refuses that), an SGD classifier on breast_cancer (its decision
function comes out NaN for some mixed-sign huge rows) and a random forest (it casts to float32,
so anything beyond 3.4e38 is refused).
"""

from __future__ import annotations

import math
import sys
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.support import ServerProcess, assert_error, running_server, train_on_server

pytestmark = pytest.mark.slow

MODELS = {
    "iris-lr": ("iris", "logistic_regression", {}),
    "cancer-sgd": ("breast_cancer", "sgd", {}),
    "iris-forest": ("iris", "random_forest", {"n_estimators": 10}),
}

TINY = sys.float_info.min  # the smallest normal float; below it are the subnormals

# Anything finite, with hypothesis's bias towards the extremes (+-1.8e308, 5e-324)...
ANY_FINITE = st.floats(allow_nan=False, allow_infinity=False)
VALUE = st.one_of(
    ANY_FINITE,
    st.floats(min_value=-TINY, max_value=TINY, allow_subnormal=True),  # subnormals, +-0
    st.floats(min_value=1e38, max_value=1e39),  # either side of float32's largest value
    st.floats(min_value=-10.0, max_value=10.0),  # where the training data lives
)


def rows(n_features: int) -> st.SearchStrategy[list[list[float]]]:
    """1-6 rows, each either ordinary (values in the data's range) or drawn from anywhere."""
    ordinary = st.lists(
        st.floats(min_value=0.0, max_value=10.0), min_size=n_features, max_size=n_features
    )
    extreme = st.lists(VALUE, min_size=n_features, max_size=n_features)
    return st.lists(st.one_of(ordinary, extreme), min_size=1, max_size=6)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    with running_server(tmp_path_factory.mktemp("float-range")) as server:
        yield server


@pytest.fixture(scope="module")
def models(server: ServerProcess) -> dict[str, dict[str, Any]]:
    return {
        name: train_on_server(server.url, name, dataset, algorithm, params)
        for name, (dataset, algorithm, params) in MODELS.items()
    }


class Probe:
    """Predict calls to one model, each checked against the contract and the prediction log."""

    def __init__(self, http: httpx.Client, model: dict[str, Any]) -> None:
        self.http = http
        self.model = model
        self.path = f"/api/models/{model['id']}"

    def newest_logged(self) -> str | None:
        history = self.http.get(f"{self.path}/predictions", params={"limit": 1}).json()
        return history["predictions"][0]["prediction_id"] if history["predictions"] else None

    def total(self) -> int:
        return int(self.http.get(self.path).json()["total_predictions"])

    def predict(self, instances: list[list[float]], batch: bool) -> httpx.Response:
        body = {"instances": instances} if batch else {"features": instances[0]}
        before, total = self.newest_logged(), self.total()
        response = self.http.post(f"{self.path}/predict", json=body)
        assert response.status_code < 500, response.text
        if response.status_code == 200:
            results = response.json()["predictions"] if batch else [response.json()]
            self.check_served(results, len(instances) if batch else 1)
            assert self.newest_logged() in {r["prediction_id"] for r in results}
            assert self.total() == total + len(results)
        else:
            error = assert_error(response, 422, "uncomputable_input")
            assert error["details"]["reason"], error
            assert self.newest_logged() == before, "a refused request was logged"
            assert self.total() == total, "a refused request was counted"
        return response

    def check_served(self, results: list[dict[str, Any]], count: int) -> None:
        assert len(results) == count
        classes = self.model["classes"]
        for result in results:
            assert result["prediction"] in classes
            probabilities = result["probabilities"]
            assert set(probabilities) == {str(c) for c in classes}
            assert all(
                isinstance(p, float | int) and math.isfinite(p) and 0 <= p <= 1
                for p in probabilities.values()
            ), probabilities
            assert math.fsum(probabilities.values()) == pytest.approx(1.0, abs=1e-6)
            assert math.isfinite(result["latency_ms"])


@pytest.mark.parametrize("name", list(MODELS))
def test_predict_over_the_whole_float_range_is_answered_or_refused_by_instance(
    server: ServerProcess, models: dict[str, dict[str, Any]], name: str
) -> None:
    model = models[name]
    n_features = len(model["feature_names"])

    with httpx.Client(base_url=server.url, timeout=30) as http:
        probe = Probe(http, model)

        @given(instances=rows(n_features), batch=st.booleans())
        @settings(
            max_examples=120,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture],
        )
        def check(instances: list[list[float]], batch: bool) -> None:
            batch = batch or len(instances) > 1
            response = probe.predict(instances, batch)
            # Coverage for --hypothesis-show-statistics: are both ways of refusing reached?
            reason = response.json()["error"]["details"]["reason"] if response.is_error else ""
            event(f"{response.status_code} {'NaN out' if 'NaN' in reason else ''}")
            if response.status_code == 200 or not batch:
                return
            # The instances named are exactly the ones refused on their own, in order.
            alone = [probe.predict([row], batch=False).status_code for row in instances]
            refused = [i for i, status in enumerate(alone) if status == 422]
            details = response.json()["error"]["details"]
            assert [entry["instance"] for entry in details["instances"]] == refused
            assert details["instance"] == refused[0]

        check()
        metrics = http.get(f"/api/models/{model['id']}/metrics/realtime").json()
        assert metrics["error_rate"] in (None, 0.0), "a refused input counted as a model failure"
        assert math.isfinite(metrics["drift_score"] or 0.0)


# Found by a seeded search: the breast_cancer SGD model's decision for this row is inf - inf.
NAN_ROW = [
    -1e305, 1e307, -1e302, -1e300, 1e300, 1e300, -1e305, 1e306, 1e306, 1e303,
    1e304, -1e305, -1e300, -1e300, -1e305, 1e300, -1e302, -1e302, -1e306, 1e302,
    1e307, -1e304, -9.999999999999999e300, 1e302, 1e304, 9.999999999999999e300,
    -1e306, -1e307, -1e305, 9.999999999999999e300,
]  # fmt: skip


def test_nan_probabilities_are_refused_with_the_instance_never_sent_as_null(
    server: ServerProcess, models: dict[str, dict[str, Any]]
) -> None:
    model = models["cancer-sgd"]
    ordinary = [1.0] * len(model["feature_names"])
    with httpx.Client(base_url=server.url, timeout=30) as http:
        probe = Probe(http, model)

        single = probe.predict([NAN_ROW], batch=False)
        batch = probe.predict([ordinary, NAN_ROW, ordinary], batch=True)

    assert "NaN" in single.json()["error"]["message"], single.text
    error = batch.json()["error"]
    assert error["message"].startswith("instance 1 cannot be computed by the model"), error
    assert error["details"]["instances"] == [{"instance": 1, "reason": error["details"]["reason"]}]
