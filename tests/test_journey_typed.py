"""What people type instead of pressing: words for the buttons, command words, numbers in
words, past dates, pasted invitation links, and a button tapped twice. In Dutch and
English, by talking and pressing by label, as a person would."""

from __future__ import annotations

from collections.abc import AsyncIterator
from enum import StrEnum

import pytest
from sqlmodel import select

from bot.core.payloads import pack
from bot.core.seam import AnswerButton, ButtonPress
from bot.core.services import Services
from bot.domain.initiatives import new_invite_token
from scheduler.timing import FakeClock
from storage.models import Action, Initiative, Resident
from tests.conftest import make_services
from tests.support.driver import Driver, Talker
from tests.test_journey_actions import latest_action, onboard, press_payload, seed_initiative

T = {
    "nl": {
        "skip": "liever niet",
        "yes": "ja",
        "no": "nee hoor",
        "all_set": "Dank je, Anna. Je bent klaar om te beginnen.",
        "not_stored": "Prima: ik heb je naam niet bewaard.",
        "menu": "Wat wil je doen?",
        "share": "Deel een idee",
        "idea_question": "Wat wil je samen met je buren doen?",
        "stopped": "Gestopt. Van die vraag is niets bewaard.",
        "meant_stop": "Wil je stoppen? Of is “stop” je antwoord op mijn vraag?",
        "meant_menu": "Wil je naar het menu? Of is “menu” je antwoord op mijn vraag?",
        "yes_stop": "Ja, stoppen",
        "my_answer": "Nee, dat is mijn antwoord",
        "help": "Ik help jou en je buren",
        "back_to_menu": "Nu niet",
        "two": "twee",
        "people": "12 personen",
        "past": "Dat moment is al voorbij. Welke dag en tijd bedoel je?",
        "past_typed": "1 november 2026 10:00",
        "invited": "Je bent uitgenodigd voor Groene Lindelaan.",
        "link_hint": "Dank je, dat is een uitnodigingslink! Ik open hem zodra we kennis",
        "name_question": "Welke naam zal ik voor je gebruiken?",
        "already": "Dat heb je al gekozen. De vraag staat hieronder voor je klaar.",
        "continue": "Verder waar ik was",
        "back_to_the_menu": "terug naar het menu",
        "kits": "ideeën voor acties",
        "steps": "stappen",
        "next": "volgende",
        "step_1": "Stap 1 van",
        "step_2": "Stap 2 van",
        "step_3": "Stap 3 van",
    },
    "en": {
        "skip": "rather not",
        "yes": "ok",
        "no": "no thanks",
        "all_set": "Thank you, Anna. You're all set.",
        "not_stored": "That's fine: I haven't stored your name.",
        "menu": "What would you like to do?",
        "share": "Share an idea",
        "idea_question": "What would you like to do with your neighbours?",
        "stopped": "Stopped. Nothing from that question was saved.",
        "meant_stop": "Do you want to stop? Or is “stop” your answer to my question?",
        "meant_menu": "Do you want to go to the menu? Or is “menu” your answer to my question?",
        "yes_stop": "Yes, stop",
        "my_answer": "No, that is my answer",
        "help": "I help you and your neighbours",
        "back_to_menu": "Not now",
        "two": "two",
        "people": "12 people",
        "past": "That moment has already passed. Which day and time do you mean?",
        "past_typed": "1 November 2026 10:00",
        "invited": "You're invited to join Groene Lindelaan.",
        "link_hint": "Thank you, that is an invitation link! I'll open it as soon as we",
        "name_question": "What name shall I use for you?",
        "already": "You already chose that. The question is waiting for you below.",
        "continue": "Continue where I was",
        "back_to_the_menu": "back to the menu",
        "kits": "ideas for actions",
        "steps": "steps",
        "next": "next",
        "step_1": "Step 1 of",
        "step_2": "Step 2 of",
        "step_3": "Step 3 of",
    },
}
LANGS = pytest.mark.parametrize("lang", ["nl", "en"])


class Step(StrEnum):
    LINK = "link"


@pytest.fixture
async def services(migrated_database_url: str, clock: FakeClock) -> AsyncIterator[Services]:
    services = make_services(migrated_database_url, clock, flood_max_updates=100_000)
    await services.db.migrate()
    yield services
    await services.db.close()


