"""P5: time from starting `buurbot console` to its first prompt on the screen.

Runs the console as a fresh process (a new empty SQLite database each run, so
the first-start migration is included, and a warm one) and times until the
greeting is printed. Prints the figures and writes benchmarks/results/startup.json.

    .venv/bin/python -m benchmarks.startup [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"


def time_to_first_prompt(db: Path) -> float:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BUURBOT_")}
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
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    cold, warm = [], []
    with tempfile.TemporaryDirectory() as folder:
        for run in range(runs):
            db = Path(folder) / f"cold-{run}.db"
            cold.append(time_to_first_prompt(db))
            warm.append(time_to_first_prompt(db))
    figures = {
        "benchmark": "console start to first prompt",
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}",
        "runs": runs,
        "first_start_median_s": round(statistics.median(cold), 3),
        "first_start_max_s": round(max(cold), 3),
        "warm_start_median_s": round(statistics.median(warm), 3),
        "warm_start_max_s": round(max(warm), 3),
        "goal_s": 1.5,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "startup.json").write_text(json.dumps(figures, indent=2))
    for key, value in figures.items():
        print(f"{key:24} {value}")


if __name__ == "__main__":
    main()
