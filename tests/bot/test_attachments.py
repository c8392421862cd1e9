from __future__ import annotations

import pytest

from bot.attachments import (
    MAX_BYTES,
    AttachmentRejected,
    accept,
    check_content,
    check_declared,
    claim_pending,
    newest_open_code,
    sniff_type,
)

PNG = b"\x89PNG\r\n\x1a\n" + b"0" * 100
WEBP = b"RIFF\x00\x00\x00\x00WEBPVP8 " + b"0" * 100


def test_types_are_sniffed_not_trusted():
    assert sniff_type(PNG) == "image/png"
    assert sniff_type(WEBP) == "image/webp"
    assert sniff_type(b"%PDF-1.5") == "application/pdf"
    assert sniff_type(b"PK\x03\x04zip") is None
    with pytest.raises(AttachmentRejected) as err:
        check_content(b"PK\x03\x04zip")
    assert err.value.reason == "wrong_type"


def test_size_limit():
    with pytest.raises(AttachmentRejected) as err:
        check_declared("application/pdf", MAX_BYTES + 1)
    assert err.value.reason == "too_big"
    with pytest.raises(AttachmentRejected) as err:
        check_content(b"%PDF-" + b"0" * MAX_BYTES)
    assert err.value.reason == "too_big"
    check_declared("image/png", MAX_BYTES)


def test_pending_files_claimed_once_per_user(db_path):
    assert accept(db_path, "zalo", "u1", PNG, "a.png").ticket_code is None
    accept(db_path, "zalo", "u1", WEBP, "b.webp")
    accept(db_path, "zalo", "u2", PNG, "c.png")
    claimed = claim_pending(db_path, "zalo", "u1")
    assert [(c.original_name, c.mime, c.size) for c in claimed] == [
        ("a.png", "image/png", len(PNG)),
        ("b.webp", "image/webp", len(WEBP)),
    ]
    assert claim_pending(db_path, "zalo", "u1") == []
    assert [c.original_name for c in claim_pending(db_path, "zalo", "u2")] == ["c.png"]


def test_newest_open_code():
    tickets = [
        {"code": "HT-2026-000001", "status": "received", "received_at": "2026-01-01"},
        {"code": "HT-2026-000002", "status": "closed", "received_at": "2026-03-01"},
        {"code": "HT-2026-000003", "status": "paused", "received_at": "2026-02-01"},
    ]
    assert newest_open_code(tickets) == "HT-2026-000003"
    assert newest_open_code([]) is None
