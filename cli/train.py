"""`hanhtrang train`: generated NLU data, retrieval model and Rasa model, each only if stale."""

from __future__ import annotations

import hashlib
import os
import subprocess
import tarfile
import time
from pathlib import Path

import typer
from rich.console import Console

ROOT = Path(__file__).resolve().parent.parent
RASA_BIN = ROOT / ".venv-rasa" / "bin" / "rasa"
RASA_DATA = ["nlu/vi", "nlu/en", "nlu/rules", "nlu/stories", "nlu/lookups", "nlu/generated"]
RASA_INPUTS = ["config.yml", "domain.yml", *RASA_DATA, "nlu/components", "knowledge_base/text.py"]
MODEL_NAME = "hanhtrang"

console = Console(stderr=True)


def models_dir() -> Path:
    return Path(os.environ.get("HANHTRANG_MODELS", ROOT / "models"))


def rasa_model_path() -> Path:
    return models_dir() / "rasa" / f"{MODEL_NAME}.tar.gz"


def inputs_hash(paths: list[str]) -> str:
    digest = hashlib.sha256()
    for rel in paths:
        base = ROOT / rel
        files = sorted(p for p in base.rglob("*") if p.is_file()) if base.is_dir() else [base]
        for f in files:
            if f.suffix not in (".yml", ".yaml", ".py", ".txt") or "__pycache__" in f.parts:
                continue
            digest.update(str(f.relative_to(ROOT)).encode())
            digest.update(f.read_bytes())
    return digest.hexdigest()


def model_is_valid(path: Path) -> bool:
    """A trained model is a readable tar.gz archive; a truncated or corrupt one is not."""
    try:
        with tarfile.open(path, "r:gz") as archive:
            return len(archive.getnames()) > 0
    except (OSError, tarfile.TarError, EOFError):
        return False


def generate_nlu() -> tuple[int, int]:
    """(knowledge-base question examples, company-name examples) written to nlu/generated/."""
    from knowledge_base.loader import load_approved
    from knowledge_base.nlu_export import write_nlu
    from nlu.company_examples import write_company_nlu

    questions = write_nlu(load_approved(), ROOT / "nlu" / "generated" / "kb_questions.yml")
    names = write_company_nlu(ROOT / "nlu" / "generated" / "company_names.yml")
    return questions, names


def train_retriever() -> Path:
    from knowledge_base.loader import load_approved
    from knowledge_base.retrieval import ensure_model

    return ensure_model(load_approved(), models_dir())


def rasa_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.setdefault("RASA_TELEMETRY_ENABLED", "false")
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env.setdefault("TQDM_DISABLE", "1")
    return env


class RasaTraining:
    """`rasa train` in a subprocess, so that it runs beside the retrieval training (two cores:
    each mostly uses one), and the steps that check and install the result."""

    def __init__(self, force: bool = False) -> None:
        self.target = rasa_model_path()
        self.stamp = self.target.with_suffix(".inputs.sha256")
        self.wanted = inputs_hash(RASA_INPUTS)
        self.tmp_dir = self.target.parent / "tmp"
        self.process: subprocess.Popen[bytes] | None = None
        self.needed = not (
            not force
            and self.target.exists()
            and self.stamp.exists()
            and self.stamp.read_text().strip() == self.wanted
            and model_is_valid(self.target)
        )

    def start(self) -> None:
        if not self.needed:
            return
        if not RASA_BIN.exists():
            console.print("[red]error:[/] the Rasa environment is missing; run `make setup` first.")
            raise typer.Exit(1)
        self.target.parent.mkdir(parents=True, exist_ok=True)
        cmd = [
            str(RASA_BIN), "train", "--config", "config.yml", "--domain", "domain.yml",
            "--data", *RASA_DATA, "--out", str(self.tmp_dir), "--fixed-model-name", MODEL_NAME,
            "--force",
        ]
        self.process = subprocess.Popen(cmd, cwd=ROOT, env=rasa_env())

    def stop(self) -> None:
        """Stop a training still running (the other step failed)."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait()

    def finish(self) -> bool:
        """Wait for the training; install the model. True when it trained."""
        if not self.needed:
            return False
        if self.process is None:
            raise RuntimeError("RasaTraining.finish() before start()")
        returncode = self.process.wait()
        built = self.tmp_dir / f"{MODEL_NAME}.tar.gz"
        if returncode != 0 or not model_is_valid(built):
            console.print("[red]error:[/] Rasa training failed (see the output above).")
            raise typer.Exit(1)
        built.replace(self.target)
        self.stamp.write_text(self.wanted)
        return True


def train(
    force: bool = typer.Option(False, "--force", help="Retrain even if nothing changed."),
) -> None:
    """Regenerate NLU data from the knowledge base; train what is stale."""
    started = time.monotonic()
    questions, names = generate_nlu()
    console.print(f"NLU: {questions} knowledge-base question and {names} company-name examples "
                  "in nlu/generated/")
    # The Rasa model does not depend on the retrieval model: both train at once, each mostly on
    # one of the two cores (one after the other took 215 s in session 8, together 133-167 s).
    rasa = RasaTraining(force)
    t0 = time.monotonic()
    rasa.start()
    try:
        path = train_retriever()
    except BaseException:
        rasa.stop()
        raise
    shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
    console.print(f"Retrieval model: {shown}"
                  f" ({time.monotonic() - t0:.1f} s)")
    trained = rasa.finish()
    verb = "trained" if trained else "up to date"
    console.print(f"Rasa model {verb}: {rasa_model_path()} ({time.monotonic() - t0:.1f} s"
                  " since both started)")
    console.print(f"Done in {time.monotonic() - started:.1f} s")
