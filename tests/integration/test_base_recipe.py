"""Parts of the base pipeline's recipes: tok2vec pretraining (scripts/pretrain_base.py)
and the final refit on train + dev (scripts/train_base.py --refit-on-dev).

The recipes take half an hour each and need Debian's package archive and the treebanks;
these tests run their parts on tiny fixtures: a .deb built here, HTML pages, wrong hashes,
a fake selection run.
"""

from __future__ import annotations

import importlib
import io
import json
import lzma
import sys
import tarfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
pretrain_base = importlib.import_module("pretrain_base")
train_base = importlib.import_module("train_base")
silver_base = importlib.import_module("silver_base")

PAGE = """<html><head><title>Help</title><script>var x = "de kat is op de mat en niet weg";</script></head>
<body><h1>Tabellen</h1>
<p>U kunt een tabel invoegen via het menu Invoegen en daarna de grootte kiezen.</p>
<p>This paragraph was left untranslated and is of no use to the Dutch model.</p>
<pre>de code die hier staat is geen lopende tekst voor het model</pre>
<p>Klik op OK.</p>
<li>Selecteer de cellen die u wilt samenvoegen en kies dan Samenvoegen.</li>
</body></html>"""


def _ar_member(name: str, data: bytes) -> bytes:
    header = f"{name:<16}{0:<12}{0:<6}{0:<6}{'100644':<8}{len(data):<10}`\n".encode("ascii")
    return header + data + (b"\n" if len(data) % 2 else b"")


def make_deb(path: Path, files: dict[str, bytes]) -> Path:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    payload = lzma.compress(buf.getvalue())
    path.write_bytes(
        b"!<arch>\n" + _ar_member("debian-binary", b"2.0\n") + _ar_member("data.tar.xz", payload)
    )
    return path


def _message(err) -> str:
    return err.value.message  # RecipeError is a SystemExit(2) carrying its message


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("U kunt een tabel invoegen via het menu Invoegen.", True),
        ("Selecteer de cellen die u wilt samenvoegen.", True),
        ("This paragraph was left untranslated and is of no use.", False),
        ("Klik op OK.", False),  # too short to be a sentence of prose
        ("=SOM(A1:A10) ; =GEM(B1:B10) ; 1 2 3 4 5 6", False),  # mostly not letters
    ],
)
def test_is_dutch_prose(line, expected):
    assert pretrain_base.is_dutch_prose(line) is expected


def test_package_lines_reads_html_pages_of_a_deb(tmp_path):
    deb = make_deb(
        tmp_path / "help-nl_1.0_all.deb",
        {
            "./usr/share/help/nl/tabel.html": PAGE.encode("utf-8"),
            "./usr/share/help/nl/plaatje.png": b"\x89PNG not text",
        },
    )
    lines = pretrain_base.package_lines(deb)
    assert lines == [
        "U kunt een tabel invoegen via het menu Invoegen en daarna de grootte kiezen.",
        "Selecteer de cellen die u wilt samenvoegen en kies dan Samenvoegen.",
    ]


def test_not_a_deb_is_a_clear_error(tmp_path):
    bogus = tmp_path / "bogus.deb"
    bogus.write_bytes(b"PK\x03\x04 a zip file")
    with pytest.raises(pretrain_base.RecipeError) as err:
        list(pretrain_base.deb_members(bogus))
    assert "not a Debian package" in _message(err) and "bogus.deb" in _message(err)


def test_fetch_rejects_a_package_with_another_hash(tmp_path, monkeypatch):
    src = pretrain_base.DEBIAN_SOURCES[0]
    (tmp_path / pretrain_base.deb_filename(src)).write_bytes(b"not the pinned package")
    monkeypatch.setattr(pretrain_base, "DEBIAN_SOURCES", [src])
    with pytest.raises(pretrain_base.RecipeError) as err:
        pretrain_base.fetch_packages(tmp_path)
    assert "SHA-256 mismatch" in _message(err)
    assert pretrain_base.deb_filename(src) in _message(err)


def test_deb_filename_escapes_the_epoch():
    assert (
        pretrain_base.deb_filename({"package": "x", "version": "4:7.4-1"}) == "x_4%3a7.4-1_all.deb"
    )


def test_init_tok2vec_info_checks_the_weights(tmp_path):
    with pytest.raises(train_base.RecipeError) as err:
        train_base.pretrained_tok2vec_info(tmp_path / "tok2vec.bin")
    assert "not found" in _message(err)
    weights = tmp_path / "tok2vec.bin"
    weights.write_bytes(b"weights")
    info = train_base.pretrained_tok2vec_info(weights)
    assert info["weights_sha256"] == train_base.sha256_of(weights)
    (tmp_path / "pretrain.json").write_text(json.dumps({"weights_sha256": "0" * 64}))
    with pytest.raises(train_base.RecipeError) as err:
        train_base.pretrained_tok2vec_info(weights)
    assert "other weights" in _message(err)


