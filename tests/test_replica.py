"""Reads on a real streaming replica (issue 17 item 4), as a black box.

The test starts its own PostgreSQL primary and a hot standby made with `pg_basebackup` on spare
ports (the system cluster has no replication access), migrates the primary once, and runs the
site under gunicorn with `DATABASE_URL` = primary and `DATABASE_REPLICA_URL` = standby. Then:

- the replica is really read: with replay paused on the standby, a change made on the primary is
  missing from the export of a user who did not write it, and present once replay resumes;
- read-your-writes: with replay paused, a user's own write (a funds entry booked through the
  ledger page) is on their next dashboard, and their export reads the primary;
- the replica stopped: dashboards and exports answer 200 from the primary, and after the replica
  is back (and the retry interval has passed) it is read again.

Nothing of ours is faked: real clusters, the real app, HTTP requests.
"""

from __future__ import annotations

import io
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from glob import glob
from pathlib import Path

import psycopg
import pytest
import requests
from django.conf import settings
from openpyxl import load_workbook

from tests.conftest import wait_for

pytestmark = pytest.mark.replica

REPO = Path(settings.BASE_DIR)
PASSWORD = "Sme-pilot-2026!"
CITY = "RPL"
RETRY_SECONDS = 1


def _bindir() -> Path | None:
    candidates = []
    if shutil.which("pg_config"):
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True)
        candidates.append(out.stdout.strip())
    candidates += sorted(glob("/usr/lib/postgresql/*/bin"), reverse=True)
    for path in candidates:
        if path and all(
            (Path(path) / tool).exists() for tool in ("initdb", "pg_ctl", "pg_basebackup")
        ):
            return Path(path)
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Clusters:
    root: Path
    bindir: Path
    primary_port: int
    standby_port: int
    as_postgres: list[str]

    def run(self, tool: str, *args: str) -> None:
        subprocess.run(
            [*self.as_postgres, str(self.bindir / tool), *args],
            check=True,
            capture_output=True,
            timeout=60,
        )

    def url(self, port: int) -> str:
        return f"postgres://postgres@127.0.0.1:{port}/sme"

    def sql(self, port: int, query: str, *params: object) -> object:
        with psycopg.connect(
            host="127.0.0.1", port=port, user="postgres", dbname="sme", autocommit=True
        ) as conn:
            row = conn.execute(query, params).fetchone()  # type: ignore[arg-type]
            return row[0] if row else None

    def start_standby(self) -> None:
        self.run(
            "pg_ctl",
            "-D",
            str(self.root / "standby"),
            "-l",
            str(self.root / "s.log"),
            "-w",
            "start",
        )

    def stop_standby(self) -> None:
        self.run("pg_ctl", "-D", str(self.root / "standby"), "-m", "fast", "-w", "stop")

    def caught_up(self) -> bool:
        """The standby has replayed everything the primary has written so far."""
        target = self.sql(self.primary_port, "SELECT pg_current_wal_lsn()")
        return bool(
            self.sql(self.standby_port, "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", target)
        )

    def pause_replay(self) -> None:
        self.sql(self.standby_port, "SELECT pg_wal_replay_pause()")
        wait_for(
            lambda: (
                self.sql(self.standby_port, "SELECT pg_get_wal_replay_pause_state()") == "paused"
            ),
            timeout=10,
            what="replay paused",
        )

    def resume_replay(self) -> None:
        self.sql(self.standby_port, "SELECT pg_wal_replay_resume()")
        wait_for(self.caught_up, timeout=20, what="the standby to catch up")


def _server_env(clusters: Clusters, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "DATABASE_REPLICA_URL", "REDIS_URL", "CELERY_QUEUE"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="sme_pilot.settings.test",
        DATABASE_URL=clusters.url(clusters.primary_port),
        PYTHONUNBUFFERED="1",
        **extra,
    )
    return env


