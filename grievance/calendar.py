"""Vietnamese working-day calendar for legal deadlines.

Why a table and not just the `holidays` package: Tết and the public-sector swaps (a weekday off
paid back by working a Saturday) are set each year by the Prime Minister, so no rule can compute
them. Each year is a YAML table in ``rules/holidays/vn-YYYY.yml`` with its sources; years without a
table fall back to the statutory days the package computes, and every deadline that touches such a
year (or a provisional table) carries a warning for staff.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import yaml

logger = logging.getLogger(__name__)

DEFAULT_TABLES_DIR = Path(__file__).parent / "rules" / "holidays"
SETTINGS_FILE = "calendar.yml"
COUNTRY = "VN"
STATUSES = ("official", "provisional")
SATURDAY = 5


class CalendarError(ValueError):
    """A holiday table is malformed (wrong year, unknown source, weekday make-up day...)."""


@dataclass(frozen=True)
class YearTable:
    """One year's days off and make-up working days, as loaded from YAML."""

    year: int
    status: str
    days_off: dict[date, str]  # day -> English name
    make_up_days: frozenset[date]
    from_package: bool  # some entries come from the `holidays` package, not an official text


@dataclass
class _Settings:
    exclusions: tuple[str, ...]
    messages: dict[str, dict[str, str]] = field(default_factory=dict)


class WorkCalendar:
    """Answers "is this a working day for a state body?" and counts working days.

    Tables are read lazily, one year at a time, and cached in the instance.
    """

    def __init__(self, tables_dir: Path | None = None) -> None:
        self._dir = tables_dir if tables_dir is not None else DEFAULT_TABLES_DIR
        self._tables: dict[int, YearTable | None] = {}
        self._fallback: dict[int, dict[date, str]] = {}
        self._settings: _Settings | None = None

    # -- public API -------------------------------------------------------------------------

    def is_working_day(self, day: date) -> bool:
        table = self._table(day.year)
        if table is not None:
            if day in table.make_up_days:
                return True
            if day in table.days_off:
                return False
        elif day in self._package_days_off(day.year):
            return False
        return day.weekday() < SATURDAY

    def add_working_days(self, start: date, n: int) -> date:
        """The n-th working day after ``start`` (``start`` itself never counts)."""
        if n < 0:
            raise ValueError("n must be >= 0")
        day = start
        counted = 0
        while counted < n:
            day += timedelta(days=1)
            if self.is_working_day(day):
                counted += 1
        return day

    def next_working_day_on_or_after(self, day: date) -> date:
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def warnings_for(self, *days: date) -> list[str]:
        """Warnings about the data behind every year from the earliest to the latest day given.

        The whole span counts because a deadline is found by walking through it.
        """
        if not days:
            return []
        warnings: list[str] = []
        for year in range(min(days).year, max(days).year + 1):
            table = self._table(year)
            if table is None:
                warnings.append(self._message("no_table", year=year))
                continue
            if table.status == "provisional":
                warnings.append(self._message("provisional", year=year))
            if table.from_package:
                warnings.append(self._message("partly_from_package", year=year))
        return warnings

    def check_against_package(self, year: int) -> list[str]:
        """Weekday days off where our table and the `holidays` package disagree.

        Expected differences (official swaps, days we exclude on purpose) are reported too: the
        point is that a person reads the list once a year, not that it is empty.
        """
        table = self._table(year)
        if table is None:
            return [self._message("no_table", year=year)]
        package = _package_holidays(year)
        ours = {d: n for d, n in table.days_off.items() if d.weekday() < SATURDAY}
        theirs = {d: n for d, n in package.items() if d.weekday() < SATURDAY}
        differences: list[tuple[date, str]] = []
        for day, name in theirs.items():
            if day not in ours:
                differences.append(
                    (day, self._message("package_only", date=day, name=name, year=year))
                )
        for day, name in ours.items():
            if day not in theirs:
                differences.append(
                    (day, self._message("table_only", date=day, name=name, year=year))
                )
        logger.info("holiday check year=%s differences=%s", year, len(differences))
        return [text for _, text in sorted(differences)]

    # -- loading ----------------------------------------------------------------------------

    def _table(self, year: int) -> YearTable | None:
        if year not in self._tables:
            path = self._dir / f"vn-{year}.yml"
            self._tables[year] = _load_table(path, year) if path.exists() else None
            if self._tables[year] is None:
                logger.info("no holiday table for year=%s; using the holidays package", year)
        return self._tables[year]

    def _package_days_off(self, year: int) -> dict[date, str]:
        if year not in self._fallback:
            exclusions = self._load_settings().exclusions
            self._fallback[year] = {
                day: name
                for day, name in _package_holidays(year).items()
                if not any(word in name for word in exclusions)
            }
        return self._fallback[year]

    def _load_settings(self) -> _Settings:
        if self._settings is None:
            path = self._dir / SETTINGS_FILE
            data = _read_yaml(path) if path.exists() else {}
            exclusions = tuple(
                str(item["name_contains"]) for item in data.get("package_exclusions") or []
            )
            self._settings = _Settings(exclusions=exclusions, messages=data.get("messages") or {})
        return self._settings

    def _message(self, key: str, **fields: Any) -> str:
        template = self._load_settings().messages.get(key, {}).get("en")
        if template is None:  # a missing message must not hide the warning itself
            return f"{key}: " + ", ".join(f"{k}={v}" for k, v in sorted(fields.items()))
        return str(template).format(**fields)


