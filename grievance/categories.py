"""Grievance categories as data (rules/categories.yml): labels, the legal type proposed for each,
which legal clock runs, and how urgent it is.

The worker names what happened; this module proposes what the law makes of it. Staff can change
the legal type later (GrievanceService.set_legal_type), with a reason in the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from grievance.deadlines import KINDS
from grievance.tickets import CATEGORIES, LEGAL_TYPES, PRIORITIES, RESPONDENT_KINDS

DEFAULT_PATH = Path(__file__).parent / "rules" / "categories.yml"


class CategoryError(ValueError):
    """The categories file is inconsistent, or a category or legal type is unknown."""


@dataclass(frozen=True)
class Category:
    id: str
    label: dict[str, str]
    legal_type: str
    deadline_kind: str
    deadline_kind_by_respondent: dict[str, str]
    priority: str
    urgent: bool


@dataclass(frozen=True)
class Proposal:
    """What a new ticket of this category starts as."""

    legal_type: str
    deadline_kind: str
    priority: str


class Categories:
    def __init__(self, data: dict[str, Any]) -> None:
        self.legal_type_labels: dict[str, dict[str, str]] = data["legal_types"]
        self._kind_for_type: dict[str, str] = data["deadline_kind_for_legal_type"]
        self.by_id: dict[str, Category] = {}
        for cid, spec in data["categories"].items():
            self.by_id[cid] = Category(
                id=cid,
                label=spec["label"],
                legal_type=spec["legal_type"],
                deadline_kind=spec["deadline_kind"],
                deadline_kind_by_respondent=spec.get("deadline_kind_by_respondent") or {},
                priority=spec["priority"],
                urgent=bool(spec.get("urgent", False)),
            )
        self._check()

    @classmethod
    def load(cls, path: Path | None = None) -> Categories:
        with (path or DEFAULT_PATH).open(encoding="utf-8") as handle:
            return cls(yaml.safe_load(handle))

    def _check(self) -> None:
        if set(self.by_id) != set(CATEGORIES):
            raise CategoryError(f"categories file must define exactly {CATEGORIES}")
        if set(self._kind_for_type) != set(LEGAL_TYPES):
            raise CategoryError("deadline_kind_for_legal_type must cover every legal type")
        for cat in self.by_id.values():
            kinds = [cat.deadline_kind, *cat.deadline_kind_by_respondent.values()]
            if any(k not in KINDS for k in kinds):
                raise CategoryError(f"{cat.id}: unknown deadline kind")
            if cat.legal_type not in LEGAL_TYPES or cat.priority not in PRIORITIES:
                raise CategoryError(f"{cat.id}: unknown legal type or priority")
            if set(cat.deadline_kind_by_respondent) - set(RESPONDENT_KINDS):
                raise CategoryError(f"{cat.id}: unknown respondent kind")

    def get(self, category: str) -> Category:
        try:
            return self.by_id[category]
        except KeyError:
            raise CategoryError(f"unknown category {category!r}") from None

    def propose(
        self, category: str, respondent_kind: str = "unknown", legal_type: str | None = None
    ) -> Proposal:
        """Legal type, deadline kind and priority for a new ticket.

        A help request runs on the petition clock (no legal deadline of its own) with urgent
        priority; an urgent category stays urgent whatever legal type is chosen.
        """
        cat = self.get(category)
        chosen = legal_type or cat.legal_type
        if chosen not in LEGAL_TYPES:
            raise CategoryError(f"unknown legal type {chosen!r}")
        priority = "urgent" if cat.urgent or chosen == "help_request" else cat.priority
        return Proposal(chosen, self.deadline_kind(cat, respondent_kind, chosen), priority)

    def deadline_kind(self, cat: Category, respondent_kind: str, legal_type: str) -> str:
        own = cat.deadline_kind_by_respondent.get(respondent_kind, cat.deadline_kind)
        if legal_type == cat.legal_type:
            return own
        mapped = self._kind_for_type[legal_type]
        # A complaint keeps the category's own complaint clock (e.g. Decree 24/2018).
        if mapped == "complaint" and own in ("labour_complaint", "complaint_second"):
            return own
        return mapped
