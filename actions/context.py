"""The resources actions share (retriever, grievance service, registry, destinations).

Built once by the action server's main() (or lazily on first use in tests), never at import time.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Any

from actions.settings import ActionSettings

logger = logging.getLogger(__name__)

_lock = threading.RLock()
_context: Context | None = None


@dataclass
class Context:
    settings: ActionSettings
    _cache: dict[str, Any] = field(default_factory=dict)

    def _get(self, key: str, build: Any) -> Any:
        with _lock:
            if key not in self._cache:
                self._cache[key] = build()
            return self._cache[key]

    @property
    def articles(self) -> dict[str, Any]:
        from knowledge_base.loader import load_approved

        return self._get("articles", lambda: {a.id: a for a in load_approved()})

    @property
    def retriever(self) -> Any:
        from knowledge_base.retrieval import load_retriever

        return self._get(
            "retriever",
            lambda: load_retriever(self.settings.models_dir, list(self.articles.values())),
        )

    @property
    def destinations(self) -> dict[str, Any]:
        from knowledge_base.destinations import load_destinations

        return self._get("destinations", load_destinations)

    @property
    def grievance(self) -> Any:
        from grievance.service import GrievanceService

        def build() -> Any:
            self.settings.db_path.parent.mkdir(parents=True, exist_ok=True)
            return GrievanceService.open(self.settings.db_path)

        return self._get("grievance", build)

    @property
    def registry(self) -> Any:
        import sqlite_utils

        from knowledge_base.enterprises import Registry

        def build() -> Any:
            self.settings.db_path.parent.mkdir(parents=True, exist_ok=True)
            registry = Registry(sqlite_utils.Database(self.settings.db_path))
            registry.ensure_loaded()
            return registry

        return self._get("registry", build)

    def warm_up(self) -> None:
        """Load everything now, so the first worker does not wait."""
        _ = self.articles, self.retriever, self.destinations, self.grievance, self.registry


def set_context(context: Context) -> None:
    global _context
    _context = context


def get_context() -> Context:
    global _context
    with _lock:
        if _context is None:
            _context = Context(ActionSettings.from_env())
        return _context