def _package_holidays(year: int) -> dict[date, str]:
    import holidays  # imported on first use: it is only needed for fallbacks and checks

    return dict(holidays.country_holidays(COUNTRY, years=year, language="en_US").items())


def _read_yaml(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        data = yaml.safe_load(handle) or {}
    if not isinstance(data, dict):
        raise CalendarError(f"{path.name}: expected a mapping at the top level")
    return data


def _load_table(path: Path, year: int) -> YearTable:
    data = _read_yaml(path)
    if data.get("year") != year:
        raise CalendarError(f"{path.name}: 'year' must be {year}")
    status = data.get("status")
    if status not in STATUSES:
        raise CalendarError(f"{path.name}: 'status' must be one of {STATUSES}")
    sources = data.get("sources") or {}
    used_sources: set[str] = set()

    days_off: dict[date, str] = {}
    for entry in data.get("days_off") or []:
        used_sources.add(_source_of(entry, sources, path))
        first = entry.get("from", entry.get("date"))
        last = entry.get("to", first)
        if not isinstance(first, date) or not isinstance(last, date) or last < first:
            raise CalendarError(f"{path.name}: bad date or range in days_off: {first}..{last}")
        name = str((entry.get("name") or {}).get("en", ""))
        day = first
        while day <= last:
            if day.year != year:
                raise CalendarError(f"{path.name}: {day} is outside {year}")
            days_off[day] = name
            day += timedelta(days=1)

    make_up: set[date] = set()
    for entry in data.get("make_up_working_days") or []:
        used_sources.add(_source_of(entry, sources, path))
        day = entry.get("date")
        if not isinstance(day, date) or day.year != year or day.weekday() < SATURDAY:
            raise CalendarError(f"{path.name}: make-up working day {day} must be a weekend day")
        if day in days_off:
            raise CalendarError(f"{path.name}: {day} is both a day off and a working day")
        make_up.add(day)

    from_package = any(bool(sources[key].get("from_package")) for key in used_sources)
    return YearTable(year, status, days_off, frozenset(make_up), from_package)


def _source_of(entry: dict[str, Any], sources: dict[str, Any], path: Path) -> str:
    key = entry.get("source")
    if key not in sources:
        raise CalendarError(f"{path.name}: unknown source {key!r}")
    return str(key)
