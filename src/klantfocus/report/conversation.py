"""One conversation as HTML: a chat timeline with tags, evidence and the mindset gauge.

The same fragment is used in a notebook (:class:`ConversationView` has ``_repr_html_``)
and in the full report. Every piece of transcript text is escaped here, at the one place
where text becomes markup, so neither the notebook nor the report can be made to run a
script by a transcript. Colour never carries meaning alone: every tag is also written
out in Dutch, evidence has its own underline style per tag and a label after it, and
the gauge repeats the score and the mindset as text.
"""

from __future__ import annotations

import html
import itertools
import math
import uuid
from collections.abc import Iterable, Sequence
from functools import lru_cache
from importlib import resources
from pathlib import PurePath
from typing import Any

from ..constants import INNERLIJK, KLANTGERICHT, TAG_NAMES_NL, TAGS
from ..transcript import Span, Transcript, Utterance

#: Dutch speaker names shown above each utterance.
SPEAKER_NAMES_NL = {"agent": "Medewerker", "customer": "Klant"}
#: Dutch names of the two mindsets, as shown to a coach.
MINDSET_NAMES_NL = {KLANTGERICHT: "klantgericht", INNERLIJK: "innerlijk"}
#: The direction of an explanation item, in words (the sign alone is not enough).
EFFECT_NL = {"+": "pleit voor klantgericht", "-": "pleit voor innerlijk"}


def esc(value: Any) -> str:
    """Escape any value for HTML text and attribute values (quotes included)."""
    return html.escape("" if value is None else str(value), quote=True)


def tag_name_nl(tag: str) -> str:
    """The Dutch name of a tag; an unknown label is shown as it is (escaped by callers)."""
    return TAG_NAMES_NL.get(tag, tag)


def tag_css(tag: str) -> str:
    """The CSS suffix of a tag: only known tag names ever become class names."""
    return tag if tag in TAGS else "other"


@lru_cache(maxsize=1)
def stylesheet() -> str:
    """The CSS of the conversation view (shared with the report)."""
    return resources.files("klantfocus.report").joinpath("assets/klantfocus.css").read_text("utf-8")


def format_seconds(seconds: float | None) -> str:
    """``83.4`` -> ``1:23``; the timestamps of speech-to-text input."""
    if seconds is None or not math.isfinite(seconds):
        return ""
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def tag_label(tag: str, suffix: str = "") -> str:
    """A tag as a coloured label that also names the tag in Dutch."""
    return f'<span class="kf-tag kf-tag-{tag_css(tag)}">{esc(tag_name_nl(tag))}{esc(suffix)}</span>'


def _ordered_tags(tags: Iterable[str]) -> list[str]:
    unique = list(dict.fromkeys(tags))
    return sorted(unique, key=lambda t: (TAGS.index(t) if t in TAGS else len(TAGS), t))


def highlight_evidence(text: str, spans: Sequence[Span]) -> str:
    """The utterance text, escaped, with each evidence span marked and named.

    Spans may overlap (an open question around a jargon term): the text is cut at every
    span boundary and each piece is wrapped in one ``<mark>`` per span covering it. The
    tag's Dutch name follows the end of each span, so the highlight can be read without
    seeing colour. Spans outside the text are ignored rather than trusted.
    """
    valid = [s for s in spans if 0 <= s.start < s.end <= len(text)]
    if not valid:
        return esc(text)
    cuts = sorted({0, len(text)} | {s.start for s in valid} | {s.end for s in valid})
    parts: list[str] = []
    for begin, end in itertools.pairwise(cuts):
        piece = esc(text[begin:end])
        covering = _ordered_tags(s.label for s in valid if s.start <= begin and end <= s.end)
        for tag in reversed(covering):
            piece = (
                f'<mark class="kf-ev kf-ev-{tag_css(tag)}" title="{esc(tag_name_nl(tag))}">'
                f"{piece}</mark>"
            )
        parts.append(piece)
        for tag in _ordered_tags(s.label for s in valid if s.end == end):
            parts.append(
                f'<span class="kf-evl kf-evl-{tag_css(tag)}">[{esc(tag_name_nl(tag))}]</span>'
            )
    return "".join(parts)


def _point(
    score: float, radius: float, cx: float = 100.0, cy: float = 100.0
) -> tuple[float, float]:
    angle = math.pi * (1 - score / 100)
    return cx + radius * math.cos(angle), cy - radius * math.sin(angle)


#: Gauge bands from innerlijk (left) to klantgericht (right); a colour-blind-safe ramp.
_GAUGE_BANDS = (
    (0, 20, "#c24f00"),
    (20, 40, "#e59866"),
    (40, 60, "#c9ced6"),
    (60, 80, "#7fb3d5"),
    (80, 100, "#0b5d99"),
)


