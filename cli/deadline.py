"""`hanhtrang deadline`: legal deadlines for one grievance, as JSON or a table.

The JSON output is a contract relied on by tests outside the repo (design.md section 5). Bad input
exits with code 2 and one line on stderr, so scripts can tell it from a crash.
"""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from grievance.deadlines import KINDS, DeadlineError, Deadlines, compute_deadlines

USAGE_ERROR = 2
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class _BadInput(ValueError):
    """Command-line input that cannot be turned into a deadline request."""


def deadline(
    kind: Annotated[
        str | None, typer.Option("--kind", help=f"Required. One of: {', '.join(KINDS)}.")
    ] = None,
    received: Annotated[
        str | None, typer.Option("--received", help="Required. Date of receipt, YYYY-MM-DD.")
    ] = None,
    remote: Annotated[bool, typer.Option("--remote", help="Remote, hard-to-reach area.")] = False,
    complex_case: Annotated[bool, typer.Option("--complex", help="Complex case.")] = False,
    very_complex: Annotated[
        bool, typer.Option("--very-complex", help="Very complex case.")
    ] = False,
    accepted: Annotated[
        str | None, typer.Option("--accepted", help="Actual acceptance date, YYYY-MM-DD.")
    ] = None,
    pause: Annotated[
        list[str] | None,
        typer.Option(
            "--pause", help="Suspended period FROM:TO (YYYY-MM-DD:YYYY-MM-DD); repeatable."
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print JSON (the stable contract).")
    ] = False,
) -> None:
    """Acceptance and resolution deadlines for a complaint, denunciation or petition."""
    try:
        result = _compute(kind, received, remote, complex_case, very_complex, accepted, pause or [])
    except (_BadInput, DeadlineError) as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(USAGE_ERROR) from None
    if as_json:
        typer.echo(json.dumps(result.to_json(), ensure_ascii=False))
    else:
        _print_table(result)


def _compute(
    kind: str | None,
    received: str | None,
    remote: bool,
    complex_case: bool,
    very_complex: bool,
    accepted: str | None,
    pauses: list[str],
) -> Deadlines:
    if kind is None:
        raise _BadInput(f"--kind is required (one of: {', '.join(KINDS)})")
    if received is None:
        raise _BadInput("--received is required (YYYY-MM-DD)")
    if complex_case and very_complex:
        raise _BadInput("use either --complex or --very-complex, not both")
    complexity = "very_complex" if very_complex else "complex" if complex_case else "normal"
    ranges = []
    for text in pauses:
        first, sep, last = text.partition(":")
        if not sep:
            raise _BadInput(f"--pause {text!r}: expected FROM:TO, e.g. 2026-03-02:2026-03-06")
        ranges.append((_parse_date("--pause", first), _parse_date("--pause", last)))
    return compute_deadlines(
        kind,
        _parse_date("--received", received),
        remote=remote,
        complexity=complexity,
        accepted_on=_parse_date("--accepted", accepted) if accepted is not None else None,
        pauses=ranges,
    )


def _parse_date(option: str, text: str) -> date:
    if not _ISO_DATE.fullmatch(text):
        raise _BadInput(f"{option} {text!r}: expected a date as YYYY-MM-DD")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise _BadInput(f"{option} {text!r}: no such date") from None


def _print_table(result: Deadlines) -> None:
    console = Console()
    table = Table(title=f"{result.kind}, received {result.received.isoformat()}")
    table.add_column("deadline")
    table.add_column("date")
    table.add_row("accept_by", result.accept_by.isoformat())
    for name, day in (("resolve_by", result.resolve_by), ("resolve_by_max", result.resolve_by_max)):
        table.add_row(name, day.isoformat() if day is not None else "-")
    table.add_row("day_count", result.day_count)
    console.print(table)
    rules = Table(title="rules")
    for column in ("purpose", "doc", "article", "days", "unit", "verification"):
        rules.add_column(column)
    for rule in result.rules:
        rules.add_row(
            rule.purpose, rule.doc, rule.article, str(rule.days), rule.unit, rule.verification
        )
    console.print(rules)
    for warning in result.warnings:
        console.print(f"warning: {warning}", markup=False, highlight=False)


app = typer.Typer(add_completion=False, help="Legal deadlines for a grievance.")
app.command()(deadline)
