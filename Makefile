# The two commands of this repository: `make demo` and `make test`. Both set themselves up.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_DIR := build/demo
DEMO := $(DEMO_DIR)/ticket-router
TR := $(CURDIR)/$(BIN)/ticket-router
export PYTHONDONTWRITEBYTECODE := 1
export PIP_DISABLE_PIP_VERSION_CHECK := 1

REHEARSAL_DIR := build/rehearsal
REHEARSAL := $(REHEARSAL_DIR)/ticket-router

.PHONY: install demo test test-fast schemas data bench rehearse-pr rehearse-release rehearse-update rehearse-monitor clean

# Idempotent: reinstalls only when requirements.txt changed. torch comes first, as the CPU build
# (requirements.txt pins its version): PyPI's build would download CUDA for nothing. Only torch
# itself comes from the CPU index (--no-deps); its dependencies come with requirements.txt from
# the usual index, so a machine that cannot reach the CPU index asks it once, not once a package.
install: $(STAMP)
$(STAMP): requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --no-deps "$$(grep -o '^torch==[^ #]*' requirements.txt)" --index-url https://download.pytorch.org/whl/cpu
	$(BIN)/pip install --quiet -r requirements.txt
	touch $(STAMP)

# The main job on the embedded default: bake, install, validate, train, evaluate, gate, build, render;
# then the monitoring loop: serve, replay two kinds of traffic, drift and the monitor gate on each.
demo: install
	rm -rf $(DEMO_DIR)
	$(BIN)/cookiecutter --no-input --output-dir $(DEMO_DIR) .
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e $(DEMO)
	cd $(DEMO) && git init -q && git add -A && git -c user.name=demo -c user.email=demo@example.invalid commit -qm "Bake ticket-router"
	cd $(DEMO) && $(TR) validate
	cd $(DEMO) && $(TR) train
	cd $(DEMO) && $(TR) evaluate
	cd $(DEMO) && $(TR) gate --stage release
	cd $(DEMO) && $(TR) card
	cd $(DEMO) && BENTOML_HOME=$(CURDIR)/$(DEMO_DIR)/bentoml $(TR) build
	cd $(DEMO) && BENTOML_HOME=$(CURDIR)/$(DEMO_DIR)/bentoml $(TR) render --env staging
	BENTOML_HOME=$(CURDIR)/$(DEMO_DIR)/bentoml $(BIN)/python scripts/demo_monitor.py $(DEMO)
	@echo "demo: baked $(DEMO) (a git repository), validated its specs, trained, evaluated, gated at release,"
	@echo "demo: wrote the model card, built the BentoML service and rendered deploy/staging/; then served it,"
	@echo "demo: replayed traffic like the reference and shifted traffic, and gated each window's drift"
	@echo "demo: report at $(DEMO)/artifacts/latest/report.md, gate at $(DEMO)/artifacts/latest/gate.md,"
	@echo "demo: drift of the shifted window at $(DEMO)/artifacts/monitoring-2/drift.md"

# Every test of the template, the slow tier included.
# Two workers on two cores: each test process (and every training it starts) uses one thread, so
# the workers' torch thread pools do not fight over the same cores. Tests that share an expensive
# fixture (the PR rehearsal) carry one xdist group, so one worker builds it once (--dist loadgroup).
test: install
	OMP_NUM_THREADS=1 $(BIN)/python -m pytest -n 2 --dist loadgroup --durations=10 tests

# Everything but the slow tier (bake + validate + hooks): a quick loop while editing.
test-fast: install
	$(BIN)/python -m pytest -n 2 --dist loadgroup -m "not slow" tests

# Regenerate the published JSON Schemas from the spec models.
schemas: install
	$(BIN)/python scripts/make_schemas.py

# Regenerate the embedded sample data and re-pin its hashes in the template's data spec.
data: install
	$(BIN)/python scripts/make_sample_data.py '{{cookiecutter.project_slug}}/data' --pin
	$(BIN)/python scripts/make_sample_data.py --task text-generation '{{cookiecutter.project_slug}}/_tasks/text-generation/data' --pin

# Run the default project's CI workflows here, on CPU: every `run:` step for real, in order; the
# steps that talk to GitHub or a registry write what they would send under $(REHEARSAL_DIR)/rehearsal-*/sent/.
# The pull request carries the `train-full` label, so the full run is rehearsed too, on the runner and torch
# build its plan job reads from the model spec (the default trains on CPU). Its
# gate reads the policies and baseline of the base branch (origin/main) and the reviews that the
# stand-in of the API call writes (one approval by `rehearsal-reviewer` at the head commit).
rehearse-pr: install
	$(MAKE) --no-print-directory rehearsal-project
	$(BIN)/python scripts/rehearse.py $(REHEARSAL) pr --label train-full --review rehearsal-reviewer=APPROVED

rehearse-release: install
	$(MAKE) --no-print-directory rehearsal-project
	$(BIN)/python scripts/rehearse.py $(REHEARSAL) release

# The monitor workflow on demand: the project releases a run (its drift reference committed, retraining on
# drift turned on), then the workflow reads a prediction log whose label mix has shifted. Its gate blocks on
# DRIFT-001; the drift issue and the retraining pull request it would open are written under
# $(REHEARSAL_DIR)/rehearsal-monitor/sent/.
rehearse-monitor: install
	$(MAKE) --no-print-directory rehearsal-project
	$(BIN)/python scripts/monitor_rehearsal.py $(REHEARSAL) $(REHEARSAL_DIR)/prediction-log
	$(BIN)/python scripts/rehearse.py $(REHEARSAL) monitor --event workflow_dispatch \
		--input logs=$(CURDIR)/$(REHEARSAL_DIR)/prediction-log

# The template-update workflow: a project baked with cruft at the template commit FROM (default: the
# previous one), updated to this checkout's last commit; the pull request it would open is written
# under $(REHEARSAL_DIR)/rehearsal-template-update/sent/.
FROM ?= HEAD~1
rehearse-update: install
	rm -rf $(REHEARSAL_DIR)
	$(BIN)/cookiecutter --no-input --output-dir $(REHEARSAL_DIR)/current .
	$(BIN)/cruft create --no-input --checkout "$$(git rev-parse '$(FROM)')" --output-dir $(REHEARSAL_DIR) $(CURDIR)
	cd $(REHEARSAL) && git init -q -b main && git add -A \
		&& git -c user.name=rehearsal -c user.email=rehearsal@localhost commit -q -m "Baked project"
	$(BIN)/python scripts/rehearse.py $(REHEARSAL) \
		$(REHEARSAL_DIR)/current/ticket-router/.github/workflows/template-update.yml

# The default project (or TASK's: `make rehearse-pr TASK=text-generation`), baked and committed (a
# rehearsal, like CI, sees commits).
TASK ?= text-classification
.PHONY: rehearsal-project
rehearsal-project:
	rm -rf $(REHEARSAL_DIR)
	$(BIN)/cookiecutter --no-input --output-dir $(REHEARSAL_DIR) . task=$(TASK)
	cd $(REHEARSAL) && git init -q -b main && git add -A \
		&& git -c user.name=rehearsal -c user.email=rehearsal@localhost commit -q -m "Baked project"

# Benchmarks print figures; they are not tests.
bench: install
	$(BIN)/python benchmarks/validate_speed.py

clean:
	rm -rf build $(VENV)