def gauge_svg(score: float | None, mindset: str | None) -> str:
    """The mindset score as a half-circle gauge (inline SVG, no external resources)."""
    radius, width = 78.0, 18.0
    arcs = []
    for low, high, colour in _GAUGE_BANDS:
        x0, y0 = _point(low, radius)
        x1, y1 = _point(high, radius)
        arcs.append(
            f'<path d="M{x0:.1f} {y0:.1f}A{radius:.0f} {radius:.0f} 0 0 1 {x1:.1f} {y1:.1f}" '
            f'stroke="{colour}" stroke-width="{width:.0f}" fill="none"/>'
        )
    if score is None or not math.isfinite(score):
        label = "Mindsetscore: niet gescoord"
        needle = '<text x="100" y="92" text-anchor="middle" font-size="14" fill="#52606d">niet gescoord</text>'
    else:
        clipped = min(max(float(score), 0.0), 100.0)
        nx, ny = _point(clipped, radius - 10)
        label = (
            f"Mindsetscore {clipped:.0f} van 100: {MINDSET_NAMES_NL.get(mindset or '', 'onbekend')}"
        )
        needle = (
            f'<line x1="100" y1="100" x2="{nx:.1f}" y2="{ny:.1f}" stroke="#1f2933" stroke-width="4" '
            'stroke-linecap="round"/><circle cx="100" cy="100" r="7" fill="#1f2933"/>'
        )
    return (
        f'<svg class="kf-gauge" viewBox="0 0 200 128" role="img" aria-label="{esc(label)}">'
        f"<title>{esc(label)}</title>{''.join(arcs)}{needle}"
        '<text x="14" y="122" font-size="11" fill="#52606d">0 innerlijk</text>'
        '<text x="186" y="122" font-size="11" fill="#52606d" text-anchor="end">klantgericht 100</text>'
        "</svg>"
    )


def _mindset_label(mindset: str | None) -> str:
    if mindset in MINDSET_NAMES_NL:
        return (
            f'<span class="kf-mindset kf-mindset-{mindset}">{esc(MINDSET_NAMES_NL[mindset])}</span>'
        )
    return '<span class="kf-mindset kf-mindset-none">niet gescoord</span>'


def _utterance_html(utterance: Utterance, turn: int, anchor: str) -> str:
    role = "agent" if utterance.is_agent else "customer"
    who = esc(SPEAKER_NAMES_NL[role])
    voice = utterance.extra.get("voice")
    if voice:
        who += f" ({esc(voice)})"
    times = format_seconds(utterance.start)
    if times and utterance.end is not None:
        times += f"–{format_seconds(utterance.end)}"
    header = f'<div class="kf-who"><b>{who}</b><span>beurt {turn}</span>'
    if times:
        header += f"<span>{esc(times)}</span>"
    header += "</div>"
    tags = ""
    if utterance.labels:
        items = "".join(f"<li>{tag_label(tag)}</li>" for tag in _ordered_tags(utterance.labels))
        tags = f'<ul class="kf-tags" aria-label="tags">{items}</ul>'
    return (
        f'<li class="kf-turn kf-{role}" id="{esc(anchor)}-b{turn}">{header}'
        f'<p class="kf-text">{highlight_evidence(utterance.text, utterance.spans)}</p>{tags}</li>'
    )


def _explanation_html(transcript: Transcript, anchor: str) -> str:
    items = []
    for item in transcript.explanation or []:
        effect = item.get("effect")
        sign, css = ("+", "plus") if effect == "+" else ("−", "minus")
        turns = [
            t for t in item.get("turns") or [] if isinstance(t, int) and not isinstance(t, bool)
        ]
        links = ""
        if turns:
            anchors = " ".join(f'<a href="#{esc(anchor)}-b{t}">{t}</a>' for t in turns[:12])
            links = f'<span class="kf-turnlinks">naar beurt {anchors}</span>'
        items.append(
            f'<li><span class="kf-effect kf-effect-{css}" aria-hidden="true">{sign}</span>'
            f'<span class="kf-dir">{esc(EFFECT_NL.get(str(effect), "effect onbekend"))}</span>'
            f"{esc(item.get('text') or item.get('feature') or '')}{links}</li>"
        )
    if not items:
        return '<p class="kf-empty">Geen toelichting beschikbaar.</p>'
    return f'<ul class="kf-expl">{"".join(items)}</ul>'


def tag_counts(transcript: Transcript) -> dict[str, int]:
    """How many utterances of the transcript carry each tag (known tags, canonical order)."""
    counts = dict.fromkeys(TAGS, 0)
    for utterance in transcript.utterances:
        for tag in set(utterance.labels or []):
            if tag in counts:
                counts[tag] += 1
    return counts


def _counts_html(transcript: Transcript) -> str:
    if all(u.labels is None for u in transcript.utterances):
        return '<p class="kf-empty">Nog niet getagd.</p>'
    counts = {tag: n for tag, n in tag_counts(transcript).items() if n}
    if not counts:
        return '<p class="kf-empty">Geen tags gevonden.</p>'
    return (
        '<ul class="kf-counts">'
        + "".join(f"<li>{tag_label(tag, f' × {n}')}</li>" for tag, n in counts.items())
        + "</ul>"
    )


