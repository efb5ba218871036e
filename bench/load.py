"""Load test: the production stack (gunicorn + a Celery PDF worker + Redis + PostgreSQL) under
simulated enterprises, city officials, on-site assessors and ministry staff at once, against a
/healthz floor.

One command (`make load`, or `.venv/bin/python -m bench.load [--users 50] [--duration 300]`):

1. prepares the PostgreSQL database `sme_bench_load` (its name must contain "bench": it is dropped
   and rebuilt) through `bench.load_data`: 100 cities, 100,000 enterprises and their confirmed
   levels via the import path, 500 enterprise accounts each with a draft self-assessment, one
   official and one on-site assessor per city, each city's 待评定 queue of submitted
   self-assessments, 20 ministry accounts (`--reuse` keeps a data set of the same shape and only
   resets the drafts, the assessors' confirmations, report jobs and sessions);
2. empties its own Redis database (default redis://127.0.0.1:6379/5: cache, Celery broker) and
   starts what production runs, with production settings (`sme_pilot.settings.production`, see
   below): gunicorn as `deploy/bin/sme-pilot web` does (deploy/gunicorn.conf.py; 2 × cores + 1
   sync workers) on 127.0.0.1:18080, and a Celery worker as `deploy/bin/sme-pilot worker-pdf`
   does (1 process, recycled) on both queues of its own (`sme_bench_load`, `sme_bench_load.pdf`);
   no nginx: locust plays the proxy's part (below);
3. runs `bench/locustfile.py` headless: enterprises answering the questionnaire through the
   autosave endpoint, city officials on their dashboards and 待办 queue, assessors confirming
   on-site assessments from their 待评定 queue (which invalidates their city's dashboard cache),
   ministry staff on the national dashboard requesting and polling reports, and a floor
   (/healthz on the same gunicorn). Samples
   are kept for `--duration` seconds, starting `--warmup` seconds after the last user logged in
   (logins, ~0.3 s of PBKDF2 each, are reported apart as `load_rampup_login`);
4. prints one JSON line per endpoint group (client-side p50/p95 from locust, the same groups'
   server-side times from the app's access log, and p95 / the floor's p95), where the CPU went
   (`load_cpu`: gunicorn, the worker, PostgreSQL, locust, Redis, the rest of the machine, idle)
   and a summary line with every headline group's p95 beside its goal and the goals (on 2 cores:
   autosave p95 < 150 ms, city and national dashboard p95 < 300 ms, no errors) as true/false,
   and how busy the machine was; timings never fail the command;
5. stops gunicorn, the worker and locust on exit, Ctrl-C, SIGTERM or failure (each runs in its own
   process group; a run killed with SIGKILL leaves their ids in OUT/pids.json and the next run
   stops them first).

Production settings run unchanged (SSL redirect on, Secure cookies, HSTS): the simulated browsers
talk to gunicorn as nginx would after terminating TLS, with `X-Forwarded-Proto: https`
(SECURE_PROXY_SSL_HEADER), `X-Real-IP` (BEHIND_PROXY), an `X-Request-ID` naming the endpoint
group, Origin/Referer on their POSTs, and a cookie jar that keeps Secure cookies. So no settings
module of our own is needed. Static files are collected (compressed, hashed: the production
storage) into STATIC_ROOT when they changed. Logs, the access log (LOG_DIR) and the generated
PDFs (MEDIA_ROOT) go to OUT (bench/out/load).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import math
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/sme_bench_load"
DEFAULT_REDIS = "redis://127.0.0.1:6379/5"
QUEUE = "sme_bench_load"
ROLES = ("enterprise", "city", "ministry", "assessor", "floor")
# Groups in print order; the goal each one is held to (p95 in ms), if any (issue 17: autosave
# ≤ 150 ms, dashboards ≤ 300 ms; the others are reported against the floor only).
GROUPS: dict[str, float | None] = {
    "autosave": 150,
    "city_dashboard": 300,
    "national_dashboard": 300,
    "city_work_queue": None,
    "assessor_queue": None,
    "assessor_confirm": None,
    "report_request": None,
    "report_status": None,
    "healthz": None,
}
FLOOR = "healthz"
GOAL_CORES = 2


def _log(message: str) -> None:
    print(f"[load] {message}", file=sys.stderr, flush=True)


# --- processes -------------------------------------------------------------------------------


class Processes:
    """Children in their own process groups, stopped together however the run ends."""

    def __init__(self, pid_file: Path) -> None:
        self.pid_file = pid_file
        self.running: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, argv: list[str], *, env: dict[str, str], log: Path) -> None:
        handle = log.open("ab")
        self.running[name] = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C reaches us only; we stop them in order
        )
        handle.close()
        self._save()

    def _save(self) -> None:
        self.pid_file.write_text(
            json.dumps({n: p.pid for n, p in self.running.items() if p.poll() is None})
        )

    def check_alive(self, *names: str) -> None:
        for name in names:
            code = self.running[name].poll()
            if code is not None:
                raise RuntimeError(f"{name} exited with {code} (see its log in the output dir)")

    def stop(self, name: str, timeout: float = 15) -> None:
        process = self.running.pop(name, None)
        if process is None:
            return
        if process.poll() is None:
            _signal_group(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                _signal_group(process.pid, signal.SIGKILL)
                process.wait(5)
        # Whatever the leader left behind in its group (gunicorn workers, pool processes).
        _signal_group(process.pid, signal.SIGKILL)
        self._save()

    def stop_all(self) -> None:
        for name in ("locust", "gunicorn", "celery"):
            with contextlib.suppress(Exception):
                self.stop(name)
        for name in list(self.running):
            with contextlib.suppress(Exception):
                self.stop(name)
        with contextlib.suppress(OSError):
            self.pid_file.unlink()

    def stop_leftovers(self) -> None:
        """Stop what a previous run recorded and left running (it was killed with SIGKILL)."""
        try:
            recorded = json.loads(self.pid_file.read_text())
        except (OSError, ValueError):
            return
        import psutil

        for name, pgid in recorded.items():
            for proc in psutil.process_iter(["cmdline"]):
                with contextlib.suppress(psutil.Error, OSError):
                    cmdline = " ".join(proc.info["cmdline"] or [])
                    ours = "sme_pilot" in cmdline or "locustfile" in cmdline
                    if os.getpgid(proc.pid) == pgid and name in cmdline and ours:
                        _log(f"stopping {name} (pid {proc.pid}) left by an earlier run")
                        proc.kill()
        self.pid_file.unlink()


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def _raise_on_signal(signum: int, frame: Any) -> None:
    raise SystemExit(128 + signum)


# --- preparation -----------------------------------------------------------------------------


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def _flush_redis(url: str) -> None:
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=3)
    try:
        client.flushdb()
    finally:
        client.close()


def _static_is_fresh(static_root: Path) -> bool:
    """True if the manifest is newer than every static file of the project and the venv."""
    manifest = static_root / "staticfiles.json"
    if not manifest.exists():
        return False
    built = manifest.stat().st_mtime
    sources = [ROOT / "static", *ROOT.glob("*/static"), ROOT / "requirements" / "base.txt"]
    for source in sources:
        paths = source.rglob("*") if source.is_dir() else [source]
        if any(p.stat().st_mtime > built for p in paths if p.is_file()):
            return False
    return True


def _gunicorn_argv(port: int, workers: int) -> list[str]:
    """gunicorn as `deploy/bin/sme-pilot web` starts it (deploy/gunicorn.conf.py: sync workers,
    timeouts, worker recycling), or the same essentials if that config is missing. Never the
    shared default control socket (~/.gunicorn/gunicorn.ctl) another gunicorn may be using."""
    gunicorn = str(BIN / "gunicorn")
    config = ROOT / "deploy" / "gunicorn.conf.py"
    if config.exists():
        app = "sme_pilot.wsgi:application"
        return [gunicorn, "--config", str(config), app, "--no-control-socket"]
    return [
        gunicorn,
        *("sme_pilot.wsgi:application", "-b", f"127.0.0.1:{port}", "-w", str(workers)),
        *("--timeout", "60", "--graceful-timeout", "30", "--max-requests", "2000"),
        *("--max-requests-jitter", "200", "--no-control-socket"),
    ]


def _wait_ready(url: str, processes: Processes, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        processes.check_alive("gunicorn", "celery")
        with (
            contextlib.suppress(OSError),
            urllib.request.urlopen(f"{url}/readyz", timeout=5) as response,  # noqa: S310
        ):
            if response.status == 200:
                return
        time.sleep(1)
    raise RuntimeError(f"{url}/readyz did not answer 200 within {timeout:.0f} s")


# --- results ---------------------------------------------------------------------------------


def _percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(q * len(sorted_values)))
    return sorted_values[rank - 1]


def _round(value: float, places: int = 1) -> float | None:
    return None if math.isnan(value) else round(value, places)


def _server_times(access_log: Path, window: list[float]) -> dict[str, list[float]]:
    """Server-side durations from the app's access log (sme_pilot.observability, LOG_DIR), by
    the group the locustfile named in each request's X-Request-ID ("autosave.3f2a…")."""
    times: dict[str, list[float]] = {}
    if not access_log.exists():
        return times
    start, end = window
    with access_log.open(encoding="utf-8") as handle:
        for line in handle:
            try:
                entry = json.loads(line)
                at = dt.datetime.fromisoformat(entry["ts"]).timestamp()
                group, ms = entry["request_id"].split(".", 1)[0], float(entry["ms"])
            except (ValueError, KeyError, TypeError, AttributeError):
                continue
            if start <= at <= end:
                times.setdefault(group, []).append(ms)
    return times


