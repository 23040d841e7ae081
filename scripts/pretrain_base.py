#!/usr/bin/env python
"""Pretrain the tok2vec of klantfocus' Dutch base pipeline on raw Dutch text.

The base pipeline has only ~61k words of treebank text to learn from (the UD train splits
are not available). Before supervised training, its tok2vec layer is pretrained with
spaCy's character objective (predict the first and last 4 characters of each word from
its context) on raw Dutch text, so that it has seen many more word forms and contexts.

Recipe, in order:
1. fetch   the Debian packages listed in DEBIAN_SOURCES (Dutch documentation: LibreOffice
           help, the Debian FAQ, the Debian Edu manual, the aptitude manual) with
           `apt-get download`, or take them from --deb-dir; check each file's SHA-256;
2. extract the paragraphs of their HTML pages (Python only: .deb = ar archive with a
           data.tar.xz), keep lines of 5-80 words that read as Dutch, drop duplicates;
3. add     the raw text of the base pipeline's *training* split (the same split as
           scripts/train_base.py: the internal dev split and the held-out test file
           nl_alpino-ud-test are not used);
4. run     `spacy pretrain` with the [pretraining] section of configs/base/config.cfg;
5. write   build/base/pretrain/tok2vec.bin (the last epoch's weights) and pretrain.json
           (package versions and hashes, corpus size and SHA-256, losses), which
           scripts/train_base.py --init-tok2vec records in the model's meta.json.

Only learned weights come out of this; no text of the packages is shipped.
Run from the repository root: python scripts/pretrain_base.py  (part of make base-model)
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import lzma
import re
import shutil
import subprocess
import sys
import tarfile
import time
from collections.abc import Iterator, Sequence
from html.parser import HTMLParser
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import train_base

REPO_ROOT = train_base.REPO_ROOT
DEFAULT_BUILD = REPO_ROOT / "build" / "base" / "pretrain"
WEIGHTS_NAME = "tok2vec.bin"
INFO_NAME = "pretrain.json"
EPOCHS = 10

# Debian bookworm packages with Dutch prose, pinned by version and SHA-256 of the .deb.
DEBIAN_SOURCES: list[dict[str, str]] = [
    {
        "package": "libreoffice-help-nl",
        "version": "4:7.4.7-1+deb12u14",
        "sha256": "8b4b49a7d1bd0df3aa4693eeebe3f6886655427eaf736d9289c5ff6fbf489591",
        "license": "MPL-2.0",
        "author": "The Document Foundation, LibreOffice contributors and translators",
    },
    {
        "package": "aptitude-doc-nl",
        "version": "0.8.13-5",
        "sha256": "80e15c1db417fcf9ea558f954915c7e8fddf3a3411a8d61aceae23d4a3f9d95a",
        "license": "GPL-2+",
        "author": "Daniel Burrows and the aptitude translators",
    },
    {
        "package": "debian-edu-doc-nl",
        "version": "2.12.23~deb12u1",
        "sha256": "46c0e1fde92bf45b1d37ed1912875f4e16b1635776c4c8998ad938c78c6ffbb9",
        "license": "GPL-2+",
        "author": "Debian Edu team and translators",
    },
    {
        "package": "debian-faq-nl",
        "version": "11.1",
        "sha256": "133abcbedaafd65baa8c258551c2c536e8b391426bc16b85b1af4bbe7403e624",
        "license": "GPL-2+",
        "author": "Debian Documentation Project and translators",
    },
]
HTML_SUFFIXES = (".html", ".htm", ".html.gz")
MIN_WORDS, MAX_WORDS = 5, 80
# Frequent function words: a line counts as Dutch when it has more of the Dutch ones than
# of the English ones (the documentation leaves some passages untranslated).
DUTCH_WORDS = frozenset(
    [
        "de",
        "het",
        "een",
        "en",
        "van",
        "is",
        "dat",
        "je",
        "u",
        "te",
        "op",
        "in",
        "niet",
        "met",
        "voor",
        "zijn",
        "deze",
        "die",
        "er",
        "kunt",
        "wordt",
        "worden",
        "als",
        "aan",
        "om",
        "of",
        "bij",
        "naar",
        "ook",
        "dan",
        "kan",
        "uit",
        "wat",
        "door",
    ]
)
ENGLISH_WORDS = frozenset(
    [
        "the",
        "and",
        "of",
        "to",
        "is",
        "that",
        "you",
        "it",
        "with",
        "for",
        "this",
        "are",
        "be",
        "on",
        "as",
        "can",
        "by",
        "or",
        "from",
        "an",
    ]
)
_SPACE = re.compile(r"\s+")
_STRIP = ".,:;()\"'!?"


# one error type for both recipes: a fatal, user-facing message, exit status 2
RecipeError = train_base.RecipeError


def log(msg: str) -> None:
    print(f"[pretrain_base] {msg}", flush=True)


# --------------------------------------------------------------------------- 1. fetch


def deb_filename(src: dict[str, str]) -> str:
    # apt-get download writes the epoch's colon as %3a
    return f"{src['package']}_{src['version'].replace(':', '%3a')}_all.deb"


def fetch_packages(deb_dir: Path) -> list[Path]:
    deb_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for src in DEBIAN_SOURCES:
        path = deb_dir / deb_filename(src)
        if not path.is_file():
            if shutil.which("apt-get") is None:
                raise RecipeError(
                    f"{path.name} is not in {deb_dir} and apt-get is not available; "
                    "download the Debian packages listed in DEBIAN_SOURCES and pass --deb-dir"
                )
            spec = f"{src['package']}={src['version']}"
            log(f"apt-get download {spec}")
            run = subprocess.run(
                ["apt-get", "download", spec], cwd=deb_dir, capture_output=True, text=True
            )
            if run.returncode != 0 or not path.is_file():
                raise RecipeError(
                    f"could not download {spec} with apt-get (exit {run.returncode}):\n"
                    f"{run.stderr.strip()}\nThe recipe pins this exact version; if Debian no "
                    "longer serves it, fetch it from snapshot.debian.org into --deb-dir."
                )
        actual = train_base.sha256_of(path)
        if actual != src["sha256"]:
            raise RecipeError(
                f"SHA-256 mismatch for {path}\n  expected {src['sha256']}\n  found    {actual}\n"
                "Delete the file to download the pinned version again, or point --deb-dir at "
                "the pinned packages."
            )
        paths.append(path)
    log(f"{len(paths)} Debian packages verified in {deb_dir}")
    return paths


# --------------------------------------------------------------------------- 2. extract


def deb_members(path: Path) -> Iterator[tuple[str, bytes]]:
    """(name, bytes) of the files in a .deb's data archive, read without dpkg."""
    raw = path.read_bytes()
    if not raw.startswith(b"!<arch>\n"):
        raise RecipeError(f"{path} is not a Debian package (no ar header)")
    pos = 8
    while pos + 60 <= len(raw):
        header = raw[pos : pos + 60]
        name = header[:16].decode("ascii").strip().rstrip("/")
        size = int(header[48:58].decode("ascii").strip())
        body = raw[pos + 60 : pos + 60 + size]
        pos += 60 + size + (size % 2)
        if not name.startswith("data.tar"):
            continue
        if name.endswith(".xz"):
            body = lzma.decompress(body)
        elif name.endswith(".gz"):
            body = gzip.decompress(body)
        elif name != "data.tar":
            raise RecipeError(f"{path}: unsupported data archive {name}")
        with tarfile.open(fileobj=io.BytesIO(body)) as tar:
            for member in sorted(tar.getmembers(), key=lambda m: m.name):
                if member.isfile():
                    f = tar.extractfile(member)
                    if f is not None:
                        yield member.name, f.read()
        return
    raise RecipeError(f"{path}: no data archive found")


