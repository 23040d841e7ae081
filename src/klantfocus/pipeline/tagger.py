"""The utterance tag decisions, behind one interface.

A tag model looks at one agent utterance with its conversation context and returns the
utterance-level *cues* (open question, summary, opinion, solution) with evidence. The
component then resolves ``premature_solution`` (a solution while the open issue has not
been explored), which needs the decisions on earlier turns, and adds ``jargon`` from the
jargon spans. ``RuleTagModel`` is the rule-based model (``klantfocus.rule_tag_model.v1``);
trained models implement the same :class:`TagModel` protocol.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from spacy.tokens import Span

from .context import UtteranceContext, content_words
from .rules import DutchCueRules, Hit

CUES = ("open_question", "summary", "opinion", "solution")

_SECOND_PERSON = {"u", "uw", "je", "jij", "jouw", "ge", "gij", "jullie"}
_MIN_OVERLAP = 3


@dataclass
class UtteranceCues:
    """Cue decisions for one agent utterance: evidence spans (utterance offsets) per cue."""

    evidence: dict[str, list[Hit]] = field(default_factory=dict)
    scores: dict[str, float] = field(default_factory=dict)

    def has(self, cue: str) -> bool:
        return bool(self.evidence.get(cue))


class TagModel(Protocol):
    def predict(self, utterance: Span, context: UtteranceContext) -> UtteranceCues: ...


class RuleTagModel:
    """Cue decisions from the Dutch cue rules plus word overlap for summaries."""

    def __init__(self, rules: DutchCueRules) -> None:
        self.rules = rules

    def predict(self, utterance: Span, context: UtteranceContext) -> UtteranceCues:
        text = utterance.text
        evidence: dict[str, list[Hit]] = {
            "open_question": self.rules.find_open_questions(text),
            "summary": self.rules.find_summaries(text),
            "opinion": self.rules.find_opinions(text),
            "solution": self.rules.find_solutions(text),
        }
        if not evidence["summary"] and not evidence["open_question"]:
            evidence["summary"] = self._restatement(utterance, context)
        return UtteranceCues(evidence, {k: float(bool(v)) for k, v in evidence.items()})

    def _restatement(self, utterance: Span, context: UtteranceContext) -> list[Hit]:
        """A declarative turn addressed to the customer that reuses their words."""
        if not context.customer_words or utterance.text.rstrip().endswith("?"):
            return []
        if not any(t.lower_ in _SECOND_PERSON for t in utterance):
            return []
        if self.rules.find_solutions(utterance.text):
            return []
        overlap = content_words(utterance) & context.customer_words
        if len(overlap) >= _MIN_OVERLAP:
            return [(0, len(utterance.text))]
        return []
