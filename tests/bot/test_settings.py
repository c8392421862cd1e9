from __future__ import annotations

import pytest

from bot.settings import Settings, SettingsError


def test_defaults_and_urls():
    s = Settings.from_env({})
    assert (s.telegram_enabled, s.zalo_enabled, s.telegram_mode) == (False, False, "polling")
    assert s.telegram_base_url == "https://api.telegram.org/bot"
    assert s.telegram_base_file_url == "https://api.telegram.org/file/bot"


def test_from_env():
    s = Settings.from_env(
        {
            "TELEGRAM_BOT_TOKEN": "1:a",
            "TELEGRAM_MODE": "webhook",
            "TELEGRAM_WEBHOOK_PORT": "9000",
            "TELEGRAM_API_BASE": "http://x/",
            "ZALO_APP_ID": "1",
            "ZALO_OA_SECRET_KEY": "k",
            "HANHTRANG_DB": "d.db",
        }
    )
    assert (s.telegram_enabled, s.telegram_mode, s.telegram_webhook_port) == (True, "webhook", 9000)
    assert s.telegram_base_url == "http://x/bot"
    assert (s.zalo_enabled, s.db_path) == (True, "d.db")


def test_bad_values_are_named():
    with pytest.raises(SettingsError):
        Settings.from_env({"TELEGRAM_MODE": "push"})
    with pytest.raises(SettingsError):
        Settings.from_env({"TELEGRAM_WEBHOOK_PORT": "eighty"})


def test_every_setting_is_documented():
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    names = set(re.findall(r'get\("([A-Z_]+)"\)', (root / "bot/settings.py").read_text()))
    assert "TELEGRAM_BOT_TOKEN" in names
    deploy = (root / "docs/deploy.md").read_text()
    example = (root / ".env.example").read_text()
    assert sorted(n for n in names if n not in deploy) == []
    assert sorted(n for n in names if n not in example) == []


def test_every_bot_command_is_documented():
    from pathlib import Path

    from bot.telegram import RELAY_COMMANDS

    deploy = (Path(__file__).resolve().parents[2] / "docs/deploy.md").read_text()
    for command in [*RELAY_COMMANDS, "language", "delete"]:
        assert f"`/{command}`" in deploy, command
