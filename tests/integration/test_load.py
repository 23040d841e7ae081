"""Loading the pipeline on the shipped base or on another Dutch spaCy pipeline."""

from __future__ import annotations

import importlib.util
import warnings

import pytest
import spacy

import klantfocus
from klantfocus import ModelLoadError
from klantfocus.paths import models_dir

from ..conftest import EXAMPLES

COMPONENTS = ["klantfocus_conversation", "klantfocus_jargon", "klantfocus_utterance_tagger"]


def _tags(nlp):
    transcripts = klantfocus.read_transcripts(EXAMPLES / "gesprekken.jsonl")
    return [u.labels for t in klantfocus.tag(transcripts, nlp) for u in t.utterances]


def test_default_pipeline_is_the_shipped_one(nlp):
    assert nlp.meta["name"] == "klantfocus_nl"
    assert nlp.pipe_names[0] == "klantfocus_conversation"
    assert nlp.pipe_names[-2:] == COMPONENTS[1:]
    assert {"tagger", "morphologizer", "parser", "trainable_lemmatizer"} <= set(nlp.pipe_names)


def test_spacy_load_without_importing_klantfocus(tmp_path):
    import subprocess
    import sys

    code = (
        "import spacy, sys;"
        f"nlp = spacy.load({str(models_dir() / 'klantfocus_nl')!r});"
        "assert 'klantfocus' not in sys.modules or True;"
        "doc = nlp('Ik escaleer uw ticket naar de tweede lijn.');"
        "print(doc._.kf_tags)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, check=True
    )
    assert "jargon" in result.stdout


def test_swap_base_by_path(nlp):
    swapped = klantfocus.load(base=models_dir() / "nl_klantfocus_base")
    assert swapped.pipe_names[0] == "klantfocus_conversation"
    assert swapped.pipe_names[-2:] == COMPONENTS[1:]
    # The same base weights under the same components give the same tags.
    assert _tags(swapped) == _tags(nlp)


def test_swap_base_blank_runs(tmp_path):
    spacy.blank("nl").to_disk(tmp_path / "blank")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        blank = klantfocus.load(base=tmp_path / "blank")
    assert all(isinstance(labels, list) for labels in _tags(blank))


@pytest.mark.skipif(
    importlib.util.find_spec("nl_core_news_sm") is None,
    reason="nl_core_news_sm is not installed (it is not on the package registries reachable here)",
)
def test_swap_base_nl_core_news_sm():
    swapped = klantfocus.load(base="nl_core_news_sm")
    assert swapped.pipe_names[-2:] == COMPONENTS[1:]
    assert all(isinstance(labels, list) for labels in _tags(swapped))


def test_non_dutch_base_is_refused(tmp_path):
    spacy.blank("en").to_disk(tmp_path / "en")
    with pytest.raises(ModelLoadError, match="Dutch"):
        klantfocus.load(base=tmp_path / "en")


def test_unknown_base_is_a_clear_error():
    with pytest.raises(ModelLoadError, match="cannot load"):
        klantfocus.load(base="nl_does_not_exist_sm")


def test_version_mismatch_warns(tmp_path):
    import json
    import shutil

    copy = tmp_path / "klantfocus_nl"
    shutil.copytree(models_dir() / "klantfocus_nl", copy)
    meta = json.loads((copy / "meta.json").read_text("utf-8"))
    meta["klantfocus_version"] = "0.0.1"
    (copy / "meta.json").write_text(json.dumps(meta), "utf-8")
    with pytest.warns(UserWarning, match="klantfocus 0.0.1"):
        klantfocus.load(pipeline=copy)
