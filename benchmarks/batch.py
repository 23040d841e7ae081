#!/usr/bin/env python
"""Throughput and memory of `klantfocus batch` against simpler ways to run the pipeline.

Generates inputs of about 10k and 100k utterances by resampling conversations from
data/annotated/train.jsonl (with replacement, new ids, gold annotations removed), then
measures, in one run, for every size:

- the full path (read JSONL -> tag -> score -> write Parquet shards) with
  `klantfocus.batch.run`, with 1 and with 2 workers, each in a fresh subprocess whose
  peak RSS (resource.getrusage of the process and of its worker children) is reported;
  the time includes loading the models and starting the workers;
- the tag pipeline alone: `nlp.pipe` over the transcripts with every component, as the
  full path runs it but without reading, scoring and writing (on the transcripts of the
  first --naive-sample utterances): the difference to the full path is batch overhead;
- the base pipeline alone: `nlp.pipe` over the same transcripts with
  klantfocus_jargon and klantfocus_utterance_tagger disabled (no reading, scoring, writing);
- spacy.blank("nl") tokenisation alone, utterance by utterance;
- a naive loop, `nlp(text)` per utterance with the full pipeline, on a subsample
  (--naive-sample utterances) and extrapolated.

Every measurement runs in its own fresh process (peak RSS would otherwise carry over).
Rates are utterances and whitespace-separated words per second. Targets: full path
>= 70% of the base pipeline, >= 2x the naive loop, >= 1.7x speed-up from 1 to 2 workers,
peak RSS < 1.5 GB (main process plus workers) and not growing from the smallest size to
the largest (at most 10% more).

    python benchmarks/batch.py                         # sizes 10000 and 100000, a table
    python benchmarks/batch.py --sizes 2000 20000      # smaller, faster
    python benchmarks/batch.py --json                  # one JSON object
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

TRAIN = ROOT / "data" / "annotated" / "train.jsonl"
GOLD_FIELDS = ("mindset", "mindset_rating", "mindset_score", "explanation")
TAG_COMPONENTS = ("klantfocus_jargon", "klantfocus_utterance_tagger")
TARGETS = {
    "full_vs_base": 0.70,
    "full_vs_naive": 2.0,
    "speedup_1_to_2_workers": 1.7,
    "peak_rss_mb": 1536,
    "rss_growth": 1.10,
}


def generate(size: int, folder: Path, seed: int = 0) -> Path:
    """JSONL with at least ``size`` utterances, conversations resampled from the train split."""
    conversations = [json.loads(line) for line in TRAIN.read_text("utf-8").splitlines() if line]
    rng = random.Random(seed + size)
    path = folder / f"gesprekken-{size}.jsonl"
    utterances = 0
    with path.open("w", encoding="utf-8") as handle:
        number = 0
        while utterances < size:
            record = {k: v for k, v in rng.choice(conversations).items() if k not in GOLD_FIELDS}
            record["id"] = f"bench-{size}-{number:06d}"
            record["utterances"] = [
                {k: v for k, v in u.items() if k not in ("labels", "spans")}
                for u in record["utterances"]
            ]
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
            utterances += len(record["utterances"])
            number += 1
    return path


def _max_rss_mb(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # kilobytes on Linux


def child_full_path(arguments: list[str]) -> dict[str, Any]:
    """One full-path measurement (in a fresh process, see :func:`run_child`)."""
    source, output, workers, shard_size_text, models = arguments
    import klantfocus.batch

    shard_size = int(shard_size_text) if shard_size_text else klantfocus.batch.DEFAULT_SHARD_SIZE
    started = time.perf_counter()
    result = klantfocus.batch.run(
        [source],
        output,
        workers=int(workers),
        shard_size=shard_size,
        progress="none",
        **json.loads(models),
    )
    seconds = time.perf_counter() - started
    return {
        "shard_size": shard_size,
        "seconds": seconds,
        "transcripts": result.transcripts,
        "utterances": result.utterances,
        "words": result.words,
        "rss_main_mb": _max_rss_mb(resource.RUSAGE_SELF),
        "rss_worker_mb": _max_rss_mb(resource.RUSAGE_CHILDREN) if int(workers) > 1 else 0.0,
    }


def run_child(kind: str, *arguments: str) -> dict[str, Any]:
    """Measure in a fresh interpreter started from this lean process.

    Linux carries a process's peak RSS over fork and exec, so a child of a process that
    had loaded the models would report at least that process's size. This process
    therefore never imports klantfocus; every measurement runs in a child.
    """
    done = subprocess.run(
        [sys.executable, __file__, "--child", kind, *arguments],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"benchmark child {kind} failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def full_path(
    source: Path,
    output: Path,
    workers: int,
    shard_size: int | None,
    models: dict[str, str | None],
) -> dict[str, Any]:
    report = run_child(
        "full", str(source), str(output), str(workers), str(shard_size or ""), json.dumps(models)
    )
    report["workers"] = workers
    report["rss_total_mb"] = report["rss_main_mb"] + workers * report["rss_worker_mb"]
    report["utterances_per_second"] = report["utterances"] / report["seconds"]
    report["words_per_second"] = report["words"] / report["seconds"]
    return report


def _rates(utterances: int, words: int, seconds: float, **extra: Any) -> dict[str, Any]:
    return {
        "seconds": seconds,
        "utterances": utterances,
        "words": words,
        "utterances_per_second": utterances / seconds,
        "words_per_second": words / seconds,
        **extra,
    }


def child_baselines(arguments: list[str]) -> dict[str, Any]:
    """Base pipeline, tag pipeline, blank tokeniser and the naive loop, in one process.

    Each pipeline measurement gets a freshly loaded pipeline: a pipeline that has already
    seen the texts has their words in its vocabulary and runs a few percent faster, which
    the full path (a fresh worker) does not get either.
    """
    source_name, sample_name, models_json = arguments
    source, naive_sample, models = Path(source_name), int(sample_name), json.loads(models_json)
    import spacy

    import klantfocus
    from klantfocus.pipeline.conversation import transcript_to_doc

    def fresh_pipeline() -> Any:
        return klantfocus.load(models["base"], pipeline=models["pipeline"])

    def pipe_rate(nlp: Any, items: list[Any], **extra: Any) -> dict[str, Any]:
        started = time.perf_counter()
        for _ in nlp.pipe((transcript_to_doc(nlp, t) for t in items), batch_size=32):
            pass
        seconds = time.perf_counter() - started
        utterances = [u.text for t in items for u in t.utterances]
        return _rates(len(utterances), sum(len(u.split()) for u in utterances), seconds, **extra)

    transcripts = klantfocus.read_transcripts(source)
    texts = [u.text for t in transcripts for u in t.utterances]
    words = sum(len(text.split()) for text in texts)
    results: dict[str, dict[str, Any]] = {}

    nlp = fresh_pipeline()
    with nlp.select_pipes(disable=[c for c in TAG_COMPONENTS if c in nlp.pipe_names]):
        results["base_pipeline"] = pipe_rate(nlp, transcripts)

    # The tag pipeline alone (what the full path runs, without reading, scoring, writing),
    # on the transcripts that hold the first ``naive_sample`` utterances.
    subset, count = [], 0
    for transcript in transcripts:
        if count >= naive_sample:
            break
        subset.append(transcript)
        count += len(transcript.utterances)
    extrapolated = count if count < len(texts) else None
    results["tag_pipeline"] = pipe_rate(fresh_pipeline(), subset, extrapolated_from=extrapolated)

    blank = spacy.blank("nl")
    started = time.perf_counter()
    for _ in blank.pipe(texts, batch_size=1000):
        pass
    results["blank_tokeniser"] = _rates(len(texts), words, time.perf_counter() - started)

    nlp = fresh_pipeline()
    sample = texts[:naive_sample]
    started = time.perf_counter()
    for text in sample:
        nlp(text)
    results["naive_loop"] = _rates(
        len(sample),
        sum(len(text.split()) for text in sample),
        time.perf_counter() - started,
        extrapolated_from=len(sample) if len(sample) < len(texts) else None,
    )
    results["pipeline"] = {"name": nlp.meta.get("name"), "components": nlp.pipe_names}
    return results


def measure(
    sizes: list[int],
    workers: list[int],
    shard_size: int | None,
    naive_sample: int,
    models: dict[str, str | None],
) -> dict:
    report: dict[str, Any] = {
        "machine": {
            "platform": platform.platform(),
            "python": platform.python_version(),
            "cores": len(os.sched_getaffinity(0))
            if hasattr(os, "sched_getaffinity")
            else os.cpu_count(),
            "load_average_at_start": os.getloadavg(),
        },
        "models": models,
        "sizes": {},
    }
    with tempfile.TemporaryDirectory(prefix="klantfocus-bench-") as tmp:
        folder = Path(tmp)
        for size in sizes:
            source = generate(size, folder)
            entry: dict[str, Any] = {"full_path": {}}
            for count in workers:
                output = folder / f"out-{size}-{count}"
                entry["full_path"][str(count)] = full_path(
                    source, output, count, shard_size, models
                )
                report["shard_size"] = entry["full_path"][str(count)]["shard_size"]
            entry.update(run_child("baselines", str(source), str(naive_sample), json.dumps(models)))
            report["pipeline"] = entry.pop("pipeline")
            report["sizes"][str(size)] = entry
    report["machine"]["load_average_at_end"] = os.getloadavg()
    report["targets"] = check_targets(report, workers)
    return report


def check_targets(report: dict, workers: list[int]) -> dict[str, Any]:
    sizes = report["sizes"]
    checks: dict[str, Any] = {}
    for size, entry in sizes.items():
        full = entry["full_path"]
        one = full.get("1")
        rate = one["utterances_per_second"] if one else None
        row: dict[str, Any] = {}
        if rate:
            row["full_vs_base"] = rate / entry["base_pipeline"]["utterances_per_second"]
            row["full_vs_naive"] = rate / entry["naive_loop"]["utterances_per_second"]
        if one and "2" in full:
            row["speedup_1_to_2_workers"] = full["2"]["utterances_per_second"] / rate
        row["peak_rss_mb"] = max(r["rss_total_mb"] for r in full.values())
        checks[size] = row
    first, last = next(iter(sizes)), list(sizes)[-1]
    if first != last:
        checks["rss_growth"] = {
            count: sizes[last]["full_path"][count]["rss_total_mb"]
            / sizes[first]["full_path"][count]["rss_total_mb"]
            for count in map(str, workers)
        }
    return checks


def _met(name: str, value: float) -> str:
    target = TARGETS[name]
    ok = value <= target if name in ("peak_rss_mb", "rss_growth") else value >= target
    return "ok" if ok else "MISSED"


def print_table(report: dict) -> None:
    machine = report["machine"]
    print(
        f"{machine['cores']} cores, Python {machine['python']}, load average "
        f"{machine['load_average_at_start'][0]:.1f} at start, "
        f"{machine['load_average_at_end'][0]:.1f} at end; pipeline {report['pipeline']['name']} "
        f"{report['pipeline']['components']}; shard size {report['shard_size']}"
    )
    header = f"{'size':>7}  {'what':<28}{'utt/s':>9}{'words/s':>10}{'seconds':>9}{'RSS MB':>14}"
    print(header)
    print("-" * len(header))
    for size, entry in report["sizes"].items():
        for count, run in entry["full_path"].items():
            rss = (
                f"{run['rss_main_mb']:.0f}+{count}x{run['rss_worker_mb']:.0f}"
                if run["rss_worker_mb"]
                else f"{run['rss_main_mb']:.0f}"
            )
            print(
                f"{size:>7}  {f'full path, {count} worker(s)':<28}{run['utterances_per_second']:>9.0f}"
                f"{run['words_per_second']:>10.0f}{run['seconds']:>9.1f}{rss:>14}"
            )
        for name, label in (
            ("tag_pipeline", "tag pipeline alone"),
            ("base_pipeline", "base pipeline alone"),
            ("blank_tokeniser", 'spacy.blank("nl") tokeniser'),
            ("naive_loop", "naive nlp(text) loop"),
        ):
            run = entry[name]
            if run.get("extrapolated_from"):
                label += f" ({run['extrapolated_from']})"
            print(
                f"{size:>7}  {label:<28}{run['utterances_per_second']:>9.0f}"
                f"{run['words_per_second']:>10.0f}{run['seconds']:>9.1f}{'':>14}"
            )
    print()
    for size, checks in report["targets"].items():
        if size == "rss_growth":
            for count, ratio in checks.items():
                print(
                    f"peak RSS growth, {count} worker(s), smallest->largest size: {ratio:.2f}x "
                    f"(target <= {TARGETS['rss_growth']:.2f}x) {_met('rss_growth', ratio)}"
                )
            continue
        for name, value in checks.items():
            unit = " MB" if name == "peak_rss_mb" else "x"
            print(
                f"{size:>7}  {name:<24} {value:>8.2f}{unit}  (target "
                f"{'<=' if name == 'peak_rss_mb' else '>='} {TARGETS[name]}{unit}) {_met(name, value)}"
            )


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        warnings.simplefilter("ignore")
        measure_child = child_full_path if argv[1] == "full" else child_baselines
        print(json.dumps(measure_child(argv[2:])))
        return 0
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument(
        "--shard-size", type=int, help="transcripts per shard (default: the batch default)"
    )
    parser.add_argument(
        "--naive-sample", type=int, default=3000, help="utterances for the naive loop"
    )
    parser.add_argument("--base", help="another Dutch base pipeline (as klantfocus --base)")
    parser.add_argument("--pipeline", help="another klantfocus pipeline directory")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    models = {"base": args.base, "pipeline": args.pipeline}
    report = measure(
        sorted(args.sizes),
        args.workers,
        args.shard_size,
        args.naive_sample,
        models,
    )
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_table(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
