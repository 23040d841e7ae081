"""Train the mindset scorer on data/annotated (train), tune on dev, report on test.

The scorer learns from the tags that the shipped pipeline *predicts* (not the gold tags),
because that is what it sees at run time; on train these are out-of-fold predictions
(tag models refitted on the other folds), so they are as noisy as on unseen calls. Hyper-parameters (C, calibration method) are
chosen by Brier score on dev; the frozen test split is only used for the final report,
next to a TF-IDF + logistic-regression baseline on the raw transcript text.

    python scripts/train_scorer.py            # writes models/mindset_scorer/
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, roc_auc_score
from sklearn.pipeline import make_pipeline

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "scripts"))

import model_cards  # noqa: E402  (scripts/model_cards.py)

import klantfocus  # noqa: E402
from klantfocus.evaluation import evaluate  # noqa: E402
from klantfocus.pipeline.tagger import TrainedTagModel  # noqa: E402
from klantfocus.scoring.model import MindsetScorer, sha256_file  # noqa: E402
from klantfocus.training.crossfit import out_of_fold_tags  # noqa: E402
from klantfocus.transcript import without_annotations  # noqa: E402

GRID_C = (0.03, 0.1, 0.3, 1.0, 3.0)
GRID_CALIBRATION = ("sigmoid", "isotonic")
MANIFEST = ROOT / "src" / "klantfocus" / "scoring" / "manifest.json"


def labels(transcripts):
    return [t.mindset for t in transcripts]


def text_baseline(train, test):
    model = make_pipeline(
        TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2), min_df=2),
        LogisticRegression(C=3.0, max_iter=2000),
    )
    model.fit(
        [" ".join(u.text for u in t.utterances) for t in train],
        [t.mindset == "klantgericht" for t in train],
    )
    proba = model.predict_proba([" ".join(u.text for u in t.utterances) for t in test])[:, 1]
    y = np.array([t.mindset == "klantgericht" for t in test], dtype=int)
    return {
        "roc_auc": round(float(roc_auc_score(y, proba)), 4),
        "accuracy": round(float(np.mean((proba >= 0.5) == y)), 4),
        "brier": round(float(brier_score_loss(y, proba)), 4),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=ROOT / "data" / "annotated")
    parser.add_argument("--out", type=Path, default=ROOT / "models" / "mindset_scorer")
    parser.add_argument(
        "--no-manifest", action="store_true", help="do not update the package manifest"
    )
    parser.add_argument("--folds", type=int, default=5, help="folds for out-of-fold tags on train")
    args = parser.parse_args(argv)
    files = {name: args.data / f"{name}.jsonl" for name in ("train", "dev", "test")}
    splits = {name: klantfocus.read_transcripts(path) for name, path in files.items()}
    nlp = klantfocus.load()
    tagged = {
        name: klantfocus.tag(without_annotations(items), nlp)
        for name, items in splits.items()
        if name != "train"
    }
    if isinstance(nlp.get_pipe("klantfocus_utterance_tagger").model, TrainedTagModel):
        print(f"tagging train with out-of-fold tag models ({args.folds} folds)")
        tagged["train"] = out_of_fold_tags(nlp, splits["train"], folds=args.folds)
    else:  # rule-based tagger: nothing was fitted on train, so its tags are honest as they are
        tagged["train"] = klantfocus.tag(without_annotations(splits["train"]), nlp)

    best = None
    for C in GRID_C:
        for calibration in GRID_CALIBRATION:
            scorer = MindsetScorer.fit(
                tagged["train"], labels(splits["train"]), C=C, calibration=calibration
            )
            proba = scorer.predict_proba(tagged["dev"])
            y = np.array([t.mindset == "klantgericht" for t in splits["dev"]], dtype=int)
            brier = brier_score_loss(y, proba)
            print(
                f"C={C:<5} {calibration:<9} dev Brier {brier:.4f}  AUC {roc_auc_score(y, proba):.4f}"
            )
            if best is None or brier < best[0]:
                best = (brier, C, calibration)
    assert best is not None
    _, C, calibration = best
    scorer = MindsetScorer.fit(
        tagged["train"], labels(splits["train"]), C=C, calibration=calibration
    )
    metrics = {}
    for name in ("dev", "test"):
        report = evaluate(splits[name], scorer.score(tagged[name]))
        metrics[name] = report["mindset"]
    metrics["test_baseline_tfidf_logreg"] = text_baseline(splits["train"], splits["test"])
    data = {
        name: {"path": str(path.relative_to(ROOT)), "sha256": sha256_file(path)}
        for name, path in files.items()
    }
    scorer.meta.update(
        {"tagger_pipeline": nlp.meta.get("name"), "selected": {"C": C, "calibration": calibration}}
    )
    digest = scorer.save(args.out, metrics=metrics, data=data)
    if not args.no_manifest:
        MANIFEST.write_text(
            json.dumps({"sha256": {"mindset_scorer/scorer.joblib": digest}}, indent=2) + "\n",
            "utf-8",
        )
    print(json.dumps(metrics, indent=2))
    print(f"saved {args.out} (sha256 {digest})")
    model_cards.write_cards(scorer_dir=args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
