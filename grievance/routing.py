"""Who handles a ticket: units, provinces and routing rules, all data in grievance/rules/.

Rules carry `effective_from` dates and citations; the rules in force on the day a ticket was
received decide its unit, so a later rule change never moves an old ticket by itself. The rule
id travels with the decision and is written to the ticket's audit log.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from knowledge_base.text import fold

RULES_DIR = Path(__file__).parent / "rules"
VERIFICATIONS = ("official", "secondary", "unverified")
DELIVERY_TYPES = ("console", "email", "http")
MATCH_FIELDS = (
    "category",
    "legal_type",
    "deadline_kind",
    "respondent_kind",
    "destination",
    "province",
)


class RoutingError(ValueError):
    """The routing data is inconsistent, or a unit id is unknown."""


@dataclass(frozen=True)
class Delivery:
    type: str
    address: str | None


@dataclass(frozen=True)
class Unit:
    id: str
    name: dict[str, str]
    kind: str
    supervisor: str | None
    consent_key: str | None
    delivery: tuple[Delivery, ...]
    country: str | None = None
    province: str | None = None


@dataclass(frozen=True)
class Province:
    id: str
    name: dict[str, str]
    short: str
    merged_from: tuple[str, ...]


@dataclass(frozen=True)
class RoutingDecision:
    unit_id: str
    rule_id: str
    citation: dict[str, Any]
    fallback: bool = False


@dataclass(frozen=True)
class TransferDecision:
    rule_id: str
    deadlines: str  # "carry_over" | "restart"
    deadline_kind: str | None
    citation: dict[str, Any]


@dataclass(frozen=True)
class Case:
    """The ticket fields routing looks at."""

    category: str
    legal_type: str
    deadline_kind: str
    respondent_kind: str = "unknown"
    destination: str | None = None
    province: str | None = None


@dataclass
class _Rule:
    id: str
    priority: int
    effective_from: date
    effective_to: date | None
    when: dict[str, Any]
    unit: str
    else_unit: str | None
    citation: dict[str, Any]
    extra: dict[str, Any] = field(default_factory=dict)


class Router:
    def __init__(
        self,
        rules_dir: Path | None = None,
        *,
        units_path: Path | None = None,
        provinces_path: Path | None = None,
        routing_path: Path | None = None,
    ) -> None:
        base = rules_dir or RULES_DIR
        self.units = _load_units(units_path or base / "units.yml")
        self.provinces = _load_provinces(provinces_path or base / "provinces.yml")
        data = _read(routing_path or base / "routing.yml")
        self._rules = [_parse_rule(spec) for spec in data["rules"]]
        self._fallback = data["fallback"]
        self._transfers: list[dict[str, Any]] = data.get("transfers") or []
        self._check()

    # -- queries ---------------------------------------------------------------------------

    def unit(self, unit_id: str) -> Unit:
        try:
            return self.units[unit_id]
        except KeyError:
            raise RoutingError(f"unknown unit {unit_id!r}") from None

    def supervisor(self, unit_id: str) -> Unit | None:
        sup = self.unit(unit_id).supervisor
        return self.units[sup] if sup else None

    def resolve_province(self, text: str | None) -> str | None:
        """A province id from an id, a name, or a former (pre-2025) province name."""
        if not text or not text.strip():
            return None
        wanted = _name_key(text)
        for prov in self.provinces.values():
            names = [prov.id, prov.short, prov.name["vi"], prov.name["en"]]
            if wanted in {_name_key(n) for n in names}:
                return prov.id
        for prov in self.provinces.values():
            if wanted in {_name_key(n) for n in prov.merged_from}:
                return prov.id
        return None

    def rules_in_force(self, on: date) -> list[_Rule]:
        live = [
            r
            for r in self._rules
            if r.effective_from <= on and (r.effective_to is None or on < r.effective_to)
        ]
        return sorted(live, key=lambda r: r.priority)

    def route(self, case: Case, on: date) -> RoutingDecision:
        for rule in self.rules_in_force(on):
            if _matches(rule.when, case):
                unit_id = self._target(rule, case)
                return RoutingDecision(unit_id, rule.id, rule.citation)
        fb = self._fallback
        return RoutingDecision(fb["unit"], fb["id"], fb.get("citation") or {}, fallback=True)

    def transfer_rule(self, from_unit: str, to_unit: str) -> TransferDecision:
        src, dst = self.unit(from_unit), self.unit(to_unit)
        for spec in self._transfers:
            if _unit_in(src, spec.get("from", ["*"])) and _unit_in(dst, spec.get("to", ["*"])):
                return TransferDecision(
                    rule_id=spec["id"],
                    deadlines=spec.get("deadlines", "carry_over"),
                    deadline_kind=spec.get("deadline_kind"),
                    citation=spec.get("citation") or {},
                )
        return TransferDecision("no-transfer-rule", "carry_over", None, {})

    # -- internals -------------------------------------------------------------------------

    def _target(self, rule: _Rule, case: Case) -> str:
        if "{" not in rule.unit:
            return rule.unit
        values = {
            "destination": (case.destination or "").lower(),
            "province": (case.province or "").replace("-", "_"),
        }
        candidate = rule.unit.format(**values)
        if candidate in self.units:
            return candidate
        if rule.else_unit is None:
            raise RoutingError(f"rule {rule.id}: no unit {candidate!r} and no else_unit")
        return rule.else_unit

    def _check(self) -> None:
        for unit in self.units.values():
            if unit.supervisor and unit.supervisor not in self.units:
                raise RoutingError(f"unit {unit.id}: unknown supervisor {unit.supervisor!r}")
            if not any(d.type == "console" for d in unit.delivery):
                raise RoutingError(f"unit {unit.id}: a console delivery is required")
            if any(d.type not in DELIVERY_TYPES for d in unit.delivery):
                raise RoutingError(f"unit {unit.id}: unknown delivery type")
        ids = [r.id for r in self._rules] + [self._fallback["id"]]
        if len(ids) != len(set(ids)):
            raise RoutingError("routing rule ids must be unique")
        for rule in self._rules:
            for target in (rule.unit, rule.else_unit):
                if target and "{" not in target and target not in self.units:
                    raise RoutingError(f"rule {rule.id}: unknown unit {target!r}")
            if rule.citation.get("verification") not in VERIFICATIONS:
                raise RoutingError(f"rule {rule.id}: citation needs a verification level")
            if set(rule.when) - set(MATCH_FIELDS):
                raise RoutingError(f"rule {rule.id}: unknown field in when")
        if self._fallback["unit"] not in self.units:
            raise RoutingError("fallback unit is unknown")


def _matches(when: dict[str, Any], case: Case) -> bool:
    for name, wanted in when.items():
        value = getattr(case, name)
        if wanted == "known":
            if not value:
                return False
        elif wanted == "none":
            if value:
                return False
        elif value not in wanted:
            return False
    return True


def _unit_in(unit: Unit, patterns: list[str]) -> bool:
    return "*" in patterns or unit.id in patterns or unit.kind in patterns


def _name_key(text: str) -> str:
    key = fold(text)
    for prefix in ("thanh pho ", "tp. ", "tp ", "tinh "):
        if key.startswith(prefix):
            key = key[len(prefix) :]
    for suffix in (" city", " province"):
        if key.endswith(suffix):
            key = key[: -len(suffix)]
    return "".join(ch for ch in key if ch.isalnum())


def _read(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    if not isinstance(data, dict):
        raise RoutingError(f"{path.name}: expected a mapping")
    return data


def _parse_rule(spec: dict[str, Any]) -> _Rule:
    start = spec.get("effective_from")
    if not isinstance(start, date):
        raise RoutingError(f"rule {spec.get('id')!r}: effective_from must be a date")
    return _Rule(
        id=spec["id"],
        priority=int(spec["priority"]),
        effective_from=start,
        effective_to=spec.get("effective_to"),
        when=spec.get("when") or {},
        unit=spec["unit"],
        else_unit=spec.get("else_unit"),
        citation=spec.get("citation") or {},
    )


def _load_units(path: Path) -> dict[str, Unit]:
    units: dict[str, Unit] = {}
    for spec in _read(path)["units"]:
        if spec["id"] in units:
            raise RoutingError(f"duplicate unit {spec['id']!r}")
        units[spec["id"]] = Unit(
            id=spec["id"],
            name=spec["name"],
            kind=spec["kind"],
            supervisor=spec.get("supervisor"),
            consent_key=spec.get("consent_key"),
            delivery=tuple(Delivery(d["type"], d.get("address")) for d in spec["delivery"]),
            country=spec.get("country"),
            province=spec.get("province"),
        )
    return units


def _load_provinces(path: Path) -> dict[str, Province]:
    out: dict[str, Province] = {}
    for spec in _read(path)["provinces"]:
        out[spec["id"]] = Province(
            id=spec["id"],
            name=spec["name"],
            short=spec["short"],
            # Former names route only where the merger was seen in an official text.
            merged_from=tuple(spec.get("merged_from") or ())
            if spec.get("merged_from_verification") == "official"
            else (),
        )
    return out
