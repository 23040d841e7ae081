"""Train the utterance tagger and jargon span model; write models/klantfocus_nl.

Recipe (``make tagger``):
1. read data/annotated/{train,dev,test}.jsonl; add speech-to-text twins (lower case, no
   punctuation) of the written train transcripts;
2. run the Dutch base pipeline (models/nl_klantfocus_base) over them once;
3. fit the linear tag models on train, choosing C and thresholds on dev;
4. assemble base + klantfocus components with the trained models and save the pipeline;
5. report on the frozen test split, in the same run, the trained pipeline against the
   rule-based components and a TF-IDF + logistic-regression baseline on utterance text.
The test split is read only in step 5.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import spacy  # noqa: E402

import klantfocus  # noqa: E402
from klantfocus.about import __version__  # noqa: E402
from klantfocus.constants import TAGS  # noqa: E402
from klantfocus.evaluation import evaluate  # noqa: E402
from klantfocus.pipeline.loading import build_pipeline  # noqa: E402
from klantfocus.pipeline.rules import DutchCueRules  # noqa: E402
from klantfocus.scoring.model import sha256_file  # noqa: E402
from klantfocus.training.augment import stt_transcript  # noqa: E402
from klantfocus.training.tagger import prepare, train_jargon_model, train_utterance_models  # noqa: E402

FREQUENCY_WORDS = 200_000


def strip(transcripts):
    return [replace(t, utterances=[replace(u, labels=None, spans=[]) for u in t.utterances]) for t in transcripts]


def dutch_frequencies() -> dict[str, float]:
    try:
        import wordfreq
    except ImportError:
        sys.exit("wordfreq is needed to build the frequency table: pip install -e '.[train]'")
    return {w: round(wordfreq.zipf_frequency(w, "nl"), 1) for w in wordfreq.top_n_list("nl", FREQUENCY_WORDS)}


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
        per_tag[tag] = {"precision": round(p, 4), "recall": round(r, 4), "f1": round(2 * p * r / max(p + r, 1e-9), 4)}
    return {"per_tag": per_tag, "macro_f1": round(float(np.mean([m["f1"] for m in per_tag.values()])), 4)}


def summary(report: dict) -> dict:
    keep = {"macro_f1": report["macro_f1"], "per_tag": report["per_tag"], "jargon_span": report["jargon_span"]}
    for key in ("by_style", "by_domain"):
        if key in report:
            keep[key] = report[key]
    return keep


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=ROOT / "data" / "annotated")
    parser.add_argument("--base", default=str(ROOT / "models" / "nl_klantfocus_base"))
    parser.add_argument("--out", type=Path, default=ROOT / "models" / "klantfocus_nl")
    parser.add_argument("--no-test", action="store_true", help="development run: report on dev only, never read test")
    args = parser.parse_args(argv)
    started = time.time()
    files = {name: args.data / f"{name}.jsonl" for name in ("train", "dev", "test")}
    train = klantfocus.read_transcripts(files["train"])
    dev = klantfocus.read_transcripts(files["dev"])
    augmented = train + [stt_transcript(t) for t in train if t.extra.get("style") != "stt"]
    print(f"train {len(train)} transcripts (+{len(augmented) - len(train)} speech-to-text twins), dev {len(dev)}")

    nlp = build_pipeline(spacy.load(args.base))
    rules = DutchCueRules(nlp.get_pipe("klantfocus_utterance_tagger").rules_table)
    frequencies = dutch_frequencies()
    prepared_train, prepared_dev = prepare(nlp, augmented, rules), prepare(nlp, dev, rules)
    print("jargon span model:")
    jargon_model = train_jargon_model(prepared_train, prepared_dev, nlp.get_pipe("klantfocus_jargon").finder, frequencies)
    print("utterance models:")
    tag_model = train_utterance_models(prepared_train, prepared_dev, rules)
    nlp.get_pipe("klantfocus_jargon").model = jargon_model
    nlp.get_pipe("klantfocus_utterance_tagger").model = tag_model

    data = {name: {"path": str(path.relative_to(ROOT)), "sha256": sha256_file(path)} for name, path in files.items()}
    nlp.meta.update(
        {
            "name": "klantfocus_nl",
            "version": __version__,
            "klantfocus_version": __version__,
            "description": "Dutch base pipeline + klantfocus components (trained tagger and jargon span model)",
            "license": "CC BY-SA 4.0 (base pipeline trained on UD Dutch)",
            "klantfocus_data": data,
        }
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(args.out)

    # Final report: the saved pipeline, read back, on dev and on the frozen test split.
    trained = spacy.load(args.out)
    rule_based = build_pipeline(spacy.load(args.base))
    report = {"dev": summary(evaluate(dev, klantfocus.tag(strip(dev), trained)))}
    report["dev_rules"] = summary(evaluate(dev, klantfocus.tag(strip(dev), rule_based)))
    if not args.no_test:
        test = klantfocus.read_transcripts(files["test"])
        report["test"] = summary(evaluate(test, klantfocus.tag(strip(test), trained)))
        report["test_rules"] = summary(evaluate(test, klantfocus.tag(strip(test), rule_based)))
        report["test_tfidf_logreg"] = tfidf_baseline(train, test)
    trained.meta["performance"] = report
    trained.meta["training_seconds"] = round(time.time() - started)
    (args.out / "meta.json").write_text(json.dumps(trained.meta, indent=2, ensure_ascii=False) + "\n", "utf-8")
    (args.out / "evaluation.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", "utf-8")
    for name in report:
        tags = " ".join(f"{t}={report[name]['per_tag'][t]['f1']:.3f}" for t in TAGS)
        print(f"{name:<18} macro-F1 {report[name]['macro_f1']:.3f}  {tags}")
    print(f"wrote {args.out} in {time.time() - started:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
