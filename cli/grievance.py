"""`hanhtrang grievance …`: the hotline's command line over GrievanceService.

For a worker who phoned (`file` asks for what is missing), and for handling tickets by hand
(`accept`, `transfer`, `extend`, `pause`, `resume`, `resolve`), the sweep, and queues. The database
is $HANHTRANG_DB (default var/hanhtrang.db under the repository root). `--json` prints JSON on
stdout; a refused request exits 2 with the service's error code on stderr.
"""

from __future__ import annotations

import json
import os
import sys
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import Annotated, Any

import typer

from grievance.delivery import Messages
from grievance.service import GrievanceError, GrievanceService
from grievance.sweep import db_path, run_once
from grievance.tickets import CATEGORIES, CONSENT_KEYS, LANGUAGES, RESPONDENT_KINDS, NewTicket

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Hotline grievance desk.")

LANG_ENV = "HANHTRANG_LANG"
ACTOR_ENV = "HANHTRANG_ACTOR"
CONSENT_HELP = "Repeat for each recipient the caller agrees to: " + ", ".join(CONSENT_KEYS)


def _lang() -> str:
    value = os.environ.get(LANG_ENV, "en")
    return value if value in LANGUAGES else "en"


def _say(key: str, **params: Any) -> str:
    return Messages.load().render(f"cli.{key}", _lang(), **params)


def _actor(actor: str | None) -> str:
    return actor or os.environ.get(ACTOR_ENV) or "hotline"


@contextmanager
def _service() -> Iterator[GrievanceService]:
    service = GrievanceService.open(db_path())
    try:
        yield service
    except GrievanceError as exc:
        typer.echo(_say("error", code=exc.code, detail=exc.detail or ""), err=True)
        raise typer.Exit(2) from exc
    finally:
        service.db.close()


def _print(data: Any, as_json: bool, text: Callable[[], str]) -> None:
    if as_json:
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))
    else:
        typer.echo(text())


def _interactive() -> bool:
    return sys.stdin.isatty()


def _ask(value: str | None, key: str, *, default: str = "", **params: Any) -> str | None:
    """Prompt for a missing value when a person is at the terminal; else keep it missing."""
    if value is not None or not _interactive():
        return value
    answer = typer.prompt(_say(f"prompt.{key}", **params), default=default, show_default=False)
    return answer.strip() or None


