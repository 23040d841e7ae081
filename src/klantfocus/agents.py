"""The per-agent view: how each employee scores across many calls.

Input: scored transcripts with ``meta.agent_id``. Output: one row per agent with the
number of calls, the mean score with a 95% confidence interval (Student t on the call
scores), the rate of each tag per agent utterance, and the coaching theme that most
often came up in the calls' explanations.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np
from scipy import stats

from .constants import TAGS
from .errors import UnprocessableTranscript
from .transcript import Transcript

if TYPE_CHECKING:
    import pandas as pd

UNKNOWN_AGENT = "(onbekend)"

#: Short Dutch names of explanation themes, by feature and direction.
THEMES_NL: dict[tuple[str, str], str] = {
    ("rate_open_question", "+"): "stelt open vragen",
    ("rate_open_question", "-"): "stelt weinig open vragen",
    ("rate_summary", "+"): "vat samen wat de klant zegt",
    ("rate_summary", "-"): "vat zelden samen",
    ("rate_premature_solution", "+"): "verkent eerst, lost dan op",
    ("rate_premature_solution", "-"): "komt te snel met oplossingen",
    ("rate_jargon", "+"): "spreekt de taal van de klant",
    ("rate_jargon", "-"): "gebruikt vaktaal",
    ("rate_opinion", "+"): "blijft bij de feiten",
    ("rate_opinion", "-"): "geeft eigen oordeel of mening",
    ("solution_before_exploration", "+"): "verkent eerst, lost dan op",
    ("solution_before_exploration", "-"): "oplossing voordat de vraag verkend is",
    ("first_open_question_position", "+"): "vraagt vroeg door",
    ("first_open_question_position", "-"): "vraagt laat of niet door",
    ("agent_word_share", "+"): "laat de klant aan het woord",
    ("agent_word_share", "-"): "voert zelf het woord",
    ("longest_agent_turn", "+"): "korte beurten",
    ("longest_agent_turn", "-"): "lange monologen",
    ("confirmed_summary_rate", "+"): "samenvattingen bevestigd door de klant",
    ("confirmed_summary_rate", "-"): "geen bevestigde samenvattingen",
    ("unexplored_issue_share", "+"): "verkent elke vraag",
    ("unexplored_issue_share", "-"): "vragen niet verkend voor de oplossing",
    ("opinion_or_jargon_turn_share", "+"): "weinig jargon of meningen",
    ("opinion_or_jargon_turn_share", "-"): "veel jargon of meningen",
}


def mean_confidence_interval(
    scores: Iterable[float], level: float = 0.95
) -> tuple[float, float, float]:
    """Mean and a Student-t confidence interval, clipped to 0-100 (NaN bounds for n < 2)."""
    values = np.asarray(list(scores), dtype=float)
    mean = float(values.mean()) if len(values) else float("nan")
    if len(values) < 2:
        return mean, float("nan"), float("nan")
    half = float(stats.t.ppf((1 + level) / 2, len(values) - 1) * stats.sem(values))
    if not np.isfinite(half):
        half = 0.0
    return mean, max(0.0, mean - half), min(100.0, mean + half)


def agent_table(transcripts: Iterable[Transcript]) -> pd.DataFrame:
    """One row per agent, sorted by mean score (lowest first: who needs coaching).

    Raises :class:`~klantfocus.errors.UnprocessableTranscript` (a ``ValueError``)
    for a transcript without a score.
    """
    import pandas as pd

    by_agent: dict[str, list[Transcript]] = defaultdict(list)
    for transcript in transcripts:
        if transcript.mindset_score is None:
            raise UnprocessableTranscript(transcript.id, "transcript is not scored; score it first")
        by_agent[transcript.agent_id or UNKNOWN_AGENT].append(transcript)
    rows = []
    for agent, calls in by_agent.items():
        mean, low, high = mean_confidence_interval(t.mindset_score or 0.0 for t in calls)
        agent_utterances = [u for t in calls for u in t.agent_utterances]
        n_agent = max(len(agent_utterances), 1)
        themes: Counter[str] = Counter()
        for t in calls:
            for item in t.explanation or []:
                theme = THEMES_NL.get((str(item.get("feature")), str(item.get("effect"))))
                if theme:
                    themes[theme] += 1
        row = {
            "agent_id": agent,
            "calls": len(calls),
            "mean_score": round(mean, 1),
            "ci95_low": round(low, 1),
            "ci95_high": round(high, 1),
            "share_klantgericht": round(
                float(np.mean([t.mindset == "klantgericht" for t in calls])), 3
            ),
        }
        for tag in TAGS:
            row[f"rate_{tag}"] = round(
                sum(tag in (u.labels or []) for u in agent_utterances) / n_agent, 3
            )
        row["most_frequent_theme"] = themes.most_common(1)[0][0] if themes else ""
        rows.append(row)
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    return frame.sort_values(["mean_score", "agent_id"]).reset_index(drop=True)
