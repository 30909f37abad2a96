"""Impact figures: what the counted outcomes mean, by cited and dated factors.

Outcomes are counted where they happen (a kit's questions in the after-action review,
a door tally); this module turns their totals into figures. Every figure says whether
it was counted or estimated, over which period, and which factors made it; the factors
come from ``factors.toml`` beside this file (source, address and date for each), in
named sets a programme chooses from.

No double counting: each outcome belongs to one action (a review asked again replaces
its numbers, see ``bot/domain/outcomes.py``), the area estimated from tiles leaves out every
action whose area was counted, and a saving is taken from one measure once.
"""

from __future__ import annotations

import sys
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from bot.domain.impact.quantities import QUANTITIES, Quantity
from bot.i18n import N_

FACTORS_FILE = Path(__file__).resolve().parent / "factors.toml"
DEFAULT_SET = "nl-2026"

COUNTED = "counted"
ESTIMATED = "estimated"
ONCE = "once"
PER_YEAR = "per_year"
LIFETIME = "lifetime"

BASIS_LABELS = {COUNTED: N_("counted"), ESTIMATED: N_("estimated")}
PERIOD_LABELS = {ONCE: N_("once"), PER_YEAR: N_("per year"), LIFETIME: N_("over its lifetime")}

# The factors every set must have (directly or through the set it extends).
REQUIRED = (
    "gas_co2",
    "electricity_co2",
    "tiles_per_m2",
    "solar_yield",
    "solar_lifetime",
    "cavity_wall_gas",
    "floor_gas",
    "roof_gas",
    "glazing_gas",
    "insulation_lifetime",
    "draught_gas",
    "draught_lifetime",
)
# Homes with a measure -> (factor of its gas saving per home per year, its lifetime factor).
GAS_MEASURES = {
    "homes_cavity_wall": ("cavity_wall_gas", "insulation_lifetime"),
    "homes_floor": ("floor_gas", "insulation_lifetime"),
    "homes_roof": ("roof_gas", "insulation_lifetime"),
    "homes_glazing": ("glazing_gas", "insulation_lifetime"),
    "homes_draughtproofed": ("draught_gas", "draught_lifetime"),
}


class FactorError(ValueError):
    """The factors file is wrong; the message says where."""


@dataclass(frozen=True, slots=True)
class Factor:
    id: str
    value: float
    unit: str
    source: str
    url: str
    date: date
    note: str = ""
    low: float | None = None
    high: float | None = None


@dataclass(frozen=True, slots=True)
class FactorSet:
    id: str
    title: str
    factors: Mapping[str, Factor]

    def __getitem__(self, factor_id: str) -> Factor:
        return self.factors[factor_id]

    def value(self, factor_id: str) -> float:
        return self.factors[factor_id].value


def _factor(set_id: str, factor_id: str, raw: Any) -> Factor:
    where = f"{FACTORS_FILE.name} [sets.{set_id}.factors.{factor_id}]"
    if not isinstance(raw, dict):
        raise FactorError(f"{where}: must be a table")
    missing = [k for k in ("value", "unit", "source", "url", "date") if k not in raw]
    if missing:
        raise FactorError(f"{where}: missing {', '.join(missing)}")
    value = raw["value"]
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise FactorError(f"{where}: value must be a number above 0")
    if not isinstance(raw["date"], date):
        raise FactorError(f"{where}: date must be a date like 2026-12-03 (no quotes)")
    for key in ("unit", "source", "url"):
        if not isinstance(raw[key], str) or not raw[key].strip():
            raise FactorError(f"{where}: {key} must be a text")
    low, high = raw.get("low"), raw.get("high")
    if (low is None) != (high is None) or (
        low is not None and high is not None and not low <= value <= high
    ):
        raise FactorError(f"{where}: low and high come together, around the value")
    return Factor(
        id=factor_id,
        value=float(value),
        unit=raw["unit"],
        source=raw["source"],
        url=raw["url"],
        date=raw["date"],
        note=str(raw.get("note", "")),
        low=None if low is None else float(low),
        high=None if high is None else float(high),
    )


