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
from .features import JARGON_SIGNAL_KEY
from .jargon import JargonFinder, JargonTokenModel
from .rules import DutchCueRules, Hit, default_rules
from .tagger import RuleTagModel, TagModel, TrainedTagModel

_RULES_FILE = "rules.json"
_MODEL_DIR = "model"


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
    """Serialisation shared by the components whose state is a rule table plus,
    optionally, a trained model in a ``model/`` folder (JSON and ``.npz`` arrays only:
    loading a pipeline never unpickles or executes anything)."""

    name: str
    rules_table: dict[str, Any]

    def _set_rules(self, table: dict[str, Any]) -> None:
        raise NotImplementedError

    def _save_model(self, directory: Path) -> None:
        return None

    def _load_model(self, directory: Path) -> None:
        return None

    def to_bytes(self, *, exclude: Iterable[str] = ()) -> bytes:
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            self.to_disk(tmp)
            files = {
                p.relative_to(tmp).as_posix(): p.read_bytes()
                for p in Path(tmp).rglob("*")
                if p.is_file()
            }
        return srsly.msgpack_dumps(files)

    def from_bytes(self, bytes_data: bytes, *, exclude: Iterable[str] = ()) -> _RuleStatePipe:
        import tempfile

        files = srsly.msgpack_loads(bytes_data)
        with tempfile.TemporaryDirectory() as tmp:
            for name, content in files.items():
                target = Path(tmp) / name
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(content)
            return self.from_disk(tmp)

    def to_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> None:
        directory = Path(path)
        directory.mkdir(parents=True, exist_ok=True)
        srsly.write_json(directory / _RULES_FILE, self.rules_table)
        self._save_model(directory / _MODEL_DIR)

    def from_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> _RuleStatePipe:
        directory = Path(path)
        self._set_rules(json.loads((directory / _RULES_FILE).read_text("utf-8")))
        if (directory / _MODEL_DIR).is_dir():
            self._load_model(directory / _MODEL_DIR)
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


def customer_words_before(doc: Doc, utterances: list[Span]) -> list[frozenset[str]]:
    """For each given utterance, the lower-cased words the customer said before it."""
    seen: set[str] = set()
    out = []
    targets = {u.start: i for i, u in enumerate(utterances)}
    result: list[frozenset[str]] = [frozenset()] * len(utterances)
    for span in doc.spans[SPANS_UTTERANCES]:
        if span.start in targets:
            result[targets[span.start]] = frozenset(seen)
        if span.label_ != AGENT:
            seen.update(t.lower_ for t in span if t.is_alpha)
    out = result
    return out


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
        self.model: JargonTokenModel | None = None

    def _save_model(self, directory: Path) -> None:
        if self.model is not None:
            self.model.to_disk(directory)

    def _load_model(self, directory: Path) -> None:
        self.model = JargonTokenModel.from_disk(directory, self.finder)

    def find(self, utterance: Span) -> list[Hit]:
        if self.model is not None:
            return self.model.find(utterance)
        return self.finder.find(utterance.text)

    def __call__(self, doc: Doc) -> Doc:
        if SPANS_UTTERANCES not in doc.spans:
            return doc
        agent = [u for u in doc.spans[SPANS_UTTERANCES] if u.label_ == AGENT]
        if self.model is not None:
            scored = self.model.score_many(agent, customer_words_before(doc, agent))
            found = [spans for spans, _, _ in scored]
            # The strongest token per utterance: a feature and a fallback evidence span
            # for the utterance-level jargon decision of the tagger.
            doc.user_data[JARGON_SIGNAL_KEY] = {
                u.start: [top, *(best or (0, 0))]
                for u, (_, top, best) in zip(agent, scored, strict=True)
            }
        else:
            found = [self.finder.find(u.text) for u in agent]
        for utterance, hits in zip(agent, found, strict=True):
            _add_evidence(doc, utterance, hits, "jargon")
        return doc


class UtteranceTagger(_RuleStatePipe):
    """Decides the tags of every agent utterance, in conversation order.

    The decisions come from a :class:`~klantfocus.pipeline.tagger.TagModel`: the trained
    model when the component has one (saved under ``model/``), the Dutch cue rules
    otherwise. ``jargon`` is set when the jargon component found a span in the turn.
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

    def _save_model(self, directory: Path) -> None:
        if isinstance(self.model, TrainedTagModel):
            self.model.to_disk(directory)

    def _load_model(self, directory: Path) -> None:
        self.model = TrainedTagModel.from_disk(directory, self.rules)

    def __call__(self, doc: Doc) -> Doc:
        spans = list(doc.spans[SPANS_UTTERANCES]) if SPANS_UTTERANCES in doc.spans else []
        contexts = conversation_context(doc, self.rules)
        decisions = self.model.tag_conversation(doc, spans, contexts)
        found_jargon = [ev for ev in _evidence_group(doc) if ev.label_ == "jargon"]
        all_tags: list[list[str]] = []
        for utterance, decision in zip(spans, decisions, strict=True):
            if decision is None:
                all_tags.append([])
                continue
            tags = set(decision.tags)
            jargon_spans = {
                (ev.start, ev.end)
                for ev in found_jargon
                if utterance.start <= ev.start < utterance.end
            }
            if "jargon" not in decision.evidence:  # rules: the tag follows the spans
                if jargon_spans:
                    tags.add("jargon")
            elif "jargon" not in tags and jargon_spans:  # the model decides; spans follow
                doc.spans[SPANS_EVIDENCE] = [
                    ev
                    for ev in _evidence_group(doc)
                    if not (ev.label_ == "jargon" and (ev.start, ev.end) in jargon_spans)
                ]
            for tag in decision.tags:
                if tag == "jargon" and jargon_spans:
                    continue  # the jargon spans are its evidence
                _add_evidence(doc, utterance, decision.evidence[tag], tag)
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