def _report(
    results: dict[str, Any],
    *,
    server: dict[str, list[float]],
    cpu: dict[str, Any],
    workers: int,
) -> list[dict[str, Any]]:
    start, end = results["window"]
    seconds = end - start
    users = results["users"]
    samples: dict[str, list[float]] = {k: sorted(v) for k, v in results["samples"].items()}
    floor = _percentile(samples.get(FLOOR, []), 0.95)
    names = list(GROUPS) + sorted(n for n in samples if n not in GROUPS)
    lines: list[dict[str, Any]] = []
    for name in names:
        values = samples.get(name, [])
        errors = sum(results["errors"].get(name, {}).values())
        p95 = _percentile(values, 0.95)
        line: dict[str, Any] = {
            "name": f"load_{name}",
            "requests": len(values),
            "rps": round(len(values) / seconds, 2),
            "p50_ms": _round(_percentile(values, 0.5)),
            "p95_ms": _round(p95),
            "max_ms": _round(values[-1] if values else math.nan),
            "errors": errors,
            "users": users,
            "duration_s": round(seconds, 1),
            "floor_p95_ms": _round(floor),
            "ratio": _round(p95 / floor, 2) if values and floor else None,
        }
        if name in server:
            times = sorted(server[name])
            line["server_p50_ms"] = _round(_percentile(times, 0.5))
            line["server_p95_ms"] = _round(_percentile(times, 0.95))
        if GROUPS.get(name) is not None:
            line["goal_p95_ms"] = GROUPS[name]
        if errors:
            line["error_kinds"] = results["errors"][name]
        lines.append(line)

    def met(name: str) -> bool:
        goal = GROUPS[name]
        p95 = _percentile(samples.get(name, []), 0.95)
        return goal is not None and not math.isnan(p95) and p95 < goal

    ramp = results.get("ramp_up", {"samples": {}, "errors": {}})
    for name, values in sorted(ramp["samples"].items()):
        values = sorted(values)
        errors = sum(ramp["errors"].get(name, {}).values())
        line = {
            "name": f"load_rampup_{name}",
            "requests": len(values),
            "p50_ms": _round(_percentile(values, 0.5)),
            "p95_ms": _round(_percentile(values, 0.95)),
            "max_ms": _round(values[-1] if values else math.nan),
            "errors": errors,
            "users": users,
            "note": "before the window: every simulated user logs in once while they start",
        }
        if errors:
            line["error_kinds"] = ramp["errors"][name]
        lines.append(line)
    total_errors = sum(sum(v.values()) for v in results["errors"].values())
    total_errors += sum(sum(v.values()) for v in ramp["errors"].values())
    goals = {
        "autosave_p95_lt_150ms": met("autosave"),
        "dashboard_p95_lt_300ms": met("city_dashboard") and met("national_dashboard"),
        "zero_errors": total_errors == 0,
    }
    # The headline groups side by side: p95 against its goal (None: no goal) and the floor.
    p95s = {}
    for name in GROUPS:
        p95 = _percentile(samples.get(name, []), 0.95)
        p95s[name] = {
            "p95_ms": _round(p95),
            "goal_p95_ms": GROUPS[name],
            "met": met(name) if GROUPS[name] is not None else None,
            "errors": sum(results["errors"].get(name, {}).values()),
        }
    lines.append(
        {
            "name": "load_summary",
            "users": users,
            "mix": results["mix"],
            "duration_s": round(seconds, 1),
            "requests": sum(len(v) for v in samples.values()),
            "rps": round(sum(len(v) for v in samples.values()) / seconds, 2),
            "errors": total_errors,
            "notes": results["notes"],
            "ready_after_spawn_s": results.get("ready_after_spawn_s"),
            "cores": os.cpu_count(),
            "gunicorn_workers": workers,
            "floor_p95_ms": _round(floor),
            "p95_vs_goals": p95s,
            **cpu,
            "goals": goals,
            "goal_met": all(goals.values()),
            "goal_cores": GOAL_CORES,
        }
    )
    return lines


