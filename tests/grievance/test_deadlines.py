"""Legal deadlines, with every expected date counted by hand in the comments."""

from datetime import date, datetime
from pathlib import Path

import pytest
import yaml

from grievance.deadlines import (
    DEFAULT_RULES_PATH,
    KINDS,
    DeadlineError,
    compute_deadlines,
)

TET_EVE = date(2026, 2, 12)  # Thursday before Tết 2026 (off Sat 14 - Sun 22 Feb)


def dates(result) -> tuple[date, date | None, date | None]:
    return result.accept_by, result.resolve_by, result.resolve_by_max


# -- Tết 2026 ---------------------------------------------------------------------------------


def test_complaint_received_before_tet() -> None:
    result = compute_deadlines("complaint", TET_EVE)
    # accept: 10 calendar days, 13..22 Feb -> Sun 22 Feb (Tết) -> next working day Mon 23 Feb
    # resolve: 30 days from 23 Feb: 24-28 Feb (5) + 1-25 Mar (25) -> Wed 25 Mar
    assert dates(result) == (date(2026, 2, 23), date(2026, 3, 25), date(2026, 3, 25))
    assert result.day_count == "calendar"
    assert any("22" in w and "next working day 2026-02-23" in w for w in result.warnings)


def test_labour_complaint_received_before_tet() -> None:
    result = compute_deadlines("labour_complaint", TET_EVE)
    # accept: 7 working days: Fri 13 (1), Tết, Mon 23 (2), 24 (3), 25 (4), 26 (5), 27 (6),
    # Mon 2 Mar (7); resolve: 30 calendar days from 2 Mar -> Wed 1 Apr
    assert dates(result) == (date(2026, 3, 2), date(2026, 4, 1), date(2026, 4, 1))
    assert result.day_count == "working"


def test_petition_received_before_tet() -> None:
    result = compute_deadlines("petition", TET_EVE)
    # 10 working days: Fri 13 (1), Mon 23 .. Fri 27 (2-6), Mon 2 .. Thu 5 Mar (7-10)
    assert dates(result) == (date(2026, 3, 5), None, None)
    assert result.day_count == "working"
    assert [r.purpose for r in result.rules] == ["accept"]
    assert result.to_json()["resolve_by"] is None
    assert result.to_json()["resolve_by_max"] is None


# -- weekends and the 2026 swapped days ------------------------------------------------------


def test_calendar_deadline_on_a_saturday_rolls_to_monday() -> None:
    result = compute_deadlines("complaint", date(2026, 3, 4))
    # Wed 4 Mar + 10 days = Sat 14 Mar -> Mon 16 Mar; + 30 days = Wed 15 Apr
    assert dates(result)[:2] == (date(2026, 3, 16), date(2026, 4, 15))


def test_calendar_deadline_on_a_holiday_rolls_past_it() -> None:
    result = compute_deadlines("complaint", date(2026, 4, 20))
    # Mon 20 Apr + 10 days = Thu 30 Apr (holiday), Fri 1 May (holiday), weekend -> Mon 4 May
    assert result.accept_by == date(2026, 5, 4)


def test_working_days_count_the_make_up_saturday_of_january() -> None:
    result = compute_deadlines("labour_complaint", date(2025, 12, 31))
    # Wed 31 Dec 2025: 1 Jan off, 2 Jan swapped off, 3-4 weekend, Mon 5 (1) .. Fri 9 (5),
    # Sat 10 Jan worked (6), Mon 12 Jan (7)
    assert result.accept_by == date(2026, 1, 12)


def test_working_days_across_national_day_2026() -> None:
    result = compute_deadlines("petition", date(2026, 8, 20))
    # Thu 20 Aug: Fri 21 (1), Sat 22 worked (2), Mon 24 .. Fri 28 (3-7), Sat 29 - Wed 2 Sep off
    # (Mon 31 Aug swapped), Thu 3 (8), Fri 4 (9), Mon 7 Sep (10)
    assert result.accept_by == date(2026, 9, 7)


# -- year boundary ---------------------------------------------------------------------------


