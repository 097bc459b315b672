"""Schemathesis against a real server's /openapi.json: no generated request gets a 5xx.

The server runs on loopback with a deployed iris logistic regression, so predict requests reach
the model (the 500 of issue 14 came from inside it, for finite but huge feature values).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup

from tests.support import ServerProcess, running_server, train_on_server

pytestmark = pytest.mark.slow

# Per operation; the predict routes get more in positive mode. Left to itself, schemathesis
# rarely reaches the model: only a vector of exactly the model's 4 features does, and the
# feature count is a value only the model can judge (it is not in the schema). At 2000 examples
# per predict route the unfixed server's 500 was found in 2 of 5 runs. So half of the predict
# bodies are fitted to 4 features, keeping the generated values (_fit_to_model); measured on
# the unfixed server, that found it in 8 of 10 runs at 300 examples and in 10 of 10 at 1500.
EXAMPLES_PER_OPERATION = 300
EXAMPLES_PER_PREDICT_OPERATION = 1500
EXAMPLES_PER_REGISTER = 100
N_FEATURES = 4


@pytest.fixture(scope="module")
def fuzzed_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    with running_server(tmp_path_factory.mktemp("fuzz")) as server:
        train_on_server(server.url, deploy=True)
        yield server


@pytest.fixture(scope="module")
def api_schema(fuzzed_server: ServerProcess) -> Any:
    return schemathesis.openapi.from_url(f"{fuzzed_server.url}/openapi.json")


def _fitted(vector: Any) -> Any:
    if not isinstance(vector, list) or not vector:
        return vector
    return [vector[i % len(vector)] for i in range(N_FEATURES)]


def _fit_to_model(case: Any) -> Any:
    """The case with each feature vector of its body cut or cycled to ``N_FEATURES`` values."""
    body = case.body
    if isinstance(body, dict) and "features" in body:
        body["features"] = _fitted(body["features"])
    if isinstance(body, dict) and isinstance(body.get("instances"), list):
        body["instances"] = [_fitted(row) for row in body["instances"]]
    return case


def _server_errors(operation: Any, mode: GenerationMode) -> list[str]:
    """Run generated requests for one operation; its failures, shrunk by hypothesis."""

    cases = operation.as_strategy(generation_mode=mode)
    examples = EXAMPLES_PER_OPERATION
    if operation.method.upper() == "POST" and operation.path == "/api/models/register":
        # Each valid body registers a model the server then carries: fewer keep the run short.
        examples = EXAMPLES_PER_REGISTER
    predicts = operation.method.upper() == "POST" and operation.path.endswith("/predict")
    if predicts and mode is GenerationMode.POSITIVE:  # an invalid body never reaches the model
        cases = st.one_of(cases, cases.map(_fit_to_model))
        examples = EXAMPLES_PER_PREDICT_OPERATION

    @given(case=cases)
    @settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    def run(case: Any) -> None:
        case.call_and_validate(checks=[not_a_server_error])

    try:
        run()
    except Unsatisfiable:  # nothing of this mode exists for the operation (no negative case)
        return []
    except (AssertionError, FailureGroup) as exc:  # report every failing operation
        return [f"{operation.label} ({mode.value}): {exc}"]
    return []


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_no_generated_request_gets_a_server_error(api_schema: Any, mode: GenerationMode) -> None:
    failures = [
        failure
        for result in api_schema.get_all_operations()
        for failure in _server_errors(result.ok(), mode)
    ]
    assert not failures, "\n\n".join(failures)
