"""Evaluate the shipped tagger pipeline; write models/klantfocus_nl/evaluation.json.

Reports, in one run, the trained pipeline on dev and on the frozen test split next to the
rule-based components (same base pipeline) and a TF-IDF + logistic-regression baseline on
the utterance text alone (fitted on train). The numbers go into the pipeline's
meta.json ("performance") and evaluation.json. Nothing here is tuned.

    python scripts/evaluate_tagger.py [--no-test]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import spacy  # noqa: E402

import klantfocus  # noqa: E402
from klantfocus.constants import TAGS  # noqa: E402
from klantfocus.evaluation import evaluate  # noqa: E402
from klantfocus.pipeline.loading import build_pipeline  # noqa: E402
from klantfocus.transcript import without_annotations  # noqa: E402


def tfidf_baseline(train, test) -> dict:
    """Per-tag TF-IDF + logistic regression on the utterance text alone."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    def rows(items):
        texts, labels = [], []
        for t in items:
            for u in t.agent_utterances:
                texts.append(u.text)
                labels.append(set(u.labels or []))
        return texts, labels

    train_x, train_y = rows(train)
    test_x, test_y = rows(test)
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2)
    Xtr, Xte = vectorizer.fit_transform(train_x), vectorizer.transform(test_x)
    per_tag = {}
    for tag in TAGS:
        model = LogisticRegression(C=3.0, max_iter=2000, class_weight="balanced")
        ytr = np.array([tag in y for y in train_y])
        model.fit(Xtr, ytr)
        predicted = model.predict(Xte).astype(bool)
        gold = np.array([tag in y for y in test_y])
        tp = int(np.sum(predicted & gold))
        p = tp / max(int(np.sum(predicted)), 1)
        r = tp / max(int(np.sum(gold)), 1)
        per_tag[tag] = {
            "precision": round(p, 4),
            "recall": round(r, 4),
            "f1": round(2 * p * r / max(p + r, 1e-9), 4),
        }
    return {
        "per_tag": per_tag,
        "macro_f1": round(float(np.mean([m["f1"] for m in per_tag.values()])), 4),
    }


def summary(report: dict) -> dict:
    keep = {
        "macro_f1": report["macro_f1"],
        "per_tag": report["per_tag"],
        "jargon_span": report["jargon_span"],
    }
    for key in ("by_style", "by_domain"):
        if key in report:
            keep[key] = report[key]
    return keep


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=ROOT / "data" / "annotated")
    parser.add_argument("--base", default=str(ROOT / "models" / "nl_klantfocus_base"))
    parser.add_argument("--pipeline", type=Path, default=ROOT / "models" / "klantfocus_nl")
    parser.add_argument(
        "--no-test", action="store_true", help="report on dev only, never read test"
    )
    args = parser.parse_args(argv)
    read = {
        name: klantfocus.read_transcripts(args.data / f"{name}.jsonl") for name in ("train", "dev")
    }
    trained = spacy.load(args.pipeline)
    rule_based = build_pipeline(spacy.load(args.base))
    report = {
        "dev": summary(
            evaluate(read["dev"], klantfocus.tag(without_annotations(read["dev"]), trained))
        )
    }
    report["dev_rules"] = summary(
        evaluate(read["dev"], klantfocus.tag(without_annotations(read["dev"]), rule_based))
    )
    if not args.no_test:
        test = klantfocus.read_transcripts(args.data / "test.jsonl")
        report["test"] = summary(evaluate(test, klantfocus.tag(without_annotations(test), trained)))
        report["test_rules"] = summary(
            evaluate(test, klantfocus.tag(without_annotations(test), rule_based))
        )
        report["test_tfidf_logreg"] = tfidf_baseline(read["train"], test)
    meta_file = args.pipeline / "meta.json"
    meta = json.loads(meta_file.read_text("utf-8"))
    meta["performance"] = report
    meta_file.write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", "utf-8")
    (args.pipeline / "evaluation.json").write_text(
        json.dumps(report, indent=2, ensure_ascii=False) + "\n", "utf-8"
    )
    for name in report:
        tags = " ".join(f"{t}={report[name]['per_tag'][t]['f1']:.3f}" for t in TAGS)
        print(f"{name:<18} macro-F1 {report[name]['macro_f1']:.3f}  {tags}")
        if "by_style" in report[name]:
            styles = " ".join(
                f"{k}={v['macro_f1']:.3f}" for k, v in report[name]["by_style"].items()
            )
            print(f"{'':<18} per style: {styles}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
