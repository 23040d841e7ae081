"""The mindset scorer: featuriser + calibrated classifier, saved and loaded safely.

A scorer is a folder with ``scorer.joblib`` (the fitted scikit-learn pipeline) and
``meta.json`` (versions, metrics, data hashes). joblib files are pickles, and unpickling
runs code, so :func:`load_scorer` checks the file's SHA-256 *before* unpickling: the
shipped scorer must match the manifest inside the klantfocus package
(``scoring/manifest.json``), and any other file is refused unless ``trust=True``.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import replace
from importlib import resources
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import sklearn
from sklearn.pipeline import Pipeline

from ..about import __version__
from ..constants import INNERLIJK, KLANTGERICHT, SCORER_DIRNAME
from ..errors import ModelLoadError, UnprocessableTranscript
from ..paths import models_dir
from ..transcript import Transcript
from .classifier import MindsetClassifier
from .explain import explain
from .features import FEATURE_NAMES, ConversationFeaturizer

MODEL_FILE = "scorer.joblib"
META_FILE = "meta.json"
MANIFEST_RESOURCE = "manifest.json"


def sha256_file(path: str | Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def check_scorable(transcript: Transcript) -> None:
    """Raise :class:`UnprocessableTranscript` if the transcript has no agent utterance.

    The score says how the employee worked; without a word from the employee there is
    nothing to score, and a score would be a verdict without evidence.
    """
    if transcript.agent_utterances:
        return
    speakers = sorted({u.speaker for u in transcript.utterances})
    voices = sorted({str(u.extra["voice"]) for u in transcript.utterances if u.extra.get("voice")})
    found = ", ".join(speakers) + (
        f" (voices {', '.join(repr(v) for v in voices)}; --agent-speaker names the agent)"
        if voices
        else ""
    )
    raise UnprocessableTranscript(transcript.id, f"no agent utterances; speakers found: {found}")


def make_scorer_pipeline(**classifier_params: Any) -> Pipeline:
    return Pipeline(
        [
            ("features", ConversationFeaturizer()),
            ("classifier", MindsetClassifier(**classifier_params)),
        ]
    )


class MindsetScorer:
    """Scores tagged transcripts: ``mindset``, ``mindset_score`` (0-100), ``explanation``."""

    def __init__(self, pipeline: Pipeline, meta: dict[str, Any] | None = None) -> None:
        self.pipeline = pipeline
        self.meta = dict(meta or {})

    @classmethod
    def fit(
        cls, transcripts: Sequence[Transcript], labels: Sequence[str], **params: Any
    ) -> MindsetScorer:
        pipeline = make_scorer_pipeline(**params)
        y = np.array([1 if label == KLANTGERICHT else 0 for label in labels])
        pipeline.fit(list(transcripts), y)
        return cls(pipeline, {"params": params})

    def predict_proba(self, transcripts: Sequence[Transcript]) -> np.ndarray:
        """Probability of ``klantgericht`` per transcript."""
        return np.asarray(self.pipeline.predict_proba(list(transcripts))[:, 1])

    def score(self, transcripts: Iterable[Transcript], *, explain_top: int = 3) -> list[Transcript]:
        """Copies of the transcripts with mindset, score and explanation filled in.

        Raises :class:`~klantfocus.errors.UnprocessableTranscript` for a transcript
        without agent utterances (see :func:`check_scorable`); nothing is scored then.
        """
        items = list(transcripts)
        if not items:
            return []
        for transcript in items:
            check_scorable(transcript)
        features: ConversationFeaturizer = self.pipeline.named_steps["features"]
        classifier: MindsetClassifier = self.pipeline.named_steps["classifier"]
        X = features.transform(items)
        proba = classifier.predict_proba(X)[:, 1]
        contributions = classifier.contributions(X)
        out = []
        for transcript, p, row, contrib in zip(items, proba, X, contributions, strict=True):
            score = round(float(100 * p), 1)
            out.append(
                replace(
                    transcript,
                    mindset=KLANTGERICHT if p >= 0.5 else INNERLIJK,
                    mindset_score=score,
                    explanation=explain(
                        transcript, list(FEATURE_NAMES), row.tolist(), contrib.tolist(), explain_top
                    ),
                )
            )
        return out

    def save(
        self,
        directory: str | Path,
        *,
        metrics: dict[str, Any] | None = None,
        data: dict[str, Any] | None = None,
    ) -> str:
        """Write the scorer folder; returns the SHA-256 of the model file."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        joblib.dump(self.pipeline, directory / MODEL_FILE)
        digest = sha256_file(directory / MODEL_FILE)
        meta = {
            **self.meta,
            "name": "klantfocus_mindset_scorer",
            "klantfocus_version": __version__,
            "sklearn_version": sklearn.__version__,
            "feature_names": list(FEATURE_NAMES),
            "model_sha256": digest,
            "metrics": metrics or self.meta.get("metrics", {}),
            "data": data or self.meta.get("data", {}),
        }
        (directory / META_FILE).write_text(
            json.dumps(meta, indent=2, ensure_ascii=False) + "\n", "utf-8"
        )
        self.meta = meta
        return digest


