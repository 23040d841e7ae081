# klantfocus: set-up, the main job, tests, and the recipes that build the shipped models.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
EXAMPLES := data/examples/gesprekken.jsonl data/examples/gesprekken.csv data/examples/gesprek.txt data/examples/gesprek.vtt

.PHONY: help setup run test lint format base-model corpus tagger scorer models benchmarks clean

help:
	@echo "make run         set up .venv and score the example transcripts in data/examples/"
	@echo "make test        set up .venv and run the whole test suite"
	@echo "make lint        ruff format --check, ruff check, mypy"
	@echo "make base-model  pretrain + train the Dutch base pipeline (needs ../shared/ud-dutch, apt-get)"
	@echo "make corpus      build data/annotated/{train,dev,test}.jsonl from the annotators' files"
	@echo "make tagger      train the utterance tagger on the corpus (train/dev)"
	@echo "make scorer      train the mindset scorer on the corpus (train/dev)"
	@echo "make benchmarks  run the speed benchmarks"

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

setup: $(STAMP)

run: $(STAMP)
	$(BIN)/klantfocus score $(EXAMPLES)

test: $(STAMP)
	sh scripts/install_browser.sh
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff format --check src tests scripts benchmarks
	$(BIN)/ruff check src tests scripts benchmarks
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format src tests scripts benchmarks
	$(BIN)/ruff check --fix src tests scripts benchmarks

# pretrain the tok2vec on raw Dutch text (Debian documentation packages); train with an
# internal dev split (early stopping, model choice); then the final fit on train + dev
base-model: $(STAMP)
	$(BIN)/python scripts/pretrain_base.py
	$(BIN)/python scripts/train_base.py --tune --build-dir build/base/select --init-tok2vec build/base/pretrain/tok2vec.bin
	$(BIN)/python scripts/train_base.py --refit-on-dev build/base/select --init-tok2vec build/base/pretrain/tok2vec.bin

corpus: $(STAMP)
	$(BIN)/python scripts/build_corpus.py

tagger: $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[dev,train]"
	$(BIN)/python scripts/train_tagger.py

scorer: $(STAMP)
	$(BIN)/python scripts/train_scorer.py

models: base-model tagger scorer

benchmarks: $(STAMP)
	$(BIN)/python benchmarks/base_speed.py
	$(BIN)/python benchmarks/tagger_speed.py
	$(BIN)/python benchmarks/batch.py

clean:
	rm -rf build dist .pytest_cache .mypy_cache .ruff_cache
