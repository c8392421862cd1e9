"""Make the repository's `bench` package importable.

`bench` is not among the packages pyproject.toml installs (it is tooling, not the product), and
pytest runs with --import-mode=importlib, which does not put the repository root on sys.path.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = str(Path(__file__).resolve().parents[2])
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)
