"""The utterance tag decisions, behind one interface.

A tag model reads a conversation Doc with its context and decides, for every agent
utterance, which of ``open_question``, ``summary``, ``premature_solution`` and
``opinion`` apply, each with evidence (character spans relative to the utterance).
``jargon`` follows from the jargon spans and is added by the component.

- :class:`RuleTagModel` (``klantfocus.rule_tag_model.v1``): the Dutch cue rules.
- :class:`TrainedTagModel`: linear models trained on the annotated corpus, with the
  rule cues among their features. Open question, summary and opinion are decided per
  utterance; ``premature_solution`` is then decided in conversation order, knowing
  whether the open issue was already explored by a predicted open question or summary.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np
from spacy.tokens import Doc, Span

from ..constants import AGENT
from .context import UtteranceContext, content_words
from .features import JARGON_SIGNAL_KEY, premature_features, utterance_features
from .linear import HashedLinearModel, sigmoid
from .rules import DutchCueRules, Hit

_SECOND_PERSON = {"u", "uw", "je", "jij", "jouw", "ge", "gij", "jullie"}
_MIN_OVERLAP = 3
UTTERANCE_TAGS = ("open_question", "summary", "opinion", "jargon")


@dataclass
class UtteranceDecision:
    """Tags of one utterance with their evidence (utterance-relative character spans)."""

    evidence: dict[str, list[Hit]] = field(default_factory=dict)

    @property
    def tags(self) -> list[str]:
        return [tag for tag, hits in self.evidence.items() if hits]


class TagModel(Protocol):
    def tag_conversation(
        self, doc: Doc, utterances: Sequence[Span], contexts: Sequence[UtteranceContext]
    ) -> list[UtteranceDecision | None]: ...


def _clause_spans(utterance: Span, rules: DutchCueRules) -> list[tuple[Hit, Span]]:
    out = []
    for clause in rules.clauses(utterance.text):
        span = utterance.doc.char_span(
            utterance.start_char + clause.start,
            utterance.start_char + clause.end,
            alignment_mode="expand",
        )
        if span is not None and len(span):
            out.append(((clause.start, clause.end), span))
    return out


class RuleTagModel:
    """Cue decisions from the Dutch cue rules plus word overlap for summaries."""

    def __init__(self, rules: DutchCueRules) -> None:
        self.rules = rules

    def tag_conversation(
        self, doc: Doc, utterances: Sequence[Span], contexts: Sequence[UtteranceContext]
    ) -> list[UtteranceDecision | None]:
        explored: set[int | None] = set()
        out: list[UtteranceDecision | None] = []
        for utterance, context in zip(utterances, contexts, strict=True):
            if utterance.label_ != AGENT:
                out.append(None)
                continue
            text = utterance.text
            evidence: dict[str, list[Hit]] = {
                "open_question": self.rules.find_open_questions(text),
                "summary": self.rules.find_summaries(text),
                "opinion": self.rules.find_opinions(text),
            }
            if not evidence["summary"] and not evidence["open_question"]:
                evidence["summary"] = self._restatement(utterance, context)
            solution = self.rules.find_solutions(text)
            premature = (
                context.issue is not None
                and context.issue not in explored
                and not context.after_customer_question
            )
            evidence["premature_solution"] = solution if premature else []
            if evidence["open_question"] or evidence["summary"]:
                explored.add(context.issue)
            out.append(UtteranceDecision(evidence))
        return out

    def _restatement(self, utterance: Span, context: UtteranceContext) -> list[Hit]:
        """A declarative turn addressed to the customer that reuses their words."""
        if not context.customer_words or utterance.text.rstrip().endswith("?"):
            return []
        if not any(t.lower_ in _SECOND_PERSON for t in utterance):
            return []
        if self.rules.find_solutions(utterance.text):
            return []
        overlap = content_words(utterance) & context.customer_words
        return [(0, len(utterance.text))] if len(overlap) >= _MIN_OVERLAP else []


class TrainedTagModel:
    """Linear tag models trained on the corpus (see ``scripts/train_tagger.py``)."""

    UTTERANCE_DIR = "utterance"
    PREMATURE_DIR = "premature"

    def __init__(
        self,
        rules: DutchCueRules,
        utterance_model: HashedLinearModel,
        premature_model: HashedLinearModel,
    ) -> None:
        self.rules = rules
        self.utterance_model = utterance_model
        self.premature_model = premature_model

    def tag_conversation(
        self, doc: Doc, utterances: Sequence[Span], contexts: Sequence[UtteranceContext]
    ) -> list[UtteranceDecision | None]:
        agent = [i for i, u in enumerate(utterances) if u.label_ == AGENT]
        base = {i: utterance_features(utterances[i], contexts[i], self.rules) for i in agent}
        probabilities = self.utterance_model.probabilities([base[i] for i in agent])
        decided = self.utterance_model.decide(probabilities)
        # premature_solution depends on decisions about earlier turns, but its score is
        # linear: score both issue states for all turns in one batch, then add the
        # weights of the two order-dependent flags while walking the conversation.
        unexplored = self.premature_model.logits(
            [premature_features(base[i], False, False) for i in agent]
        )[:, 0]
        explored_logits = self.premature_model.logits(
            [premature_features(base[i], True, False) for i in agent]
        )[:, 0]
        w_any = float(self.premature_model.feature_weights("explored_any")[0])
        w_previous = float(self.premature_model.feature_weights("prev_agent_solution")[0])
        threshold = float(self.premature_model.thresholds[0])
        out: list[UtteranceDecision | None] = [None] * len(utterances)
        explored: set[int | None] = set()
        previous_solution = False
        for row, i in enumerate(agent):
            utterance, context = utterances[i], contexts[i]
            evidence = self._evidence(utterance, context, decided[row])
            state_explored = context.issue in explored
            logit = explored_logits[row] if state_explored else unexplored[row]
            logit += w_any * bool(explored) + w_previous * previous_solution
            premature = bool(sigmoid(np.asarray(logit)) >= threshold)
            evidence["premature_solution"] = (
                self._premature_evidence(
                    utterance, context, state_explored, previous_solution, bool(explored)
                )
                if premature
                else []
            )
            previous_solution = premature or bool(self.rules.find_solutions(utterance.text))
            if evidence.get("open_question") or evidence.get("summary"):
                explored.add(context.issue)
            out[i] = UtteranceDecision(evidence)
        return out

    def _evidence(
        self, utterance: Span, context: UtteranceContext, decided: np.ndarray
    ) -> dict[str, list[Hit]]:
        """Evidence of each decided tag: the clause that, on its own, scores highest for
        the tag (the whole turn if it has one clause); no evidence for the other tags.

        For ``jargon``: the strongest token of the jargon span model."""
        labels = self.utterance_model.labels
        evidence: dict[str, list[Hit]] = {tag: [] for tag in labels}
        whole = [(0, len(utterance.text))]
        clause_tags = [j for j, tag in enumerate(labels) if decided[j] and tag != "jargon"]
        if "jargon" in labels and decided[labels.index("jargon")]:
            signal = utterance.doc.user_data.get(JARGON_SIGNAL_KEY, {}).get(utterance.start)
            has_span = signal is not None and signal[2] > signal[1]
            evidence["jargon"] = [(int(signal[1]), int(signal[2]))] if has_span else whole
        if not clause_tags:
            return evidence
        clauses = _clause_spans(utterance, self.rules)
        if len(clauses) <= 1:
            for j in clause_tags:
                evidence[labels[j]] = whole
            return evidence
        # One scoring of the clauses serves every decided tag.
        scores = self.utterance_model.probabilities(
            [utterance_features(span, context, self.rules) for _, span in clauses]
        )
        for j in clause_tags:
            evidence[labels[j]] = [clauses[int(scores[:, j].argmax())][0]]
        return evidence

    def _premature_evidence(
        self,
        utterance: Span,
        context: UtteranceContext,
        explored: bool,
        previous: bool,
        explored_any: bool,
    ) -> list[Hit]:
        rule_hits = self.rules.find_solutions(utterance.text)
        if rule_hits:
            return rule_hits
        clauses = _clause_spans(utterance, self.rules)
        if len(clauses) <= 1:
            return [(0, len(utterance.text))]
        feats = [
            premature_features(
                utterance_features(span, context, self.rules), explored, previous, explored_any
            )
            for _, span in clauses
        ]
        best = int(self.premature_model.probabilities(feats)[:, 0].argmax())
        return [clauses[best][0]]

    def to_disk(self, directory: Path) -> None:
        self.utterance_model.to_disk(directory / self.UTTERANCE_DIR)
        self.premature_model.to_disk(directory / self.PREMATURE_DIR)

    @classmethod
    def from_disk(cls, directory: Path, rules: DutchCueRules) -> TrainedTagModel:
        return cls(
            rules,
            HashedLinearModel.from_disk(directory / cls.UTTERANCE_DIR),
            HashedLinearModel.from_disk(directory / cls.PREMATURE_DIR),
        )
