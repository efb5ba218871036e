# One way to run things: `make run` for a working site, `make test` for the whole suite.
# CI runs `.ci/run`, which points DATABASE_URL/REDIS_URL at PostgreSQL/Redis and calls `make test`.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

RUN_DEBS := fonts-noto-cjk libharfbuzz-subset0 libpango-1.0-0 libpangoft2-1.0-0
TEST_DEBS := $(RUN_DEBS) chromium poppler-utils

.PHONY: run test lint fmt typecheck checks pytest bench worker migrate seed messages sysdeps-run sysdeps-test clean help

help:
	@echo "make run    安装依赖、迁移数据库、加载演示数据并启动网站（配置了 DATABASE_URL 与 REDIS_URL 时用 gunicorn + Celery worker + beat）"
	@echo "make test   完整测试：lint、类型检查、迁移检查、部署检查和 pytest"
	@echo "make bench  性能基准（需要 PostgreSQL）"
	@echo
	@echo "变量：HOST=$(HOST) PORT=$(PORT)（例如 make run PORT=8080；手机访问同一局域网时用 HOST=0.0.0.0）"
	@echo "      DJANGO_DEBUG=1 打开调试页面（默认关闭，错误时显示产品自己的中文页面）"

# --- environment -------------------------------------------------------------------------------
$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.base-installed: requirements/base.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet -r requirements/base.txt
	touch $@

$(VENV)/.dev-installed: requirements/base.txt requirements/dev.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet -r requirements/dev.txt
	touch $@ $(VENV)/.base-installed

# Installs Debian packages that are missing, when we are root or have passwordless sudo.
define apt_install
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; elif sudo -n true 2>/dev/null; then SUDO="sudo -n"; else SUDO=none; fi; \
	  if [ "$$SUDO" = none ]; then echo "缺少系统软件包：$$missing（请以 root 安装：apt-get install$$missing）"; \
	  else echo "安装系统软件包：$$missing"; $$SUDO apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing >/dev/null; fi; \
	fi
endef

sysdeps-run:
	$(call apt_install,$(RUN_DEBS))

sysdeps-test:
	$(call apt_install,$(TEST_DEBS))

# --- run ---------------------------------------------------------------------------------------
migrate: $(VENV)/.base-installed
	$(PY) manage.py migrate --noinput

seed: migrate
	$(PY) manage.py seed_demo

run: sysdeps-run $(VENV)/.base-installed
	$(PY) manage.py migrate --noinput -v0
	$(PY) manage.py seed_demo
	@echo
	@echo "网站地址：http://$(HOST):$(PORT)/   （API 文档：http://$(HOST):$(PORT)/api/v1/docs/）"
	@if [ -n "$$REDIS_URL" ] && [ -n "$$DATABASE_URL" ]; then \
	  echo "已配置 PostgreSQL 与 Redis：以生产方式运行（gunicorn、两个 Celery worker、celery beat）"; \
	  export DJANGO_SETTINGS_MODULE=sme_pilot.settings.local GUNICORN_BIND=$(HOST):$(PORT); \
	  deploy/bin/sme-pilot worker & deploy/bin/sme-pilot worker-pdf & deploy/bin/sme-pilot beat & \
	  trap 'kill $$(jobs -p) 2>/dev/null; wait' EXIT INT TERM; \
	  deploy/bin/sme-pilot web; \
	else \
	  echo "未同时设置 DATABASE_URL 与 REDIS_URL：开发服务器，后台任务由本机的 Celery worker 执行（以 var/celery 目录为消息队列）"; \
	  export DJANGO_SETTINGS_MODULE=sme_pilot.settings.local; \
	  deploy/bin/sme-pilot worker & deploy/bin/sme-pilot worker-pdf & deploy/bin/sme-pilot beat & \
	  trap 'kill $$(jobs -p) 2>/dev/null; wait' EXIT INT TERM; \
	  $(PY) manage.py runserver $(HOST):$(PORT); \
	fi

worker: $(VENV)/.base-installed
	deploy/bin/sme-pilot worker & deploy/bin/sme-pilot worker-pdf & wait

# --- quality -----------------------------------------------------------------------------------
lint: $(VENV)/.dev-installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

fmt: $(VENV)/.dev-installed
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# The project's translations (locale/): after editing a .po, compile it and commit the .mo with it
# (a checkout needs no gettext; tests/test_admin_language.py fails on a stale .mo).
messages:
	for po in locale/*/LC_MESSAGES/*.po; do msgfmt --check -o "$${po%.po}.mo" "$$po" || exit 1; done

typecheck: $(VENV)/.dev-installed
	$(VENV)/bin/mypy accounts notifications cities assessments oversight providers projects funds reports demo sme_pilot

# Missing migrations, and the deployment checklist against production settings (dummy secrets).
checks: $(VENV)/.dev-installed
	DJANGO_SETTINGS_MODULE=sme_pilot.settings.test $(PY) manage.py makemigrations --check --dry-run
	DJANGO_SETTINGS_MODULE=sme_pilot.settings.production \
	  DJANGO_SECRET_KEY=ci-dummy-secret-key-ci-dummy-secret-key-0123456789-abcdefghij \
	  DJANGO_ALLOWED_HOSTS=sme-pilot.example.cn \
	  DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/sme_pilot} \
	  REDIS_URL=$${REDIS_URL:-redis://127.0.0.1:6379/0} \
	  LOG_DIR=$$(mktemp -d) BEHIND_PROXY=1 \
	  $(PY) manage.py check --deploy --fail-level WARNING

# Two test processes (pytest-xdist), one per core: each gets its own test database (suffix _gwN)
# and, through its pid, its own Celery queues; the drills start their own Redis. PYTEST_WORKERS=0
# runs serially.
PYTEST_WORKERS ?= 2
pytest: $(VENV)/.dev-installed
	DJANGO_SETTINGS_MODULE=sme_pilot.settings.test $(VENV)/bin/pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

test: sysdeps-test $(VENV)/.dev-installed lint typecheck checks pytest

# Every benchmark prints its result last as one JSON line (ratio against a floor of the same run).
# make bench BENCH_SCALE=1m: the national scale (1,000,000 enterprises; about an hour). bench/suite.py
BENCH_SCALE ?= 100k
bench: $(VENV)/.dev-installed
	@$(PY) -m bench.suite --scale $(BENCH_SCALE) $(if $(BENCH_ONLY),--only $(BENCH_ONLY))

# Load test of the production stack (gunicorn, a Celery PDF worker, Redis db 5, PostgreSQL
# sme_bench_load, rebuilt): one JSON line per endpoint group, then the goals. bench/load.py.
# e.g. make load LOAD_ARGS="--users 50 --duration 300" (add --reuse to keep the data set)
.PHONY: load
load: $(VENV)/.dev-installed
	@$(VENV)/bin/locust --version >/dev/null 2>&1 || $(PY) -m pip install --quiet -r requirements/bench.txt
	@$(PY) -m bench.load $(LOAD_ARGS)

clean:
	rm -rf .pytest_cache .mypy_cache .ruff_cache .test-media staticfiles
