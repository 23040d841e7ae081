"""Explanations a coach can act on: the features that moved a score, in Dutch.

Each explanation item names the feature, its value, whether it pushed the score towards
``klantgericht`` (``+``) or ``innerlijk`` (``-``), its weight in log-odds, a Dutch
sentence, and the (1-based) turns behind it.
"""

from __future__ import annotations

from typing import Any

from ..transcript import Transcript

TOP_N = 3


def _turns(transcript: Transcript, tag: str) -> list[int]:
    return [
        i + 1 for i, u in enumerate(transcript.utterances) if u.is_agent and tag in (u.labels or [])
    ]


def _list(turns: list[int], limit: int = 4) -> str:
    shown = ", ".join(str(t) for t in turns[:limit])
    more = f" en {len(turns) - limit} meer" if len(turns) > limit else ""
    return f"beurt {shown}{more}" if len(turns) == 1 else f"beurten {shown}{more}"


def _times(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _jargon_words(transcript: Transcript, limit: int = 3) -> list[str]:
    words: list[str] = []
    for u in transcript.utterances:
        for s in u.spans:
            if s.label == "jargon":
                word = u.text[s.start : s.end]
                if word.lower() not in (w.lower() for w in words):
                    words.append(word)
    return words[:limit]


def describe(
    feature: str, value: float, towards_customer: bool, transcript: Transcript
) -> tuple[str, list[int]]:
    """A Dutch sentence for one feature of one transcript, and the turns behind it."""
    agent_turns = [i + 1 for i, u in enumerate(transcript.utterances) if u.is_agent]
    if feature.startswith("rate_"):
        tag = feature[len("rate_") :]
        turns = _turns(transcript, tag)
        n = len(turns)
        if tag == "open_question":
            if n == 0:
                return (
                    "Geen open vragen gesteld: de klant kreeg weinig ruimte om het eigen verhaal te doen.",
                    [],
                )
            return f"Stelde {_times(n, 'open vraag', 'open vragen')} ({_list(turns)}).", turns
        if tag == "summary":
            if n == 0:
                return (
                    "Vatte niet samen wat de klant zei, dus checkte niet of de vraag goed begrepen was.",
                    [],
                )
            return (
                f"Vatte {_times(n, 'keer', 'keer')} samen wat de klant zei ({_list(turns)}).",
                turns,
            )
        if tag == "premature_solution":
            if n == 0:
                return "Kwam niet met oplossingen voordat de vraag van de klant verkend was.", []
            return (
                f"{_times(n, 'voorbarige oplossing', 'voorbarige oplossingen')}, voordat de vraag van de "
                f"klant verkend was ({_list(turns)}).",
                turns,
            )
        if tag == "jargon":
            if n == 0:
                return "Sprak de taal van de klant: geen onuitgelegde vaktaal.", []
            words = ", ".join(f"'{w}'" for w in _jargon_words(transcript))
            detail = f": {words}" if words else ""
            return f"Gebruikte vaktaal die de klant niet kent{detail} ({_list(turns)}).", turns
        if tag == "opinion":
            if n == 0:
                return "Gaf geen eigen oordeel over de klant of de situatie.", []
            return (
                f"Gaf {_times(n, 'keer', 'keer')} een eigen mening of oordeel ({_list(turns)}).",
                turns,
            )
    if feature == "solution_before_exploration":
        solution = _turns(transcript, "premature_solution")
        if value and solution:
            return (
                f"Eerste oplossing al in beurt {solution[0]}, voordat er een open vraag of "
                "samenvatting was.",
                solution[:1],
            )
        return "Verkende eerst de vraag van de klant voordat er een oplossing kwam.", []
    if feature == "first_open_question_position":
        turns = _turns(transcript, "open_question")
        if not turns:
            return "Er kwam in het hele gesprek geen open vraag.", []
        word = "al" if towards_customer else "pas"
        return f"Eerste open vraag {word} in beurt {turns[0]}.", turns[:1]
    if feature == "agent_word_share":
        pct = round(100 * value)
        if towards_customer:
            return f"De klant kreeg de ruimte: de medewerker sprak {pct}% van de woorden.", []
        return f"De medewerker voerde het woord: {pct}% van alle woorden.", []
    if feature == "longest_agent_turn":
        lengths = [
            (len(u.text.split()), i + 1) for i, u in enumerate(transcript.utterances) if u.is_agent
        ]
        n_words, turn = max(lengths, default=(0, 0))
        if towards_customer:
            return f"Korte beurten: de langste beurt van de medewerker telde {n_words} woorden.", [
                turn
            ]
        return f"Lange monoloog van de medewerker: {n_words} woorden in beurt {turn}.", [turn]
    if feature == "confirmed_summary_rate":
        turns = _turns(transcript, "summary")
        if towards_customer and value > 0:
            return "De klant bevestigde een samenvatting ('ja, precies').", turns
        return "Geen samenvatting die de klant bevestigde.", []
    if feature == "unexplored_issue_share":
        pct = round(100 * value)
        if towards_customer:
            return "Oplossingen kwamen pas nadat de vraag verkend was.", []
        return f"{pct}% van de oplossingen kwam zonder dat de vraag eerst verkend was.", _turns(
            transcript, "premature_solution"
        )
    if feature == "opinion_or_jargon_turn_share":
        pct = round(100 * value)
        turns = sorted(set(_turns(transcript, "opinion")) | set(_turns(transcript, "jargon")))
        if towards_customer:
            return "Bijna geen beurten met jargon of een eigen mening.", []
        return f"{pct}% van de beurten bevatte jargon of een eigen mening.", turns
    return f"{feature} = {value:.2f}", agent_turns[:0]


def explain(
    transcript: Transcript,
    feature_names: list[str],
    values: list[float],
    contributions: list[float],
    top_n: int = TOP_N,
) -> list[dict[str, Any]]:
    """The ``top_n`` features with the largest effect on this transcript's score."""
    order = sorted(range(len(feature_names)), key=lambda j: -abs(contributions[j]))
    items: list[dict[str, Any]] = []
    seen_texts: set[str] = set()
    for j in order:
        if len(items) >= top_n or abs(contributions[j]) < 1e-9:
            break
        towards_customer = contributions[j] > 0
        text, turns = describe(feature_names[j], values[j], towards_customer, transcript)
        if text in seen_texts:
            continue
        seen_texts.add(text)
        items.append(
            {
                "feature": feature_names[j],
                "value": round(float(values[j]), 4),
                "effect": "+" if towards_customer else "-",
                "weight": round(float(contributions[j]), 4),
                "text": text,
                "turns": turns,
            }
        )
    return items
