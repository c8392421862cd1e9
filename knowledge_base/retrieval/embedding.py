"""Loading a sentence-transformers model from a local directory and encoding text with it.

Models are never downloaded: the machine that runs the bot may have no internet, and a silent
download at start-up would make behaviour depend on a remote hub. HF_HUB_OFFLINE is set before
sentence_transformers is imported, and only local files are read.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

log = logging.getLogger(__name__)

# In a retriever directory made for a deployer's model: where that model lives.
EXTERNAL_POINTER = "external_model.json"


class ModelLoadError(Exception):
    """The retriever model directory is missing or cannot be loaded."""


def offline() -> None:
    """Forbid hub access for this process (called before any model is loaded)."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def resolve_model_dir(path: Path) -> Path:
    """The directory holding the model weights for a retriever directory made by ensure_model."""
    pointer = path / EXTERNAL_POINTER
    if pointer.is_file():
        try:
            return Path(json.loads(pointer.read_text(encoding="utf-8"))["model_dir"])
        except (OSError, ValueError, KeyError) as exc:
            raise ModelLoadError(f"{pointer}: {exc}") from exc
    return path


def load_model(model_dir: Path) -> SentenceTransformer:
    """Load a sentence-transformers model saved with model.save(model_dir), on the CPU.

    `model_dir` may also be a retriever directory that points at a deployer's model.
    """
    offline()
    model_dir = resolve_model_dir(model_dir)
    if not (model_dir / "modules.json").is_file():
        raise ModelLoadError(f"{model_dir}: not a sentence-transformers model directory")
    from sentence_transformers import SentenceTransformer

    try:
        model = SentenceTransformer(str(model_dir), device="cpu", local_files_only=True)
    except (OSError, ValueError) as exc:
        raise ModelLoadError(f"{model_dir}: {exc}") from exc
    model.eval()
    log.info("retriever model loaded from %s", model_dir)
    return model


def encode(model: SentenceTransformer, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
    """Unit-length float32 embeddings, one row per text (cosine = dot product)."""
    if not texts:
        return np.zeros((0, model.get_embedding_dimension() or 0), dtype=np.float32)
    vectors = model.encode(
        list(texts),
        batch_size=batch_size,
        convert_to_numpy=True,
        normalize_embeddings=True,
        show_progress_bar=False,
    )
    return np.asarray(vectors, dtype=np.float32)
