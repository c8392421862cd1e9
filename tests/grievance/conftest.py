"""Shared fixtures for grievance tests: a settable clock, services on in-memory and file
databases, and a factory for new tickets."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from grievance.calendar import WorkCalendar
from grievance.service import GrievanceService
from grievance.store import memory_db
from grievance.tickets import NewTicket

SECRET = "test-secret"
# Monday 2 Nov 2026, 10:00 in Hà Nội: a plain working week with no public holiday.
START = datetime(2026, 11, 2, 3, 0, tzinfo=UTC)


class Clock:
    def __init__(self, start: datetime = START) -> None:
        self.value = start

    def __call__(self) -> datetime:
        return self.value

    def set(self, value: datetime) -> None:
        self.value = value

    def advance(self, **delta: float) -> None:
        self.value += timedelta(**delta)


@pytest.fixture(scope="session")
def calendar() -> WorkCalendar:
    return WorkCalendar()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def service(tmp_path: Path, clock: Clock, calendar: WorkCalendar) -> GrievanceService:
    return GrievanceService(
        memory_db(),
        now=clock,
        secret=SECRET,
        calendar=calendar,
        attachments_dir=tmp_path / "attachments",
    )


@pytest.fixture
def file_service(tmp_path: Path, clock: Clock, calendar: WorkCalendar) -> GrievanceService:
    return GrievanceService.open(
        tmp_path / "hanhtrang.db", now=clock, secret=SECRET, calendar=calendar
    )


@pytest.fixture
def new_ticket() -> Callable[..., NewTicket]:
    def make(**overrides: Any) -> NewTicket:
        values: dict[str, Any] = {
            "channel": "telegram",
            "channel_user_id": "1001",
            "language": "vi",
            "category": "unpaid_wages",
            "description": "Công ty chưa trả lương ba tháng",
            "destination": "JP",
            "respondent_kind": "recruiter",
            "respondent": "Công ty TNHH Nhân lực Sao Mai",
        }
        values.update(overrides)
        return NewTicket(**values)

    return make
