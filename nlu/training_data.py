"""Reading our Rasa NLU training files without Rasa: (text, intent) pairs, annotations removed.

Used by the retriever (its "none of the articles" class is trained on the `out_of_scope`
examples), the benchmarks and the tests; Rasa itself reads the same files when it trains.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

# "[text](entity)" or "[text]{...}" in Rasa training examples
ANNOTATION = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\})")

Example = tuple[str, str]


def strip_annotations(text: str) -> str:
    """The example as a worker would type it: "[Nhật](country)" → "Nhật"."""
    return ANNOTATION.sub(r"\1", text)


def examples_from_yaml(path: Path) -> list[Example]:
    """(text, intent) pairs of a Rasa YAML NLU file, entity annotations removed."""
    document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    pairs: list[Example] = []
    for block in document.get("nlu") or []:
        if "intent" not in block:
            continue
        for line in str(block.get("examples") or "").splitlines():
            line = line.strip()
            if line.startswith("- "):
                pairs.append((strip_annotations(line[2:].strip()), str(block["intent"])))
    return pairs
