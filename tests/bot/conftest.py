"""Fixtures for the channel adapters: local fake servers on loopback and a file database."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from telegram.ext import Application

# The fake servers live beside the tests (tests/ is not a package: `bot` would clash).
sys.path.insert(0, str(Path(__file__).parent))

from fake_rasa import FakeRasa  # noqa: E402
from fake_telegram import FakeTelegram  # noqa: E402

from bot.settings import Settings


@pytest.fixture
def fake_telegram() -> Iterator[FakeTelegram]:
    fake = FakeTelegram().start()
    yield fake
    fake.stop()


@pytest.fixture
def fake_rasa() -> Iterator[FakeRasa]:
    fake = FakeRasa().start()
    yield fake
    fake.stop()


@pytest.fixture
def db_path(tmp_path: Path) -> str:
    return str(tmp_path / "bot.db")


@pytest.fixture
def settings(fake_telegram: FakeTelegram, fake_rasa: FakeRasa, db_path: str) -> Settings:
    return Settings(
        telegram_bot_token=fake_telegram.token,
        telegram_api_base=fake_telegram.base,
        telegram_webhook_secret="s3cret-webhook",
        rasa_url=fake_rasa.url,
        db_path=db_path,
    )


@asynccontextmanager
async def running(app: Application, polling: bool = True) -> AsyncIterator[Application]:
    """Start an Application like run_polling does, without taking over the event loop."""
    async with app:
        await app.start()
        if polling:
            await app.updater.start_polling(poll_interval=0.0, timeout=1)
        try:
            yield app
        finally:
            if polling:
                await app.updater.stop()
            await app.stop()


@pytest.fixture
def run_app():
    return running


@pytest.fixture
def unused_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def fake_zalo():
    from fake_zalo import FakeZalo

    fake = FakeZalo().start()
    yield fake
    fake.stop()


@pytest.fixture
def zalo_settings(fake_zalo, fake_rasa, db_path) -> Settings:
    from fake_zalo import APP_ID, APP_SECRET, OA_SECRET

    return Settings(
        zalo_app_id=APP_ID,
        zalo_app_secret=APP_SECRET,
        zalo_oa_secret_key=OA_SECRET,
        zalo_access_token=fake_zalo.access_token,
        zalo_refresh_token=fake_zalo.refresh_token,
        zalo_api_base=fake_zalo.base,
        zalo_oauth_base=fake_zalo.base,
        rasa_url=fake_rasa.url,
        db_path=db_path,
    )
