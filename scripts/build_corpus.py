"""Build data/annotated/{train,dev,test}.jsonl from the annotators' files.

The annotators write ``data/annotated/source/*.jsonl`` (see ``check_draft_corpus.py``:
the interchange format, with jargon given as exact substrings). This script

1. checks every file and turns jargon substrings into character spans, then applies the
   adjudicated decisions of the agreement study (``agreement/adjudication.jsonl``),
   which replace the first annotation where the two passes disagreed;
2. assigns each transcript to a split, stratified by domain and mindset (about
   70/15/15). Assignments are kept in ``data/annotated/splits.json``: a transcript keeps
   its split forever. The test split is frozen (its hash is checked by the tests), so
   transcripts added after the freeze go to train and dev only (80/20, same
   stratification); unseen measurement of later batches is the job of the probe sets;
3. writes the three split files, sorted by id.

    python scripts/build_corpus.py [--check-only]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ANNOTATED = ROOT / "data" / "annotated"
SOURCE = ANNOTATED / "source"
SPLITS_FILE = ANNOTATED / "splits.json"
ADJUDICATION_FILE = ANNOTATED / "agreement" / "adjudication.jsonl"
SPLIT_NAMES = ("train", "dev", "test")
SEED = 20261125
SHARE = {"dev": 0.15, "test": 0.15}
# transcripts that arrive after the test split was frozen: train and dev only
SHARE_AFTER_FREEZE = {"dev": 0.20, "test": 0.0}
TRANSCRIPT_KEYS = (
    "id",
    "domain",
    "style",
    "variant",
    "meta",
    "utterances",
    "mindset",
    "mindset_rating",
)


def jargon_spans(text: str, terms: list[str]) -> list[dict[str, object]]:
    """Every occurrence of every term, longest first, without overlaps."""
    taken: list[tuple[int, int]] = []
    for term in sorted(set(terms), key=len, reverse=True):
        for match in re.finditer(re.escape(term), text):
            start, end = match.span()
            if any(start < e and s < end for s, e in taken):
                continue
            taken.append((start, end))
    return [{"start": s, "end": e, "label": "jargon"} for s, e in sorted(taken)]


def convert(record: dict) -> dict:
    out = {key: record[key] for key in TRANSCRIPT_KEYS if key in record}
    utterances = []
    for utterance in record["utterances"]:
        item = {"speaker": utterance["speaker"], "text": utterance["text"]}
        if utterance["speaker"] == "agent":
            item["labels"] = list(utterance.get("labels", []))
            spans = jargon_spans(utterance["text"], utterance.get("jargon") or [])
            if spans:
                item["spans"] = spans
        else:
            item["labels"] = []
        utterances.append(item)
    out["utterances"] = utterances
    return out


def apply_adjudication(records: list[dict]) -> int:
    """Replace disputed annotations by the adjudicated ones; returns how many changed."""
    if not ADJUDICATION_FILE.exists():
        return 0
    by_id = {r["id"]: r for r in records}
    changed = 0
    for line in ADJUDICATION_FILE.read_text("utf-8").splitlines():
        if not line.strip():
            continue
        decision = json.loads(line)
        record = by_id[decision["id"]]
        if decision["utterance"] is None:
            if (record["mindset"], record["mindset_rating"]) != (
                decision["mindset"],
                decision["mindset_rating"],
            ):
                changed += 1
            record["mindset"], record["mindset_rating"] = (
                decision["mindset"],
                decision["mindset_rating"],
            )
            continue
        utterance = record["utterances"][decision["utterance"]]
        spans = jargon_spans(utterance["text"], decision.get("jargon") or [])
        if utterance.get("labels") != decision["labels"] or utterance.get("spans", []) != spans:
            changed += 1
        utterance["labels"] = list(decision["labels"])
        if spans:
            utterance["spans"] = spans
        else:
            utterance.pop("spans", None)
    return changed


def load_sources() -> list[dict]:
    records = []
    for path in sorted(SOURCE.glob("*.jsonl")):
        for line in path.read_text("utf-8").splitlines():
            if line.strip():
                records.append(convert(json.loads(line)))
    changed = apply_adjudication(records)
    if changed:
        print(f"applied {changed} adjudicated decision(s)")
    return records


def assign_splits(records: list[dict], existing: dict[str, str]) -> dict[str, str]:
    """Keep existing assignments; split new transcripts per (domain, mindset) stratum.

    Each stratum gives 15% to dev and 15% to test, rounded; the rounding remainder is
    carried to the next stratum so that the totals come out at 70/15/15. Once a test
    split exists (``existing`` has test transcripts) it is frozen: new transcripts are
    split 80/20 between train and dev.
    """
    share = SHARE_AFTER_FREEZE if "test" in existing.values() else SHARE
    assignment = {r["id"]: existing[r["id"]] for r in records if r["id"] in existing}
    rng = random.Random(SEED)
    strata: dict[tuple[str, str], list[str]] = defaultdict(list)
    for record in records:
        if record["id"] not in assignment:
            strata[(record.get("domain", ""), record.get("mindset", ""))].append(record["id"])
    carry = {"dev": 0.0, "test": 0.0}
    for key in sorted(strata):
        ids = sorted(strata[key])
        rng.shuffle(ids)
        take = {}
        for split in ("dev", "test"):
            wanted = share[split] * len(ids) + carry[split]
            take[split] = round(wanted)
            carry[split] = wanted - take[split]
        for position, tid in enumerate(ids):
            if position < take["dev"]:
                assignment[tid] = "dev"
            elif position < take["dev"] + take["test"]:
                assignment[tid] = "test"
            else:
                assignment[tid] = "train"
    return assignment


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--check-only", action="store_true", help="report counts, write nothing")
    args = parser.parse_args(argv)
    records = load_sources()
    ids = [r["id"] for r in records]
    duplicates = {i for i in ids if ids.count(i) > 1}
    if duplicates:
        print(f"duplicate transcript ids: {sorted(duplicates)[:10]}", file=sys.stderr)
        return 1
    existing = json.loads(SPLITS_FILE.read_text("utf-8")) if SPLITS_FILE.exists() else {}
    assignment = assign_splits(records, existing)
    by_split: dict[str, list[dict]] = defaultdict(list)
    for record in sorted(records, key=lambda r: r["id"]):
        by_split[assignment[record["id"]]].append(record)
    for name in SPLIT_NAMES:
        n_utt = sum(len(r["utterances"]) for r in by_split[name])
        print(f"{name}: {len(by_split[name])} transcripts, {n_utt} utterances")
    if args.check_only:
        return 0
    SPLITS_FILE.write_text(json.dumps(dict(sorted(assignment.items())), indent=0) + "\n", "utf-8")
    for name in SPLIT_NAMES:
        path = ANNOTATED / f"{name}.jsonl"
        with path.open("w", encoding="utf-8") as handle:
            for record in by_split[name]:
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        print(f"wrote {path.relative_to(ROOT)} sha256={sha256(path)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
