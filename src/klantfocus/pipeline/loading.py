"""Loading the klantfocus spaCy pipeline, on the shipped base or any Dutch pipeline."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import spacy
from spacy.language import Language

from ..about import __version__
from ..constants import BASE_PIPELINE_DIRNAME, PIPELINE_DIRNAME
from ..errors import ModelLoadError
from ..paths import models_dir

logger = logging.getLogger(__name__)

KLANTFOCUS_COMPONENTS = (
    "klantfocus_conversation",
    "klantfocus_jargon",
    "klantfocus_utterance_tagger",
)


def _load_spacy(name_or_path: str | Path) -> Language:
    try:
        return spacy.load(name_or_path)
    except OSError as exc:
        raise ModelLoadError(
            f"cannot load the spaCy pipeline {str(name_or_path)!r}: {exc}. Give an installed "
            "Dutch pipeline name (e.g. 'nl_core_news_sm') or a pipeline directory."
        ) from exc


def check_version(meta: dict[str, object], what: str) -> None:
    saved = meta.get("klantfocus_version")
    if saved is not None and saved != __version__:
        warnings.warn(
            f"{what} was saved with klantfocus {saved}, this is klantfocus {__version__}; "
            "results may differ from the recorded metrics",
            UserWarning,
            stacklevel=3,
        )


def build_pipeline(base: Language, source: Language | None = None) -> Language:
    """Add the klantfocus components to a base pipeline (in place) and return it.

    With ``source``, the components (and their saved state) are copied from that
    pipeline; otherwise they are created with the default rules.
    """
    for name in KLANTFOCUS_COMPONENTS:
        if name in base.pipe_names:
            base.remove_pipe(name)
    if source is not None:
        base.add_pipe("klantfocus_conversation", source=source, first=True)
        base.add_pipe("klantfocus_jargon", source=source, last=True)
        base.add_pipe("klantfocus_utterance_tagger", source=source, last=True)
    else:
        base.add_pipe("klantfocus_conversation", first=True)
        base.add_pipe("klantfocus_jargon", last=True)
        base.add_pipe("klantfocus_utterance_tagger", last=True)
    base.meta["klantfocus_version"] = __version__
    return base


def load(base: str | Path | None = None, *, pipeline: str | Path | None = None) -> Language:
    """Load the klantfocus tagging pipeline.

    Args:
        base: ``None`` for the shipped Dutch base pipeline; or the name or path of any
            installed Dutch spaCy pipeline (for example ``"nl_core_news_sm"``) to run the
            klantfocus components on instead.
        pipeline: a klantfocus pipeline directory other than the shipped one.
    """
    pipeline_path = Path(pipeline) if pipeline is not None else models_dir() / PIPELINE_DIRNAME
    shipped = pipeline_path.is_dir()
    if pipeline is not None and not shipped:
        raise ModelLoadError(f"no klantfocus pipeline at {pipeline_path}")
    if base is None:
        if shipped:
            nlp = _load_spacy(pipeline_path)
            check_version(nlp.meta, f"the pipeline at {pipeline_path}")
            return nlp
        base_path = models_dir() / BASE_PIPELINE_DIRNAME
        if base_path.is_dir():
            return build_pipeline(_load_spacy(base_path))
        warnings.warn(
            f"no shipped pipeline under {models_dir()}; running the rules on a bare Dutch "
            "tokeniser (no part-of-speech, lemmas or parses)",
            UserWarning,
            stacklevel=2,
        )
        return build_pipeline(spacy.blank("nl"))
    base_nlp = _load_spacy(base)
    if base_nlp.lang != "nl":
        raise ModelLoadError(
            f"{base!s} is a {base_nlp.lang!r} pipeline; klantfocus needs Dutch ('nl')"
        )
    source = _load_spacy(pipeline_path) if shipped else None
    logger.info("klantfocus components on base pipeline %s", base)
    return build_pipeline(base_nlp, source)
