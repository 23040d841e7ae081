"""Print the corpus statistics tables of the datasheet (data/annotated/README.md).

python scripts/corpus_stats.py
"""

from __future__ import annotations

import collections
import hashlib
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ANNOTATED = ROOT / "data" / "annotated"
SPLITS = ("train", "dev", "test")
TAGS = ("open_question", "summary", "premature_solution", "jargon", "opinion")
ROUTINE = re.compile(
    r"^(goede(n)?(morgen|middag|avond|dag)|dag|dank|bedankt|graag gedaan|fijne dag|tot ziens|prima|oké|ok)\b"
)


def load(split: str) -> list[dict]:
    return [
        json.loads(line)
        for line in (ANNOTATED / f"{split}.jsonl").read_text("utf-8").splitlines()
        if line.strip()
    ]


def table(header: list[str], rows: list[list[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join("---" for _ in header) + " |"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def main() -> int:
    data = {s: load(s) for s in SPLITS}
    everything = [r for s in SPLITS for r in data[s]]
    rows = []
    for split in (*SPLITS, "all"):
        records = everything if split == "all" else data[split]
        agent = [u for r in records for u in r["utterances"] if u["speaker"] == "agent"]
        counts = collections.Counter(label for u in agent for label in u["labels"])
        rows.append(
            [split, len(records), sum(len(r["utterances"]) for r in records), len(agent)]
            + [counts[t] for t in TAGS]
            + [sum(r["mindset"] == "klantgericht" for r in records)]
        )
    print("### Counts per split\n")
    print(
        table(
            ["split", "transcripts", "utterances", "agent utterances", *TAGS, "klantgericht"], rows
        )
    )
    for key in ("domain", "style", "variant"):
        counter = collections.Counter((r.get(key), s) for s in SPLITS for r in data[s])
        values = sorted({v for v, _ in counter})
        print(f"\n### Transcripts per {key}\n")
        print(
            table(
                [key, *SPLITS, "all"],
                [
                    [v] + [counter[(v, s)] for s in SPLITS] + [sum(counter[(v, s)] for s in SPLITS)]
                    for v in values
                ],
            )
        )
    ratings = collections.Counter(r["mindset_rating"] for r in everything)
    print("\n### mindset_rating\n")
    print(
        table(
            ["rating", "transcripts", "share"],
            [[k, ratings[k], f"{ratings[k] / len(everything):.1%}"] for k in sorted(ratings)],
        )
    )
    lengths = [len(r["utterances"]) for r in everything]
    print(
        f"\nLengths: {min(lengths)}-{max(lengths)} utterances, median {sorted(lengths)[len(lengths) // 2]}, "
        f"{sum(n <= 10 for n in lengths)} with at most 10, {sum(n > 40 for n in lengths)} with more than 40."
    )
    norm = [
        re.sub(r"[^\w\s]", "", u["text"].lower()).strip()
        for r in everything
        for u in r["utterances"]
        if u["speaker"] == "agent"
    ]
    content = [t for t in norm if not ROUTINE.match(t)]
    counts = collections.Counter(content)
    repeated = sum(1 for t in content if counts[t] > 1)
    print(
        f"Near-duplicates: {repeated} of {len(content)} agent utterances (greetings and closings excluded) "
        f"occur more than once after lower-casing and removing punctuation ({repeated / len(content):.2%})."
    )
    for split in SPLITS:
        digest = hashlib.sha256((ANNOTATED / f"{split}.jsonl").read_bytes()).hexdigest()
        print(f"SHA-256 {split}.jsonl: {digest}")
    return 0


if __name__ == "__main__":
    import argparse

    argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    ).parse_args()
    sys.exit(main())
