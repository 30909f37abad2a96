"""Outcomes and their impact: the kit's outcome questions are checked, every factor is
cited and dated, a published programme total is reproduced within 1 %, nothing is
counted twice, and the programme report's numbers are the database's (CSV and PDF),
frozen once its period has ended."""

from __future__ import annotations

import argparse
import csv
import io
import os
import shutil
import subprocess
import tomllib
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from bot.domain.impact import (
    COUNTED,
    ESTIMATED,
    FACTORS_FILE,
    LIFETIME,
    PER_YEAR,
    compute,
    factor_set,
    factor_sets,
    main,
    parse_factor_sets,
)
from bot.domain.impact.quantities import QUANTITIES
from bot.domain.kits import KitError, load_kits
from bot.domain.programmes import parse_district
from bot.report_cli import run_report_command
from storage.models import (
    Action,
    ActionStatus,
    Initiative,
    Outcome,
    OutcomeSource,
    Phase,
    Programme,
)
from tests.conftest import REQUIRE_SERVICES

KIT = Path(__file__).resolve().parent.parent / "bot" / "domain" / "kitdata" / "tile-lifting.toml"


def test_fixbrigade_2023_is_reproduced_within_one_percent() -> None:
    """4,597 households; 647,820 m³ gas and 1,587,690 kWh saved; reported as 1,826 t CO₂."""
    impact = compute(
        [{"gas_m3_saved": 647_820, "kwh_saved": 1_587_690}], factor_set("fixbrigade-2023")
    )
    co2 = impact.figure("co2_year")
    assert co2 is not None and co2.basis == ESTIMATED and co2.period == PER_YEAR
    assert abs(co2.value - 1826) / 1826 < 0.01
    assert set(co2.factors) == {"gas_co2", "electricity_co2"}
    # The standard set's 0.48 kg/kWh would not: the programme's own factors matter.
    standard = compute([{"gas_m3_saved": 647_820, "kwh_saved": 1_587_690}]).figure("co2_year")
    assert standard is not None and abs(standard.value - 1826) / 1826 > 0.04


def test_every_factor_is_cited_with_source_address_and_date() -> None:
    assert main(["check"]) == 0
    for each in factor_sets().values():
        for factor in each.factors.values():
            assert factor.source.strip() and factor.url.startswith("https://")
            assert isinstance(factor.date, date) and factor.value > 0
    gas = factor_set()["gas_co2"]
    assert (gas.value, factor_set()["electricity_co2"].value) == (1.78, 0.48)
    assert factor_set()["solar_yield"].low == 0.85 and factor_set()["solar_yield"].high == 0.90
    raw = tomllib.loads(FACTORS_FILE.read_text(encoding="utf-8"))
    del raw["sets"]["nl-2026"]["factors"]["tiles_per_m2"]["date"]
    with pytest.raises(ValueError, match="missing date"):
        parse_factor_sets(raw)


def test_figures_say_counted_or_estimated_and_nothing_is_counted_twice() -> None:
    impact = compute(
        [
            {"tiles_removed": 340},  # no area counted: estimated from the tiles
            {"tiles_removed": 50, "m2_greened": 6},  # area counted: its tiles are not used
            {"homes_cavity_wall": 3, "homes_draughtproofed": 2, "wp_bought": 4000},
        ]
    )
    assert impact.counted["tiles_removed"] == 390 and impact.counted["m2_greened"] == 6
    estimate = impact.figure("m2_from_tiles")
    assert estimate is not None and round(estimate.value, 1) == 30.9  # 340 ÷ 11
    assert estimate.basis == ESTIMATED and estimate.factors == ("tiles_per_m2",)
    assert impact.figure("tiles_removed").basis == COUNTED  # type: ignore[union-attr]
    gas = impact.figure("gas_saved_year")
    assert gas is not None and gas.value == 3 * 340 + 2 * 50
    solar = impact.figure("solar_kwh_year")
    assert solar is not None and (solar.low, solar.value, solar.high) == (3400, 3500, 3600)
    co2 = impact.figure("co2_year")
    assert co2 is not None and round(co2.value, 3) == round((1120 * 1.78 + 3500 * 0.48) / 1000, 3)
    life = impact.figure("co2_lifetime")
    expected = (3 * 340 * 30 + 2 * 50 * 10) * 1.78 + 3500 * 25 * 0.48
    assert (
        life is not None
        and life.period == LIFETIME
        and round(life.value, 2) == round(expected / 1000, 2)
    )


