#!/usr/bin/env python
"""Train klantfocus' Dutch base pipeline (the project's stand-in for nl_core_news_sm).

Recipe, in order:

1. verify  the SHA-256 of the four UD Dutch .conllu files (UD_Dutch-Alpino and
           UD_Dutch-LassySmall, dev/test splits only) against the values recorded below;
2. convert them to spaCy's binary format with spaCy's CoNLL-U reader, under build/base/:
             train.spacy  nl_alpino-ud-dev + nl_lassysmall-ud-dev + nl_lassysmall-ud-test
                          minus the internal dev split, plus klantfocus' conversational
                          treebank (data/ud-conversational, 85%, repeated 3 times)
             dev.spacy    internal dev split: ~10% of those three files, chosen as blocks of
                          consecutive sentences of one document, fixed seed, plus 15% of
                          the conversational treebank; used for early stopping / model
                          selection only
             test.spacy   nl_alpino-ud-test: HELD OUT, never trained on, never used for
                          tuning or model selection, only read in step 4
3. train   with configs/base/config.cfg (spaCy's training loop, in this process, so the
           speech-style augmenter defined here is registered); with --init-tok2vec the
           tok2vec starts from weights pretrained on raw Dutch text by
           scripts/pretrain_base.py (make base-model runs both);
4. evaluate the best model (by internal dev score) on the held-out test set;
5. package it to models/nl_klantfocus_base/ with meta.json filled in (sources, credits,
           licence, input hashes, held-out test and dev metrics).

Lemmas: the treebanks mark compound and particle-verb boundaries in lemmas with "_"
(basis_niveau, op_starten). The lemmatizer is trained on, and scored against, lemmas
without those marks (basisniveau, opstarten; parlementsverkiezingen ->
parlementsverkiezing). The same normalisation applies to train, dev and test gold.

Run from the repository root:  python scripts/train_base.py   (or: make base-model)
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import random
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_UD_DIR = REPO_ROOT.parent / "shared" / "ud-dutch"
DEFAULT_CONFIG = REPO_ROOT / "configs" / "base" / "config.cfg"
DEFAULT_BUILD = REPO_ROOT / "build" / "base"
DEFAULT_OUTPUT = REPO_ROOT / "models" / "nl_klantfocus_base"
DEFAULT_CONVERSATIONAL = REPO_ROOT / "data" / "ud-conversational"
CONVERSATIONAL_TEST = REPO_ROOT / "tests" / "data" / "conversational_pos.jsonl"

MODEL_NAME = "nl_klantfocus_base"
MODEL_VERSION = "0.1.0"

# SHA-256 of the inputs (UD_Dutch-Alpino @ 95e374a6, UD_Dutch-LassySmall @ 7880e0bc).
INPUT_SHA256: dict[str, str] = {
    "nl_alpino-ud-dev.conllu": "3d6ad878d8b7b362fd756da22ae230951233be1e5596743af772150c89ba346d",
    "nl_alpino-ud-test.conllu": "f5b5000fcbb6745d42f7cccf3986bb2550f9b56a171b0d4808fb45d2df7972a2",
    "nl_lassysmall-ud-dev.conllu": "5e756efff04efc3f410778dab0d0a2c151b1d1507c98a054af7fc208e722f458",
    "nl_lassysmall-ud-test.conllu": "26e0e40c67e80fbe9f905fb1fe952dc609bd6c1a6c82dbcb3079ae474a01e8f3",
}
TRAIN_FILES = [
    "nl_alpino-ud-dev.conllu",
    "nl_lassysmall-ud-dev.conllu",
    "nl_lassysmall-ud-test.conllu",
]
HELD_OUT_TEST_FILE = "nl_alpino-ud-test.conllu"

SPLIT_SEED = 20240611
DEV_FRACTION = 0.10
BLOCK_SENTS = 25  # a dev "block": up to this many consecutive sentences of one document
N_SENTS = 10  # sentences per training Doc (as `spacy convert --n-sents 10`)
# The conversational treebank is small next to the UD files (a few thousand words against
# 61k): its training sentences are repeated so that its constructions ("u", imperatives,
# verb-first questions, fillers) weigh enough; its dev share joins the internal dev split.
CONVERSATIONAL_REPEAT = 3
CONVERSATIONAL_DEV_FRACTION = 0.15

METRICS = ["pos_acc", "tag_acc", "morph_acc", "lemma_acc", "dep_uas", "dep_las", "sents_f"]
TARGETS = {"pos_acc": 0.93, "dep_las": 0.72}

SOURCES = [
    {
        "name": "UD_Dutch-Alpino",
        "url": "https://github.com/UniversalDependencies/UD_Dutch-Alpino",
        "version": "95e374a6",
        "license": "CC BY-SA 4.0",
        "author": "Gosse Bouma, Gertjan van Noord; Daniel Zeman, Zdeněk Žabokrtský et al.",
        "citation": (
            "Gosse Bouma and Gertjan van Noord (2017). Increasing Return on Annotation "
            "Investment: The Automatic Construction of a Universal Dependency Treebank for "
            "Dutch. Proceedings of the NoDaLiDa 2017 Workshop on Universal Dependencies."
        ),
        "files": ["nl_alpino-ud-dev.conllu", "nl_alpino-ud-test.conllu"],
    },
    {
        "name": "UD_Dutch-LassySmall",
        "url": "https://github.com/UniversalDependencies/UD_Dutch-LassySmall",
        "version": "7880e0bc",
        "license": "CC BY-SA 4.0",
        "author": "Gosse Bouma, Gertjan van Noord",
        "citation": (
            "van Noord G. et al. (2013). Large Scale Syntactic Annotation of Written Dutch: "
            "Lassy. In: Spyns P., Odijk J. (eds) Essential Speech and Language Technology "
            "for Dutch. Springer."
        ),
        "files": ["nl_lassysmall-ud-dev.conllu", "nl_lassysmall-ud-test.conllu"],
    },
]

CONVERSATIONAL_SOURCE = {
    "name": "klantfocus conversational treebank",
    "url": "data/ud-conversational/ in the klantfocus repository",
    "author": "klantfocus team",
    "license": "CC BY-SA 4.0",
    "citation": "Customer-service sentences written and annotated in UD Dutch (Alpino) "
    "conventions for klantfocus; see data/ud-conversational/README.md.",
}

SPEECH_FILLERS = ["eh", "ehm", "uh", "uhm", "hm"]


class RecipeError(SystemExit):
    """Fatal, user-facing error: printed as a single clear message, exit status 2."""

    def __init__(self, message: str):
        super().__init__(2)
        self.message = message


def log(msg: str) -> None:
    print(f"[train_base] {msg}", flush=True)


# --------------------------------------------------------------------------- 1. verify


def repo_name(path: Path) -> str:
    """How meta.json names a file: relative to the repository, else by its name alone."""
    path = path.resolve()
    return str(path.relative_to(REPO_ROOT)) if path.is_relative_to(REPO_ROOT) else path.name


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def verify_inputs(ud_dir: Path) -> dict[str, str]:
    """Check that ud_dir holds the four .conllu files with the recorded SHA-256."""
    if not ud_dir.is_dir():
        raise RecipeError(
            f"UD Dutch treebank folder not found: {ud_dir}\n"
            "The base pipeline is trained from the dev/test splits of UD_Dutch-Alpino and "
            "UD_Dutch-LassySmall, expected in ../shared/ud-dutch relative to the repository "
            "root. Pass --ud-dir to point elsewhere."
        )
    problems = []
    for name, expected in INPUT_SHA256.items():
        path = ud_dir / name
        if not path.is_file():
            problems.append(f"  missing: {path}")
            continue
        actual = sha256_of(path)
        if actual != expected:
            problems.append(
                f"  SHA-256 mismatch: {path}\n    expected {expected}\n    found    {actual}"
            )
    if problems:
        raise RecipeError(
            "Input check failed; the recipe only trains on the exact treebank files it "
            "records:\n" + "\n".join(problems)
        )
    log(f"inputs verified in {ud_dir} (4 files, SHA-256 match)")
    return dict(INPUT_SHA256)


# --------------------------------------------------------------------------- 2. convert

_DOC_ID = re.compile(r"^(?:.*\\)?(.+?)\.p\.\d+")


def normalise_lemma(form: str, lemma: str) -> str:
    """Drop the treebank's compound / particle-verb marks from a lemma.

    parlement_verkiezing (parlementsverkiezingen) -> parlementsverkiezing
    basis_niveau (basisniveau) -> basisniveau;  op_starten (opgestart) -> opstarten
    """
    if "_" not in lemma or lemma == "_" or "_" in form:
        return lemma
    parts = [p for p in lemma.split("_") if p]
    if not parts:
        return lemma
    joined = "".join(parts)
    last = parts[-1]
    # Keep the surface form of the non-head part when the head is visible in the form
    # (linking -s-, hyphens and capitals as written).
    pos = form.lower().rfind(last.lower())
    if len(parts) > 1 and pos > 0:
        candidate = form[:pos] + last
        first = joined[0]
        candidate = (candidate[0].upper() if first.isupper() else candidate[0].lower()) + candidate[
            1:
        ]
        return candidate
    return joined


def read_blocks(path: Path) -> list[dict]:
    """Sentences of a .conllu file: {doc_id, sent_id, text(conllu block)} with lemmas normalised."""
    sents = []
    raw = path.read_text(encoding="utf-8").strip()
    for block in raw.split("\n\n"):
        lines = block.strip().split("\n")
        sent_id = next(
            (ln.split("=", 1)[1].strip() for ln in lines if ln.startswith("# sent_id")), ""
        )
        m = _DOC_ID.match(sent_id)
        doc_id = m.group(1) if m else sent_id.rsplit(".", 1)[0]
        out = []
        for line in lines:
            if line.startswith("#"):
                out.append(line)
                continue
            cols = line.split("\t")
            if len(cols) == 10 and cols[0].isdigit():
                cols[2] = normalise_lemma(cols[1], cols[2])
            out.append("\t".join(cols))
        sents.append(
            {"doc_id": f"{path.name}:{doc_id}", "sent_id": sent_id, "conllu": "\n".join(out)}
        )
    return sents


def split_dev(sents: list[dict], fraction: float, seed: int) -> tuple[list, list]:
    """Hold out ~fraction of the sentences as blocks of consecutive sentences of one document."""
    blocks: list[list[dict]] = []
    for s in sents:
        if blocks and blocks[-1][0]["doc_id"] == s["doc_id"] and len(blocks[-1]) < BLOCK_SENTS:
            blocks[-1].append(s)
        else:
            blocks.append([s])
    order = list(range(len(blocks)))
    random.Random(seed).shuffle(order)
    target = fraction * len(sents)
    chosen, n = set(), 0
    for b in order:
        if n >= target:
            break
        chosen.add(b)
        n += len(blocks[b])
    train = [s for i, b in enumerate(blocks) if i not in chosen for s in b]
    dev = [s for i, b in enumerate(blocks) if i in chosen for s in b]
    return train, dev


def to_docbin(sents: list[dict], path: Path) -> int:
    """Convert sentences with spaCy's CoNLL-U converter (n_sents per Doc, never across documents)."""
    from spacy.tokens import DocBin
    from spacy.training.converters import conllu_to_docs

    db = DocBin(store_user_data=False)
    by_doc: list[list[dict]] = []
    for s in sents:
        if by_doc and by_doc[-1][0]["doc_id"] == s["doc_id"]:
            by_doc[-1].append(s)
        else:
            by_doc.append([s])
    n_words = 0
    for group in by_doc:
        text = "\n\n".join(s["conllu"] for s in group) + "\n"
        for doc in conllu_to_docs(text, n_sents=N_SENTS, merge_subtokens=True, no_print=True):
            n_words += len(doc)
            db.add(doc)
    path.parent.mkdir(parents=True, exist_ok=True)
    db.to_disk(path)
    return n_words


