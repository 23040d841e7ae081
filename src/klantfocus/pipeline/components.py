"""The klantfocus spaCy components, registered as factories.

Pipeline order: ``klantfocus_conversation`` first (utterance spans, turn boundaries as
sentence starts), then the base pipeline (tok2vec, tagger, morphologizer, parser,
lemmatizer), then ``klantfocus_jargon`` and ``klantfocus_utterance_tagger``.
All three are declared as ``spacy_factories`` entry points, so ``spacy.load`` finds
them without importing klantfocus first.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import srsly
from spacy.language import Language
from spacy.pipeline import Pipe
from spacy.tokens import Doc, Span

from ..constants import AGENT, EXT_TAGS, SPANS_EVIDENCE, SPANS_UTTERANCES, TAGS
from . import extensions as _extensions  # noqa: F401  (registers the attributes)
from .context import conversation_context
from .jargon import JargonFinder
from .rules import DutchCueRules, Hit, default_rules
from .tagger import RuleTagModel, TagModel, UtteranceCues

_RULES_FILE = "rules.json"


def _evidence_group(doc: Doc) -> list[Span]:
    return list(doc.spans[SPANS_EVIDENCE]) if SPANS_EVIDENCE in doc.spans else []


def _add_evidence(doc: Doc, utterance: Span, hits: Iterable[Hit], label: str) -> list[Span]:
    base = utterance.start_char
    added = []
    for start, end in hits:
        span = doc.char_span(base + start, base + end, label=label, alignment_mode="expand")
        if span is not None and span.start >= utterance.start and span.end <= utterance.end:
            added.append(span)
    if added:
        doc.spans[SPANS_EVIDENCE] = _evidence_group(doc) + added
    return added


class _RuleStatePipe(Pipe):
    """Shared to_disk/from_disk/to_bytes for components whose state is the rule table."""

    name: str
    rules_table: dict[str, Any]

    def _set_rules(self, table: dict[str, Any]) -> None:
        raise NotImplementedError

    def to_bytes(self, *, exclude: Iterable[str] = ()) -> bytes:
        return srsly.msgpack_dumps({"rules": self.rules_table})

    def from_bytes(self, bytes_data: bytes, *, exclude: Iterable[str] = ()) -> _RuleStatePipe:
        self._set_rules(srsly.msgpack_loads(bytes_data)["rules"])
        return self

    def to_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> None:
        directory = Path(path)
        directory.mkdir(parents=True, exist_ok=True)
        srsly.write_json(directory / _RULES_FILE, self.rules_table)

    def from_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> _RuleStatePipe:
        # JSON only: loading a pipeline never unpickles or executes anything.
        self._set_rules(json.loads((Path(path) / _RULES_FILE).read_text("utf-8")))
        return self

    def initialize(
        self, get_examples: Callable[[], Iterable[Any]], *, nlp: Language | None = None
    ) -> None:
        return None


class ConversationSegmenter(Pipe):
    """Marks utterance boundaries; turns a plain-text Doc into one agent utterance."""

    def __init__(self, nlp: Language, name: str = "klantfocus_conversation") -> None:
        self.name = name

    def __call__(self, doc: Doc) -> Doc:
        if SPANS_UTTERANCES not in doc.spans or not len(doc.spans[SPANS_UTTERANCES]):
            doc.spans[SPANS_UTTERANCES] = [Span(doc, 0, len(doc), label=AGENT)] if len(doc) else []
        for span in doc.spans[SPANS_UTTERANCES]:
            if len(span):
                doc[span.start].is_sent_start = True
        return doc

    def to_bytes(self, *, exclude: Iterable[str] = ()) -> bytes:
        return b""

    def from_bytes(
        self, bytes_data: bytes, *, exclude: Iterable[str] = ()
    ) -> ConversationSegmenter:
        return self

    def to_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> None:
        return None

    def from_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> ConversationSegmenter:
        return self

    def initialize(
        self, get_examples: Callable[[], Iterable[Any]], *, nlp: Language | None = None
    ) -> None:
        return None


class JargonTagger(_RuleStatePipe):
    """Adds ``jargon`` evidence spans to agent utterances."""

    def __init__(
        self, nlp: Language, name: str = "klantfocus_jargon", *, rules: dict[str, Any]
    ) -> None:
        self.name = name
        self._set_rules(rules)

    def _set_rules(self, table: dict[str, Any]) -> None:
        self.rules_table = table
        self.finder = JargonFinder(table)

    def __call__(self, doc: Doc) -> Doc:
        if SPANS_UTTERANCES not in doc.spans:
            return doc
        for utterance in doc.spans[SPANS_UTTERANCES]:
            if utterance.label_ == AGENT:
                _add_evidence(doc, utterance, self.finder.find(utterance.text), "jargon")
        return doc


class UtteranceTagger(_RuleStatePipe):
    """Decides the five tags per agent utterance, in conversation order.

    ``premature_solution``: a solution cue while the open customer issue has not yet been
    explored by an open question or a summary, unless the customer had just asked a
    question (then the agent is giving requested information).
    """

    def __init__(
        self, nlp: Language, name: str = "klantfocus_utterance_tagger", *, rules: dict[str, Any]
    ) -> None:
        self.name = name
        self._set_rules(rules)

    def _set_rules(self, table: dict[str, Any]) -> None:
        self.rules_table = table
        self.rules = DutchCueRules(table)
        self.model: TagModel = RuleTagModel(self.rules)

    def __call__(self, doc: Doc) -> Doc:
        spans = list(doc.spans[SPANS_UTTERANCES]) if SPANS_UTTERANCES in doc.spans else []
        contexts = conversation_context(doc, self.rules)
        evidence = _evidence_group(doc)
        explored: set[int | None] = set()
        all_tags: list[list[str]] = []
        for utterance, context in zip(spans, contexts, strict=True):
            if utterance.label_ != AGENT:
                all_tags.append([])
                continue
            cues: UtteranceCues = self.model.predict(utterance, context)
            tags = []
            if cues.has("open_question"):
                tags.append("open_question")
                _add_evidence(doc, utterance, cues.evidence["open_question"], "open_question")
            if cues.has("summary"):
                tags.append("summary")
                _add_evidence(doc, utterance, cues.evidence["summary"], "summary")
            if (
                cues.has("solution")
                and context.issue is not None
                and context.issue not in explored
                and not context.after_customer_question
            ):
                tags.append("premature_solution")
                _add_evidence(doc, utterance, cues.evidence["solution"], "premature_solution")
            if any(
                ev.label_ == "jargon" and ev.start >= utterance.start and ev.end <= utterance.end
                for ev in evidence
            ):
                tags.append("jargon")
            if cues.has("opinion"):
                tags.append("opinion")
                _add_evidence(doc, utterance, cues.evidence["opinion"], "opinion")
            if "open_question" in tags or "summary" in tags:
                explored.add(context.issue)
            all_tags.append([t for t in TAGS if t in tags])
        doc._.set(EXT_TAGS, all_tags)
        return doc


@Language.factory(
    "klantfocus_conversation",
    assigns=["token.is_sent_start", "doc.spans"],
    default_config={},
)
def make_conversation(nlp: Language, name: str) -> ConversationSegmenter:
    return ConversationSegmenter(nlp, name)


@Language.factory(
    "klantfocus_jargon",
    assigns=["doc.spans"],
    default_config={"rules": {"@misc": "klantfocus.dutch_rules.v1"}},
)
def make_jargon(nlp: Language, name: str, rules: dict[str, Any]) -> JargonTagger:
    return JargonTagger(nlp, name, rules=rules)


@Language.factory(
    "klantfocus_utterance_tagger",
    assigns=[f"doc._.{EXT_TAGS}", "doc.spans"],
    default_config={"rules": {"@misc": "klantfocus.dutch_rules.v1"}},
)
def make_utterance_tagger(nlp: Language, name: str, rules: dict[str, Any]) -> UtteranceTagger:
    return UtteranceTagger(nlp, name, rules=rules)


__all__ = [
    "ConversationSegmenter",
    "JargonTagger",
    "UtteranceTagger",
    "default_rules",
    "make_conversation",
    "make_jargon",
    "make_utterance_tagger",
]
