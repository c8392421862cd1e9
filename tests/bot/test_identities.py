from __future__ import annotations

from bot.identities import Identities
from bot.inbox import sender_hash


def test_first_contact_creates_identity_with_hash(db_path):
    ids = Identities(db_path)
    worker = ids.touch("telegram", 42)
    assert (worker.channel, worker.chat_id, worker.language, worker.safe_channel) == (
        "telegram",
        "42",
        None,
        False,
    )
    assert worker.user_hash == sender_hash("telegram", 42)
    assert ids.touch("telegram", 42) == worker
    assert ids.by_hash("telegram", worker.user_hash) == worker


def test_one_worker_several_channels_one_safe(db_path):
    ids = Identities(db_path)
    worker = ids.touch("zalo", "u1")
    ids.link(worker.identity_id, "telegram", 42)
    ids.set_safe_channel(worker.identity_id, "telegram")
    ids.set_language("zalo", "u1", "en")
    safe = ids.safe_route(worker.identity_id)
    assert (safe.channel, safe.chat_id, safe.language) == ("telegram", "42", "en")
    assert [c.channel for c in ids.channels(worker.identity_id)] == ["telegram", "zalo"]
    ids.set_safe_channel(worker.identity_id, "zalo")
    assert ids.safe_route(worker.identity_id).channel == "zalo"


def test_no_safe_channel_means_no_guess(db_path):
    ids = Identities(db_path)
    worker = ids.touch("zalo", "u2")
    assert ids.safe_route(worker.identity_id) is None


def test_forget(db_path):
    ids = Identities(db_path)
    ids.touch("telegram", 7)
    assert ids.forget("telegram", 7) == 1
    assert ids.get("telegram", 7) is None