@pytest.fixture(scope="module")
def clusters() -> Iterator[Clusters]:
    bindir = _bindir()
    if bindir is None or (os.geteuid() == 0 and not shutil.which("runuser")):
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL server binaries (initdb, pg_ctl, pg_basebackup) are missing")
        pytest.skip("needs PostgreSQL server binaries (initdb, pg_ctl, pg_basebackup)")
    root = Path(tempfile.mkdtemp(prefix="sme-replica-"))
    as_postgres: list[str] = []
    if os.geteuid() == 0:  # initdb refuses root: the clusters belong to the postgres user
        shutil.chown(root, "postgres", "postgres")
        as_postgres = ["runuser", "-u", "postgres", "--"]
    c = Clusters(root, bindir, _free_port(), _free_port(), as_postgres)
    primary, standby = root / "primary", root / "standby"
    started: list[Path] = []
    try:
        c.run(
            "initdb",
            "-D",
            str(primary),
            "-A",
            "trust",
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        )
        with open(primary / "postgresql.conf", "a") as conf:
            conf.write(
                f"listen_addresses = '127.0.0.1'\nport = {c.primary_port}\n"
                f"unix_socket_directories = '{root}'\nwal_level = replica\nmax_wal_senders = 4\n"
                "fsync = off\nfull_page_writes = off\nhot_standby = on\n"
                "hot_standby_feedback = on\n"
            )
        with open(primary / "pg_hba.conf", "a") as hba:
            hba.write("host replication all 127.0.0.1/32 trust\n")
        c.run("pg_ctl", "-D", str(primary), "-l", str(root / "p.log"), "-w", "start")
        started.append(primary)
        c.run("createdb", "-h", "127.0.0.1", "-p", str(c.primary_port), "-U", "postgres", "sme")
        migrate = subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
            cwd=REPO,
            env=_server_env(c),
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert migrate.returncode == 0, migrate.stderr[-3000:]
        c.run(
            "pg_basebackup",
            "-h",
            "127.0.0.1",
            "-p",
            str(c.primary_port),
            "-U",
            "postgres",
            "-D",
            str(standby),
            "-R",
            "-X",
            "stream",
            "-c",
            "fast",
        )
        with open(standby / "postgresql.conf", "a") as conf:
            conf.write(f"port = {c.standby_port}\n")
        c.start_standby()
        started.append(standby)
        wait_for(c.caught_up, timeout=20, what="the standby to catch up")
        yield c
    finally:
        for data in reversed(started):
            subprocess.run(
                [
                    *as_postgres,
                    str(bindir / "pg_ctl"),
                    "-D",
                    str(data),
                    "-m",
                    "immediate",
                    "-w",
                    "stop",
                ],
                capture_output=True,
                timeout=60,
            )
        shutil.rmtree(root, ignore_errors=True)


SEED = f"""
from accounts.models import Role
from tests.cities.factories import CityFactory, EnterpriseFactory, SubIndustryFactory, UserFactory
city = CityFactory(code="{CITY}", name="复制市")
sub = SubIndustryFactory(city=city, code="FOOD", name="特色食品")
EnterpriseFactory(sub_industry=sub, name="原名企业")
UserFactory(username="writer", role=Role.CITY_OFFICIAL, city=city)
UserFactory(username="reader", role=Role.CITY_OFFICIAL, city=city)
"""


@dataclass
class Site:
    base: str
    log: Path

    def login(self, username: str) -> requests.Session:
        session = requests.Session()
        session.get(f"{self.base}/login/", timeout=30).raise_for_status()
        answer = session.post(
            f"{self.base}/login/",
            data={
                "username": username,
                "password": PASSWORD,
                "csrfmiddlewaretoken": session.cookies["csrftoken"],
            },
            headers={"Referer": f"{self.base}/login/"},
            timeout=30,
        )
        assert answer.status_code == 200 and "sessionid" in session.cookies, answer.text[-500:]
        return session

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


@pytest.fixture(scope="module")
def site(clusters: Clusters) -> Iterator[Site]:
    seed = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", SEED],
        cwd=REPO,
        env=_server_env(clusters),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert seed.returncode == 0, seed.stderr[-3000:]
    port = _free_port()
    log = clusters.root / "gunicorn.log"
    env = _server_env(
        clusters,
        DATABASE_REPLICA_URL=clusters.url(clusters.standby_port),
        DATABASE_REPLICA_RETRY_SECONDS=str(RETRY_SECONDS),
        # Connections kept across requests, as in production: a stopped replica is then found
        # dead in the middle of a page, which must run again on the primary.
        DB_CONN_MAX_AGE="60",
        GUNICORN_BIND=f"127.0.0.1:{port}",
        WEB_CONCURRENCY="1",
        LOG_LEVEL="INFO",
    )
    with open(log, "wb") as out:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-c",
                "deploy/gunicorn.conf.py",
                "sme_pilot.wsgi:application",
            ],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        base = f"http://127.0.0.1:{port}"

        def up() -> bool:
            assert server.poll() is None, log.read_text()[-3000:]
            try:
                return requests.get(f"{base}/healthz", timeout=2).status_code == 200
            except requests.ConnectionError:
                return False

        wait_for(up, timeout=60, what="gunicorn")
        wait_for(clusters.caught_up, timeout=20, what="the standby to catch up")
        yield Site(base, log)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def export_names(session: requests.Session, site: Site) -> set[str]:
    answer = session.get(f"{site.base}/cities/{CITY}/enterprises/export.xlsx", timeout=30)
    assert answer.status_code == 200, answer.text[-500:]
    sheet = load_workbook(io.BytesIO(answer.content), read_only=True).active
    assert sheet is not None
    return {str(cell) for row in sheet.iter_rows(values_only=True) for cell in row if cell}