def test_complaint_across_the_year_boundary_into_provisional_2027() -> None:
    result = compute_deadlines("complaint", date(2026, 12, 28))
    # Mon 28 Dec + 10 days: 29-31 Dec (3) + 1-7 Jan (7) -> Thu 7 Jan 2027
    # + 30 days: 8-31 Jan (24) + 1-6 Feb (6) -> Sat 6 Feb, Sun 7, provisional Tết 8-10 Feb
    # -> Thu 11 Feb 2027
    assert dates(result) == (date(2027, 1, 7), date(2027, 2, 11), date(2027, 2, 11))
    assert any("2027 table is provisional" in w for w in result.warnings)


def test_labour_complaint_across_the_year_boundary() -> None:
    result = compute_deadlines("labour_complaint", date(2026, 12, 28))
    # Tue 29 (1), Wed 30 (2), Thu 31 (3), Fri 1 Jan off, weekend, Mon 4 (4) .. Thu 7 Jan (7)
    assert result.accept_by == date(2027, 1, 7)


def test_missing_year_table_warns_and_uses_the_package() -> None:
    result = compute_deadlines("complaint", date(2030, 8, 23))
    # Fri 23 Aug 2030 + 10 days = Mon 2 Sep (National Day), Tue 3 Sep (package's second day)
    # -> Wed 4 Sep
    assert result.accept_by == date(2030, 9, 4)
    assert any(w.startswith("no official holiday table for 2030") for w in result.warnings)


# -- remote and complex ----------------------------------------------------------------------

# received Wed 4 Mar 2026 -> accepted by Mon 16 Mar (see above); from 16 Mar:
#   30 days -> Wed 15 Apr
#   45 days: 17-31 Mar (15) + 1-30 Apr (30) -> Thu 30 Apr (holiday) -> Mon 4 May
#   60 days: 45 + 1-15 May -> Fri 15 May
#   70 days: 45 + 1-25 May -> Mon 25 May


@pytest.mark.parametrize(
    ("kind", "remote", "complexity", "days", "expected"),
    [
        ("complaint", False, "normal", 30, date(2026, 4, 15)),
        ("complaint", False, "complex", 45, date(2026, 5, 4)),
        ("complaint", False, "very_complex", 45, date(2026, 5, 4)),
        ("complaint", True, "normal", 45, date(2026, 5, 4)),
        ("complaint", True, "complex", 60, date(2026, 5, 15)),
        ("complaint_second", False, "normal", 45, date(2026, 5, 4)),
        ("complaint_second", False, "complex", 60, date(2026, 5, 15)),
        ("complaint_second", True, "normal", 60, date(2026, 5, 15)),
        ("complaint_second", True, "complex", 70, date(2026, 5, 25)),
    ],
)
def test_remote_and_complex(
    kind: str, remote: bool, complexity: str, days: int, expected: date
) -> None:
    result = compute_deadlines(kind, date(2026, 3, 4), remote=remote, complexity=complexity)
    assert result.accept_by == date(2026, 3, 16)
    assert result.resolve_by == expected
    assert result.resolve_by_max == expected
    assert result.rules[1].days == days


def test_labour_complaint_remote_and_complex() -> None:
    result = compute_deadlines(
        "labour_complaint", date(2026, 3, 4), remote=True, complexity="complex"
    )
    # accept: Thu 5 (1), Fri 6 (2), Mon 9 .. Fri 13 Mar (3-7)
    # resolve 60 days from 13 Mar: 14-31 Mar (18) + April (30) + 1-12 May (12) -> Tue 12 May
    assert dates(result)[:2] == (date(2026, 3, 13), date(2026, 5, 12))
    assert (result.rules[1].article, result.rules[1].days) == ("Art. 20", 60)


def test_complaint_rules_cite_the_law() -> None:
    result = compute_deadlines("complaint", date(2026, 3, 4), remote=True, complexity="complex")
    expected = [
        {
            "doc": "Law on Complaints 02/2011/QH13",
            "article": "Art. 27",
            "days": 10,
            "verification": "official",
        },
        {
            "doc": "Law on Complaints 02/2011/QH13",
            "article": "Art. 28",
            "days": 60,
            "verification": "official",
        },
    ]
    assert result.to_json()["rules"] == expected


# -- denunciations ---------------------------------------------------------------------------

