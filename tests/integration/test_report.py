"""The visual report: one conversation as HTML, the full report, the figures, the CLI.

The browser side (console errors, paging, a screenshot) is in test_report_browser.py;
here the HTML itself is checked: structure, escaping, self-containment and size.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import time
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import pytest

from klantfocus import Span, Transcript, Utterance
from klantfocus.constants import TAG_NAMES_NL, TAGS

from ..conftest import EXAMPLES, ROOT

HOSTILE = '"><img src=x onerror=alert(1)><script>alert("xss")</script>&amp;'


class Elements(HTMLParser):
    """Every start tag with its attributes, and the text inside <script> elements."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"
        if self._in_script:
            self.scripts.append("")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts[-1] += data

    def count(self, tag: str, css_class: str | None = None) -> int:
        return sum(
            1
            for name, attrs in self.tags
            if name == tag
            and (css_class is None or css_class in (attrs.get("class") or "").split())
        )


def parse(html: str) -> Elements:
    parser = Elements()
    parser.feed(html)
    parser.close()
    return parser


@pytest.fixture(scope="module")
def scored_dev(nlp, scorer):
    import klantfocus

    return klantfocus.score(
        klantfocus.read_transcripts(ROOT / "data/annotated/dev.jsonl"), nlp, scorer
    )


@pytest.fixture
def hostile(scored_dev) -> Transcript:
    base = scored_dev[0]
    second = base.utterances[1]
    utterances = [
        base.utterances[0],
        replace(
            second, text=HOSTILE + second.text, spans=[Span(0, 12, "jargon")], labels=["jargon"]
        ),
        *base.utterances[2:],
    ]
    return replace(
        base,
        id=HOSTILE,
        domain=HOSTILE,
        meta={"agent_id": HOSTILE, "date": HOSTILE},
        utterances=utterances,
        explanation=[{"feature": HOSTILE, "effect": "-", "text": HOSTILE, "turns": [2]}],
    )


def _no_injected_markup(elements: Elements) -> None:
    assert elements.count("img") == sum(
        1
        for name, attrs in elements.tags
        if name == "img" and (attrs.get("src") or "").startswith("data:image/png;base64,")
    )
    for name, attrs in elements.tags:
        assert not any(key.startswith("on") for key in attrs), (name, attrs)
        assert name != "img" or attrs.get("src") != "x"


# --- one conversation --------------------------------------------------------------------


def test_conversation_view_shows_turns_tags_evidence_and_gauge(scored_dev):
    from klantfocus.report import ConversationView

    transcript = next(t for t in scored_dev if any(u.spans for u in t.utterances))
    html = ConversationView(transcript)._repr_html_()
    elements = parse(html)
    assert html.startswith('<div class="kf"><style>')
    assert elements.count("li", "kf-turn") == len(transcript.utterances)
    assert elements.count("li", "kf-agent") == len(transcript.agent_utterances)
    assert elements.count("li", "kf-customer") == len(transcript.utterances) - len(
        transcript.agent_utterances
    )
    # every tag is a coloured label that names the tag in Dutch, once per tagged utterance
    for tag in TAGS:
        tagged = sum(tag in (u.labels or []) for u in transcript.utterances)
        assert elements.count("span", f"kf-tag-{tag}") >= tagged
        if tagged:
            assert f">{TAG_NAMES_NL[tag]}</span>" in html
    # every evidence span is highlighted and followed by the tag's name in text
    n_spans = sum(len(u.spans) for u in transcript.utterances)
    assert (
        sum(1 for name, a in elements.tags if name == "span" and "kf-evl" in (a.get("class") or ""))
        == n_spans
    )
    assert elements.count("mark") >= n_spans
    # the gauge says the score and the mindset in words, not only in colour
    svg = next(attrs for name, attrs in elements.tags if name == "svg")
    assert (
        f"Mindsetscore {transcript.mindset_score:.0f} van 100: {transcript.mindset}"
        == svg["aria-label"]
    )
    assert f"<b>{transcript.mindset_score:.0f}</b> van 100" in html
    for item in transcript.explanation:
        assert item["text"].replace("'", "&#x27;") in html
        for turn in item["turns"]:
            assert any(
                name == "li" and a.get("id", "").endswith(f"-b{turn}") for name, a in elements.tags
            )


