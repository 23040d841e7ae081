"""The models of a batch worker: loaded once per process, shared by every shard it scores.

Loading the pipeline and the scorer takes seconds, so a worker process (a local pool
process or a Dask worker) loads them once and keeps them in a process-wide cache keyed by
the model options. The identity of the loaded models (pipeline name, version and a SHA-256 of
its files, the scorer's SHA-256, library versions) is recorded with every shard, so that
a restart recognises shards made by other models (a pipeline retrained in place keeps its
name and version, not its files) and the manifest says what produced the output.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..about import __version__
from ..constants import SCORER_DIRNAME
from ..paths import models_dir

if TYPE_CHECKING:
    from spacy.language import Language

    from ..scoring.model import MindsetScorer


@dataclass(frozen=True)
class ModelOptions:
    """Which models to load: the same choices as the CLI's --base, --pipeline, --scorer."""

    base: str | None = None
    pipeline: str | None = None
    scorer: str | None = None
    trust_model: bool = False


@dataclass
class Models:
    """A loaded pipeline and scorer with their identity.

    ``lock`` serialises use within one process: spaCy pipelines are not documented as
    thread-safe, and a Dask worker with several threads would otherwise share one.
    """

    nlp: Language
    scorer: MindsetScorer
    identity: dict[str, Any]
    lock: threading.Lock = field(default_factory=threading.Lock)


_CACHE: dict[ModelOptions, Models] = {}
_CACHE_LOCK = threading.Lock()
_LOAD_COUNT = 0


def load_count() -> int:
    """How many times this process has loaded models (tests check: once per worker)."""
    return _LOAD_COUNT


def get_models(options: ModelOptions) -> Models:
    """The models for ``options``, loaded on first use in this process and then reused."""
    global _LOAD_COUNT
    with _CACHE_LOCK:
        models = _CACHE.get(options)
        if models is None:
            models = _load(options)
            _CACHE[options] = models
            _LOAD_COUNT += 1
        return models


def _scorer_file(options: ModelOptions) -> Path:
    from ..scoring.model import MODEL_FILE

    directory = Path(options.scorer) if options.scorer else models_dir() / SCORER_DIRNAME
    if directory.suffix == ".joblib":
        directory = directory.parent
    return directory / MODEL_FILE


def directory_sha256(directory: Path) -> str:
    """SHA-256 over the relative paths and contents of every file under ``directory``."""
    digest = hashlib.sha256()
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        digest.update(path.relative_to(directory).as_posix().encode("utf-8") + b"\0")
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def _load(options: ModelOptions) -> Models:
    import sklearn
    import spacy

    from ..pipeline.loading import load
    from ..scoring.model import load_scorer, sha256_file

    nlp = load(options.base, pipeline=options.pipeline)
    scorer = (
        load_scorer(options.scorer, trust=options.trust_model) if options.scorer else load_scorer()
    )
    # The folder the pipeline was loaded from (None for a bare tokeniser); with --base,
    # the base pipeline's folder.
    source = getattr(nlp, "path", None)
    identity = {
        "klantfocus_version": __version__,
        "spacy_version": spacy.__version__,
        "sklearn_version": sklearn.__version__,
        "pipeline": {
            "name": f"{nlp.meta.get('lang', nlp.lang)}_{nlp.meta.get('name', '')}",
            "version": nlp.meta.get("version"),
            "components": list(nlp.pipe_names),
            "klantfocus_version": nlp.meta.get("klantfocus_version"),
            "base": options.base,
            "sha256": directory_sha256(Path(source)) if source is not None else None,
        },
        "scorer": {
            "name": scorer.meta.get("name"),
            "sha256": sha256_file(_scorer_file(options)),
            "klantfocus_version": scorer.meta.get("klantfocus_version"),
        },
    }
    return Models(nlp=nlp, scorer=scorer, identity=identity)
