"""The suggested title of an idea ends where a sentence or a phrase ends, never mid-phrase."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.flows.idea import DANGLING_WORDS, TITLE_MAX, suggest_title


@pytest.mark.parametrize(
    ("idea", "title"),
    [
        # The whole idea when it fits.
        (
            "Tegels eruit en planten erin in onze straat.",
            "Tegels eruit en planten erin in onze straat",
        ),
        # The first sentence when the idea has several.
        ("samen zonnepanelen kopen. Dan is het goedkoper.", "Samen zonnepanelen kopen"),
        # The first clause of a long sentence.
        (
            "Ik wil graag met de buren een moestuin beginnen op het pleintje bij de school, "
            "zodat de kinderen leren hoe groente groeit en we elkaar beter leren kennen",
            "Ik wil graag met de buren een moestuin beginnen op het pleintje bij de school",
        ),
        # No clause to end on: the first words, without "… waar nu alleen maar" at the end.
        (
            "Een moestuin op het pleintje bij de school aan de Lindelaan waar nu alleen maar "
            "tegels liggen en auto's parkeren zonder dat iemand er iets aan doet",
            "Een moestuin op het pleintje bij de school aan de Lindelaan",
        ),
        (
            "Plant trees along the street and put benches in the shade so that all of the "
            "older neighbours have a place to sit and talk",
            "Plant trees along the street and put benches in the shade",
        ),
    ],
)
def test_suggestion_ends_at_a_natural_boundary(idea: str, title: str) -> None:
    assert suggest_title(idea) == title


@given(st.lists(st.sampled_from(["de", "tuin", "bij", "school", "een", "groen", "en"]), min_size=1))
def test_suggestion_fits_and_never_dangles(words: list[str]) -> None:
    idea = " ".join(["Straat", *words] * 12)
    title = suggest_title(idea)
    assert 0 < len(title) <= TITLE_MAX
    assert idea.startswith(title)
    if len(title.split()) > 1:
        assert title.split()[-1].lower() not in DANGLING_WORDS
