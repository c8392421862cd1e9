"""`hanhtrang run`: check the machine, start every process, print the URLs, stop all on Ctrl-C."""

from __future__ import annotations

import shlex
import sys
import threading
import time

import typer
from honcho.manager import Manager
from honcho.printer import Printer

from cli.stack import ROOT, StackSettings, StackStartError, port_free
from cli.stack import wait_ready as wait_answering
from cli.train import model_is_valid

READY_TIMEOUT_S = 300


def preflight(settings: StackSettings) -> list[str]:
    """Problems that would stop the stack, each with what to do."""
    problems = []
    ports = [("Rasa", settings.rasa_port + i, "RASA_PORT") for i in range(settings.rasa_processes)]
    ports += [("action server", settings.action_port, "ACTION_SERVER_PORT"),
              ("web app", settings.web_port, "WEB_PORT")]
    for name, port, var in ports:
        if not port_free(port):
            problems.append(
                f"port {port} for the {name} is already in use (another `make run`?). "
                f"Stop that program, or choose another port: `{var}=<port> make run`."
            )
    if not (ROOT / ".venv-rasa" / "bin" / "rasa").exists():
        problems.append(
            "the Rasa environment (.venv-rasa) is missing: run `make setup` "
            "(it needs Python 3.10; see README, Troubleshooting)."
        )
    model = settings.models_dir / "rasa" / "hanhtrang.tar.gz"
    if not model_is_valid(model):
        problems.append(f"the trained Rasa model {model} is missing or corrupt: run `make train`.")
    return problems


def wait_ready(settings: StackSettings, deadline: float) -> bool:
    """Every health check answers before `deadline` (honcho owns the processes here)."""
    checks = [(f"{url}/status", {"token": settings.rasa_token}) for url in settings.rasa_urls]
    checks += [
        (f"{settings.action_url}/health", {}),
        (f"http://127.0.0.1:{settings.web_port}/healthz", {}),
    ]
    try:
        for url, params in checks:
            wait_answering(url, params, [], max(0.0, deadline - time.monotonic()))
    except StackStartError:
        return False
    return True


def announce(settings: StackSettings) -> None:
    started = time.monotonic()
    if wait_ready(settings, started + READY_TIMEOUT_S):
        web = f"http://127.0.0.1:{settings.web_port}"
        lines = [
            "",
            f"Hành Trang is ready ({time.monotonic() - started:.0f} s):",
            f"  Worker web chat:   {web}/chat",
            f"  Rasa server:       {', '.join(settings.rasa_urls)}",
            f"  Action server:     {settings.action_url}",
            "  Try: .venv/bin/hanhtrang ask 'phi dich vu di nhat toi da bao nhieu' --json",
            "Press Ctrl-C to stop everything.",
            "",
        ]
        print("\n".join(lines), flush=True)
    else:
        print("The stack did not become ready in time; see the messages above.", flush=True)


def run() -> None:
    """Start the whole stack (Rasa, actions, web; Telegram if configured)."""
    settings = StackSettings.from_env()
    problems = preflight(settings)
    if problems:
        for problem in problems:
            typer.echo(f"error: {problem}", err=True)
        raise typer.Exit(1)
    settings.db_path.parent.mkdir(parents=True, exist_ok=True)
    manager = Manager(Printer(sys.stdout))
    env = settings.env()
    for name, argv in settings.commands().items():
        manager.add_process(name, shlex.join(argv), env=env, cwd=str(ROOT))
    threading.Thread(target=announce, args=(settings,), daemon=True).start()
    manager.loop()
    raise typer.Exit(manager.returncode or 0)

