"""The deployment files agree with the code: every setting is documented, every unit starts a
process the start script knows, nginx never bypasses the permission-checked downloads, and the
production settings start with the documented environment."""

from __future__ import annotations

import ast
import importlib.metadata
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from django.conf import settings

REPO = Path(settings.BASE_DIR)
SCRIPT = REPO / "deploy" / "bin" / "sme-pilot"
UNITS = sorted((REPO / "deploy" / "systemd").glob("*.service"))


def variables_read() -> set[str]:
    names: set[str] = set()
    for path in [*(REPO / "sme_pilot" / "settings").glob("*.py"), *REPO.glob("*/apps.py")]:
        names |= set(re.findall(r'env(?:\.\w+)?\(\s*"([A-Z][A-Z0-9_]+)"', path.read_text()))
    names |= set(
        re.findall(r'environ\.get\("([A-Z_]+)"', (REPO / "deploy/gunicorn.conf.py").read_text())
    )
    names |= set(re.findall(r"\$\{([A-Z][A-Z0-9_]+):", SCRIPT.read_text()))
    return names


def variables_documented() -> set[str]:
    text = (REPO / ".env.example").read_text()
    return set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", text, re.M))


def test_every_environment_variable_is_documented_in_env_example():
    read = variables_read()
    assert {"DATABASE_URL", "REDIS_URL", "DJANGO_SECRET_KEY", "WEB_CONCURRENCY"} <= read
    missing = read - variables_documented()
    assert not missing, f".env.example does not document: {sorted(missing)}"


def third_party_imports() -> set[str]:
    """Top-level modules the running code (not tests or benchmarks) imports from elsewhere."""
    # Our own packages: the ones import-linter layers (pyproject.toml), so a new app is here too.
    config = tomllib.loads((REPO / "pyproject.toml").read_text())
    apps = list(config["tool"]["importlinter"]["root_packages"])
    assert {"accounts", "sme_pilot", "providers", "projects"} <= set(apps)
    names: set[str] = set()
    for app in apps:
        for path in (REPO / app).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Import):
                    names |= {alias.name.split(".")[0] for alias in node.names}
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names.add(node.module.split(".")[0])
    return names - set(sys.stdlib_module_names) - set(apps)


def test_every_package_the_code_imports_is_pinned_in_base_requirements():
    """A production install is `pip install -r requirements/base.txt`: a package that is only in
    a developer's venv (django-ipware once: lockouts then went by nginx's address) is missing."""
    pins = dict(
        re.findall(
            r"^([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?==(\S+)",
            (REPO / "requirements" / "base.txt").read_text(),
            re.M,
        )
    )
    pinned = {re.sub(r"[-_.]+", "-", name).lower(): version for name, version in pins.items()}
    owners = importlib.metadata.packages_distributions()
    modules = third_party_imports()
    assert {"django", "axes", "ipware"} <= modules
    for module in sorted(modules):
        for dist in owners.get(module, [module]):
            key = re.sub(r"[-_.]+", "-", dist).lower()
            assert key in pinned, f"{module} (from {dist}) is not pinned in requirements/base.txt"
            assert pinned[key] == importlib.metadata.version(dist), dist


def test_every_unit_runs_a_command_of_the_start_script():
    commands = set(re.findall(r"^\s+([a-z-]+)\)", SCRIPT.read_text(), re.M))
    assert {"web", "worker", "worker-pdf", "beat"} <= commands
    started = set()
    for unit in UNITS:
        (line,) = re.findall(r"^ExecStart=(.+)$", unit.read_text(), re.M)
        program, command = line.split()
        assert program == "/opt/sme-pilot/deploy/bin/sme-pilot", unit.name
        assert command in commands, unit.name
        started.add(command)
    assert started == {"web", "worker", "worker-pdf", "beat"}


def test_the_start_script_is_valid_bash_and_refuses_unknown_commands():
    subprocess.run(["bash", "-n", str(SCRIPT)], check=True)
    result = subprocess.run([str(SCRIPT), "serve"], capture_output=True, text=True)
    assert result.returncode == 2
    assert "usage" in result.stderr


def test_pdf_workers_are_recycled_and_consume_only_the_pdf_queue():
    text = SCRIPT.read_text()
    pdf = text[text.index("worker-pdf)") : text.index("beat)")]
    assert '-Q "$pdf_queue"' in pdf
    assert "--max-tasks-per-child" in pdf
    assert settings.CELERY_TASK_ROUTES["reports.render_report_job"] == {
        "queue": settings.REPORTS_PDF_QUEUE
    }


def test_nginx_never_serves_uploads_or_reports_directly():
    conf = (REPO / "deploy" / "nginx" / "sme-pilot.conf").read_text()
    media = re.search(r"location /media/ \{([^}]*)\}", conf)
    assert media is not None
    assert "return 404" in media.group(1)
    assert "MEDIA_ROOT" not in conf and "/var/lib/sme-pilot/media" not in conf
    proxy = (REPO / "deploy" / "nginx" / "sme-pilot-proxy.conf").read_text()
    assert "X-Request-ID $request_id" in proxy
    assert "X-Real-IP $remote_addr" in proxy


def test_the_deploy_guide_covers_what_operators_need():
    guide = (REPO / "docs" / "deploy.md").read_text()
    for needed in (
        "systemd",
        "nginx",
        "pg_dump",
        "pg_restore",
        "MEDIA_ROOT",
        "PRIVATE_MEDIA_ROOT",
        "fonts-noto-cjk",
        "sme-pilot-beat",
        "/readyz",
        "pip download",
        "logrotate",
    ):
        assert needed in guide, needed
    for unit in UNITS:
        assert unit.name in guide, unit.name


@pytest.mark.django_db
@pytest.mark.parametrize("command", ["check --deploy --fail-level WARNING", "migrate --check"])
def test_production_settings_start_from_the_documented_environment(command, tmp_path):
    """Only what .env.example sets uncommented; nothing else from this machine leaks in."""
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path)}
    for line in (REPO / ".env.example").read_text().splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            env[key] = value
    env["DJANGO_SECRET_KEY"] = "x" * 60 + "-production-like-secret-for-the-test"
    env["LOG_DIR"] = str(tmp_path)
    env["MEDIA_ROOT"] = str(tmp_path / "media")
    # The documented DSN names a production database user; use this test's database instead.
    from django.db import connection

    db = connection.settings_dict
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL)")
    env["DATABASE_URL"] = (
        f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )
    result = subprocess.run(
        [sys.executable, "manage.py", *command.split()],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