def conversational_files(conv_dir: Path | None) -> list[Path]:
    return sorted(conv_dir.glob("*.conllu")) if conv_dir and conv_dir.is_dir() else []


def split_conversational(conv_dir: Path | None, seed: int) -> tuple[list, list]:
    """Train and dev sentences of the conversational treebank (independent sentences: a
    seeded random share per file goes to dev)."""
    train: list[dict] = []
    dev: list[dict] = []
    for path in conversational_files(conv_dir):
        sents = read_blocks(path)
        order = list(range(len(sents)))
        random.Random(f"{seed}:{path.name}").shuffle(order)
        n_dev = round(CONVERSATIONAL_DEV_FRACTION * len(sents))
        dev_ids = set(order[:n_dev])
        for i, s in enumerate(sents):
            (dev if i in dev_ids else train).append(s)
    return train, dev


def convert(
    ud_dir: Path,
    build: Path,
    seed: int,
    fraction: float,
    conv_dir: Path | None = None,
    refit: bool = False,
) -> dict:
    train_all: list[dict] = []
    per_file = {}
    for name in TRAIN_FILES:
        sents = read_blocks(ud_dir / name)
        tr, dv = split_dev(sents, fraction, seed)
        per_file[name] = {
            "sentences": len(sents),
            "train_sentences": len(tr),
            "dev_sentences": len(dv),
        }
        train_all.append((tr, dv))
    conv_train, conv_dev = split_conversational(conv_dir, seed)
    if conv_train:
        per_file["conversational"] = {
            "files": [p.name for p in conversational_files(conv_dir)],
            "sentences": len(conv_train) + len(conv_dev),
            "train_sentences": len(conv_train),
            "dev_sentences": len(conv_dev),
            "train_repeat": CONVERSATIONAL_REPEAT,
        }
    train = [s for tr, _ in train_all for s in tr] + conv_train * CONVERSATIONAL_REPEAT
    dev = [s for _, dv in train_all for s in dv] + conv_dev
    test = read_blocks(ud_dir / HELD_OUT_TEST_FILE)
    overlap = {s["sent_id"] for s in train} & {s["sent_id"] for s in dev}
    assert not overlap, f"train/dev overlap: {sorted(overlap)[:5]}"
    if refit:
        # final fit: the internal dev split joins the training data (conversational part
        # repeated like the rest of the treebank); dev.spacy is still written, but
        # scores on it are no longer held-out figures
        train += [s for _, dv in train_all for s in dv] + conv_dev * CONVERSATIONAL_REPEAT
    if conv_dev:
        to_docbin(conv_dev, build / "dev_conversational.spacy")
    else:
        (build / "dev_conversational.spacy").unlink(missing_ok=True)
    info = {
        "seed": seed,
        "dev_fraction": fraction,
        "refit_on_dev": refit,
        "block_sentences": BLOCK_SENTS,
        "files": per_file,
        "train": {"sentences": len(train), "words": to_docbin(train, build / "train.spacy")},
        "dev": {"sentences": len(dev), "words": to_docbin(dev, build / "dev.spacy")},
        "test": {
            "file": HELD_OUT_TEST_FILE,
            "sentences": len(test),
            "words": to_docbin(test, build / "test.spacy"),
        },
        "dev_sent_ids": [s["sent_id"] for s in dev],
    }
    write_split(build, info)
    log(
        "converted: train {train[sentences]} sents / {train[words]} words, dev {dev[sentences]} / "
        "{dev[words]}, held-out test {test[sentences]} / {test[words]}".format(**info)
    )
    return info


def write_split(build: Path, info: dict) -> None:
    (build / "split.json").write_text(
        json.dumps(info, indent=1, ensure_ascii=False), encoding="utf-8"
    )


# --------------------------------------------------------------------------- augmentation


class _Skip(Exception):
    pass


_NO_IMPERATIVE = {
    "hebben",
    "zijn",
    "worden",
    "kunnen",
    "zullen",
    "moeten",
    "mogen",
    "willen",
    "blijken",
    "lijken",
}


def _records(doc) -> list[list[dict]]:
    """Gold tokens as mutable records, grouped by sentence; heads are record references."""
    recs = [
        {
            "orth": t.text,
            "ws": bool(t.whitespace_),
            "tag": t.tag_,
            "pos": t.pos_,
            "morph": str(t.morph),
            "lemma": t.lemma_,
            "dep": t.dep_,
            "head": None,
        }
        for t in doc
    ]
    for t in doc:
        recs[t.i]["head"] = recs[t.head.i]
    return [[recs[t.i] for t in s] for s in doc.sents]


def _root(sent: list[dict]) -> dict:
    roots = [r for r in sent if r["head"] is r]
    if len(roots) != 1:
        raise _Skip()
    return roots[0]


def _subtree_ids(sent: list[dict], top: dict) -> set:
    ids = {id(top)}
    changed = True
    while changed:
        changed = False
        for r in sent:
            if id(r) not in ids and id(r["head"]) in ids and r["head"] is not r:
                ids.add(id(r))
                changed = True
    return ids


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:]


def _decap(rec: dict) -> None:
    if rec["pos"] != "PROPN" and (len(rec["orth"]) == 1 or rec["orth"][1:].islower()):
        rec["orth"] = rec["orth"].lower()


def _subject_first(sent: list[dict]):
    """(finite verb, subject records) when the clause is 'Subject Vfin ...' (V2 with subject first)."""
    root = _root(sent)
    subj = [r for r in sent if r["head"] is root and r["dep"] in ("nsubj", "nsubj:pass")]
    if len(subj) != 1:
        return None
    ids = _subtree_ids(sent, subj[0])
    k = 0
    while k < len(sent) and id(sent[k]) in ids:
        k += 1
    if k == 0 or k != len(ids) or k >= len(sent):
        return None
    verb = sent[k]
    is_finite = verb["tag"].startswith("WW|pv")
    if not is_finite or not (
        verb is root or (verb["head"] is root and verb["dep"] in ("aux", "aux:pass", "cop"))
    ):
        return None
    return verb, sent[:k]


