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
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "scripts"))

import evaluate_tagger  # noqa: E402  (scripts/evaluate_tagger.py)
import model_cards  # noqa: E402  (scripts/model_cards.py)
import spacy  # noqa: E402
from train_base import clear_local_paths  # noqa: E402  (scripts/train_base.py)

import klantfocus  # noqa: E402
from klantfocus.about import __version__  # noqa: E402
from klantfocus.pipeline.loading import build_pipeline  # noqa: E402
from klantfocus.pipeline.rules import DutchCueRules  # noqa: E402
from klantfocus.scoring.model import sha256_file  # noqa: E402
from klantfocus.training.augment import stt_transcript  # noqa: E402
from klantfocus.training.tagger import (  # noqa: E402
    crossfit_jargon_signals,
    prepare,
    set_jargon_signals,
    train_jargon_model,
    train_utterance_models,
)

FREQUENCY_WORDS = 200_000


def dutch_frequencies() -> dict[str, float]:
    try:
        import wordfreq
    except ImportError:
        sys.exit("wordfreq is needed to build the frequency table: pip install -e '.[train]'")
    return {
        w: round(wordfreq.zipf_frequency(w, "nl"), 1)
        for w in wordfreq.top_n_list("nl", FREQUENCY_WORDS)
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=ROOT / "data" / "annotated")
    parser.add_argument("--base", default=str(ROOT / "models" / "nl_klantfocus_base"))
    parser.add_argument("--out", type=Path, default=ROOT / "models" / "klantfocus_nl")
    parser.add_argument(
        "--no-test",
        action="store_true",
        help="development run: report on dev only, never read test",
    )
    args = parser.parse_args(argv)
    started = time.time()
    files = {name: args.data / f"{name}.jsonl" for name in ("train", "dev", "test")}
    train = klantfocus.read_transcripts(files["train"])
    dev = klantfocus.read_transcripts(files["dev"])
    augmented = train + [stt_transcript(t) for t in train if t.extra.get("style") != "stt"]
    print(
        f"train {len(train)} transcripts (+{len(augmented) - len(train)} speech-to-text twins), dev {len(dev)}"
    )

    nlp = build_pipeline(spacy.load(args.base))
    rules = DutchCueRules(nlp.get_pipe("klantfocus_utterance_tagger").rules_table)
    frequencies = dutch_frequencies()
    prepared_train, prepared_dev = prepare(nlp, augmented, rules), prepare(nlp, dev, rules)
    print("jargon span model:")
    jargon_model = train_jargon_model(
        prepared_train, prepared_dev, nlp.get_pipe("klantfocus_jargon").finder, frequencies
    )
    print("jargon signals for the utterance model (train: out-of-fold)")
    crossfit_jargon_signals(prepared_train, jargon_model)
    set_jargon_signals(prepared_dev, jargon_model)
    print("utterance models:")
    tag_model = train_utterance_models(prepared_train, prepared_dev, rules)
    nlp.get_pipe("klantfocus_jargon").model = jargon_model
    nlp.get_pipe("klantfocus_utterance_tagger").model = tag_model

    data = {
        name: {"path": str(path.relative_to(ROOT)), "sha256": sha256_file(path)}
        for name, path in files.items()
    }
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
    clear_local_paths(args.out)  # the base's [paths] name this machine's build files

    meta_file = args.out / "meta.json"
    meta = json.loads(meta_file.read_text("utf-8"))
    meta["training_seconds"] = round(time.time() - started)
    meta_file.write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", "utf-8")
    # Final report on the saved pipeline, read back (scripts/evaluate_tagger.py).
    report_argv = ["--pipeline", str(args.out), "--base", args.base, "--data", str(args.data)]
    evaluate_tagger.main([*report_argv, "--no-test"] if args.no_test else report_argv)
    if not args.no_test:  # the card reports the test figures
        model_cards.write_cards(tagger_dir=args.out)
    print(f"wrote {args.out} in {time.time() - started:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
