#!/usr/bin/env python
"""Words per second of the Dutch base pipeline against blank Dutch tokenisation.

Texts: the utterances of the example transcripts in data/examples/*.jsonl (one transcript
per line: {"id": ..., "utterances": [{"speaker": ..., "text": ...}]}); when that folder is
missing or empty, the texts of tests/data/conversational_pos.jsonl. The texts are repeated
(--repeat) so that at least ~50k words are processed, then run through `nlp.pipe`
(batch_size 256, one process) for models/nl_klantfocus_base and for spacy.blank("nl"),
in the same run. "Words" are the tokens of spaCy's Dutch tokenizer (punctuation included,
as in spaCy's own words-per-second figures).

    python benchmarks/base_speed.py              # human-readable
    python benchmarks/base_speed.py --json       # one JSON object
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_MODEL = ROOT / "models" / "nl_klantfocus_base"
DEFAULT_EXAMPLES = ROOT / "data" / "examples"
FALLBACK = ROOT / "tests" / "data" / "conversational_pos.jsonl"
MIN_WORDS = 50_000


def load_texts(examples: Path) -> tuple[list[str], str]:
    texts: list[str] = []
    files = sorted(examples.glob("*.jsonl")) if examples.is_dir() else []
    for path in files:
        with path.open(encoding="utf-8") as f:
            for line in f:
                if not line.strip():
                    continue
                transcript = json.loads(line)
                texts.extend(
                    u["text"] for u in transcript.get("utterances", []) if u.get("text", "").strip()
                )
    if texts:
        return texts, f"{examples} ({len(files)} files)"
    with FALLBACK.open(encoding="utf-8") as f:
        texts = [json.loads(line)["text"] for line in f if line.strip()]
    return texts, f"{FALLBACK} (fallback: no transcripts in {examples})"


def time_pipe(nlp, texts: list[str], batch_size: int) -> tuple[int, float]:
    start = time.perf_counter()
    words = 0
    for doc in nlp.pipe(texts, batch_size=batch_size, n_process=1):
        words += sum(1 for t in doc if not t.is_space)
    return words, time.perf_counter() - start


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--model", type=Path, default=DEFAULT_MODEL, help="pipeline folder (default: %(default)s)"
    )
    ap.add_argument(
        "--examples",
        type=Path,
        default=DEFAULT_EXAMPLES,
        help="folder with transcript *.jsonl files (default: %(default)s)",
    )
    ap.add_argument(
        "--repeat",
        type=int,
        default=None,
        help=f"times to repeat the texts (default: enough for at least {MIN_WORDS:,} words)",
    )
    ap.add_argument(
        "--batch-size", type=int, default=256, help="nlp.pipe batch size (default: %(default)s)"
    )
    ap.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    args = ap.parse_args(argv)

    import spacy

    texts, source = load_texts(args.examples)
    blank = spacy.blank("nl")
    words_once = sum(len(d) for d in blank.pipe(texts))
    repeat = (
        args.repeat
        if args.repeat is not None
        else max(1, math.ceil(MIN_WORDS / max(words_once, 1)))
    )
    corpus = texts * repeat

    nlp = spacy.load(args.model)
    # warm up both (first calls allocate, build caches)
    list(nlp.pipe(texts[:256], batch_size=args.batch_size))
    list(blank.pipe(texts[:256], batch_size=args.batch_size))

    blank_words, blank_s = time_pipe(blank, corpus, args.batch_size)
    base_words, base_s = time_pipe(nlp, corpus, args.batch_size)
    result = {
        "model": str(args.model),
        "pipeline": nlp.pipe_names,
        "texts_source": source,
        "texts": len(texts),
        "repeat": repeat,
        "words": base_words,
        "batch_size": args.batch_size,
        "n_process": 1,
        "base_wps": round(base_words / base_s),
        "blank_wps": round(blank_words / blank_s),
        "base_seconds": round(base_s, 2),
        "blank_seconds": round(blank_s, 2),
        "ratio_base_to_blank": round((base_words / base_s) / (blank_words / blank_s), 4),
        "spacy": spacy.__version__,
        "python": platform.python_version(),
        "machine": f"{platform.machine()} {platform.processor() or ''}".strip(),
    }
    if args.json:
        print(json.dumps(result, indent=1))
    else:
        print(f"texts: {result['texts']} from {source}, x{repeat} = {base_words:,} words")
        print(
            f"base pipeline ({', '.join(nlp.pipe_names)}): {result['base_wps']:>10,} words/s  ({base_s:.1f} s)"
        )
        print(
            f"spacy.blank('nl') tokenisation:   {result['blank_wps']:>10,} words/s  ({blank_s:.1f} s)"
        )
        slower = result["blank_wps"] / max(result["base_wps"], 1)
        print(
            f"ratio base/blank: {result['ratio_base_to_blank']:.4f} (base is {slower:.0f}x slower than tokenising)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
