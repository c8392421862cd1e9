"""The legal basis of a ticket's deadlines, shown in the worker's language."""

from pathlib import Path

import pytest
import yaml

from actions.grievance_render import labels, legal_reference

RULES = Path(__file__).resolve().parents[2] / "grievance" / "rules" / "deadlines.yml"


def rule_references() -> list[tuple[str, str]]:
    """Every (doc, article) the deadline rules name."""
    found: list[tuple[str, str]] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if "doc" in node and "article" in node:
                found.append((str(node["doc"]), str(node["article"])))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(yaml.safe_load(RULES.read_text(encoding="utf-8")))
    return sorted(set(found))


def test_a_complaint_article_in_vietnamese_and_english() -> None:
    doc = "Law on Complaints 02/2011/QH13"
    assert legal_reference(doc, "Art. 28", "vi") == "Luật Khiếu nại 02/2011/QH13 Điều 28"
    assert legal_reference(doc, "Art. 28", "en") == "Law on Complaints 02/2011/QH13 Art. 28"


@pytest.mark.parametrize(("doc", "article"), rule_references())
def test_every_rule_reference_has_vietnamese_words(doc: str, article: str) -> None:
    shown = legal_reference(doc, article, "vi")
    assert doc in labels()["legal_docs"]
    assert not any(word in shown for word in ("Law", "Decree", "Circular", "Art.", "article"))
