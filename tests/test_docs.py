"""Docs kept honest: every command, setting and knowledge-base area is documented."""

from __future__ import annotations

import re
from pathlib import Path

import typer.main

from cli.main import app

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
ENV_EXAMPLE = (ROOT / ".env.example").read_text(encoding="utf-8")


def command_paths() -> list[str]:
    group = typer.main.get_command(app)
    paths = []
    for name, command in group.commands.items():
        sub = getattr(command, "commands", None)
        if sub:
            paths += [f"{name} {s}" for s in sub]
        else:
            paths.append(name)
    return paths


def test_every_cli_command_is_in_the_readme():
    for path in command_paths():
        top, _, sub = path.partition(" ")
        assert f"hanhtrang {top}" in README, path
        if sub:
            assert re.search(rf"\b{re.escape(sub)}\b", README), path


def test_the_two_commands_come_first():
    first_block = README.split("## ", 2)[1]
    assert "make run" in first_block and "make test" in first_block


def test_every_environment_variable_read_by_our_code_is_in_env_example():
    names = set()
    for path in ROOT.glob("*/**/*.py"):
        if any(part.startswith(".venv") or part == "tests" for part in path.parts):
            continue
        text = path.read_text(encoding="utf-8")
        names |= set(re.findall(r"environ(?:\.get)?\(\s*\"([A-Z][A-Z0-9_]+)\"", text))
        names |= set(re.findall(r"environ\[\"([A-Z][A-Z0-9_]+)\"\]", text))
        names |= set(re.findall(r"_ENV = \"([A-Z][A-Z0-9_]+)\"", text))
    ignored = {"PYTHONPATH", "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "CI"}
    missing = sorted(n for n in names - ignored if n not in ENV_EXAMPLE)
    assert missing == []


def test_every_knowledge_base_area_is_described():
    doc = (ROOT / "docs" / "knowledge_base.md").read_text(encoding="utf-8")
    areas = {p.name for p in (ROOT / "knowledge_base" / "articles").iterdir() if p.is_dir()}
    for area in areas:
        assert f"`{area}`" in doc, area