def test_kit_outcome_questions_are_checked(tmp_path: Path) -> None:
    kits = load_kits()
    assert [o.key for o in kits["tile-lifting"].outcomes] == ["tiles_removed", "m2_greened"]
    assert {o.key for o in kits["collective-insulation"].outcomes} == {
        "homes_cavity_wall",
        "homes_floor",
        "homes_roof",
        "homes_glazing",
    }
    for kit in kits.values():
        assert all(
            o.key in QUANTITIES and o.question("nl") and o.question("en") for o in kit.outcomes
        )
    text = KIT.read_text(encoding="utf-8")
    (tmp_path / "tile-lifting.toml").write_text(
        text + '\n[[outcomes]]\nkey = "tiles_removed"\nnl = "Nog eens?"\nen = "Again?"\n'
        '\n[[outcomes]]\nkey = "happiness"\nnl = "Blij?"\nen = "Happy?"\n'
        '\n[[outcomes]]\nkey = "door_yes"\nnl = "Ja?"\n',
        encoding="utf-8",
    )
    with pytest.raises(KitError) as caught:
        load_kits(tmp_path)
    found = str(caught.value)
    assert "'tiles_removed' is asked twice" in found
    assert "'happiness' is not something the bot can count" in found
    assert "'door_yes' is not something the bot can count" in found  # entered at the door


# --- the report, against the database --------------------------------------------------------


async def seed(services) -> int:  # type: ignore[no-untyped-def]
    """Two districts; initiatives, held actions and outcomes in and out of the period."""
    async with services.db.transaction() as session:
        programme = Programme(
            name="Tegelwippen Eindhoven",
            organisation="Gemeente Eindhoven",
            areas=[
                parse_district("5611-5629=9000").as_json(),
                parse_district("5650-5658").as_json(),
            ],
            starts_on=date(2026, 3, 1),
            ends_on=date(2026, 10, 31),
            targets={"initiatives_started": 4, "actions_held": 2, "turnout": 30},
        )
        session.add(programme)
        made = {}
        for name, postcode, phase in (
            ("Groene Lindelaan", "5611", Phase.SUSTAIN),
            ("Bloemrijk Strijp", "5621", Phase.GROW),
            ("Tegelvrij Woensel", "5651", Phase.ACTIVATE),
            ("Elders", "1011", Phase.GROW),  # not in the area
        ):
            initiative = Initiative(
                title=name,
                what="Tegels eruit",
                postcode_area=postcode,
                phase=phase,
                invite_token=f"tok{postcode}xyz1",
                created_at=datetime(2026, 4, 1, tzinfo=UTC),
            )
            session.add(initiative)
            await session.flush()
            made[name] = initiative.id
        for name, day, attended, tiles in (
            ("Groene Lindelaan", datetime(2026, 5, 9, 12, tzinfo=UTC), 20, 340),
            ("Tegelvrij Woensel", datetime(2026, 6, 6, 12, tzinfo=UTC), 7, 110),
            ("Groene Lindelaan", datetime(2026, 11, 7, 12, tzinfo=UTC), 9, 99),  # after
            ("Elders", datetime(2026, 5, 9, 12, tzinfo=UTC), 50, 1000),  # elsewhere
        ):
            action = Action(
                initiative_id=made[name],
                title="Tegelwipdag",
                starts_at=day,
                status=ActionStatus.HELD,
                attended=attended,
            )
            session.add(action)
            await session.flush()
            session.add(
                Outcome(
                    initiative_id=made[name],
                    action_id=action.id,
                    key="tiles_removed",
                    value=tiles,
                    source=OutcomeSource.REVIEW,
                    recorded_at=day,
                )
            )
        session.add(
            Outcome(
                initiative_id=made["Bloemrijk Strijp"],
                key="door_yes",
                value=12,
                source=OutcomeSource.DOOR,
                recorded_at=datetime(2026, 7, 1, tzinfo=UTC),
            )
        )
        await session.flush()
        return programme.id or 0


def report_args(programme: int, out: Path, **extra: str) -> argparse.Namespace:
    values = {"period": None, "format": None, "factors": None, "lang": "nl"} | extra
    return argparse.Namespace(programme=programme, out=str(out), **values)


