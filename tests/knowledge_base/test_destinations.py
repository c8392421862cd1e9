"""destinations.yml: shape, sources, the caps the fee check relies on, and find_country."""

from decimal import Decimal
from pathlib import Path

import pytest

from knowledge_base.destinations import (
    DEPOSIT_AIR_TICKET,
    DEPOSIT_AMOUNT,
    DEPOSIT_NONE,
    DEPOSIT_UNKNOWN,
    DestinationDataError,
    find_country,
    load_destinations,
)
from knowledge_base.loader import VERIFICATION_LEVELS

REQUIRED = ["JP", "KR", "TW", "DE", "SA", "QA", "AE", "RO", "HU", "PL"]


@pytest.fixture(scope="module")
def destinations():
    return load_destinations()


def test_every_required_destination_is_present(destinations) -> None:
    assert [c for c in REQUIRED if c not in destinations] == []


def test_every_destination_has_names_programmes_and_the_mofa_hotline(destinations) -> None:
    for destination in destinations.values():
        assert set(destination.name) == {"vi", "en"}
        assert set(destination.restrictions) == {"vi", "en"}
        assert destination.programmes, destination.iso2
        assert destination.citations, destination.iso2
        phones = [c.phone for c in destination.contacts]
        assert "+84 981 84 84 84" in phones, destination.iso2


def test_every_citation_has_a_known_verification_level(destinations) -> None:
    citations = []
    for destination in destinations.values():
        citations += list(destination.citations) + [c.citation for c in destination.contacts]
        for programme in destination.programmes:
            if programme.service_fee_cap:
                citations.append(programme.service_fee_cap.citation)
        if destination.deposit_cap.citation:
            citations.append(destination.deposit_cap.citation)
    assert {c.verification for c in citations} <= set(VERIFICATION_LEVELS)
    assert all(c.doc for c in citations)


def test_no_destination_invents_emergency_numbers(destinations) -> None:
    # The legal-facts files give no destination emergency numbers; none may appear.
    assert {
        iso2: d.emergency_numbers for iso2, d in destinations.items() if d.emergency_numbers
    } == {}


@pytest.mark.parametrize(
    ("iso2", "kind", "amount"),
    [
        ("TW", DEPOSIT_AMOUNT, Decimal(12_000_000)),
        ("KR", DEPOSIT_AMOUNT, Decimal(36_000_000)),
        ("JP", DEPOSIT_NONE, None),
        ("SA", DEPOSIT_NONE, None),
        ("QA", DEPOSIT_NONE, None),
        ("AE", DEPOSIT_NONE, None),
        ("DE", DEPOSIT_AIR_TICKET, None),
        ("RO", DEPOSIT_AIR_TICKET, None),
        ("HU", DEPOSIT_AIR_TICKET, None),
        ("PL", DEPOSIT_AIR_TICKET, None),
    ],
)
def test_deposit_caps_follow_decree_112_appendix_ii(destinations, iso2, kind, amount) -> None:
    cap = destinations[iso2].deposit_cap
    assert (cap.kind, cap.amount) == (kind, amount)
    assert cap.citation is not None and "112/2021" in cap.citation.doc


def test_offshore_crew_and_eps_override_the_country_deposit_cap(destinations) -> None:
    korea = destinations["KR"]
    assert korea.deposit_cap_for(korea.programme("offshore_fishing_transport_crew")).kind == (
        DEPOSIT_NONE
    )
    # The current EPS deposit amount was not found: unknown, not zero and not 36 million.
    assert korea.deposit_cap_for(korea.programme("eps")).kind == DEPOSIT_UNKNOWN
    assert korea.deposit_cap_for(korea.programme("nearshore_fishing")).amount == Decimal(36_000_000)


