"""Start the real Rasa server and the real action server on free ports, once per test session."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest

from cli.stack import StackSettings, free_port, running_backend
from cli.train import model_is_valid, rasa_model_path


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackSettings]:
    if not model_is_valid(rasa_model_path()):
        pytest.fail("No trained Rasa model: run `make train` (make test does it first).")
    tmp = tmp_path_factory.mktemp("stack")
    settings = replace(
        StackSettings.from_env(),
        rasa_port=free_port(),
        action_port=free_port(),
        web_port=free_port(),
        rasa_token="e2e-token",
        db_path=tmp / "hanhtrang.db",
    )
    with running_backend(settings, tmp, timeout_s=240) as running:
        yield running.settings