def test_overlapping_evidence_is_cut_into_pieces_and_escaped():
    from klantfocus.report.conversation import highlight_evidence

    text = "Wat merkt u van <de> SLA-boete?"
    jargon = text.index("SLA-boete")
    spans = [
        Span(0, len(text), "open_question"),
        Span(jargon, jargon + len("SLA-boete"), "jargon"),
        Span(3, 500, "opinion"),
    ]
    html = highlight_evidence(text, spans)
    assert "<de>" not in html and "&lt;de&gt;" in html
    assert html.count("[open vraag]") == 1 and html.count("[jargon]") == 1
    assert "mening" not in html  # a span outside the text is not trusted
    assert (
        '<mark class="kf-ev kf-ev-open_question" title="open vraag"><mark class="kf-ev kf-ev-jargon" title="jargon">SLA-boete</mark></mark>'
        in html
    )
    assert re.sub(r"<[^>]+>|\[[^\]]+\]", "", html).replace("&lt;", "<").replace("&gt;", ">") == text


def test_every_text_field_is_escaped_in_a_conversation(hostile):
    from klantfocus.report import ConversationView

    html = ConversationView(hostile).to_html(anchor=HOSTILE)
    elements = parse(html)
    assert elements.count("script") == 0
    _no_injected_markup(elements)
    assert "<img src=x" not in html and "<script>alert" not in html


def test_unscored_and_untagged_conversation(conversation):
    from klantfocus.report import ConversationView

    html = ConversationView(conversation).to_html()
    assert "niet gescoord" in html and "Nog niet getagd" in html and "Geen toelichting" in html
    assert parse(html).count("li", "kf-turn") == 4


def test_view_takes_dicts_and_one_conversation_frames(scored_dev):
    import klantfocus
    from klantfocus.report import ConversationView

    transcript = scored_dev[3]
    from_dict = ConversationView(transcript.to_dict())
    from_frame = ConversationView(klantfocus.to_dataframe([transcript]))
    assert from_dict.transcript.id == from_frame.transcript.id == transcript.id
    assert from_frame.transcript.mindset_score == transcript.mindset_score
    with pytest.raises(ValueError, match="one conversation"):
        ConversationView(klantfocus.to_dataframe(scored_dev[:2]))


def test_display_hands_views_to_ipython(monkeypatch, scored_dev):
    import IPython.display

    from klantfocus.report import ConversationView, display

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda *objs: shown.extend(objs))
    display(scored_dev[0], scored_dev[1:3])
    assert [type(v) for v in shown] == [ConversationView] * 3
    assert [v.transcript.id for v in shown] == [t.id for t in scored_dev[:3]]


# --- frames: batch output back to transcripts ----------------------------------------------


def test_transcripts_from_batch_layout_round_trip(scored_dev, tmp_path):
    import pandas as pd

    import klantfocus
    from klantfocus.report import transcripts_from_frame

    frame = klantfocus.to_dataframe(scored_dev[:5])
    # the batch shards store evidence and explanation as JSON text
    frame["evidence"] = frame["evidence"].map(lambda v: json.dumps(v, ensure_ascii=False))
    frame.to_parquet(tmp_path / "part-00000.parquet", index=False)
    back = transcripts_from_frame(pd.read_parquet(tmp_path / "part-00000.parquet"))
    assert [t.id for t in back] == [t.id for t in scored_dev[:5]]
    for original, rebuilt in zip(scored_dev[:5], back, strict=True):
        assert rebuilt.mindset_score == original.mindset_score
        assert rebuilt.mindset == original.mindset
        assert rebuilt.explanation == original.explanation
        assert (
            rebuilt.agent_id == original.agent_id and rebuilt.meta["date"] == original.meta["date"]
        )
        assert [u.text for u in rebuilt.utterances] == [u.text for u in original.utterances]
        assert [u.labels for u in rebuilt.utterances] == [u.labels for u in original.utterances]
        assert [[(s.start, s.end, s.label) for s in u.spans] for u in rebuilt.utterances] == [
            [(s.start, s.end, s.label) for s in u.spans] for u in original.utterances
        ]


# --- figures ---------------------------------------------------------------------------------


