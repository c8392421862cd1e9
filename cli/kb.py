"""`hanhtrang kb validate` and `hanhtrang kb stale`."""

from __future__ import annotations

import json

import typer
from rich.console import Console
from rich.table import Table

from knowledge_base.loader import load_articles
from knowledge_base.validate import stale as stale_articles
from knowledge_base.validate import validate as run_validate

app = typer.Typer(no_args_is_help=True, add_completion=False)


@app.command()
def validate(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Check every article; exit non-zero when there are errors."""
    report = run_validate()
    if as_json:
        typer.echo(json.dumps(report.to_json(), ensure_ascii=False, indent=1))
    else:
        console = Console()
        console.print(f"{len(report.articles)} articles, {len(report.errors)} errors, "
                      f"{len(report.warnings)} warnings")
        for e in report.errors:
            console.print(f"[red]error[/] {e}")
        for w in report.warnings:
            console.print(f"[yellow]warning[/] {w}")
    if report.errors:
        raise typer.Exit(1)


@app.command()
def stale(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """List articles whose review date has passed."""
    items = stale_articles(load_articles())
    if as_json:
        typer.echo(json.dumps(
            [{"id": a.id, "review_by": a.review_by.isoformat() if a.review_by else None,
              "reviewed_on": a.reviewed_on.isoformat() if a.reviewed_on else None}
             for a in items], ensure_ascii=False))
        return
    table = Table("id", "reviewed on", "review by")
    for a in items:
        table.add_row(a.id, str(a.reviewed_on), str(a.review_by))
    Console().print(table if items else "No article is past its review date.")
