"""Share an idea (initiëren): what, level, place, postcode area, why, theme, title.

The answers become an Initiative with its founder as initiator, a fresh invite
token, and the card that shows the one next step.
"""

from __future__ import annotations

import re
from difflib import get_close_matches
from enum import StrEnum

from bot.core import conversation as conv
from bot.core.context import Ctx
from bot.core.events import InitiativeCreated
from bot.core.flow import END, HANDLED, Ask, Choice, Flow, Invalid, Next, TextAnswer
from bot.core.registry import Registry
from bot.domain.initiatives import new_invite_token
from bot.domain.phases import check_progress
from bot.domain.places import AREA, area_of
from bot.i18n import N_, Safe
from bot.views.cards import LEVEL_LABELS, THEME_LABELS
from bot.views.entries import ASK_CONSENT, INITIATIVE_CARD, SHARE_IDEA
from bot.views.idea import TITLE_MAX, parse_place, parse_title, parse_what
from storage.models import Initiative, Level, MemberRole, Membership, Theme

LEVEL_WORDS = {
    Level.STREET: {"straat", "street", "de straat", "my street", "mijn straat"},
    Level.NEIGHBOURHOOD: {
        "buurt",
        "neighbourhood",
        "neighborhood",
        "de buurt",
        "mijn buurt",
        "my neighbourhood",
        "my neighborhood",
    },
    Level.DISTRICT: {"wijk", "district", "de wijk", "mijn wijk", "my district"},
}


class Step(StrEnum):
    WHAT = "what"
    LEVEL = "level"
    PLACE = "place"
    POSTCODE = "postcode"
    WHY = "why"
    THEME = "theme"
    TITLE = "title"


def parse_level(_ctx: Ctx, text: str) -> str:
    typed = " ".join(text.lower().split())
    for level, words in LEVEL_WORDS.items():
        if typed in words:
            return level.value
    raise Invalid(N_("Please choose one of the buttons: street, neighbourhood or district."))


def parse_area(_ctx: Ctx, text: str) -> str:
    match = AREA.match(text)
    if not match:
        raise Invalid(N_("Type only the 4 digits of the postcode, like 3511. Or skip this."))
    return match.group(1)


def parse_theme(ctx: Ctx, text: str) -> str:
    """A theme typed in one's own words, close to a button: "gezelligheid", "groen"."""
    typed = " ".join(re.findall(r"\w+", text.casefold()))
    candidates: dict[str, Theme] = {}
    for theme, label in THEME_LABELS.items():
        shown = ctx._(label).casefold()
        candidates[" ".join(re.findall(r"\w+", shown))] = theme
        for word in re.findall(r"\w{4,}", shown):
            candidates.setdefault(word, theme)
    found = get_close_matches(typed, list(candidates), n=1, cutoff=0.75) if typed else []
    if not found:
        raise Invalid(N_("Please choose one of the buttons below."))
    return candidates[found[0]].value


# Words a title must not end on: cut after them, a title reads as broken off ("… bij de").
DANGLING_WORDS = frozenset(
    "de het een en of bij in op aan van voor met naar om tot uit over door te als dat die "
    "onze ons mijn je jouw zijn haar hun wat waar maar nu alleen ook nog niet wel er dan zo "
    "the a an and or but at in on of for with to from by as that where which who just only "
    "so all some every our my your their alle elke iedere sommige".split()
)
SENTENCE_END = re.compile(r"(?<=[.!?])\s")
CLAUSE_END = re.compile(r"[,;:–—]\s|\s[-–—]\s")


def suggest_title(what: str) -> str:
    """A title to take with one tap: the idea's first sentence when it fits, else its first
    clause, else its first words without a dangling "de", "bij" or "and" at the end."""
    text = " ".join(what.split())
    first = SENTENCE_END.split(text, maxsplit=1)[0]
    if len(first) > TITLE_MAX:
        clauses = [m.start() for m in CLAUSE_END.finditer(first) if m.start() <= TITLE_MAX]
        first = first[: clauses[-1]] if clauses and clauses[-1] >= 15 else _first_words(first)
    title = first.rstrip(" .,;:!?-–—")
    return title[:1].upper() + title[1:]


def _first_words(text: str) -> str:
    words: list[str] = []
    for word in text.split(" "):
        if len(" ".join([*words, word])) > TITLE_MAX:
            break
        words.append(word)
    while len(words) > 1 and words[-1].lower().strip(",;:") in DANGLING_WORDS:
        words.pop()
    return " ".join(words) or text[:TITLE_MAX]


# --- what the bot says ------------------------------------------------------------------


def say_what(ctx: Ctx) -> Safe:
    return ctx._(
        "Nice that you want to start something!\n\n"
        "What would you like to do with your neighbours? Tell it in one or two sentences. "
        "For example: “Take out tiles and plant greenery in our street.”"
    )


def say_level(ctx: Ctx) -> Safe:
    return ctx._("Is it for your street, your neighbourhood or your whole district?")


