"""Settings of the Telegram and Zalo adapters, read from the environment in one place.

Why one module: the adapters run as their own processes (`python -m bot.telegram`) and inside the
web app (the Zalo webhook); both read the same typed settings, and tests build them directly.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

TELEGRAM_API_DEFAULT = "https://api.telegram.org"
ZALO_API_DEFAULT = "https://openapi.zalo.me"
ZALO_OAUTH_DEFAULT = "https://oauth.zaloapp.com"
ROOT = Path(__file__).resolve().parent.parent


class SettingsError(Exception):
    """A setting is present but unusable (e.g. a port that is not a number)."""


@dataclass(frozen=True)
class Settings:
    telegram_bot_token: str | None = None
    telegram_mode: str = "polling"  # polling | webhook
    telegram_webhook_url: str | None = None
    telegram_webhook_secret: str | None = None
    telegram_webhook_port: int = 8443
    telegram_webhook_listen: str = "0.0.0.0"
    telegram_api_base: str = TELEGRAM_API_DEFAULT
    rasa_url: str = "http://127.0.0.1:5005"
    rasa_token: str | None = None
    db_path: str = "var/hanhtrang.db"
    zalo_app_id: str | None = None
    zalo_app_secret: str | None = None
    zalo_oa_secret_key: str | None = None
    zalo_access_token: str | None = None
    zalo_refresh_token: str | None = None
    zalo_api_base: str = ZALO_API_DEFAULT
    zalo_oauth_base: str = ZALO_OAUTH_DEFAULT
    retry_pending_seconds: float = 60.0

    @property
    def telegram_enabled(self) -> bool:
        return bool(self.telegram_bot_token)

    @property
    def zalo_enabled(self) -> bool:
        return bool(self.zalo_app_id and self.zalo_oa_secret_key)

    @property
    def telegram_base_url(self) -> str:
        """PTB's `base_url` (the token is appended by PTB)."""
        return self.telegram_api_base.rstrip("/") + "/bot"

    @property
    def telegram_base_file_url(self) -> str:
        return self.telegram_api_base.rstrip("/") + "/file/bot"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env

        def get(name: str) -> str | None:
            value = env.get(name, "").strip()
            return value or None

        mode = (get("TELEGRAM_MODE") or "polling").lower()
        if mode not in ("polling", "webhook"):
            raise SettingsError("TELEGRAM_MODE must be 'polling' or 'webhook'")
        try:
            port = int(get("TELEGRAM_WEBHOOK_PORT") or 8443)
            retry = float(get("BOT_RETRY_PENDING_SECONDS") or 60)
        except ValueError as exc:
            raise SettingsError(
                "TELEGRAM_WEBHOOK_PORT / BOT_RETRY_PENDING_SECONDS: numbers"
            ) from exc
        return cls(
            telegram_bot_token=get("TELEGRAM_BOT_TOKEN"),
            telegram_mode=mode,
            telegram_webhook_url=get("TELEGRAM_WEBHOOK_URL"),
            telegram_webhook_secret=get("TELEGRAM_WEBHOOK_SECRET"),
            telegram_webhook_port=port,
            telegram_webhook_listen=get("TELEGRAM_WEBHOOK_LISTEN") or "0.0.0.0",
            telegram_api_base=get("TELEGRAM_API_BASE") or TELEGRAM_API_DEFAULT,
            rasa_url=get("RASA_URL") or "http://127.0.0.1:5005",
            rasa_token=get("RASA_TOKEN"),
            db_path=get("HANHTRANG_DB") or str(ROOT / "var" / "hanhtrang.db"),
            zalo_app_id=get("ZALO_APP_ID"),
            zalo_app_secret=get("ZALO_APP_SECRET"),
            zalo_oa_secret_key=get("ZALO_OA_SECRET_KEY"),
            zalo_access_token=get("ZALO_ACCESS_TOKEN"),
            zalo_refresh_token=get("ZALO_REFRESH_TOKEN"),
            zalo_api_base=get("ZALO_API_BASE") or ZALO_API_DEFAULT,
            zalo_oauth_base=get("ZALO_OAUTH_BASE") or ZALO_OAUTH_DEFAULT,
            retry_pending_seconds=retry,
        )