# Person substitution: conversational text is full of ik / u / jullie / we, news and wiki text
# of hij / zij. Replacement forms with their treebank (Lassy / CGN) tags and UD features.
_PRON_FORMS = {
    "ik": {
        "subj": ("ik", "VNW|pers|pron|nomin|vol|1|ev", "Case=Nom|Person=1|PronType=Prs"),
        "obj": ("mij", "VNW|pr|pron|obl|vol|1|ev", "Case=Acc|Person=1|PronType=Prs"),
        "refl": ("me", "VNW|pr|pron|obl|red|1|ev", "Case=Acc|Person=1|PronType=Prs"),
        "poss": (
            "mijn",
            "VNW|bez|det|stan|vol|1|ev|prenom|zonder|agr",
            "Person=1|Poss=Yes|PronType=Prs",
        ),
    },
    "u": {
        "subj": ("u", "VNW|pers|pron|nomin|vol|2b|getal", "Case=Nom|Person=2|PronType=Prs"),
        "obj": ("u", "VNW|pr|pron|obl|vol|2|getal", "Case=Acc|Person=2|PronType=Prs"),
        "poss": (
            "uw",
            "VNW|bez|det|stan|vol|2|getal|prenom|zonder|agr",
            "Person=2|Poss=Yes|PronType=Prs",
        ),
    },
    "jullie": {"subj": ("jullie", "VNW|pers|pron|stan|vol|2|mv", "Person=2|PronType=Prs")},
    "we": {"subj": ("we", "VNW|pers|pron|nomin|red|1|mv", "Case=Nom|Person=1|PronType=Prs")},
}
# Belgian "ge" takes the object and possessive forms of "u".
_PRON_FORMS["ge"] = {
    **_PRON_FORMS["u"],
    "subj": ("ge", "VNW|pers|pron|nomin|red|2v|ev", "Case=Nom|Person=2|PronType=Prs"),
}
# Present-tense verb forms that do not follow the regular pattern.
_FIRST_PERSON_FORMS = {"heeft": "heb", "is": "ben"}
_SECOND_PERSON_FORMS = {"kan": "kunt", "zal": "zult", "wil": "wilt", "is": "bent", "heeft": "hebt"}


def _set_word(rec: dict, word: str, tag: str, morph: str) -> None:
    rec.update(
        orth=_cap(word) if rec["orth"][:1].isupper() else word, tag=tag, morph=morph, lemma=word
    )


def _verb_for(person: str, verb: dict, rng: random.Random) -> str | None:
    """The present-tense form of `verb` (3rd person singular in the treebank) for `person`."""
    low, tag = verb["orth"].lower(), verb["tag"]
    if not tag.startswith("WW|pv|tgw"):
        return low  # past tense: same form for every singular person
    if person == "ik":
        return _FIRST_PERSON_FORMS.get(low) or _stem(low, tag)
    new = _SECOND_PERSON_FORMS.get(low, low)
    if new == "hebt" and person == "u" and rng.random() < 0.7:
        new = "heeft"  # both are standard with u
    return new


def _change_person(sent: list[dict], rng: random.Random) -> list[dict]:
    """Make a 3rd-person subject 1st or 2nd person: hij / de monteur -> ik, u or Flemish ge;
    zij (pl) / de klanten -> jullie or we; the finite verb agrees (hij heeft -> ik heb / u hebt;
    hij kan -> u kunt) and hem / zijn / haar / zich follow (mij / mijn / me, u / uw).
    A nominal subject is replaced, with everything that depends on it, by the pronoun."""
    _root(sent)  # raises _Skip unless the sentence has exactly one root
    candidates = []
    for r in sent:
        if r["dep"] not in ("nsubj", "nsubj:pass"):
            continue
        low = r["orth"].lower()
        if r["pos"] == "PRON" and low in ("hij", "zij", "ze"):
            candidates.append((r, "|mv" in r["tag"]))
        elif r["pos"] in ("NOUN", "PROPN"):
            if "Number=Plur" in r["morph"]:
                candidates.append((r, True))
            elif "Number=Sing" in r["morph"] or r["pos"] == "PROPN":
                candidates.append((r, False))
    if not candidates:
        return sent
    subj, plural = rng.choice(candidates)
    ids = _subtree_ids(sent, subj)
    positions = [i for i, r in enumerate(sent) if id(r) in ids]
    if positions[-1] - positions[0] + 1 != len(positions):
        return sent
    head = subj["head"]
    verbs = [
        v
        for v in sent
        if v["tag"].startswith("WW|pv")
        and (v is head or (v["head"] is head and v["dep"] in ("aux", "aux:pass", "cop")))
    ]
    if verbs:  # number as the finite verb shows it (Ethiopië en Albanië werden ...)
        plural = any("|mv" in v["tag"] for v in verbs)
    if plural:
        if any(r["orth"].lower() == "zich" for r in sent):
            return sent
        person = rng.choice(["jullie", "we"])
    else:
        person = rng.choices(["ik", "u", "ge"], weights=[0.45, 0.4, 0.15])[0]
    forms = _PRON_FORMS[person]
    new_forms = []
    if not plural:
        for v in verbs:
            new = _verb_for(person, v, rng)
            if new is None:
                return sent
            new_forms.append((v, new))
    word, tag, morph = forms["subj"]
    at_start = positions[0] == 0
    subj.update(
        orth=_cap(word) if at_start else word,
        tag=tag,
        morph=morph,
        lemma=word,
        pos="PRON",
        ws=sent[positions[-1]]["ws"],
    )
    sent = [r for r in sent if r is subj or id(r) not in ids]
    for v, new in new_forms:
        if new != v["orth"].lower():
            tag = "WW|pv|tgw|ev" if person == "ik" else "WW|pv|tgw|met-t"
            v.update(orth=_cap(new) if v["orth"][:1].isupper() else new, tag=tag)
    for r in sent:
        low = r["orth"].lower()
        if r["pos"] != "PRON" or r is subj:
            continue
        if low == "hem" and "obj" in forms:
            _set_word(r, *forms["obj"])
        elif low in ("zijn", "haar") and r["tag"].startswith("VNW|bez|det") and "poss" in forms:
            _set_word(r, *forms["poss"])
        elif low == "zich" and "refl" in forms:
            _set_word(r, *forms["refl"])
    return sent


def _verb_first_question(sent: list[dict], rng: random.Random) -> list[dict]:
    """'Hij heeft de router opgestart.' -> 'Heeft hij de router opgestart?'"""
    found = _subject_first(sent)
    if not found:
        return sent
    verb, subj = found
    first = subj[0]
    if first["pos"] == "PUNCT":
        return sent
    _decap(first)
    low = [r["orth"].lower() for r in subj]
    if (
        low in (["je"], ["jij"])
        and verb["tag"].endswith("met-t")
        and verb["orth"].endswith("t")
        and verb["orth"].lower() not in _SECOND_PERSON_FORMS.values()
    ):
        verb["orth"] = verb["orth"][:-1]
        verb["tag"] = "WW|pv|tgw|ev"
    verb["orth"] = _cap(verb["orth"])
    k = len(subj)
    out = [verb, *sent[:k], *sent[k + 1 :]]
    if out[-1]["pos"] == "PUNCT" and out[-1]["orth"] == ".":
        out[-1].update(orth="?", lemma="?")
    verb["ws"] = True
    sent[k - 1]["ws"] = True
    return out


_VOWELS = set("aeiouy")
_STEM_IRREGULAR = {
    "hebben": "heb",
    "zijn": "wees",
    "kunnen": "kan",
    "zullen": "zal",
    "willen": "wil",
    "mogen": "mag",
    "komen": "kom",
    "gaan": "ga",
    "staan": "sta",
    "slaan": "sla",
    "doen": "doe",
    "zien": "zie",
    "bekomen": "bekom",
    "overkomen": "overkom",
}


def _stem_from_infinitive(inf: str) -> str | None:
    """Present-tense stem (= imperative) from an infinitive: maken -> maak, zetten -> zet,
    geven -> geef, lezen -> lees, veranderen -> verander, gaan -> ga."""
    inf = inf.lower()
    if inf in _STEM_IRREGULAR:
        return _STEM_IRREGULAR[inf]
    for whole, stem in _STEM_IRREGULAR.items():  # opkomen -> opkom
        if inf.endswith(whole) and len(inf) > len(whole) + 1 and whole not in ("zijn", "doen"):
            return inf[: -len(whole)] + stem
    if not inf.isalpha() or not inf.endswith("en") or len(inf) < 4:
        return None
    stem = inf[:-2]
    last, prev = stem[-1], stem[-2]
    if last in _VOWELS:
        return None
    if last == prev:  # zetten -> zet, bellen -> bel
        stem = stem[:-1]
    elif prev in "aeou" and (len(stem) < 3 or stem[-3] not in _VOWELS):
        # open syllable: maken -> maak; not for unstressed -el/-er/-en/-em (veranderen, openen)
        unstressed = prev == "e" and last in "lrnm" and any(c in _VOWELS for c in stem[:-2])
        if unstressed and last == "r" and stem[-3] in "lbpsrmcg":
            unstressed = False  # loan verbs in -eren: controleren -> controleer, proberen
        if not unstressed:
            stem = stem[:-1] + prev + last
    if stem.endswith("v"):
        stem = stem[:-1] + "f"
    elif stem.endswith("z"):
        stem = stem[:-1] + "s"
    return stem


