"""P5: time from starting `buurbot console` to its first prompt on the screen.

Runs the console as a fresh process (a new empty SQLite database each run, so
the first-start migration is included, and a warm one) and times until the
greeting is printed. Prints the figures and writes benchmarks/results/startup.json.

    .venv/bin/python -m benchmarks.startup [--runs 5] [--as-is]

Python's bytecode cache is on, as where the bot is installed: an untimed start
fills it first (in a folder of its own, PYTHONPYCACHEPREFIX, so the working tree
is not touched). A shell with PYTHONDONTWRITEBYTECODE=1 (this sandbox has it)
compiles every module of the project at every start, about 0.2 s more;
`--as-is` keeps the environment as it is, to measure that.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"


def time_to_first_prompt(db: Path, environment: dict[str, str]) -> float:
    return start_once(db, environment)[0]


def start_once(db: Path, environment: dict[str, str]) -> tuple[float, float]:
    """Seconds to the first prompt, and the CPU seconds of the whole process (start,
    greeting, and its exit at the end of input): the CPU is what a loaded machine changes
    least."""
    cpu = _children_cpu()
    env = {k: v for k, v in environment.items() if not k.startswith("BUURBOT_")}
    env["BUURBOT_DATABASE_URL"] = f"sqlite+aiosqlite:///{db}"
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "console", "--as", "Anna", "--lang", "nl"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        cwd=db.parent,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    elapsed = time.perf_counter() - started
    process.communicate(input=b"", timeout=30)
    if not line.strip():
        raise RuntimeError("the console printed nothing")
    return elapsed, _children_cpu() - cpu


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--as-is",
        action="store_true",
        help="keep PYTHONDONTWRITEBYTECODE and the cache as they are",
    )
    args = parser.parse_args()
    runs = args.runs
    cold, warm, warm_cpu = [], [], []
    with tempfile.TemporaryDirectory() as folder:
        environment = dict(os.environ)
        if args.as_is:
            bytecode = "as the environment has it: " + (
                "compiled at every start (PYTHONDONTWRITEBYTECODE)"
                if environment.get("PYTHONDONTWRITEBYTECODE")
                else "cached"
            )
        else:
            environment.pop("PYTHONDONTWRITEBYTECODE", None)
            environment["PYTHONPYCACHEPREFIX"] = str(Path(folder) / "pycache")
            # The compiled catalogs in a cache of this run's own (filled by the same
            # untimed start): the shared ~/.cache/buurbot holds one version per language,
            # and other checkouts of the project on this machine replace it.
            environment["XDG_CACHE_HOME"] = str(Path(folder) / "cache")
            time_to_first_prompt(Path(folder) / "fill-the-cache.db", environment)
            bytecode = "cached (filled by an untimed start)"
        for run in range(runs):
            db = Path(folder) / f"cold-{run}.db"
            cold.append(time_to_first_prompt(db, environment))
            seconds, cpu = start_once(db, environment)
            warm.append(seconds)
            warm_cpu.append(cpu)
    figures = {
        "benchmark": "console start to first prompt",
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}",
        "load_average_1min": round(os.getloadavg()[0], 1),
        "bytecode": bytecode,
        "runs": runs,
        "first_start_median_s": round(statistics.median(cold), 3),
        "first_start_max_s": round(max(cold), 3),
        "warm_start_median_s": round(statistics.median(warm), 3),
        "warm_start_max_s": round(max(warm), 3),
        "warm_start_cpu_median_s": round(statistics.median(warm_cpu), 3),
        "goal_s": 1.0,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    name = "startup-as-is.json" if args.as_is else "startup.json"
    (RESULTS / name).write_text(json.dumps(figures, indent=2))
    for key, value in figures.items():
        print(f"{key:24} {value}")


if __name__ == "__main__":
    main()