@pytest.mark.parametrize(
    ("iso2", "programme", "per_12", "max_months"),
    [
        ("JP", "high_skill", Decimal("0.7"), Decimal(2)),
        ("JP", "titp3_same_enterprise", Decimal(0), Decimal(0)),
        ("JP", "ssw_after_titp", Decimal(0), Decimal(0)),
        ("TW", "home_caregiver", Decimal("0.4"), Decimal(1)),
        ("TW", "domestic_helper", Decimal("0.4"), Decimal(1)),
        ("TW", "agriculture", Decimal("0.4"), Decimal(1)),
        ("TW", "nearshore_fishing", Decimal("0.4"), Decimal(1)),
        ("TW", "hospital_care", Decimal("0.7"), Decimal(2)),
        ("KR", "nearshore_fishing", Decimal("0.7"), Decimal(2)),
    ],
)
def test_programme_service_fee_caps(destinations, iso2, programme, per_12, max_months) -> None:
    cap = destinations[iso2].programme(programme).service_fee_cap
    assert (cap.months_per_12, cap.max_months, cap.max_from_months) == (per_12, max_months, 36)
    assert cap.citation.verification == "secondary"


def test_programmes_without_a_specific_cap_have_none(destinations) -> None:
    assert destinations["JP"].programme("titp").service_fee_cap is None
    assert destinations["KR"].programme("eps").service_fee_cap is None


def test_programme_lookup_ignores_case_diacritics_and_accepts_aliases(destinations) -> None:
    taiwan = destinations["TW"]
    assert taiwan.programme("Khán hộ công").id == "home_caregiver"
    assert taiwan.programme("HOME_CAREGIVER").id == "home_caregiver"
    assert taiwan.programme("no such thing") is None


def test_a_reference_to_an_unknown_source_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "d.yml"
    path.write_text(
        "sources: {}\ncontacts: {}\nchannels: {}\ndestinations:\n"
        "  JP:\n    name: {vi: Nhật, en: Japan}\n"
        "    deposit_cap: {none: true, citation: nowhere}\n"
        "    restrictions: {vi: x, en: x}\n",
        encoding="utf-8",
    )
    with pytest.raises(DestinationDataError):
        load_destinations(path)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Nhật", "JP"),
        ("nhat", "JP"),
        ("Nhật Bản", "JP"),
        ("nhat ban", "JP"),
        ("NB", "JP"),
        ("japan", "JP"),
        ("日本", "JP"),
        ("jp", "JP"),
        ("đi nhat 3 nam", "JP"),
        ("lương ở Nhật bao nhiêu", "JP"),
        ("Hàn", "KR"),
        ("han quoc", "KR"),
        ("HQ", "KR"),
        ("korea", "KR"),
        ("한국", "KR"),
        ("한국에 가고 싶어요", "KR"),
        ("Đài", "TW"),
        ("dai loan", "TW"),
        ("ĐL", "TW"),
        ("taiwan", "TW"),
        ("台灣", "TW"),
        ("tiền dịch vụ đi đài loan", "TW"),
        ("Đức", "DE"),
        ("duc", "DE"),
        ("germany", "DE"),
        ("sang Đức làm điều dưỡng", "DE"),
        ("Ả Rập Xê Út", "SA"),
        ("a rap", "SA"),
        ("saudi", "SA"),
        ("Qatar", "QA"),
        ("ca-ta", "QA"),
        ("UAE", "AE"),
        ("Dubai", "AE"),
        ("các tiểu vương quốc", "AE"),
        ("Rumani", "RO"),
        ("Romania", "RO"),
        ("Hungary", "HU"),
        ("sang Hung", "HU"),
        ("Ba Lan", "PL"),
        ("đi ba lan", "PL"),
        ("Poland", "PL"),
        ("Tôi muốn đi Nhật Bản hoặc Hàn Quốc", "JP"),
    ],
)
def test_find_country(text: str, expected: str) -> None:
    assert find_country(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "tốt nhất",  # best
        "cập nhật thông tin",  # update
        "chủ nhật",  # Sunday
        "hạn chót",  # deadline
        "thời gian dài",  # long
        "anh Đức ơi",  # a given name
        "ba lần",  # three times
        "để",
        "rõ",
        "",
        "Trung Đông",
    ],
)
def test_everyday_words_are_not_countries(text: str) -> None:
    assert find_country(text) is None
