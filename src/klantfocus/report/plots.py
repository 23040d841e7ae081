"""Figures for notebooks and the report: score distribution, per-agent scores, tag rates.

Every function returns a :class:`matplotlib.figure.Figure` drawn on the Agg canvas. The
figures are built without ``pyplot``, so making one never changes the global backend
or leaks open figures: a notebook shows them inline as usual, and the report embeds
them as PNG ``data:`` URIs (:func:`figure_to_data_uri`). Labels are Dutch because the
figures end up in front of coaches. Colour is doubled by hatching and text.
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Iterable
from functools import lru_cache
from typing import TYPE_CHECKING

from ..constants import TAG_NAMES_NL, TAGS
from ..transcript import Transcript

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

KLANTGERICHT_COLOUR = "#0b5d99"
INNERLIJK_COLOUR = "#c24f00"
#: Tag colours, the same as the report's CSS (Okabe-Ito, darkened for contrast).
TAG_COLOURS = {
    "open_question": "#0072b2",
    "summary": "#007a5a",
    "premature_solution": "#c24f00",
    "jargon": "#a8387e",
    "opinion": "#8a6100",
}
TAG_HATCHES = {
    "open_question": "",
    "summary": "//",
    "premature_solution": "xx",
    "jargon": "..",
    "opinion": "\\\\",
}
THRESHOLD = 50.0


@lru_cache(maxsize=1)
def _figure_class() -> type[Figure]:
    """The Figure subclass of this module, made on first use (matplotlib loads lazily)."""
    from matplotlib.figure import Figure

    class NotebookFigure(Figure):
        """A Figure that shows itself in a notebook even when pyplot was never imported.

        IPython's inline backend only learns to draw figures once pyplot is imported;
        ``_repr_png_`` makes ``score_distribution_figure(scored)`` show as the last line
        of any cell.
        """

        def _repr_png_(self) -> bytes:
            buffer = io.BytesIO()
            self.savefig(buffer, format="png", dpi=100, facecolor="white")
            return buffer.getvalue()

    return NotebookFigure


def _figure(width: float, height: float) -> Figure:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    figure = _figure_class()(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def _scores(items: Iterable[Transcript] | Iterable[float]) -> list[float]:
    scores = []
    for item in items:
        value = item.mindset_score if isinstance(item, Transcript) else item
        if value is not None and math.isfinite(float(value)):
            scores.append(float(value))
    return scores


def score_distribution_figure(
    items: Iterable[Transcript] | Iterable[float], *, bins: int = 10, title: bool = True
) -> Figure:
    """Histogram of mindset scores (0-100), split at 50 into innerlijk and klantgericht.

    ``title=False`` leaves the title to the page around the figure (the report).
    """
    import numpy as np
    from matplotlib.ticker import MaxNLocator

    scores = np.asarray(_scores(items), dtype=float)
    figure = _figure(7.0, 3.2)
    axes = figure.add_subplot()
    edges = np.linspace(0, 100, bins + 1)
    counts, _ = np.histogram(scores, bins=edges)
    centres = (edges[:-1] + edges[1:]) / 2
    below = centres < THRESHOLD
    width = float(edges[1] - edges[0]) * 0.92
    n_in, n_kg = int((scores < THRESHOLD).sum()), int((scores >= THRESHOLD).sum())
    axes.bar(
        centres[below],
        counts[below],
        width=width,
        color=INNERLIJK_COLOUR,
        hatch="//",
        edgecolor="white",
        label=f"innerlijk (score < 50): {n_in}",
    )
    axes.bar(
        centres[~below],
        counts[~below],
        width=width,
        color=KLANTGERICHT_COLOUR,
        edgecolor="white",
        label=f"klantgericht (score ≥ 50): {n_kg}",
    )
    axes.axvline(THRESHOLD, color="#1f2933", linestyle="--", linewidth=1)
    axes.set_xlim(0, 100)
    axes.set_xticks(edges)
    axes.set_xlabel("mindsetscore (0 = innerlijk, 100 = klantgericht)")
    axes.set_ylabel("aantal gesprekken")
    if title:
        axes.set_title(f"Verdeling van de mindsetscore (n = {len(scores)})", loc="left")
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.spines[["top", "right"]].set_visible(False)
    # headroom above the tallest bar, so the legend never covers a bar
    axes.set_ylim(0, max(1, int(counts.max(initial=0))) * 1.3)
    axes.legend(frameon=False, loc="upper center", ncols=2)
    return figure


def _agent_frame(items: pd.DataFrame | Iterable[Transcript]) -> pd.DataFrame:
    import pandas as pd

    if isinstance(items, pd.DataFrame):
        return items
    from ..agents import agent_table

    return agent_table(items)


def agent_scores_figure(
    items: pd.DataFrame | Iterable[Transcript], *, max_agents: int = 40, title: bool = True
) -> Figure:
    """Mean score per agent with its 95% confidence interval, lowest first.

    Takes scored transcripts or an ``agent_table`` frame. With more than ``max_agents``
    agents only the lowest and highest halves are drawn (the title says so): those are
    the agents a coach looks at, and a taller figure would not be readable.
    """
    import numpy as np

    table = _agent_frame(items).sort_values(["mean_score", "agent_id"]).reset_index(drop=True)
    total = len(table)
    if total > max_agents:
        half = max_agents // 2
        table = table.iloc[list(range(half)) + list(range(total - half, total))].reset_index(
            drop=True
        )
    shown = len(table)
    figure = _figure(7.0, max(2.2, 1.3 + 0.22 * shown))
    axes = figure.add_subplot()
    positions = np.arange(shown)
    means = table["mean_score"].to_numpy(dtype=float) if shown else np.array([])
    lows = table["ci95_low"].to_numpy(dtype=float) if shown else np.array([])
    highs = table["ci95_high"].to_numpy(dtype=float) if shown else np.array([])
    has_ci = np.isfinite(lows) & np.isfinite(highs)
    for mask, colour, marker, label in (
        (means < THRESHOLD, INNERLIJK_COLOUR, "s", "gemiddeld innerlijk (< 50)"),
        (means >= THRESHOLD, KLANTGERICHT_COLOUR, "o", "gemiddeld klantgericht (≥ 50)"),
    ):
        if not mask.any():
            continue
        error = np.vstack(
            [
                np.where(has_ci & mask, means - lows, 0.0)[mask],
                np.where(has_ci & mask, highs - means, 0.0)[mask],
            ]
        )
        axes.errorbar(
            means[mask],
            positions[mask],
            xerr=error,
            fmt=marker,
            color=colour,
            ecolor=colour,
            elinewidth=1.4,
            capsize=3,
            markersize=5,
            label=label,
        )
    axes.axvline(THRESHOLD, color="#1f2933", linestyle="--", linewidth=1)
    axes.set_yticks(positions)
    calls = table["calls"].to_numpy(dtype=int) if shown else np.array([], dtype=int)
    axes.set_yticklabels([f"{a} (n={c})" for a, c in zip(table["agent_id"], calls, strict=True)])
    axes.tick_params(axis="y", labelsize=8)
    axes.set_xlim(0, 100)
    axes.set_ylim(-0.7, max(shown, 1) - 0.3)
    axes.invert_yaxis()
    axes.set_xlabel("gemiddelde mindsetscore met 95%-betrouwbaarheidsinterval")
    heading = "Score per medewerker" if title else ""
    if total > shown:
        heading += f" ({shown // 2} laagste en {shown - shown // 2} hoogste van {total})"
    if heading:
        axes.set_title(heading.strip(), loc="left")
    axes.spines[["top", "right"]].set_visible(False)
    axes.grid(axis="x", color="#e4e7eb", linewidth=0.8)
    axes.set_axisbelow(True)
    if shown:
        figure.legend(frameon=False, loc="outside lower center", ncols=2, fontsize=8)
    return figure


def tag_rates(transcripts: Iterable[Transcript]) -> dict[str, dict[str, float]]:
    """Per tag: agent utterances with it, their share, and conversations with it."""
    items = list(transcripts)
    agent_turns = [u for t in items for u in t.agent_utterances]
    n_turns = max(len(agent_turns), 1)
    out = {}
    for tag in TAGS:
        turns = sum(tag in (u.labels or []) for u in agent_turns)
        conversations = sum(any(tag in (u.labels or []) for u in t.utterances) for t in items)
        out[tag] = {
            "turns": turns,
            "turn_rate": turns / n_turns,
            "conversations": conversations,
            "conversation_rate": conversations / max(len(items), 1),
        }
    return out


def tag_rates_figure(transcripts: Iterable[Transcript]) -> Figure:
    """Share of agent utterances with each tag (bars named in Dutch, coloured and hatched)."""
    rates = tag_rates(transcripts)
    figure = _figure(7.0, 2.6)
    axes = figure.add_subplot()
    names = [TAG_NAMES_NL[tag] for tag in TAGS]
    values = [100 * rates[tag]["turn_rate"] for tag in TAGS]
    bars = axes.barh(
        names,
        values,
        color=[TAG_COLOURS[t] for t in TAGS],
        edgecolor="white",
    )
    for bar, tag, value in zip(bars, TAGS, values, strict=True):
        bar.set_hatch(TAG_HATCHES[tag])
        axes.text(
            value + 0.5,
            bar.get_y() + bar.get_height() / 2,
            f"{value:.1f}%",
            va="center",
            fontsize=9,
        )
    axes.invert_yaxis()
    axes.set_xlim(0, max([*values, 10.0]) * 1.18)
    axes.set_xlabel("% van de beurten van de medewerker")
    axes.set_title("Hoe vaak komt elke tag voor?", loc="left")
    axes.spines[["top", "right"]].set_visible(False)
    return figure


def figure_to_data_uri(figure: Figure, *, dpi: int = 150) -> str:
    """The figure as a ``data:image/png;base64,...`` URI (the report makes no requests)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, facecolor="white")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
