"""What every benchmark shares: Rasa training data, training and parsing runs, and result files.

Rasa 3.6 lives in its own Python 3.10 environment (.venv-rasa). The benchmarks run in .venv (3.11)
and drive it through subprocesses: `rasa train nlu` to train, bench/rasa_predict.py to parse.
Benchmark models go to models/bench/ (ignored by git); results to bench/results/.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shlex
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from nlu.training_data import Example, examples_from_yaml

ROOT = Path(__file__).resolve().parent.parent
RASA_VENV = ROOT / ".venv-rasa"
CONFIG = ROOT / "config.yml"
BENCH_MODELS = ROOT / "models" / "bench"
RESULTS = ROOT / "bench" / "results"
PREDICT_SCRIPT = Path(__file__).with_name("rasa_predict.py")
# Our NLU training data: hand-written examples and the questions generated from the knowledge base.
NLU_DIRS = (ROOT / "nlu" / "vi", ROOT / "nlu" / "en", ROOT / "nlu" / "generated")


class BenchError(Exception):
    """A benchmark step failed (training, parsing, or the data is not what we expect)."""


@dataclass(frozen=True)
class TrainRun:
    model: Path
    seconds: float


@dataclass(frozen=True)
class ParseRun:
    load_seconds: float
    predictions: list[dict[str, Any]]


def rasa_training_data(examples: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """Rasa's JSON NLU format: no escaping of [ ] ( ) needed, unlike the YAML format."""
    return {
        "rasa_nlu_data": {
            "common_examples": [
                {"text": text, "intent": intent, "entities": []} for text, intent in examples
            ]
        }
    }


def write_training_data(examples: Iterable[tuple[str, str]], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps(rasa_training_data(examples), ensure_ascii=False, indent=0), encoding="utf-8"
    )
    return path


def rasa_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT)
    env["RASA_TELEMETRY_ENABLED"] = "false"
    env["TF_CPP_MIN_LOG_LEVEL"] = "2"
    return env


def train_nlu(config: Path, data: Path, name: str, out_dir: Path = BENCH_MODELS) -> TrainRun:
    """`rasa train nlu`; the wall time includes Rasa's own start-up (about 10 s)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    log = out_dir / f"{name}.train.log"
    argv = [
        str(RASA_VENV / "bin" / "rasa"), "train", "nlu", "--config", str(config),
        "--nlu", str(data), "--out", str(out_dir), "--fixed-model-name", name,
    ]
    started = time.perf_counter()
    with log.open("wb") as handle:
        proc = subprocess.run(argv, cwd=ROOT, env=rasa_env(), stdout=handle,
                              stderr=subprocess.STDOUT, check=False)
    seconds = time.perf_counter() - started
    model = out_dir / f"{name}.tar.gz"
    if proc.returncode != 0 or not model.exists():
        raise BenchError(f"rasa train nlu failed (exit {proc.returncode}); see {log}")
    return TrainRun(model=model, seconds=seconds)


def parse_texts(model: Path, texts: list[str]) -> ParseRun:
    """Parse every text in one Rasa process (model loaded once); see bench/rasa_predict.py."""
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        texts_path = Path(tmp) / "texts.json"
        out_path = Path(tmp) / "out.json"
        texts_path.write_text(json.dumps(texts, ensure_ascii=False), encoding="utf-8")
        argv = [str(RASA_VENV / "bin" / "python"), str(PREDICT_SCRIPT), str(model),
                str(texts_path), str(out_path)]
        proc = subprocess.run(argv, cwd=ROOT, env=rasa_env(), capture_output=True, check=False)
        if proc.returncode != 0 or not out_path.exists():
            tail = proc.stderr.decode(errors="replace")[-2000:]
            raise BenchError(f"parsing failed (exit {proc.returncode}):\n{tail}")
        result = json.loads(out_path.read_text(encoding="utf-8"))
    return ParseRun(load_seconds=result["load_s"], predictions=result["predictions"])


def file_hash(path: Path) -> str:
    """First 12 hex digits of the file's sha256: which pipeline config produced a result."""
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def ram_gib() -> float | None:
    try:
        pages = os.sysconf("SC_PHYS_PAGES")
        size = os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError):
        return None
    return round(pages * size / 2**30, 1)


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine() -> dict[str, Any]:
    return {
        "nproc": os.cpu_count(),
        "ram_gib": ram_gib(),
        "cpu": cpu_model(),
        "os": platform.platform(),
        "python": platform.python_version(),
    }


def command_line() -> str:
    """The command as a person would type it from the repository root."""
    module = Path(sys.argv[0]).stem if sys.argv else "?"
    args = " ".join(shlex.quote(a) for a in sys.argv[1:])
    return f".venv/bin/python -m bench.{module} {args}".strip()


def header(config: Path = CONFIG) -> dict[str, Any]:
    """Provenance every result file starts with."""
    return {
        "command": command_line(),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "config": str(config.relative_to(ROOT)) if config.is_relative_to(ROOT) else str(config),
        "config_sha256_12": file_hash(config),
    }


def provenance_markdown(head: dict[str, Any]) -> str:
    m = head["machine"]
    return (
        f"- command: `{head['command']}`\n"
        f"- date: {head['date']}\n"
        f"- machine: {m['nproc']} CPU ({m['cpu']}), {m['ram_gib']} GiB RAM, {m['os']}\n"
        f"- config: `{head['config']}` (sha256 {head['config_sha256_12']}…)\n"
    )


def markdown_table(headers: list[str], rows: list[list[Any]]) -> str:
    def cell(value: Any) -> str:
        if isinstance(value, float):
            return f"{value:.3f}"
        return "—" if value is None else str(value)

    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def load_examples(directories: Iterable[Path] = NLU_DIRS) -> list[Example]:
    """Every intent example of our training data, in a stable order, duplicates removed."""
    seen: set[Example] = set()
    out: list[Example] = []
    for directory in directories:
        for path in sorted(directory.glob("*.yml")):
            for pair in examples_from_yaml(path):
                if pair not in seen:
                    seen.add(pair)
                    out.append(pair)
    return out


def write_results(name: str, data: dict[str, Any], markdown: str,
                  directory: Path = RESULTS) -> tuple[Path, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    json_path = directory / f"{name}.json"
    md_path = directory / f"{name}.md"
    json_path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    md_path.write_text(markdown, encoding="utf-8")
    return json_path, md_path


def publish(name: str, data: dict[str, Any], markdown: str) -> None:
    """Write a run's results, show its markdown on stdout and where the files went on stderr."""
    json_path, md_path = write_results(name, data, markdown)
    print(markdown)
    print(f"wrote {json_path} and {md_path}", file=sys.stderr)
