"""Visual output: a conversation in a notebook, the HTML report, and the figures.

- :class:`ConversationView` and :func:`display`: one conversation as a chat timeline with
  its tags, evidence and mindset gauge, in a notebook.
- :func:`render_report` / :func:`write_report`: one self-contained HTML file with an
  overview and a section per conversation (also ``klantfocus report IN -o report.html``).
- :func:`score_distribution_figure`, :func:`agent_scores_figure`,
  :func:`tag_rates_figure`: matplotlib figures for notebooks and the report.
- :func:`transcripts_from_frame`: scored transcripts back from the batch output.
"""

from .conversation import ConversationView, display, render_conversation
from .document import render_report, write_report
from .frames import transcripts_from_frame
from .plots import (
    agent_scores_figure,
    figure_to_data_uri,
    score_distribution_figure,
    tag_rates,
    tag_rates_figure,
)

__all__ = [
    "ConversationView",
    "agent_scores_figure",
    "display",
    "figure_to_data_uri",
    "render_conversation",
    "render_report",
    "score_distribution_figure",
    "tag_rates",
    "tag_rates_figure",
    "transcripts_from_frame",
    "write_report",
]
