"""Start the real Rasa server and the real action server on free ports, once per test session."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from cli.stack import ROOT, StackSettings, free_port
from cli.train import model_is_valid, rasa_model_path

START_TIMEOUT_S = 240


def _wait(url: str, params: dict[str, str], procs: list[subprocess.Popen[bytes]]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        for p in procs:
            if p.poll() is not None:
                raise RuntimeError(f"a stack process exited early with code {p.returncode}")
        try:
            if httpx.get(url, params=params, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(1)
    raise TimeoutError(f"{url} did not answer within {START_TIMEOUT_S} s")


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
    env = settings.env()
    commands = settings.commands()
    logs: dict[str, Path] = {}
    procs: list[subprocess.Popen[bytes]] = []
    for name in ("actions", "rasa"):
        logs[name] = tmp / f"{name}.log"
        procs.append(
            subprocess.Popen(
                commands[name], cwd=ROOT, env=env, start_new_session=True,
                stdout=logs[name].open("wb"), stderr=subprocess.STDOUT,
            )
        )
    try:
        _wait(f"{settings.action_url}/health", {}, procs)
        _wait(f"{settings.rasa_url}/status", {"token": settings.rasa_token}, procs)
        yield settings
    except Exception:
        for name, path in logs.items():
            print(f"----- {name} log -----\n{path.read_text(errors='replace')[-4000:]}")
        raise
    finally:
        for p in procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
