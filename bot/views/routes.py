"""The typed payload of every button route: one frozen dataclass per (route, verb).

`Kind(...).pack()` is what a button carries (`1:<route>:<verb>:<fields>`, the wire format
buttons already sent use); `bot.core.payloads.decode` reads it back, and a flow handles it
with `registry.on(Kind)`. Flows and the scheduler's renderers both build buttons from here.
"""

from __future__ import annotations

from dataclasses import dataclass

# The conversation machinery's own are declared in the core, which cannot import views.
from bot.core.payloads import Answer as Answer
from bot.core.payloads import MenuChoice as MenuChoice
from bot.core.payloads import Press
from bot.core.payloads import Resume as Resume
from bot.core.payloads import ToMenu as ToMenu

# --- the basics ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Language(Press, route="lang"):
    code: str


@dataclass(frozen=True)
class Privacy(Press, route="privacy"):
    pass


@dataclass(frozen=True)
class Setting(Press, route="set"):
    """show, or one of the reminder choices (on, pause, off)."""

    choice: str


@dataclass(frozen=True)
class HelpNext(Press, route="helpnext"):
    action_id: int


@dataclass(frozen=True)
class WebLink(Press, route="web"):
    pass


@dataclass(frozen=True)
class LinkGive(Press, route="link", verb="give"):
    pass


@dataclass(frozen=True)
class LinkHave(Press, route="link", verb="have"):
    pass


# --- broadcasts and announcements ------------------------------------------------------------


@dataclass(frozen=True)
class BroadcastNew(Press, route="bc", verb="new"):
    pass


@dataclass(frozen=True)
class BroadcastCancel(Press, route="bc", verb="cancel"):
    broadcast_id: int


@dataclass(frozen=True)
class BroadcastPreview(Press, route="bc", verb="pv"):
    pass


@dataclass(frozen=True)
class OptOut(Press, route="optout"):
    pass


@dataclass(frozen=True)
class OptIn(Press, route="optin"):
    pass


# --- support requests --------------------------------------------------------------------------


@dataclass(frozen=True)
class SupportOpen(Press, route="sup", verb="open"):
    pass


@dataclass(frozen=True)
class SupportReply(Press, route="sup", verb="r"):
    request_id: int


@dataclass(frozen=True)
class SupportToCoach(Press, route="sup", verb="c"):
    initiative_id: int


# --- the coach ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CoachOverview(Press, route="coach", verb="ov"):
    page: int = 0


@dataclass(frozen=True)
class CoachCard(Press, route="coach", verb="card"):
    initiative_id: int


@dataclass(frozen=True)
class CoachMessage(Press, route="coach", verb="msg"):
    initiative_id: int


@dataclass(frozen=True)
class CoachPhase(Press, route="coach", verb="phase"):
    initiative_id: int


@dataclass(frozen=True)
class CoachSnooze(Press, route="coach", verb="snz"):
    initiative_id: int
    weeks: int  # 0: never mind


@dataclass(frozen=True)
class CoachSeen(Press, route="coach", verb="seen"):
    initiative_id: int


# --- actions, their tasks, review and RSVP ------------------------------------------------------


@dataclass(frozen=True)
class ActNew(Press, route="act", verb="new"):
    initiative_id: int
    kind: str  # meeting or action


@dataclass(frozen=True)
class ActList(Press, route="act", verb="list"):
    initiative_id: int


@dataclass(frozen=True)
class ActShow(Press, route="act", verb="show"):
    action_id: int


@dataclass(frozen=True)
class ActEdit(Press, route="act", verb="edit"):
    action_id: int


@dataclass(frozen=True)
class ActCancel(Press, route="act", verb="cancel"):
    action_id: int


@dataclass(frozen=True)
class ActCancelConfirmed(Press, route="act", verb="cancelok"):
    action_id: int


@dataclass(frozen=True)
class ActChecklist(Press, route="act", verb="chk"):
    action_id: int


@dataclass(frozen=True)
class ActTick(Press, route="act", verb="tick"):
    action_id: int
    index: int


@dataclass(frozen=True)
class ActInvitation(Press, route="act", verb="inv"):
    action_id: int


@dataclass(frozen=True)
class TaskList(Press, route="task", verb="list"):
    action_id: int


@dataclass(frozen=True)
class TaskAdd(Press, route="task", verb="add"):
    action_id: int


@dataclass(frozen=True)
class TaskPick(Press, route="task", verb="pick"):
    task_id: int


@dataclass(frozen=True)
class TaskTo(Press, route="task", verb="to"):
    task_id: int
    resident_id: int


@dataclass(frozen=True)
class TaskDone(Press, route="task", verb="done"):
    task_id: int


@dataclass(frozen=True)
class Review(Press, route="review"):
    action_id: int


@dataclass(frozen=True)
class RsvpChoice(Press, route="rsvp"):
    action_id: int
    answer: str  # a key of bot.views.buttons.RSVP_KEYS


@dataclass(frozen=True)
class RsvpWho(Press, route="rsvp", verb="who"):
    action_id: int


# --- printed materials ------------------------------------------------------------------------


@dataclass(frozen=True)
class MatInvite(Press, route="mat", verb="invite"):
    initiative_id: int
    lang: str | None = None


@dataclass(frozen=True)
class MatPoster(Press, route="mat", verb="poster"):
    action_id: int
    lang: str | None = None


@dataclass(frozen=True)
class MatTally(Press, route="mat", verb="tally"):
    action_id: int