async def resident(driver: Driver, talker: Talker) -> Resident:
    async with driver.services.db.transaction() as session:
        query = select(Resident).where(Resident.telegram_id == talker.who.id)
        return (await session.execute(query)).scalar_one()


# --- words for the buttons ----------------------------------------------------------------


@LANGS
async def test_typed_words_answer_the_buttons_of_onboarding(driver: Driver, lang: str) -> None:
    t = T[lang]
    anna = driver.person("Anna", lang)
    await anna.command("start")
    await anna.send(t["yes"])  # "What name shall I use for you? [Call me Anna]"
    assert t["all_set"] in anna.last
    assert t["menu"] in anna.last
    stored = await resident(driver, anna)
    assert stored.consented_at is not None and stored.postcode is None

    bert = driver.person("Bert", lang)
    await bert.command("start")
    await bert.send(t["no"])  # "Don't store my name"
    assert t["not_stored"] in bert.last
    assert (await resident(driver, bert)).consented_at is None


async def test_a_label_typed_in_other_case_and_punctuation_presses_it(driver: Driver) -> None:
    anna = driver.person("Anna", "nl")
    await anna.command("start")
    await anna.send("wat BEWAAR je?!")
    assert "Wat ik bewaar, en waarom" in anna.seen_since(-2)
    await anna.send("NOEM ME ANNA.")
    assert "Je bent klaar om te beginnen" in anna.last
    assert (await resident(driver, anna)).name == "Anna"


async def test_a_menu_entry_typed_out_opens_it_when_another_screen_was_shown(
    driver: Driver,
) -> None:
    anna = driver.person("Anna", "nl")
    await anna.command("start")
    await anna.send("Anna")
    await anna.command("plan")  # a group's command: in a private chat it only explains
    assert "groepschat" in anna.last
    await anna.send("deel een idee")
    assert "Wat wil je samen met je buren doen?" in anna.last


async def test_an_answer_too_short_is_asked_for_again_kindly(driver: Driver) -> None:
    anna = driver.person("Anna", "nl")
    await anna.command("start")
    await anna.send("Anna")
    await anna.press("Deel een idee")
    await anna.send("xx")
    assert "Dat is wat kort. Kun je iets meer vertellen?" in anna.last
    assert "Wat wil je samen met je buren doen?" in anna.last  # the question again
    await anna.send("Tegels eruit en planten erin")
    assert "Is het voor je straat, je buurt of je hele wijk?" in anna.last


async def test_a_word_that_means_nothing_here_still_asks_for_a_button(driver: Driver) -> None:
    anna = driver.person("Anna", "nl")
    await anna.command("start")
    await anna.send("Anna")
    await anna.press("Deel een idee")
    await anna.send("Tegels eruit en planten erin")
    await anna.send("misschien")
    assert "Kies een van de knoppen: straat, buurt of wijk." in anna.last


async def test_the_role_questions_take_typed_yes_and_no(driver: Driver) -> None:
    anna = await onboard(driver, "Anna")
    iid = await seed_initiative(driver, anna)
    await press_payload(anna, pack("ini", "roles", iid))
    await anna.send("klopt")
    assert "2/3" in anna.last
    await anna.send("nee")
    assert "3/3" in anna.last
    await anna.send("prima")
    assert "Dank je! Je rollen zijn bewaard." in anna.last


# --- command words ---------------------------------------------------------------------------


@LANGS
async def test_command_words_work_where_no_free_text_is_asked(driver: Driver, lang: str) -> None:
    t = T[lang]
    anna = await onboard(driver, "Anna", lang)
    await anna.send("help" if lang == "en" else "hulp")  # at the menu
    assert t["help"] in anna.last
    iid = await seed_initiative(driver, anna)
    await press_payload(anna, pack("act", "new", iid, "action"))
    await anna.send("Tegelwipdag")
    await anna.send("za 12 dec 14:00" if lang == "nl" else "Saturday 12 December 14:00")
    await anna.send("Stop!")  # "is that right?" has buttons only
    assert t["stopped"] in anna.last
    assert t["menu"] in anna.last


