from __future__ import annotations

from datetime import timedelta

from bot.inbox import DONE, FAILED, MAX_ATTEMPTS, PENDING, Inbox, sender_hash


def test_claim_once_and_payload_erased_when_done(db_path):
    inbox = Inbox(db_path)
    assert inbox.claim("telegram", 1, 42, {"text": "xin chào"}) is True
    assert inbox.claim("telegram", 1, 42, {"text": "xin chào"}) is False
    assert inbox.claim("zalo", 1, "u1", {"text": "khác kênh"}) is True
    inbox.done("telegram", 1)
    row = inbox.db.execute(
        "SELECT status, payload FROM channel_inbox WHERE channel = 'telegram'"
    ).fetchone()
    assert tuple(row) == (DONE, None)


def test_claims_survive_a_new_connection(db_path):
    Inbox(db_path).claim("telegram", 9, 42, {})
    assert Inbox(db_path).claim("telegram", 9, 42, {}) is False


def test_parked_and_stale_events_are_retried(db_path):
    inbox = Inbox(db_path)
    inbox.claim("telegram", 1, 42, {"text": "a"})
    inbox.claim("telegram", 2, 42, {"text": "b"})
    inbox.park("telegram", 1)
    assert [e.event_id for e in inbox.to_retry("telegram")] == ["1"]
    # Event 2 was claimed but never answered (a crash): retried once it is stale.
    assert [e.event_id for e in inbox.to_retry("telegram", stale_after=timedelta(0))] == ["1", "2"]
    assert inbox.status("telegram", 1) == PENDING


def test_gives_up_after_max_attempts_but_keeps_the_row(db_path):
    inbox = Inbox(db_path)
    inbox.claim("zalo", "m", "u", {"text": "a"})
    for _ in range(MAX_ATTEMPTS):
        inbox.park("zalo", "m")
    assert inbox.status("zalo", "m") == FAILED
    assert inbox.to_retry("zalo") == []


def test_sender_hash_is_keyed_and_matches_grievance(monkeypatch):
    from grievance.tickets import user_hash

    monkeypatch.setenv("HANHTRANG_SECRET", "k1")
    first = sender_hash("telegram", 42)
    assert first == user_hash("k1", "telegram", "42")
    monkeypatch.setenv("HANHTRANG_SECRET", "k2")
    assert sender_hash("telegram", 42) != first


def test_button_keys_are_short_and_stable(db_path):
    inbox = Inbox(db_path)
    payload = '/inform{"text":"' + "z" * 200 + '"}'
    key = inbox.button_key(payload)
    assert len(key.encode()) <= 64
    assert inbox.button_key(payload) == key
    assert Inbox(db_path).button_payload(key) == payload
    assert inbox.button_payload("k:unknown") is None