def test_shipped_base_records_its_pretraining():
    meta_path = ROOT / "models" / "nl_klantfocus_base" / "meta.json"
    if not meta_path.exists():
        pytest.skip("models/nl_klantfocus_base is not built")
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    info = meta["training"].get("pretrained_tok2vec")
    if info is None:
        pytest.skip("the shipped base pipeline was trained without tok2vec pretraining")
    pinned = {src["package"]: src["sha256"] for src in pretrain_base.DEBIAN_SOURCES}
    assert {p["package"]: p["sha256"] for p in info["packages"]} == pinned
    assert info["corpus"]["words"] > 100_000
    assert len(info["weights_sha256"]) == 64
    debian_sources = [s for s in meta["sources"] if s["name"].startswith("Debian package")]
    assert len(debian_sources) == len(pinned)


def test_refit_needs_a_finished_selection_run(tmp_path):
    with pytest.raises(train_base.RecipeError) as err:
        train_base.selection_run(tmp_path)
    assert "--tune run" in _message(err)
    (tmp_path / "metrics.json").write_text("{}")
    (tmp_path / "split.json").write_text(json.dumps({"refit_on_dev": True}))
    with pytest.raises(train_base.RecipeError) as err:
        train_base.selection_run(tmp_path)
    assert "itself a refit" in _message(err)


def test_a_train_only_refit_may_start_while_its_selection_run_trains(tmp_path):
    (tmp_path / "split.json").write_text(json.dumps({"refit_on_dev": False}))
    assert train_base.selection_run(tmp_path, finished=False)["metrics"] == {}
    with pytest.raises(train_base.RecipeError) as err:
        train_base.selection_run(tmp_path)
    assert "finished --tune run" in _message(err)


def test_selection_runs_silver_comes_from_its_training_record_not_split_json(tmp_path):
    # a later --skip-train of the selection run rewrites split.json without the silver
    (tmp_path / "split.json").write_text(json.dumps({"refit_on_dev": False}))
    assert train_base.selection_run(tmp_path, finished=False)["silver"] is None
    (tmp_path / train_base.SILVER_INFO).write_text(json.dumps({"sha256": "ab" * 32}))
    silver = train_base.selection_run(tmp_path, finished=False)["silver"]
    assert train_base.silver_sha(silver) == "ab" * 32


def test_refit_reports_the_selection_runs_dev_figures(tmp_path):
    held_out = {"pos_acc": 0.95, "dep_las": 0.76}
    (tmp_path / "metrics.json").write_text(
        json.dumps({"dev": held_out, "dev_speech_style": held_out, "dev_conversational": held_out})
    )
    (tmp_path / "split.json").write_text(
        json.dumps({"refit_on_dev": False, "dev": {"sentences": 540}, "train": {"sentences": 4825}})
    )
    selection = train_base.selection_run(tmp_path)
    seen = {"pos_acc": 0.99, "dep_las": 0.90}
    out = train_base.selection_metrics(selection, {"dev": seen, "dev_conversational": seen})
    assert out["dev"] == held_out and out["dev_conversational"] == held_out
    assert out["dev_seen_in_training"] == seen
    assert out["refit"]["selection_run_dev_sentences"] == 540


def test_pretraining_must_have_read_the_same_training_split():
    info = {"corpus": {"treebank_split": {"seed": 1, "dev_fraction": 0.1}}}
    train_base.check_pretraining_split(info, 1, 0.1)  # same split: fine
    with pytest.raises(train_base.RecipeError) as err:
        train_base.check_pretraining_split(info, 2, 0.1)
    assert "Pretrain again" in _message(err)


def test_packaged_config_names_no_local_paths(tmp_path):
    (tmp_path / "config.cfg").write_text(
        '[paths]\ntrain = "/tmp/build/train.spacy"\ninit_tok2vec = "/home/me/tok2vec.bin"\n\n'
        "[initialize]\ninit_tok2vec = ${paths.init_tok2vec}\n"
    )
    train_base.clear_local_paths(tmp_path)
    text = (tmp_path / "config.cfg").read_text()
    assert "/tmp/build" not in text and "/home/me" not in text
    assert "${paths.init_tok2vec}" in text
    for shipped in ("nl_klantfocus_base", "klantfocus_nl"):
        config = ROOT / "models" / shipped / "config.cfg"
        if config.exists():
            assert "/tmp/" not in config.read_text() and "/work/" not in config.read_text()