def _stem(form: str, tag: str) -> str | None:
    low = form.lower()
    if tag == "WW|pv|tgw|ev":
        return low
    if tag == "WW|pv|tgw|met-t" and low.endswith("t") and len(low) > 3:
        stem = low[:-1]
        if stem[-2:] in ("aa", "ee", "oo", "uu"):
            stem = stem[:-1]
        return stem
    return None


def _imperative(sent: list[dict], rng: random.Random) -> list[dict]:
    """'Hij zette de router uit.' -> 'Zet de router uit.' (subject dropped, verb stem from
    its lemma; separable particles stay where they are)."""
    found = _subject_first(sent)
    if not found:
        return sent
    verb, subj = found
    root = _root(sent)
    if verb is not root or verb["pos"] != "VERB" or verb["lemma"] in _NO_IMPERATIVE:
        return sent
    if any(
        r["head"] is root and r["dep"] in ("aux", "aux:pass", "cop", "expl", "expl:pv")
        for r in sent
    ):
        return sent
    lemma = verb["lemma"].lower()
    for r in sent:
        if r["head"] is verb and r["dep"] == "compound:prt" and lemma.startswith(r["orth"].lower()):
            lemma = lemma[len(r["orth"]) :]
    stem = _stem_from_infinitive(lemma)
    if not stem or subj[0]["pos"] == "PUNCT":
        return sent
    verb.update(orth=_cap(stem), tag="WW|pv|tgw|ev", morph="Number=Sing|Tense=Pres|VerbForm=Fin")
    out = sent[len(subj) :]
    if out[-1]["pos"] == "PUNCT" and out[-1]["orth"] == "." and rng.random() < 0.3:
        out[-1].update(orth="!", lemma="!")
    return out


def _insert_filler(
    sent: list[dict], filler: str, cased: bool, with_comma: bool, rng: random.Random
) -> list[dict]:
    """Add a hesitation (INTJ, TSW; parataxis on the root, as the treebanks attach ja/nee)."""
    root = _root(sent)
    frec = {
        "orth": filler,
        "ws": True,
        "tag": "TSW",
        "pos": "INTJ",
        "morph": "",
        "lemma": filler,
        "dep": "parataxis",
        "head": root,
    }
    gaps = [0]
    if len(sent) > 3 and rng.random() < 0.5:
        pos = {id(r): i for i, r in enumerate(sent)}
        r_i = pos[id(root)]
        arcs = [
            (min(i, pos[id(r["head"])]), max(i, pos[id(r["head"])]))
            for i, r in enumerate(sent)
            if r["head"] is not r
        ]
        mid = []
        for g in range(1, len(sent)):
            lo, hi = (g - 0.5, r_i) if g <= r_i else (r_i, g - 0.5)
            crossing = any((lo < a < hi) != (lo < b < hi) for a, b in arcs if r_i not in (a, b))
            if not crossing and sent[g]["pos"] != "PUNCT" and sent[g - 1]["pos"] != "PUNCT":
                mid.append(g)
        gaps = mid or gaps
    g = rng.choice(gaps)
    insert = [frec]
    if g == 0 and cased:
        first = sent[0]
        if first["orth"][:1].isupper():
            frec["orth"] = _cap(filler)
            _decap(first)
        if with_comma:
            frec["ws"] = False
            insert.append(
                {
                    "orth": ",",
                    "ws": True,
                    "tag": "LET",
                    "pos": "PUNCT",
                    "morph": "",
                    "lemma": ",",
                    "dep": "punct",
                    "head": frec,
                }
            )
    if g > 0:
        sent[g - 1]["ws"] = True
    return sent[:g] + insert + sent[g:]


def make_speech_variant(
    nlp,
    example,
    *,
    lower: bool,
    drop_punct: bool,
    fillers: Sequence[str] = (),
    syntax: bool = False,
    rng: random.Random | None = None,
):
    """Return a copy of `example` as a customer-service conversation might look.

    syntax: per sentence, sometimes another person as subject (hij -> ik / u / ge, zij (pl)
    -> jullie / we, with agreement: ik heb, u kunt), then sometimes a verb-first question or
    an imperative made from a subject-first main clause (trees and tags kept consistent); fillers: hesitations (eh, uhm, ...) in some
    sentences; drop_punct: remove PUNCT tokens, reattaching anything that hung on them;
    lower: lowercase words and lemmas.
    """
    from spacy.tokens import Doc
    from spacy.training import Example

    rng = rng or random.Random(random.random())
    sents = _records(example.reference)
    if syntax:
        new_sents = []
        for s in sents:
            if rng.random() < 0.6:
                s = _change_person(s, rng)
            r = rng.random()
            if r < 0.35:
                s = _verb_first_question(s, rng)
            elif r < 0.7:
                s = _imperative(s, rng)
            new_sents.append(s)
        sents = new_sents
    if fillers:
        sents = [
            _insert_filler(
                s, rng.choice(list(fillers)), cased=not lower, with_comma=not drop_punct, rng=rng
            )
            if (k == 0 or rng.random() < 0.5)
            else s
            for k, s in enumerate(sents)
        ]
    recs = [r for s in sents for r in s]

    if drop_punct:
        # silver sentences (scripts/silver_base.py) have no POS: their label says it
        keep = [r for r in recs if not _is_punct(r)]
        if not keep:
            raise _Skip()
        kept_ids = {id(r) for r in keep}
        for idx, r in enumerate(recs):
            if id(r) in kept_ids:
                nxt = recs[idx + 1] if idx + 1 < len(recs) else None
                if nxt is not None and id(nxt) not in kept_ids:
                    r["ws"] = True
        for r in keep:
            h, steps = r["head"], 0
            while id(h) not in kept_ids:
                if h["head"] is h:  # a punctuation root with dependents: leave this example alone
                    raise _Skip()
                h, steps = h["head"], steps + 1
                if steps > len(recs):
                    raise _Skip()
            r["head"] = h
        recs = keep

    if lower:
        for r in recs:
            r["orth"] = r["orth"].lower()
            r["lemma"] = r["lemma"].lower()

    index = {id(r): i for i, r in enumerate(recs)}
    if any(id(r["head"]) not in index for r in recs):
        raise _Skip()
    spaces = [r["ws"] for r in recs]
    spaces[-1] = False
    doc = Doc(
        nlp.vocab,
        words=[r["orth"] for r in recs],
        spaces=spaces,
        tags=[r["tag"] for r in recs],
        pos=[r["pos"] for r in recs],
        morphs=[r["morph"] for r in recs],
        lemmas=[r["lemma"] for r in recs],
        heads=[index[id(r["head"])] for r in recs],
        deps=[r["dep"] for r in recs],
    )
    unanalysed = [i for i, r in enumerate(recs) if not r["pos"]]
    if unanalysed:
        # Doc() stores an empty morph string as the analysis "no features", which the
        # morphologizer would learn as a label; tokens without POS (silver sentences)
        # must stay unannotated, as in the example they come from
        from spacy.attrs import MORPH

        morph = doc.to_array([MORPH])
        morph[unanalysed] = 0
        doc.from_array([MORPH], morph)
    return Example(nlp.make_doc(doc.text), doc)


def _is_punct(record: dict) -> bool:
    return record["pos"] == "PUNCT" or (not record["pos"] and record["dep"] == "punct")


def speech_style_augmenter(
    nlp,
    example,
    *,
    speech_level: float,
    lower_level: float,
    filler_level: float,
    syntax_level: float,
    fillers: Sequence[str],
) -> Iterator:
    if _AUGMENT_STATE["initializing"]:
        # nlp.initialize() collects the tag / morph / tree / parser labels from what the
        # corpus yields: give it every original Doc plus conversational variants, so that
        # the labels the augmentation introduces (jullie, uw, ...) and rare treebank labels
        # are all known before training starts.
        yield example
        for lower in (False, True):
            with contextlib.suppress(_Skip, ValueError, KeyError):
                yield make_speech_variant(
                    nlp, example, lower=lower, drop_punct=lower, fillers=fillers, syntax=True
                )
        return
    r = random.random()
    lower = drop = False
    if r < speech_level:
        lower = drop = True
    elif r < speech_level + lower_level:
        lower = True
    use_fillers = fillers if random.random() < filler_level else ()
    syntax = random.random() < syntax_level
    if not (lower or drop or use_fillers or syntax):
        yield example
        return
    try:
        yield make_speech_variant(
            nlp, example, lower=lower, drop_punct=drop, fillers=use_fillers, syntax=syntax
        )
    except (_Skip, ValueError, KeyError):
        yield example


# True until nlp.initialize() has run (see [initialize] after_init in the config).
_AUGMENT_STATE = {"initializing": True}


