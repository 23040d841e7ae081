"""Dutch cue rules: the rule-based evidence behind each tag (``klantfocus.dutch_rules.v1``).

The rules work on utterance text (so they also work on a bare tokeniser) and return
character spans relative to the utterance, which become the evidence of a tag. They are
data (a JSON table of patterns in ``resources/rules_nl.json``) compiled here; the
components save the table with the pipeline, so a shipped model keeps its rules.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

import spacy

Hit = tuple[int, int]

_SPLIT = re.compile(r"[^.?!;\n]+[.?!;]*")


def default_rules() -> dict[str, Any]:
    """The shipped Dutch rule table."""
    text = (
        resources.files("klantfocus.pipeline")
        .joinpath("resources/rules_nl.json")
        .read_text("utf-8")
    )
    return json.loads(text)


@spacy.registry.misc("klantfocus.dutch_rules.v1")
def make_default_rules() -> dict[str, Any]:
    return default_rules()


def _alternation(patterns: Iterable[str]) -> re.Pattern[str]:
    body = "|".join(f"(?:{p})" for p in patterns)
    return re.compile(rf"(?<!\w)(?:{body})(?!\w)", re.IGNORECASE)


def _anchored(patterns: Iterable[str]) -> re.Pattern[str]:
    body = "|".join(f"(?:{p})" for p in patterns)
    return re.compile(rf"^(?:{body})", re.IGNORECASE)


@dataclass
class Clause:
    """A sentence-like piece of an utterance: offsets into the utterance text."""

    start: int
    end: int
    text: str
    core_start: int  # where the clause starts once leading fillers are skipped

    @property
    def core(self) -> str:
        return self.text[self.core_start - self.start :]

    @property
    def is_question(self) -> bool:
        return self.text.rstrip().endswith("?")


class DutchCueRules:
    """Compiled cue patterns. Each ``find_*`` method returns evidence spans (may be empty)."""

    def __init__(self, table: Mapping[str, Any]) -> None:
        self.table = dict(table)
        t = self.table
        self._fillers = re.compile(
            r"^(?:\s*(?:" + "|".join(t["fillers"]) + r")\b[\s,.:!-]*)+", re.IGNORECASE
        )
        self._filler_word = re.compile(r"^(?:" + "|".join(t["fillers"]) + r")$", re.IGNORECASE)
        self._wh_open = _anchored(f"{w}\\b" for w in t["wh_open"])
        self._wh_closed = _anchored(
            f"(?:{w})\\s+(?:{c})" for w in t["wh_open"] for c in t["wh_closed_after"]
        )
        self._fact_nouns = re.compile(
            r"\b(postcode|adres|klantnummer|telefoonnummer|geboortedatum|e-?mailadres|"
            r"rekeningnummer|iban|ordernummer|kenteken|polisnummer|bsn|huisnummer|"
            r"relatienummer|contractnummer|zaaknummer|ticketnummer|naam)\b",
            re.IGNORECASE,
        )
        self._invitation = _alternation(t["open_invitations"])
        self._q_exclusion = re.compile(
            "|".join(f"(?:{p})" for p in t["question_exclusions"]), re.IGNORECASE
        )
        self._routine = _anchored(t["open_question_exclusions_routine"])
        self._summary = _alternation(m.rstrip() for m in t["summary_markers"])
        self._readback = re.compile(t["readback"], re.IGNORECASE)
        self._opinion = _alternation(t["opinion_markers"])
        self._hoor_needs = re.compile(rf"\b{t['opinion_hoor_needs']}\b", re.IGNORECASE)
        self._empathy = _alternation(t["empathy_markers"])
        self._solution = _alternation(t["solution_markers"])
        self._imperative = _anchored(t["imperative_markers"])
        self._request = _anchored(t["request_markers"])
        self._new_issue = _alternation(t["new_issue_markers"])
        self._customer_question = re.compile(t["customer_question"], re.IGNORECASE)

    # -- clauses ---------------------------------------------------------------------------

    def clauses(self, text: str) -> list[Clause]:
        out = []
        for match in _SPLIT.finditer(text):
            piece = match.group()
            if not piece.strip():
                continue
            lead = len(piece) - len(piece.lstrip())
            start = match.start() + lead
            body = piece.strip()
            filler = self._fillers.match(body)
            skip = filler.end() if filler else 0
            if skip >= len(body):
                skip = 0
            out.append(Clause(start, start + len(body), body, start + skip))
        return out

    # -- tags ------------------------------------------------------------------------------

    def find_open_questions(self, text: str) -> list[Hit]:
        hits = []
        for clause in self.clauses(text):
            core = clause.core
            if self._q_exclusion.search(core) or self._routine.match(core):
                continue
            invitation = self._invitation.search(core)
            if invitation:
                hits.append((clause.start, clause.end))
                continue
            if self._wh_open.match(core) and not self._wh_closed.match(core):
                if self._fact_nouns.search(core) or self._request.match(core):
                    continue
                hits.append((clause.start, clause.end))
        return hits

    def find_summaries(self, text: str) -> list[Hit]:
        hits = []
        for clause in self.clauses(text):
            if self._readback.match(clause.core.strip()):
                continue
            if self._summary.search(clause.text):
                hits.append((clause.start, clause.end))
        return hits

    def find_opinions(self, text: str) -> list[Hit]:
        hits = []
        for clause in self.clauses(text):
            empathic = bool(self._empathy.search(clause.text))
            for match in self._opinion.finditer(clause.text):
                marker = match.group().lower()
                if marker.strip(" .!") in ("hoor", "he", "hè") and not self._hoor_needs.search(
                    clause.text
                ):
                    continue
                if empathic and not marker.startswith(("ik vind", "vind ik", "eerlijk")):
                    continue
                hits.append((clause.start + match.start(), clause.start + match.end()))
        return hits

    def find_solutions(self, text: str) -> list[Hit]:
        hits = []
        for clause in self.clauses(text):
            core = clause.core
            if self._request.match(core) or self._fact_nouns.search(core):
                continue
            if clause.is_question and not re.match(r"(zal|zullen|mag|wilt u dat)", core, re.I):
                continue
            match = self._solution.search(clause.text)
            if match:
                hits.append((clause.start + match.start(), clause.start + match.end()))
                continue
            imperative = self._imperative.match(core)
            if imperative:
                hits.append((clause.core_start, clause.core_start + imperative.end()))
        return hits

    def is_filler(self, word: str) -> bool:
        return bool(self._filler_word.match(word))

    def is_empathic(self, text: str) -> bool:
        return bool(self._empathy.search(text))

    def is_readback(self, text: str) -> bool:
        return bool(self._readback.match(text.strip()))

    def opens_new_issue(self, text: str) -> bool:
        return bool(self._new_issue.search(text))

    def is_customer_question(self, text: str) -> bool:
        clauses = self.clauses(text)
        if not clauses:
            return False
        last = clauses[-1]
        return bool(self._customer_question.search(last.core.strip()))