class _TextParser(HTMLParser):
    """Paragraph text of an HTML page; code, scripts and styles are skipped."""

    BREAKS = frozenset(
        ["p", "li", "td", "th", "h1", "h2", "h3", "h4", "div", "br", "dd", "dt", "title"]
    )
    SKIP = frozenset(["script", "style", "pre", "code", "tt"])

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in self.SKIP:
            self.skipping += 1
        if tag in self.BREAKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP and self.skipping:
            self.skipping -= 1
        if tag in self.BREAKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def is_dutch_prose(line: str) -> bool:
    words = line.split()
    if not MIN_WORDS <= len(words) <= MAX_WORDS:
        return False
    if sum(c.isalpha() for c in line) < 0.75 * len(line):
        return False
    lowered = [w.lower().strip(_STRIP) for w in words]
    dutch = sum(w in DUTCH_WORDS for w in lowered)
    english = sum(w in ENGLISH_WORDS for w in lowered)
    return dutch >= 1 and dutch > english


def package_lines(path: Path) -> list[str]:
    lines = []
    for name, data in deb_members(path):
        if not name.endswith(HTML_SUFFIXES):
            continue
        if name.endswith(".gz"):
            data = gzip.decompress(data)
        parser = _TextParser()
        parser.feed(data.decode("utf-8", "replace"))
        for line in "".join(parser.parts).split("\n"):
            line = _SPACE.sub(" ", line).strip()
            if is_dutch_prose(line):
                lines.append(line)
    return lines


def treebank_training_text(ud_dir: Path, build: Path) -> list[str]:
    """Raw text of the base pipeline's training split (the split train_base.py makes)."""
    from spacy.lang.nl import Dutch
    from spacy.tokens import DocBin

    train_base.verify_inputs(ud_dir)
    split_dir = build / "split"
    split_dir.mkdir(parents=True, exist_ok=True)
    train_base.convert(
        ud_dir,
        split_dir,
        train_base.SPLIT_SEED,
        train_base.DEV_FRACTION,
        train_base.DEFAULT_CONVERSATIONAL,
    )
    vocab = Dutch().vocab
    texts = [doc.text for doc in DocBin().from_disk(split_dir / "train.spacy").get_docs(vocab)]
    return list(dict.fromkeys(texts))  # the conversational share is repeated in train


