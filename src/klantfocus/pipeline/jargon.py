"""Finding jargon spans: a curated lexicon, code-like patterns and unexplained acronyms.

A candidate is dropped when the agent explains it in the same utterance ("de ONT, dat is
het witte kastje"), because the codebook only counts jargon the customer is left with.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from .rules import Hit

_ACRONYM = re.compile(r"(?<![\w-])([A-Z][A-Za-z]*[A-Z][A-Za-z0-9]*|[A-Z]{2,})(?:-[\w]+)*(?![\w])")
_EXPLANATION_WINDOW = 60
_WORD_CACHE_SIZE = 20_000  # word-level feature lists kept per jargon model


class JargonFinder:
    def __init__(self, table: Mapping[str, Any]) -> None:
        terms = sorted({t for t in table["jargon_lexicon"] if t.strip()}, key=len, reverse=True)
        self.terms = terms
        self._lexicon = re.compile(
            r"(?<![\w-])(?:" + "|".join(re.escape(t) for t in terms) + r")(?![\w])", re.IGNORECASE
        )
        self._patterns = re.compile(
            r"(?<![\w-])(?:"
            + "|".join(f"(?:{p})" for p in table["jargon_patterns"])
            + r")(?![\w])",
            re.IGNORECASE,
        )
        self._explanation = re.compile(
            "|".join(f"(?:{p})" for p in table["jargon_explanation_markers"]), re.IGNORECASE
        )
        self._whitelist = {w.lower() for w in table["jargon_acronym_whitelist"]}

    def candidates(self, text: str) -> list[Hit]:
        hits: list[Hit] = [m.span() for m in self._lexicon.finditer(text)]
        hits += [m.span() for m in self._patterns.finditer(text)]
        for match in _ACRONYM.finditer(text):
            head = match.group(1)
            if head.lower() in self._whitelist or len(head) > 8:
                continue
            if head.isupper() and len(head) == 1:
                continue
            hits.append(match.span())
        return _merge(hits)

    def explained(self, text: str, hit: Hit) -> bool:
        window = text[hit[1] : hit[1] + _EXPLANATION_WINDOW]
        return bool(
            self._explanation.match(window.lstrip(" ")) or self._explanation.search(window[:25])
        )

    def find(self, text: str) -> list[Hit]:
        return [h for h in self.candidates(text) if not self.explained(text, h)]


def _merge(hits: Iterable[Hit]) -> list[Hit]:
    """Overlapping candidates become one span (the longest cover)."""
    merged: list[list[int]] = []
    for start, end in sorted(hits):
        if merged and start < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(s, e) for s, e in merged]


class JargonTokenModel:
    """Token-level jargon classifier; contiguous jargon tokens form one span.

    Its features include the rule candidates above, an unexplained-term cue and the
    word's frequency in general Dutch (a table shipped with the model), so that it can
    flag unfamiliar internal words that are not in the lexicon.
    """

    MODEL_DIR = "token_model"
    FREQUENCIES_FILE = "frequencies.tsv.gz"

    def __init__(self, finder: JargonFinder, model: Any, frequencies: dict[str, float]) -> None:
        self.finder = finder
        self.model = model
        self.frequencies = frequencies
        self._compounds: dict[str, bool] = {}
        # Word-level features by token text: most tokens of a call are frequent words
        # seen before. Bounded, so a long batch run does not grow it without end.
        self._word_features: dict[str, list[str]] = {}

    def token_feature_lists(
        self, utterance: Any, customer_words: frozenset[str] = frozenset()
    ) -> list[list[str]]:
        from .features import plain_compound, token_features, token_word_features

        text = utterance.text
        base = utterance.start_char
        candidates = self.finder.candidates(text)
        lists = []
        for token in utterance:
            start, end = token.idx - base, token.idx - base + len(token.text)
            hit = next(((s, e) for s, e in candidates if s < end and start < e), None)
            explained = hit is not None and self.finder.explained(text, hit)
            lower = token.lower_
            compound = self._compounds.get(lower)
            if compound is None:
                compound = self._compounds[lower] = plain_compound(lower, self.frequencies)
            words = self._word_features.get(token.text)
            if words is None:
                if len(self._word_features) >= _WORD_CACHE_SIZE:
                    self._word_features.clear()
                words = token_word_features(token, self.frequencies)
                self._word_features[token.text] = words
            lists.append(
                token_features(
                    token,
                    self.frequencies,
                    hit is not None,
                    explained,
                    lower in customer_words and len(lower) > 3,
                    compound,
                    words,
                )
            )
        return lists

    def find(self, utterance: Any) -> list[Hit]:
        return self.find_many([utterance])[0]

    def find_many(
        self, utterances: list[Any], customer_words: list[frozenset[str]] | None = None
    ) -> list[list[Hit]]:
        """Spans per utterance; all tokens of all utterances are scored in one batch.

        ``customer_words``: per utterance, the words the customer said before it.
        """
        return [spans for spans, _, _ in self.score_many(utterances, customer_words)]

    def score_many(
        self, utterances: list[Any], customer_words: list[frozenset[str]] | None = None
    ) -> list[tuple[list[Hit], float, Hit | None]]:
        """Per utterance: jargon spans, the highest token probability and that token."""
        feature_lists: list[list[str]] = []
        for i, utterance in enumerate(utterances):
            feature_lists.extend(
                self.token_feature_lists(
                    utterance, customer_words[i] if customer_words else frozenset()
                )
            )
        probabilities = (
            self.model.probabilities(feature_lists)[:, 0]
            if feature_lists
            else np.zeros(0, dtype=np.float32)
        )
        positive = probabilities >= self.model.thresholds[0]
        out, offset = [], 0
        for utterance in utterances:
            n = len(utterance)
            spans = self._spans(utterance, positive[offset : offset + n])
            best: Hit | None = None
            top = 0.0
            if n:
                k = int(probabilities[offset : offset + n].argmax())
                top = float(probabilities[offset + k])
                token = utterance[k]
                best = (
                    token.idx - utterance.start_char,
                    token.idx - utterance.start_char + len(token.text),
                )
            out.append((spans, top, best))
            offset += n
        return out

    def _spans(self, utterance: Any, positive: Any) -> list[Hit]:
        tokens = list(utterance)
        base = utterance.start_char
        spans: list[Hit] = []
        current: list[int] | None = None
        for token, is_jargon in zip(tokens, positive, strict=True):
            if is_jargon and not token.is_punct and not token.is_space:
                start, end = token.idx - base, token.idx - base + len(token.text)
                if current is not None and start - current[1] <= 1:
                    current[1] = end
                else:
                    if current is not None:
                        spans.append((current[0], current[1]))
                    current = [start, end]
            elif not (token.text == "-" and current is not None):
                if current is not None:
                    spans.append((current[0], current[1]))
                current = None
        if current is not None:
            spans.append((current[0], current[1]))
        return spans

    def to_disk(self, directory: Any) -> None:
        import gzip
        from pathlib import Path

        directory = Path(directory)
        self.model.to_disk(directory / self.MODEL_DIR)
        text = "".join(f"{word}\t{zipf:.1f}\n" for word, zipf in self.frequencies.items())
        # mtime=0: the same table gives the same bytes, so a retrained model does not
        # show a changed frequency file.
        (directory / self.FREQUENCIES_FILE).write_bytes(
            gzip.compress(text.encode("utf-8"), mtime=0)
        )

    @classmethod
    def from_disk(cls, directory: Any, finder: JargonFinder) -> JargonTokenModel:
        import gzip
        from pathlib import Path

        from .linear import HashedLinearModel

        directory = Path(directory)
        frequencies: dict[str, float] = {}
        with gzip.open(directory / cls.FREQUENCIES_FILE, "rt", encoding="utf-8") as handle:
            for line in handle:
                word, _, zipf = line.rstrip("\n").partition("\t")
                frequencies[word] = float(zipf)
        return cls(finder, HashedLinearModel.from_disk(directory / cls.MODEL_DIR), frequencies)
