"""Reading the models: every model, or one, with its live status (the catalog's public face)."""

from __future__ import annotations

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
