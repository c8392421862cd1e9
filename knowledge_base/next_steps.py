"""The action offered as a button under an article's answer (data/next_steps.yml).

A worker often asks a question when they mean to act ("how do I know if the company is licensed"
→ they want to check one). The answer comes first; the button that follows starts the action in
one tap, in the worker's language.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from knowledge_base.loader import LANGUAGES

NEXT_STEPS_FILE = Path(__file__).parent / "data" / "next_steps.yml"
MAX_BUTTONS = 2


class NextStepsError(Exception):
    """The next-steps file cannot be read as a mapping of actions and articles."""


@dataclass(frozen=True)
class NextSteps:
    labels: dict[str, dict[str, str]]  # intent → {language: label}
    by_article: dict[str, tuple[str, ...]]  # article id → intents

    def buttons(self, article_id: str, language: str) -> list[dict[str, str]]:
        """[{title, payload}] for the article, in `language` (Vietnamese if it has no label)."""
        out = []
        for intent in self.by_article.get(article_id, ()):
            label = self.labels.get(intent, {})
            out.append({"title": label.get(language) or label.get("vi", intent),
                        "payload": f"/{intent}"})
        return out

    def problems(self, article_ids: Iterable[str], intents: Iterable[str]) -> list[str]:
        """What `kb validate` reports: unknown articles or intents, missing labels, too many."""
        known_articles, known_intents = set(article_ids), set(intents)
        found = []
        for intent, label in sorted(self.labels.items()):
            if intent not in known_intents:
                found.append(f"next_steps: action {intent!r} is not an intent of the bot")
            for language in LANGUAGES:
                if not str(label.get(language) or "").strip():
                    found.append(f"next_steps: action {intent!r} has no {language} label")
        for article_id, chosen in sorted(self.by_article.items()):
            if article_id not in known_articles:
                found.append(f"next_steps: {article_id!r} is not an article")
            if len(chosen) > MAX_BUTTONS:
                found.append(f"next_steps: {article_id} offers {len(chosen)} actions "
                             f"(at most {MAX_BUTTONS})")
            found.extend(f"next_steps: {article_id} offers {i!r}, which has no label"
                         for i in chosen if i not in self.labels)
        return found


@lru_cache(maxsize=4)
def load_next_steps(path: Path = NEXT_STEPS_FILE) -> NextSteps:
    data: Any = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    actions, articles = data.get("actions") or {}, data.get("articles") or {}
    if not isinstance(actions, dict) or not isinstance(articles, dict):
        raise NextStepsError(f"{path}: expected mappings 'actions' and 'articles'")
    labels = {str(k): {str(lang): str(text) for lang, text in (v or {}).items()}
              for k, v in actions.items()}
    by_article = {str(k): tuple(str(i) for i in (v or [])) for k, v in articles.items()}
    return NextSteps(labels=labels, by_article=by_article)