# received Thu 12 Feb 2026 -> accepted by Mon 2 Mar (7 working days, as for labour complaints);
# from 2 Mar: 30 days -> Wed 1 Apr; 60 days -> Fri 1 May (holiday) -> Mon 4 May;
# 90 days: 3-31 Mar (29) + April (30) + May (31) -> Sun 31 May -> Mon 1 Jun


@pytest.mark.parametrize(
    ("complexity", "extensions", "expected_max"),
    [
        ("normal", 0, date(2026, 4, 1)),
        ("complex", 1, date(2026, 5, 4)),
        ("very_complex", 2, date(2026, 6, 1)),
    ],
)
def test_denunciation_extensions(complexity: str, extensions: int, expected_max: date) -> None:
    result = compute_deadlines("denunciation", TET_EVE, complexity=complexity)
    assert dates(result) == (date(2026, 3, 2), date(2026, 4, 1), expected_max)
    purposes = [r.purpose for r in result.rules]
    assert purposes == ["accept", "resolve"] + ["extension"] * extensions
    assert sum(r.days for r in result.rules if r.purpose == "extension") == 30 * extensions


def test_denunciation_with_one_extension_granted() -> None:
    result = compute_deadlines(
        "denunciation", TET_EVE, complexity="very_complex", extensions_used=1
    )
    assert dates(result) == (date(2026, 3, 2), date(2026, 5, 4), date(2026, 6, 1))


def test_denunciation_cannot_use_more_extensions_than_allowed() -> None:
    with pytest.raises(DeadlineError):
        compute_deadlines("denunciation", TET_EVE, complexity="complex", extensions_used=2)
    with pytest.raises(DeadlineError):
        compute_deadlines("complaint", TET_EVE, extensions_used=1)


def test_remote_is_ignored_for_denunciations_with_a_warning() -> None:
    result = compute_deadlines("denunciation", TET_EVE, remote=True)
    assert result.resolve_by == date(2026, 4, 1)
    assert any("'remote'" in w for w in result.warnings)


# -- acceptance and pauses -------------------------------------------------------------------


def test_accepted_after_accept_by_counts_from_real_acceptance() -> None:
    result = compute_deadlines("complaint", date(2026, 3, 4), accepted_on=date(2026, 3, 20))
    # accept_by stays Mon 16 Mar; 30 days from Fri 20 Mar: 21-31 Mar (11) + 1-19 Apr (19)
    # -> Sun 19 Apr -> Mon 20 Apr
    assert dates(result)[:2] == (date(2026, 3, 16), date(2026, 4, 20))
    assert any("after the acceptance deadline 2026-03-16" in w for w in result.warnings)


# accepted Tue 10 Mar 2026: 30 days -> 11-31 Mar (21) + 1-9 Apr (9) -> Thu 9 Apr
ACCEPTED = date(2026, 3, 10)


@pytest.mark.parametrize(
    ("pauses", "expected"),
    [
        ((), date(2026, 4, 9)),
        # 20-24 Mar: 5 days -> Tue 14 Apr
        ([(date(2026, 3, 20), date(2026, 3, 24))], date(2026, 4, 14)),
        # plus 1-2 Apr: 7 days -> Thu 16 Apr
        (
            [(date(2026, 3, 20), date(2026, 3, 24)), (date(2026, 4, 1), date(2026, 4, 2))],
            date(2026, 4, 16),
        ),
        # 8-12 Mar: only 11 and 12 fall after acceptance: 2 days -> Sat 11 Apr -> Mon 13 Apr
        ([(date(2026, 3, 8), date(2026, 3, 12))], date(2026, 4, 13)),
        # after the deadline: no effect
        ([(date(2026, 5, 4), date(2026, 5, 8))], date(2026, 4, 9)),
        # one day, given twice (overlapping ranges count once) -> Fri 10 Apr
        ([(date(2026, 3, 20), date(2026, 3, 20))] * 2, date(2026, 4, 10)),
    ],
)
def test_pauses_stop_the_clock(pauses, expected: date) -> None:
    result = compute_deadlines("complaint", date(2026, 3, 4), accepted_on=ACCEPTED, pauses=pauses)
    assert result.resolve_by == expected
    assert result.accept_by == date(2026, 3, 16)  # pauses never move acceptance


