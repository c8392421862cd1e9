"""Pure ticket helpers: codes, PINs, user hashes and respondent keys for collective cases."""

import logging

import pytest

from grievance.tickets import (
    DEV_SECRET,
    check_pin,
    format_code,
    hash_pin,
    new_pin,
    normalise_code,
    resolve_secret,
    respondent_key,
    user_hash,
)


def test_code_format() -> None:
    assert format_code(2026, 123) == "HT-2026-000123"
    assert normalise_code("  ht-2026-000123 ") == "HT-2026-000123"


def test_pin_is_six_digits_and_checks_only_itself() -> None:
    pin = new_pin()
    digest, salt = hash_pin(pin, "key")
    wrong = f"{(int(pin) + 1) % 1_000_000:06d}"
    assert (len(pin), pin.isdigit()) == (6, True)
    assert check_pin(pin, digest, salt, "key") is True
    assert check_pin(wrong, digest, salt, "key") is False
    assert check_pin(pin, digest, salt, "another key") is False


def test_same_pin_hashes_differently_per_ticket() -> None:
    first, _ = hash_pin("123456", "key")
    second, _ = hash_pin("123456", "key")
    assert first != second


def test_user_hash_depends_on_secret_channel_and_id() -> None:
    base = user_hash("s", "telegram", "42")
    assert base == user_hash("s", "telegram", "42")
    assert len({base, user_hash("s", "zalo", "42"), user_hash("t", "telegram", "42")}) == 3
    assert "42" not in base


def test_dev_secret_is_used_with_a_warning(monkeypatch, caplog) -> None:
    monkeypatch.delenv("HANHTRANG_SECRET", raising=False)
    with caplog.at_level(logging.WARNING):
        assert resolve_secret() == DEV_SECRET
    assert "HANHTRANG_SECRET" in caplog.text
    monkeypatch.setenv("HANHTRANG_SECRET", "from-env")
    assert resolve_secret() == "from-env"


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("Công ty TNHH Nhân lực Sao Mai", "cong ty nhan luc sao mai"),
        ("Công ty Cổ phần Sao Mai", "SAO MAI JSC"),
        ("Sao Mai Co., Ltd.", "Công ty TNHH MTV Sao Mai"),
        ("Giấy phép 123/LĐTBXH-GP", "123/LDTBXH-GP"),
    ],
)
def test_same_respondent_spelled_differently_has_one_key(first: str, second: str) -> None:
    assert respondent_key(first) == respondent_key(second)


def test_different_respondents_have_different_keys() -> None:
    assert respondent_key("Công ty Sao Mai") != respondent_key("Công ty Sao Khuê")
    assert respondent_key("123/LĐTBXH-GP") != respondent_key("124/LĐTBXH-GP")
    assert respondent_key("  ") is None
