"""A private stack (Rasa + action server) for the evaluation, started the way the e2e tests do.

Free loopback ports and a temporary database: the evaluation files emergency and hand-off tickets,
which must never land in a real database. Everything is stopped when the context exits.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import httpx

from bench.common import ROOT, BenchError
from cli.stack import StackSettings, free_port

START_TIMEOUT_S = 300


def _wait(url: str, params: dict[str, str], procs: list[subprocess.Popen[bytes]]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        for p in procs:
            if p.poll() is not None:
                raise BenchError(f"a stack process exited early with code {p.returncode}")
        try:
            if httpx.get(url, params=params, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(1)
    raise BenchError(f"{url} did not answer within {START_TIMEOUT_S} s")


@contextmanager
def own_stack() -> Iterator[StackSettings]:
    """Rasa + action server on free loopback ports and a temporary database, stopped afterwards."""
    from cli.train import model_is_valid, rasa_model_path

    if not model_is_valid(rasa_model_path()):
        raise BenchError("no trained Rasa model: run `make train` first")
    with tempfile.TemporaryDirectory(prefix="hanhtrang-eval-") as tmp:
        settings = replace(
            StackSettings.from_env(),
            host="127.0.0.1",
            rasa_port=free_port(),
            action_port=free_port(),
            web_port=free_port(),
            rasa_token=secrets.token_urlsafe(16),
            db_path=Path(tmp) / "hanhtrang.db",
        )
        env, commands = settings.env(), settings.commands()
        procs: list[subprocess.Popen[bytes]] = []
        logs = {name: Path(tmp) / f"{name}.log" for name in ("actions", "rasa")}
        try:
            for name, log in logs.items():
                procs.append(subprocess.Popen(
                    commands[name], cwd=ROOT, env=env, start_new_session=True,
                    stdout=log.open("wb"), stderr=subprocess.STDOUT,
                ))
            _wait(f"{settings.action_url}/health", {}, procs)
            _wait(f"{settings.rasa_url}/status", {"token": settings.rasa_token}, procs)
            yield settings
        except BenchError:
            for name, log in logs.items():
                if log.exists():
                    tail = log.read_text(errors="replace")[-3000:]
                    print(f"----- {name} log (tail) -----\n{tail}", file=sys.stderr)
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