@LANGS
async def test_a_command_word_as_free_text_is_asked_about_once(driver: Driver, lang: str) -> None:
    t = T[lang]
    anna = await onboard(driver, "Anna", lang)
    await anna.press(t["share"])
    await anna.send("stop")  # the idea question takes any text: did she mean to stop?
    assert t["meant_stop"] in anna.last
    assert anna.buttons[:2] == [t["yes_stop"], t["my_answer"]]
    await anna.press(t["yes_stop"])
    assert t["stopped"] in anna.last

    await anna.press(t["share"])
    await anna.send("menu")
    assert t["meant_menu"] in anna.last
    await anna.send("menu")  # said again: that is what she meant
    assert t["menu"] in anna.last
    assert t["meant_menu"] not in anna.last


async def test_a_command_word_can_be_the_answer_after_all(driver: Driver) -> None:
    anna = await onboard(driver, "Anna")
    iid = await seed_initiative(driver, anna)
    await press_payload(anna, pack("act", "new", iid, "action"))
    await anna.send("Stop")  # a title
    assert "Wil je stoppen? Of is “Stop” je antwoord op mijn vraag?" in anna.last
    await anna.press("Nee, dat is mijn antwoord")
    assert "Wanneer is het?" in anna.last
    # Something else typed after the question is simply the answer to the step.
    await anna.press("Terug naar het menu")
    await press_payload(anna, pack("act", "new", iid, "action"))
    await anna.send("help")
    assert "Wil je de hulp zien?" in anna.last
    await anna.send("Helpdag")
    assert "Wanneer is het?" in anna.last


async def test_a_command_word_where_a_number_is_asked_is_the_command(driver: Driver) -> None:
    anna = await onboard(driver, "Anna")
    iid = await seed_initiative(driver, anna)
    await press_payload(anna, pack("act", "new", iid, "action"))
    await anna.send("Tegelwipdag")
    await anna.send("za 12 dec 14:00")
    await anna.press("Ja")
    await anna.send("Lindelaan 1")
    await anna.send("stop")  # how many people at most? "stop" is no number
    assert "Gestopt. Van die vraag is niets bewaard." in anna.last


# --- numbers in words ------------------------------------------------------------------------


@LANGS
async def test_numbers_typed_in_words_answer_number_questions(driver: Driver, lang: str) -> None:
    t = T[lang]
    anna = await onboard(driver, "Anna", lang)
    iid = await seed_initiative(driver, anna)
    for typed, expected in ((t["two"], 2), (t["people"], 12)):
        await press_payload(anna, pack("act", "new", iid, "action"))
        await anna.send("Tegelwipdag")
        await anna.send("za 12 dec 14:00" if lang == "nl" else "Saturday 12 December 14:00")
        await anna.press("Ja" if lang == "nl" else "Yes")
        await anna.send("Lindelaan 1")
        await anna.send(typed)
        assert "✅" in anna.last, typed
        action: Action = await latest_action(driver)
        assert action.capacity == expected


async def test_the_support_meter_reads_dutch_number_words(driver: Driver) -> None:
    anna = await onboard(driver, "Anna")
    iid = await seed_initiative(driver, anna)
    await press_payload(anna, pack("ini", "support", iid))
    await anna.send("vijfentwintig")
    await anna.send("tien huishoudens")
    await anna.send("twee")
    assert "Bewaard." in anna.last
    async with driver.services.db.transaction() as session:
        initiative = await session.get(Initiative, iid)
        assert initiative is not None
        counts = (
            initiative.households_reached,
            initiative.households_interested,
            initiative.households_committed,
        )
    assert counts == (25, 10, 2)


# --- past dates ------------------------------------------------------------------------------


@LANGS
async def test_a_past_date_is_said_to_have_passed(driver: Driver, lang: str) -> None:
    t = T[lang]
    anna = await onboard(driver, "Anna", lang)
    iid = await seed_initiative(driver, anna)
    await press_payload(anna, pack("act", "new", iid, "action"))
    await anna.send("Tegelwipdag")
    await anna.send(t["past_typed"])
    assert t["past"] in anna.last
    assert "future" not in anna.last and "toekomst" not in anna.last


# --- pasted invitation links ----------------------------------------------------------------


