"""Silver dependency trees for the base pipeline: sentences three teacher parsers agree on.

Tri-training for the parser (see docs/base-pipeline.md): three pipelines trained on the
same treebank split, with different architectures, parse the Debian documentation
paragraphs of the pretraining corpus (build/base/pretrain/raw_text.jsonl, written by
scripts/pretrain_base.py; the treebank lines at its end are left out). A sentence is kept
when all three teachers put its boundaries in the same place and give every token the
same head and label. Kept sentences carry words, heads and labels only: no tags,
morphology or lemmas, which spaCy's tagger, morphologizer and lemmatizer treat as
missing, so only the parser (and through it the shared tok2vec) learns from them.

  python scripts/silver_base.py --teachers build/base/sel_base/training/model-best \
      build/base/sel_lstm_parser/training/model-best build/base/sel_aux/training/model-best

writes build/base/silver/silver.spacy and silver.json (counts, hashes, teachers), which
scripts/train_base.py --silver build/base/silver/silver.spacy adds to the training data.
The teachers never saw the internal dev split or the held-out test file.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import train_base
from train_base import sha256_of

ROOT = Path(__file__).resolve().parent.parent
TREEBANK_SOURCE = "treebank training split"
DEFAULT_RAW = ROOT / "build" / "base" / "pretrain" / "raw_text.jsonl"
DEFAULT_OUT = ROOT / "build" / "base" / "silver"
MIN_TOKENS, MAX_TOKENS = 3, 50
SENTENCE_END = {".", "!", "?"}


def log(msg: str) -> None:
    print(f"[silver_base] {msg}", flush=True)


def documentation_paragraphs(raw: Path) -> list[str]:
    """The Debian documentation lines of the pretraining corpus, without the treebank's."""
    info_path = raw.parent / "pretrain.json"
    if not raw.is_file() or not info_path.is_file():
        raise SystemExit(
            f"[silver_base] error: {raw} or {info_path} missing; run scripts/pretrain_base.py first"
        )
    corpus = json.loads(info_path.read_text("utf-8"))["corpus"]
    if corpus["sha256"] != sha256_of(raw):
        raise SystemExit(f"[silver_base] error: {raw} differs from the corpus {info_path} records")
    sources = corpus["sources"]
    names = list(sources)
    if names[-1] != TREEBANK_SOURCE:
        raise SystemExit(f"[silver_base] error: expected the treebank lines last in {info_path}")
    n_docs = sum(sources[name]["lines"] for name in names[:-1])
    lines = [json.loads(line)["text"] for line in raw.open(encoding="utf-8")]
    return lines[:n_docs]


def sentence_trees(doc) -> dict[tuple[int, int], tuple[tuple[int, str], ...]]:
    """(start, end) of each sentence -> (head's index in the sentence, label) of each token."""
    return {
        (sent.start, sent.end): tuple((tok.head.i - sent.start, tok.dep_) for tok in sent)
        for sent in doc.sents
    }


def agreed_sentences(
    texts: list[str], teachers: list, counts: dict[str, int]
) -> Iterator[tuple[list, list, list, list]]:
    """Yield (words, spaces, heads, deps) of every sentence all teachers parse alike.

    counts["sentences"] is raised by the number of sentences the first teacher finds, so
    that the caller can report the share kept while the sentences stream past.
    """
    streams = [
        nlp.pipe(
            texts,
            batch_size=256,
            disable=[p for p in nlp.pipe_names if p not in ("tok2vec", "parser")],
        )
        for nlp in teachers
    ]
    for docs in zip(*streams, strict=True):
        trees = [sentence_trees(doc) for doc in docs]
        counts["sentences"] += len(trees[0])
        for span, tree in trees[0].items():
            if not MIN_TOKENS <= span[1] - span[0] <= MAX_TOKENS:
                continue
            sent = docs[0][span[0] : span[1]]
            # whole sentences only: fragments of headings and tables (which the teachers
            # may well agree on) teach the parser little about sentence structure
            if sent[-1].text not in SENTENCE_END or not sent[0].text[:1].isupper():
                continue
            if any(other.get(span) != tree for other in trees[1:]):
                continue
            words = [t.text for t in sent]
            spaces = [bool(t.whitespace_) for t in sent]
            spaces[-1] = False
            heads = [span_head for span_head, _ in tree]
            deps = [label for _, label in tree]
            yield words, spaces, heads, deps


