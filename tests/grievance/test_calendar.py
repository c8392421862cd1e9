"""The working-day calendar against the real 2025-2027 tables and hand-checked dates."""

from datetime import date
from pathlib import Path

import pytest

from grievance.calendar import CalendarError, WorkCalendar


@pytest.fixture(scope="module")
def cal() -> WorkCalendar:
    return WorkCalendar()


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 3, 6), True),  # Friday
        (date(2026, 3, 7), False),  # Saturday
        (date(2026, 3, 8), False),  # Sunday
        (date(2026, 3, 9), True),  # Monday
        # New Year 2026: Thu 1 Jan off, Fri 2 Jan swapped off, Sat 10 Jan worked instead
        (date(2026, 1, 1), False),
        (date(2026, 1, 2), False),
        (date(2026, 1, 10), True),
        (date(2026, 1, 11), False),
        # Tết 2026: Sat 14 - Sun 22 Feb; Fri 13 and Mon 23 are working days
        (date(2026, 2, 13), True),
        (date(2026, 2, 16), False),
        (date(2026, 2, 20), False),
        (date(2026, 2, 23), True),
        # Hùng Kings 2026 falls on Sunday 26 Apr: compensatory Monday 27 Apr
        (date(2026, 4, 27), False),
        (date(2026, 4, 30), False),
        (date(2026, 5, 1), False),
        (date(2026, 5, 4), True),
        # National Day 2026: Mon 31 Aug swapped off, Sat 22 Aug worked
        (date(2026, 8, 22), True),
        (date(2026, 8, 23), False),
        (date(2026, 8, 31), False),
        (date(2026, 9, 1), False),
        (date(2026, 9, 2), False),
        (date(2026, 9, 3), True),
        # 24 Nov 2026 (Vietnam Culture Day) is not legally a day off as far as we have seen
        (date(2026, 11, 24), True),
        # 2025: Hùng Kings Mon 7 Apr; Fri 2 May off, swapped with Sat 26 Apr worked
        (date(2025, 4, 7), False),
        (date(2025, 4, 26), True),
        (date(2025, 5, 2), False),
        # 2027 provisional: the package's Tết (Thu 4 - Wed 10 Feb), 1 May Sat -> Mon 3 May
        (date(2027, 2, 10), False),
        (date(2027, 2, 11), True),
        (date(2027, 5, 3), False),
    ],
)
def test_is_working_day(cal: WorkCalendar, day: date, expected: bool) -> None:
    assert cal.is_working_day(day) == expected


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        # Thu 12 Feb 2026: Fri 13 (1), Tết 14-22, Mon 23 (2) ... Fri 27 (6), Mon 2 Mar (7)
        (date(2026, 2, 12), 1, date(2026, 2, 13)),
        (date(2026, 2, 12), 2, date(2026, 2, 23)),
        (date(2026, 2, 12), 7, date(2026, 3, 2)),
        # Wed 31 Dec 2025: 1-4 Jan off, Mon 5 (1)
        (date(2025, 12, 31), 1, date(2026, 1, 5)),
        # Mon 5 Jan: Tue 6 (1), Wed 7 (2), Thu 8 (3), Fri 9 (4), make-up Sat 10 (5)
        (date(2026, 1, 5), 5, date(2026, 1, 10)),
        # Thu 20 Aug: Fri 21 (1), make-up Sat 22 (2), Mon 24 (3) .. Fri 28 (7), 29 Aug - 2 Sep off,
        # Thu 3 Sep (8)
        (date(2026, 8, 20), 8, date(2026, 9, 3)),
        # start excluded, n = 0 is the start itself
        (date(2026, 3, 7), 0, date(2026, 3, 7)),
    ],
)
def test_add_working_days(cal: WorkCalendar, start: date, n: int, expected: date) -> None:
    assert cal.add_working_days(start, n) == expected


def test_add_working_days_rejects_negative(cal: WorkCalendar) -> None:
    with pytest.raises(ValueError):
        cal.add_working_days(date(2026, 3, 2), -1)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 2, 14), date(2026, 2, 23)),  # first day of Tết -> Monday after
        (date(2026, 8, 29), date(2026, 9, 3)),  # National Day break -> Thursday
        (date(2026, 3, 9), date(2026, 3, 9)),  # already a working day
        (date(2026, 12, 31), date(2026, 12, 31)),  # Thursday, no holiday
    ],
)
def test_next_working_day_on_or_after(cal: WorkCalendar, day: date, expected: date) -> None:
    assert cal.next_working_day_on_or_after(day) == expected