def _parsed_example(nlp):
    from spacy.tokens import Doc
    from spacy.training import Example

    words = ["Ik", "bel", "u", "morgen", "terug"]
    reference = Doc(
        nlp.vocab,
        words=words,
        heads=[1, 1, 1, 1, 1],
        deps=["nsubj", "ROOT", "obj", "advmod", "compound:prt"],
        pos=["PRON", "VERB", "PRON", "ADV", "ADP"],
        tags=["VNW", "WW", "VNW", "BW", "VZ"],
    )
    return Example(nlp.make_doc(" ".join(words)), reference)


def test_supertags_are_dependency_label_and_head_side():
    import spacy

    example = _parsed_example(spacy.blank("nl"))
    # "<": the head is to the left of the word, ">": to the right
    assert train_base.supertags(example, "dep_dir") == [
        "nsubj>",
        "ROOT",
        "obj<",
        "advmod<",
        "compound:prt<",
    ]
    with_pos = train_base.supertags(example, "dep_dir_headpos")
    assert with_pos[0] == "nsubj>VERB" and with_pos[1] == "ROOT"


def test_supertags_leave_misaligned_tokens_out():
    import spacy
    from spacy.tokens import Doc
    from spacy.training import Example

    nlp = spacy.blank("nl")
    reference = Doc(nlp.vocab, words=["Bel", "me"], heads=[0, 0], deps=["ROOT", "obj"])
    predicted = Doc(nlp.vocab, words=["Belme"])  # one token for two: no aligned head
    assert train_base.supertags(Example(predicted, reference), "dep_dir") == [None]


def test_training_only_supertagger_is_removed_from_checkpoints(tmp_path):
    """The auxiliary task trains with the shared tok2vec and leaves no trace in the
    saved pipeline: a fresh spacy.load needs no klantfocus code."""
    import subprocess

    import spacy

    train_base.register_supertagger()
    nlp = spacy.blank("nl")
    nlp.add_pipe("tok2vec")
    nlp.add_pipe("tagger")
    tagger = nlp.add_pipe(train_base.DEP_SUPERTAGGER, name="dep_supertagger")
    examples = [_parsed_example(nlp) for _ in range(4)]
    nlp.initialize(lambda: examples)
    assert "obj<" in tagger.labels and "ROOT" in tagger.labels
    losses: dict[str, float] = {}
    for _ in range(3):
        nlp.update(examples, losses=losses)
    assert losses["dep_supertagger"] > 0
    # it writes nothing on the Doc: the tags are the tagger's
    doc = nlp("Ik bel u morgen terug")
    assert all(t.tag_ in {"VNW", "WW", "BW", "VZ"} for t in doc)
    nlp.meta["performance"] = {"dep_supertagger_loss": 1.0, "tagger_loss": 1.0}
    nlp.to_disk(tmp_path / "model-best")
    train_base.drop_training_only_pipes(tmp_path)
    reloaded = spacy.load(tmp_path / "model-best")
    assert reloaded.pipe_names == ["tok2vec", "tagger"]
    assert not (tmp_path / "model-best.tmp").exists()
    assert not any("dep_supertagger" in key for key in reloaded.meta.get("performance", {}))
    assert not (tmp_path / "model-best.old").exists()
    removed = json.loads((tmp_path / train_base.REMOVED_PIPES).read_text())
    assert [(r["name"], r["scheme"]) for r in removed] == [("dep_supertagger", "dep_dir")]
    code = f"import spacy; print(spacy.load({str(tmp_path / 'model-best')!r}).pipe_names)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "['tok2vec', 'tagger']"


def test_unknown_supertag_scheme_is_refused():
    import spacy

    train_base.register_supertagger()
    nlp = spacy.blank("nl")
    nlp.add_pipe("tok2vec")
    with pytest.raises(ValueError, match="scheme must be one of"):
        nlp.add_pipe(train_base.DEP_SUPERTAGGER, config={"scheme": "dep_only"})


def test_train_only_and_skip_train_exclude_each_other(capsys):
    with pytest.raises(SystemExit) as err:
        train_base.parse_args(["--train-only", "--skip-train"])
    assert err.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err


