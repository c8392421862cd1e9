"""Chat shorthand expanded into the words it stands for ("cty dc" → "cong ty duoc").

Workers typing fast write "ko", "dc", "cty", "bn", "xkld"; the articles' questions say "không",
"được", "công ty", "bao nhiêu", "xuất khẩu lao động". Expanding folded tokens on both sides (the
indexed questions and the worker's message) lets the lexical index and the article classifier match
them. The table is data (data/shorthand.yml); only forms with one common meaning are in it.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

SHORTHAND_FILE = Path(__file__).parent / "data" / "shorthand.yml"


class ShorthandError(Exception):
    """The shorthand table is not a mapping of folded words to folded words."""


@lru_cache(maxsize=4)
def load_shorthand(path: Path = SHORTHAND_FILE) -> dict[str, tuple[str, ...]]:
    """short form → the words it expands to, both folded."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise ShorthandError(f"{path}: expected a mapping")
    table: dict[str, tuple[str, ...]] = {}
    for short, long in data.items():
        words = tuple(str(long).split())
        if not str(short).strip() or not words:
            raise ShorthandError(f"{path}: empty entry {short!r}")
        table[str(short)] = words
    return table


def expand(words: list[str], table: dict[str, tuple[str, ...]] | None = None) -> list[str]:
    """`words` (folded tokens) with every known short form replaced by its words."""
    table = load_shorthand() if table is None else table
    out: list[str] = []
    for word in words:
        out.extend(table.get(word, (word,)))
    return out