def say_place(ctx: Ctx) -> Safe:
    if ctx.data.get(Step.LEVEL) == Level.STREET.value:
        return ctx._("Which street is it? For example: Lindelaan.")
    return ctx._("Which neighbourhood or district is it? For example: Lombok.")


def say_postcode(ctx: Ctx) -> Safe:
    return ctx._(
        "What are the 4 digits of the postcode there? Then neighbours nearby can find "
        "your initiative. You may also skip this."
    )


def say_why(ctx: Ctx) -> Safe:
    return ctx._(
        "Why does this matter to you? Neighbours join sooner when they know why. "
        "Type it, or skip it for now."
    )


def say_theme(ctx: Ctx) -> Safe:
    return ctx._("Which theme fits best?")


def say_title(ctx: Ctx) -> Safe:
    return ctx._(
        "Last question: a short title, at most {limit} characters. "
        "Type one, or take my suggestion.",
        limit=TITLE_MAX,
    )


async def title_choices(ctx: Ctx) -> list[Choice]:
    what = ctx.data.get(Step.WHAT)
    if not isinstance(what, str) or not what.strip():
        return []
    suggestion = suggest_title(what)
    return [Choice("sug", lambda _c: suggestion, value=suggestion, means="yes")]  # "ok" takes it


def after_place(ctx: Ctx, _value: object) -> Step:
    return Step.WHY if area_of(ctx.person) else Step.POSTCODE


# --- creating it ------------------------------------------------------------------------


async def create(ctx: Ctx, title: str) -> Next:
    person = ctx.person
    if person.consented_at is None or person.id is None:
        await conv.advance(ctx, END)
        await ctx.open(ASK_CONSENT, ctx._("I can't save your idea yet."))
        return HANDLED
    data = ctx.data
    now = ctx.now()
    initiative = Initiative(
        title=title[:TITLE_MAX],
        what=str(data.get(Step.WHAT, ""))[:1000],
        why=str(data.get(Step.WHY) or "")[:1000],
        level=Level(data.get(Step.LEVEL, Level.STREET.value)),
        place=str(data.get(Step.PLACE, ""))[:120],
        postcode_area=data.get(Step.POSTCODE) or area_of(person),
        theme=Theme(data.get(Step.THEME, Theme.OTHER.value)),
        invite_token=new_invite_token(),
        created_at=now,
        phase_changed_at=now,
        last_activity_at=now,
    )
    ctx.session.add(initiative)
    await ctx.session.flush()
    ctx.session.add(
        Membership(
            initiative_id=initiative.id or 0,
            resident_id=person.id,
            role=MemberRole.INITIATOR,
            joined_at=now,
        )
    )
    ctx.emit(InitiativeCreated(initiative.id or 0, person.id))
    await conv.advance(ctx, END)
    await check_progress(ctx, initiative)
    await ctx.open(
        INITIATIVE_CARD,
        initiative,
        intro=ctx._(
            "Your idea is saved! This is the card of your initiative. "
            "From here you invite neighbours and plan the next steps."
        ),
    )
    return HANDLED


idea_flow = Flow(
    "idea",
    [
        Ask(
            Step.WHAT,
            say=say_what,
            text=TextAnswer(parse=parse_what, min_length=3, max_length=1000),
            then=Step.LEVEL,
        ),
        Ask(
            Step.LEVEL,
            say=say_level,
            choices=[
                Choice(level.value, label, value=level.value)
                for level, label in LEVEL_LABELS.items()
            ],
            text=TextAnswer(parse=parse_level, max_length=40),
            columns=3,
            then=Step.PLACE,
        ),
        Ask(
            Step.PLACE,
            say=say_place,
            text=TextAnswer(parse=parse_place, min_length=2, max_length=120),
            then=after_place,
        ),
        Ask(
            Step.POSTCODE,
            say=say_postcode,
            choices=[Choice("skip", N_("Skip"), value=None)],
            text=TextAnswer(parse=parse_area, max_length=20),
            then=Step.WHY,
        ),
        Ask(
            Step.WHY,
            say=say_why,
            choices=[Choice("skip", N_("Skip for now"), value="")],
            text=TextAnswer(min_length=2, max_length=1000),
            then=Step.THEME,
        ),
        Ask(
            Step.THEME,
            say=say_theme,
            choices=[
                Choice(theme.value, label, value=theme.value)
                for theme, label in THEME_LABELS.items()
            ],
            text=TextAnswer(parse=parse_theme, max_length=60),
            columns=2,
            then=Step.TITLE,
        ),
        Ask(
            Step.TITLE,
            say=say_title,
            choices=title_choices,
            text=TextAnswer(parse=parse_title, min_length=3, max_length=TITLE_MAX),
            then=create,
        ),
    ],
)


async def share_idea(ctx: Ctx) -> None:
    if ctx.person.consented_at is None:
        await ctx.open(ASK_CONSENT, ctx._("Nice that you want to share an idea!"))
        return
    await conv.start_flow(ctx, idea_flow.name)


def register(registry: Registry) -> None:
    registry.add_flow(idea_flow)
    registry.menu_entry("idea", N_("Share an idea"), order=10)(share_idea)
    registry.provide(SHARE_IDEA)(share_idea)