def build_corpus(packages: list[Path], ud_dir: Path, build: Path) -> dict:
    seen: set[str] = set()
    per_source: dict[str, dict[str, int]] = {}
    out = build / "raw_text.jsonl"
    with out.open("w", encoding="utf-8") as fh:

        def add(source: str, lines: Sequence[str]) -> None:
            n_lines = n_words = 0
            for line in lines:
                if line in seen:
                    continue
                seen.add(line)
                fh.write(json.dumps({"text": line}, ensure_ascii=False) + "\n")
                n_lines += 1
                n_words += len(line.split())
            per_source[source] = {"lines": n_lines, "words": n_words}
            log(f"corpus: {source}: {n_lines} lines, {n_words} words")

        for path in packages:
            add(path.name.split("_")[0], package_lines(path))
        add("treebank training split", treebank_training_text(ud_dir, build))
    return {
        "file": out.name,
        "sha256": train_base.sha256_of(out),
        "treebank_split": {
            "seed": train_base.SPLIT_SEED,
            "dev_fraction": train_base.DEV_FRACTION,
        },
        "words": sum(s["words"] for s in per_source.values()),
        "sources": per_source,
    }


# --------------------------------------------------------------------------- 4. pretrain


def pretrain(config: Path, corpus: Path, out: Path, epochs: int) -> list[float]:
    from spacy import util
    from spacy.training.pretrain import pretrain as spacy_pretrain

    train_base.register_augmenter()
    train_base.register_supertagger()  # the config names the training-only supertagger
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    cfg = util.load_config(
        config,
        overrides={"paths.raw_text": str(corpus), "pretraining.max_epochs": epochs},
        interpolate=True,
    )
    spacy_pretrain(cfg, out, use_gpu=-1, silent=False)
    losses = []
    log_path = out / "log.jsonl"
    if log_path.exists():
        for line in log_path.read_text().splitlines():
            rec = json.loads(line)
            if rec["epoch"] < epochs:  # a last line repeats the final save with no loss
                losses.append(round(float(rec["epoch_loss"]), 1))
    return losses


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(
        prog="pretrain_base.py",
        description=(
            "Pretrain the base pipeline's tok2vec on raw Dutch text (Debian's Dutch "
            "documentation packages plus the treebank training split) with spaCy's character "
            "objective. Writes build/base/pretrain/tok2vec.bin for "
            "`scripts/train_base.py --init-tok2vec`. About 30 minutes on one CPU core."
        ),
    )
    ap.add_argument(
        "--deb-dir",
        type=Path,
        default=None,
        help="folder with the .deb files (default: BUILD/debs, filled with apt-get download)",
    )
    ap.add_argument("--build-dir", type=Path, default=DEFAULT_BUILD, help="default: %(default)s")
    ap.add_argument(
        "--ud-dir", type=Path, default=train_base.DEFAULT_UD_DIR, help="UD Dutch folder"
    )
    ap.add_argument(
        "--config", type=Path, default=train_base.DEFAULT_CONFIG, help="default: %(default)s"
    )
    ap.add_argument(
        "--epochs", type=int, default=EPOCHS, help="passes over the raw text (default: %(default)s)"
    )
    ap.add_argument("--corpus-only", action="store_true", help="build the raw-text corpus and stop")
    return ap.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        if args.epochs < 1:
            raise RecipeError(f"--epochs must be at least 1, got {args.epochs}")
        if args.deb_dir is not None and not args.deb_dir.is_dir():
            raise RecipeError(f"--deb-dir {args.deb_dir} is not a folder")
        build = args.build_dir.resolve()
        build.mkdir(parents=True, exist_ok=True)
        packages = fetch_packages((args.deb_dir or build / "debs").resolve())
        corpus = build_corpus(packages, args.ud_dir.resolve(), build)
        log(f"corpus: {corpus['words']} words, SHA-256 {corpus['sha256'][:12]}…")
        if args.corpus_only:
            return 0
        t0, c0 = time.time(), time.process_time()
        losses = pretrain(
            args.config.resolve(), build / corpus["file"], build / "epochs", args.epochs
        )
        last = build / "epochs" / f"model{args.epochs - 1}.bin"
        if not last.is_file():
            raise RecipeError(f"spacy pretrain wrote no {last.name} in {last.parent}")
        shutil.copyfile(last, build / WEIGHTS_NAME)
        info = {
            "objective": "spaCy characters (first and last 4 characters of each word)",
            "epochs": args.epochs,
            "losses": losses,
            "corpus": corpus,
            "packages": [
                {**src, "file": deb_filename(src), "distribution": "Debian 12 (bookworm)"}
                for src in DEBIAN_SOURCES
            ],
            "weights_sha256": train_base.sha256_of(build / WEIGHTS_NAME),
            "wall_seconds": round(time.time() - t0, 1),
            "cpu_seconds": round(time.process_time() - c0, 1),
            "recipe": "scripts/pretrain_base.py + [pretraining] in configs/base/config.cfg",
        }
        (build / INFO_NAME).write_text(json.dumps(info, indent=1, ensure_ascii=False) + "\n")
        log(f"wrote {build / WEIGHTS_NAME} ({info['wall_seconds'] / 60:.1f} min)")
        return 0
    except RecipeError as err:
        print(f"pretrain_base.py: error: {err.message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