def parse_factor_sets(data: Mapping[str, Any]) -> dict[str, FactorSet]:
    raw_sets = data.get("sets")
    if not isinstance(raw_sets, dict) or not raw_sets:
        raise FactorError(f"{FACTORS_FILE.name}: no [sets.<id>] tables")
    own: dict[str, dict[str, Factor]] = {}
    for set_id, raw in raw_sets.items():
        factors = raw.get("factors", {})
        own[set_id] = {fid: _factor(set_id, fid, each) for fid, each in factors.items()}

    def resolved(set_id: str, seen: tuple[str, ...] = ()) -> dict[str, Factor]:
        if set_id in seen:
            raise FactorError(f"{FACTORS_FILE.name}: sets extend each other in a circle")
        parent = raw_sets[set_id].get("extends")
        if parent is not None and parent not in raw_sets:
            raise FactorError(f"{FACTORS_FILE.name} [sets.{set_id}]: no set {parent!r}")
        base = resolved(parent, (*seen, set_id)) if parent else {}
        return base | own[set_id]

    sets: dict[str, FactorSet] = {}
    for set_id, raw in raw_sets.items():
        factors = resolved(set_id)
        missing = [fid for fid in REQUIRED if fid not in factors]
        if missing:
            raise FactorError(
                f"{FACTORS_FILE.name} [sets.{set_id}]: missing factors {', '.join(missing)}"
            )
        sets[set_id] = FactorSet(set_id, str(raw.get("title", set_id)), factors)
    return sets


@cache
def factor_sets() -> dict[str, FactorSet]:
    with FACTORS_FILE.open("rb") as handle:
        return parse_factor_sets(tomllib.load(handle))


def factor_set(set_id: str | None = None) -> FactorSet:
    """The set with this id (the standard set without one); KeyError names the known ones."""
    sets = factor_sets()
    try:
        return sets[set_id or DEFAULT_SET]
    except KeyError:
        raise KeyError(f"unknown factor set {set_id!r}; known: {', '.join(sets)}") from None


# --- figures ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Figure:
    key: str
    label: str  # msgid
    value: float
    unit: str  # msgid
    basis: str  # COUNTED or ESTIMATED
    period: str  # ONCE, PER_YEAR or LIFETIME
    factors: tuple[str, ...] = ()
    low: float | None = None
    high: float | None = None


@dataclass(frozen=True, slots=True)
class Impact:
    counted: dict[str, int]  # quantity key -> total, as entered
    figures: tuple[Figure, ...]
    factor_set: FactorSet
    used: tuple[Factor, ...] = field(default=())

    def figure(self, key: str) -> Figure | None:
        return next((each for each in self.figures if each.key == key), None)


def totals(per_action: Iterable[Mapping[str, int]]) -> dict[str, int]:
    summed: dict[str, int] = {}
    for outcomes in per_action:
        for key, value in outcomes.items():
            summed[key] = summed.get(key, 0) + int(value)
    return summed


