# `make run` and `make test` set everything up on a fresh machine; re-running skips finished steps.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PORT   ?= 8501
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: install run test test-fast index bench eval screenshots clean train-reader train-sentences

install: $(STAMP)

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "qa needs Python 3.11 (set PYTHON=python3.11)")'
	$(PYTHON) -m venv $(VENV)

# torch first, pinned: any other torch requirement would pull gigabytes of CUDA packages.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@

index: $(STAMP)
	$(BIN)/qa ingest --if-stale

run: index
	$(BIN)/streamlit run app.py --server.port $(PORT) --server.headless true --browser.gatherUsageStats false

test: $(STAMP)
	$(BIN)/python -m pytest

test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not slow and not browser"

bench: $(STAMP)
	$(BIN)/qa bench

eval: index
	$(BIN)/qa eval

# The reader: fine-tune on SQuAD (about 95 min on 2 cores; resumes from .reader-train/checkpoint.pt),
# export to int8 ONNX (qa/reader/reader.onnx), score its dev split, refit the calibration.
train-reader: $(STAMP)
	$(BIN)/qa train-reader
	$(BIN)/qa export-reader
	$(BIN)/qa eval-reader --out eval/reader-dev.json
	$(BIN)/qa fit-answers

# the sentence scorer: from the shipped reader's encoder (about an hour on two cores; resumes), then
# continued with the listwise loss on 14,000 new questions (about an hour more), 8,000 more (40 min)
# and 6,000 more with negatives from other documents (45 min); the shipped file's card
# (qa/reader/sentences.json) holds the same commands (it kept the fourth's file in /tmp/s4). Run it
# with the reader it was made from.
train-sentences: $(STAMP)
	$(BIN)/qa train-sentences --init qa/reader/reader.onnx
	$(BIN)/qa export-sentences
	$(BIN)/qa train-sentences --init qa/reader/sentences.onnx --questions 14000 --skip 32000 --neg-same 4 \
		--neg-other 1.0 --other-sents 2 --listwise 1.0 --batch 6 --lr 3e-05 --work .sentences-train-3 \
		--log eval/sentences-train-log-3.csv
	$(BIN)/qa export-sentences --model .sentences-train-3/final
	$(BIN)/qa train-sentences --init qa/reader/sentences.onnx --questions 8000 --skip 46000 --neg-same 4 \
		--neg-other 1.0 --other-sents 2 --listwise 1.0 --batch 6 --lr 2e-05 --work .sentences-train-4 \
		--log eval/sentences-train-log-4.csv
	$(BIN)/qa export-sentences --model .sentences-train-4/final --out .sentences-train-4/sentences.onnx
	$(BIN)/qa train-sentences --init .sentences-train-4/sentences.onnx --questions 6000 --skip 54000 --neg-same 4 \
		--neg-other 1.0 --other-sents 2 --neg-retrieved 2 --listwise 1.0 --batch 6 --lr 2e-05 \
		--work .sentences-train-5 --log eval/sentences-train-log-5.csv
	$(BIN)/qa export-sentences --model .sentences-train-5/final
	$(BIN)/qa fit-answers

# docs/images/*.png: the page in Debian's Chromium (apt-get install chromium), driven by Playwright.
screenshots: index
	$(BIN)/python docs/make_screenshots.py

clean:
	rm -rf $(VENV) index/manifest.json index/gen-*
