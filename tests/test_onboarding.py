"""Onboarding, the first real flow: greeting, the name (whose answer is the consent), menu."""

from __future__ import annotations

from sqlmodel import select

from storage.models import Resident
from tests.support.driver import Driver


async def resident(driver: Driver, telegram_id: int) -> Resident:
    async with driver.services.db.transaction() as session:
        return (
            await session.execute(select(Resident).where(Resident.telegram_id == telegram_id))
        ).scalar_one()


async def test_dutch_onboarding_is_one_question_whose_answer_is_the_consent(
    db_driver: Driver,
) -> None:
    anna = db_driver.person("Anna", "nl")
    await anna.command("start")
    assert "Hoi! Ik ben Buurbot." in anna.last
    assert "Welke naam zal ik voor je gebruiken?" in anna.last
    # The question says what is stored: answering it is the consent.
    assert "Ik bewaar alleen die naam" in anna.last
    assert anna.buttons == ["Noem me Anna", "Wat bewaar je?", "Bewaar mijn naam niet"]

    await anna.send("Anna de Vries")
    assert "Dank je, Anna de Vries." in anna.last
    assert "Wat wil je doen?" in anna.last
    assert "Hulp" in anna.buttons

    stored = await resident(db_driver, anna.who.id)
    assert (stored.name, stored.postcode, stored.language) == ("Anna de Vries", None, "nl")
    assert stored.consented_at is not None and stored.onboarded_at is not None


async def test_english_onboarding_is_one_tap_on_the_name(driver: Driver) -> None:
    tom = driver.person("Tom", "en-GB")
    await tom.command("start")
    assert "Hello! I'm Buurbot." in tom.last
    assert "I'll store only that name" in tom.last
    await tom.press("Call me Tom")
    assert "Thank you, Tom. You're all set." in tom.last
    assert "What would you like to do?" in tom.last
    stored = await resident(driver, tom.who.id)
    assert stored.name == "Tom" and stored.consented_at is not None
    assert stored.postcode is None and stored.language == "en"


async def test_the_chosen_answer_is_confirmed_in_place(driver: Driver) -> None:
    tom = driver.person("Tom", "en")
    await tom.command("start")
    question = tom.messages[-1]
    await tom.press("Call me Tom")
    assert question.edits == 1
    assert question.plain.endswith("✓ Call me Tom")
    assert question.buttons == ()


async def test_declining_consent_stores_nothing_but_allows_browsing(driver: Driver) -> None:
    piet = driver.person("Piet", "nl")
    await piet.command("start")
    await piet.press("Bewaar mijn naam niet")
    assert "ik heb je naam niet bewaard" in piet.last
    assert "Wat wil je doen?" in piet.last
    stored = await resident(driver, piet.who.id)
    assert stored.name is None and stored.postcode is None and stored.consented_at is None
    assert stored.onboarded_at is not None


async def test_a_postcode_typed_as_the_name_is_explained(driver: Driver) -> None:
    anna = driver.person("Anna", "nl")
    await anna.command("start")
    await anna.send("1234 AB")
    assert "Dat lijkt op een postcode. Die heb ik nu niet nodig." in anna.last
    await anna.send("Hoi!")  # a greeting is not a name either
    assert "Ook hallo! Welke naam zal ik voor je gebruiken?" in anna.last
    assert "Noem me Anna" in anna.buttons


async def test_the_postcode_is_asked_where_it_helps_finding_initiatives(driver: Driver) -> None:
    anna = driver.person("Anna", "en")
    await anna.command("start")
    await anna.press("Call me Anna")
    await anna.press("Join an initiative")
    assert "Or type your postcode" in anna.last
    await anna.send("12345")  # neither a link nor a postcode
    assert "Or type your postcode, like 1234 AB" in anna.last
    await anna.send("3511 ab")
    assert "Thanks! I've noted 3511 AB." in anna.last
    assert "I found no open initiatives in 3511 yet." in anna.last
    stored = await resident(driver, anna.who.id)
    assert stored.postcode == "3511 AB"


async def test_a_name_that_is_not_a_name_is_refused(driver: Driver) -> None:
    anna = driver.person("12345", "nl")
    await anna.command("start")
    # Telegram's "name" has no letters: no button for it
    assert anna.buttons == ["Wat bewaar je?", "Bewaar mijn naam niet"]
    await anna.send("12345")
    assert "Dat lijkt niet op een naam." in anna.last
    await anna.send("x" * 41)
    assert "Houd je naam korter dan 40 tekens." in anna.last


async def test_the_privacy_button_explains_and_asks_again(driver: Driver) -> None:
    anna = driver.person("Anna", "nl")
    await anna.command("start")
    await anna.press("Wat bewaar je?")
    assert "Wat ik bewaar, en waarom" in anna.seen_since(-2)
    assert "Welke naam zal ik voor je gebruiken?" in anna.last
    assert "Noem me Anna" in anna.buttons


async def test_html_in_a_name_is_escaped_when_echoed(driver: Driver) -> None:
    eve = driver.person("Eve", "en")
    await eve.command("start")
    await eve.send("<b>Eve</b> & co")
    raw = eve.messages[-1].text
    assert "&lt;b&gt;Eve&lt;/b&gt; &amp; co" in raw
    assert "<b>Eve</b>" not in raw


async def test_any_first_message_starts_onboarding(driver: Driver) -> None:
    anna = driver.person("Anna", "nl")
    await anna.send("hallo?")
    assert "Hoi! Ik ben Buurbot." in anna.last


async def test_unknown_language_code_falls_back_to_dutch(driver: Driver) -> None:
    hans = driver.person("Hans", "de")
    await hans.command("start")
    assert "Hoi! Ik ben Buurbot." in hans.last
    await hans.command("taal")
    await hans.press("English")
    assert "From now on I speak English with you." in hans.last


async def test_start_after_declining_asks_again(driver: Driver) -> None:
    piet = driver.person("Piet", "nl")
    await piet.command("start")
    await piet.press("Bewaar mijn naam niet")
    await piet.command("start")
    assert "Welke naam zal ik voor je gebruiken?" in piet.last


async def test_the_language_follows_the_network_and_has_its_own_command(driver: Driver) -> None:
    cases = [  # network code (regional variants too), greeting, own command, name, switched
        ("tr-TR", "Merhaba! Ben Buurbot.", "dil", "Türkçe", "Bundan sonra seninle Türkçe"),
        ("pl", "Cześć! Jestem Buurbot.", "jezyk", "Polski", "Od teraz mówię do ciebie po polsku."),
        ("ar-SA", "مرحبًا! أنا Buurbot.", "lugha", "العربية", "من الآن فصاعدًا أتحدث معك"),
        ("uk-UA", "Привіт! Я Buurbot.", "mova", "Українська", "Відтепер я розмовляю з тобою"),
    ]
    for code, greeting, command, name, switched in cases:
        person = driver.person(f"Ola {code}", code)
        await person.command("start")
        assert greeting in person.last
        await person.command("language", "nl")
        assert "Vanaf nu spreek ik Nederlands met je." in person.last
        await person.command(command)
        await person.press(name)
        assert switched in person.last
    await person.command("taal", "polski")  # the language's own name works too
    assert "Od teraz mówię do ciebie po polsku." in person.last
