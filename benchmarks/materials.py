"""How long the paper takes: a poster, a door letter, a tally sheet, an action's .ics and
a programme report with two districts, each made N times (``--times``, default 5) after
one warm-up; prints the median and the worst, and the one-off import of WeasyPrint.

    .venv/bin/python -m benchmarks.materials [--times 5]

The chat makes PDFs in a worker thread, so these seconds are a wait for the one who
asked, never for anyone else's replies.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime

from bot.domain.impact import factor_set
from bot.i18n import texts_for
from bot.views.materials import Sheet, letter_pdf, poster_pdf, tally_pdf
from bot.views.materials.calendar import action_ics
from bot.views.report import report_pdf
from storage.models import Action


def measure(name: str, make: Callable[[], bytes], times: int) -> None:
    make()  # warm-up: templates, fonts
    seconds, size = [], 0
    for _ in range(times):
        start = time.perf_counter()
        size = len(make())
        seconds.append(time.perf_counter() - start)
    print(
        f"{name:10} median {statistics.median(seconds) * 1000:7.1f} ms   "
        f"worst {max(seconds) * 1000:7.1f} ms   {size / 1024:6.1f} KiB"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--times", type=int, default=5)
    times = parser.parse_args().times
    start = time.perf_counter()
    import weasyprint  # noqa: F401

    print(f"import WeasyPrint: {(time.perf_counter() - start) * 1000:.0f} ms (once per process)")
    texts = texts_for("nl")
    sheet = Sheet(
        title="Tegel eruit, plant erin",
        link="https://t.me/buurbot_bot?start=act-AbCdEfGh12345678",
        organiser="Anna",
        when="zaterdag 12 december om 14:00",
        place="Lindelaan 12",
        summary="Op een tegelwipdag halen buren samen tegels uit hun tuin.",
        bring=("Werkhandschoenen", "Een schep"),
        owner="Gemeente Eindhoven",
        body=("Op een tegelwipdag halen buren samen tegels uit hun tuin.", "Iedereen is welkom."),
    )
    measure("poster", lambda: poster_pdf(sheet, texts), times)
    measure("letter", lambda: letter_pdf(sheet, texts), times)
    measure("tally", lambda: tally_pdf(sheet, texts), times)
    action = Action(
        id=1, initiative_id=1, title="Tegelwipdag", place="Lindelaan 12",
        starts_at=datetime(2027, 3, 28, 13, tzinfo=UTC),
    )  # fmt: skip
    now = datetime.now(UTC)
    measure(
        ".ics",
        lambda: action_ics(
            action, description="x", url="https://t.me/x", bot_username="b", now=now
        ),
        times,
    )
    factors = factor_set()
    part = {
        "initiatives": 12,
        "per_phase": {"initiate": 2, "activate": 3, "structure": 3, "grow": 3, "sustain": 1},
        "actions_held": 20,
        "turnout": 310,
        "impact": {"counted": {"tiles_removed": 3400}, "figures": []},
    }
    data = {
        "title": "Tegelwippen Eindhoven", "owner": "Gemeente Eindhoven",
        "period": "2027-03-21 – 2027-10-31", "computed_at": now.isoformat(), "frozen": True,
        "factor_set": {"id": factors.id, "title": factors.title}, "factors": [],
        "targets": [{"key": "actions_held", "target": 40, "result": 20}],
        "total": part, "districts": [{"label": "5611–5629", **part}, {"label": "Woensel", **part}],
        "initiatives_list": [{"title": f"Straat {n}", "phase": "grow", "actions_held": 2,
                              "turnout": 30} for n in range(12)],
    }  # fmt: skip
    measure("report", lambda: report_pdf(data, texts), times)


if __name__ == "__main__":
    main()