async def invitation(driver: Driver) -> tuple[Talker, str]:
    anna = await onboard(driver, "Anna")
    iid = await seed_initiative(driver, anna)
    async with driver.services.db.transaction() as session:
        initiative = await session.get(Initiative, iid)
        assert initiative is not None
        initiative.invite_token = token = new_invite_token()
        initiative.invite_active = True
    return anna, driver.services.deep_link(f"join-{token}")


@LANGS
async def test_a_link_pasted_at_any_question_opens_the_invitation(
    driver: Driver, lang: str
) -> None:
    t = T[lang]
    _anna, link = await invitation(driver)
    cas = await onboard(driver, "Cas", lang)
    await cas.press(t["share"])
    assert t["idea_question"] in cas.last
    await cas.send(f"Hoi! Kijk eens: {link}")  # pasted with the words around it
    assert t["invited"] in cas.last
    assert "Groene Lindelaan" in cas.last
    await cas.press(t["back_to_menu"])
    assert t["continue"] in cas.buttons  # the idea she was typing waits for her


@LANGS
async def test_a_link_pasted_at_the_name_question_is_kept_kindly(driver: Driver, lang: str) -> None:
    t = T[lang]
    _anna, link = await invitation(driver)
    dirk = driver.person("Dirk", lang)
    await dirk.command("start")
    await dirk.send(link)
    assert t["link_hint"] in dirk.last
    assert t["name_question"] in dirk.last
    await dirk.send("Dirk")
    assert t["invited"] in dirk.last
    assert (await resident(driver, dirk)).name == "Dirk"  # not the link


# --- a button tapped twice --------------------------------------------------------------------


@LANGS
async def test_a_menu_button_tapped_twice_asks_its_question_once(
    db_driver: Driver, lang: str
) -> None:
    t = T[lang]
    anna = await onboard(db_driver, "Anna", lang)
    before = len(anna.messages)
    await anna.press(t["share"])
    second = await anna.press(t["share"])  # the same button of the same menu, again
    asked = [m for m in anna.messages[before:] if t["idea_question"] in m.plain]
    assert len(asked) == 1
    toasts = [a.text for a in second if isinstance(a, AnswerButton)]
    assert toasts == [t["already"]]
    await anna.send("Tegels eruit en planten erin")  # and the question still takes its answer
    assert "Straat" in anna.buttons or "Street" in anna.buttons


async def test_the_continue_button_keeps_the_menu_in_its_place(driver: Driver) -> None:
    anna = await onboard(driver, "Anna")
    menu = anna.buttons
    await anna.press("Deel een idee")
    await anna.press("Terug naar het menu")
    assert anna.buttons[: len(menu)] == menu
    assert anna.buttons[-1] == "Verder waar ik was"


# --- any button shown, by its words -------------------------------------------------------


@LANGS
async def test_the_words_of_any_shown_button_press_it(driver: Driver, lang: str) -> None:
    t = T[lang]
    anna = await onboard(driver, "Anna", lang)
    await anna.send(t["share"].lower())  # the menu's button, typed
    assert t["idea_question"] in anna.last
    await anna.send(t["back_to_the_menu"])
    await anna.send(t["kits"])
    await anna.send(anna.buttons[0].upper())  # a theme
    await anna.send(anna.buttons[0])  # a kit
    await anna.send(t["steps"])
    assert t["step_1"] in anna.last
    await anna.send(t["next"])  # "Volgende ▶" typed without its arrow
    assert t["step_2"] in anna.last
    await anna.send(t["next"])
    assert t["step_3"] in anna.last


async def test_next_keeps_its_place_through_a_kit(driver: Driver) -> None:
    anna = await onboard(driver, "Anna")
    await anna.press("Ideeën voor acties")
    await anna.press(anna.buttons[0])
    await anna.press(anna.buttons[0])
    await anna.press("Stappen")
    places = []
    while "Volgende ▶" in anna.buttons:
        places.append(anna.buttons.index("Volgende ▶"))
        await anna.press("Volgende ▶")
    assert len(places) >= 2 and set(places) == {0}  # from the first step to the one before last
    # On the last step "Previous" comes after the kit's own buttons, as on every step.
    assert anna.buttons[:3] == ["Terug naar de kit", "Deze kit gebruiken", "◀ Vorige"]


