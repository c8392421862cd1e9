"""Checks of the knowledge base: schema, both languages, citations, dates, duplicate questions.

Errors block serving (non-zero exit of `hanhtrang kb validate`); warnings are for editors.
Messages are for knowledge-base editors (operators), in English.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from knowledge_base.loader import (
    ARTICLES_DIR,
    LANGUAGES,
    VERIFICATION_LEVELS,
    Article,
    ArticleLoadError,
    load_article,
)
from knowledge_base.next_steps import load_next_steps
from knowledge_base.text import fold, has_vietnamese_diacritics

REQUIRED_FILE = Path(__file__).with_name("required.yml")
DOMAIN_FILE = Path(__file__).resolve().parent.parent / "domain.yml"


def domain_intents(path: Path = DOMAIN_FILE) -> list[str]:
    """The bot's intents (domain.yml), which the next-steps buttons may send."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return [next(iter(i)) if isinstance(i, dict) else str(i) for i in data.get("intents") or []]
ID_RE = re.compile(r"^[a-z_]+\.[a-z0-9_]+$")


@dataclass
class Report:
    articles: list[Article] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "articles": [
                {
                    "id": a.id,
                    "languages": [lang for lang in LANGUAGES if a.answer.get(lang)],
                    "status": a.status,
                    "citations": [
                        {"doc": c.doc, "article": c.article, "clause": c.clause, "url": c.url,
                         "verification": c.verification}
                        for c in a.citations
                    ],
                    "reviewed_on": a.reviewed_on.isoformat() if a.reviewed_on else None,
                    "review_by": a.review_by.isoformat() if a.review_by else None,
                }
                for a in self.articles
            ],
            "errors": self.errors,
            "warnings": self.warnings,
        }


def _requirements() -> dict[str, Any]:
    return yaml.safe_load(REQUIRED_FILE.read_text(encoding="utf-8"))


def check_article(
    a: Article, limits: dict[str, int], today: dt.date
) -> tuple[list[str], list[str]]:
    errors: list[str] = []
    warnings: list[str] = []
    if not ID_RE.match(a.id):
        errors.append(f"{a.id or a.path}: id must look like 'area.name'")
    if a.path is not None:
        if a.path.stem != a.id:
            errors.append(f"{a.id}: file name {a.path.name} does not match the id")
        if a.path.parent.name != a.area:
            errors.append(f"{a.id}: file is in folder {a.path.parent.name}, area is {a.area}")
    if a.status not in ("draft", "approved"):
        errors.append(f"{a.id}: status must be draft or approved, not {a.status!r}")
    for part in ("title", "answer", "details"):
        for lang in LANGUAGES:
            if not getattr(a, part).get(lang):
                errors.append(f"{a.id}: {part}.{lang} is missing")
    for lang in LANGUAGES:
        n = len(a.answer.get(lang, ""))
        if n > limits["answer_max_chars"]:
            errors.append(f"{a.id}: answer.{lang} has {n} characters "
                          f"(at most {limits['answer_max_chars']})")
        n = len(a.details.get(lang, ""))
        if n > limits["details_max_chars"]:
            warnings.append(f"{a.id}: details.{lang} has {n} characters "
                            f"(aim for at most {limits['details_max_chars']})")
    if not a.citations:
        errors.append(f"{a.id}: no citation")
    for i, c in enumerate(a.citations, start=1):
        if not c.doc:
            errors.append(f"{a.id}: citation {i} has no document")
        if c.verification not in VERIFICATION_LEVELS:
            errors.append(f"{a.id}: citation {i} verification {c.verification!r} is not one of "
                          f"{', '.join(VERIFICATION_LEVELS)}")
        if not c.url:
            warnings.append(f"{a.id}: citation {i} has no source address")
    if a.reviewed_on is None or a.review_by is None:
        errors.append(f"{a.id}: reviewed_on and review_by must be dates (YYYY-MM-DD)")
    elif a.review_by <= a.reviewed_on:
        errors.append(f"{a.id}: review_by must come after reviewed_on")
    elif a.review_by < today:
        warnings.append(f"{a.id}: review was due on {a.review_by.isoformat()} (stale)")
    if a.effective_from is None:
        warnings.append(f"{a.id}: effective_from is missing")
    for lang in LANGUAGES:
        n = len(a.questions.get(lang, ()))
        if n < limits["min_questions_per_language"]:
            errors.append(f"{a.id}: {n} {lang} questions "
                          f"(at least {limits['min_questions_per_language']})")
    raw_questions = (a.raw.get("questions") or {}) if isinstance(a.raw, dict) else {}
    for lang, items in (raw_questions.items() if isinstance(raw_questions, dict) else []):
        for item in items or []:
            if not isinstance(item, str):
                errors.append(f"{a.id}: a {lang} question is not plain text (quote it): {item!r}")
    plain = [q for q in a.questions.get("vi", ()) if not has_vietnamese_diacritics(q)]
    if len(plain) < limits["min_vi_questions_without_diacritics"]:
        errors.append(f"{a.id}: {len(plain)} Vietnamese questions without diacritics "
                      f"(at least {limits['min_vi_questions_without_diacritics']})")
    return errors, warnings


def validate(root: Path = ARTICLES_DIR, today: dt.date | None = None) -> Report:
    today = today or dt.date.today()
    spec = _requirements()
    limits = spec["limits"]
    report = Report()
    for path in sorted(root.rglob("*.yml")):
        try:
            report.articles.append(load_article(path))
        except ArticleLoadError as exc:
            report.errors.append(str(exc))
    report.articles.sort(key=lambda a: a.id)
    by_id: dict[str, Article] = {}
    for a in report.articles:
        if a.id in by_id:
            report.errors.append(f"{a.id}: defined twice")
        by_id[a.id] = a
        errors, warnings = check_article(a, limits, today)
        report.errors += errors
        report.warnings += warnings
    for required in spec["required_ids"]:
        article = by_id.get(required)
        if article is None:
            report.errors.append(f"{required}: required article is missing")
        elif not article.approved:
            report.errors.append(f"{required}: required article is not approved")
    for a in report.articles:
        for other in a.related:
            if other not in by_id:
                report.warnings.append(f"{a.id}: related article {other} does not exist")
    seen: dict[str, str] = {}
    for a in report.articles:
        for questions in a.questions.values():
            for q in questions:
                key = " ".join(fold(q).split())
                owner = seen.setdefault(key, a.id)
                if owner != a.id:
                    report.errors.append(f"{a.id}: question {q!r} is also a question of {owner}")
    if root == ARTICLES_DIR:  # the next steps name the real articles, not a test folder's
        report.errors += load_next_steps().problems(by_id, domain_intents())
    return report


def stale(articles: list[Article], today: dt.date | None = None) -> list[Article]:
    """Articles whose review date has passed."""
    today = today or dt.date.today()
    return [a for a in articles if a.review_by is not None and a.review_by < today]
