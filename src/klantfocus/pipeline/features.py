"""Features for the trained tag models: what an utterance says, how, and where it stands.

Features are strings (hashed later), so that the same extractor serves training and
run time. Lexical features use lower-cased words without punctuation, so that a
speech-to-text turn and its written-out twin look alike; the question mark is a separate
feature that the training recipe makes optional by adding punctuation-free copies.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Sequence

from spacy.tokens import Span, Token

from .context import UtteranceContext, content_words
from .rules import DutchCueRules

_SECOND_PERSON = {"u", "uw", "je", "jij", "jouw", "ge", "gij", "jullie", "jou"}
_FIRST_PERSON = {"ik", "mij", "me", "mijn", "wij", "we", "ons", "onze"}
_WORD = re.compile(r"\w", re.UNICODE)
_MORPH_KEYS = ("Mood", "VerbForm", "PronType")
JARGON_SIGNAL_KEY = (
    "kf_jargon_signal"  # set by the jargon component: {utterance start: [p, start, end]}
)


def _bucket(value: float, edges: Sequence[float]) -> int:
    for i, edge in enumerate(edges):
        if value <= edge:
            return i
    return len(edges)


def words_of(span: Span) -> list[Token]:
    return [t for t in span if _WORD.search(t.text) and not t.is_space]


def utterance_features(
    span: Span, context: UtteranceContext, rules: DutchCueRules, *, with_context: bool = True
) -> list[str]:
    """Features of one agent utterance (or one clause of it, for evidence)."""
    text = span.text
    tokens = words_of(span)
    lower = [t.lower_ for t in tokens]
    feats = ["bias"]
    # Leading fillers (eh, nou, ja, dus...) say little; position features skip them.
    core_start = 0
    while core_start < len(lower) - 1 and rules.is_filler(lower[core_start]):
        core_start += 1
    core = lower[core_start:]
    feats += [f"w={w}" for w in set(lower)]
    feats += [f"b={a}_{b}" for a, b in set(itertools.pairwise(lower))]
    for n in (1, 2, 3):
        if len(core) >= n:
            feats.append(f"f{n}={'_'.join(core[:n])}")
    if lower:
        feats.append(f"l1={lower[-1]}")
    if len(lower) >= 2:
        feats.append(f"l2={lower[-2]}_{lower[-1]}")
    if span.doc.has_annotation("POS"):
        pos = [t.pos_ for t in tokens[core_start:]]
        if pos:
            feats.append(f"p1={pos[0]}")
        if len(pos) >= 2:
            feats.append(f"p12={pos[0]}_{pos[1]}")
            feats.append(f"p1w2={pos[0]}_{core[1] if len(core) > 1 else ''}")
        for token in tokens[core_start : core_start + 2]:
            feats += [
                f"morph={m}" for m in str(token.morph).split("|") if m.startswith(_MORPH_KEYS)
            ]
    feats.append(f"len={_bucket(len(lower), (2, 4, 7, 12, 20, 35))}")
    if "?" in text:
        feats.append("qmark")
    if any(w in _SECOND_PERSON for w in lower):
        feats.append("2p")
    if any(w in _FIRST_PERSON for w in lower):
        feats.append("1p")
    if any(t.like_num for t in tokens):
        feats.append("num")
    cues = {
        "open": rules.find_open_questions(text),
        "summary": rules.find_summaries(text),
        "opinion": rules.find_opinions(text),
        "solution": rules.find_solutions(text),
    }
    feats += [f"rule_{name}" for name, hits in cues.items() if hits]
    if rules.is_empathic(text):
        feats.append("rule_empathy")
    if rules.is_readback(text):
        feats.append("rule_readback")
    signal = span.doc.user_data.get(JARGON_SIGNAL_KEY, {}).get(span.start)
    if signal is not None:
        feats.append(f"jmax={_bucket(signal[0], (0.1, 0.3, 0.5, 0.7, 0.85, 0.95))}")
    if with_context:
        feats += context_features(span, context)
    return feats


def context_features(span: Span, context: UtteranceContext) -> list[str]:
    feats = []
    if context.issue is None:
        feats.append("ctx_no_issue")
    else:
        feats.append(f"ctx_issue_turn={_bucket(context.turns_since_issue_start, (1, 2, 4, 8))}")
    if context.after_customer_question:
        feats.append("ctx_after_q")
    if context.customer_words:
        words = content_words(span)
        overlap = len(words & context.customer_words)
        feats.append(f"ctx_overlap={_bucket(overlap, (0, 1, 2, 4, 7))}")
        if words:
            feats.append(f"ctx_overlap_ratio={_bucket(overlap / len(words), (0.0, 0.2, 0.4, 0.6))}")
    feats.append(f"ctx_position={_bucket(context.index, (0, 2, 5, 10, 20))}")
    feats.append(f"ctx_customer_len={_bucket(context.last_customer_length, (0, 5, 12, 25, 45))}")
    return feats


def premature_features(
    base: list[str], explored: bool, previous_solution: bool, explored_any: bool = False
) -> list[str]:
    """Solution features conjoined with the open issue's state: explored or not yet.

    ``explored`` is about the open issue; ``explored_any`` about any earlier issue, which
    helps where the issue boundaries from the context are uncertain.
    """
    state = "E" if explored else "U"
    feats = [f"{state}:{f}" for f in base if not f.startswith("ctx_")]
    feats += [f"{state}:{f}" for f in base if f.startswith("ctx_")]
    feats.append(f"state={state}")
    if explored_any:
        feats.append("explored_any")
    if previous_solution:
        feats.append("prev_agent_solution")
    return feats


def zipf_bucket(word: str, frequencies: dict[str, float]) -> str:
    value = frequencies.get(word.lower())
    return "oov" if value is None else str(math.floor(value))


_MIN_PART_ZIPF = 3.0


def plain_compound(word: str, frequencies: dict[str, float]) -> bool:
    """Whether a long word splits into two common Dutch words (badkamer+lamp).

    Compounds of everyday parts are usually clear to a customer; opaque terms are not.
    A linking -s- or -e- between the parts is allowed.
    """
    if len(word) < 8 or not word.isalpha():
        return False
    for cut in range(3, len(word) - 2):
        head, tail = word[:cut], word[cut:]
        if frequencies.get(tail, 0.0) < _MIN_PART_ZIPF:
            continue
        if frequencies.get(head, 0.0) >= _MIN_PART_ZIPF:
            return True
        if head[-1] in "se" and frequencies.get(head[:-1], 0.0) >= _MIN_PART_ZIPF:
            return True
    return False


def token_word_features(token: Token, frequencies: dict[str, float]) -> list[str]:
    """The jargon features of a token that depend on its text alone (callers may cache
    them by ``token.text``)."""
    text = token.text
    lower = token.lower_
    feats = [
        "bias",
        f"w={lower}",
        f"suf={lower[-4:]}",
        f"suf3={lower[-3:]}",
        f"suf5={lower[-5:]}",
        f"pre={lower[:3]}",
        f"shape={token.shape_}",
        f"zipf={zipf_bucket(lower, frequencies)}",
    ]
    for part in lower.split("-") if "-" in lower else []:
        feats.append(f"part_zipf={zipf_bucket(part, frequencies)}")
    if text.isupper() and len(text) > 1:
        feats.append("upper")
    if any(c.isupper() for c in text[1:]):
        feats.append("inner_upper")
    if any(c.isdigit() for c in text):
        feats.append("digit")
    if "-" in text:
        feats.append("hyphen")
    feats.append(f"len={_bucket(len(text), (2, 3, 5, 8, 12))}")
    return feats


def token_features(
    token: Token,
    frequencies: dict[str, float],
    lexicon_hit: bool,
    explained_after: bool,
    customer_said: bool = False,
    compound: bool = False,
    word_features: list[str] | None = None,
) -> list[str]:
    """Features of one token for the jargon span model.

    ``customer_said``: the customer used this word earlier in the call (then it is their
    language, not jargon); ``compound``: a long word made of two common words;
    ``word_features``: :func:`token_word_features` of the token, if the caller has them.
    The model sums hashed features, so their order does not matter.
    """
    feats = list(word_features or token_word_features(token, frequencies))
    if customer_said:
        feats.append("customer_said")
    if compound:
        feats.append("plain_compound")
    if token.doc.has_annotation("POS"):
        feats.append(f"pos={token.pos_}")
    if lexicon_hit:
        feats.append("lexicon")
    if explained_after:
        feats.append("explained")
    doc = token.doc
    prev = doc[token.i - 1] if token.i > 0 else None
    nxt = doc[token.i + 1] if token.i + 1 < len(doc) else None
    feats.append(f"prev={prev.lower_ if prev is not None else '<s>'}")
    feats.append(f"next={nxt.lower_ if nxt is not None else '</s>'}")
    if nxt is not None and nxt.like_num:
        feats.append("next_num")
    if prev is not None:
        feats.append(f"prev_zipf={zipf_bucket(prev.lower_, frequencies)}")
    return feats
