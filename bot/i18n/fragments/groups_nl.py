"""Dutch texts for street group chats (bot/groups.py, bot/flows/groups.py).

Write them to a fragment with:
    python -m bot.i18n.fragment_tool bot/i18n/fragments/groups_nl.py groups
"""

NL = {
    # --- names in a row
    "{a} and {b}": "{a} en {b}",
    "{a}, {b} and {c}": "{a}, {b} en {c}",
    ("{a} and {n} other", "{a} and {n} others"): ("{a} en {n} ander", "{a} en {n} anderen"),
    ("{a}, {b} and {n} other", "{a}, {b} and {n} others"): (
        "{a}, {b} en {n} ander",
        "{a}, {b} en {n} anderen",
    ),
    ("and {n} more", "and {n} more"): ("en nog {n}", "en nog {n}"),
    # --- polls
    (
        "Start a poll like this:\n"
        "<code>/poll Which day? Sat 12 Dec | Sun 13 Dec | 2d</code>\n"
        "First the question (ending in ?), then 2 to 10 answers separated by |. "
        "At the end, if you like, how long it stays open: 2d, 3 days, 12h, or "
        "“until Friday 20:00”. Without it, it stays open for 2 days."
    ): (
        "Zo start je een peiling:\n"
        "<code>/peiling Welke dag? za 12 dec | zo 13 dec | 2d</code>\n"
        "Eerst de vraag (met een ? erachter), dan 2 tot 10 antwoorden met een | ertussen. "
        "Aan het eind kun je zeggen hoe lang hij open blijft: 2d, 3 dagen, 12u, of "
        "“tot vrijdag 20:00”. Zeg je niets, dan blijft hij 2 dagen open."
    ),
    "I do not understand the deadline “{deadline}”. Try 2d or “until Friday 20:00”.": (
        "Ik begrijp het einde “{deadline}” niet. Probeer 2d of “tot vrijdag 20:00”."
    ),
    "The question is too long: keep it under {limit} characters.": (
        "De vraag is te lang: houd hem onder de {limit} tekens."
    ),
    "A poll needs 2 to 10 answers, separated by |. I found {count}.": (
        "Een peiling heeft 2 tot 10 antwoorden nodig, met een | ertussen. Ik vond er {count}."
    ),
    "An answer is too long: keep each under {limit} characters.": (
        "Een antwoord is te lang: houd elk antwoord onder de {limit} tekens."
    ),
    "Two answers are the same. Make each answer different.": (
        "Twee antwoorden zijn hetzelfde. Maak elk antwoord anders."
    ),
    "Keep the poll open for at least an hour.": "Laat de peiling minstens een uur open.",
    "A poll can stay open for 4 weeks at most.": "Een peiling kan hooguit 4 weken open blijven.",
    "{question} (until {when})": "{question} (tot {when})",
    "📊 <b>The poll is closed:</b> {question}": "📊 <b>De peiling is gesloten:</b> {question}",
    ("{option}: {n} vote", "{option}: {n} votes"): ("{option}: {n} stem", "{option}: {n} stemmen"),
    "Nobody voted.": "Niemand heeft gestemd.",
    "Most votes: <b>{option}</b>.": "De meeste stemmen: <b>{option}</b>.",
    "A tie between: <b>{options}</b>.": "Gelijk tussen: <b>{options}</b>.",
    ("{n} neighbour voted.", "{n} neighbours voted."): (
        "{n} buur heeft gestemd.",
        "{n} buren hebben gestemd.",
    ),
    "Only the organisers of <b>{title}</b> can start a poll here.": (
        "Alleen de organisatoren van <b>{title}</b> kunnen hier een peiling starten."
    ),
    # --- help and linking, in the group
    (
        "<b>What I do in this group</b>\n"
        "/action – the next action: say whether you will come\n"
        "/poll – a poll, started by the organisers\n"
        "/plan – the plan of the initiative, pinned at the top\n"
        "/help – this help\n\n"
        "I do not read along: I only react to commands and to my buttons. Here you see "
        "totals, and only the names of neighbours who chose to show theirs."
    ): (
        "<b>Wat ik doe in deze groep</b>\n"
        "/actie – de volgende actie: zeg of je komt\n"
        "/peiling – een peiling, gestart door de organisatoren\n"
        "/plan – het plan van het initiatief, bovenaan vastgezet\n"
        "/help – deze uitleg\n\n"
        "Ik lees niet mee: ik reageer alleen op opdrachten en op mijn knoppen. Hier zie je "
        "totalen, en alleen de namen van buren die hun naam zelf willen laten zien."
    ),
    (
        "This group does not belong to an initiative yet. An initiator who is also an admin "
        "of this group links it: tap the button."
    ): (
        "Deze groep hoort nog niet bij een initiatief. Een initiatiefnemer die ook beheerder "
        "van deze groep is, koppelt hem: tik op de knop."
    ),
    "🔗 Link this group": "🔗 Groep koppelen",
    "I am no longer active in this group.": "Ik ben niet meer actief in deze groep.",
    (
        "👋 I am back! This group belongs to <b>{title}</b>. Type /plan for the plan, "
        "or /action for the next action."
    ): (
        "👋 Ik ben er weer! Deze groep hoort bij <b>{title}</b>. Typ /plan voor het plan, "
        "of /actie voor de volgende actie."
    ),
    "👋 Hello! I am Buurbot. I help neighbours to do something good in their street, together.": (
        "👋 Hallo! Ik ben Buurbot. Ik help buren om samen iets goeds te doen in hun straat."
    ),
    (
        "Here I post actions you can answer (coming, maybe, can't), polls, and the plan. "
        "I do not read along: I only react to commands like /action, and to my buttons."
    ): (
        "Hier zet ik acties neer waarop je kunt zeggen of je komt, peilingen en het plan. "
        "Ik lees niet mee: ik reageer alleen op opdrachten zoals /actie, en op mijn knoppen."
    ),
    "An initiator links this group to their initiative.": (
        "Een initiatiefnemer koppelt deze groep aan zijn of haar initiatief."
    ),
    "{name}, I sent you a private message to do that.": (
        "{name}, ik heb je een privébericht gestuurd om dat te doen."
    ),
    "Tap the button to do that in a chat with me.": (
        "Tik op de knop om dat te doen in een chat met mij."
    ),
    "Tip: make me an admin of this group, then I can pin the plan.": (
        "Tip: maak mij beheerder van deze groep, dan kan ik het plan vastzetten."
    ),
    "/{name} works in a private chat with me. Here I know /action, /poll, /plan and /help.": (
        "/{name} werkt in een privéchat met mij. Hier ken ik /actie, /peiling, /plan en /help."
    ),
    (
        "This command works in a street group chat that I am in. "
        "Add me to your street's group, then use it there."
    ): (
        "Deze opdracht werkt in een groepschat van je straat waar ik in zit. "
        "Voeg mij toe aan die groep en gebruik hem daar."
    ),
    # --- the action card
    "🙋 With their name: {names}": "🙋 Met naam: {names}",
    (
        "Tap whether you will come. The group sees totals, and only the names of "
        "neighbours who chose to show theirs."
    ): (
        "Tik of je komt. De groep ziet de totalen, en alleen de namen van buren die dat "
        "zelf willen."
    ),
    "🔔 Remind me": "🔔 Herinner mij",
    "🙋 Show my name": "🙋 Mijn naam tonen",
    "This card is no longer active here. Type /action for the current one.": (
        "Deze kaart werkt hier niet meer. Typ /actie voor de nieuwste."
    ),
    "Want a reminder in your own chat? Tap “🔔 Remind me”.": (
        "Wil je een herinnering in je eigen chat? Tik op “🔔 Herinner mij”."
    ),
    (
        "Nothing is planned yet for <b>{title}</b>. When the organisers plan an action, "
        "type /action again."
    ): (
        "Er is nog niets gepland voor <b>{title}</b>. Als de organisatoren een actie plannen, "
        "typ je weer /actie."
    ),
    "⬇️ This card moved down: answer on the newest one.": (
        "⬇️ Deze kaart staat nu lager: antwoord op de nieuwste."
    ),
    # --- the plan
    "📌 <b>The plan of {title}</b>": "📌 <b>Het plan van {title}</b>",
    "📅 <b>Next:</b> {action}": "📅 <b>Hierna:</b> {action}",
    "Type /action to say whether you will come.": "Typ /actie om te zeggen of je komt.",
    "📅 Nothing is planned yet. The next action will appear here.": (
        "📅 Er is nog niets gepland. De volgende actie zie je hier."
    ),
    (
        "🙋 <b>Want to help?</b> Join the initiative: then you hear about every action in "
        "your own chat, and you can help to organise."
    ): (
        "🙋 <b>Wil je helpen?</b> Doe mee met het initiatief: dan hoor je over elke actie in "
        "je eigen chat, en kun je helpen organiseren."
    ),
    "🙋 Join the initiative": "🙋 Doe mee",
    "📌 The plan is pinned at the top of this group. Nothing changed since.": (
        "📌 Het plan staat bovenaan vastgezet. Er is niets veranderd."
    ),
    "✅ This group now belongs to <b>{title}</b>!": "✅ Deze groep hoort nu bij <b>{title}</b>!",
    # --- welcomes
    ("{n} new neighbour", "{n} new neighbours"): ("{n} nieuwe buur", "{n} nieuwe buren"),
    "👋 Welcome {names}!": "👋 Welkom {names}!",
    "This group belongs to <b>{title}</b>.": "Deze groep hoort bij <b>{title}</b>.",
    "Want to join in? Tap the button: then you hear about actions in your own chat.": (
        "Doe je mee? Tik op de knop: dan hoor je over acties in je eigen chat."
    ),
    "Type /plan for the plan.": "Typ /plan voor het plan.",
    # --- linking, in a private chat
    "You added me to the group <b>{group}</b>. Thank you!": (
        "Je hebt mij toegevoegd aan de groep <b>{group}</b>. Dank je!"
    ),
    "The group <b>{group}</b> belongs to <b>{title}</b>.": (
        "De groep <b>{group}</b> hoort bij <b>{title}</b>."
    ),
    "Unlink this group": "Groep loskoppelen",
    (
        "Which initiative does the group <b>{group}</b> belong to? Only an initiator who "
        "is also an admin of the group can link it."
    ): (
        "Bij welk initiatief hoort de groep <b>{group}</b>? Alleen een initiatiefnemer die "
        "ook beheerder van de groep is, kan hem koppelen."
    ),
    "Start a new initiative": "Start een nieuw initiatief",
    (
        "The group <b>{group}</b> does not belong to an initiative yet. An initiator links "
        "it to their initiative. You have not started one yet: shall we start one now?"
    ): (
        "De groep <b>{group}</b> hoort nog niet bij een initiatief. Een initiatiefnemer "
        "koppelt hem aan zijn of haar initiatief. Jij hebt er nog geen gestart: zullen we "
        "er nu een starten?"
    ),
    "I am not in that group (any more). Add me to the group first, then try again.": (
        "Ik zit (niet meer) in die groep. Voeg mij eerst toe aan de groep en probeer het "
        "dan opnieuw."
    ),
    "Only an initiator of <b>{title}</b> can unlink its group chat.": (
        "Alleen een initiatiefnemer van <b>{title}</b> kan de groep loskoppelen."
    ),
    (
        "Only an initiator of <b>{title}</b> can link a group chat to it. Ask one of them to do it."
    ): (
        "Alleen een initiatiefnemer van <b>{title}</b> kan er een groep aan koppelen. "
        "Vraag of een van hen het doet."
    ),
    "Try again": "Opnieuw proberen",
    (
        "I could not check with Telegram whether you are an admin of <b>{group}</b>. "
        "Please try again in a minute."
    ): (
        "Ik kon bij Telegram niet nagaan of je beheerder bent van <b>{group}</b>. "
        "Probeer het over een minuutje opnieuw."
    ),
    (
        "Only an admin of the group <b>{group}</b> can do this, and you are not one. "
        "Ask an admin to make you an admin too, then tap the button again."
    ): (
        "Alleen een beheerder van de groep <b>{group}</b> kan dit, en dat ben jij niet. "
        "Vraag een beheerder om jou ook beheerder te maken, en tik dan weer op de knop."
    ),
    (
        "The group <b>{group}</b> already belongs to <b>{title}</b>. "
        "An initiator of that initiative can unlink it first."
    ): (
        "De groep <b>{group}</b> hoort al bij <b>{title}</b>. "
        "Een initiatiefnemer daarvan kan hem eerst loskoppelen."
    ),
    (
        "<b>{title}</b> already has a group chat: <b>{group}</b>. One group per "
        "initiative: unlink that one first."
    ): (
        "<b>{title}</b> heeft al een groep: <b>{group}</b>. Eén groep per initiatief: "
        "koppel die eerst los."
    ),
    "Linked.": "Gekoppeld.",
    (
        "Done: the group <b>{group}</b> now belongs to <b>{title}</b>. I told the group, "
        "with the plan. Neighbours there can now use /action, /poll and /plan."
    ): (
        "Klaar: de groep <b>{group}</b> hoort nu bij <b>{title}</b>. Ik heb het in de groep "
        "verteld, met het plan. Buren kunnen daar nu /actie, /peiling en /plan gebruiken."
    ),
    (
        "This group no longer belongs to <b>{title}</b>. An initiator can link it again "
        "with the button."
    ): (
        "Deze groep hoort niet meer bij <b>{title}</b>. Een initiatiefnemer kan hem weer "
        "koppelen met de knop."
    ),
    "Unlinked.": "Losgekoppeld.",
    "Done: the group <b>{group}</b> no longer belongs to <b>{title}</b>.": (
        "Klaar: de groep <b>{group}</b> hoort niet meer bij <b>{title}</b>."
    ),
    (
        "Nice! Let us start your initiative. When it is saved, I will ask you whether "
        "to link the group <b>{group}</b> to it."
    ): (
        "Leuk! We starten je initiatief. Als het bewaard is, vraag ik of ik de groep "
        "<b>{group}</b> eraan koppel."
    ),
    (
        "Nice! Let us start your initiative. When it is saved, open the link in the "
        "group <b>{group}</b> again to link it."
    ): (
        "Leuk! We starten je initiatief. Als het bewaard is, open je de link in de groep "
        "<b>{group}</b> nog een keer om hem te koppelen."
    ),
    (
        "Shall I link the group <b>{group}</b> to <b>{title}</b>? Then the neighbours there "
        "can say whether they come to your actions."
    ): (
        "Zal ik de groep <b>{group}</b> koppelen aan <b>{title}</b>? Dan kunnen de buren "
        "daar zeggen of ze naar je acties komen."
    ),
    "Yes, link it": "Ja, koppel hem",
    # --- show my name, in a private chat
    "I cannot find that action in a street group (any more).": (
        "Ik kan die actie (niet meer) vinden in een groep."
    ),
    "You want your name on the card of <b>{title}</b> in the group.": (
        "Je wilt je naam op de kaart van <b>{title}</b> in de groep."
    ),
    (
        "You have not answered for <b>{title}</b> yet. Tap your answer on the card in "
        "the group <b>{group}</b> first, then open this again."
    ): (
        "Je hebt nog niet geantwoord voor <b>{title}</b>. Tik eerst je antwoord op de kaart "
        "in de groep <b>{group}</b>, en open dit daarna opnieuw."
    ),
    "Your name is shown on the card in <b>{group}</b> when you are coming.": (
        "Je naam staat op de kaart in <b>{group}</b> als je komt."
    ),
    "Only count me": "Tel mij alleen mee",
    "On the card in <b>{group}</b> you are only counted: your name is not shown.": (
        "Op de kaart in <b>{group}</b> tel je alleen mee: je naam staat er niet op."
    ),
    "Show my name": "Mijn naam tonen",
    "<b>Your name on the card of {title}</b>": "<b>Je naam op de kaart van {title}</b>",
    "Your name is shown.": "Je naam staat erop.",
    "You are only counted.": "Je telt alleen mee.",
    # --- after the action
    ("{n} neighbour came.", "{n} neighbours came."): (
        "{n} buur was erbij.",
        "{n} buren waren erbij.",
    ),
    ("{n} neighbour said they were coming.", "{n} neighbours said they were coming."): (
        "{n} buur zei: ik kom.",
        "{n} buren zeiden: ik kom.",
    ),
    "🙏 Thank you, everyone who came to <b>{title}</b>! {figure}": (
        "🙏 Dank je wel, iedereen die bij <b>{title}</b> was! {figure}"
    ),
    "What comes next? You will read it here. Type /plan for the plan.": (
        "Wat gaan we hierna doen? Dat lees je hier. Typ /plan voor het plan."
    ),
    "Want to help organise the next one? Join the initiative.": (
        "Wil je helpen de volgende te organiseren? Doe mee met het initiatief."
    ),
    # --- the command menu
    "The next action: say whether you will come": "De volgende actie: zeg of je komt",
    "Start a poll (organisers)": "Start een peiling (organisatoren)",
    "The plan of the initiative, pinned": "Het plan van het initiatief, vastgezet",
}
