"""`make bench`: every benchmark in turn, at the quick scale or at national scale.

    python -m bench.suite                 # 100,000 enterprises (the quick default)
    python -m bench.suite --scale 1m      # 1,000,000 enterprises, 2,000,000 assessments
    python -m bench.suite --only compliance,funnel

Each benchmark runs as its own process (`python -m bench.<name> ARGS`) against
`BENCH_DATABASE_URL` (default `postgres://postgres@127.0.0.1:5432/sme_bench`) with the local
settings and, as in production, Redis as the cache (`BENCH_REDIS_URL`, default database 6 of the
local Redis; the dashboards' cached timings mean nothing with an in-process cache). Each prints
its result last as one JSON line; this prints those lines, then stops at the first failure.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

# name → arguments at each scale (projects: 60 % of the roster has one, as in bench.pilot).
SCALES: dict[str, dict[str, list[str]]] = {
    "100k": {
        "import_enterprises": [],
        "scoring": [],
        "rescore": [],
        "compliance": ["--projects", "60000"],
        "reports": [],
        "funnel": [],
        "import_projects": [],
        "funds": [],
        "provider_scores": [],
    },
    "1m": {
        "import_enterprises": ["--rows", "1000000"],
        "scoring": [],
        "rescore": ["--assessments", "2000000", "--enterprises", "1000000"],
        "compliance": [
            "--enterprises",
            "1000000",
            "--per-enterprise",
            "2",
            "--projects",
            "600000",
        ],
        "reports": ["--enterprises", "1000000"],
        "funnel": ["--enterprises", "1000000", "--projects", "600000"],
        "import_projects": ["--enterprises", "1000000", "--projects", "600000"],
        "funds": ["--enterprises", "1000000", "--projects", "600000"],
        "provider_scores": ["--enterprises", "1000000", "--projects", "600000"],
    },
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="run every benchmark")
    parser.add_argument("--scale", choices=sorted(SCALES), default="100k")
    parser.add_argument("--only", default="", help="comma-separated names")
    args = parser.parse_args(argv)
    benches = SCALES[args.scale]
    names = [n.strip() for n in args.only.split(",") if n.strip()] or list(benches)
    unknown = sorted(set(names) - set(benches))
    if unknown:
        parser.error(f"unknown benchmarks: {', '.join(unknown)}")
    env = {
        **os.environ,
        "DATABASE_URL": os.environ.get(
            "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/sme_bench"
        ),
        "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/6"),
        "DJANGO_SETTINGS_MODULE": "sme_pilot.settings.local",
    }
    for name in names:
        print(f"== bench.{name} {' '.join(benches[name])}", flush=True)
        done = subprocess.run(
            [sys.executable, "-m", f"bench.{name}", *benches[name]], env=env, check=False
        )
        if done.returncode:
            return done.returncode
    return 0


if __name__ == "__main__":
    sys.exit(main())