def _where_cpu_went(cpu: dict[str, Any], requests: int) -> dict[str, Any]:
    """The window's CPU by consumer: ours (gunicorn, the PDF worker, PostgreSQL's backends of
    the bench database, locust, Redis), everything else on the machine, and idle; in CPU
    seconds and as a share of what the cores offered. Printed as the `load_cpu` line."""
    ran: dict[str, float] = cpu.get("cpu_s") or {}
    offered = cpu.get("cpu_offered_s")
    busy = cpu.get("machine_cpu_busy_s")
    if not ran or not offered or busy is None:
        return {"name": "load_cpu", "note": "not sampled"}
    ours = sum(ran.values())
    consumers = {**ran, "other_processes": round(max(0.0, busy - ours), 1)}
    consumers["idle"] = round(max(0.0, offered - busy), 1)
    gunicorn = ran.get("gunicorn", 0.0)
    return {
        "name": "load_cpu",
        "window_s": cpu.get("window_sampled_s"),
        "cpu_offered_s": round(offered, 1),
        "cpu_s": consumers,
        "share_pct": {k: round(100 * v / offered, 1) for k, v in consumers.items()},
        "gunicorn_cpu_ms_per_request": round(1000 * gunicorn / requests, 1) if requests else None,
        "runqueue_wait_s": cpu.get("runqueue_wait_s"),
        "note": (
            "Redis is the shared server (every database of it); other_processes is what the rest"
            " of the machine used (other runs, and the last second of our processes that ended)"
        ),
    }