def teacher_split(model_dir: Path) -> dict:
    """The treebank split a teacher was trained on, from its train_base build dir.

    A teacher is a checkpoint of a scripts/train_base.py run (BUILD/training/model-best);
    train_base checks these records against the student's split, so that no teacher has
    seen the student's internal dev sentences.
    """
    split_path = model_dir.parent.parent / "split.json"
    if not split_path.is_file():
        raise SystemExit(
            f"[silver_base] error: {model_dir} is not a checkpoint of a scripts/train_base.py "
            f"run ({split_path} not found)"
        )
    split = json.loads(split_path.read_text("utf-8"))
    return {
        "seed": split["seed"],
        "dev_fraction": split["dev_fraction"],
        "refit_on_dev": bool(split.get("refit_on_dev")),
        "dev_sent_ids_sha256": train_base.dev_ids_sha256(split["dev_sent_ids"]),
    }


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--teachers", type=Path, nargs=3, required=True, metavar="MODEL_DIR")
    ap.add_argument("--raw-text", type=Path, default=DEFAULT_RAW)
    ap.add_argument("--output-dir", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--max-words", type=int, default=60_000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)

    import spacy
    from spacy.tokens import Doc, DocBin

    texts = documentation_paragraphs(args.raw_text)
    log(f"{len(texts)} documentation paragraphs, {sum(len(t.split()) for t in texts)} words")
    teachers = []
    splits = []
    for path in args.teachers:
        if not (path / "meta.json").is_file():
            raise SystemExit(f"[silver_base] error: no spaCy pipeline at {path}")
        splits.append(teacher_split(path))
        teachers.append(spacy.load(path))
    vocab = teachers[0].vocab
    counts = {"sentences": 0}
    kept = list(agreed_sentences(texts, teachers, counts))
    n_words_agreed = sum(len(w) for w, *_ in kept)
    log(
        f"{len(kept)} of {counts['sentences']} sentences ({n_words_agreed} words) "
        "with identical trees from all three teachers"
    )
    random.Random(args.seed).shuffle(kept)
    db = DocBin(attrs=["ORTH", "HEAD", "DEP", "SENT_START"], store_user_data=False)
    n_words = n_sents = 0
    for words, spaces, heads, deps in kept:
        if n_words + len(words) > args.max_words:
            continue  # a shorter sentence further on may still fit under the limit
        doc = Doc(vocab, words=words, spaces=spaces, heads=heads, deps=deps)
        db.add(doc)
        n_words += len(words)
        n_sents += 1
    args.output_dir.mkdir(parents=True, exist_ok=True)
    out = args.output_dir / "silver.spacy"
    db.to_disk(out)
    info = {
        "file": out.name,
        "sha256": sha256_of(out),
        "sentences": n_sents,
        "words": n_words,
        "teacher_sentences": counts["sentences"],
        "agreed_sentences": len(kept),
        "agreed_words": n_words_agreed,
        "raw_text": {
            "file": str(args.raw_text.name),
            "sha256": sha256_of(args.raw_text),
            "paragraphs": len(texts),
        },
        "teachers": [
            {
                "path": str(p),
                "config_sha256": sha256_of(p / "config.cfg"),
                "parser_sha256": sha256_of(p / "parser" / "model"),
                "split": t_split,
            }
            for p, t_split in zip(args.teachers, splits, strict=True)
        ],
        "seed": args.seed,
        "max_words": args.max_words,
        "token_range": [MIN_TOKENS, MAX_TOKENS],
    }
    (args.output_dir / "silver.json").write_text(json.dumps(info, indent=1) + "\n", "utf-8")
    log(f"wrote {out}: {n_sents} sentences, {n_words} words")
    return 0


if __name__ == "__main__":
    sys.exit(main())