def dashboard(session: requests.Session, site: Site) -> str:
    answer = session.get(f"{site.base}/cities/{CITY}/dashboard/", timeout=30)
    assert answer.status_code == 200, answer.text[-500:]
    return answer.text


def rename(clusters: Clusters, name: str) -> None:
    """Change the enterprise on the primary, behind the site's back (no write by any user)."""
    clusters.sql(
        clusters.primary_port,
        "UPDATE cities_enterprise SET name = %s WHERE city_id ="
        " (SELECT id FROM cities_pilotcity WHERE code = %s) RETURNING id",
        name,
        CITY,
    )


def settled_reader(site: Site, clusters: Clusters) -> requests.Session:
    """A signed-in user whose own writes (the login) the replica has replayed and seen."""
    reader = site.login("reader")
    assert "sme_wal" in reader.cookies  # the login wrote: its position is remembered
    wait_for(clusters.caught_up, timeout=20, what="the standby to catch up")
    export_names(reader, site)
    assert "sme_wal" not in reader.cookies  # seen replayed: no longer needed
    return reader


def test_reads_go_to_the_replica_and_never_miss_ones_own_write(site, clusters):
    ready = requests.get(f"{site.base}/readyz", timeout=30)
    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"]["replica"] == "ok"
    assert ready.json()["replica_lag_bytes"] >= 0
    reader = settled_reader(site, clusters)
    writer = site.login("writer")
    wait_for(clusters.caught_up, timeout=20, what="the standby to catch up")
    assert "原名企业" in export_names(reader, site)

    clusters.pause_replay()
    try:
        rename(clusters, "主库新名企业")
        # The reader did not write: their export comes from the replica, which has not replayed
        # the change yet.
        names = export_names(reader, site)
        assert "原名企业" in names and "主库新名企业" not in names

        # The writer books a receipt through the ledger page: a write of their own.
        answer = writer.post(
            f"{site.base}/funds/{CITY}/book/",
            data={
                "entry_on": time.strftime("%Y-%m-%d"),
                "kind": "receipt",
                "source": "central",
                "category": "",
                "amount": "1234567.00",
                "reference": "RPL-001",
                "note": "复制测试",
                "csrfmiddlewaretoken": writer.cookies["csrftoken"],
            },
            headers={"Referer": f"{site.base}/funds/{CITY}/"},
            timeout=30,
        )
        assert answer.status_code == 200 and "RPL-001" in answer.text, answer.text[-800:]
        assert "sme_wal" in writer.cookies
        # The write made the cached dashboard figures stale. The reader asks first: the figures
        # are recomputed, and on the primary, since the replica has not replayed the change that
        # made the cache stale (a cached figure is never older than that change) ...
        assert 'data-figure="central_received">123.46<' in dashboard(reader, site)
        # ... while the reader's uncached export still comes from the lagging replica.
        assert "主库新名企业" not in export_names(reader, site)
        # The writer's next pages show their write although the replica has not replayed it:
        # they read the primary, which also has the rename.
        assert 'data-figure="central_received">123.46<' in dashboard(writer, site)
        assert "主库新名企业" in export_names(writer, site)
    finally:
        clusters.resume_replay()
    assert "主库新名企业" in export_names(reader, site)
    assert "主库新名企业" in export_names(writer, site)
    assert "sme_wal" not in writer.cookies  # caught up: the writer reads the replica again


def test_a_stopped_replica_falls_back_to_the_primary_and_is_used_again(site, clusters):
    reader = settled_reader(site, clusters)
    dashboard(reader, site)  # a replica connection is open, kept across requests
    clusters.stop_standby()
    try:
        rename(clusters, "备库停机时的名称")
        # The kept connection is dead: the page runs again on the primary and answers.
        assert "备库停机时的名称" in export_names(reader, site)
        dashboard(reader, site)
        assert "database replica marked down" in site.log_text()
        ready = requests.get(f"{site.base}/readyz", timeout=30)
        assert ready.status_code == 200, ready.text  # reads fall back: still ready
        assert ready.json()["checks"]["replica"] == "failed"
    finally:
        clusters.start_standby()
    wait_for(clusters.caught_up, timeout=20, what="the standby to catch up")
    clusters.pause_replay()
    try:
        rename(clusters, "备库恢复后的名称")
        # Once the retry interval has passed, the export reads the replica again: it shows the
        # name the replica has, not the primary's newer one.
        wait_for(
            lambda: "备库停机时的名称" in export_names(reader, site),
            timeout=RETRY_SECONDS + 10,
            what="the replica to be read again",
        )
    finally:
        clusters.resume_replay()
