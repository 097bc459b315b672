"""Reading the models: every model, or one, with its live status, and what training recorded
about it (the catalog's public face)."""

from __future__ import annotations

from modelbeacon.errors import NoReferenceError
from modelbeacon.metrics.psi import DriftReference
from modelbeacon.services.catalog import LiveModel, ModelCatalog


class ModelQueries:
    def __init__(self, catalog: ModelCatalog) -> None:
        self._catalog = catalog

    def all(self) -> list[LiveModel]:
        """Every model, in creation order."""
        return self._catalog.all()

    def get(self, model_id: int) -> LiveModel:
        """One model; raises ``ModelNotFoundError`` (404) for an unknown id."""
        return self._catalog.get(model_id)

    def reference(self, model_id: int) -> DriftReference:
        """The training split's drift reference of one model. Raises ``ModelNotFoundError``
        for an unknown id and ``NoReferenceError`` (its message says what to do) for a model
        that has none: still training, failed, or trained before references were recorded."""
        record = self._catalog.get(model_id).record
        if record.reference is not None:
            return record.reference
        if record.status == "training":
            why = "is still training: its reference is recorded when training completes"
        elif record.source == "registered":
            why = (
                "was registered without a reference_dataset; register it again with one "
                "(POST /api/models/register, a dataset of its inputs: GET /api/datasets) to get "
                "drift"
            )
        elif record.source == "imported":
            why = (
                "was imported without a reference CSV; import it again with one (the form "
                "field reference, or --reference; docs/MODELS.md) to get drift"
            )
        elif record.status == "failed":
            why = "failed to train; train it again with POST /api/models/train"
        else:
            why = (
                "was trained before drift references were recorded; train a new version "
                "(POST /api/models/train with the same name) to get one"
            )
        raise NoReferenceError(
            f"model {model_id} has no drift reference: it {why}",
            details={"model_id": model_id, "status": record.status},
        )
