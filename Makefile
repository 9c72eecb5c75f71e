# `make clean` is the publishing workflow: raw transcripts in transcripts/raw/ → clean ones in
# transcripts/clean/ (re-run only for changed inputs, glossary or code). `make distclean`
# removes the outputs. Every target creates/updates .venv as needed.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
CORPORA_DIR ?= ../shared/corpora
DEVSET_DIR  ?= ../shared/devset

RAW      := $(wildcard transcripts/raw/*.txt)
CLEAN    := $(patsubst transcripts/raw/%.txt,transcripts/clean/%.md,$(RAW:.raw.txt=.txt))
GLOSSARY := $(wildcard glossary/*.yaml glossary/talks/*.yaml)
CODE     := $(shell find cleanup -name '*.py' -o -name '*.html' -o -name '*.crfsuite' -o -name '*.arpa' -o -name '*.bin' -o -name '*.gz' -o -name '*.npz' 2>/dev/null)

.PHONY: clean test bench lint eval train-punct train-lm review distclean venv

clean: $(CLEAN)

transcripts/clean/%.md: transcripts/raw/%.raw.txt $(GLOSSARY) $(CODE) | $(STAMP)
	$(BIN)/cleanup run $< --out-dir transcripts/clean

transcripts/clean/%.md: transcripts/raw/%.txt $(GLOSSARY) $(CODE) | $(STAMP)
	$(BIN)/cleanup run $< --out-dir transcripts/clean

venv: $(STAMP)

# torch first, pinned to the CPU build on this machine's disk: pycorrector would otherwise
# pull a multi-GB CUDA build.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[spelling,dev]'
	touch $@

test: $(STAMP)
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check cleanup tests scripts
	$(BIN)/ruff format --check cleanup tests scripts

bench: $(STAMP)
	$(BIN)/python scripts/bench.py transcripts/raw/*.txt

eval: $(STAMP)
	$(BIN)/python scripts/eval_devset.py --devset $(DEVSET_DIR)

# the shipped punctuation model: the CRF and its sentence classifier, then the BiLSTM (torch
# at training time only), then the decision biases re-tuned on dev for the BiLSTM
train-punct: $(STAMP)
	CORPORA_DIR=$(CORPORA_DIR) $(BIN)/python scripts/train_punct.py
	CORPORA_DIR=$(CORPORA_DIR) $(BIN)/python scripts/train_punct_nn.py
	CORPORA_DIR=$(CORPORA_DIR) $(BIN)/python scripts/train_punct.py --tune-only --nn-weight 1

train-lm: $(STAMP)
	CORPORA_DIR=$(CORPORA_DIR) $(BIN)/python scripts/train_lm.py

review: $(STAMP)
	$(BIN)/python -m cleanup.review_open transcripts/clean

distclean:
	rm -rf transcripts/clean
