# bmg_agents: two commands do everything on a fresh machine.
#   make demo   runs the main job (two-colours BMG vs MG vs fixed) on the embedded default
#   make test   runs the test suite
# Both create the Python 3.10 environment in .venv from requirements.txt on first use.

PYTHON ?= $(shell command -v python3.10 2>/dev/null || echo /root/.pyenv/versions/3.10.13/bin/python3.10)
VENV := .venv
STAMP := $(VENV)/.installed
export PYTHONDONTWRITEBYTECODE := 1
export TF_CPP_MIN_LOG_LEVEL := 2
# Import this checkout first (matters for git worktrees sharing one .venv).
export PYTHONPATH := $(CURDIR)$(if $(PYTHONPATH),:$(PYTHONPATH))

.PHONY: env demo test bench accelerator-wheels clean

env: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 10), \
	  "bmg_agents needs Python 3.10 (dm-launchpad has no wheels for 3.11+)"'
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q -r requirements.txt
	$(VENV)/bin/pip install -q --no-deps --no-build-isolation -e .
	touch $(STAMP)

# The demo: fixed weight vs MG vs BMG over 3 reward cycles of 100k steps
# (the paper's period), 3 seeds, meta lr 3e-4 (the largest of Table 1's grid,
# so the learned weights move visibly); the rest is the config's defaults.
demo: $(STAMP)
	$(VENV)/bin/python launchers/run_two_colors.py --num_steps=300000 \
	  --flip_period=100000 --num_seeds=3 --meta_learning_rate=3e-4 $(ARGS)

test: $(STAMP)
	$(VENV)/bin/python -m pytest -q -n 2 tests $(ARGS)

bench: $(STAMP)
	for b in benchmarks/*.py; do $(VENV)/bin/python $$b || exit 1; done

# cp312 wheels of what the accelerator image lacks (requirements-accelerator.txt).
accelerator-wheels: $(STAMP)
	$(VENV)/bin/pip download -q --no-deps --only-binary=:all: \
	  --python-version 3.12 --implementation cp \
	  --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 \
	  --platform manylinux2014_x86_64 -d .whl -r requirements-accelerator.txt

clean:
	rm -rf $(VENV) build *.egg-info .whl
