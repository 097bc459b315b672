"""Client (sync) logging against a real ``modelbeacon serve``: batches, flush on close, a
413 halved, no retry on a refusal, a lost answer retried, a full queue, and labels."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest

from modelbeacon.client import Client, LogDeliveryError, LogQueueFullError
from tests.client.conftest import (
    BeaconServer,
    eventually,
    iris_record,
    logged_ids,
    register,
    total_predictions,
    watch,
)
from tests.support import free_port


def test_client_sends_full_batches_at_once_and_the_rest_when_closed(
    beacon_server: BeaconServer,
) -> None:
    url = beacon_server.url
    model_id = register(url, "sync-batches")
    with Client(url, batch_size=10, flush_interval=60.0) as beacon:
        sent = watch(beacon.http)
        ids = beacon.log_predictions(model_id, [iris_record(n) for n in range(25)])
        # Two full batches leave without a flush; the last five wait for the interval.
        eventually(lambda: len(logged_ids(url, model_id)) == 20)
        assert len(sent.logs()) == 2
    assert len(sent.logs()) == 3
    assert logged_ids(url, model_id) == sorted(ids) and len(set(ids)) == 25
    assert total_predictions(url, model_id) == 25


def test_client_sends_a_partial_batch_after_the_flush_interval(
    beacon_server: BeaconServer,
) -> None:
    url = beacon_server.url
    model_id = register(url, "sync-interval")
    with Client(url, flush_interval=0.2) as beacon:
        sent = watch(beacon.http)
        ids = [beacon.log_prediction(model_id, **iris_record(n)) for n in range(3)]
        eventually(lambda: logged_ids(url, model_id) == sorted(ids), timeout=5.0)
        assert len(sent.logs()) == 1


def test_client_halves_a_batch_the_server_finds_too_large(beacon_server: BeaconServer) -> None:
    url = beacon_server.url
    model_id = register(url, "sync-413")
    with Client(url, batch_size=40, flush_interval=60.0) as beacon:
        sent = watch(beacon.http)
        ids = beacon.log_predictions(model_id, [iris_record(n) for n in range(40)])
        beacon.flush()
    assert len(sent.logs()) == 3 and sent.statuses == [413, 201, 201]
    assert logged_ids(url, model_id) == sorted(ids)


def test_client_does_not_retry_a_refused_batch_and_raises_it_from_flush(
    beacon_server: BeaconServer, caplog: pytest.LogCaptureFixture
) -> None:
    url = beacon_server.url
    model_id = register(url, "sync-422")
    with Client(url, flush_interval=60.0, retries=5) as beacon:
        sent = watch(beacon.http)
        good = [beacon.log_prediction(model_id, **iris_record(n)) for n in range(2)]
        bad = beacon.log_prediction(model_id, features=[1.0, 2.0], prediction=0)
        with (
            caplog.at_level(logging.ERROR, logger="modelbeacon.client"),
            pytest.raises(LogDeliveryError) as refused,
        ):
            beacon.flush()
        assert len(sent.logs()) == 1 and sent.statuses == [422]
        error = refused.value
        assert error.details["status"] == 422 and error.details["details"]["record"] == 2
        assert [r["prediction_id"] for r in error.records] == [*good, bad]
        assert beacon.last_error is error
        assert "HTTP 422" in caplog.text and "3 logged predictions" in caplog.text
        # All or nothing on the server; the client keeps working and raised the error once.
        assert logged_ids(url, model_id) == []
        again = beacon.log_predictions(model_id, error.records[:2])
        beacon.flush()
    assert again == good and logged_ids(url, model_id) == sorted(good)


class LosesFirstAnswer(httpx.HTTPTransport):
    """The real network to a real server, except that the first answer to a log request is
    lost after the server acted on it (as a reset connection would): the retry must not
    log anything twice."""

    def __init__(self) -> None:
        super().__init__()
        self.answers: list[dict[str, Any]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        if request.url.path.endswith("/predictions"):
            response.read()
            self.answers.append(response.json())
            if len(self.answers) == 1:
                response.close()
                raise httpx.ReadError("connection reset after the server answered")
        return response


def test_a_retry_after_a_lost_answer_logs_nothing_twice(beacon_server: BeaconServer) -> None:
    url = beacon_server.url
    model_id = register(url, "sync-lost")
    transport = LosesFirstAnswer()
    with Client(url, backoff=0.05, transport=transport) as beacon:
        ids = beacon.log_predictions(model_id, [iris_record(n) for n in range(5)])
        beacon.flush()
    assert [a["logged"] for a in transport.answers] == [5, 0]
    assert [a["prediction_ids"] for a in transport.answers] == [ids, ids]
    assert logged_ids(url, model_id) == sorted(ids) and total_predictions(url, model_id) == 5


def test_log_prediction_raises_when_the_queue_stays_full_and_nothing_is_lost() -> None:
    beacon = Client(
        f"http://127.0.0.1:{free_port()}",
        batch_size=2,
        max_queue=2,
        enqueue_timeout=0.05,
        flush_interval=0.01,
        retries=10,
        backoff=0.05,
        max_backoff=0.05,
    )
    accepted: list[str] = []
    with pytest.raises(LogQueueFullError) as full:
        for n in range(10):
            accepted.append(beacon.log_prediction("1", **iris_record(n)))
    # Two records on their way (retrying) and two waiting, or fewer if the sender was slow.
    assert 2 <= len(accepted) <= 4 and full.value.details["queued"] == 2
    with pytest.raises(LogDeliveryError) as undelivered:
        beacon.close()
    assert [r["prediction_id"] for r in undelivered.value.records] == accepted
    assert undelivered.value.details["status"] is None
    assert "cannot reach" in undelivered.value.message
    with pytest.raises(RuntimeError, match="closed"):
        beacon.log_prediction("1", **iris_record(0))


def test_client_labels_logged_predictions_one_or_many(beacon_server: BeaconServer) -> None:
    url = beacon_server.url
    model_id = register(url, "sync-labels")
    with Client(url) as beacon:
        ids = [beacon.log_prediction(model_id, **iris_record(n)) for n in range(3)]
        inline = beacon.log_prediction(model_id, **iris_record(3), label=0)
        beacon.flush()
        results = beacon.feedback_many({ids[0]: 0, ids[1]: 1, "never-logged": 0})
        assert [r["status"] for r in results] == ["accepted", "accepted", "not_found"]
        assert beacon.feedback(ids[2], 2)["correct"] is True
        metrics = beacon.metrics(model_id)
        assert metrics["total_predictions"] == 4 and metrics["accuracy_window"] == 4
        logged = {p["prediction_id"]: p for p in beacon.predictions(model_id)}
        assert logged[inline]["label"] == 0 and logged[ids[1]]["label"] == 1


def test_a_label_sent_right_after_its_prediction_was_logged_finds_it(
    beacon_server: BeaconServer,
) -> None:
    """A serving app that labels at once (the label was known, or a test) must not get
    not_found because the prediction still waits in the client's batch."""
    url = beacon_server.url
    model_id = register(url, "sync-label-at-once")
    with Client(url, flush_interval=60.0) as beacon:
        first = beacon.log_prediction(model_id, **iris_record(0))
        assert beacon.feedback(first, 1)["created"] is True
        second = beacon.log_prediction(model_id, **iris_record(1))
        third = beacon.log_prediction(model_id, **iris_record(2))
        results = beacon.feedback_many([(second, 0), (third, 2)])
        assert [r["status"] for r in results] == ["accepted", "accepted"]
