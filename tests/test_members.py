"""Moving between an initiative's roles from the card: who follows, a follower into the
team, a second initiator, handing the role over, leaving — with the rules of bot/domain/authz.py."""

from __future__ import annotations

from sqlmodel import select

from bot.core.payloads import pack
from bot.core.seam import AnswerButton
from storage.models import MemberRole, Membership
from tests.support.driver import Driver, Talker
from tests.test_journey_actions import onboard, press_payload, resident_of, seed_initiative


async def role_of(driver: Driver, initiative_id: int, talker: Talker) -> MemberRole | None:
    resident = await resident_of(driver, talker)
    async with driver.services.db.transaction() as session:
        query = select(Membership.role).where(
            Membership.initiative_id == initiative_id, Membership.resident_id == resident.id
        )
        return (await session.execute(query)).scalar_one_or_none()


async def test_initiator_sees_followers_and_invites_one_into_the_team(driver: Driver) -> None:
    anna = await onboard(driver, "Anna")
    bob = await onboard(driver, "Bob")
    cas = await onboard(driver, "Cas", "en")
    iid = await seed_initiative(driver, anna, team=(bob,), followers=(cas,))
    await press_payload(anna, pack("ini", "card", iid))
    await anna.press("Leden")
    assert "Initiatiefnemers: Anna" in anna.last
    assert "Team: Bob" in anna.last
    assert "Volgers: Cas" in anna.last
    invite = next(
        b.payload
        for row in anna.messages[-1].buttons
        for b in row
        if b.label.startswith("Nodig Cas")
    )
    await anna.press("Nodig Cas uit in het team")
    assert "✅ Cas zit nu in het team. Ik heb het laten weten." in anna.last
    assert "welcomes you into the team of Groene Lindelaan" in cas.last
    assert await role_of(driver, iid, cas) is MemberRole.TEAM
    assert invite is not None
    out = await press_payload(anna, invite)  # the old button again: nothing changes, kindly
    assert [o.text for o in out if isinstance(o, AnswerButton)] == ["Dat was al gedaan."]
    assert await role_of(driver, iid, cas) is MemberRole.TEAM


async def test_only_initiators_see_or_change_members(driver: Driver) -> None:
    anna = await onboard(driver, "Anna")
    bob = await onboard(driver, "Bob")
    cas = await onboard(driver, "Cas")
    iid = await seed_initiative(driver, anna, team=(bob,), followers=(cas,))
    await press_payload(bob, pack("ini", "card", iid))
    assert "Leden" not in bob.buttons
    cas_before = await resident_of(driver, cas)
    await press_payload(bob, pack("ini", "promote", iid, cas_before.id, "team"))  # forged
    assert "Dat kan ik niet voor je openen." in bob.last
    assert await role_of(driver, iid, cas) is MemberRole.FOLLOWER


async def test_a_follower_asks_and_an_initiator_welcomes_them(driver: Driver) -> None:
    anna = await onboard(driver, "Anna", "en")
    cas = await onboard(driver, "Cas")
    iid = await seed_initiative(driver, anna, followers=(cas,))
    await press_payload(cas, pack("ini", "card", iid))
    await cas.press("Ik wil helpen organiseren")
    assert "Ik heb het aan de initiatiefnemers gevraagd." in cas.last
    assert "Cas follows Groene Lindelaan and would like to help organise it." in anna.last
    await anna.press("Yes, into the team")
    assert "✅ Cas is now in the team. I told them." in anna.last
    assert await role_of(driver, iid, cas) is MemberRole.TEAM


async def test_a_second_initiator_and_handing_the_role_over(driver: Driver) -> None:
    anna = await onboard(driver, "Anna")
    bob = await onboard(driver, "Bob")
    dirk = await onboard(driver, "Dirk")
    iid = await seed_initiative(driver, anna, team=(bob, dirk))
    await press_payload(anna, pack("ini", "members", iid))
    await anna.press("Maak Bob initiatiefnemer")
    assert await role_of(driver, iid, bob) is MemberRole.INITIATOR
    assert "heeft je initiatiefnemer gemaakt van Groene Lindelaan" in bob.last
    await anna.press("Geef mijn rol aan Dirk")
    assert "Dirk is nu initiatiefnemer, en jij zit in het team." in anna.last
    assert await role_of(driver, iid, dirk) is MemberRole.INITIATOR
    assert await role_of(driver, iid, anna) is MemberRole.TEAM


async def test_leaving_from_the_card_and_the_last_initiator_stays(driver: Driver) -> None:
    anna = await onboard(driver, "Anna")
    bob = await onboard(driver, "Bob")
    cas = await onboard(driver, "Cas")
    iid = await seed_initiative(driver, anna, team=(bob,), followers=(cas,))

    await press_payload(anna, pack("ini", "card", iid))
    assert "Uit het team stappen" not in anna.buttons  # the only initiator hands over first
    await press_payload(anna, pack("ini", "leave", iid))  # an old button: told how, kept
    assert "Jij bent de enige initiatiefnemer." in anna.last
    assert await role_of(driver, iid, anna) is MemberRole.INITIATOR

    await press_payload(cas, pack("ini", "card", iid))
    await cas.press("Stoppen met volgen")
    assert "Stoppen met volgen van Groene Lindelaan?" in cas.last
    await cas.press("Nee, ik blijf")
    assert await role_of(driver, iid, cas) is MemberRole.FOLLOWER
    await cas.press("Stoppen met volgen")
    await cas.press("Ja, ik stop")
    assert "Klaar: je doet niet meer mee aan Groene Lindelaan." in cas.last
    assert await role_of(driver, iid, cas) is None

    await press_payload(bob, pack("ini", "card", iid))
    await bob.press("Uit het team stappen")
    await bob.press("Ja, ik stop")
    assert await role_of(driver, iid, bob) is None
    await press_payload(bob, pack("ini", "leaveok", iid))  # pressed again: no longer a member
    assert "Dat kan ik niet voor je openen." in bob.last
