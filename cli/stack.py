"""The processes of the stack, their ports and environment (for `make run` and the e2e tests)."""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"


@dataclass(frozen=True)
class StackSettings:
    host: str
    rasa_port: int
    action_port: int
    web_port: int
    rasa_token: str
    db_path: Path
    models_dir: Path
    # Rasa server processes on consecutive ports from rasa_port; the clients route each sender to
    # one of them (bot/rasa_client.py), because conversations live in that process's memory.
    rasa_processes: int = 1

    @classmethod
    def from_env(cls) -> StackSettings:
        return cls(
            host=os.environ.get("HANHTRANG_HOST", "127.0.0.1"),
            rasa_port=int(os.environ.get("RASA_PORT", "5005")),
            action_port=int(os.environ.get("ACTION_SERVER_PORT", "5055")),
            web_port=int(os.environ.get("WEB_PORT", "8000")),
            rasa_token=os.environ.get("RASA_TOKEN") or local_token(),
            db_path=Path(os.environ.get("HANHTRANG_DB", VAR / "hanhtrang.db")),
            models_dir=Path(os.environ.get("HANHTRANG_MODELS", ROOT / "models")),
            rasa_processes=max(1, int(os.environ.get("RASA_PROCESSES", "1"))),
        )

    @property
    def rasa_urls(self) -> list[str]:
        return [f"http://127.0.0.1:{self.rasa_port + i}" for i in range(self.rasa_processes)]

    @property
    def rasa_url(self) -> str:
        """What RASA_URL is set to: every Rasa process, comma-separated (see RasaClient)."""
        return ",".join(self.rasa_urls)

    @property
    def action_url(self) -> str:
        return f"http://127.0.0.1:{self.action_port}"

    @property
    def web_url(self) -> str:
        return f"http://{self.host}:{self.web_port}"

    def env(self) -> dict[str, str]:
        """Environment for every process of the stack."""
        env = dict(os.environ)
        env.update(
            {
                "RASA_PORT": str(self.rasa_port),
                "RASA_URL": self.rasa_url,
                "RASA_TOKEN": self.rasa_token,
                "ACTION_SERVER_PORT": str(self.action_port),
                "ACTION_SERVER_URL": f"{self.action_url}/webhook",
                "WEB_PORT": str(self.web_port),
                "HANHTRANG_DB": str(self.db_path),
                "HANHTRANG_MODELS": str(self.models_dir),
                "PYTHONPATH": str(ROOT),
                "RASA_TELEMETRY_ENABLED": "false",
                "TF_CPP_MIN_LOG_LEVEL": "2",
                "HF_HUB_OFFLINE": "1",
                "PYTHONUNBUFFERED": "1",
                # One math thread per process. Each process handles one request at a time on 2
                # cores shared with the others; a second BLAS/OpenMP thread only waits for a core
                # (under 20 users a 0.04 ms matrix-vector product in retrieval took 40% of the
                # retriever's time, py-spy). Deployers with more cores can override these.
                "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1"),
                "OPENBLAS_NUM_THREADS": os.environ.get("OPENBLAS_NUM_THREADS", "1"),
                "MKL_NUM_THREADS": os.environ.get("MKL_NUM_THREADS", "1"),
            }
        )
        return env

    def commands(self) -> dict[str, list[str]]:
        """name → argv of each process. Telegram only when its token is set."""
        rasa_model = self.models_dir / "rasa" / "hanhtrang.tar.gz"
        cmds = {
            # `rasa run` through cli/rasa_server.py, which compiles Rasa's check of the action
            # server's responses once instead of on every call. "--auth-token=…" in one piece:
            # a token_urlsafe token may start with "-", which argparse would take for an option.
            rasa_process_name(i): [
                str(ROOT / ".venv-rasa" / "bin" / "python"), "-m", "cli.rasa_server",
                "run", "--enable-api", f"--auth-token={self.rasa_token}",
                "--model", str(rasa_model),
                "--interface", "127.0.0.1", "--port", str(self.rasa_port + i),
                "--endpoints", str(ROOT / "endpoints.yml"),
                "--credentials", str(ROOT / "channels.yml"),
            ]
            for i in range(self.rasa_processes)
        }
        cmds |= {
            "actions": [str(ROOT / ".venv" / "bin" / "python"), "-m", "actions.server"],
            "web": [str(ROOT / ".venv" / "bin" / "python"), "-m", "web.server"],
            "sweep": [str(ROOT / ".venv" / "bin" / "python"), "-m", "grievance.sweep"],
        }
        if os.environ.get("TELEGRAM_BOT_TOKEN"):
            cmds["telegram"] = [str(ROOT / ".venv" / "bin" / "python"), "-m", "bot.telegram"]
        return cmds


