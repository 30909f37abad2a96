"""What an initiative can count: the outcome quantities a kit may ask about.

A kit's ``[[outcomes]]`` names one of these keys (``python -m bot.domain.kits check`` refuses any
other), so every number the after-action review collects has a known unit and a known
place in the impact figures (``bot/domain/impact/__init__.py``). Units are msgids: the chat and
the report show them in the reader's language.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.i18n import N_


@dataclass(frozen=True, slots=True)
class Quantity:
    key: str
    unit: str  # msgid, singular/plural-neutral ("tiles", "m²")
    label: str  # msgid: what was counted, as a table row names it


QUANTITIES: dict[str, Quantity] = {
    q.key: q
    for q in (
        Quantity("tiles_removed", N_("tiles"), N_("Tiles removed")),
        Quantity("m2_greened", N_("m²"), N_("Area greened")),
        Quantity("rain_barrels", N_("rain barrels"), N_("Rain barrels placed")),
        Quantity("homes_scanned", N_("homes"), N_("Homes thermally scanned")),
        Quantity("homes_draughtproofed", N_("homes"), N_("Homes with draught strips fitted")),
        Quantity("panels_bought", N_("panels"), N_("Solar panels bought")),
        Quantity("wp_bought", N_("Wp"), N_("Solar power bought (watt-peak)")),
        Quantity("homes_cavity_wall", N_("homes"), N_("Homes with cavity wall insulation")),
        Quantity("homes_floor", N_("homes"), N_("Homes with floor insulation")),
        Quantity("homes_roof", N_("homes"), N_("Homes with roof insulation")),
        Quantity("homes_glazing", N_("homes"), N_("Homes with insulating glass")),
        Quantity("aeds_funded", N_("AEDs"), N_("AEDs funded")),
        Quantity("euros_raised", N_("euros"), N_("Money raised")),
        Quantity("party_households", N_("households"), N_("Households at the street party")),
        Quantity("door_visited", N_("households"), N_("Households visited at the door")),
        Quantity("door_yes", N_("households"), N_("Households who said yes at the door")),
        # Savings a programme measured itself (meter readings, an energy coach's report).
        Quantity("gas_m3_saved", N_("m³ gas"), N_("Gas saved (measured)")),
        Quantity("kwh_saved", N_("kWh"), N_("Electricity saved (measured)")),
    )
}
OUTCOME_KEYS = tuple(QUANTITIES)
# Counted at the door, entered in the chat: never asked by a kit's review.
DOOR_KEYS = ("door_visited", "door_yes")