def test_official_year_has_no_warnings(cal: WorkCalendar) -> None:
    assert cal.warnings_for(date(2026, 2, 12), date(2026, 4, 1)) == []


def test_provisional_2027_is_reported(cal: WorkCalendar) -> None:
    warnings = cal.warnings_for(date(2027, 3, 1))
    assert len(warnings) == 2
    assert "2027 table is provisional" in warnings[0]
    assert "holidays package" in warnings[1]


def test_2025_table_says_it_is_partly_from_the_package(cal: WorkCalendar) -> None:
    warnings = cal.warnings_for(date(2025, 6, 2))
    assert len(warnings) == 1
    assert "2025 table is partly taken from the holidays package" in warnings[0]


def test_missing_year_falls_back_and_warns(cal: WorkCalendar) -> None:
    warnings = cal.warnings_for(date(2030, 5, 6))
    assert len(warnings) == 1
    assert warnings[0].startswith("no official holiday table for 2030")
    # package statutory days: National Day Mon 2 + Tue 3 Sep 2030
    assert cal.is_working_day(date(2030, 9, 2)) is False
    assert cal.is_working_day(date(2030, 9, 3)) is False
    # excluded on purpose: the package's Culture Day observed on Mon 25 Nov 2030
    assert cal.is_working_day(date(2030, 11, 25)) is True


def test_warnings_cover_every_year_in_the_span(cal: WorkCalendar) -> None:
    warnings = cal.warnings_for(date(2026, 12, 28), date(2028, 1, 5))
    assert [w.split(" ")[0] for w in warnings[:2]] == ["2027", "2027"]
    assert warnings[2].startswith("no official holiday table for 2028")
    assert len(warnings) == 3


def test_check_against_package_2026(cal: WorkCalendar) -> None:
    differences = cal.check_against_package(2026)
    # 2 Jan is an official swap the package does not know; 24 Nov is in the package only
    assert [d[:10] for d in differences] == ["2026-01-02", "2026-11-24"]
    assert "our 2026 table has a day off" in differences[0]
    assert "the holidays package lists" in differences[1]


def test_check_against_package_without_table(cal: WorkCalendar) -> None:
    differences = cal.check_against_package(2030)
    assert len(differences) == 1
    assert differences[0].startswith("no official holiday table for 2030")


def _write(tmp_path: Path, year: int, body: str) -> Path:
    (tmp_path / f"vn-{year}.yml").write_text(body, encoding="utf-8")
    return tmp_path


def test_custom_table_dir(tmp_path: Path) -> None:
    _write(
        tmp_path,
        2031,
        """
year: 2031
status: official
sources: {x: {doc: test, verification: official}}
days_off: [{from: 2031-03-03, to: 2031-03-04, name: {en: test}, source: x}]
make_up_working_days: [{date: 2031-03-08, replaces: 2031-03-04, source: x}]
""",
    )
    cal = WorkCalendar(tmp_path)
    assert cal.is_working_day(date(2031, 3, 3)) is False
    assert cal.is_working_day(date(2031, 3, 8)) is True  # Saturday worked
    # without the package entries: 2 Sep 2031 (Tue) is a working day in this table
    assert cal.is_working_day(date(2031, 9, 2)) is True
    assert cal.warnings_for(date(2031, 1, 1)) == []


@pytest.mark.parametrize(
    "body",
    [
        # make-up day on a weekday
        "year: 2031\nstatus: official\nsources: {x: {doc: t}}\n"
        "make_up_working_days: [{date: 2031-03-05, source: x}]\n",
        # wrong year
        "year: 2030\nstatus: official\nsources: {}\n",
        # unknown status
        "year: 2031\nstatus: draft\nsources: {}\n",
        # unknown source
        "year: 2031\nstatus: official\nsources: {}\ndays_off: [{date: 2031-03-05, source: y}]\n",
        # day outside the year
        "year: 2031\nstatus: official\nsources: {x: {doc: t}}\n"
        "days_off: [{date: 2032-01-01, source: x}]\n",
    ],
)
def test_malformed_tables_are_rejected(tmp_path: Path, body: str) -> None:
    cal = WorkCalendar(_write(tmp_path, 2031, body))
    with pytest.raises(CalendarError):
        cal.is_working_day(date(2031, 3, 5))