def test_pauses_move_denunciation_maximum_too() -> None:
    result = compute_deadlines(
        "denunciation",
        TET_EVE,
        complexity="very_complex",
        pauses=[(date(2026, 3, 3), date(2026, 3, 5))],
    )
    # from Mon 2 Mar, 3 paused days: 30 + 3 -> Sat 4 Apr -> Mon 6 Apr; 90 + 3 -> Wed 3 Jun
    assert dates(result) == (date(2026, 3, 2), date(2026, 4, 6), date(2026, 6, 3))


def test_labour_complaint_pause_counts_calendar_days_of_its_calendar_period() -> None:
    result = compute_deadlines(
        "labour_complaint",
        date(2026, 3, 4),
        accepted_on=ACCEPTED,
        pauses=[(date(2026, 3, 20), date(2026, 3, 23))],
    )
    # resolution is "30 ngày" (calendar): Fri 20 - Mon 23 Mar = 4 paused days
    # -> 9 Apr + 4 = Mon 13 Apr
    assert result.resolve_by == date(2026, 4, 13)


# -- rule sets and bad input -----------------------------------------------------------------


def test_law_136_warning_only_from_1_july_2026() -> None:
    before = compute_deadlines("complaint", date(2026, 6, 30))
    after = compute_deadlines("complaint", date(2026, 7, 1))
    assert not any("136/2025" in w for w in before.warnings)
    assert any("136/2025" in w for w in after.warnings)
    assert not any(
        "136/2025" in w for w in compute_deadlines("petition", date(2026, 7, 1)).warnings
    )


def test_rule_set_in_force_on_receipt_applies(tmp_path: Path) -> None:
    data = yaml.safe_load(DEFAULT_RULES_PATH.read_text(encoding="utf-8"))
    newer = yaml.safe_load(yaml.safe_dump(data["rule_sets"][0]))
    newer["id"] = "test-2026-09"
    newer["effective_from"] = date(2026, 9, 1)
    newer["kinds"]["complaint"]["accept"]["days"] = 5
    data["rule_sets"].append(newer)
    path = tmp_path / "deadlines.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    # Mon 31 Aug is a day off; + 10 days from Mon 31 Aug = Thu 10 Sep
    assert compute_deadlines("complaint", date(2026, 8, 31), rules_path=path).accept_by == date(
        2026, 9, 10
    )
    # Tue 1 Sep + 5 days = Sun 6 Sep -> Mon 7 Sep
    assert compute_deadlines("complaint", date(2026, 9, 1), rules_path=path).accept_by == date(
        2026, 9, 7
    )


def test_to_json_has_exactly_the_contract_keys() -> None:
    keys = set(compute_deadlines("labour_complaint", TET_EVE).to_json())
    assert keys == {
        "accept_by",
        "resolve_by",
        "resolve_by_max",
        "day_count",
        "rules",
        "warnings",
    }


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_has_sourced_rules(kind: str) -> None:
    result = compute_deadlines(kind, TET_EVE)
    for rule in result.rules:
        assert rule.doc and rule.article
        assert rule.verification in ("official", "secondary", "unverified")
        assert rule.unit in ("working", "calendar")


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"kind": "appeal", "received": TET_EVE}, "unknown_kind"),
        ({"kind": "complaint", "received": TET_EVE, "complexity": "hard"}, "unknown_complexity"),
        (
            {"kind": "complaint", "received": TET_EVE, "accepted_on": date(2026, 2, 11)},
            "accepted_before_received",
        ),
        (
            {
                "kind": "complaint",
                "received": TET_EVE,
                "pauses": [(date(2026, 3, 5), date(2026, 3, 4))],
            },
            "bad_pause",
        ),
        ({"kind": "complaint", "received": date(2020, 1, 6)}, "no_rule_set"),
        ({"kind": "complaint", "received": datetime(2026, 2, 12, 23, 30)}, "not_a_date"),
        ({"kind": "complaint", "received": "2026-02-12"}, "not_a_date"),
        (
            {"kind": "denunciation", "received": TET_EVE, "extensions_used": 1},
            "too_many_extensions",
        ),
    ],
)
def test_bad_input_raises_deadline_error(kwargs, code: str) -> None:
    with pytest.raises(DeadlineError) as caught:
        compute_deadlines(**kwargs)
    assert caught.value.code == code