def register_augmenter() -> None:
    import spacy

    if "klantfocus.speech_style.v1" in spacy.registry.augmenters:
        return

    @spacy.registry.callbacks("klantfocus.speech_style_ready.v1")
    def create_speech_style_ready() -> Callable:
        """[initialize] after_init callback: label collection is over, start augmenting."""

        def speech_style_ready(nlp):
            _AUGMENT_STATE["initializing"] = False
            return nlp

        return speech_style_ready

    @spacy.registry.augmenters("klantfocus.speech_style.v1")
    def create_speech_style_augmenter(
        speech_level: float = 0.25,
        lower_level: float = 0.1,
        filler_level: float = 0.1,
        syntax_level: float = 0.3,
        fillers: list[str] | None = None,
    ) -> Callable:
        """Replace a share of training Docs by conversational / speech-to-text-like copies.

        speech_level: share lowercased with punctuation removed; lower_level: share only
        lowercased; filler_level: share (independently) given hesitation fillers;
        syntax_level: share (independently) given other persons (ik, u, ge, jullie, we),
        verb-first questions and imperatives made from their subject-first main clauses.
        """
        return partial(
            speech_style_augmenter,
            speech_level=speech_level,
            lower_level=lower_level,
            filler_level=filler_level,
            syntax_level=syntax_level,
            fillers=list(fillers or SPEECH_FILLERS),
        )


# --------------------------------------------------------------------------- 3. train


# An auxiliary training task for the shared tok2vec: a tagger that predicts each word's
# dependency label and the side its head is on ("nsubj>", "obj<", "ROOT"), optionally with
# the head's part of speech. Such "supertags" give the encoder a token-level view of the
# syntax the parser needs (multi-task learning helps parsers most when treebanks are
# small). The component exists only during training: train() removes it from the saved
# checkpoints, so the shipped pipeline neither contains nor needs it.
DEP_SUPERTAGGER = "klantfocus_dep_supertagger"
REMOVED_PIPES = "training_only_pipes.json"  # beside model-best/model-last: what was removed
SUPERTAG_SCHEMES = ("dep_dir", "dep_dir_headpos")


def supertags(example, scheme: str) -> list[str | None]:
    """Supertags of the predicted tokens of one Example (None where misaligned)."""
    heads, deps = example.get_aligned_parse(projectivize=False)
    ref_pos = example.get_aligned("POS", as_string=True) if scheme == "dep_dir_headpos" else []
    tags: list[str | None] = []
    for i, (head, dep) in enumerate(zip(heads, deps, strict=True)):
        if head is None or not dep:
            tags.append(None)
        elif head == i or dep == "ROOT":
            tags.append("ROOT")
        else:
            tag = f"{dep}{'<' if head < i else '>'}"
            if scheme == "dep_dir_headpos":
                tag += ref_pos[head] or "?"
            tags.append(tag)
    return tags


def register_supertagger() -> None:
    from itertools import islice

    from spacy.errors import Errors
    from spacy.language import Language
    from spacy.pipeline import Tagger
    from spacy.training import validate_get_examples
    from thinc.api import SequenceCategoricalCrossentropy

    if Language.has_factory(DEP_SUPERTAGGER):
        return

    class DependencySupertagger(Tagger):
        def __init__(self, vocab, model, name, *, scheme, label_smoothing):
            super().__init__(
                vocab, model, name, overwrite=False, scorer=None, label_smoothing=label_smoothing
            )
            self.cfg["scheme"] = scheme

        def set_annotations(self, docs, batch_tag_ids):
            pass  # training signal only: nothing to write on the Doc

        def get_loss(self, examples, scores):
            loss_func = SequenceCategoricalCrossentropy(
                names=self.labels,
                normalize=False,
                label_smoothing=self.cfg["label_smoothing"],
            )
            known = set(self.labels)
            truths = [
                [t if t in known else None for t in supertags(eg, self.cfg["scheme"])]
                for eg in examples
            ]
            d_scores, loss = loss_func(scores, truths)
            if self.model.ops.xp.isnan(loss):
                raise ValueError(Errors.E910.format(name=self.name))
            return float(loss), d_scores

        def initialize(self, get_examples, *, nlp=None, labels=None):
            validate_get_examples(get_examples, "DependencySupertagger.initialize")
            found: set[str] = set()
            for eg in get_examples():
                found.update(t for t in supertags(eg, self.cfg["scheme"]) if t)
            for tag in sorted(labels if labels is not None else found):
                self.add_label(tag)
            if not self.labels:
                raise ValueError(
                    f"{DEP_SUPERTAGGER}: the training examples have no dependency parses "
                    "to learn supertags from"
                )
            docs, golds = [], []
            for eg in islice(get_examples(), 10):
                docs.append(eg.x)
                gold = supertags(eg, self.cfg["scheme"])
                golds.append(
                    self.model.ops.asarray(
                        [[1.0 if t == g else 0.0 for t in self.labels] for g in gold],
                        dtype="float32",
                    )
                )
            self.model.initialize(X=docs, Y=golds)

    @Language.factory(
        DEP_SUPERTAGGER,
        assigns=[],
        default_config={
            "scheme": "dep_dir",
            "label_smoothing": 0.05,
            # listens to the pipeline's shared tok2vec (spaCy's default width of 96; the
            # training config sets the real width): the task exists to train that encoder
            "model": {
                "@architectures": "spacy.Tagger.v2",
                "nO": None,
                "normalize": False,
                "tok2vec": {
                    "@architectures": "spacy.Tok2VecListener.v1",
                    "width": 96,
                    "upstream": "*",
                },
            },
        },
    )
    def make_dep_supertagger(nlp, name, model, scheme: str, label_smoothing: float):
        if scheme not in SUPERTAG_SCHEMES:
            raise ValueError(f"{DEP_SUPERTAGGER}: scheme must be one of {SUPERTAG_SCHEMES}")
        return DependencySupertagger(
            nlp.vocab, model, name, scheme=scheme, label_smoothing=label_smoothing
        )


def drop_training_only_pipes(training_dir: Path) -> None:
    """Remove the auxiliary supertagger from the saved checkpoints (training only)."""
    import spacy
    from spacy import util

    removed: list[dict] = []
    for ckpt in ("model-best", "model-last"):
        path = training_dir / ckpt
        if not (path / "config.cfg").is_file():
            continue
        # most configs have no training-only pipe: look in the config before loading weights
        components = util.load_config(path / "config.cfg", interpolate=False)["components"]
        if all(c.get("factory") != DEP_SUPERTAGGER for c in components.values()):
            continue
        nlp = spacy.load(path)
        aux = [
            name for name in nlp.pipe_names if nlp.get_pipe_meta(name).factory == DEP_SUPERTAGGER
        ]
        if not aux:
            continue
        if not removed:
            removed = [
                {
                    "name": name,
                    "factory": DEP_SUPERTAGGER,
                    "scheme": nlp.get_pipe(name).cfg["scheme"],
                    "labels": len(nlp.get_pipe(name).labels),
                    "note": "auxiliary training task for the shared tok2vec; removed "
                    "from the saved pipeline",
                }
                for name in aux
            ]
        for name in aux:
            nlp.remove_pipe(name)
            # its training loss, logged in the checkpoint's meta, goes too
            nlp.meta.get("performance", {}).pop(f"{name}_loss", None)
        tmp, old = path.with_name(f"{ckpt}.tmp"), path.with_name(f"{ckpt}.old")
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)
        nlp.to_disk(tmp)
        path.rename(old)  # swap, so that a crash never leaves no checkpoint at all
        tmp.rename(path)
        shutil.rmtree(old)
        log(f"{ckpt}: removed the training-only pipe(s) {aux}")
    (training_dir / REMOVED_PIPES).write_text(json.dumps(removed, indent=1), encoding="utf-8")


PRETRAIN_INFO = "pretrained_tok2vec.json"


SILVER_TRAIN_DIR = "train_with_silver"
SILVER_INFO = "silver_used.json"  # in a build dir: the silver its model was trained with


def silver_record(silver: Path, dev_sent_ids: Sequence[str]) -> dict:
    """Check a silver file against its silver.json and this run's internal dev split."""
    info_path = silver.parent / "silver.json"
    for path in (silver, info_path):
        if not path.is_file():
            raise RecipeError(f"--silver: {path} not found (made by scripts/silver_base.py)")
    info = json.loads(info_path.read_text("utf-8"))
    if info.get("sha256") != sha256_of(silver):
        raise RecipeError(f"--silver: {silver} differs from the hash in {info_path}")
    # the teachers must not have seen this run's dev split: same split, no refits
    dev_ids = dev_ids_sha256(dev_sent_ids)
    for teacher in info.get("teachers", []):
        t_split = teacher.get("split") or {}
        if t_split.get("refit_on_dev") or t_split.get("dev_sent_ids_sha256") != dev_ids:
            raise RecipeError(
                f"--silver: teacher {teacher.get('path')} in {info_path} was not trained on "
                "this run's split with its dev sentences held out (a refit, or another split)"
            )
    return {k: info[k] for k in ("sha256", "sentences", "words", "teachers", "raw_text")}


