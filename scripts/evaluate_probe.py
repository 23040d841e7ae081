"""Evaluate the shipped models on the out-of-domain probe set (data/annotated/probe/).

The probe is a small set of conversations written after the models were trained, by
writers who did not see the corpus, in domains the corpus does not have. It is never used
for training, tuning or model choice: this script only measures. It

1. checks the writers' files ``probe/source/*.jsonl`` and converts them to the
   interchange format (``probe/probe.jsonl``, jargon substrings turned into spans);
2. when a blind second annotation is present (``probe/second_pass.jsonl``), reports the
   agreement between the two annotations (Cohen's kappa per tag, mindset agreement);
3. tags and scores the conversations with the shipped models (labels removed first) and
   reports them against the first annotation, next to the rule-based components;
4. writes ``probe/evaluation.json``.

    python scripts/evaluate_probe.py
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "scripts"))

import spacy  # noqa: E402
from build_corpus import convert  # noqa: E402
from check_draft_corpus import check  # noqa: E402
from sklearn.metrics import cohen_kappa_score  # noqa: E402

import klantfocus  # noqa: E402
from klantfocus.constants import TAGS  # noqa: E402
from klantfocus.evaluation import evaluate  # noqa: E402
from klantfocus.pipeline.loading import build_pipeline  # noqa: E402
from klantfocus.transcript import without_annotations  # noqa: E402

PROBE = ROOT / "data" / "annotated" / "probe"


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def agreement(first: list[dict], second: list[dict]) -> dict:
    """Cohen's kappa per tag over agent utterances, and mindset agreement."""
    by_id = {r["id"]: r for r in second}
    missing = [r["id"] for r in first if r["id"] not in by_id]
    if missing:
        raise SystemExit(f"evaluate_probe.py: second pass lacks transcripts {missing}")
    rows_a: list[set] = []
    rows_b: list[set] = []
    same_mindset = rated = 0
    rating_diff = 0
    for rec in first:
        other = by_id[rec["id"]]
        agents_a = [u for u in rec["utterances"] if u["speaker"] == "agent"]
        agents_b = [u for u in other["utterances"] if u["speaker"] == "agent"]
        if [u["text"] for u in agents_a] != [u["text"] for u in agents_b]:
            raise SystemExit(f"evaluate_probe.py: {rec['id']}: the second pass changed the text")
        rows_a += [set(u.get("labels", [])) for u in agents_a]
        rows_b += [set(u.get("labels", [])) for u in agents_b]
        same_mindset += rec["mindset"] == other.get("mindset")
        if other.get("mindset_rating") is not None:
            rated += 1
            rating_diff += abs(rec["mindset_rating"] - other["mindset_rating"])
    kappa = {
        tag: round(
            float(cohen_kappa_score([tag in r for r in rows_a], [tag in r for r in rows_b])), 3
        )
        for tag in TAGS
    }
    return {
        "agent_utterances": len(rows_a),
        "kappa": kappa,
        "mindset_agreement": round(same_mindset / len(first), 3),
        "mean_rating_difference": round(rating_diff / rated, 2) if rated else None,
    }


def summary(report: dict) -> dict:
    keep = {k: report[k] for k in ("transcripts", "agent_utterances", "macro_f1", "per_tag")}
    keep["jargon_span"] = report["jargon_span"]
    for key in ("mindset", "by_style", "by_domain"):
        if key in report:
            keep[key] = report[key]
    return keep


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--probe", type=Path, default=PROBE, help="default: %(default)s")
    parser.add_argument("--pipeline", type=Path, default=ROOT / "models" / "klantfocus_nl")
    parser.add_argument("--base", type=Path, default=ROOT / "models" / "nl_klantfocus_base")
    args = parser.parse_args(argv)

    sources = sorted((args.probe / "source").glob("*.jsonl"))
    if not sources:
        print(f"evaluate_probe.py: no writers' files in {args.probe / 'source'}", file=sys.stderr)
        return 2
    records: list[dict] = []
    for path in sources:
        if check(str(path)):
            print(f"evaluate_probe.py: {path} does not pass the draft check", file=sys.stderr)
            return 2
        records += read_jsonl(path)
    gold_path = args.probe / "probe.jsonl"
    gold_path.write_text(
        "".join(json.dumps(convert(r), ensure_ascii=False) + "\n" for r in records), "utf-8"
    )
    report: dict = {}
    second = args.probe / "second_pass.jsonl"
    if second.is_file():
        report["agreement"] = agreement(records, read_jsonl(second))

    gold = klantfocus.read_transcripts(gold_path)
    trained = spacy.load(args.pipeline)
    scored = klantfocus.score(without_annotations(gold), trained)
    report["shipped"] = summary(evaluate(gold, scored))
    rule_based = build_pipeline(spacy.load(args.base))
    rules = evaluate(gold, klantfocus.tag(without_annotations(gold), rule_based))
    report["rules"] = {k: rules[k] for k in ("macro_f1", "per_tag")}
    if second.is_file():
        # the shipped tagger against the second annotator: how much of the gap is the
        # annotation's own uncertainty
        second_gold = [convert(r) for r in read_jsonl(second)]
        tmp = args.probe / ".second_pass_gold.jsonl"
        tmp.write_text(
            "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in second_gold), "utf-8"
        )
        try:
            against_second = evaluate(klantfocus.read_transcripts(tmp), scored)
        finally:
            tmp.unlink()
        report["shipped_vs_second_pass"] = {
            k: against_second[k] for k in ("macro_f1", "per_tag", "mindset")
        }
    (args.probe / "evaluation.json").write_text(
        json.dumps(report, indent=2, ensure_ascii=False) + "\n", "utf-8"
    )
    shipped = report["shipped"]
    print(
        f"probe: {shipped['transcripts']} transcripts, {shipped['agent_utterances']} agent "
        "utterances"
    )
    for name in ("shipped", "rules", "shipped_vs_second_pass"):
        if name in report:
            tags = " ".join(f"{t}={report[name]['per_tag'][t]['f1']:.3f}" for t in TAGS)
            print(f"{name:<24} macro-F1 {report[name]['macro_f1']:.3f}  {tags}")
    if "by_style" in shipped:
        print(
            "per style: "
            + ", ".join(f"{k} {v['macro_f1']:.3f}" for k, v in shipped["by_style"].items())
        )
    print(
        "mindset: "
        + json.dumps({k: v for k, v in shipped["mindset"].items() if k != "reliability"})
    )
    if "agreement" in report:
        print("agreement: " + json.dumps(report["agreement"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