def _date(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise GrievanceError("invalid_date", value) from exc


@app.command("file")
def file_ticket(
    category: str = typer.Option(None, help="One of: " + ", ".join(CATEGORIES)),
    description: str = typer.Option(None),
    language: str = typer.Option(None, help="vi or en"),
    caller_id: str = typer.Option(None, help="Phone number or id; only its HMAC is stored"),
    channel: str = typer.Option("phone"),
    destination: str = typer.Option(None, help="ISO2 country code"),
    province: str = typer.Option(None),
    respondent_kind: str = typer.Option(None, help=", ".join(RESPONDENT_KINDS)),
    respondent: str = typer.Option(None, help="Recruiter/employer name or licence number"),
    incident_date: str = typer.Option(None, help="YYYY-MM-DD"),
    legal_type: str = typer.Option(None, help="Override the proposed legal type"),
    anonymous: bool = typer.Option(False),
    consent: Annotated[list[str] | None, typer.Option(help=CONSENT_HELP)] = None,
    safe_hours: str = typer.Option(None, help="HH:MM-HH:MM"),
    timezone: str = typer.Option(None, help="IANA zone of the safe hours"),
    neutral: bool = typer.Option(False, help="Neutral wording in status messages"),
    remote: bool = typer.Option(False, help="Remote area (longer legal periods)"),
    source_event_id: str = typer.Option(None, help="De-duplication key (channel:event id)"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """File a ticket for a caller; asks for whatever the flags left out."""
    language = _ask(language, "language", default="vi") or "vi"
    caller_id = _ask(caller_id, "caller_id") or f"anonymous-call:{uuid.uuid4()}"
    category = _ask(category, "category", default="other", choices=", ".join(CATEGORIES))
    description = _ask(description, "description")
    destination = _ask(destination, "destination")
    province = _ask(province, "province")
    respondent_kind = _ask(
        respondent_kind, "respondent_kind", default="unknown", choices=", ".join(RESPONDENT_KINDS)
    )
    respondent = _ask(respondent, "respondent")
    contact: dict[str, Any] = {"neutral": neutral}
    if safe_hours:
        contact["safe_hours"] = safe_hours
    if timezone:
        contact["timezone"] = timezone
    new = NewTicket(
        channel=channel,
        channel_user_id=caller_id,
        language=language,
        category=category or "other",
        description=description or "",
        destination=destination,
        province=province,
        respondent_kind=respondent_kind or "unknown",
        respondent=respondent,
        incident_date=incident_date,
        contact=contact,
        anonymous=anonymous,
        consent={key: True for key in consent or []},
        legal_type=legal_type,
        source_event_id=source_event_id,
        remote=remote,
    )
    with _service() as service:
        ticket, pin = service.file_ticket(new)
        data = {"ticket": ticket.to_public_json(), "pin": pin, "duplicate": pin is None}
        if pin is None:
            _print(data, as_json, lambda: _say("duplicate", code=ticket.code))
        else:
            _print(data, as_json, lambda: _say("filed", code=ticket.code, pin=pin))


@app.command()
def show(code: str, as_json: bool = typer.Option(False, "--json")) -> None:
    """A ticket with its history (staff view: no PIN)."""
    with _service() as service:
        ticket = service.get(code)
        data = {
            "ticket": ticket.to_public_json(),
            "events": [e.to_json() for e in service.events(code)],
            "attachments": [a.to_json() for a in service.attachments(code)],
        }

        def text() -> str:
            lines = [f"{k}: {v}" for k, v in data["ticket"].items() if v not in (None, "", [], {})]
            lines += [f"  {e['at']} {e['actor']} {e['action']}" for e in data["events"]]
            return "\n".join(lines)

        _print(data, as_json, text)


def _done(ticket_json: dict[str, Any], as_json: bool) -> None:
    _print(
        ticket_json,
        as_json,
        lambda: _say("done", code=ticket_json["code"], status=ticket_json["status"]),
    )


@app.command()
def accept(
    code: str,
    on: str = typer.Option(None, help="YYYY-MM-DD, default today"),
    actor: str = typer.Option(None),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    with _service() as service:
        _done(service.accept(code, _actor(actor), _date(on)).to_public_json(), as_json)


@app.command()
def refuse(
    code: str,
    reason: str = typer.Option(...),
    actor: str = typer.Option(None),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    with _service() as service:
        _done(service.refuse(code, _actor(actor), reason).to_public_json(), as_json)


@app.command()
def transfer(
    code: str,
    unit: str,
    reason: str = typer.Option(...),
    actor: str = typer.Option(None),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    with _service() as service:
        _done(service.transfer(code, _actor(actor), unit, reason).to_public_json(), as_json)


@app.command()
def extend(
    code: str,
    reason: str = typer.Option(...),
    complexity: str = typer.Option(None, help="complex or very_complex"),
    actor: str = typer.Option(None),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    with _service() as service:
        ticket = service.extend(code, _actor(actor), reason, complexity=complexity)
        _done(ticket.to_public_json(), as_json)


@app.command()
def pause(
    code: str,
    reason: str = typer.Option(...),
    start: str = typer.Option(None, help="YYYY-MM-DD, default today"),
    actor: str = typer.Option(None),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    with _service() as service:
        ticket = service.pause(code, _actor(actor), reason, _date(start))
        _done(ticket.to_public_json(), as_json)


@app.command()
def resume(
    code: str,
    on: str = typer.Option(None, help="YYYY-MM-DD, default today"),
    actor: str = typer.Option(None),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    with _service() as service:
        _done(service.resume(code, _actor(actor), _date(on)).to_public_json(), as_json)


@app.command()
def resolve(
    code: str,
    outcome: str = typer.Option(...),
    actor: str = typer.Option(None),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    with _service() as service:
        _done(service.resolve(code, _actor(actor), outcome).to_public_json(), as_json)


@app.command()
def sweep(as_json: bool = typer.Option(False, "--json")) -> None:
    """Mark due-soon and overdue tickets, alert and escalate, then deliver the outbox once."""
    with _service() as service:
        report, dispatched = run_once(service)
        data = {**report.to_json(), "sent": dispatched.sent, "failed": dispatched.failed}
        _print(
            data,
            as_json,
            lambda: _say(
                "swept",
                checked=report.checked,
                due_soon=len(report.due_soon),
                overdue=len(report.overdue),
                escalated=len(report.escalated),
                sent=dispatched.sent,
                failed=dispatched.failed,
            ),
        )


@app.command()
def queue(
    unit: str = typer.Option(None),
    status: str = typer.Option(None),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Open tickets, most urgent and earliest due first."""
    with _service() as service:
        tickets = [t.to_public_json() for t in service.queue(unit, status)]

        def text() -> str:
            return "\n".join(
                f"{t['code']}  {t['priority']:<6}  {t['status']:<11}  {t['unit']:<22}  "
                f"{t['accept_by'] or ''}  {t['resolve_by'] or ''}  {t['category']}"
                for t in tickets
            )

        _print(tickets, as_json, text)
