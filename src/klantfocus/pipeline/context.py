"""Conversation context, computed once per transcript and shared by the tag decisions.

For every utterance: who speaks, which customer issue is open (a new issue starts at
the customer's first substantive turn and at turns such as "ik heb nog een vraag"),
whether the customer's last turn was a question, and the content words the customer
has used on the open issue so far (to recognise a summary by what it restates).
Only the conversation up to the utterance is used, never what comes after it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from spacy.lang.nl.stop_words import STOP_WORDS
from spacy.tokens import Doc, Span

from ..constants import AGENT, CUSTOMER
from .extensions import utterance_spans
from .rules import DutchCueRules

_CONTENT_POS = {"NOUN", "VERB", "ADJ", "PROPN", "NUM", "ADV"}
_MIN_ISSUE_TOKENS = 5


@dataclass
class UtteranceContext:
    index: int
    speaker: str
    issue: int | None  # index of the open customer issue, None before the first one
    turns_since_issue_start: int
    after_customer_question: bool  # the customer's last turn asked something
    customer_words: frozenset[str] = field(default_factory=frozenset)
    last_customer_length: int = 0  # words in the customer's last turn (still explaining?)


def content_words(span: Span) -> set[str]:
    """Lower-cased lemmas (or forms) of content words, for overlap between turns."""
    doc = span.doc
    has_pos = doc.has_annotation("POS")
    has_lemma = doc.has_annotation("LEMMA")
    words = set()
    for token in span:
        if not token.is_alpha or token.lower_ in STOP_WORDS or len(token) < 3:
            continue
        if has_pos and token.pos_ not in _CONTENT_POS:
            continue
        words.add((token.lemma_ if has_lemma and token.lemma_ else token.text).lower())
    return words


def conversation_context(doc: Doc, rules: DutchCueRules) -> list[UtteranceContext]:
    contexts: list[UtteranceContext] = []
    issue: int | None = None
    issue_start = 0
    words: set[str] = set()
    last_customer_question = False
    last_customer_length = 0
    for index, span in enumerate(utterance_spans(doc)):
        speaker = span.label_
        if speaker == CUSTOMER:
            text = span.text
            substantive = sum(1 for t in span if t.is_alpha) >= _MIN_ISSUE_TOKENS
            if (issue is None and substantive) or (
                issue is not None and rules.opens_new_issue(text)
            ):
                issue = 0 if issue is None else issue + 1
                issue_start = index
                words = set()
            if issue is not None:
                words |= content_words(span)
            last_customer_question = rules.is_customer_question(text)
            last_customer_length = sum(1 for t in span if t.is_alpha)
        contexts.append(
            UtteranceContext(
                index=index,
                speaker=speaker,
                issue=issue,
                turns_since_issue_start=index - issue_start if issue is not None else index,
                after_customer_question=last_customer_question and speaker == AGENT,
                customer_words=frozenset(words),
                last_customer_length=last_customer_length,
            )
        )
    return contexts