def silver_sha(record: dict | None) -> str:
    """The silver file a run used, by hash ("none" for a run without silver)."""
    return (record or {}).get("sha256", "none")


def dev_ids_sha256(dev_sent_ids: Sequence[str]) -> str:
    """One hash for an internal dev split (how silver.json records its teachers' splits)."""
    return hashlib.sha256("\n".join(dev_sent_ids).encode("utf-8")).hexdigest()


def add_silver(silver: Path, build: Path) -> None:
    """Put train.spacy and the silver sentences in one folder for spaCy's corpus reader."""
    folder = build / SILVER_TRAIN_DIR
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir()
    shutil.copyfile(build / "train.spacy", folder / "train.spacy")
    shutil.copyfile(silver, folder / "silver.spacy")


def selection_run(build: Path, *, finished: bool = True) -> dict:
    """The --tune run whose settings a refit repeats: its dev metrics and split.

    finished=False (a refit with --train-only) accepts a selection run that is still
    training: its split is fixed from the start, its metrics are needed only to package.
    """
    metrics_path, split_path = build / "metrics.json", build / "split.json"
    if not split_path.is_file() or (finished and not metrics_path.is_file()):
        raise RecipeError(
            "--refit-on-dev expects the build dir of a "
            + (
                "finished --tune run (with metrics.json and split.json)"
                if finished
                else "--tune run (with split.json)"
            )
            + f"; not found in {build}"
        )
    split = json.loads(split_path.read_text(encoding="utf-8"))
    if split.get("refit_on_dev"):
        raise RecipeError(f"{build} is itself a refit, not a selection run")
    metrics = json.loads(metrics_path.read_text()) if metrics_path.is_file() else {}
    # read from the record written when it trained: split.json is rewritten by every
    # later --skip-train of that build dir
    silver_path = build / SILVER_INFO
    silver = json.loads(silver_path.read_text("utf-8")) if silver_path.is_file() else None
    return {"metrics": metrics, "split": split, "silver": silver}


# what a refit may change with respect to its selection run: data paths, early stopping
# and the random seed (not a setting chosen on dev; refits with other seeds measure the
# recipe's spread)
_REFIT_FREE = {("paths",), ("training", "patience"), ("system", "seed")}


def check_refit_config(selection_build: Path, refit_model: Path) -> None:
    """A refit must have trained with its selection run's settings (data paths and early
    stopping aside), also when it started before that run finished (--train-only)."""
    from spacy import util

    chosen = selection_build / "training" / "model-best" / "config.cfg"
    if not chosen.is_file():
        raise RecipeError(f"no model-best/config.cfg in {selection_build / 'training'}")

    def settings(path: Path) -> dict:
        cfg = util.load_config(path, interpolate=False)
        flat = {}
        for section, values in cfg.items():
            if (section,) in _REFIT_FREE:
                continue
            for key, value in values.items() if isinstance(values, dict) else []:
                if (section, key) not in _REFIT_FREE:
                    flat[f"{section}.{key}"] = value
        return flat

    a, b = settings(chosen), settings(refit_model / "config.cfg")
    differ = sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))
    if differ:
        raise RecipeError(
            f"the refit in {refit_model} was trained with other settings than its selection "
            f"run {selection_build} ({', '.join(differ[:5])}); refit again"
        )


def selection_metrics(selection: dict, refit_metrics: dict) -> dict:
    """Dev figures for meta.json after a refit: those of the selection run (the refit
    trained on dev); the refit's own dev scores are kept under *_seen_in_training."""
    chosen = selection["metrics"]
    out = {k: chosen[k] for k in ("dev", "dev_speech_style", "dev_conversational") if k in chosen}
    for k in ("dev", "dev_conversational"):
        if k in refit_metrics:
            out[f"{k}_seen_in_training"] = refit_metrics[k]
    out["refit"] = {
        "selection_run_dev_sentences": selection["split"]["dev"]["sentences"],
        "selection_run_train_sentences": selection["split"]["train"]["sentences"],
        "note": "settings chosen on the internal dev split (selection run), then the final "
        "model trained on train + dev with those settings; its last checkpoint is shipped. "
        "dev/dev_speech_style/dev_conversational are the selection run's held-out figures.",
    }
    return out


def pretrained_tok2vec_info(weights: Path) -> dict:
    """What meta.json records about --init-tok2vec: the weights' hash and, when
    scripts/pretrain_base.py wrote one beside them, its pretrain.json."""
    if not weights.is_file():
        raise RecipeError(
            f"pretrained tok2vec weights not found: {weights}\n"
            "Run scripts/pretrain_base.py first (make base-model does both)."
        )
    info: dict = {"weights_sha256": sha256_of(weights)}
    details = weights.parent / "pretrain.json"
    if details.is_file():
        recorded = json.loads(details.read_text(encoding="utf-8"))
        if recorded.get("weights_sha256") not in (None, info["weights_sha256"]):
            raise RecipeError(f"{details} describes other weights than {weights}")
        info.update(recorded)
    return info


def check_pretraining_split(info: dict, seed: int, dev_fraction: float) -> None:
    """Pretraining read the raw text of one training split; training with another split
    would put pretraining text in its dev split."""
    split = info.get("corpus", {}).get("treebank_split")
    if split is None:
        return  # weights from elsewhere: nothing recorded to compare
    if (split.get("seed"), split.get("dev_fraction")) != (seed, dev_fraction):
        raise RecipeError(
            f"the tok2vec was pretrained with the raw text of the training split seed="
            f"{split.get('seed')}, dev_fraction={split.get('dev_fraction')}; this run uses "
            f"seed={seed}, dev_fraction={dev_fraction}. Pretrain again with the same split."
        )


def train(config: Path, build: Path, overrides: dict[str, str]) -> dict[str, float]:
    from spacy.cli.train import train as spacy_train

    register_augmenter()
    register_supertagger()
    out = build / "training"
    if out.exists():
        shutil.rmtree(out)
    ov = {"paths.train": str(build / "train.spacy"), "paths.dev": str(build / "dev.spacy")}
    ov.update(overrides)
    _AUGMENT_STATE["initializing"] = True
    t0, c0 = time.time(), time.process_time()
    spacy_train(config, out, use_gpu=-1, overrides=ov)
    timing = {
        "wall_seconds": round(time.time() - t0, 1),
        "cpu_seconds": round(time.process_time() - c0, 1),
    }
    drop_training_only_pipes(out)
    (build / "train_time.json").write_text(json.dumps(timing))
    log(
        f"training took {timing['wall_seconds'] / 60:.1f} min wall clock, "
        f"{timing['cpu_seconds'] / 60:.1f} min CPU time"
    )
    return timing


# --------------------------------------------------------------------------- 4. evaluate


def _score(nlp, examples) -> dict[str, float]:
    scores = nlp.evaluate(examples, batch_size=256)
    return {k: round(float(scores.get(k) or 0.0), 4) for k in METRICS}