def compute(per_action: Iterable[Mapping[str, int]], factors: FactorSet | None = None) -> Impact:
    """The impact of these outcomes: one mapping of quantity -> number per action (or per
    door round), as entered. Counted quantities are summed as they are; estimates only
    where nothing was counted for the same thing."""
    factors = factors or factor_set()
    actions = [dict(each) for each in per_action]
    counted = totals(actions)
    figures: list[Figure] = []
    used: set[str] = set()

    def add(figure: Figure) -> None:
        if figure.value > 0:
            figures.append(figure)
            used.update(figure.factors)

    for key, quantity in QUANTITIES.items():
        if counted.get(key):
            add(_counted(quantity, counted[key]))

    # Area: counted where counted; estimated from tiles only for the other actions.
    tiles_uncounted = sum(
        each.get("tiles_removed", 0) for each in actions if not each.get("m2_greened")
    )
    add(
        Figure(
            "m2_from_tiles",
            N_("Area greened, from the tiles"),
            tiles_uncounted / factors.value("tiles_per_m2"),
            N_("m²"),
            ESTIMATED,
            ONCE,
            ("tiles_per_m2",),
        )
    )

    # Gas: each measure once, per home, per year; and over the measure's life.
    gas_year = 0.0
    gas_life = 0.0
    gas_factors: list[str] = []
    for key, (saving, lifetime) in GAS_MEASURES.items():
        homes = counted.get(key, 0)
        if homes:
            gas_year += homes * factors.value(saving)
            gas_life += homes * factors.value(saving) * factors.value(lifetime)
            gas_factors += [saving, lifetime]
    add(
        Figure(
            "gas_saved_year",
            N_("Gas saved by the measures"),
            gas_year,
            N_("m³ gas"),
            ESTIMATED,
            PER_YEAR,
            tuple(dict.fromkeys(f for f in gas_factors if not f.endswith("lifetime"))),
        )
    )
    yield_ = factors["solar_yield"]
    wp = counted.get("wp_bought", 0)
    solar_year = wp * yield_.value
    add(
        Figure(
            "solar_kwh_year",
            N_("Solar electricity generated"),
            solar_year,
            N_("kWh"),
            ESTIMATED,
            PER_YEAR,
            ("solar_yield",),
            low=wp * yield_.low if yield_.low is not None else None,
            high=wp * yield_.high if yield_.high is not None else None,
        )
    )

    gas_co2, power_co2 = factors.value("gas_co2"), factors.value("electricity_co2")
    measured_gas = counted.get("gas_m3_saved", 0)
    measured_kwh = counted.get("kwh_saved", 0)
    co2_year = (
        (gas_year + measured_gas) * gas_co2 + (solar_year + measured_kwh) * power_co2
    ) / 1000
    co2_factors = [
        *(["gas_co2"] if gas_year or measured_gas else []),
        *(["electricity_co2"] if solar_year or measured_kwh else []),
    ]
    add(
        Figure(
            "co2_year",
            N_("CO₂ avoided"),
            co2_year,
            N_("t CO₂"),
            ESTIMATED,
            PER_YEAR,
            tuple(co2_factors),
        )
    )
    # Over the measures' life: only what has a known life (a measured saving has none).
    co2_life = (
        gas_life * gas_co2 + solar_year * factors.value("solar_lifetime") * power_co2
    ) / 1000
    life_factors = [
        *(["gas_co2", *(f for f in gas_factors if f.endswith("lifetime"))] if gas_life else []),
        *(["electricity_co2", "solar_lifetime"] if solar_year else []),
    ]
    add(
        Figure(
            "co2_lifetime",
            N_("CO₂ avoided over the measures' life"),
            co2_life,
            N_("t CO₂"),
            ESTIMATED,
            LIFETIME,
            tuple(dict.fromkeys(life_factors)),
        )
    )
    chosen = tuple(factors[f] for f in sorted(used))
    return Impact(counted, tuple(figures), factors, chosen)


def _counted(quantity: Quantity, value: int) -> Figure:
    return Figure(quantity.key, quantity.label, float(value), quantity.unit, COUNTED, ONCE)


def main(argv: list[str] | None = None) -> int:
    """``python -m bot.domain.impact check``: read the factors file and list every set."""
    args = sys.argv[1:] if argv is None else argv
    if args[:1] != ["check"]:
        print("usage: python -m bot.domain.impact check")
        return 2
    factor_sets.cache_clear()
    try:
        sets = factor_sets()
    except (FactorError, tomllib.TOMLDecodeError) as exc:
        print(f"problem: {exc}")
        return 1
    for each in sets.values():
        print(f"OK: {each.id} ({len(each.factors)} factors) — {each.title}")
    return 0
