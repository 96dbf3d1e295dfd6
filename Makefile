# 信用门户 / credit portal
#   make run    install what is needed, migrate, load demo data into an empty database, serve on :8000
#   make test   the same installs plus Debian packages (Chromium, CJK fonts, PostgreSQL), then the
#               whole suite on SQLite and on a throwaway PostgreSQL cluster (tests/run-all.sh)
#   make bench  benchmarks (bench/)
# Every target is idempotent: a second run installs nothing and rebuilds nothing.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

# uv from PATH, else the copy `pip install uv` put next to python3 (pyenv shims, --user installs).
UV = $(shell command -v uv 2>/dev/null || echo python3 -m uv)
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)
DEBIAN_PACKAGES := chromium fonts-noto-cjk postgresql
DEMO_SUBJECTS ?= 20000

.PHONY: help run test bench lint clean setup uv venv assets migrate demo-data system-packages

help:
	@echo "make run    安装依赖、迁移数据库、按需载入演示数据，并在 http://127.0.0.1:8000 提供服务"
	@echo "make test   安装依赖（含 Chromium、中文字体、PostgreSQL），在 SQLite 与 PostgreSQL 上运行全部测试"
	@echo "make bench  运行性能基准"

# `demo-data` and `serve` both run the migrations first (portal/demo/command.py, portal/cli.py).
run: setup demo-data
	$(UV) run --frozen python -m portal serve

test: setup system-packages
	bash tests/run-all.sh $(PYTEST_ARGS)

bench: setup
	$(UV) run --frozen python -m bench $(BENCH_ARGS)

lint: venv
	$(UV) run --frozen ruff check .

setup: venv assets

uv:
	@if ! command -v uv >/dev/null 2>&1 && ! python3 -m uv --version >/dev/null 2>&1; then \
		echo "正在安装 uv / installing uv (pip install uv)"; \
		python3 -m pip install --quiet uv \
			|| python3 -m pip install --quiet --user --break-system-packages uv; \
	fi

venv: uv
	$(UV) sync --frozen --quiet

assets: venv
	$(UV) run --frozen python -m portal build-assets

migrate: venv
	$(UV) run --frozen python -m portal migrate

demo-data: venv
	$(UV) run --frozen python -m portal demo-data --subjects $(DEMO_SUBJECTS) --seed 1 --if-empty

# Debian packages for the browser tests and the PostgreSQL run; apt only when something is missing.
system-packages:
	@missing=""; \
	for pkg in $(DEBIAN_PACKAGES); do \
		dpkg -s "$$pkg" >/dev/null 2>&1 || missing="$$missing $$pkg"; \
	done; \
	command -v chromium >/dev/null 2>&1 || case "$$missing" in *chromium*) ;; *) missing="$$missing chromium";; esac; \
	if [ -n "$$missing" ]; then \
		echo "正在安装 Debian 软件包 / installing Debian packages:$$missing"; \
		export DEBIAN_FRONTEND=noninteractive; \
		$(SUDO) apt-get update -qq; \
		$(SUDO) apt-get install -y -qq -o Dpkg::Use-Pty=0 --no-install-recommends $$missing; \
	fi

clean:
	rm -rf static/dist static/vendor build/fonts test-artifacts .pytest_cache .ruff_cache .hypothesis
	find . -path ./.venv -prune -o -name __pycache__ -type d -exec rm -rf {} +