# --- the machinery, directly ---------------------------------------------------------------


class _Texts:
    """Just enough of a Ctx for typed_choice: labels are their msgids."""

    def _(self, msgid: str, /, **_values: object) -> str:
        return msgid


@pytest.mark.parametrize(
    ("typed", "key"),
    [("nee", "none"), ("geen", "none"), ("no link", "none"), ("ja", None), ("Send", None)],
)
async def test_a_choice_may_mean_several_things(typed: str, key: str | None) -> None:
    from bot.core.conversation import typed_choice
    from bot.core.flow import Ask, Choice
    from bot.i18n import N_

    ask = Ask(
        Step.LINK,
        say=lambda _c: "Add a link?",
        choices=[Choice("none", N_("No link"), value=None, means=("none", "no"))],
    )
    found = await typed_choice(_Texts(), ask, typed)  # type: ignore[arg-type]
    assert (found.key if found else None) == key


async def test_a_link_on_telegram_me_is_an_invitation_too(driver: Driver) -> None:
    _anna, link = await invitation(driver)
    cas = await onboard(driver, "Cas")
    await cas.send(link.replace("https://t.me/", "telegram.me/"))
    assert "Je bent uitgenodigd voor Groene Lindelaan." in cas.last


@LANGS
async def test_a_typed_yes_takes_the_offered_name(driver: Driver, lang: str) -> None:
    t = T[lang]
    anna = driver.person("Annemarie", lang)
    await anna.command("start")
    await anna.send(t["yes"])  # "What name shall I use? [Call me Annemarie]"
    assert (await resident(driver, anna)).name == "Annemarie"


async def test_a_question_button_tapped_twice_moves_on_once(db_driver: Driver) -> None:
    anna = db_driver.person("Anna", "nl")
    await anna.command("start")
    await anna.send("Anna")
    await anna.press("Deel een idee")
    await anna.send("Tegels eruit en planten erin")
    before = len(anna.messages)
    question = anna.messages[-1]
    payload = next(b.payload for row in question.buttons for b in row if b.label == "Straat")
    # Two taps in one batch: both left before the question lost its buttons.
    await anna.event(ButtonPress(payload or "", "tap-1", question.message_id))
    again = await anna.event(ButtonPress(payload or "", "tap-2", question.message_id))
    asked = [m for m in anna.messages[before:] if "Welke straat is het?" in m.plain]
    assert len(asked) == 1
    assert [a.text for a in again if isinstance(a, AnswerButton)] == [T["nl"]["already"]]
    assert not any("Die knop werkt niet meer" in m.plain for m in anna.messages[before:])


def test_buttons_and_commands_are_understood_in_every_language() -> None:
    from bot.core.understand import command_word, means

    for yes in ("Evet", "tak", "نعم", "Так"):
        assert means(yes, "yes") and not means(yes, "no"), yes
    for no in ("Hayır", "nie", "لا", "ні"):
        assert means(no, "no") and not means(no, "yes"), no
    assert means("atla", "skip") and means("pomiń", "skip") and means("пропустити", "skip")
    assert [command_word(w) for w in ("iptal", "menü", "pomoc", "مساعدة", "стоп")] == [
        "stop",
        "menu",
        "hulp",
        "hulp",
        "stop",
    ]


@LANGS
async def test_a_theme_typed_in_one_s_own_words_is_understood(driver: Driver, lang: str) -> None:
    typed, other = {"nl": ("gezelligheid", "Wat wil je"), "en": ("sociable", "What would")}[lang]
    anna = driver.person("Anna", lang)
    await anna.command("start")
    await anna.send("Anna")
    await anna.press(T[lang]["share"])
    await anna.send("Een bankje op het plein, voor iedereen")
    await anna.press("Buurt" if lang == "nl" else "Neighbourhood")
    await anna.send("Oranjebuurt")
    await anna.send("3511")
    await anna.send("Omdat het gezellig is")
    await anna.send("ok")  # means no theme: the buttons again
    assert ("Kies een van de knoppen" if lang == "nl" else "Please choose one") in anna.last
    await anna.send(typed)
    assert ("korte titel" if lang == "nl" else "a short title") in anna.last
    assert other not in anna.last