def package_manifest() -> dict[str, str]:
    """SHA-256 of the shipped model files, as recorded in the package."""
    resource = resources.files("klantfocus.scoring").joinpath(MANIFEST_RESOURCE)
    if not resource.is_file():
        return {}
    data = json.loads(resource.read_text("utf-8"))
    return dict(data.get("sha256", {}))


def load_scorer(path: str | Path | None = None, *, trust: bool = False) -> MindsetScorer:
    """Load a scorer folder (default: the shipped one), verifying it before unpickling.

    Args:
        path: a scorer folder or its ``scorer.joblib``; ``None`` for the shipped scorer.
        trust: load a file that is not in the package manifest. Only for files you made
            or got from someone you trust: unpickling can execute arbitrary code.
    """
    directory = Path(path) if path is not None else models_dir() / SCORER_DIRNAME
    if directory.suffix == ".joblib":
        directory = directory.parent
    model_file = directory / MODEL_FILE
    if not model_file.is_file():
        raise ModelLoadError(f"no scorer model at {model_file}; train one with 'make scorer'")
    digest = sha256_file(model_file)
    known = set(package_manifest().values())
    if digest not in known:
        if path is None:
            raise ModelLoadError(
                f"{model_file} does not match the SHA-256 recorded in the klantfocus package "
                f"({digest[:12]}...); the file was changed or replaced. Refusing to unpickle it."
            )
        if not trust:
            raise ModelLoadError(
                f"{model_file} is not a model shipped with klantfocus (SHA-256 {digest[:12]}...). "
                "Unpickling can execute code; pass trust=True (CLI: --trust-model) only for a "
                "file you made yourself or got from a source you trust."
            )
    meta_file = directory / META_FILE
    meta = json.loads(meta_file.read_text("utf-8")) if meta_file.is_file() else {}
    saved_sklearn = meta.get("sklearn_version")
    if saved_sklearn and saved_sklearn != sklearn.__version__:
        warnings.warn(
            f"the scorer at {directory} was saved with scikit-learn {saved_sklearn}; this is "
            f"{sklearn.__version__}. Predictions may differ; retrain with 'make scorer'.",
            UserWarning,
            stacklevel=2,
        )
    saved = meta.get("klantfocus_version")
    if saved and saved != __version__:
        warnings.warn(
            f"the scorer at {directory} was saved with klantfocus {saved}; this is {__version__}",
            UserWarning,
            stacklevel=2,
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=UserWarning)  # sklearn's own version warning
        pipeline = joblib.load(model_file)
    if not isinstance(pipeline, Pipeline):
        raise ModelLoadError(f"{model_file} does not hold a scikit-learn Pipeline")
    return MindsetScorer(pipeline, meta)