async def test_the_report_counts_what_the_database_holds_and_freezes_a_past_period(
    sqlite_services,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    services = sqlite_services
    programme = await seed(services)
    settings = services.settings
    csv_file = tmp_path / "report.csv"
    errors = io.StringIO()
    assert (
        await run_report_command(
            settings, report_args(programme, csv_file), services=services, stderr=errors
        )
        == 0
    )
    rows = list(csv.reader(io.StringIO(csv_file.read_text(encoding="utf-8"))))
    value = {(r[0], r[1]): r[3] for r in rows[1:]}
    assert value[("total", "initiatives")] == "3"  # "Elders" lies outside the area
    assert value[("total", "actions_held")] == "2" and value[("total", "turnout")] == "27"
    assert value[("total", "tiles_removed")] == "450"  # November's 99 is after the period
    assert value[("total", "m2_from_tiles")] == "40.91"
    assert value[("total", "door_yes")] == "12"
    assert value[("total", "phase_sustain")] == "1" and value[("total", "phase_activate")] == "1"
    assert value[("5611–5629", "tiles_removed")] == "340"
    assert value[("5650–5658", "tiles_removed")] == "110"
    assert value[("targets", "turnout")] == "27" and value[("targets", "actions_held")] == "2"
    assert ("factors", "tiles_per_m2") in value

    # The period has ended: the figures are frozen; a late entry does not change them.
    async with services.db.transaction() as session:
        session.add(
            Outcome(
                initiative_id=1,
                key="tiles_removed",
                value=500,
                source=OutcomeSource.REVIEW,
                recorded_at=datetime(2026, 4, 15, tzinfo=UTC),
            )
        )
    again = tmp_path / "again.csv"
    assert await run_report_command(settings, report_args(programme, again), services=services) == 0
    assert again.read_bytes() == csv_file.read_bytes()
    # Another period is computed afresh: the late entry counts there.
    june = tmp_path / "april.csv"
    await run_report_command(
        settings, report_args(programme, june, period="2026-04"), services=services
    )
    june_rows = list(csv.reader(io.StringIO(june.read_text(encoding="utf-8"))))
    assert ["total", "tiles_removed", "Tegels eruit", "500"] in [r[:4] for r in june_rows]

    assert (
        await run_report_command(
            settings,
            report_args(programme, tmp_path / "x.pdf", factors="nope"),
            services=services,
            stderr=errors,
        )
        == 2
    )
    assert "unknown factor set 'nope'" in errors.getvalue()
    assert (
        await run_report_command(
            settings, report_args(99, tmp_path / "x.pdf"), services=services, stderr=errors
        )
        == 2
    )
    assert "there is no programme #99" in errors.getvalue()

    pdf = tmp_path / "report.pdf"
    assert await run_report_command(settings, report_args(programme, pdf), services=services) == 0
    text, pages = read_report(pdf)
    for expected in (
        "Impactrapport",
        "Gemeente Eindhoven",
        "Tegelwippen Eindhoven",
        "Doelen en resultaten",
        "Wijk: 5611–5629",
        "Wijk: 5650–5658",
        "Tegels eruit",
        "450",
        "geschat",
        "NK Tegelwippen",  # the source of the one factor used
        "Bevroren",
    ):
        assert expected in text, expected
    assert pages >= 4  # the totals, two districts, the list of initiatives


def read_report(pdf: Path) -> tuple[str, int]:
    """The PDF's text and page count (poppler-utils); a PNG preview when asked for."""
    if shutil.which("pdftotext") is None:
        if REQUIRE_SERVICES:
            pytest.fail("pdftotext missing: apt-get install poppler-utils")
        pytest.skip("pdftotext missing: apt-get install poppler-utils")
    run = subprocess.run
    text = run(["pdftotext", pdf, "-"], capture_output=True, text=True, check=True).stdout
    info = run(["pdfinfo", pdf], capture_output=True, text=True, check=True).stdout
    pages = int(next(x for x in info.splitlines() if x.startswith("Pages:")).split()[1])
    if os.environ.get("BUURBOT_PREVIEWS") == "1":
        target = Path(__file__).resolve().parent.parent / "docs" / "materials"
        target.mkdir(parents=True, exist_ok=True)
        run(
            ["pdftoppm", "-r", "60", "-png", "-f", "1", "-l", "2", pdf, target / "report"],
            check=True,
        )
    return " ".join(text.split()), pages
