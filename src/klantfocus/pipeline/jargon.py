"""Finding jargon spans: a curated lexicon, code-like patterns and unexplained acronyms.

A candidate is dropped when the agent explains it in the same utterance ("de ONT, dat is
het witte kastje"), because the codebook only counts jargon the customer is left with.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from .rules import Hit

_ACRONYM = re.compile(r"(?<![\w-])([A-Z][A-Za-z]*[A-Z][A-Za-z0-9]*|[A-Z]{2,})(?:-[\w]+)*(?![\w])")
_EXPLANATION_WINDOW = 60


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