def test_supertag_experiment_config_builds():
    from spacy import util

    train_base.register_augmenter()
    train_base.register_supertagger()
    cfg = util.load_config(ROOT / "configs" / "base" / "config_supertag.cfg", interpolate=False)
    nlp = util.load_model_from_config(cfg, auto_fill=True, validate=True)
    assert nlp.pipe_names[-1] == "dep_supertagger"
    assert nlp.get_pipe("dep_supertagger").cfg["scheme"] in train_base.SUPERTAG_SCHEMES


def test_supertagger_needs_parsed_examples():
    import spacy
    from spacy.tokens import Doc
    from spacy.training import Example

    train_base.register_supertagger()
    nlp = spacy.blank("nl")
    nlp.add_pipe("tok2vec")
    nlp.add_pipe(train_base.DEP_SUPERTAGGER)
    unparsed = [Example(nlp.make_doc("Ik bel u"), Doc(nlp.vocab, words=["Ik", "bel", "u"]))]
    with pytest.raises(ValueError, match="no dependency parses"):
        nlp.initialize(lambda: unparsed)


def test_bilstm_experiment_config_builds():
    from spacy import util

    train_base.register_augmenter()
    cfg = util.load_config(ROOT / "configs" / "base" / "config_bilstm.cfg", interpolate=False)
    nlp = util.load_model_from_config(cfg, auto_fill=True, validate=True)
    assert "parser" in nlp.get_pipe("tok2vec").listening_components
    assert any(node.name.startswith("lstm") for node in nlp.get_pipe("parser").model.walk())
    assert not any(node.name.startswith("lstm") for node in nlp.get_pipe("tagger").model.walk())


class _Teacher:
    """Stands in for a trained pipeline: parses every text with fixed trees."""

    def __init__(self, trees: dict[str, tuple[list[int], list[str]]]):
        import spacy

        self.pipe_names = ["tok2vec", "parser"]
        self.vocab = spacy.blank("nl").vocab
        self.trees = trees

    def pipe(self, texts, batch_size, disable):
        from spacy.tokens import Doc

        for text in texts:
            heads, deps = self.trees[text]
            words = text.split()
            yield Doc(self.vocab, words=words, heads=heads, deps=deps)


def test_silver_keeps_only_whole_sentences_all_teachers_parse_alike():
    agreed = "Klik op OK ."
    disputed = "Kies een map ."
    fragment = "het menu Extra"
    two = "Sluit het venster . Open het bestand ."
    tree = {
        agreed: ([0, 2, 0, 0], ["ROOT", "case", "obl", "punct"]),
        disputed: ([0, 2, 0, 0], ["ROOT", "det", "obj", "punct"]),
        fragment: ([1, 1, 1], ["det", "ROOT", "flat"]),
        # two sentences; the teachers agree on the second, not on the first
        two: ([0, 2, 0, 0, 4, 6, 4, 4], ["ROOT", "det", "obj", "punct"] * 2),
    }
    other = dict(tree)
    other[disputed] = ([0, 2, 0, 0], ["ROOT", "det", "obl", "punct"])
    other[two] = ([0, 0, 0, 0, 4, 6, 4, 4], ["ROOT", "det", "obj", "punct"] * 2)
    teachers = [_Teacher(tree), _Teacher(tree), _Teacher(other)]
    counts = {"sentences": 0}
    kept = list(silver_base.agreed_sentences(list(tree), teachers, counts))
    assert counts["sentences"] == 5
    assert [words for words, *_ in kept] == [agreed.split(), ["Open", "het", "bestand", "."]]
    # heads are indices within the kept sentence, not within the paragraph
    assert kept[1][2] == [0, 2, 0, 0]
    assert kept[0][1][-1] is False


def test_silver_file_must_match_its_record(tmp_path):
    silver = tmp_path / "silver.spacy"
    with pytest.raises(train_base.RecipeError) as err:
        train_base.silver_record(silver, [])
    assert str(silver) in _message(err)
    silver.write_bytes(b"not the recorded file")
    (tmp_path / "silver.json").write_text(json.dumps({"sha256": "0" * 64}))
    with pytest.raises(train_base.RecipeError) as err:
        train_base.silver_record(silver, [])
    assert "differs from the hash" in _message(err)


def _silver(tmp_path, teacher_split):
    silver = tmp_path / "silver" / "silver.spacy"
    silver.parent.mkdir(parents=True)
    silver.write_bytes(b"silver")
    info = {"sha256": train_base.sha256_of(silver), "sentences": 1, "words": 3}
    info |= {"teachers": [{"path": "t", "split": teacher_split}], "raw_text": {}}
    (silver.parent / "silver.json").write_text(json.dumps(info))
    return silver


