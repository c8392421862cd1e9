"""`hanhtrang company search|import`: the licensed-recruiter registry.

`search NAME --json` prints a JSON list (the contract of design.md section 5: licence_no, name,
status, score, plus province, dates, source and `sample`). `import FILE.csv` replaces the registry
with an official list and prints {"imported": N}. Bad input exits with code 2 and one line on
stderr. The database is the file named by HANHTRANG_DB (default var/hanhtrang.db in the
repository).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated

import sqlite_utils
import typer

from knowledge_base.enterprises import Registry, RegistryImportError

USAGE_ERROR = 2
REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DB = REPO_ROOT / "var" / "hanhtrang.db"

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Licensed-recruiter registry.")


def open_db() -> sqlite_utils.Database:
    """The database named by HANHTRANG_DB (":memory:" allowed), creating its folder if needed."""
    target = os.environ.get("HANHTRANG_DB") or str(DEFAULT_DB)
    if target == ":memory:":
        return sqlite_utils.Database(memory=True)
    path = Path(target)
    if not path.is_absolute() and "HANHTRANG_DB" not in os.environ:
        path = REPO_ROOT / path
    path.parent.mkdir(parents=True, exist_ok=True)
    return sqlite_utils.Database(path)


@app.command()
def search(
    name: Annotated[str, typer.Argument(help="Company name, short name or licence number.")],
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most this many matches.")] = 5,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print JSON (the stable contract).")
    ] = False,
) -> None:
    """Find licensed recruiters by name (typos, no diacritics, any word order) or licence number."""
    db = open_db()
    try:
        matches = Registry(db).search(name, limit=limit)
    finally:
        db.close()
    if as_json:
        typer.echo(json.dumps([m.to_json() for m in matches], ensure_ascii=False))
        return
    for m in matches:
        typer.echo(f"{m.score:.2f}  {m.licence_no}  {m.status}  {m.name}  [{m.source}]")


@app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="The official list as CSV (see the docs).")],
    lang: Annotated[
        str, typer.Option("--lang", help="Language of error messages: vi or en.")
    ] = "vi",
) -> None:
    """Replace the registry with an official list (all or nothing)."""
    db = open_db()
    try:
        count = Registry(db).import_csv(file)
    except RegistryImportError as error:
        typer.echo(f"error ({error.code}): {error.message(lang)}", err=True)
        raise typer.Exit(USAGE_ERROR) from None
    finally:
        db.close()
    typer.echo(json.dumps({"imported": count}))
