"""``buurbot report``: a programme's impact report as PDF or CSV.

    buurbot report --programme ID [--period 2027 | 2027-04 | 2027-03-21..2027-10-31]
                   [--format pdf|csv] [--factors SET] [--lang nl|en] --out report.pdf

The factor set is ``--factors`` (a programme that reports with its own factors names its
set, e.g. ``fixbrigade-2023``), else the standard set of bot/domain/impact/factors.toml. A
period that has ended is frozen with the programme's snapshot on first use, per set.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any


def add_report_command(subparsers: Any) -> None:
    report = subparsers.add_parser("report", help="a programme's impact report (PDF or CSV)")
    report.add_argument("--programme", type=int, required=True, help="the programme's id")
    report.add_argument(
        "--period", default=None, help="2027, 2027-04 or 2027-03-21..2027-10-31 (default: its own)"
    )
    report.add_argument("--format", choices=("pdf", "csv"), default=None)
    report.add_argument(
        "--factors", default=None, help="a factor set of bot/domain/impact/factors.toml"
    )
    report.add_argument("--lang", choices=("nl", "en"), default="nl")
    report.add_argument("--out", required=True, help="the file to write")


async def run_report_command(
    settings: Any, args: argparse.Namespace, *, services: Any = None, stderr: Any = None
) -> int:
    from bot.app import bootstrap
    from bot.domain.impact import factor_set
    from bot.domain.programmes import ProgrammeError
    from bot.i18n import texts_for
    from bot.views.report import parse_period, programme_report, report_csv, report_pdf
    from storage.models import Programme

    err = stderr or sys.stderr
    out = Path(args.out)
    kind = args.format or ("csv" if out.suffix.lower() == ".csv" else "pdf")
    try:
        factors = factor_set(args.factors)
    except KeyError as error:
        print(f"buurbot report: {error.args[0]}", file=err)
        return 2
    own = services is None
    services = services or bootstrap(settings)
    try:
        await services.db.migrate()
        async with services.db.transaction() as session:
            programme = await session.get(Programme, args.programme)
            if programme is None:
                print(f"buurbot report: there is no programme #{args.programme}", file=err)
                return 2
            try:
                period = parse_period(args.period, programme)
            except ProgrammeError as error:
                print(f"buurbot report: {error}", file=err)
                return 2
            data = await programme_report(
                session, programme, period, services.clock.now(), settings.tz, factors
            )
    finally:
        if own:
            await services.db.close()
    texts = texts_for(args.lang, settings.timezone)

    def write() -> int:
        content = report_csv(data, texts) if kind == "csv" else report_pdf(data, texts)
        out.write_bytes(content)
        return len(content)

    size = await asyncio.to_thread(write)
    state = "frozen" if data["frozen"] else "live"
    print(f"buurbot report: wrote {out} ({kind}, {size} bytes, {state} figures)")
    return 0
