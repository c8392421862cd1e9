"""The `hanhtrang` command line: one typer app, one module per concern."""

from __future__ import annotations

import typer

from cli import ask, company, deadline, fees, grievance, kb, run, train

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Hành Trang command line.")
app.command("ask")(ask.ask)
app.command("train")(train.train)
app.command("run")(run.run)
app.command("deadline")(deadline.deadline)
app.add_typer(kb.app, name="kb", help="Knowledge base: validate, list stale articles.")
app.add_typer(fees.app, name="fees", help="Check a recruitment fee against the legal caps.")
app.add_typer(company.app, name="company", help="Licensed-recruiter registry: search, import.")
app.add_typer(grievance.app, name="grievance", help="Grievances: hotline intake and handling.")
