"""What the benchmarks share: database names, the app against a bench database,
timing, the machine's description, and where results go.

Benchmarks are scripts, run from the repository root with the project's venv:
``.venv/bin/python bench/<name>.py --help``. Nothing here is imported by the
application or the test suite.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"  # gitignored: databases, JSON results, logs
DOCS = ROOT / "docs"
sys.path.insert(0, str(ROOT))

ENGINES = ("sqlite", "postgresql")
PG_SERVER = os.environ.get("BENCH_PG_SERVER", "postgresql+psycopg://root@127.0.0.1:5432")
# Several people benchmarking on one PostgreSQL server each keep their own
# databases: BENCH_PG_PREFIX=kindred_bench_mine (it must start with kindred_bench).
PG_PREFIX = os.environ.get("BENCH_PG_PREFIX", "kindred_bench")
BENCH_EMAIL = "bench@example.com"
BENCH_PASSWORD = "bench-password-for-load-tests"  # a throwaway account in a throwaway database
BENCH_SECRET_KEY = "bench-" + "k" * 40


def size_label(count: int) -> str:
    """10000 -> "10k", 100000 -> "100k", 1500 -> "1500"."""
    return f"{count // 1000}k" if count % 1000 == 0 and count >= 1000 else str(count)


def parse_size(text: str) -> int:
    """ "10k" -> 10000, "2500" -> 2500."""
    match = re.fullmatch(r"(\d+)([kK]?)", text.strip())
    if not match:
        raise ValueError(f"not a size: {text!r}")
    return int(match[1]) * (1000 if match[2] else 1)


def database_url(engine: str, volunteers: int) -> str:
    """The bench database of ``engine`` for a community of ``volunteers``."""
    label = size_label(volunteers)
    if engine == "sqlite":
        return f"sqlite:///{RESULTS / f'bench-{label}.sqlite3'}"
    if engine == "postgresql":
        return f"{PG_SERVER}/{PG_PREFIX}_{label}"
    raise ValueError(f"unknown engine {engine!r}")


def check_bench_url(url: str) -> None:
    """Refuse to touch anything that is not a bench database."""
    name = url.rsplit("/", 1)[-1]
    if url.startswith("postgresql") and not name.startswith("kindred_bench"):
        raise SystemExit(f"refusing to use {name!r}: bench databases are named kindred_bench*")
    if name.startswith("kindred_test"):
        raise SystemExit("refusing to touch a test database")


def make_app(url: str, **config: Any):
    """The real application against the bench database ``url``."""
    from community import create_app

    settings = {
        "SQLALCHEMY_DATABASE_URI": url,
        "ENV_NAME": "development",
        "SECRET_KEY": BENCH_SECRET_KEY,
        "INSTANCE_PATH": str(RESULTS / "instance"),
        "MAIL_FILE_DIR": str(RESULTS / "mail"),
        "IN_PROCESS_SCHEDULER": False,
        "RATELIMIT_ENABLED": False,
    }
    settings.update(config)
    return create_app(settings)


def timings(
    run: Callable[[], Any], *, repeat: int, warmup: int = 1, budget: float = 600
) -> list[float]:
    """Wall-clock seconds of ``repeat`` calls of ``run`` after ``warmup`` untimed ones.

    Stops early (with at least one timing) once ``budget`` seconds have gone.
    """
    for _ in range(warmup):
        run()
    results: list[float] = []
    started = time.perf_counter()
    for _ in range(repeat):
        begin = time.perf_counter()
        run()
        results.append(time.perf_counter() - begin)
        if time.perf_counter() - started > budget:
            break
    return results


def median(values: list[float]) -> float:
    return statistics.median(values)


def fmt_seconds(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds:.2f} s"


def _run(command: list[str]) -> str:
    try:
        return subprocess.run(command, capture_output=True, text=True, check=False).stdout
    except OSError:
        return ""


def postgres_version() -> str | None:
    try:
        import psycopg

        url = PG_SERVER.replace("postgresql+psycopg://", "postgresql://") + "/postgres"
        with psycopg.connect(url, connect_timeout=3) as connection:
            return connection.execute("SHOW server_version").fetchone()[0]
    except Exception:
        return None


def machine() -> dict[str, Any]:
    """The machine and software the figures were taken on."""
    lscpu = _run(["lscpu"])
    fields = dict(
        (key.strip(), value.strip())
        for key, _, value in (line.partition(":") for line in lscpu.splitlines())
        if value
    )
    memory = _run(["free", "-h"]).splitlines()
    total = memory[1].split()[1] if len(memory) > 1 else "?"
    return {
        "cpu": fields.get("Model name", platform.processor() or "?"),
        "cpus": int(fields.get("CPU(s)", os.cpu_count() or 0)),
        "hypervisor": fields.get("Hypervisor vendor"),
        "memory": total,
        "os": platform.platform(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": postgres_version(),
        "wrk": _run(["wrk", "--version"]).split(" [")[0] if shutil.which("wrk") else None,
        # Other work on the machine while the figures were taken (1, 5, 15 minutes).
        "load_average": [round(value, 2) for value in os.getloadavg()],
    }


def save_results(name: str, data: dict[str, Any]) -> Path:
    """Write ``bench/results/<name>.json`` (with the machine) and return its path."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    data = {"machine": machine(), "taken_at": time.strftime("%Y-%m-%d %H:%M %Z"), **data}
    path.write_text(json.dumps(data, indent=2, default=str) + "\n")
    return path