def test_silver_teachers_must_not_have_seen_the_dev_split(tmp_path):
    dev = ["s1", "s2"]
    same = {"refit_on_dev": False, "dev_sent_ids_sha256": train_base.dev_ids_sha256(["s1", "s2"])}
    assert train_base.silver_record(_silver(tmp_path / "a", same), dev)["words"] == 3
    for bad in ({**same, "refit_on_dev": True}, {**same, "dev_sent_ids_sha256": "0" * 64}):
        folder = tmp_path / str(len(list(tmp_path.iterdir())))
        with pytest.raises(train_base.RecipeError) as err:
            train_base.silver_record(_silver(folder, bad), dev)
        assert "teacher t" in _message(err)


def test_silver_and_treebank_share_one_training_folder(tmp_path):
    silver = _silver(tmp_path, {})
    (tmp_path / "train.spacy").write_bytes(b"gold")
    train_base.add_silver(silver, tmp_path)
    folder = tmp_path / train_base.SILVER_TRAIN_DIR
    assert sorted(p.name for p in folder.iterdir()) == ["silver.spacy", "train.spacy"]


def _checkpoint(folder: Path, **training) -> Path:
    from spacy import util

    cfg = util.load_config(ROOT / "configs" / "base" / "config.cfg", interpolate=False)
    cfg["paths"]["train"] = str(folder / "train.spacy")
    for key, value in training.items():
        cfg["training"][key] = value
    folder.mkdir(parents=True)
    cfg.to_disk(folder / "config.cfg")
    return folder


def test_refit_must_have_used_its_selection_runs_settings(tmp_path):
    _checkpoint(tmp_path / "select" / "training" / "model-best")
    # data paths and early stopping may differ
    same = _checkpoint(tmp_path / "refit1", patience=0)
    train_base.check_refit_config(tmp_path / "select", same)
    other = _checkpoint(tmp_path / "refit2", patience=0, dropout=0.3)
    with pytest.raises(train_base.RecipeError) as err:
        train_base.check_refit_config(tmp_path / "select", other)
    assert "training.dropout" in _message(err)


def test_speech_variant_of_a_treebank_sentence_keeps_its_empty_analyses():
    import random

    import spacy
    from spacy.tokens import Doc
    from spacy.training import Example

    nlp = spacy.blank("nl")
    gold = Doc(
        nlp.vocab,
        words=["Klik", "op", "OK", "."],
        pos=["VERB", "ADP", "PROPN", "PUNCT"],
        morphs=["VerbForm=Fin", "", "", ""],
        heads=[0, 2, 0, 0],
        deps=["ROOT", "case", "obl", "punct"],
    )
    example = Example(nlp.make_doc(gold.text), gold)
    variant = train_base.make_speech_variant(
        nlp, example, lower=True, drop_punct=True, fillers=[], rng=random.Random(0)
    )
    # an annotated token without features keeps the analysis "no features" ("_")
    assert variant.get_aligned("MORPH", as_string=True) == ["VerbForm=Fin", "_", "_"]


def test_speech_variant_of_a_silver_sentence_leaves_tags_and_morphology_missing():
    import random

    import spacy
    from spacy.tokens import Doc
    from spacy.training import Example

    nlp = spacy.blank("nl")
    silver = Doc(
        nlp.vocab,
        words=["Klik", "op", "OK", "."],
        heads=[0, 2, 0, 0],
        deps=["ROOT", "case", "obl", "punct"],
    )
    example = Example(nlp.make_doc(silver.text), silver)
    variant = train_base.make_speech_variant(
        nlp, example, lower=True, drop_punct=True, fillers=["eh"], rng=random.Random(0)
    )
    words = [t.text for t in variant.reference]
    assert words == ["eh", "klik", "op", "ok"]  # the punct label marks what to drop
    # an empty morph string would become the analysis "no features", a label the
    # morphologizer would learn; only the inserted filler is analysed
    assert variant.get_aligned("MORPH", as_string=True)[1:] == ["", "", ""]
    assert variant.get_aligned("POS", as_string=True) == ["INTJ", "", "", ""]


@pytest.mark.skipif(
    not train_base.DEFAULT_UD_DIR.is_dir(), reason="needs the UD treebanks in ../shared/ud-dutch"
)
def test_skip_train_refuses_to_package_without_the_silver_the_model_was_trained_with(
    tmp_path, capsys
):
    (tmp_path / train_base.SILVER_INFO).write_text(json.dumps({"sha256": "ab" * 32}))
    assert train_base.main(["--tune", "--build-dir", str(tmp_path), "--skip-train"]) == 2
    assert "was trained with --silver " + "ab" * 32 in capsys.readouterr().err
