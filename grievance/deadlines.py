"""Legal deadlines for a grievance: when it must be accepted and resolved.

Why data: the periods, their legal source and how sure we are of them live in
``rules/deadlines.yml``; the rule set in force on the date of receipt applies, so a change in the
law is a new rule set, not a code change. Counting follows the wording of each text: "ngày"
(calendar days, a last day off moving to the next working day) or "ngày làm việc" (working days on
the public-sector calendar, see ``grievance.calendar``). Pauses model suspension of resolution
(Law 136/2025/QH15): paused days do not count towards the resolution period.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from grievance.calendar import WorkCalendar

logger = logging.getLogger(__name__)

DEFAULT_RULES_PATH = Path(__file__).parent / "rules" / "deadlines.yml"
KINDS = ("complaint", "complaint_second", "labour_complaint", "denunciation", "petition")
COMPLEXITIES = ("normal", "complex", "very_complex")
UNITS = ("working", "calendar")


class DeadlineError(ValueError):
    """Bad input (unknown kind, impossible dates, bad complexity) or no rule set in force.

    ``code`` names the problem so an edge (console, bot) can show its own localised text.
    """

    def __init__(self, message: str, code: str = "bad_input") -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Rule:
    doc: str
    article: str
    days: int
    unit: str  # "working" | "calendar"
    verification: str  # "official" | "secondary" | "unverified"
    purpose: str  # "accept" | "resolve" | "extension"


@dataclass(frozen=True)
class Deadlines:
    kind: str
    received: date
    accept_by: date
    resolve_by: date | None
    resolve_by_max: date | None
    day_count: str  # "working" | "calendar"
    rules: tuple[Rule, ...]
    warnings: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        """The `hanhtrang deadline --json` contract, key for key."""
        return {
            "accept_by": self.accept_by.isoformat(),
            "resolve_by": _iso(self.resolve_by),
            "resolve_by_max": _iso(self.resolve_by_max),
            "day_count": self.day_count,
            "rules": [
                {"doc": r.doc, "article": r.article, "days": r.days, "verification": r.verification}
                for r in self.rules
            ],
            "warnings": list(self.warnings),
        }


def compute_deadlines(
    kind: str,
    received: date,
    *,
    remote: bool = False,
    complexity: str = "normal",
    accepted_on: date | None = None,
    pauses: Sequence[tuple[date, date]] = (),
    extensions_used: int | None = None,
    calendar: WorkCalendar | None = None,
    rules_path: Path | None = None,
) -> Deadlines:
    """Deadlines for one grievance, with the rules applied and warnings for staff.

    resolve_by counts from the actual acceptance when known, else from accept_by. resolve_by_max
    adds every extension the complexity allows (only denunciations have extensions).
    """
    if kind not in KINDS:
        raise DeadlineError(
            f"unknown kind {kind!r}; expected one of {', '.join(KINDS)}", "unknown_kind"
        )
    if complexity not in COMPLEXITIES:
        raise DeadlineError(
            f"unknown complexity {complexity!r}; expected one of {', '.join(COMPLEXITIES)}",
            "unknown_complexity",
        )
    _check_dates(received, accepted_on, pauses)
    if accepted_on is not None and accepted_on < received:
        raise DeadlineError(
            f"accepted on {accepted_on}, before it was received on {received}",
            "accepted_before_received",
        )
    paused = _paused_days(pauses)
    cal = calendar if calendar is not None else _default_calendar()
    data = _load_rules(Path(rules_path) if rules_path is not None else DEFAULT_RULES_PATH)
    rule_set = _rule_set_for(data, received)
    spec = rule_set["kinds"][kind]
    messages = data["messages"]
    notes: list[str] = []

    def say(key: str, **fields: Any) -> None:
        notes.append(str(messages[key]["en"]).format(**fields))

    accept_rule = _rule(spec["accept"], "accept", spec["accept"]["days"])
    accept_by, raw = _count(cal, received, accept_rule.days, accept_rule.unit, frozenset())
    if raw != accept_by:
        say("rolled_forward", what="accept_by", raw=raw, day=accept_by)
    rules = [accept_rule]

    resolve_by: date | None = None
    resolve_by_max: date | None = None
    if "resolve" in spec:
        base_days, ignored_remote = _base_days(spec["resolve"]["days"], remote, complexity)
        if ignored_remote:
            say("option_ignored", option="remote", kind=kind)
        resolve_rule = _rule(spec["resolve"], "resolve", base_days)
        rules.append(resolve_rule)
        extension = spec.get("extension")
        allowed = int(extension["allowed"][complexity]) if extension else 0
        used = extensions_used or 0
        if used < 0 or used > allowed:
            raise DeadlineError(
                f"{used} extensions used; {kind} with complexity {complexity!r} allows {allowed}",
                "too_many_extensions",
            )
        ext_days = int(extension["days"]) if extension else 0
        rules.extend(_rule(extension, "extension", ext_days) for _ in range(allowed))

        if accepted_on is None:
            start = accept_by
            say("not_accepted_yet", accept_by=accept_by)
        else:
            start = accepted_on
            if accepted_on > accept_by:
                say("accepted_late", accepted=accepted_on, accept_by=accept_by)
        unit = resolve_rule.unit
        resolve_by, raw = _count(cal, start, base_days + used * ext_days, unit, paused)
        if raw != resolve_by:
            say("rolled_forward", what="resolve_by", raw=raw, day=resolve_by)
        resolve_by_max, raw = _count(cal, start, base_days + allowed * ext_days, unit, paused)
        if raw != resolve_by_max and resolve_by_max != resolve_by:
            say("rolled_forward", what="resolve_by_max", raw=raw, day=resolve_by_max)
    else:
        for option, given in (("remote", remote), ("complexity", complexity != "normal")):
            if given:
                say("option_ignored", option=option, kind=kind)
        if extensions_used:
            raise DeadlineError(f"{kind} has no extensions", "too_many_extensions")

    if any(r.unit == "calendar" for r in rules):
        say("calendar_reading")
    for note in rule_set.get("notes") or []:
        if kind in note.get("kinds", KINDS):
            say(str(note["message"]))
    known = [d for d in (received, accept_by, resolve_by, resolve_by_max) if d is not None]
    warnings = cal.warnings_for(*known) + notes
    logger.info("deadlines kind=%s rule_set=%s warnings=%s", kind, rule_set["id"], len(warnings))
    return Deadlines(
        kind=kind,
        received=received,
        accept_by=accept_by,
        resolve_by=resolve_by,
        resolve_by_max=resolve_by_max,
        day_count="working" if accept_rule.unit == "working" else "calendar",
        rules=tuple(rules),
        warnings=tuple(warnings),
    )


def _count(
    cal: WorkCalendar, start: date, n: int, unit: str, paused: frozenset[date]
) -> tuple[date, date]:
    """(deadline, last counted day): n days after start, the clock stopped on paused days.

    Calendar periods whose last day is a day off end on the next working day.
    """
    day = start
    counted = 0
    while counted < n:
        day += timedelta(days=1)
        if day in paused or (unit == "working" and not cal.is_working_day(day)):
            continue
        counted += 1
    if unit == "calendar":
        return cal.next_working_day_on_or_after(day), day
    return day, day


def _check_dates(
    received: date, accepted_on: date | None, pauses: Sequence[tuple[date, date]]
) -> None:
    """Dates only: a datetime would hide the question of which time zone the day is in."""
    days = [received, accepted_on, *(d for pause in pauses for d in pause)]
    for day in days:
        if day is not None and (isinstance(day, datetime) or not isinstance(day, date)):
            raise DeadlineError(f"expected a date (Vietnam time), got {day!r}", "not_a_date")


def _paused_days(pauses: Sequence[tuple[date, date]]) -> frozenset[date]:
    days: set[date] = set()
    for first, last in pauses:
        if last < first:
            raise DeadlineError(f"pause ends on {last}, before it starts on {first}", "bad_pause")
        days.update(first + timedelta(days=i) for i in range((last - first).days + 1))
    return frozenset(days)


def _base_days(table: dict[str, int], remote: bool, complexity: str) -> tuple[int, bool]:
    """Base resolution period for the case; True when 'remote' has no effect for this kind."""
    level = "normal" if complexity == "normal" else "complex"
    if level not in table:  # complexity works through extensions for this kind
        level = "normal"
    if remote:
        key = "remote" if level == "normal" else "remote_complex"
        if key in table:
            return int(table[key]), False
    return int(table[level]), remote


def _rule(spec: dict[str, Any], purpose: str, days: int) -> Rule:
    return Rule(
        doc=str(spec["doc"]),
        article=str(spec["article"]),
        days=int(days),
        unit=str(spec["unit"]),
        verification=str(spec["verification"]),
        purpose=purpose,
    )


def _rule_set_for(rules: dict[str, Any], received: date) -> dict[str, Any]:
    in_force = [rs for rs in rules["rule_sets"] if rs["effective_from"] <= received]
    if not in_force:
        raise DeadlineError(f"no deadline rule set in force on {received}", "no_rule_set")
    return max(in_force, key=lambda rs: rs["effective_from"])


@functools.lru_cache(maxsize=8)
def _load_rules(path: Path) -> dict[str, Any]:
    """Read and check the rules file once per path (read on first use, never at import)."""
    with path.open(encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    for rule_set in data["rule_sets"]:
        if not isinstance(rule_set.get("effective_from"), date):
            raise DeadlineError(
                f"rule set {rule_set.get('id')!r}: effective_from is not a date", "bad_rules"
            )
        missing = set(KINDS) - set(rule_set["kinds"])
        if missing:
            raise DeadlineError(f"rule set {rule_set['id']!r} lacks {sorted(missing)}", "bad_rules")
        for spec in rule_set["kinds"].values():
            for part in ("accept", "resolve", "extension"):
                if part in spec and spec[part]["unit"] not in UNITS:
                    raise DeadlineError(
                        f"rule set {rule_set['id']!r}: bad unit in {part}", "bad_rules"
                    )
    return data


@functools.lru_cache(maxsize=1)
def _default_calendar() -> WorkCalendar:
    return WorkCalendar()


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day is not None else None
