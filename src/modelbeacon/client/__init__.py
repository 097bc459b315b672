"""The product's Python client (DESIGN.md section 9): log predictions of a model served
elsewhere, label them, train, deploy and read a running modelbeacon server over HTTP.

``Client`` blocks; ``AsyncClient`` is the same with ``async``. Both are context managers over
one httpx connection pool, and import nothing of the server's layers (only ``errors`` and
``clock``)::

    with Client("http://127.0.0.1:8000") as beacon:
        model_id = beacon.register("churn", features=["tenure", "plan"], classes=[0, 1])["id"]
        beacon.log_prediction(model_id, features=[12.0, "basic"], prediction=1)

Logging is queued and sent in batches in the background (thread or task); ``flush()``,
``close()`` and leaving the ``with`` block send what waits. Each record's ``prediction_id``
is set in the client, so a batch sent again after a lost answer is not logged twice.

Errors (all ``ModelbeaconError``): ``UnavailableError`` when the server cannot be reached;
a refusal's class follows its HTTP status (``InvalidInputError`` 400/422, ``NotFoundError``
404, ``ConflictError`` 409, ``PayloadTooLargeError`` 413, ``UnsupportedMediaError`` 415, else
``ModelbeaconError``) with ``details["status"]``; ``LogQueueFullError`` from ``log_prediction``
when the queue stays full; ``LogDeliveryError`` from ``flush()`` / ``close()`` for logged
records the server refused or never answered for.
"""

from modelbeacon.client._async import AsyncClient
from modelbeacon.client._batching import LogOptions
from modelbeacon.client._errors import LogDeliveryError, LogQueueFullError
from modelbeacon.client._http import describe_failure
from modelbeacon.client._sync import Client
from modelbeacon.client._views import DatasetRows, DeployedModel, ProgressCallback, TrainingStatus

__all__ = [
    "AsyncClient",
    "Client",
    "DatasetRows",
    "DeployedModel",
    "LogDeliveryError",
    "LogOptions",
    "LogQueueFullError",
    "ProgressCallback",
    "TrainingStatus",
    "describe_failure",
]
