"""Settings of the action server, from the environment (see .env.example)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class ActionSettings:
    db_path: Path
    models_dir: Path
    host: str
    port: int
    secret: str | None

    @classmethod
    def from_env(cls) -> ActionSettings:
        return cls(
            db_path=Path(os.environ.get("HANHTRANG_DB", ROOT / "var" / "hanhtrang.db")),
            models_dir=Path(os.environ.get("HANHTRANG_MODELS", ROOT / "models")),
            host=os.environ.get("ACTION_SERVER_HOST", "127.0.0.1"),
            port=int(os.environ.get("ACTION_SERVER_PORT", "5055")),
            secret=os.environ.get("HANHTRANG_SECRET"),
        )