def conversational_pos_accuracy(nlp) -> dict:
    """UPOS accuracy on the key words of the conversational POS test set (evaluation only)."""
    records = [
        json.loads(line)
        for line in CONVERSATIONAL_TEST.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    total = correct = 0
    for rec, doc in zip(records, nlp.pipe(r["text"] for r in records), strict=True):
        for exp in rec["expect"]:
            total += 1
            correct += doc[exp["i"]].pos_ == exp["pos"]
    return {
        "utterances": len(records),
        "key_words": total,
        "correct": correct,
        "pos_acc": round(correct / total, 4),
    }


def evaluate(model_dir: Path, build: Path, splits: Sequence[str] = ("dev", "test")) -> dict:
    import spacy
    from spacy.training import Corpus

    nlp = spacy.load(model_dir)
    res = {}
    if (build / "dev_conversational.spacy").exists():
        examples = list(Corpus(str(build / "dev_conversational.spacy"))(nlp))
        res["dev_conversational"] = _score(nlp, examples)
    for split in splits:
        examples = list(Corpus(str(build / f"{split}.spacy"))(nlp))
        res[split] = _score(nlp, examples)
        rng = random.Random(0)
        speech = []
        for eg in examples:
            with contextlib.suppress(_Skip):
                speech.append(make_speech_variant(nlp, eg, lower=True, drop_punct=True, rng=rng))
        res[f"{split}_speech_style"] = _score(nlp, speech)
    for split, scores in res.items():
        log(f"{split:18s} " + "  ".join(f"{k}={v:.3f}" for k, v in scores.items()))
    if "test" in splits:
        res["conversational_pos_test"] = conversational_pos_accuracy(nlp)
        log(
            "conversational POS test set: {pos_acc:.3f} ({correct}/{key_words})".format(
                **res["conversational_pos_test"]
            )
        )
    (build / "metrics.json").write_text(json.dumps(res, indent=1))
    return res


# --------------------------------------------------------------------------- 5. package


def package(
    model_dir: Path,
    output: Path,
    metrics: dict,
    hashes: dict[str, str],
    split: dict,
    train_timing: dict[str, float] | None,
    conv_hashes: dict[str, str] | None = None,
    pretrain_info: dict | None = None,
    config_name: str = "configs/base/config.cfg",
) -> None:
    if output.exists():
        shutil.rmtree(output)
    shutil.copytree(model_dir, output)
    clear_local_paths(output)
    meta_path = output / "meta.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    sources = []
    for src in SOURCES:
        s = {k: v for k, v in src.items() if k != "files"}
        s["files"] = [
            {
                "file": f,
                "sha256": hashes[f],
                "use": "held-out test" if f == HELD_OUT_TEST_FILE else "training + internal dev",
            }
            for f in src["files"]
        ]
        sources.append(s)
    if conv_hashes:
        sources.append(
            {
                **CONVERSATIONAL_SOURCE,
                "files": [
                    {"file": f, "sha256": h, "use": "training + internal dev"}
                    for f, h in conv_hashes.items()
                ],
            }
        )
    if pretrain_info:
        for pkg in pretrain_info.get("packages", []):
            sources.append(
                {
                    "name": f"Debian package {pkg['package']} {pkg['version']}",
                    "url": f"https://packages.debian.org/bookworm/{pkg['package']}",
                    "author": pkg["author"],
                    "license": pkg["license"],
                    "files": [
                        {
                            "file": pkg["file"],
                            "sha256": pkg["sha256"],
                            "use": "raw text for tok2vec pretraining (no annotations; "
                            "no text shipped)",
                        }
                    ],
                }
            )
    test = metrics["test"]
    extra_perf = {
        k: metrics[k]
        for k in (
            "dev_conversational",
            "conversational_pos_test",
            "dev_seen_in_training",
            "dev_conversational_seen_in_training",
            "refit",
        )
        if k in metrics
    }
    meta.update(
        {
            "lang": "nl",
            "name": MODEL_NAME,
            "version": MODEL_VERSION,
            "description": (
                "klantfocus Dutch base pipeline (stand-in for nl_core_news_sm): tok2vec, tagger "
                "(UD XPOS / Lassy tags), morphologizer (UPOS + features), edit-tree lemmatizer, "
                "dependency parser (also sentence boundaries). Trained on the dev/test splits of "
                "UD_Dutch-Alpino and UD_Dutch-LassySmall (nl_alpino-ud-test held out) and "
                "klantfocus' conversational treebank, with speech-to-text style augmentation "
                "(lowercase, no punctuation, fillers)"
                + (
                    "; tok2vec pretrained on raw Dutch text (Debian documentation packages)"
                    if pretrain_info
                    else ""
                )
                + ". No vectors."
            ),
            "author": "klantfocus team",
            "license": "CC BY-SA 4.0",
            "url": "",
            "sources": sources,
            "input_sha256": {**hashes, **(conv_hashes or {})},
            "performance": {
                **test,
                "evaluated_on": f"{HELD_OUT_TEST_FILE} (held out: never trained on or tuned on)",
                "targets": TARGETS,
                "test": test,
                "dev": metrics["dev"],
                "test_speech_style": metrics["test_speech_style"],
                "dev_speech_style": metrics["dev_speech_style"],
                **extra_perf,
                "notes": (
                    "Top-level figures = held-out test. dev = internal dev split used for early "
                    "stopping. *_speech_style = same texts lowercased with punctuation removed. "
                    "Lemmas scored without the treebanks' '_' compound marks. "
                    "dev_conversational = the dev share of klantfocus' conversational treebank "
                    "(also part of dev). conversational_pos_test = UPOS of the key words of "
                    "tests/data/conversational_pos.jsonl (evaluation only)."
                    + (
                        " Refit: dev figures come from the selection run; the shipped model "
                        "was then trained on train + dev (see refit)."
                        if "refit" in metrics
                        else ""
                    )
                ),
            },
            "training": {
                "train_files": TRAIN_FILES + list(conv_hashes or {}),
                "train_sentences": split["train"]["sentences"],
                "train_words": split["train"]["words"],
                "dev_sentences": split["dev"]["sentences"],
                "dev_words": split["dev"]["words"],
                "split_seed": split["seed"],
                "refit_on_dev": bool(split.get("refit_on_dev")),
                **({"silver": split["silver"]} if split.get("silver") else {}),
                "test_file": HELD_OUT_TEST_FILE,
                "recipe": (
                    f"scripts/train_base.py + {config_name}"
                    + (
                        " (make base-model: scripts/pretrain_base.py, a --tune selection run, "
                        "then --refit-on-dev)"
                        if split.get("refit_on_dev")
                        else ""
                    )
                ),
                "training_time": train_timing,
                "training_only_components": (
                    json.loads((model_dir.parent / REMOVED_PIPES).read_text(encoding="utf-8"))
                    if (model_dir.parent / REMOVED_PIPES).is_file()
                    else []
                ),
                "pretrained_tok2vec": pretrain_info,
            },
        }
    )
    meta_path.write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    (output / "README.md").write_text(_model_readme(meta), encoding="utf-8")
    size = sum(p.stat().st_size for p in output.rglob("*") if p.is_file())
    log(f"packaged {output} ({size / 1e6:.1f} MB)")
    # a fresh interpreter must load it without anything from this script
    check = subprocess.run(
        [
            sys.executable,
            "-c",
            "import spacy,sys; nlp=spacy.load(sys.argv[1]); print(nlp.pipe_names)",
            str(output),
        ],
        capture_output=True,
        text=True,
    )
    if check.returncode != 0:
        raise RecipeError(f"packaged model does not load in a fresh Python:\n{check.stderr}")
    log(f"fresh-interpreter load OK: {check.stdout.strip()}")


def clear_local_paths(model_dir: Path) -> None:
    """Blank the [paths] of a saved pipeline's config.cfg: they point at this machine's
    build files (training corpora, pretrained weights) and mean nothing elsewhere."""
    from thinc.api import Config

    cfg_path = model_dir / "config.cfg"
    cfg = Config().from_disk(cfg_path, interpolate=False)
    for key in cfg.get("paths", {}):
        cfg["paths"][key] = None
    cfg.to_disk(cfg_path)


def _model_readme(meta: dict) -> str:
    p = meta["performance"]
    dev_label = (
        "internal dev (selection run; this model was then refit on train + dev)"
        if "refit" in p
        else "internal dev"
    )
    rows = "\n".join(f"| {k} | {p['test'][k]:.3f} | {p['dev'][k]:.3f} |" for k in METRICS)
    pretrained = (
        " The tok2vec was pretrained on raw text of the Debian documentation packages "
        "listed below (no annotations; no text of them is included)."
        if meta["training"].get("pretrained_tok2vec")
        else ""
    )
    credits = "\n".join(
        f"- {s['name']} ({s['url']}), {s['author']}; licence {s['license']}"
        for s in meta["sources"]
    )
    return (
        f"# {meta['name']} {meta['version']}\n\n{meta['description']}\n\n"
        f"| metric | held-out test ({HELD_OUT_TEST_FILE}) | {dev_label} |\n| --- | --- | --- |\n{rows}\n\n"
        f"## Data and licence\n\nTrained on Universal Dependencies data, licensed CC BY-SA 4.0; "
        f"this pipeline is shared under the same licence.{pretrained}\n\n{credits}\n\n"
        "Recipe: `scripts/pretrain_base.py` and `scripts/train_base.py` with "
        "`configs/base/config.cfg` in the klantfocus repository.\n"
    )


# --------------------------------------------------------------------------- main


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(
        prog="train_base.py",
        description=(
            "Train klantfocus' Dutch base pipeline (tok2vec, tagger, morphologizer, "
            "trainable_lemmatizer, parser) from the UD Dutch treebanks: verify input hashes -> "
            "convert to build/base/*.spacy -> train with configs/base/config.cfg -> evaluate on "
            "the held-out nl_alpino-ud-test -> write models/nl_klantfocus_base/. "
            "Takes about 20-25 minutes on a 2-core CPU."
        ),
        epilog=(
            "Examples:\n"
            "  python scripts/train_base.py                      # full recipe (make base-model)\n"
            "  python scripts/train_base.py --verify-only        # only check the input hashes\n"
            "  python scripts/train_base.py --set training.max_epochs=1   # quick smoke run\n"
            "  python scripts/train_base.py --skip-train         # re-evaluate/re-package build/base/training\n"
            "Exit status 2 with a message when the treebank folder is missing or a hash differs."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ap.add_argument(
        "--ud-dir",
        type=Path,
        default=DEFAULT_UD_DIR,
        help="folder with the UD Dutch .conllu files (default: ../shared/ud-dutch "
        "relative to the repository root)",
    )
    ap.add_argument(
        "--config",
        type=Path,
        default=DEFAULT_CONFIG,
        help="spaCy training config (default: %(default)s)",
    )
    ap.add_argument(
        "--build-dir",
        type=Path,
        default=DEFAULT_BUILD,
        help="intermediate files: .spacy corpora, training output, metrics (default: %(default)s)",
    )
    ap.add_argument(
        "--output",
        type=Path,
        default=DEFAULT_OUTPUT,
        help="final pipeline folder (default: %(default)s)",
    )
    ap.add_argument(
        "--seed",
        type=int,
        default=SPLIT_SEED,
        help="seed of the internal dev split (default: %(default)s)",
    )
    ap.add_argument(
        "--dev-fraction",
        type=float,
        default=DEV_FRACTION,
        help="share of the training sentences held out as internal dev (default: %(default)s)",
    )
    ap.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="SECTION.KEY=VALUE",
        help="override a config value, e.g. --set training.max_epochs=2 (repeatable; values as in the .cfg)",
    )
    ap.add_argument(
        "--conversational-dir",
        type=Path,
        default=DEFAULT_CONVERSATIONAL,
        help="folder with klantfocus' conversational treebank (*.conllu), added to the "
        "training data (default: %(default)s)",
    )
    ap.add_argument(
        "--no-conversational",
        action="store_true",
        help="train on the UD treebanks only (ablation)",
    )
    ap.add_argument(
        "--init-tok2vec",
        type=Path,
        default=None,
        metavar="PATH",
        help="start the tok2vec from weights pretrained by scripts/pretrain_base.py "
        "(build/base/pretrain/tok2vec.bin; its pretrain.json, if next to it, goes into meta.json)",
    )
    ap.add_argument(
        "--refit-on-dev",
        type=Path,
        default=None,
        metavar="SELECTION_BUILD_DIR",
        help="final fit: train on train + internal dev with the settings of a finished --tune "
        "run (its build dir, whose dev metrics meta.json then reports) and keep the last "
        "checkpoint; give the same --set/--init-tok2vec options as that run",
    )
    ap.add_argument(
        "--silver",
        type=Path,
        default=None,
        metavar="SILVER.spacy",
        help="add silver parser training sentences (scripts/silver_base.py; its silver.json "
        "must lie next to it); a refit must use the same file as its selection run",
    )
    ap.add_argument("--verify-only", action="store_true", help="check the input hashes and stop")
    train_or_not = ap.add_mutually_exclusive_group()
    train_or_not.add_argument(
        "--skip-train",
        action="store_true",
        help="reuse the trained model in --build-dir (model-best; model-last for a refit): "
        "only convert, evaluate and package",
    )
    ap.add_argument("--no-package", action="store_true", help="evaluate but do not write --output")
    train_or_not.add_argument(
        "--train-only",
        action="store_true",
        help="convert and train, then stop: no evaluation, nothing packaged (finish later "
        "with the same options, --skip-train instead of --train-only)",
    )
    ap.add_argument(
        "--tune",
        action="store_true",
        help="tuning run: evaluate on the internal dev split only (the held-out test set "
        "is not read) and do not package",
    )
    return ap.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        hashes = verify_inputs(args.ud_dir.resolve())
        if args.verify_only:
            return 0
        build = args.build_dir.resolve()
        build.mkdir(parents=True, exist_ok=True)
        conv_dir = None if args.no_conversational else args.conversational_dir.resolve()
        conv_hashes = {repo_name(p): sha256_of(p) for p in conversational_files(conv_dir)}
        if conv_dir is not None and not conv_hashes:
            raise RecipeError(
                f"no conversational treebank (*.conllu) in {conv_dir}; "
                "pass --no-conversational to train on the UD treebanks only"
            )
        selection = None
        if args.refit_on_dev is not None:
            if args.tune:
                raise RecipeError(
                    "--tune and --refit-on-dev exclude each other: a refit has "
                    "no held-out dev split to tune on"
                )
            if args.refit_on_dev.resolve() == build:
                raise RecipeError(
                    "--refit-on-dev needs its own --build-dir, not the selection run's"
                )
            selection = selection_run(args.refit_on_dev.resolve(), finished=not args.train_only)
            for key, value in (("seed", args.seed), ("dev_fraction", args.dev_fraction)):
                if selection["split"].get(key) != value:
                    raise RecipeError(
                        f"the selection run used {key}={selection['split'].get(key)}, this "
                        f"refit {key}={value}; a refit must repeat the selection run's split"
                    )
        new_pretrain_info = None  # checked before the (slow) conversion
        if args.init_tok2vec is not None and not args.skip_train:
            new_pretrain_info = pretrained_tok2vec_info(args.init_tok2vec.resolve())
            check_pretraining_split(new_pretrain_info, args.seed, args.dev_fraction)
        previous_split = build / "split.json"
        if args.skip_train and previous_split.is_file():
            was_refit = bool(json.loads(previous_split.read_text("utf-8")).get("refit_on_dev"))
            if was_refit != (selection is not None):
                raise RecipeError(
                    f"{build} holds a {'refit' if was_refit else 'selection'} run; "
                    + (
                        "pass --refit-on-dev with its selection run's build dir"
                        if was_refit
                        else "drop --refit-on-dev"
                    )
                )
        split = convert(
            args.ud_dir.resolve(),
            build,
            args.seed,
            args.dev_fraction,
            conv_dir,
            refit=selection is not None,
        )
        if selection is not None and split["dev_sent_ids"] != selection["split"].get(
            "dev_sent_ids"
        ):
            raise RecipeError(
                "this refit's internal dev split differs from the selection run's (other "
                "treebank files or --no-conversational?); rerun the selection run first"
            )
        overrides = {}
        silver = args.silver.resolve() if args.silver is not None else None
        given = silver_record(silver, split["dev_sent_ids"]) if silver is not None else None
        silver_info_path = build / SILVER_INFO
        if args.skip_train:
            # the model in --build-dir was trained with (or without) silver: say so again
            trained_with = (
                json.loads(silver_info_path.read_text("utf-8"))
                if silver_info_path.is_file()
                else None
            )
            if silver_sha(trained_with) != silver_sha(given):
                raise RecipeError(
                    f"the model in {build} was trained with --silver {silver_sha(trained_with)}; "
                    "give the same --silver file (or none) to --skip-train"
                )
        else:
            silver_info_path.unlink(missing_ok=True)
            if silver is not None and given is not None:
                add_silver(silver, build)
                silver_info_path.write_text(json.dumps(given, indent=1), encoding="utf-8")
                log(f"silver: {given['sentences']} sentences / {given['words']} words added")
        if given is not None:
            overrides["paths.train"] = str(build / SILVER_TRAIN_DIR)
            split["silver"] = given
            write_split(build, split)
        if selection is not None:
            silver_used = selection["silver"]
            if silver_sha(silver_used) != silver_sha(given):
                raise RecipeError(
                    "a refit must use the same --silver file as its selection run "
                    f"(selection run: {silver_sha(silver_used)})"
                )
        for item in args.overrides:
            key, sep, value = item.partition("=")
            if not sep:
                raise RecipeError(f"--set expects SECTION.KEY=VALUE, got {item!r}")
            try:
                overrides[key] = json.loads(value)
            except json.JSONDecodeError:
                overrides[key] = value
        if selection is not None:
            # the refit trains for the selection run's number of epochs: no early stopping
            # on a dev split it trains on
            overrides["training.patience"] = 0
        pretrain_info_path = build / PRETRAIN_INFO
        if not args.skip_train:
            pretrain_info_path.unlink(missing_ok=True)
            if args.init_tok2vec is not None:
                overrides["paths.init_tok2vec"] = str(args.init_tok2vec.resolve())
                pretrain_info_path.write_text(json.dumps(new_pretrain_info, indent=1))
        timing = None
        if args.skip_train:
            tt = build / "train_time.json"
            timing = json.loads(tt.read_text()) if tt.exists() else None
        else:
            timing = train(args.config.resolve(), build, overrides)
        # a refit has no held-out dev split to pick a checkpoint by: it keeps the last one,
        # after the number of epochs the selection run was trained for
        model_dir = build / "training" / ("model-last" if selection else "model-best")
        if not model_dir.exists():
            raise RecipeError(f"no trained model at {model_dir}; run without --skip-train")
        register_augmenter()
        if selection is not None and not args.train_only:
            check_refit_config(args.refit_on_dev.resolve(), model_dir)
        if args.train_only:
            log(f"trained {model_dir}; not evaluated (--train-only)")
            return 0
        if args.tune:
            evaluate(model_dir, build, splits=("dev",))
            return 0
        metrics = evaluate(model_dir, build)
        if selection is not None:
            metrics = {**metrics, **selection_metrics(selection, metrics)}
            (build / "metrics.json").write_text(json.dumps(metrics, indent=1))
        if not args.no_package:
            pretrain_info = (
                json.loads(pretrain_info_path.read_text()) if pretrain_info_path.exists() else None
            )
            package(
                model_dir,
                args.output.resolve(),
                metrics,
                hashes,
                split,
                timing,
                conv_hashes,
                pretrain_info,
                config_name=repo_name(args.config),
            )
        short = [f"{k}={metrics['test'][k]:.3f} (target {v})" for k, v in TARGETS.items()]
        log("held-out test: " + ", ".join(short))
        return 0
    except RecipeError as err:
        print(f"train_base.py: error: {err.message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
