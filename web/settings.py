"""Settings of the web app, from the environment (see .env.example)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class WebSettings:
    host: str
    port: int
    rasa_url: str
    rasa_token: str | None
    db_path: Path
    retry_seconds: float = 30.0

    @classmethod
    def from_env(cls) -> WebSettings:
        return cls(
            host=os.environ.get("HANHTRANG_HOST", "127.0.0.1"),
            port=int(os.environ.get("WEB_PORT", "8000")),
            rasa_url=os.environ.get("RASA_URL", "http://127.0.0.1:5005"),
            rasa_token=os.environ.get("RASA_TOKEN") or None,
            db_path=Path(os.environ.get("HANHTRANG_DB", ROOT / "var" / "hanhtrang.db")),
            retry_seconds=float(os.environ.get("BOT_RETRY_PENDING_SECONDS", "30")),
        )
