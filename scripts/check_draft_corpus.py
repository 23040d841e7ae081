"""Check a draft corpus file written by an annotator (the writers' format).

The writers' format is the interchange format with one convenience: jargon is given as
a list of exact substrings (``"jargon": ["tweede lijn"]``) instead of character offsets;
``scripts/build_corpus.py`` turns them into spans. Run:

    python scripts/check_draft_corpus.py data/annotated/source/batch-01.jsonl
"""

from __future__ import annotations

import collections
import json
import re
import sys

TAGS = {"open_question", "summary", "premature_solution", "jargon", "opinion"}
STYLES = {"clean", "spoken", "stt"}


def check(path: str) -> int:
    problems: list[str] = []
    counts: collections.Counter[str] = collections.Counter()
    ids: set[str] = set()
    n_utt = 0
    with open(path, encoding="utf-8") as handle:
        for line_no, line in enumerate(handle, 1):
            if not line.strip():
                continue
            where = f"{path}:{line_no}"
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                problems.append(f"{where}: invalid JSON ({exc})")
                continue
            tid = record.get("id")
            if not isinstance(tid, str) or not tid:
                problems.append(f"{where}: missing id")
            elif tid in ids:
                problems.append(f"{where}: duplicate id {tid}")
            ids.add(str(tid))
            if record.get("style") not in STYLES:
                problems.append(f"{where}: style must be one of {sorted(STYLES)}")
            if record.get("mindset") not in {"klantgericht", "innerlijk"}:
                problems.append(f"{where}: bad mindset")
            rating = record.get("mindset_rating")
            if rating not in {1, 2, 3, 4, 5}:
                problems.append(f"{where}: bad mindset_rating")
            elif (rating <= 2 and record.get("mindset") != "innerlijk") or (
                rating >= 4 and record.get("mindset") != "klantgericht"
            ):
                problems.append(f"{where}: rating {rating} contradicts mindset")
            if not isinstance(record.get("domain"), str):
                problems.append(f"{where}: missing domain")
            utts = record.get("utterances")
            if not isinstance(utts, list) or len(utts) < 6:
                problems.append(f"{where}: needs a list of at least 6 utterances")
                continue
            counts["transcripts"] += 1
            counts[f"mindset={record.get('mindset')}"] += 1
            counts[f"rating={rating}"] += 1
            counts[f"style={record.get('style')}"] += 1
            for i, utt in enumerate(utts):
                n_utt += 1
                uw = f"{where} utterance {i}"
                if utt.get("speaker") not in {"agent", "customer"}:
                    problems.append(f"{uw}: speaker must be agent or customer")
                text = utt.get("text")
                if not isinstance(text, str) or not text.strip():
                    problems.append(f"{uw}: empty text")
                    continue
                labels = utt.get("labels", [])
                jargon = utt.get("jargon", [])
                if not set(labels) <= TAGS:
                    problems.append(f"{uw}: unknown labels {set(labels) - TAGS}")
                if len(set(labels)) != len(labels):
                    problems.append(f"{uw}: repeated label")
                if utt.get("speaker") == "customer" and (labels or jargon):
                    problems.append(f"{uw}: customer utterances carry no labels")
                if ("jargon" in labels) != bool(jargon):
                    problems.append(f"{uw}: 'jargon' label iff a non-empty jargon list")
                for term in jargon:
                    if not isinstance(term, str) or term not in text:
                        problems.append(f"{uw}: jargon {term!r} is not a substring of text")
                if record.get("style") == "stt" and re.search(r"[.,?!;]", text):
                    problems.append(f"{uw}: stt style has no punctuation")
                if utt.get("speaker") == "agent":
                    counts["agent_utterances"] += 1
                    for label in labels:
                        counts[label] += 1
    counts["utterances"] = n_utt
    for problem in problems[:200]:
        print(problem)
    print(json.dumps(dict(sorted(counts.items())), indent=1))
    print(f"{len(problems)} problem(s)")
    return 1 if problems else 0


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("files", nargs="+", help="writers' JSONL files to check")
    args = parser.parse_args(argv)
    status = 0
    for path in args.files:
        try:
            status = max(status, check(path))
        except OSError as exc:
            print(f"{path}: cannot read the file: {exc.strerror or exc}")
            status = 2
    return status


if __name__ == "__main__":
    sys.exit(main())
