import socket
from dataclasses import replace

from cli.run import preflight
from cli.stack import StackSettings, free_port


def test_preflight_names_a_port_in_use_and_how_to_change_it(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        settings = replace(StackSettings.from_env(), web_port=port, rasa_port=free_port(),
                           action_port=free_port(), models_dir=tmp_path)
        problems = preflight(settings)
    assert any(f"port {port}" in p and "WEB_PORT=" in p for p in problems)


def test_preflight_reports_a_missing_or_corrupt_model(tmp_path):
    settings = replace(StackSettings.from_env(), rasa_port=free_port(), action_port=free_port(),
                       web_port=free_port(), models_dir=tmp_path)
    assert any("make train" in p for p in preflight(settings))
    (tmp_path / "rasa").mkdir()
    (tmp_path / "rasa" / "hanhtrang.tar.gz").write_bytes(b"not a model")
    assert any("missing or corrupt" in p for p in preflight(settings))


def test_stack_commands_start_telegram_only_with_a_token(monkeypatch):
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    assert "telegram" not in StackSettings.from_env().commands()
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:abc")
    assert "telegram" in StackSettings.from_env().commands()
