"""Write the model cards (README.md) of the shipped tag pipeline and mindset scorer.

The cards are made from what the training scripts recorded (``meta.json`` and
``evaluation.json`` of ``models/klantfocus_nl``; ``meta.json`` of
``models/mindset_scorer``), so they cannot disagree with the metrics.
``scripts/train_tagger.py`` and ``scripts/train_scorer.py`` call this after training;
run it by hand after editing the wording:

    python scripts/model_cards.py
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TAGS = ("open_question", "summary", "premature_solution", "jargon", "opinion")


def _read(path: Path) -> dict:
    return json.loads(path.read_text("utf-8"))


USES = {
    "train": "fitting",
    "dev": "choosing C, thresholds and calibration",
    "test": "the report above only",
}


def _data_lines(data: dict) -> list[str]:
    return [
        f"- `{d['path']}`, for {USES.get(split, split)} (SHA-256 `{d['sha256']}`)"
        for split, d in data.items()
    ]


def tagger_card(model_dir: Path) -> str:
    meta = _read(model_dir / "meta.json")
    evaluation = _read(model_dir / "evaluation.json")
    test, dev = evaluation["test"], evaluation["dev"]
    rules, tfidf = evaluation["test_rules"], evaluation["test_tfidf_logreg"]
    lines = [
        f"# {meta['name']} {meta['version']}",
        "",
        "The klantfocus tag pipeline: the Dutch base pipeline (`nl_klantfocus_base`) plus the "
        "klantfocus components, which tag every agent utterance of a customer-service "
        "conversation with zero or more of open_question, summary, premature_solution, jargon "
        "(with the jargon spans) and opinion. Pipeline: " + ", ".join(meta["pipeline"]) + ".",
        "",
        "Load it with `klantfocus.load()` (the default) or `spacy.load(...)` on this folder.",
        "",
        "## Evaluation",
        "",
        "Frozen test split of the klantfocus corpus (no model, rule or threshold was tuned on "
        "it), in the same run as a rule-based and a TF-IDF + logistic-regression baseline:",
        "",
        "| tag | precision | recall | F1 | support | F1 rule-based | F1 TF-IDF + LR |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for tag in TAGS:
        row = test["per_tag"][tag]
        lines.append(
            f"| {tag} | {row['precision']:.3f} | {row['recall']:.3f} | {row['f1']:.3f} | "
            f"{row['support']} | {rules['per_tag'][tag]['f1']:.3f} | "
            f"{tfidf['per_tag'][tag]['f1']:.3f} |"
        )
    lines += [
        f"| **macro-F1** | | | **{test['macro_f1']:.3f}** | | {rules['macro_f1']:.3f} | "
        f"{tfidf['macro_f1']:.3f} |",
        "",
        "Per style (macro-F1): "
        + ", ".join(
            f"{style} {row['macro_f1']:.3f} ({row['transcripts']} transcripts)"
            for style, row in test["by_style"].items()
        )
        + f". Exact jargon spans: F1 {test['jargon_span']['f1']:.3f}. "
        f"Dev (thresholds and C chosen there): macro-F1 {dev['macro_f1']:.3f}.",
        "",
        "The test split shares its writers and domains with the training data. Conversations "
        "by other writers in other domains score lower: see the out-of-domain probes in the "
        "klantfocus README (`data/annotated/probe*/`).",
        "",
        "## Data",
        "",
        "The klantfocus annotated corpus (written and annotated by the klantfocus team, "
        "CC BY 4.0; datasheet `data/annotated/README.md`), as used for this model:",
        "",
        *_data_lines(meta["klantfocus_data"]),
        "",
        "## Limitations",
        "",
        "- The corpus was written by AI language-model sessions, not transcribed from real "
        "calls; expect lower figures on real, noisy transcripts.",
        "- premature_solution depends on the course of the conversation and is the least "
        "reliable tag; where the jargon line lies differs between annotators.",
        "- Tags describe behaviour in one utterance; use the mindset score and many calls, "
        "not single tags, to judge an employee.",
        "",
        "## Licence and recipe",
        "",
        f"Licence: {meta['license']}. Recipe: `make tagger` (`scripts/train_tagger.py`) in the "
        f"klantfocus repository; trained with klantfocus {meta.get('klantfocus_version')} in "
        f"{meta.get('training_seconds')} s.",
        "",
    ]
    return "\n".join(lines)


def scorer_card(model_dir: Path) -> str:
    meta = _read(model_dir / "meta.json")
    metrics = meta["metrics"]
    test, dev, baseline = metrics["test"], metrics["dev"], metrics["test_baseline_tfidf_logreg"]
    lines = [
        f"# {meta['name']} (klantfocus {meta['klantfocus_version']})",
        "",
        "The klantfocus mindset scorer: turns the tags the tag pipeline predicts for one "
        "conversation into a mindset score from 0 to 100 (the probability that the employee "
        "worked klantgericht) with an explanation. A calibrated logistic regression on "
        f"{len(meta['feature_names'])} conversation features: "
        + ", ".join(f"`{name}`" for name in meta["feature_names"])
        + ".",
        "",
        f"Chosen on dev by Brier score: C = {meta['selected']['C']}, calibration "
        f"{meta['selected']['calibration']}. Trained on out-of-fold predicted tags of the "
        "train split, so it sees tags as noisy as at run time.",
        "",
        "## Evaluation",
        "",
        "| mindset | test (frozen) | dev | TF-IDF + LR on the text (test) |",
        "| --- | --- | --- | --- |",
        f"| ROC AUC | {test['roc_auc']:.3f} | {dev['roc_auc']:.3f} | {baseline['roc_auc']:.3f} |",
        f"| accuracy | {test['accuracy']:.3f} | {dev['accuracy']:.3f} | "
        f"{baseline['accuracy']:.3f} |",
        f"| Brier score | {test['brier']:.3f} | {dev['brier']:.3f} | {baseline['brier']:.3f} |",
        f"| Spearman with mindset_rating | {test['spearman_rating']:.3f} | "
        f"{dev['spearman_rating']:.3f} | |",
        "",
        "## Data",
        "",
        *_data_lines(meta["data"]),
        "",
        f"Tags from the pipeline `{meta['tagger_pipeline']}`.",
        "",
        "## Safety and licence",
        "",
        "`scorer.joblib` is a pickle: klantfocus checks its SHA-256 against the manifest "
        "shipped inside the package before unpickling and refuses any other file unless the "
        "caller passes `trust=True`. scikit-learn "
        f"{meta['sklearn_version']}. Licence CC BY 4.0 (the corpus). Recipe: `make scorer` "
        "(`scripts/train_scorer.py`).",
        "",
    ]
    return "\n".join(lines)


def write_cards(tagger_dir: Path | None = None, scorer_dir: Path | None = None) -> list[Path]:
    written = []
    if tagger_dir is not None:
        (tagger_dir / "README.md").write_text(tagger_card(tagger_dir), "utf-8")
        written.append(tagger_dir / "README.md")
    if scorer_dir is not None:
        (scorer_dir / "README.md").write_text(scorer_card(scorer_dir), "utf-8")
        written.append(scorer_dir / "README.md")
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tagger", type=Path, default=ROOT / "models" / "klantfocus_nl")
    parser.add_argument("--scorer", type=Path, default=ROOT / "models" / "mindset_scorer")
    args = parser.parse_args(argv)
    for path in write_cards(args.tagger, args.scorer):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
