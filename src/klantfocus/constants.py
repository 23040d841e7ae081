"""Names shared across klantfocus: tags, labels, extension attributes, defaults.

Every default lives here once; modules import it instead of repeating literals.
"""

from __future__ import annotations

from typing import Final

#: The five utterance tags of the codebook, in canonical order.
TAGS: Final[tuple[str, ...]] = (
    "open_question",
    "summary",
    "premature_solution",
    "jargon",
    "opinion",
)

#: Dutch names used in reports and explanations.
TAG_NAMES_NL: Final[dict[str, str]] = {
    "open_question": "open vraag",
    "summary": "samenvatting",
    "premature_solution": "voorbarige oplossing",
    "jargon": "jargon",
    "opinion": "mening",
}

AGENT: Final = "agent"
CUSTOMER: Final = "customer"
SPEAKERS: Final[tuple[str, str]] = (AGENT, CUSTOMER)

#: Speaker spellings accepted by the readers (compared case-insensitively).
SPEAKER_ALIASES: Final[dict[str, str]] = {
    "agent": AGENT,
    "medewerker": AGENT,
    "employee": AGENT,
    "adviseur": AGENT,
    "customer": CUSTOMER,
    "klant": CUSTOMER,
    "client": CUSTOMER,
    "beller": CUSTOMER,
    "huurder": CUSTOMER,
}

KLANTGERICHT: Final = "klantgericht"
INNERLIJK: Final = "innerlijk"
MINDSETS: Final[tuple[str, str]] = (INNERLIJK, KLANTGERICHT)

# spaCy extension attributes and span groups, registered once in pipeline.extensions.
EXT_SPEAKER: Final = "kf_speaker"  # Span: "agent" / "customer" for an utterance span
EXT_TAGS: Final = "kf_tags"  # Span: list of tags of an utterance; Doc: list per utterance
EXT_EVIDENCE: Final = "kf_evidence"  # Span: evidence spans of an utterance
EXT_UTTERANCES: Final = "kf_utterances"  # Doc: the utterance spans, in spoken order
EXT_CONTEXT: Final = "kf_context"  # Doc: per-utterance conversation context
SPANS_UTTERANCES: Final = "kf_utterances"  # doc.spans key: one span per utterance
SPANS_EVIDENCE: Final = "kf_evidence"  # doc.spans key: evidence spans, label = tag

#: Text placed between utterances when a transcript becomes one Doc. Whitespace, so no
#: token ever crosses an utterance boundary.
UTTERANCE_SEPARATOR: Final = "\n\n"

# Shipped artefacts, relative to the models directory.
PIPELINE_DIRNAME: Final = "klantfocus_nl"
BASE_PIPELINE_DIRNAME: Final = "nl_klantfocus_base"
SCORER_DIRNAME: Final = "mindset_scorer"
MODELS_ENV_VAR: Final = "KLANTFOCUS_MODELS_DIR"

#: Input formats the readers understand, keyed by name, with their file extensions.
INPUT_FORMATS: Final[dict[str, tuple[str, ...]]] = {
    "jsonl": (".jsonl", ".ndjson", ".json"),
    "csv": (".csv",),
    "parquet": (".parquet", ".pq"),
    "txt": (".txt",),
    "vtt": (".vtt",),
}
OUTPUT_FORMATS: Final[dict[str, tuple[str, ...]]] = {
    "jsonl": (".jsonl", ".ndjson", ".json"),
    "csv": (".csv",),
    "parquet": (".parquet", ".pq"),
}

#: Columns of the tabular (CSV/Parquet) layout: one row per utterance.
TABLE_REQUIRED_COLUMNS: Final[tuple[str, ...]] = ("conversation_id", "speaker", "text")
TABLE_OPTIONAL_COLUMNS: Final[tuple[str, ...]] = ("turn", "start", "end")
