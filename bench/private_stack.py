"""A private stack (Rasa + action server) for the evaluation, started the way the e2e tests do.

Free loopback ports and a temporary database: the evaluation files emergency and hand-off tickets,
which must never land in a real database. Everything is stopped when the context exits.
"""

from __future__ import annotations

import secrets
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from bench.common import BenchError
from cli.stack import (
    RunningBackend,
    StackSettings,
    StackStartError,
    free_port,
    free_ports,
    running_backend,
)

START_TIMEOUT_S = 300


@contextmanager
def own_backend(rasa_processes: int | None = None) -> Iterator[RunningBackend]:
    """Rasa + action server on free loopback ports and a temporary database, stopped afterwards.

    `rasa_processes` overrides RASA_PROCESSES (how many Rasa servers share the load).
    """
    from cli.train import model_is_valid

    base = StackSettings.from_env()
    model = base.models_dir / "rasa" / "hanhtrang.tar.gz"
    if not model_is_valid(model):
        raise BenchError(f"no trained Rasa model at {model}: run `make train` first")
    processes = rasa_processes or base.rasa_processes
    with tempfile.TemporaryDirectory(prefix="hanhtrang-eval-") as tmp:
        settings = replace(
            base,
            host="127.0.0.1",
            rasa_port=free_ports(processes),
            rasa_processes=processes,
            action_port=free_port(),
            web_port=free_port(),
            rasa_token=secrets.token_urlsafe(16),
            db_path=Path(tmp) / "hanhtrang.db",
        )
        try:
            with running_backend(settings, Path(tmp), timeout_s=START_TIMEOUT_S) as running:
                yield running
        except StackStartError as exc:
            raise BenchError(str(exc)) from exc
