"""Print the Markdown result tables for the README from the shipped models' metrics.

Reads models/klantfocus_nl/evaluation.json (scripts/evaluate_tagger.py) and
models/mindset_scorer/meta.json (scripts/train_scorer.py); prints nothing it did not read.

    python scripts/results_tables.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TAGS = ("open_question", "summary", "premature_solution", "jargon", "opinion")


def main() -> int:
    tagger = json.loads((ROOT / "models" / "klantfocus_nl" / "evaluation.json").read_text("utf-8"))
    scorer = json.loads((ROOT / "models" / "mindset_scorer" / "meta.json").read_text("utf-8"))[
        "metrics"
    ]
    test, rules, tfidf = tagger["test"], tagger["test_rules"], tagger["test_tfidf_logreg"]
    print("| tag | precision | recall | F1 | support | F1 rule-based | F1 TF-IDF + LR |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for tag in TAGS:
        m = test["per_tag"][tag]
        print(
            f"| {tag} | {m['precision']:.3f} | {m['recall']:.3f} | **{m['f1']:.3f}** | {m['support']} | "
            f"{rules['per_tag'][tag]['f1']:.3f} | {tfidf['per_tag'][tag]['f1']:.3f} |"
        )
    print(
        f"| **macro-F1** | | | **{test['macro_f1']:.3f}** | | {rules['macro_f1']:.3f} | {tfidf['macro_f1']:.3f} |"
    )
    js, jr = test["jargon_span"], rules["jargon_span"]
    print(
        f"| jargon spans (exact) | {js['precision']:.3f} | {js['recall']:.3f} | {js['f1']:.3f} | {js['support']} | {jr['f1']:.3f} | n/a |"
    )
    print()
    print("| style | macro-F1 | transcripts |")
    print("| --- | --- | --- |")
    for style, m in test["by_style"].items():
        print(f"| {style} | {m['macro_f1']:.3f} | {m['transcripts']} |")
    print()
    print("| domain | macro-F1 | transcripts |")
    print("| --- | --- | --- |")
    for domain, m in test["by_domain"].items():
        print(f"| {domain} | {m['macro_f1']:.3f} | {m['transcripts']} |")
    print()
    mt, base = scorer["test"], scorer["test_baseline_tfidf_logreg"]
    print(
        f"| mindset (test, n={mt['n']}) | klantfocus scorer | TF-IDF + LR on the transcript text |"
    )
    print("| --- | --- | --- |")
    print(f"| ROC AUC | {mt['roc_auc']:.3f} | {base['roc_auc']:.3f} |")
    print(f"| accuracy | {mt['accuracy']:.3f} | {base['accuracy']:.3f} |")
    print(f"| Brier score | {mt['brier']:.3f} | {base['brier']:.3f} |")
    print(f"| Spearman with mindset_rating | {mt['spearman_rating']:.3f} | |")
    print()
    print("| score bin | transcripts | mean score | share klantgericht |")
    print("| --- | --- | --- | --- |")
    for row in mt["reliability"]:
        print(
            f"| {row['bin']} | {row['n']} | {row['mean_score']:.3f} | {row['fraction_klantgericht']:.3f} |"
        )
    return 0


if __name__ == "__main__":
    import argparse

    argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    ).parse_args()
    sys.exit(main())
