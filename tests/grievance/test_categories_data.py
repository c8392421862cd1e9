"""Every vi/en label in the grievance rules is a complete text (an unquoted comma in a YAML flow
mapping silently splits it into extra keys)."""

from pathlib import Path

import yaml

RULES = Path(__file__).resolve().parents[2] / "grievance" / "rules"


def labels(node):
    if isinstance(node, dict):
        if "vi" in node and "en" in node:
            yield node
        for value in node.values():
            yield from labels(value)
    elif isinstance(node, list):
        for value in node:
            yield from labels(value)


def test_labels_have_only_vi_and_en_texts():
    for path in sorted(RULES.glob("*.yml")):
        for label in labels(yaml.safe_load(path.read_text(encoding="utf-8"))):
            extra = {k for k in label if k not in ("vi", "en")}
            assert not {k for k in extra if label[k] is None}, (path.name, label)
            assert isinstance(label["vi"], str) and isinstance(label["en"], str), (path.name, label)
