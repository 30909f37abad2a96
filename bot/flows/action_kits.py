"""Action kits: browse them by theme and phase (anyone, also without consent, from the
main menu), read a kit (summary, threshold, tenants, checklist, the steps one by one),
and use one for an initiative: the plan flow starts prefilled and the action gets the
kit's checklist. For collective purchases: add supplier quotes and compare them.

Buttons: ``kit:themes[:ini]``, ``kit:list:<ini>``, ``kit:theme:<theme>[:ini]``,
``kit:show:<kit>[:ini]``, ``kit:step:<kit>:<n>[:ini]`` (``nav``: the same, turning the
page in place), ``kit:use:<kit>[:ini]``;
``quote:add:<ini>:<wp|m2>``, ``quote:cmp:<ini>:<wp|m2>``. Kit texts come from the kit
files in the reader's language (not from the catalogs) and are escaped here.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from sqlmodel import col, select

from bot.core import conversation as conv
from bot.core.context import Ctx
from bot.core.flow import END, HANDLED, Ask, Choice, Flow, Invalid, Next, TextAnswer
from bot.core.registry import Registry
from bot.core.seam import Button
from bot.domain.actions import find_kit, quote_measure, valid_id
from bot.domain.authz import Permission, may
from bot.domain.initiatives import get_initiative, initiatives_of
from bot.domain.kits import PHASES, THEMES, Kit, KitError, kits_for, load_kits
from bot.domain.operations import add_quote, delete_quote
from bot.domain.phases import phase_label
from bot.i18n import N_, Safe, Texts, escape
from bot.views.access import load_initiative
from bot.views.action_card import kind_label
from bot.views.buttons import initiative_button, menu_button
from bot.views.cards import theme_label
from bot.views.entries import PLANNING
from bot.views.routes import (
    KitList,
    KitNav,
    KitShow,
    KitStep,
    KitTheme,
    KitThemes,
    KitUse,
    QuoteAdd,
    QuoteCompare,
    QuoteDelete,
)
from bot.views.screens import kindly, show
from bot.views.text import paragraphs, shorten, with_intro
from storage.models import ActionKind, Initiative, Phase, Quote, Theme

KIT_PHASES = {
    "activeren": Phase.ACTIVATE,
    "structureren": Phase.STRUCTURE,
    "groeien": Phase.GROW,
    "bestendigen": Phase.SUSTAIN,
}
PHASE_KITS = {phase: name for name, phase in KIT_PHASES.items()}
AMOUNT_MAX = Decimal(10_000_000)


# --- helpers --------------------------------------------------------------------------------


def all_kits() -> list[Kit]:
    try:
        return sorted(load_kits().values(), key=lambda k: (PHASES.index(k.phase), k.id))
    except KitError:
        return []


def kit_phase_label(texts: Texts, kit_phase: str) -> str:
    return phase_label(texts, KIT_PHASES.get(kit_phase, Phase.ACTIVATE))


def kit_theme_label(texts: Texts, theme: str) -> str:
    try:
        return theme_label(texts, Theme(theme))
    except ValueError:
        return theme_label(texts, Theme.OTHER)


def kit_title(texts: Texts, kit: Kit) -> str:
    return kit.text(texts.lang).title


def ini_id(initiative: Initiative | None) -> int | None:
    """The initiative a kit is browsed for, as its buttons carry it (last, when there is one)."""
    return initiative.id if initiative is not None else None


async def context_initiative(ctx: Ctx, raw: int | None) -> Initiative | None:
    """The initiative a kit is browsed for, when the person may see it; otherwise none
    (the kits themselves are open to everyone)."""
    initiative = await get_initiative(ctx.session, valid_id(raw))
    if initiative is None:
        return None
    if not await may(ctx.session, ctx.person, Permission.VIEW_INITIATIVE, initiative):
        return None
    return initiative


def back_rows(ctx: Ctx, initiative: Initiative | None) -> list[list[Button]]:
    if initiative is not None:
        return [[initiative_button(ctx.texts, initiative.id or 0), menu_button(ctx.texts)]]
    return [[menu_button(ctx.texts)]]


def kit_buttons(ctx: Ctx, kits: list[Kit], initiative: Initiative | None) -> list[list[Button]]:
    return [
        [
            Button(
                shorten(kit_title(ctx.texts, kit), 50),
                KitShow(kit.id, ini_id(initiative)).pack(),
            )
        ]
        for kit in kits[: ctx.services.policy.list_max]
    ]


async def stale_kit(ctx: Ctx) -> None:
    ctx.toast(ctx._("I can't find that."))
    await kindly(
        ctx,
        ctx._("I can't find that action kit (any more)."),
        [[Button(ctx._("All action kits"), KitThemes().pack())]],
    )


# --- browsing -------------------------------------------------------------------------------


async def show_themes(ctx: Ctx, initiative: Initiative | None) -> None:
    kits = all_kits()
    themes = [theme for theme in THEMES if any(kit.theme == theme for kit in kits)]
    text = ctx._(
        "<b>Ideas for actions</b>\n"
        "Ready-made plans that neighbours used before: what to do, step by step, "
        "with a checklist and an invitation.\n\nChoose a theme:"
    )
    rows = [
        [
            Button(
                kit_theme_label(ctx.texts, theme),
                KitTheme(theme, ini_id(initiative)).pack(),
            )
        ]
        for theme in themes
    ]
    if not themes:
        text = ctx._("There are no action kits right now. Please ask your coach.")
    ctx.say(text, [*rows, *back_rows(ctx, initiative)])


async def kits_menu(ctx: Ctx) -> None:
    await show_themes(ctx, None)


async def kit_themes(ctx: Ctx, press: KitThemes) -> None:
    conv.leave_flow(ctx, keep_for_later=True)
    await show_themes(ctx, await context_initiative(ctx, press.initiative_id))


async def kit_theme(ctx: Ctx, press: KitTheme) -> None:
    theme = press.theme
    if theme not in THEMES:
        await conv.refuse_stale(ctx)
        return
    initiative = await context_initiative(ctx, press.initiative_id)
    conv.leave_flow(ctx, keep_for_later=True)
    try:
        kits = kits_for(theme)
    except KitError:
        kits = []
    lines: list[str] = [
        ctx._("<b>Action kits: {theme}</b>", theme=kit_theme_label(ctx.texts, theme))
    ]
    for kit_phase in PHASES:
        in_phase = [kit for kit in kits if kit.phase == kit_phase]
        if not in_phase:
            continue
        lines += ["", ctx._("<b>Phase: {phase}</b>", phase=kit_phase_label(ctx.texts, kit_phase))]
        lines += [f"• {escape(kit_title(ctx.texts, kit))}" for kit in in_phase]
    if not kits:
        lines += ["", ctx._("There are no kits for this theme yet.")]
    rows = kit_buttons(ctx, kits, initiative)
    rows.append([Button(ctx._("Other themes"), KitThemes(ini_id(initiative)).pack())])
    ctx.say(Safe("\n".join(lines)), [*rows, *back_rows(ctx, initiative)])


async def kit_list(ctx: Ctx, press: KitList) -> None:
    """The kits that fit an initiative: its theme, and its phase. Without an initiative
    (someone who has none, or did not consent) all kits, by theme."""
    if press.initiative_id is None:
        await kit_themes(ctx, KitThemes())
        return
    initiative = await load_initiative(ctx, press.initiative_id, Permission.VIEW_INITIATIVE)
    if initiative is None:
        return
    conv.leave_flow(ctx, keep_for_later=True)
    kits = all_kits()
    kit_phase = PHASE_KITS.get(initiative.phase, "activeren")
    same_theme = [kit for kit in kits if kit.theme == initiative.theme.value]
    in_phase = [kit for kit in kits if kit.phase == kit_phase and kit not in same_theme]
    lines: list[str] = [ctx._("<b>Action kits for {initiative}</b>", initiative=initiative.title)]
    if same_theme:
        lines += [
            "",
            ctx._(
                "<b>Your theme: {theme}</b>",
                theme=kit_theme_label(ctx.texts, initiative.theme.value),
            ),
        ]
        lines += [f"• {escape(kit_title(ctx.texts, kit))}" for kit in same_theme]
    if in_phase:
        lines += [
            "",
            ctx._(
                "<b>Fits your phase: {phase}</b>",
                phase=kit_phase_label(ctx.texts, kit_phase),
            ),
        ]
        lines += [f"• {escape(kit_title(ctx.texts, kit))}" for kit in in_phase]
    if not same_theme and not in_phase:
        lines += ["", ctx._("No kit fits exactly. Have a look at all themes.")]
    rows = kit_buttons(ctx, same_theme + in_phase, initiative)
    rows.append([Button(ctx._("All themes"), KitThemes(initiative.id).pack())])
    ctx.say(Safe("\n".join(lines)), [*rows, *back_rows(ctx, initiative)])


def kit_page(ctx: Ctx, kit: Kit) -> Safe:
    texts = ctx.texts
    text = kit.text(texts.lang)
    lines = [
        f"<b>{escape(text.title)}</b>",
        escape(text.summary),
        "",
        ctx._(
            "<b>Theme:</b> {theme} · <b>Phase:</b> {phase} · {kind}",
            theme=kit_theme_label(texts, kit.theme),
            phase=kit_phase_label(texts, kit.phase),
            kind=kind_label(
                texts, ActionKind(kit.kind) if kit.kind == "meeting" else ActionKind.ACTION
            ),
        ),
    ]
    if kit.threshold:
        lines.append(
            ctx._(
                "<b>Needed:</b> about {threshold} households. {reason}",
                threshold=texts.number(kit.threshold),
                reason=text.threshold_reason or "",
            )
        )
    lines.append(
        ctx._("🏠 Tenants can take part well.")
        if kit.tenant_friendly
        else ctx._(
            "🏠 Mainly for home owners. Tenants can ask their landlord or housing "
            "corporation to take part."
        )
    )
    lines.append(
        ctx.n_(
            "<b>Steps:</b> {n} step. Press “Steps” to go through it.",
            "<b>Steps:</b> {n} steps. Press “Steps” to go through them one by one.",
            len(text.steps),
        )
    )
    lines += ["", ctx._("<b>Checklist:</b>")]
    lines += [f"☐ {escape(item)}" for item in text.checklist]
    if text.fallback:  # marked: a kit text not yet translated is shown in English
        lines += [
            "",
            ctx._("<i>Part of this kit is not translated yet: that part is in English.</i>"),
        ]
    return Safe("\n".join(lines))


async def kit_rows(ctx: Ctx, kit: Kit, initiative: Initiative | None) -> list[list[Button]]:
    rows = [
        [
            Button(ctx._("Steps"), KitStep(kit.id, 1, ini_id(initiative)).pack()),
            Button(ctx._("Use this kit"), KitUse(kit.id, ini_id(initiative)).pack()),
        ]
    ]
    measure = quote_measure(kit)
    if (
        measure
        and initiative is not None
        and await may(ctx.session, ctx.person, Permission.PLAN_ACTION, initiative)
    ):
        rows.append(
            [
                Button(ctx._("Add a quote"), QuoteAdd(initiative.id or 0, measure).pack()),
                Button(ctx._("Compare quotes"), QuoteCompare(initiative.id or 0, measure).pack()),
            ]
        )
    rows.append(
        [
            Button(
                ctx._("Other kits in this theme"),
                KitTheme(kit.theme, ini_id(initiative)).pack(),
            )
        ]
    )
    return [*rows, *back_rows(ctx, initiative)]


async def kit_show(ctx: Ctx, press: KitShow) -> None:
    kit = find_kit(press.kit)
    if kit is None:
        await stale_kit(ctx)
        return
    initiative = await context_initiative(ctx, press.initiative_id)
    conv.leave_flow(ctx, keep_for_later=True)
    page = kit_page(ctx, kit)
    if initiative is not None:  # the programme that offers this kit where they live
        from bot.domain.programmes import with_programme

        page = await with_programme(
            ctx.session, initiative, ctx.now(), ctx.texts.tz, page, kit_id=kit.id
        )
    ctx.say(page, await kit_rows(ctx, kit, initiative))


async def kit_nav(ctx: Ctx, press: KitNav) -> None:
    """Previous / next step: the step message itself turns the page."""
    await kit_step(ctx, press, edit=True)


async def kit_step(ctx: Ctx, press: KitStep | KitNav, *, edit: bool = False) -> None:
    kit = find_kit(press.kit)
    number = press.number
    if kit is None:
        await stale_kit(ctx)
        return
    steps = kit.text(ctx.texts.lang).steps
    if not 1 <= number <= len(steps):
        await conv.refuse_stale(ctx)
        return
    initiative = await context_initiative(ctx, press.initiative_id)
    conv.leave_flow(ctx, keep_for_later=True)
    heading = f"<b>{escape(kit_title(ctx.texts, kit))}</b>\n" + ctx._(
        "Step {number} of {total}",
        number=ctx.texts.number(number),
        total=ctx.texts.number(len(steps)),
    )
    parts = [heading, escape(steps[number - 1])]
    if kit.text(ctx.texts.lang).in_english("steps", number):
        parts.append(ctx._("<i>This step is not translated yet: it is in English.</i>"))
    text = paragraphs(*parts)
    # "Next" first and "Previous" after the kit's buttons: each keeps its place (and its
    # number in the console) from the first step to the last, present or not.
    rows: list[list[Button]] = []
    if number < len(steps):
        rows.append(
            [Button(ctx._("Next ▶"), KitNav(kit.id, number + 1, ini_id(initiative)).pack())]
        )
    rows.append(
        [
            Button(ctx._("Back to the kit"), KitShow(kit.id, ini_id(initiative)).pack()),
            Button(ctx._("Use this kit"), KitUse(kit.id, ini_id(initiative)).pack()),
        ]
    )
    if number > 1:
        previous = KitNav(kit.id, number - 1, ini_id(initiative)).pack()
        rows.append([Button(ctx._("◀ Previous"), previous)])
    rows += back_rows(ctx, initiative)
    show(ctx, text, rows, edit=edit)


async def kit_use(ctx: Ctx, press: KitUse) -> None:
    kit = find_kit(press.kit)
    if kit is None:
        await stale_kit(ctx)
        return
    kind = ActionKind.MEETING if kit.kind == "meeting" else ActionKind.ACTION
    if press.initiative_id is not None:
        initiative = await load_initiative(ctx, press.initiative_id, Permission.PLAN_ACTION)
        if initiative is not None:
            await ctx.open(PLANNING, initiative, kind, kit.id)
        return
    mine = [
        initiative
        for initiative, _ in await initiatives_of(ctx.session, ctx.person.id or 0)
        if await may(ctx.session, ctx.person, Permission.PLAN_ACTION, initiative)
    ]
    if len(mine) == 1:
        await ctx.open(PLANNING, mine[0], kind, kit.id)
        return
    conv.leave_flow(ctx, keep_for_later=True)
    back = [Button(ctx._("Back to the kit"), KitShow(kit.id).pack())]
    if not mine:
        ctx.say(
            ctx._(
                "To use a kit, you need an initiative that you help organise. "
                "Share your idea first from the menu, or ask the initiators of your "
                "initiative to add you to the team."
            ),
            [back, [menu_button(ctx.texts)]],
        )
        return
    rows = [
        [Button(shorten(initiative.title, 50), KitUse(kit.id, initiative.id).pack())]
        for initiative in mine[: ctx.services.policy.list_max]
    ]
    ctx.say(
        ctx._(
            "For which initiative do you want to use <b>{kit}</b>?", kit=kit_title(ctx.texts, kit)
        ),
        [*rows, back, [menu_button(ctx.texts)]],
    )


# --- quotes for a collective purchase -------------------------------------------------------


_NUMBER = re.compile(r"^\d+([.,]\d+)*$")


# Languages that write 12,5 (CLDR); English and Arabic (in Latin digits) write 12.5.
COMMA_DECIMALS = frozenset({"nl", "tr", "pl", "uk"})


def parse_amount(text: str, lang: str) -> Decimal | None:
    """A number typed the Dutch or the English way: "12.500", "12.500,50", "12,500.50",
    "1,25", "€ 4.000", "4000 Wp". A lone separator is the decimal one of the person's
    language, or a thousands separator when exactly three digits follow it."""
    cleaned = re.sub(r"(?i)(€|eur(?:os|o)?|wp|m2|m²|,-|\s)", "", text)
    if not cleaned or len(cleaned) > 20 or not _NUMBER.match(cleaned):
        return None
    decimal_mark = "," if lang in COMMA_DECIMALS else "."
    marks = [char for char in cleaned if char in ".,"]
    if len(set(marks)) == 2:
        decimal_mark = marks[-1]
        if marks.count(decimal_mark) > 1:
            return None
        whole, _, fraction = cleaned.rpartition(decimal_mark)
        number = whole.replace("." if decimal_mark == "," else ",", "") + "." + fraction
    elif marks:
        mark = marks[0]
        groups = cleaned.split(mark)
        thousands = all(len(group) == 3 for group in groups[1:])
        if len(groups) > 2 or (mark != decimal_mark and thousands):
            if not thousands:
                return None
            number = "".join(groups)
        else:
            number = cleaned.replace(mark, ".")
    else:
        number = cleaned
    try:
        return Decimal(number)
    except InvalidOperation:
        return None


class QuoteStep(StrEnum):
    SUPPLIER = "supplier"
    TOTAL = "total"
    SIZE = "size"
    SAVING = "saving"


def _amount(ctx: Ctx, text: str, *, allow_zero: bool = False) -> str:
    amount = parse_amount(text, ctx.texts.lang)
    if amount is None or amount > AMOUNT_MAX or amount < 0 or (amount == 0 and not allow_zero):
        raise Invalid(N_("That isn't a number I can use. Type it like 12500 or 12.500,50."))
    return str(amount)


def parse_supplier(_ctx: Ctx, text: str) -> str:
    name = " ".join(text.split())
    if not any(char.isalnum() for char in name):
        raise Invalid(N_("That doesn't look like a name. Which supplier is it?"))
    return name


def say_supplier(ctx: Ctx) -> Safe:
    return ctx._("Which supplier made the quote? Type the name.")


def say_total(ctx: Ctx) -> Safe:
    return ctx._(
        "What's the total price of the quote of {supplier}, in euros, including VAT? "
        "For example 12.500.",
        supplier=ctx.data.get(QuoteStep.SUPPLIER, ""),
    )


def say_size(ctx: Ctx) -> Safe:
    if ctx.data.get("measure") == "wp":
        return ctx._(
            "How many watt peak (Wp) is it in total? For example 4000 for ten panels of 400 Wp."
        )
    return ctx._("How many square metres (m²) does the quote cover in total?")


def say_saving(ctx: Ctx) -> Safe:
    return ctx._(
        "How much does it save per year, in euros, according to the supplier? "
        "Then I can work out in how many years it pays for itself."
    )


async def save_quote(ctx: Ctx, _value: object) -> Next:
    initiative = await get_initiative(ctx.session, valid_id(ctx.data.get("initiative_id")))
    measure = "wp" if ctx.data.get("measure") == "wp" else "m2"
    data = dict(ctx.data)
    await conv.advance(ctx, END)
    if initiative is None or not await may(
        ctx.session, ctx.person, Permission.PLAN_ACTION, initiative
    ):
        await kindly(ctx, ctx._("You can no longer add quotes to this initiative."))
        return HANDLED
    size = float(data.get(QuoteStep.SIZE) or 0) or None
    saving = data.get(QuoteStep.SAVING)
    await add_quote(
        ctx.session,
        initiative,
        ctx.person,
        supplier=str(data.get(QuoteStep.SUPPLIER) or "?")[:80],
        total_eur=float(data.get(QuoteStep.TOTAL) or 0),
        watt_peak=size if measure == "wp" else None,
        area_m2=size if measure == "m2" else None,
        yearly_saving_eur=float(saving) if saving is not None else None,
        now=ctx.now(),
        emit=ctx.emit,
    )
    await show_comparison(ctx, initiative, measure, intro=ctx._("✅ The quote is saved."))
    return HANDLED


quote_flow = Flow(
    "quote",
    [
        Ask(
            QuoteStep.SUPPLIER,
            say=say_supplier,
            text=TextAnswer(parse=parse_supplier, max_length=80),
            then=QuoteStep.TOTAL,
        ),
        Ask(
            QuoteStep.TOTAL,
            say=say_total,
            text=TextAnswer(parse=lambda c, t: _amount(c, t), max_length=40, asks_number=True),
            then=QuoteStep.SIZE,
        ),
        Ask(
            QuoteStep.SIZE,
            say=say_size,
            text=TextAnswer(parse=lambda c, t: _amount(c, t), max_length=40, asks_number=True),
            then=QuoteStep.SAVING,
        ),
        Ask(
            QuoteStep.SAVING,
            say=say_saving,
            choices=[Choice("skip", N_("I don't know"), value=None)],
            text=TextAnswer(
                parse=lambda c, t: _amount(c, t, allow_zero=True), max_length=40, asks_number=True
            ),
            then=save_quote,
        ),
    ],
)


def euros(texts: Texts, value: Decimal) -> str:
    # Quotes and Babel's currency data are imported when quotes are shown, not at start.
    from babel.numbers import format_currency

    from bot.domain.quotes import round_eur

    return format_currency(round_eur(value), "EUR", locale=texts.locale)


FLAGS = {
    "eur_per_wp": N_("cheapest per Wp"),
    "eur_per_m2": N_("cheapest per m²"),
    "payback_years": N_("pays back fastest"),
}


def _exact(stored: float | None) -> Decimal | None:
    """A stored figure as the exact decimal it was typed as."""
    return None if stored is None else Decimal(str(stored))


async def show_comparison(
    ctx: Ctx, initiative: Initiative, measure: str, intro: str | None = None
) -> None:
    from bot.domain.quotes import Quote as QuoteFigureInput
    from bot.domain.quotes import compare_quotes, round_years

    texts = ctx.texts
    column = col(Quote.watt_peak) if measure == "wp" else col(Quote.area_m2)
    stored = (
        (
            await ctx.session.execute(
                select(Quote)
                .where(Quote.initiative_id == initiative.id, column.is_not(None))
                .order_by(col(Quote.created_at), col(Quote.id))
            )
        )
        .scalars()
        .all()
    )
    quotes = []
    for row in stored:
        try:
            quotes.append(
                QuoteFigureInput(
                    supplier=row.supplier,
                    total_eur=Decimal(str(row.total_eur)),
                    area_m2=_exact(row.area_m2),
                    watt_peak=_exact(row.watt_peak),
                    yearly_saving_eur=_exact(row.yearly_saving_eur),
                )
            )
        except (TypeError, ValueError):
            continue
    heading = (
        ctx._("<b>Quotes for solar panels, compared</b>")
        if measure == "wp"
        else ctx._("<b>Quotes for insulation, compared</b>")
    )
    lines = [heading, ctx._("For: {initiative}", initiative=initiative.title), ""]
    if not quotes:
        lines.append(
            ctx._(
                "No quotes yet. Ask at least three suppliers the same questions, "
                "then add their quotes here."
            )
        )
    for place, figures in enumerate(compare_quotes(quotes), start=1):
        parts = [ctx._("total {amount}", amount=euros(texts, figures.quote.total_eur))]
        if figures.eur_per_wp is not None:
            parts.append(ctx._("{amount} per Wp", amount=euros(texts, figures.eur_per_wp)))
        if figures.eur_per_m2 is not None:
            parts.append(ctx._("{amount} per m²", amount=euros(texts, figures.eur_per_m2)))
        if figures.payback_years is not None:
            parts.append(
                ctx._(
                    "pays back in {years} years",
                    years=texts.number(round_years(figures.payback_years)),
                )
            )
        best = ", ".join(ctx._(FLAGS[name]) for name in figures.best_on)
        lines.append(f"{place}. <b>{escape(figures.supplier)}</b>" + (" ⭐" if best else ""))
        lines.append("   " + " · ".join(parts))
        if best:
            lines.append(f"   ⭐ {best}")
    if quotes:
        lines += [
            "",
            ctx._(
                "The payback time is simple: the price divided by the yearly saving, without "
                "interest or subsidies. Check that every supplier counts the saving the same way."
            ),
        ]
    rows: list[list[Button]] = []
    if await may(ctx.session, ctx.person, Permission.PLAN_ACTION, initiative):
        rows.append([Button(ctx._("Add a quote"), QuoteAdd(initiative.id or 0, measure).pack())])
        rows += [
            [
                Button(
                    ctx._("Remove the quote of {supplier}", supplier=row.supplier[:24]),
                    QuoteDelete(initiative.id or 0, measure, row.id or 0).pack(),
                )
            ]
            for row in stored
        ]
    rows += back_rows(ctx, initiative)
    text = Safe("\n".join(lines))
    ctx.say(with_intro(intro, text), rows)


async def _quoted(
    ctx: Ctx, press: QuoteAdd | QuoteCompare | QuoteDelete, permission: Permission
) -> Initiative | None:
    """The initiative a quote button names, when the measure is one and the person may."""
    if press.measure not in ("wp", "m2"):
        await conv.refuse_stale(ctx)
        return None
    initiative = await load_initiative(ctx, press.initiative_id, permission)
    if initiative is not None:
        conv.leave_flow(ctx, keep_for_later=True)
    return initiative


async def quote_add_pressed(ctx: Ctx, press: QuoteAdd) -> None:
    if initiative := await _quoted(ctx, press, Permission.PLAN_ACTION):
        data = {"initiative_id": initiative.id, "measure": press.measure}
        await conv.start_flow(ctx, "quote", data)


async def quote_delete_pressed(ctx: Ctx, press: QuoteDelete) -> None:
    if initiative := await _quoted(ctx, press, Permission.PLAN_ACTION):
        await remove_quote(ctx, initiative, press.measure, valid_id(press.quote_id))


async def quote_compare_pressed(ctx: Ctx, press: QuoteCompare) -> None:
    if initiative := await _quoted(ctx, press, Permission.VIEW_INITIATIVE):
        await show_comparison(ctx, initiative, press.measure)


async def remove_quote(
    ctx: Ctx, initiative: Initiative, measure: str, quote_id: int | None
) -> None:
    """Remove one quote of this initiative (a typo, a supplier that withdrew)."""
    quote = await ctx.session.get(Quote, quote_id) if quote_id is not None else None
    if quote is None or quote.initiative_id != initiative.id:
        ctx.toast(ctx._("That quote was removed already."))
        await show_comparison(ctx, initiative, measure)
        return
    supplier = quote.supplier
    await delete_quote(ctx.session, initiative, quote, ctx.person, emit=ctx.emit)
    await show_comparison(
        ctx, initiative, measure, intro=ctx._("Removed the quote of {supplier}.", supplier=supplier)
    )


def register(registry: Registry) -> None:
    registry.add_flow(quote_flow)
    registry.on(KitThemes)(kit_themes)
    registry.on(KitList)(kit_list)
    registry.on(KitTheme)(kit_theme)
    registry.on(KitShow)(kit_show)
    registry.on(KitStep)(kit_step)
    registry.on(KitNav)(kit_nav)
    registry.on(KitUse)(kit_use)
    registry.on(QuoteAdd)(quote_add_pressed)
    registry.on(QuoteCompare)(quote_compare_pressed)
    registry.on(QuoteDelete)(quote_delete_pressed)
    registry.menu_entry("kits", N_("Ideas for actions"), order=40)(kits_menu)
