"""The initiative card: its next step has its button, a follower reads what following
means, and an initiator edits the initiative from it (nl and en)."""

from __future__ import annotations

from bot.core.payloads import pack
from storage.models import Initiative, Phase, Theme
from tests.support.driver import Driver
from tests.test_journey_actions import get, onboard, press_payload, seed_initiative


async def test_the_next_step_button_comes_first_and_only_for_organisers(driver: Driver) -> None:
    anna = await onboard(driver, "Anna")
    cas = await onboard(driver, "Cas")
    iid = await seed_initiative(driver, anna, followers=(cas,), phase=Phase.INITIATE)

    await press_payload(anna, pack("ini", "card", iid))
    assert "Volgende stap: Zoek één buur die dit samen met je wil organiseren." in anna.last
    assert anna.buttons[0] == "Buren uitnodigen"  # the step the card names, first
    assert anna.buttons.count("Buren uitnodigen") == 1

    await press_payload(cas, pack("ini", "card", iid))
    assert "Volgende stap" not in cas.last  # not a follower's work
    assert "Je volgt dit initiatief" in cas.last
    assert "Aanpassen" not in cas.buttons
    assert "Buren uitnodigen" not in cas.buttons


async def test_an_initiator_edits_each_part_and_the_card_shows_it(driver: Driver) -> None:
    anna = await onboard(driver, "Anna")
    iid = await seed_initiative(driver, anna)
    await press_payload(anna, pack("ini", "card", iid))
    await anna.press("Aanpassen")
    assert "Wat wil je aanpassen?" in anna.last

    await anna.press("Titel")
    await anna.send("Groen en koel in de Lindelaan")
    assert "✅ Bewaard." in anna.last
    assert "Groen en koel in de Lindelaan" in anna.last

    await anna.press("Aanpassen")
    await anna.press("Thema")
    await anna.press("Gezelliger")
    assert "Thema: Gezelliger" in anna.last

    await anna.press("Aanpassen")
    await anna.press("Straat of buurt")
    await anna.send("Lindelaan en Eikenlaan")
    stored = await get(driver, Initiative, iid)
    assert (stored.title, stored.theme, stored.place) == (
        "Groen en koel in de Lindelaan",
        Theme.SOCIABLE,
        "Lindelaan en Eikenlaan",
    )

    await anna.press("Aanpassen")
    await anna.press("Straat of buurt")
    await anna.send("Lindelaan en Eikenlaan")
    assert "Dat stond er al zo; er is niets veranderd." in anna.last


async def test_only_an_initiator_may_edit_even_with_an_old_button(driver: Driver) -> None:
    anna = await onboard(driver, "Anna")
    bob = await onboard(driver, "Bob", "en")
    iid = await seed_initiative(driver, anna, team=(bob,))
    await press_payload(bob, pack("ini", "card", iid))
    assert "Edit" not in bob.buttons  # team, not an initiator
    await press_payload(bob, pack("ini", "edit", iid))  # a forged or old button
    assert "I can't open that for you." in bob.last
    assert (await get(driver, Initiative, iid)).title == "Groene Lindelaan"


async def test_an_edit_in_english_typed_title_is_kept_as_typed(driver: Driver) -> None:
    tom = await onboard(driver, "Tom", "en")
    iid = await seed_initiative(driver, tom)
    await press_payload(tom, pack("ini", "card", iid))
    await tom.press("Edit")
    assert "What would you like to change?" in tom.last
    await tom.press("Title")
    await tom.send("Trees <b>& benches</b>")
    assert "✅ Saved." in tom.last
    assert (await get(driver, Initiative, iid)).title == "Trees <b>& benches</b>"
    assert "Trees <b>& benches</b>" in tom.last  # shown as typed, not as markup


async def test_the_only_member_is_not_asked_to_remind_the_others(driver: Driver) -> None:
    anna = await onboard(driver, "Anna")
    iid = await seed_initiative(driver, anna, phase=Phase.INITIATE)
    await press_payload(anna, pack("ini", "team", iid))
    assert "Team van Groene Lindelaan" in anna.last
    assert "Nog niet iedereen heeft de rollencheck gedaan" not in anna.last
    assert "Doe de rollencheck" in anna.buttons  # her own check is the button