def meta_line(transcript: Transcript) -> str:
    """Agent, date, domain and length of a conversation as one line of spans."""
    meta = transcript.meta or {}
    parts = []
    if transcript.agent_id:
        parts.append(f"medewerker {esc(transcript.agent_id)}")
    if meta.get("date"):
        parts.append(esc(meta["date"]))
    if transcript.domain:
        parts.append(esc(transcript.domain))
    if meta.get("input_file"):  # batch output: the file the call was read from
        parts.append(f"bestand {esc(PurePath(str(meta['input_file'])).name)}")
    parts.append(f"{len(transcript.utterances)} beurten")
    return "".join(f"<span>{part}</span>" for part in parts)


def conversation_body(transcript: Transcript, anchor: str) -> str:
    """Timeline and score panel of one conversation (no heading, no styles)."""
    turns = "".join(
        _utterance_html(u, turn, anchor) for turn, u in enumerate(transcript.utterances, 1)
    )
    score = transcript.mindset_score
    verdict = (
        f"<b>{score:.0f}</b> van 100 · {_mindset_label(transcript.mindset)}"
        if score is not None and math.isfinite(score)
        else _mindset_label(None)
    )
    panel = (
        '<aside class="kf-panel" aria-label="Mindsetscore en toelichting">'
        f"{gauge_svg(score, transcript.mindset)}"
        f'<p class="kf-verdict">{verdict}</p>'
        f"<h4>Toelichting</h4>{_explanation_html(transcript, anchor)}"
        f"<h4>Tags in dit gesprek</h4>{_counts_html(transcript)}</aside>"
    )
    return (
        f'<div class="kf-body"><ol class="kf-timeline" aria-label="Gespreksverloop">{turns}</ol>'
        f"{panel}</div>"
    )


def render_conversation(transcript: Transcript, *, anchor: str | None = None) -> str:
    """A standalone HTML fragment of one conversation (heading, timeline, gauge).

    ``anchor`` prefixes the element ids (utterance ``n`` is ``{anchor}-b{n}``); a random
    one is made when none is given, so several views in one notebook never collide.
    """
    anchor = anchor or f"kf{uuid.uuid4().hex[:10]}"
    return (
        f'<div class="kf-view" id="{esc(anchor)}"><div class="kf-view-head">'
        f"<h3>Gesprek {esc(transcript.id)}</h3>"
        f'<div class="kf-meta">{meta_line(transcript)}</div></div>'
        f"{conversation_body(transcript, anchor)}</div>"
    )


class ConversationView:
    """A conversation that renders itself as HTML in a notebook.

    Accepts a :class:`~klantfocus.Transcript`, a transcript dict (the JSONL layout) or a
    DataFrame of one conversation in the ``to_dataframe`` / batch output layout.
    """

    def __init__(self, transcript: Transcript | dict[str, Any] | Any) -> None:
        self.transcript = _as_transcript(transcript)

    def to_html(self, *, anchor: str | None = None) -> str:
        """The fragment with its own stylesheet, usable in any HTML page."""
        return (
            f'<div class="kf"><style>{stylesheet()}</style>'
            f"{render_conversation(self.transcript, anchor=anchor)}</div>"
        )

    def _repr_html_(self) -> str:
        return self.to_html()

    def __repr__(self) -> str:
        t = self.transcript
        return (
            f"ConversationView({t.id!r}, {len(t.utterances)} utterances, score={t.mindset_score})"
        )


def _as_transcript(item: Any) -> Transcript:
    if isinstance(item, Transcript):
        return item
    if isinstance(item, ConversationView):
        return item.transcript
    if isinstance(item, dict):
        return Transcript.from_dict(item)
    if hasattr(item, "columns"):
        from .frames import transcripts_from_frame

        found = transcripts_from_frame(item)
        if len(found) != 1:
            raise ValueError(
                f"a ConversationView shows one conversation; this frame holds {len(found)}"
            )
        return found[0]
    raise TypeError(f"cannot show a {type(item).__name__} as a conversation")


def display(*items: Any) -> None:
    """Show transcripts (or lists of them, dicts, or ``to_dataframe`` frames) in a notebook.

    Outside IPython the HTML of each conversation is printed instead, so a script that
    calls it still shows something.
    """
    views: list[ConversationView] = []
    for item in items:
        if isinstance(item, list | tuple):
            views.extend(ConversationView(x) for x in item)
        elif hasattr(item, "columns"):  # a DataFrame may hold many conversations
            from .frames import transcripts_from_frame

            views.extend(ConversationView(t) for t in transcripts_from_frame(item))
        else:
            views.append(ConversationView(item))
    try:
        from IPython.display import display as ipython_display
    except ImportError:  # pragma: no cover - IPython comes with every notebook kernel
        for view in views:
            print(view.to_html())
        return
    ipython_display(*views)
