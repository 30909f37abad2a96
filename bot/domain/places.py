"""Where a person lives, as far as they told: a postcode typed (never more than they chose
to give) and the 4-digit area of a stored postcode (onboarding, sharing an idea, joining
one nearby)."""

from __future__ import annotations

import re

from storage.models import Resident

POSTCODE = re.compile(r"^([1-9][0-9]{3})\s*([A-Za-z]{2})?$")
AREA = re.compile(r"^\s*([1-9][0-9]{3})\s*(?:[A-Za-z]{2})?\s*$")


def postcode_of(text: str) -> str | None:
    """'1234 AB' or just '1234' (never more than the person chooses to give), or None."""
    match = POSTCODE.match(text.strip())
    if not match:
        return None
    digits, letters = match.groups()
    return f"{digits} {letters.upper()}" if letters else digits


def area_of(person: Resident) -> str | None:
    """The 4-digit postcode area of a person who let us store their postcode."""
    if person.consented_at is None or not person.postcode:
        return None
    match = AREA.match(person.postcode)
    return match.group(1) if match else None