def _tree(pid: int) -> list[int]:
    import psutil

    try:
        root = psutil.Process(pid)
        return [root.pid, *(child.pid for child in root.children(recursive=True))]
    except psutil.Error:
        return []


def _schedstat(pids: list[int]) -> dict[int, tuple[float, float]]:
    """Per process: seconds on a CPU, seconds runnable but waiting for one (/proc/PID/schedstat)."""
    found = {}
    for pid in pids:
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = Path(f"/proc/{pid}/schedstat").read_text().split()
            found[pid] = (int(fields[0]) / 1e9, int(fields[1]) / 1e9)
    return found


def _redis_server(url: str) -> list[int]:
    """The local redis-server serving `url` (its port on the command line), if there is one."""
    from urllib.parse import urlsplit

    import psutil

    parts = urlsplit(url)
    if parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        return []
    port = str(parts.port or 6379)
    found = []
    for proc in psutil.process_iter(["name", "cmdline"]):
        with contextlib.suppress(psutil.Error):
            if (proc.info["name"] or "").startswith("redis-server"):
                found.append((port in " ".join(proc.info["cmdline"] or []), proc.pid))
    found.sort(reverse=True)
    return [found[0][1]] if found else []


class Sampler:
    """Once a second while locust runs: CPU time and run-queue wait of our processes (gunicorn,
    the worker, locust, the PostgreSQL backends of the bench database) and the machine's CPU
    times, so the measured window can be told apart from the ramp-up (logins) afterwards. The
    machine is shared: `runqueue_wait_s` is how long our processes were ready to run but had
    no CPU, which is what other load on the box costs us."""

    def __init__(self, processes: Processes, database_url: str, redis_url: str) -> None:
        self.processes = processes
        self.database_url = database_url.replace("postgres://", "postgresql://", 1)
        self.redis = _redis_server(redis_url)
        self.samples: list[tuple[float, dict[str, dict[int, tuple[float, float]]], Any]] = []
        self.connection: Any = None

    def _backends(self) -> list[int]:
        import psycopg

        try:
            if self.connection is None:
                self.connection = psycopg.connect(self.database_url, autocommit=True)
            rows = self.connection.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                " AND pid <> pg_backend_pid()"
            ).fetchall()
            return [pid for (pid,) in rows]
        except psycopg.Error:
            return []

    def sample(self) -> None:
        import psutil

        groups = {name: _tree(p.pid) for name, p in self.processes.running.items()}
        groups["postgres"] = self._backends()
        if self.redis:
            groups["redis"] = self.redis
        stats = {name: _schedstat(pids) for name, pids in groups.items()}
        self.samples.append((time.time(), stats, psutil.cpu_times()))

    def close(self) -> None:
        if self.connection is not None:
            with contextlib.suppress(Exception):
                self.connection.close()

    def window(self, start: float, end: float) -> dict[str, Any]:
        inside = [s for s in self.samples if start <= s[0] <= end]
        if len(inside) < 2:
            return {}
        (t0, first, cpu0), (t1, _, cpu1) = inside[0], inside[-1]
        ran: dict[str, float] = {}
        waited: dict[str, float] = {}
        for name in {name for _, stats, _ in inside for name in stats}:
            before = first.get(name, {})
            # Each process's last sample in the window (samples are a second apart): one that
            # ended inside it (a recycled PDF child or gunicorn worker, a closed PostgreSQL
            # connection) counts up to its last second; one that started inside counts from 0.
            seen: dict[int, tuple[float, float]] = {}
            for _, stats, _ in inside:
                seen.update(stats.get(name, {}))
            ran[name] = round(
                sum(r - before.get(pid, (0.0, 0.0))[0] for pid, (r, _) in seen.items()), 1
            )
            waited[name] = round(
                sum(w - before.get(pid, (0.0, 0.0))[1] for pid, (_, w) in seen.items()), 1
            )
        total = sum(cpu1) - sum(cpu0)
        idle = (cpu1.idle + getattr(cpu1, "iowait", 0)) - (cpu0.idle + getattr(cpu0, "iowait", 0))
        return {
            "window_sampled_s": round(t1 - t0, 1),
            "machine_cpu_busy_pct": round(100 * (1 - idle / total), 1) if total else None,
            "machine_cpu_busy_s": round(total - idle, 1),
            "cpu_offered_s": round(total, 1),
            "cpu_s": ran,
            "runqueue_wait_s": waited,
        }


