"""How much do the klantfocus tag components add to the base pipeline's time?

Runs, in one process on one core, the same transcripts through
(a) the base pipeline alone (the klantfocus components disabled) and
(b) the full pipeline (base + klantfocus_jargon + klantfocus_utterance_tagger),
and reports words per second for both and the overhead of the tag components as a
share of the base pipeline's own time. Target: at most 40%.

    python benchmarks/tagger_speed.py [--input data/annotated/dev.jsonl] [--repeat 2] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import klantfocus  # noqa: E402
from klantfocus.pipeline.conversation import transcript_to_doc  # noqa: E402

TAG_COMPONENTS = ("klantfocus_jargon", "klantfocus_utterance_tagger")


def timed(nlp, transcripts, disable=()) -> float:
    with nlp.select_pipes(disable=list(disable)):
        start = time.perf_counter()
        for _ in nlp.pipe((transcript_to_doc(nlp, t) for t in transcripts), batch_size=32):
            pass
        return time.perf_counter() - start


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--input", type=Path, default=ROOT / "data" / "annotated" / "dev.jsonl")
    parser.add_argument("--repeat", type=int, default=2, help="timed rounds; the best is reported")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    transcripts = klantfocus.read_transcripts(args.input)
    words = sum(len(u.text.split()) for t in transcripts for u in t.utterances)
    nlp = klantfocus.load()
    timed(nlp, transcripts[:5])  # warm-up
    base = min(timed(nlp, transcripts, TAG_COMPONENTS) for _ in range(args.repeat))
    full = min(timed(nlp, transcripts) for _ in range(args.repeat))
    result = {
        "input": str(args.input),
        "transcripts": len(transcripts),
        "words": words,
        "base_words_per_second": round(words / base),
        "full_words_per_second": round(words / full),
        "tag_component_overhead": round((full - base) / base, 3),
        "pipeline": nlp.meta.get("name"),
        "components": nlp.pipe_names,
    }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(f"{words} words in {len(transcripts)} transcripts, one process")
        print(f"base pipeline alone : {result['base_words_per_second']:>8} words/s")
        print(f"with tag components : {result['full_words_per_second']:>8} words/s")
        print(
            f"tag components add  : {100 * result['tag_component_overhead']:.1f}% of the base pipeline's time (target <= 40%)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
