"""Load knowledge-base articles from YAML (one file per article under articles/<area>/<id>.yml).

Loading is lenient about content (the validator reports problems) but strict about YAML syntax:
a file that cannot be parsed raises ArticleLoadError with the file name.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ARTICLES_DIR = Path(__file__).parent / "articles"
LANGUAGES = ("vi", "en")
VERIFICATION_LEVELS = ("official", "secondary", "unverified")


class ArticleLoadError(Exception):
    """An article file could not be read or parsed."""


@dataclass(frozen=True)
class Citation:
    doc: str
    article: str = ""
    clause: str = ""
    url: str = ""
    verification: str = "unverified"
    note: str = ""

    def label(self) -> str:
        """A short human label such as 'Law 69/2020/QH14, Art. 23(4)'."""
        parts = [self.doc]
        if self.article:
            parts.append(self.article + (f" {self.clause}" if self.clause else ""))
        return ", ".join(parts)


@dataclass(frozen=True)
class Article:
    id: str
    area: str
    status: str
    title: dict[str, str]
    answer: dict[str, str]
    details: dict[str, str]
    citations: tuple[Citation, ...]
    questions: dict[str, tuple[str, ...]]
    applies_to: tuple[str, ...] = ()
    effective_from: dt.date | None = None
    reviewed_on: dt.date | None = None
    review_by: dt.date | None = None
    related: tuple[str, ...] = ()
    path: Path | None = field(default=None, compare=False)
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def approved(self) -> bool:
        return self.status == "approved"

    def text(self, part: str, language: str) -> str:
        """Text of `part` (title, answer, details) in `language`, falling back to Vietnamese."""
        values: dict[str, str] = getattr(self, part)
        return values.get(language) or values.get("vi") or ""


def _date(value: Any) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return None


def _texts(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    return {str(k): str(v).strip() for k, v in value.items() if v is not None}


def article_from_dict(data: dict[str, Any], path: Path | None = None) -> Article:
    """Build an Article from parsed YAML; missing fields become empty values."""
    questions_raw = data.get("questions") or {}
    questions = {
        str(lang): tuple(str(q).strip() for q in (qs or []) if str(q).strip())
        for lang, qs in (questions_raw.items() if isinstance(questions_raw, dict) else [])
    }
    citations = tuple(
        Citation(
            doc=str(c.get("doc", "")),
            article=str(c.get("article", "") or ""),
            clause=str(c.get("clause", "") or ""),
            url=str(c.get("url", "") or ""),
            verification=str(c.get("verification", "unverified")),
            note=str(c.get("note", "") or ""),
        )
        for c in (data.get("citations") or [])
        if isinstance(c, dict)
    )
    article_id = str(data.get("id", ""))
    return Article(
        id=article_id,
        area=str(data.get("area") or article_id.split(".")[0]),
        status=str(data.get("status", "draft")),
        title=_texts(data.get("title")),
        answer=_texts(data.get("answer")),
        details=_texts(data.get("details")),
        citations=citations,
        questions=questions,
        applies_to=tuple(str(x) for x in (data.get("applies_to") or [])),
        effective_from=_date(data.get("effective_from")),
        reviewed_on=_date(data.get("reviewed_on")),
        review_by=_date(data.get("review_by")),
        related=tuple(str(x) for x in (data.get("related") or [])),
        path=path,
        raw=data,
    )


def load_article(path: Path) -> Article:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ArticleLoadError(f"{path}: {exc}") from exc
    if not isinstance(data, dict):
        raise ArticleLoadError(f"{path}: expected a mapping at the top level")
    return article_from_dict(data, path)


def load_articles(root: Path = ARTICLES_DIR) -> list[Article]:
    """Every article under root (drafts included), sorted by id."""
    return sorted((load_article(p) for p in sorted(root.rglob("*.yml"))), key=lambda a: a.id)


def load_approved(root: Path = ARTICLES_DIR) -> list[Article]:
    """Only the articles that may be served to users."""
    return [a for a in load_articles(root) if a.approved]
