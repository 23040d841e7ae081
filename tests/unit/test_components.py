"""The spaCy components: factories, extension attributes, serialisation."""

from __future__ import annotations

import subprocess
import sys

import spacy
from spacy.tokens import Doc, DocBin

from klantfocus.constants import EXT_EVIDENCE, EXT_SPEAKER, EXT_TAGS, SPANS_EVIDENCE
from klantfocus.pipeline import build_pipeline, tagged_utterances, transcript_to_doc


def test_components_registered_via_entry_points():
    # A fresh interpreter that never imports klantfocus must find the factories.
    code = (
        "import spacy; nlp = spacy.blank('nl');"
        "[nlp.add_pipe(n) for n in ('klantfocus_conversation', 'klantfocus_jargon', 'klantfocus_utterance_tagger')];"
        "print(nlp.pipe_names)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert "klantfocus_utterance_tagger" in result.stdout


def test_extension_attributes(nlp, conversation):
    doc = nlp(transcript_to_doc(nlp, conversation))
    spans = doc._.kf_utterances
    assert [s._.get(EXT_SPEAKER) for s in spans] == ["customer", "agent", "customer", "agent"]
    assert "jargon" in spans[1]._.get(EXT_TAGS)
    assert "open_question" in spans[3]._.get(EXT_TAGS)
    assert {e.label_ for e in spans[1]._.get(EXT_EVIDENCE)} >= {"jargon"}
    assert spans[0]._.get(EXT_TAGS) == []


def test_no_token_crosses_an_utterance(nlp, conversation):
    doc = transcript_to_doc(nlp, conversation)
    ends = {s.end for s in doc.spans["kf_utterances"]}
    starts = {s.start for s in doc.spans["kf_utterances"]}
    assert len(starts) == len(conversation.utterances) and ends


def test_plain_text_doc_is_one_agent_utterance(nlp):
    doc = nlp("Ik escaleer het ticket naar de tweede lijn.")
    assert doc._.get(EXT_TAGS) == [["premature_solution", "jargon"]] or doc._.get(EXT_TAGS) == [
        ["jargon"]
    ]
    assert any(span.label_ == "jargon" for span in doc.spans[SPANS_EVIDENCE])


def test_results_survive_docbin(nlp, conversation):
    doc = nlp(transcript_to_doc(nlp, conversation))
    restored = next(iter(DocBin(docs=[doc], store_user_data=True).get_docs(nlp.vocab)))
    assert tagged_utterances(restored, conversation) == tagged_utterances(doc, conversation)


def test_to_disk_from_disk_round_trip(tmp_path, conversation):
    nlp = build_pipeline(spacy.blank("nl"))
    nlp.get_pipe("klantfocus_jargon").rules_table["jargon_lexicon"].append("flux-condensator")
    nlp.get_pipe("klantfocus_jargon")._set_rules(nlp.get_pipe("klantfocus_jargon").rules_table)
    nlp.to_disk(tmp_path / "p")
    loaded = spacy.load(tmp_path / "p")
    assert loaded.pipe_names == nlp.pipe_names
    assert "flux-condensator" in loaded.get_pipe("klantfocus_jargon").finder.terms
    doc = loaded(transcript_to_doc(loaded, conversation))
    assert tagged_utterances(doc, conversation) == tagged_utterances(
        nlp(transcript_to_doc(nlp, conversation)), conversation
    )
    component = loaded.get_pipe("klantfocus_utterance_tagger")
    again = type(component)(loaded, rules={"unused": True} | component.rules_table).from_bytes(
        component.to_bytes()
    )
    assert again.rules_table == component.rules_table


def test_doc_input_is_not_required(nlp):
    assert isinstance(nlp("hallo"), Doc)
