"""The full HTML report: an overview and a section per conversation, in one file.

The file is self-contained so that it can be mailed or archived and opened anywhere:
styles and the one script are inline, figures are PNG ``data:`` URIs, and a Content
Security Policy forbids every request and every script except the report's own (by
hash). That policy is also a second line of defence behind the escaping in
:mod:`klantfocus.report.conversation`: text that slipped through as markup still could
not run. Conversations are collapsed ``<details>`` elements shown a page at a time, so
a report of thousands of calls stays light to open; without JavaScript all of them are
listed, collapsed.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import math
import os
import statistics
import tempfile
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from ..about import __version__
from ..constants import INNERLIJK, KLANTGERICHT, TAGS
from ..transcript import Transcript
from .conversation import (
    MINDSET_NAMES_NL,
    conversation_body,
    esc,
    stylesheet,
    tag_counts,
    tag_label,
    tag_name_nl,
)
from .plots import agent_scores_figure, figure_to_data_uri, score_distribution_figure, tag_rates

DEFAULT_TITLE = "Klantfocus-rapport"
DEFAULT_PAGE_SIZE = 25
PAGE_SIZES = (10, 25, 50, 100)


@cache
def _asset(name: str) -> str:
    return resources.files("klantfocus.report").joinpath(f"assets/{name}").read_text("utf-8")


def _csp(script: str) -> str:
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    return (
        "default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
        f"script-src 'sha256-{digest}'; base-uri 'none'; form-action 'none'"
    )


def _number(value: float | None, digits: int = 0) -> str:
    if value is None or not math.isfinite(value):
        return "–"
    return f"{value:.{digits}f}".replace(".", ",")


def _percent(share: float | None) -> str:
    return "–" if share is None or not math.isfinite(share) else f"{100 * share:.0f}%"


def _bar(value: float | None, *, kind: str = "") -> str:
    width = 0.0 if value is None or not math.isfinite(value) else min(max(value, 0.0), 100.0)
    return f'<span class="kf-bar {kind}" aria-hidden="true"><span style="width:{width:.1f}%"></span></span>'


def _score_kind(score: float | None) -> str:
    if score is None or not math.isfinite(score):
        return ""
    return "kf-bar-kg" if score >= 50 else "kf-bar-in"


def _figure_html(figure: Any, alt: str, caption: str) -> str:
    """A figure as an inline PNG shown at its drawn size (sharp on high-density screens)."""
    width_px = round(float(figure.get_size_inches()[0]) * 96)
    return (
        f'<figure class="kf-fig"><img src="{figure_to_data_uri(figure)}" alt="{esc(alt)}" '
        f'style="max-width:{width_px}px"><figcaption>{caption}</figcaption></figure>'
    )


def _check_scored(transcripts: Sequence[Transcript]) -> None:
    unscored = [t.id for t in transcripts if t.mindset_score is None]
    if unscored:
        raise ValueError(
            f"{len(unscored)} transcript(s) are not scored (first: {unscored[0]!r}); "
            "score them first with klantfocus.score()"
        )


def _overview(transcripts: Sequence[Transcript]) -> str:
    scores = [float(t.mindset_score) for t in transcripts if t.mindset_score is not None]
    n = len(transcripts)
    n_kg = sum(t.mindset == KLANTGERICHT for t in transcripts)
    n_in = sum(t.mindset == INNERLIJK for t in transcripts)
    agents = {t.agent_id for t in transcripts if t.agent_id}
    mean = statistics.fmean(scores) if scores else None
    median = statistics.median(scores) if scores else None
    kpis = (
        f'<div class="kf-kpi"><dt>Gesprekken</dt><dd id="kf-total">{n}</dd></div>'
        f'<div class="kf-kpi"><dt>Medewerkers</dt><dd>{len(agents)}</dd></div>'
        f'<div class="kf-kpi"><dt>Gemiddelde score</dt><dd>{_number(mean)} '
        f"<small>mediaan {_number(median)}</small></dd></div>"
        f'<div class="kf-kpi"><dt>Klantgericht</dt><dd>{n_kg} '
        f"<small>{_percent(n_kg / n if n else None)}</small></dd></div>"
        f'<div class="kf-kpi"><dt>Innerlijk</dt><dd>{n_in} '
        f"<small>{_percent(n_in / n if n else None)}</small></dd></div>"
    )
    figure_html = ""
    if scores:
        bins = [0] * 10
        for score in scores:
            bins[min(int(score // 10), 9)] += 1
        alt = "Histogram van de mindsetscore per 10 punten: " + ", ".join(
            f"{10 * i}–{10 * i + 10}: {count}" for i, count in enumerate(bins)
        )
        figure_html = _figure_html(
            score_distribution_figure(scores, title=False),
            alt,
            "Onder 50 (gearceerd) telt een gesprek als innerlijk, vanaf 50 als klantgericht. "
            "De score is de geschatte kans (×100) dat de medewerker klantgericht werkte.",
        )
    rates = tag_rates(transcripts)
    rows = "".join(
        f"<tr><td>{tag_label(tag)}</td>"
        f'<td class="kf-num">{int(rates[tag]["turns"])}</td>'
        f'<td class="kf-num">{_bar(100 * rates[tag]["turn_rate"])}'
        f"{_number(100 * rates[tag]['turn_rate'], 1)}%</td>"
        f'<td class="kf-num">{int(rates[tag]["conversations"])} '
        f"({_percent(rates[tag]['conversation_rate'])})</td></tr>"
        for tag in TAGS
    )
    tags_html = (
        '<div><h3>Tags</h3><div class="kf-table-wrap"><table class="kf-table" id="kf-tag-table">'
        "<thead><tr><th>Tag</th><th class='kf-num'>Beurten</th>"
        "<th class='kf-num'>Aandeel</th><th class='kf-num'>Gesprekken</th></tr></thead>"
        f"<tbody>{rows}</tbody></table></div>"
        '<p class="kf-note">Beurten: beurten van medewerkers met de tag; aandeel: van alle '
        "beurten van medewerkers (alleen die krijgen tags); gesprekken: met de tag minstens "
        "één keer.</p></div>"
    )
    return (
        '<section class="kf-card" id="overzicht" aria-labelledby="overzicht-kop">'
        '<h2 id="overzicht-kop">Overzicht</h2>'
        f'<dl class="kf-kpis">{kpis}</dl>'
        f'<div class="kf-figs"><div><h3>Verdeling van de mindsetscore</h3>{figure_html}</div>'
        f"{tags_html}</div></section>"
    )


def _agents(transcripts: Sequence[Transcript]) -> str:
    from ..agents import agent_table

    table = agent_table(transcripts) if transcripts else None
    if table is None or table.empty:
        return ""
    lowest = ", ".join(
        f"{agent} {_number(float(score))}"
        for agent, score in zip(table["agent_id"].head(5), table["mean_score"].head(5), strict=True)
    )
    figure = _figure_html(
        agent_scores_figure(table, title=False),
        "Gemiddelde score per medewerker met 95%-betrouwbaarheidsinterval; laagste: " + lowest,
        "Een stip of vierkant is de gemiddelde score van een medewerker, de lijn het "
        "95%-betrouwbaarheidsinterval; bij één gesprek is er geen interval. Weinig gesprekken "
        "betekent een breed interval: vergelijk medewerkers pas met genoeg gesprekken.",
    )
    columns: list[tuple[str, str, str]] = [
        ("Medewerker", "text", ""),
        ("Gesprekken", "number", "kf-num"),
        ("Gem. score", "number", "kf-num"),
        ("95%-interval", "number", "kf-num"),
        ("Klantgericht", "number", "kf-num"),
        *((tag_name_nl(tag), "number", "kf-num") for tag in TAGS),
        ("Thema", "text", ""),
    ]
    head = "".join(
        f'<th scope="col" data-sort="{kind}" class="{css}"'
        + (' aria-sort="ascending"' if label == "Gem. score" else "")
        + f'><button type="button">{esc(label)}</button></th>'
        for label, kind, css in columns
    )
    body = []
    for row in table.to_dict(orient="records"):
        agent = str(row["agent_id"])
        mean = float(row["mean_score"])
        low, high = float(row["ci95_low"]), float(row["ci95_high"])
        interval = (
            f"{_number(low)}–{_number(high)}" if math.isfinite(low) and math.isfinite(high) else "–"
        )
        cells = [
            f'<td data-value="{esc(agent)}"><button type="button" class="kf-agent-link" '
            f'data-agent="{esc(agent)}" title="Toon de gesprekken van {esc(agent)}">{esc(agent)}</button></td>',
            f'<td class="kf-num" data-value="{int(row["calls"])}">{int(row["calls"])}</td>',
            f'<td class="kf-num" data-value="{mean:.3f}">{_bar(mean, kind=_score_kind(mean))}{_number(mean)}</td>',
            f'<td class="kf-num" data-value="{(high - low) if math.isfinite(low) and math.isfinite(high) else ""}">{interval}</td>',
            f'<td class="kf-num" data-value="{float(row["share_klantgericht"]):.4f}">{_percent(float(row["share_klantgericht"]))}</td>',
        ]
        for tag in TAGS:
            rate = float(row[f"rate_{tag}"])
            cells.append(f'<td class="kf-num" data-value="{rate:.4f}">{_percent(rate)}</td>')
        theme = str(row.get("most_frequent_theme") or "")
        cells.append(f'<td data-value="{esc(theme)}">{esc(theme) or "–"}</td>')
        body.append(f"<tr>{''.join(cells)}</tr>")
    return (
        '<section class="kf-card" id="medewerkers" aria-labelledby="medewerkers-kop">'
        '<h2 id="medewerkers-kop">Medewerkers</h2>'
        f"<h3>Gemiddelde score per medewerker</h3>{figure}<h3>Per medewerker</h3>"
        '<p class="kf-note">Klik op een kolomkop om te sorteren, op een medewerker om '
        "alleen diens gesprekken te tonen. Tagpercentages zijn per beurt van de medewerker; "
        "het interval sorteert op breedte; thema: wat het vaakst in de toelichting staat.</p>"
        '<div class="kf-table-wrap"><table class="kf-table kf-sortable" id="kf-agent-table">'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div></section>"
    )


def file_labels(transcripts: Iterable[Transcript]) -> dict[str, str]:
    """Short names of the input files (``meta.input_file``) when there are several.

    Each file is named by its path below the folder that all of them share
    (``dag1.csv``, ``mei/gesprekken.csv``), so that equal file names in different folders
    stay apart. With fewer than two files there is nothing to tell apart: ``{}``.
    """
    files = sorted(
        {str(t.meta["input_file"]) for t in transcripts if t.meta and t.meta.get("input_file")}
    )
    if len(files) < 2:
        return {}
    try:
        common = os.path.commonpath(files)
    except ValueError:  # relative and absolute paths, or several drives
        return {f: f for f in files}
    return {f: os.path.relpath(f, common) for f in files}


def repeated_ids(transcripts: Iterable[Transcript]) -> list[str]:
    """Conversation ids that more than one transcript has, in order of first appearance."""
    counts = Counter(t.id for t in transcripts)
    return [i for i, n in counts.items() if n > 1]


def _conversation_item(
    transcript: Transcript, index: int, *, open_: bool, file_label: str | None = None
) -> str:
    score = transcript.mindset_score
    meta = transcript.meta or {}
    agent = transcript.agent_id or ""
    details = [
        esc(x)
        for x in (
            agent and f"medewerker {agent}",
            meta.get("date"),
            transcript.domain,
            file_label and f"bestand {file_label}",
        )
        if x
    ]
    counts = tag_counts(transcript)
    chips = "".join(tag_label(tag, f" {n}") for tag, n in counts.items() if n)
    mindset = transcript.mindset or ""
    mindset_html = (
        f'<span class="kf-mindset kf-mindset-{mindset}">{esc(MINDSET_NAMES_NL[mindset])}</span>'
        if mindset in MINDSET_NAMES_NL
        else '<span class="kf-mindset kf-mindset-none">niet gescoord</span>'
    )
    search = " ".join(
        str(x)
        for x in (
            transcript.id,
            agent,
            transcript.domain or "",
            meta.get("date") or "",
            file_label or "",
        )
    )
    anchor = f"g{index}"
    return (
        f'<details class="kf-conv" id="{anchor}" data-i="{index}" '
        f'data-score="{"" if score is None else f"{score:.2f}"}" data-agent="{esc(agent)}" '
        f'data-mindset="{esc(mindset)}" data-search="{esc(search.lower())}"{" open" if open_ else ""}>'
        f'<summary><span class="kf-sum-id">{esc(transcript.id)}</span>'
        f'<span class="kf-sum-meta">{" · ".join(details)}</span>'
        f'<span class="kf-sum-score">{_bar(score, kind=_score_kind(score))}'
        f"<b>{_number(score)}</b> {mindset_html}</span>"
        f'<span class="kf-sum-tags">{chips}</span></summary>'
        f'<div class="kf-conv-body">{conversation_body(transcript, anchor)}</div></details>'
    )


def _pager() -> str:
    return (
        '<nav class="kf-pager" aria-label="Pagina\'s" hidden>'
        '<button type="button" class="kf-prev">‹ Vorige</button>'
        '<span class="kf-status" aria-live="polite"></span>'
        '<button type="button" class="kf-next">Volgende ›</button>'
        '<button type="button" class="kf-open-all">Alles openklappen</button>'
        '<button type="button" class="kf-close-all">Alles dichtklappen</button></nav>'
    )


def _conversations(transcripts: Sequence[Transcript], page_size: int) -> str:
    agents = sorted({t.agent_id for t in transcripts if t.agent_id})
    agent_options = "".join(f'<option value="{esc(a)}">{esc(a)}</option>' for a in agents)
    sizes = sorted({*PAGE_SIZES, page_size})
    size_options = "".join(
        f'<option value="{s}"{" selected" if s == page_size else ""}>{s}</option>' for s in sizes
    )
    labels = file_labels(transcripts)
    items = "".join(
        _conversation_item(
            t,
            i,
            open_=len(transcripts) == 1,
            file_label=labels.get(str((t.meta or {}).get("input_file"))),
        )
        for i, t in enumerate(transcripts, 1)
    )
    if not transcripts:
        items = '<p class="kf-empty">Geen gesprekken om te tonen.</p>'
    repeated = repeated_ids(transcripts)
    repeated_note = ""
    if repeated:
        shown = ", ".join(esc(i) for i in repeated[:5]) + (" …" if len(repeated) > 5 else "")
        where = " in verschillende bestanden (het bestand staat bij elk gesprek)" if labels else ""
        many = len(repeated) != 1
        repeated_note = (
            f'<p class="kf-note kf-repeated-ids">Let op: {len(repeated)} gespreks-'
            + ("id's" if many else "id")
            + f" ({shown}) {'komen' if many else 'komt'} meer dan eens voor{where}. "
            "Het zijn aparte gesprekken: ze worden apart getoond en geteld.</p>"
        )
    legend = "".join(
        f'<li>{tag_label(tag)} <mark class="kf-ev kf-ev-{tag}">bewijs</mark>'
        f'<span class="kf-evl kf-evl-{tag}">[{esc(tag_name_nl(tag))}]</span></li>'
        for tag in TAGS
    )
    return (
        '<section class="kf-card" id="gesprekken" aria-labelledby="gesprekken-kop">'
        '<h2 id="gesprekken-kop">Gesprekken</h2>'
        '<p class="kf-note">Klik op een gesprek om het verloop te zien: de klant links, de '
        "medewerker rechts, met de tags per beurt, het gemarkeerde bewijs in de tekst en "
        "rechts de score met de toelichting. Elke tag heeft een eigen kleur en lijnstijl:</p>"
        f'<ul class="kf-legend">{legend}</ul>{repeated_note}'
        '<div class="kf-controls" id="kf-controls" role="search" hidden>'
        '<label>Zoeken<input type="search" id="kf-search" '
        'placeholder="gesprek, medewerker, domein of datum"></label>'
        f'<label>Medewerker<select id="kf-agent"><option value="">alle</option>{agent_options}</select></label>'
        '<label>Mindset<select id="kf-mindset"><option value="">alle</option>'
        '<option value="klantgericht">klantgericht</option>'
        '<option value="innerlijk">innerlijk</option></select></label>'
        '<label>Volgorde<select id="kf-order"><option value="input">zoals ingelezen</option>'
        '<option value="score-asc">laagste score eerst</option>'
        '<option value="score-desc">hoogste score eerst</option></select></label>'
        f'<label>Per pagina<select id="kf-size">{size_options}</select></label></div>'
        f'{_pager()}<div class="kf-list" id="kf-list">{items}</div>{_pager()}</section>'
    )


def render_report(
    transcripts: Iterable[Transcript],
    *,
    title: str = DEFAULT_TITLE,
    page_size: int = DEFAULT_PAGE_SIZE,
    generated: dt.datetime | None = None,
) -> str:
    """The report as one self-contained HTML document (a string).

    Transcripts must be scored (``klantfocus.score``): the overview and the per-agent
    table are about their scores. ``page_size`` is how many conversations one page shows.
    """
    items = list(transcripts)
    _check_scored(items)
    if page_size < 1:
        raise ValueError("page_size must be at least 1")
    generated = generated or dt.datetime.now()
    script = _asset("report.js")
    n = len(items)
    summary = f"{n} gesprek{'ken' if n != 1 else ''} · gemaakt op {generated:%d-%m-%Y %H:%M} met klantfocus {__version__}"
    return (
        "<!DOCTYPE html>\n"
        '<html lang="nl"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{esc(_csp(script))}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="referrer" content="no-referrer">'
        '<link rel="icon" href="data:,">'
        f"<title>{esc(title)}</title>"
        f"<style>{stylesheet()}\n{_asset('report.css')}</style></head>"
        '<body class="kf">'
        f'<header class="kf-header"><div class="kf-page"><h1>{esc(title)}</h1><p>{esc(summary)}</p>'
        '<nav class="kf-toc" aria-label="Inhoud"><a href="#overzicht">Overzicht</a>'
        '<a href="#medewerkers">Medewerkers</a><a href="#gesprekken">Gesprekken</a></nav>'
        "</div></header>"
        f'<main class="kf-page">{_overview(items)}{_agents(items)}{_conversations(items, page_size)}'
        '<footer class="kf-footer"><p>De mindsetscore (0–100) is de geschatte kans dat de '
        "medewerker klantgericht werkte in plaats van vanuit een innerlijke mindset; vanaf 50 "
        "heet een gesprek klantgericht. Tags en scores komen van een model en kunnen fout zijn: "
        "gebruik ze als aanleiding voor een coachgesprek, niet als oordeel.</p></footer></main>"
        f"<script>{script}</script></body></html>\n"
    )


def write_report(
    transcripts: Iterable[Transcript], path: str | os.PathLike[str], **options: Any
) -> Path:
    """Write :func:`render_report` to ``path`` atomically (no half-written report on a crash)."""
    target = Path(path)
    document = render_report(transcripts, **options)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(document)
        os.chmod(temporary, 0o644)  # mkstemp makes it private; a report is meant to be shared
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target