def test_figures_are_agg_figures_with_dutch_labels(scored_dev):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from klantfocus.agents import agent_table
    from klantfocus.report import (
        agent_scores_figure,
        figure_to_data_uri,
        score_distribution_figure,
        tag_rates_figure,
    )

    distribution = score_distribution_figure(scored_dev)
    agents = agent_scores_figure(scored_dev)
    rates = tag_rates_figure(scored_dev)
    for figure in (distribution, agents, rates):
        assert isinstance(figure, Figure) and isinstance(figure.canvas, FigureCanvasAgg)
    axes = distribution.axes[0]
    assert axes.get_ylabel() == "aantal gesprekken"
    assert sum(p.get_height() for p in axes.patches) == len(scored_dev)
    assert f"n = {len(scored_dev)}" in axes.get_title(loc="left")
    n_agents = len(agent_table(scored_dev))
    labels = [t.get_text() for t in agents.axes[0].get_yticklabels()]
    if n_agents <= 40:  # the default max_agents
        assert len(labels) == n_agents
    else:  # the 20 lowest and the 20 highest, and the title says so
        assert len(labels) == 40 and len(set(labels)) == 40
        assert f"van {n_agents}" in agents.axes[0].get_title(loc="left")
    few = agent_scores_figure(scored_dev, max_agents=10)
    assert len(few.axes[0].get_yticklabels()) == min(10, n_agents)
    assert [t.get_text() for t in rates.axes[0].get_yticklabels()] == [
        TAG_NAMES_NL[t] for t in TAGS
    ]
    uri = figure_to_data_uri(distribution)
    assert uri.startswith("data:image/png;base64,")
    assert base64.b64decode(uri.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"


def test_agent_figure_keeps_the_extremes_of_many_agents(scored_dev):
    from klantfocus.report import agent_scores_figure

    many = [
        replace(t, meta={**t.meta, "agent_id": f"mw-{i:03d}"}) for i, t in enumerate(scored_dev)
    ]
    figure = agent_scores_figure(many, max_agents=20)
    labels = [t.get_text() for t in figure.axes[0].get_yticklabels()]
    assert len(labels) == 20
    assert f"van {len(scored_dev)}" in figure.axes[0].get_title(loc="left")


# --- the full report -----------------------------------------------------------------------


def _check_self_contained(html: str) -> Elements:
    elements = parse(html)
    for name, attrs in elements.tags:
        for key in ("src", "href", "action", "srcset", "poster", "data"):
            value = attrs.get(key)
            if value is not None and key != "data":
                assert value.startswith(("data:", "#")), (name, key, value[:60])
    assert not re.search(r"url\(\s*['\"]?(?!data:)", html)
    assert "@import" not in html
    # the one script runs by hash under a policy that forbids every request
    assert elements.count("script") == 1
    csp = next(
        a["content"]
        for n, a in elements.tags
        if n == "meta" and a.get("http-equiv") == "Content-Security-Policy"
    )
    digest = base64.b64encode(hashlib.sha256(elements.scripts[0].encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in csp and "default-src 'none'" in csp
    return elements


def test_report_overview_agents_and_conversations(scored_dev):
    from klantfocus.agents import agent_table
    from klantfocus.report import render_report

    html = render_report(scored_dev, title="Team <Noord>")
    elements = _check_self_contained(html)
    assert "<title>Team &lt;Noord&gt;</title>" in html
    assert '<html lang="nl">' in html
    for heading in ("Overzicht", "Medewerkers", "Gesprekken", "Verdeling van de mindsetscore"):
        assert heading in html
    assert elements.count("details", "kf-conv") == len(scored_dev)
    assert not any(n == "details" and "open" in a for n, a in elements.tags)
    table = agent_table(scored_dev)
    assert html.count('class="kf-agent-link"') == len(table)
    assert elements.count("table", "kf-sortable") == 1
    assert sum(1 for n, a in elements.tags if n == "th" and "data-sort" in a) == 6 + len(TAGS)
    assert elements.count("img") == 2  # score distribution and per-agent figure
    # the agent rows come lowest score first, like agent_table
    rows = re.findall(r'data-agent="([^"]+)" title=', html)
    assert rows == list(table["agent_id"])


def test_report_of_one_conversation_is_open(scored_dev):
    from klantfocus.report import render_report

    elements = parse(render_report(scored_dev[:1]))
    assert elements.count("details", "kf-conv") == 1
    assert any(n == "details" and "open" in a for n, a in elements.tags)


def test_report_escapes_hostile_text(hostile, scored_dev):
    from klantfocus.report import render_report

    html = render_report([hostile, *scored_dev[1:3]])
    elements = _check_self_contained(html)
    _no_injected_markup(elements)
    assert "<script>alert" not in html and "<img src=x" not in html


def test_report_refuses_unscored_transcripts(conversation):
    from klantfocus.report import render_report

    with pytest.raises(ValueError, match="not scored"):
        render_report([conversation])


@pytest.mark.slow
def test_report_of_a_thousand_conversations_stays_small(scored_dev, tmp_path):
    from klantfocus.report import write_report

    many = [
        replace(
            scored_dev[i % len(scored_dev)],
            id=f"gesprek-{i:04d}",
            meta={**scored_dev[i % len(scored_dev)].meta, "agent_id": f"mw-{i % 60:02d}"},
        )
        for i in range(1000)
    ]
    started = time.monotonic()
    path = write_report(many, tmp_path / "duizend.html")
    elapsed = time.monotonic() - started
    size = path.stat().st_size
    print(f"1000 conversations: {size / 1e6:.1f} MB in {elapsed:.1f} s")
    assert size < 20_000_000
    html = path.read_text("utf-8")
    elements = _check_self_contained(html)
    assert elements.count("details", "kf-conv") == 1000
    assert html.count('class="kf-agent-link"') == 60
    assert elapsed < 60


# --- command line ------------------------------------------------------------------------


def _run(argv: list[str]) -> int:
    from klantfocus.cli import main

    return main(argv)


def test_cli_report_from_examples(tmp_path, capsys):
    import klantfocus

    inputs = [str(EXAMPLES / "gesprekken.jsonl"), str(EXAMPLES / "gesprek.txt")]
    expected = sum(len(klantfocus.read_transcripts(p)) for p in inputs)
    out = tmp_path / "rapport.html"
    assert _run(["report", *inputs, "-o", str(out)]) == 0
    elements = _check_self_contained(out.read_text("utf-8"))
    assert elements.count("details", "kf-conv") == expected
    assert f"{expected} conversation(s)" in capsys.readouterr().out


def test_cli_keeps_scores_of_scored_input_unless_rescore(scored_dev, tmp_path):
    import klantfocus

    scored = tmp_path / "scored.jsonl"
    marked = [replace(scored_dev[0], mindset_score=42.0, mindset="innerlijk")]
    klantfocus.write_transcripts(marked, scored)
    out = tmp_path / "r.html"
    assert _run(["report", str(scored), "-o", str(out)]) == 0
    assert 'data-score="42.00"' in out.read_text("utf-8")
    assert _run(["report", str(scored), "-o", str(out), "--rescore"]) == 0
    assert f'data-score="{scored_dev[0].mindset_score:.2f}"' in out.read_text("utf-8")


def test_cli_reads_a_batch_output_folder(scored_dev, tmp_path):
    import klantfocus
    import klantfocus.batch

    source = tmp_path / "in.jsonl"
    klantfocus.write_transcripts(
        [replace(t, mindset=None, mindset_score=None, explanation=None) for t in scored_dev[:5]],
        source,
    )
    folder = tmp_path / "batch"
    klantfocus.batch.run([source], folder, workers=1, shard_size=3, progress="none")
    out = tmp_path / "r.html"
    assert _run(["report", str(folder), "-o", str(out)]) == 0
    html = out.read_text("utf-8")
    assert parse(html).count("details", "kf-conv") == 5
    for t in scored_dev[:5]:
        assert f'data-score="{t.mindset_score:.2f}"' in html
        assert f'<span class="kf-sum-id">{t.id}</span>' in html


def test_cli_report_of_batch_output_keeps_calls_with_the_same_id_apart(tmp_path, capsys):
    """QA: two day files that both use ids 1 and 2, with agents mw-A and mw-B.

    ``klantfocus batch days -o OUT && klantfocus report OUT`` showed two conversations of
    twelve utterances, all by mw-A. Each call must stay one conversation with its file.
    """
    import pandas as pd

    days = tmp_path / "days"
    days.mkdir()
    table = pd.read_csv(EXAMPLES / "gesprekken.csv")
    table["conversation_id"] = table["conversation_id"].str.replace("csv-00", "")
    table.assign(agent_id="mw-A").to_csv(days / "day1.csv", index=False)
    table.assign(agent_id="mw-B").to_csv(days / "day2.csv", index=False)
    out = tmp_path / "OUT"
    assert _run(["batch", str(days), "-o", str(out), "--workers", "1", "-q"]) == 0
    report = tmp_path / "x.html"
    assert _run(["report", str(out), "-o", str(report)]) == 0
    captured = capsys.readouterr()
    assert "4 conversation(s)" in captured.out
    assert "2 conversation id(s) occur more than once" in captured.err

    html = report.read_text("utf-8")
    elements = _check_self_contained(html)
    assert elements.count("details", "kf-conv") == 4
    summaries = re.findall(
        r'<span class="kf-sum-id">([^<]*)</span><span class="kf-sum-meta">([^<]*)</span>', html
    )
    assert summaries == [
        ("1", "medewerker mw-A · bestand day1.csv"),
        ("2", "medewerker mw-A · bestand day1.csv"),
        ("1", "medewerker mw-B · bestand day2.csv"),
        ("2", "medewerker mw-B · bestand day2.csv"),
    ]
    assert html.count('<li class="kf-turn ') == 4 * 6
    calls = re.findall(
        r'class="kf-agent-link" data-agent="([^"]+)"[^>]*>[^<]*</button></td>'
        r'<td class="kf-num" data-value="(\d+)">',
        html,
    )
    assert sorted(calls) == [("mw-A", "2"), ("mw-B", "2")]
    assert "kf-repeated-ids" in html


def test_cli_report_names_files_of_file_inputs_with_the_same_ids(scored_dev, tmp_path, capsys):
    import klantfocus

    first, second = tmp_path / "a" / "calls.jsonl", tmp_path / "b" / "calls.jsonl"
    klantfocus.write_transcripts(scored_dev[:2], first)
    klantfocus.write_transcripts(scored_dev[:2], second)
    out = tmp_path / "r.html"
    assert _run(["report", str(first), str(second), "-o", str(out)]) == 0
    html = out.read_text("utf-8")
    assert parse(html).count("details", "kf-conv") == 4
    assert html.count("bestand a/calls.jsonl") == 2 and html.count("bestand b/calls.jsonl") == 2
    assert "occur more than once" in capsys.readouterr().err


def test_cli_bad_input_exit_code_and_skip_invalid(tmp_path, capsys):
    bad = tmp_path / "bad.jsonl"
    good = json.dumps(
        {"id": "a", "utterances": [{"speaker": "agent", "text": "Wat kan ik voor u doen?"}]}
    )
    bad.write_text(good + '\n{"id": "b", "utterances": [{"speaker": "agent"}]}\n', "utf-8")
    out = tmp_path / "r.html"
    assert _run(["report", str(bad), "-o", str(out)]) == 2
    assert "bad.jsonl, line 2" in capsys.readouterr().err
    assert not out.exists()
    assert _run(["report", str(bad), "-o", str(out), "--skip-invalid"]) == 0
    assert parse(out.read_text("utf-8")).count("details", "kf-conv") == 1
    errors = Path(f"{out}.errors.jsonl").read_text("utf-8").splitlines()
    assert json.loads(errors[0])["transcript_id"] == "b"
    empty_folder = tmp_path / "leeg"
    empty_folder.mkdir()
    assert _run(["report", str(empty_folder), "-o", str(out)]) == 2


def test_cli_rejects_a_page_size_below_one(tmp_path):
    with pytest.raises(SystemExit) as exit_info:
        _run(
            [
                "report",
                str(EXAMPLES / "gesprekken.jsonl"),
                "-o",
                str(tmp_path / "r.html"),
                "--page-size",
                "0",
            ]
        )
    assert exit_info.value.code == 2


def test_utterance_class_is_only_agent_or_customer():
    """Speaker classes come from the normalised speaker, never from input text."""
    from klantfocus.report.conversation import _utterance_html

    html = _utterance_html(Utterance("agent", "x", labels=["nonsense"]), 1, "a")
    assert 'class="kf-turn kf-agent"' in html and "kf-tag-other" in html