def _log_cpu(line: dict[str, Any]) -> None:
    """Where the CPU went, in one sentence on stderr (the `load_cpu` line in words)."""
    shares = line.get("share_pct")
    if not shares:
        return
    parts = ", ".join(
        f"{name} {line['cpu_s'][name]:.0f} s ({pct:.0f}%)"
        for name, pct in sorted(shares.items(), key=lambda kv: -kv[1])
    )
    _log(f"where the CPU went ({line['cpu_offered_s']:.0f} CPU-s offered): {parts}")


# --- main ------------------------------------------------------------------------------------


def _mix(users: int, text: str | None) -> dict[str, int]:
    if text:
        mix = {role: int(n) for role, n in (p.split("=") for p in text.split(","))}
        unknown = set(mix) - set(ROLES)
        if unknown:
            sys.exit(f"--mix: unknown roles {sorted(unknown)} (known: {', '.join(ROLES)})")
        return mix
    # 68% enterprises, 16% city officials, 8% ministry, 4% assessors, 4% floor
    # (50 → 34 / 8 / 4 / 2 / 2; 200 → 136 / 32 / 16 / 8 / 8).
    floor = max(1, round(users * 0.04))
    assessor = max(1, round(users * 0.04))
    ministry = max(1, round(users * 0.08))
    city = max(1, round(users * 0.16))
    return {
        "enterprise": users - floor - assessor - ministry - city,
        "city": city,
        "ministry": ministry,
        "assessor": assessor,
        "floor": floor,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--users", type=int, default=50, help="simulated users (default 50)")
    parser.add_argument(
        "--mix",
        help="users per role, e.g. enterprise=34,city=8,ministry=4,assessor=2,floor=2",
    )
    parser.add_argument("--duration", type=float, default=300, help="measured seconds")
    parser.add_argument("--warmup", type=float, default=20, help="seconds after the last login")
    parser.add_argument("--spawn-rate", type=float, default=2, help="users started per second")
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    parser.add_argument("--pdf-concurrency", type=int, default=1, help="Celery worker processes")
    parser.add_argument("--port", type=int, default=18080)
    parser.add_argument("--enterprises", type=int, default=100_000)
    parser.add_argument("--cities", type=int, default=100)
    parser.add_argument("--enterprise-accounts", type=int, default=500)
    parser.add_argument(
        "--queue-per-city", type=int, default=40, help="submitted self-assessments per city"
    )
    parser.add_argument("--reuse", action="store_true", help="keep a data set of the same shape")
    parser.add_argument("--collectstatic", action="store_true", help="even if it looks fresh")
    parser.add_argument(
        "--database-url", default=os.environ.get("BENCH_LOAD_DATABASE_URL", DEFAULT_DB)
    )
    parser.add_argument(
        "--redis-url", default=os.environ.get("BENCH_LOAD_REDIS_URL", DEFAULT_REDIS)
    )
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "load")
    args = parser.parse_args(argv)

    mix = _mix(args.users, args.mix)
    users = sum(mix.values())
    if "bench" not in args.database_url.rsplit("/", 1)[-1]:
        sys.exit("--database-url: the database's name must contain 'bench' (it is rebuilt)")
    if mix.get("enterprise", 0) > args.enterprise_accounts:
        sys.exit("more simulated enterprises than enterprise accounts (--enterprise-accounts)")
    if max(mix.get("assessor", 0), mix.get("city", 0)) > args.cities:
        sys.exit("more simulated assessors or city officials than cities (one account each)")
    out = args.out.resolve()
    (out / "logs").mkdir(parents=True, exist_ok=True)
    for old in (out / "logs").glob("*.log"):
        old.unlink()
    processes = Processes(out / "pids.json")
    processes.stop_leftovers()
    if not _port_free(args.port):
        sys.exit(f"port {args.port} is in use: pick another with --port")

    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _raise_on_signal)
    base_env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CELERY_"))}
    base_env.pop("REDIS_URL", None)
    base_env["DATABASE_URL"] = args.database_url
    try:
        # 1. data, built with the development settings and no Redis (nothing is queued).
        accounts = out / "accounts.json"
        setup = [sys.executable, "-m", "bench.load_data", str(accounts)]
        setup += ["--cities", str(args.cities), "--enterprises", str(args.enterprises)]
        setup += ["--enterprise-accounts", str(args.enterprise_accounts)]
        setup += ["--queue-per-city", str(args.queue_per_city)]
        setup += ["--reuse"] if args.reuse else []
        env = {**base_env, "DJANGO_SETTINGS_MODULE": "sme_pilot.settings.local"}
        subprocess.run(setup, cwd=ROOT, env={**env, "DJANGO_DEBUG": "0"}, check=True)

        # 2. the production stack.
        _flush_redis(args.redis_url)
        media = out / "media"
        shutil.rmtree(media, ignore_errors=True)
        prod = {
            **base_env,
            "DJANGO_SETTINGS_MODULE": "sme_pilot.settings.production",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "BEHIND_PROXY": "1",  # client addresses from X-Real-IP, as behind nginx
            "REDIS_URL": args.redis_url,
            "CELERY_QUEUE": QUEUE,
            "MEDIA_ROOT": str(media),
            "LOG_DIR": str(out / "logs"),
            "LOG_FORMAT": "json",
            "LOG_LEVEL": "WARNING",
        }
        if args.collectstatic or not _static_is_fresh(ROOT / "staticfiles"):
            _log("collectstatic (compressed, hashed; a few minutes on a busy machine)")
            collect = [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"]
            subprocess.run(collect, cwd=ROOT, env=prod, check=True)
        processes.start(
            "celery",
            [
                str(BIN / "celery"),
                *("-A", "sme_pilot", "worker", "-Q", f"{QUEUE},{QUEUE}.pdf"),
                # As `deploy/bin/sme-pilot worker-pdf`, on both queues (only reports are queued).
                *("--concurrency", str(args.pdf_concurrency), "--prefetch-multiplier", "1"),
                *("--max-tasks-per-child", "20", "--max-memory-per-child", "1500000"),
                *("-l", "warning", "-n", f"load-bench-{os.getpid()}@%h"),
                *("--without-gossip", "--without-mingle"),
            ],
            env=prod,
            log=out / "logs" / "celery.log",
        )
        url = f"http://127.0.0.1:{args.port}"
        processes.start(
            "gunicorn",
            _gunicorn_argv(args.port, args.workers),
            env={
                **prod,
                "GUNICORN_BIND": f"127.0.0.1:{args.port}",
                "WEB_CONCURRENCY": str(args.workers),
                "GUNICORN_LOG_LEVEL": "warning",
            },
            log=out / "logs" / "gunicorn.log",
        )
        _wait_ready(url, processes)
        _log(
            f"gunicorn ({args.workers} workers) and a Celery worker are up on {url}; "
            f"locust: {users} users {mix}, {args.warmup:.0f} s warm-up, {args.duration:.0f} s"
        )

        # 3. locust.
        samples = out / "samples.json"
        with contextlib.suppress(FileNotFoundError):
            samples.unlink()
        classes = {
            "enterprise": "EnterpriseUser",
            "city": "CityOfficialUser",
            "ministry": "MinistryUser",
            "assessor": "AssessorUser",
            "floor": "FloorUser",
        }
        spawn_s = users / args.spawn_rate
        limit = math.ceil(spawn_s + args.warmup + args.duration + 240)
        locust_env = {
            **base_env,
            "LOAD_ACCOUNTS": str(accounts),
            "LOAD_RESULTS": str(samples),
            "LOAD_WARMUP": str(args.warmup),
            "LOAD_DURATION": str(args.duration),
            "LOAD_MIX": ",".join(f"{k}={v}" for k, v in mix.items()),
        }
        sampler = Sampler(processes, args.database_url, args.redis_url)
        processes.start(
            "locust",
            [str(BIN / "locust"), "-f", str(ROOT / "bench" / "locustfile.py"), "--headless"]
            + ["-u", str(users), "-r", str(args.spawn_rate), "--host", url]
            + ["--run-time", f"{limit}s", "--stop-timeout", "5", "--only-summary"]
            + ["--loglevel", "WARNING"]
            + [classes[role] for role, n in mix.items() if n > 0],
            env=locust_env,
            log=out / "logs" / "locust.log",
        )
        locust = processes.running["locust"]
        while locust.poll() is None:
            processes.check_alive("gunicorn", "celery")
            sampler.sample()
            time.sleep(1)
        sampler.close()
        if not samples.exists():
            raise RuntimeError("locust ended without writing its samples (see logs/locust.log)")

        # 4. results.
        results = json.loads(samples.read_text(encoding="utf-8"))
        server = _server_times(out / "logs" / "access.log", results["window"])
        machine = {
            "load_avg_1m": round(os.getloadavg()[0], 2),
            **sampler.window(*results["window"]),
        }
        lines = _report(results, server=server, cpu=machine, workers=args.workers)
        summary = lines[-1]
        lines.insert(-1, _where_cpu_went(machine, summary["requests"]))
        for line in lines:
            print(json.dumps(line, ensure_ascii=False), flush=True)
        _log_cpu(lines[-2])
        return 0
    except KeyboardInterrupt:
        _log("interrupted: stopping gunicorn, the worker and locust")
        return 130
    finally:
        processes.stop_all()


if __name__ == "__main__":
    sys.exit(main())