@dataclass(frozen=True)
class MatIcs(Press, route="mat", verb="ics"):
    action_id: int


@dataclass(frozen=True)
class MatDoor(Press, route="mat", verb="door"):
    action_id: int


# --- action kits and quotes ------------------------------------------------------------------
# The initiative a kit is browsed for travels last, when there is one.


@dataclass(frozen=True)
class KitThemes(Press, route="kit", verb="themes"):
    initiative_id: int | None = None


@dataclass(frozen=True)
class KitList(Press, route="kit", verb="list"):
    initiative_id: int | None = None


@dataclass(frozen=True)
class KitTheme(Press, route="kit", verb="theme"):
    theme: str
    initiative_id: int | None = None


@dataclass(frozen=True)
class KitShow(Press, route="kit", verb="show"):
    kit: str
    initiative_id: int | None = None


@dataclass(frozen=True)
class KitStep(Press, route="kit", verb="step"):
    kit: str
    number: int
    initiative_id: int | None = None


@dataclass(frozen=True)
class KitNav(Press, route="kit", verb="nav"):
    kit: str
    number: int
    initiative_id: int | None = None


@dataclass(frozen=True)
class KitUse(Press, route="kit", verb="use"):
    kit: str
    initiative_id: int | None = None


@dataclass(frozen=True)
class QuoteAdd(Press, route="quote", verb="add"):
    initiative_id: int
    measure: str


@dataclass(frozen=True)
class QuoteCompare(Press, route="quote", verb="cmp"):
    initiative_id: int
    measure: str


@dataclass(frozen=True)
class QuoteDelete(Press, route="quote", verb="del"):
    initiative_id: int
    measure: str
    quote_id: int


# --- groups ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GroupRsvp(Press, route="grsvp"):
    action_id: int
    answer: str


@dataclass(frozen=True)
class ShowName(Press, route="gname"):
    action_id: int
    show: bool


@dataclass(frozen=True)
class GroupLink(Press, route="grp", verb="link"):
    token: str
    initiative_id: int | None = None


@dataclass(frozen=True)
class GroupUnlink(Press, route="grp", verb="unlink"):
    token: str


@dataclass(frozen=True)
class GroupNew(Press, route="grp", verb="new"):
    token: str


# --- the initiative card: `ini:<verb>:<initiative id>[:more]` -----------------------------------


@dataclass(frozen=True)
class OnInitiative(Press):
    """A press about one initiative (the route loads it and checks the permission)."""

    initiative_id: int


@dataclass(frozen=True)
class IniConsent(Press, route="ini", verb="consent"):
    link: str | None = None  # the deep link that brought the person here


@dataclass(frozen=True)
class IniCard(OnInitiative, route="ini", verb="card"):
    pass


@dataclass(frozen=True)
class IniProgress(OnInitiative, route="ini", verb="progress"):
    pass


@dataclass(frozen=True)
class IniWishes(OnInitiative, route="ini", verb="wishes"):
    pass


@dataclass(frozen=True)
class IniNoGroup(OnInitiative, route="ini", verb="nogroup"):
    pass


@dataclass(frozen=True)
class IniHandOver(OnInitiative, route="ini", verb="handover"):
    pass


@dataclass(frozen=True)
class IniWhy(OnInitiative, route="ini", verb="why"):
    pass


@dataclass(frozen=True)
class IniSupport(OnInitiative, route="ini", verb="support"):
    pass


@dataclass(frozen=True)
class IniMembers(OnInitiative, route="ini", verb="members"):
    pass


@dataclass(frozen=True)
class IniPromote(OnInitiative, route="ini", verb="promote"):
    resident_id: int
    move: str  # team or initiator


@dataclass(frozen=True)
class IniGiveRole(OnInitiative, route="ini", verb="giverole"):
    resident_id: int


@dataclass(frozen=True)
class IniAskTeam(OnInitiative, route="ini", verb="askteam"):
    pass


@dataclass(frozen=True)
class IniLeave(OnInitiative, route="ini", verb="leave"):
    pass


@dataclass(frozen=True)
class IniLeaveConfirmed(OnInitiative, route="ini", verb="leaveok"):
    pass


@dataclass(frozen=True)
class IniInvite(OnInitiative, route="ini", verb="invite"):
    pass


@dataclass(frozen=True)
class IniRevoke(OnInitiative, route="ini", verb="revoke"):
    pass


@dataclass(frozen=True)
class IniRenew(OnInitiative, route="ini", verb="renew"):
    pass


@dataclass(frozen=True)
class IniJoin(Press, route="ini", verb="join"):
    kind: str  # follow or team
    token: str


@dataclass(frozen=True)
class IniCoach(OnInitiative, route="ini", verb="coach"):
    pass


@dataclass(frozen=True)
class IniTeam(OnInitiative, route="ini", verb="team"):
    pass


@dataclass(frozen=True)
class IniRoles(OnInitiative, route="ini", verb="roles"):
    pass


@dataclass(frozen=True)
class IniScript(OnInitiative, route="ini", verb="script"):
    role: str


@dataclass(frozen=True)
class IniPlan(OnInitiative, route="ini", verb="plan"):
    pass


@dataclass(frozen=True)
class IniEdit(OnInitiative, route="ini", verb="edit"):
    pass


@dataclass(frozen=True)
class IniShare(OnInitiative, route="ini", verb="share"):
    pass
