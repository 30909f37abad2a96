"""Printed materials and calendar files: for every action (and every initiative's
invitation) an A4 poster and a door letter as PDF, a door tally sheet for rounds along
the doors, each with a QR code of the sign-up deep link; and an ``.ics`` per action.

PDFs are HTML (Jinja2 templates beside this file, every value escaped) laid out by
WeasyPrint, which needs Pango (Debian's libpango-1.0-0 and libpangoft2-1.0-0); QR codes
by segno, embedded as SVG so they print sharp at any size. See docs/architecture.md.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from bot.i18n import N_, Texts

TEMPLATES = Path(__file__).resolve().parent / "templates"
# The texts of the templates (templates/*.html call t(...)), here for the catalogs.
TEMPLATE_TEXTS = (
    N_("Actions and turnout"),
    N_("Actions held"),
    N_("Address"),
    N_("Ask {name}, who organises it."),
    N_("Bring"),
    N_(
        "Counted figures are what the initiatives entered after their actions and door "
        "rounds. Estimated figures multiply them by these factors; each saving is counted "
        "once, from one measure."
    ),
    N_("Counted or estimated"),
    N_("Date"),
    N_("Dear neighbour,"),
    N_("District"),
    N_("Door-to-door round: {title}"),
    N_("Factor"),
    N_("Factors"),
    N_("Figures"),
    N_("Frozen for the period, computed {when}."),
    N_("Impact report"),
    N_("Initiative"),
    N_("Initiatives"),
    N_("Initiatives per phase"),
    N_("Made with Buurbot, the chat helper for neighbourhood initiatives."),
    N_("Neighbours together"),
    N_("No outcomes were recorded in this period."),
    N_("Not home"),
    N_("Not online? No problem: just come along. Everyone is welcome."),
    N_("Note"),
    N_("Number"),
    N_(
        "Only write down names and numbers if the neighbour agrees. Throw the sheet away "
        "once the totals are in the chat."
    ),
    N_("Outcomes and impact"),
    N_("Over"),
    N_("People at actions"),
    N_("Period"),
    N_("Phase"),
    N_("Questions?"),
    N_("Result"),
    N_("Says yes"),
    N_("Scan the code with your phone to sign up."),
    N_("Sign up by scanning the code with your phone, or at {link}."),
    N_("Source"),
    N_("Spoke to"),
    N_("Target"),
    N_("Targets and results"),
    N_("The initiatives"),
    N_("The period is still running: computed {when}."),
    N_("To the residents of this address"),
    N_("Total"),
    N_("Unit"),
    N_("Value"),
    N_("Warm regards,"),
    N_("What"),
    N_("When"),
    N_("Where"),
    N_("Where the factors come from"),
    N_("With the support of {owner}."),
    N_(
        "Write one line per address. Tick what fits; add the totals at the bottom and "
        "type them into the chat afterwards: “Enter a door tally” on the action."
    ),
)
TALLY_ROWS = 18


@dataclass(frozen=True, slots=True)
class Sheet:
    """What a poster, letter or tally sheet says: plain text, escaped when rendered."""

    title: str
    link: str  # the deep link the QR code opens
    organiser: str  # the initiator's first name
    when: str = ""
    place: str = ""
    summary: str = ""
    bring: Sequence[str] = ()
    owner: str | None = None  # the programme's organisation, where there is one
    body: Sequence[str] = field(default=())


def qr_data_uri(link: str) -> str:
    """The link as a QR code (SVG data URI), error correction M, with its quiet zone."""
    import segno

    return str(segno.make(link, error="m", micro=False).svg_data_uri(scale=8, border=4))


@cache
def _environment() -> Any:
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def translator(texts: Texts) -> Callable[..., Any]:
    """``t(msgid, **values)`` for a template: translated, values escaped by Texts."""
    from markupsafe import Markup

    def t(msgid: str, **values: object) -> Markup:
        return Markup(texts._(msgid, **values))  # Texts escaped every value

    return t


def render_html(template: str, texts: Texts, **context: object) -> str:
    css = (TEMPLATES / "base.css").read_text(encoding="utf-8")
    page = _environment().get_template(template)
    direction = "rtl" if texts.rtl else "ltr"
    return str(page.render(t=translator(texts), lang=texts.lang, dir=direction, css=css, **context))


def html_to_pdf(html: str) -> bytes:
    from weasyprint import HTML

    return bytes(HTML(string=html, base_url=str(TEMPLATES)).write_pdf())


def poster_pdf(sheet: Sheet, texts: Texts) -> bytes:
    return html_to_pdf(render_html("poster.html", texts, m=sheet, qr=qr_data_uri(sheet.link)))


def letter_pdf(sheet: Sheet, texts: Texts) -> bytes:
    return html_to_pdf(render_html("letter.html", texts, m=sheet, qr=qr_data_uri(sheet.link)))


def tally_pdf(sheet: Sheet, texts: Texts, rows: int = TALLY_ROWS) -> bytes:
    html = render_html("tally.html", texts, m=sheet, qr=qr_data_uri(sheet.link), rows=rows)
    return html_to_pdf(html)


def file_name(kind: str, title: str, extension: str = "pdf") -> str:
    """``poster-tegel-eruit-plant-erin.pdf``: letters, digits and dashes only."""
    import re
    import unicodedata

    plain = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")[:40].strip("-")
    return f"{kind}-{slug or 'buurbot'}.{extension}"