def rasa_process_name(index: int) -> str:
    """The first Rasa process keeps its old name "rasa"; the others are "rasa2", "rasa3"..."""
    return "rasa" if index == 0 else f"rasa{index + 1}"


def local_token() -> str:
    """A per-installation Rasa API token kept in var/ (created on first use, mode 0600)."""
    path = VAR / "rasa.token"
    if path.exists():
        return path.read_text().strip()
    VAR.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(24)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(token)
    return token


def port_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def free_ports(count: int) -> int:
    """The first of `count` consecutive free loopback ports (for several Rasa processes)."""
    for _ in range(100):
        first = free_port()
        if first + count <= 65536 and all(port_free(first + i) for i in range(1, count)):
            return first
    raise OSError(f"no {count} consecutive free ports found")


class StackStartError(RuntimeError):
    """A process of the stack exited early or did not answer in time (its log tail attached)."""


def wait_ready(url: str, params: dict[str, str], procs: list, timeout_s: float) -> None:
    import time

    import httpx

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for p in procs:
            if p.poll() is not None:
                raise StackStartError(f"a stack process exited early with code {p.returncode}")
        try:
            if httpx.get(url, params=params, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(1)
    raise StackStartError(f"{url} did not answer within {timeout_s:.0f} s")


@dataclass(frozen=True)
class RunningBackend:
    """A started backend: its settings and the pid of each process (for CPU accounting)."""

    settings: StackSettings
    pids: dict[str, int]


@contextlib.contextmanager
def running_backend(settings: StackSettings, log_dir: Path,
                    timeout_s: float = 300) -> Iterator[RunningBackend]:
    """The Rasa server(s) and the action server of `settings`, ready, stopped on exit.

    Used by the end-to-end tests and the benchmarks, each on free ports and its own database; the
    pid of each process lets the load benchmark read their CPU time.
    """
    import signal
    import subprocess

    env, commands = settings.env(), settings.commands()
    names = ["actions", *(n for n in commands if n.startswith("rasa"))]
    procs: dict[str, subprocess.Popen[bytes]] = {}
    logs = {name: log_dir / f"{name}.log" for name in names}
    try:
        for name, log in logs.items():
            procs[name] = subprocess.Popen(
                commands[name], cwd=ROOT, env=env, start_new_session=True,
                stdout=log.open("wb"), stderr=subprocess.STDOUT,
            )
        waiting = list(procs.values())
        wait_ready(f"{settings.action_url}/health", {}, waiting, timeout_s)
        for url in settings.rasa_urls:
            wait_ready(f"{url}/status", {"token": settings.rasa_token}, waiting, timeout_s)
        yield RunningBackend(settings, {name: p.pid for name, p in procs.items()})
    except StackStartError as exc:
        tails = "\n".join(
            f"----- {name} log (tail) -----\n{log.read_text(errors='replace')[-3000:]}"
            for name, log in logs.items() if log.exists()
        )
        raise StackStartError(f"{exc}\n{tails}") from exc
    finally:
        for p in procs.values():
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        for p in procs.values():
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
