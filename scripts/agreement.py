"""Inter-annotator agreement between the first annotation and the blind second pass.

Reads ``data/annotated/agreement/second_pass_*.jsonl`` (labels made from the text only,
by annotators who had not seen the first labels) and the first annotation in
``data/annotated/source/``. Reports Cohen's kappa per tag over agent utterances, kappa
for the binary mindset label, weighted kappa for ``mindset_rating``, and jargon span
agreement (F1 of exact spans). Writes ``agreement.json`` and ``disagreements.jsonl``
(every utterance or transcript where the passes differ, for adjudication).

    python scripts/agreement.py                                   # the first wave
    python scripts/agreement.py --dir data/annotated/agreement/wave2  # the second wave's sample

``--dir`` names the folder that holds the ``second_pass_*.jsonl`` files and receives the
reports.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from sklearn.metrics import cohen_kappa_score

ROOT = Path(__file__).resolve().parents[1]
AGREEMENT = ROOT / "data" / "annotated" / "agreement"
SOURCE = ROOT / "data" / "annotated" / "source"
TAGS = ("open_question", "summary", "premature_solution", "jargon", "opinion")


def load(path: Path) -> dict[str, dict]:
    return {
        r["id"]: r
        for r in (json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip())
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--dir", type=Path, default=AGREEMENT, help="default: %(default)s")
    folder = parser.parse_args(argv).dir
    first: dict[str, dict] = {}
    for path in sorted(SOURCE.glob("*.jsonl")):
        first.update(load(path))
    second: dict[str, dict] = {}
    for path in sorted(folder.glob("second_pass_*.jsonl")):
        second.update(load(path))
    if not second:
        print(f"agreement.py: no second_pass_*.jsonl in {folder}", file=sys.stderr)
        return 2
    a = {tag: [] for tag in TAGS}
    b = {tag: [] for tag in TAGS}
    spans = [0, 0, 0]
    disagreements = []
    for tid, second_record in sorted(second.items()):
        first_record = first[tid]
        for index, (u1, u2) in enumerate(
            zip(first_record["utterances"], second_record["utterances"], strict=True)
        ):
            if u1["text"] != u2["text"]:
                sys.exit(f"{tid} utterance {index}: texts differ between the passes")
            if u1["speaker"] != "agent":
                continue
            l1, l2 = set(u1.get("labels", [])), set(u2.get("labels", []))
            for tag in TAGS:
                a[tag].append(tag in l1)
                b[tag].append(tag in l2)
            j1, j2 = set(u1.get("jargon") or []), set(u2.get("jargon") or [])
            spans[0] += len(j1 & j2)
            spans[1] += len(j1 - j2)
            spans[2] += len(j2 - j1)
            if l1 != l2 or j1 != j2:
                disagreements.append(
                    {
                        "id": tid,
                        "utterance": index,
                        "text": u1["text"],
                        "first": sorted(l1),
                        "second": sorted(l2),
                        "first_jargon": sorted(j1),
                        "second_jargon": sorted(j2),
                    }
                )
        if (
            first_record["mindset"] != second_record["mindset"]
            or first_record["mindset_rating"] != second_record["mindset_rating"]
        ):
            disagreements.append(
                {
                    "id": tid,
                    "utterance": None,
                    "first": [first_record["mindset"], first_record["mindset_rating"]],
                    "second": [second_record["mindset"], second_record["mindset_rating"]],
                }
            )
    ids = sorted(second)
    report = {
        "transcripts": len(ids),
        "agent_utterances": len(a[TAGS[0]]),
        "kappa": {tag: round(float(cohen_kappa_score(a[tag], b[tag])), 3) for tag in TAGS},
        "positives": {tag: {"first": int(sum(a[tag])), "second": int(sum(b[tag]))} for tag in TAGS},
        "mindset_kappa": round(
            float(
                cohen_kappa_score(
                    [first[i]["mindset"] for i in ids], [second[i]["mindset"] for i in ids]
                )
            ),
            3,
        ),
        "mindset_agreement": round(
            sum(first[i]["mindset"] == second[i]["mindset"] for i in ids) / len(ids), 3
        ),
        "rating_weighted_kappa": round(
            float(
                cohen_kappa_score(
                    [first[i]["mindset_rating"] for i in ids],
                    [second[i]["mindset_rating"] for i in ids],
                    weights="linear",
                )
            ),
            3,
        ),
        "jargon_span_f1": round(2 * spans[0] / max(2 * spans[0] + spans[1] + spans[2], 1), 3),
        "disagreements": len(disagreements),
    }
    (folder / "agreement.json").write_text(json.dumps(report, indent=2) + "\n", "utf-8")
    with (folder / "disagreements.jsonl").open("w", encoding="utf-8") as handle:
        for item in disagreements:
            handle.write(json.dumps(item, ensure_ascii=False) + "\n")
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
