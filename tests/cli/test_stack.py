from __future__ import annotations

import socket
from dataclasses import replace

import pytest

from cli.run import preflight
from cli.stack import StackSettings, free_port, free_ports, port_free


def test_one_rasa_process_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RASA_PROCESSES", raising=False)
    settings = replace(StackSettings.from_env(), rasa_port=5005)
    assert settings.rasa_processes == 1
    assert settings.rasa_url == "http://127.0.0.1:5005"
    assert [n for n in settings.commands() if n.startswith("rasa")] == ["rasa"]


def test_several_rasa_processes_on_consecutive_ports(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RASA_PROCESSES", "3")
    monkeypatch.setenv("RASA_PORT", "6000")
    settings = StackSettings.from_env()
    commands = settings.commands()
    names = [n for n in commands if n.startswith("rasa")]
    assert names == ["rasa", "rasa2", "rasa3"]
    ports = [commands[n][commands[n].index("--port") + 1] for n in names]
    assert ports == ["6000", "6001", "6002"]
    expected = "http://127.0.0.1:6000,http://127.0.0.1:6001,http://127.0.0.1:6002"
    assert settings.env()["RASA_URL"] == expected


def test_free_ports_are_consecutive_and_free() -> None:
    first = free_ports(3)
    assert all(port_free(first + i) for i in range(3))


def test_preflight_checks_the_port_of_every_rasa_process(tmp_path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        settings = replace(StackSettings.from_env(), rasa_port=port - 1, rasa_processes=2,
                           action_port=free_port(), web_port=free_port(), models_dir=tmp_path)
        problems = preflight(settings)
    assert any(f"port {port}" in p and "RASA_PORT=" in p for p in problems)


def test_a_token_starting_with_a_dash_reaches_rasa_as_the_tokens_value() -> None:
    """secrets.token_urlsafe gives such a token once in 64; Rasa then refused to start."""
    settings = replace(StackSettings.from_env(), rasa_token="-x3_token")
    assert "--auth-token=-x3_token" in settings.commands()["rasa"]


def test_one_math_thread_per_process_unless_the_deployer_says_otherwise(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        monkeypatch.delenv(name, raising=False)
    env = StackSettings.from_env().env()
    assert [env["OMP_NUM_THREADS"], env["OPENBLAS_NUM_THREADS"], env["MKL_NUM_THREADS"]] == [
        "1", "1", "1"
    ]
    monkeypatch.setenv("OMP_NUM_THREADS", "4")
    assert StackSettings.from_env().env()["OMP_NUM_THREADS"] == "4"
