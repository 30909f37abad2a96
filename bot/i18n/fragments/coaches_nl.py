"""Dutch texts for the coaches: the overview and detail card (bot/flows/coach.py), support
requests (bot/flows/support.py), announcements (bot/broadcasts.py, bot/flows/broadcast.py)
and the weekly digest (bot/coaches.py).

Write them to a fragment with:
    python -m bot.i18n.fragment_tool bot/i18n/fragments/coaches_nl.py coaches
"""

NL = {
    # --- recent activity on the coach's card
    "the idea was shared": "het idee is gedeeld",
    "the idea was described": "het idee is beschreven",
    "a neighbour joined": "een buur doet mee",
    "a neighbour joined the team": "een buur zit nu in het team",
    "the team roles were checked": "de teamrollen zijn bekeken",
    "a plan for the missing role": "een plan voor de rol die nog mist",
    "the neighbours' wishes were gathered": "de wensen van de buren zijn opgehaald",
    "they go on without a group chat": "ze gaan verder zonder groepsapp",
    "an action was planned": "er is een activiteit gepland",
    "an action was moved": "een activiteit is verzet",
    "an action was cancelled": "een activiteit gaat niet door",
    "an action was reviewed": "er is teruggekeken op een activiteit",
    "a task was added": "er is een taak bijgekomen",
    "a task was divided": "er is een taak verdeeld",
    "a task was done": "er is een taak gedaan",
    "the checklist was ticked off": "de checklist is afgevinkt",
    "a quote was added": "er is een offerte toegevoegd",
    "the support meter was updated": "de draagvlakmeter is bijgewerkt",
    "a question to the coach": "een vraag aan de coach",
    "a new phase was reached": "een nieuwe fase bereikt",
    "the coach corrected the phase": "de coach heeft de fase aangepast",
    "the invitation link was renewed": "de uitnodigingslink is vernieuwd",
    "the invitation link was switched off": "de uitnodigingslink staat uit",
    "something changed": "er is iets veranderd",
    # --- the weekly digest
    "<b>Your week as a coach</b> ({start} – {end})": "<b>Jouw week als coach</b> ({start} – {end})",
    ("<b>{n} initiative</b> in your portfolio", "<b>{n} initiatives</b> in your portfolio"): (
        "<b>{n} initiatief</b> in je portefeuille",
        "<b>{n} initiatieven</b> in je portefeuille",
    ),
    "<b>Phase changes this week</b>": "<b>Nieuwe fases deze week</b>",
    "{title}: now {phase}": "{title}: nu {phase}",
    "{title}: new": "{title}: nieuw",
    "No changes this week.": "Deze week niets veranderd.",
    "<b>Quiet, may need a hand</b>": "<b>Stil, kan wel een duwtje gebruiken</b>",
    ("{title}: quiet for {n} day", "{title}: quiet for {n} days"): (
        "{title}: {n} dag stil",
        "{title}: {n} dagen stil",
    ),
    ("{title}: “{question}” (waiting {n} day)", "{title}: “{question}” (waiting {n} days)"): (
        "{title}: “{question}” (wacht {n} dag)",
        "{title}: “{question}” (wacht {n} dagen)",
    ),
    # --- who gets an announcement
    "All residents": "Alle bewoners",
    "Initiators": "Initiatiefnemers",
    "Team members and initiators": "Teamleden en initiatiefnemers",
    "Only people": "Alleen mensen",
    "People and street groups": "Mensen en straatgroepen",
    "Only street groups": "Alleen straatgroepen",
    "area {areas}": "gebied {areas}",
    "theme {theme}": "thema {theme}",
    "phase {phase}": "fase {phase}",
    # --- the announcement itself
    "📣 <b>Announcement from {name}, neighbourhood coach</b>": (
        "📣 <b>Bericht van {name}, buurtcoach</b>"
    ),
    "📣 <b>Announcement from Buurbot</b>": "📣 <b>Bericht van Buurbot</b>",
    "More information": "Meer informatie",
    "<i>You get this because you said yes to announcements from coaches.</i>": (
        "<i>Je krijgt dit omdat je ja hebt gezegd op berichten van buurtcoaches.</i>"
    ),
    "Stop announcements": "Stop met deze berichten",
    # --- progress and report
    "✅ Delivered: {delivered} of {total}": "✅ Bezorgd: {delivered} van {total}",
    "🚫 Unreachable (blocked the bot or gone): {n}": (
        "🚫 Niet bereikbaar (bot geblokkeerd of weg): {n}"
    ),
    "🔕 Stopped announcements since: {n}": "🔕 Inmiddels gestopt met berichten: {n}",
    "⛔ Not sent (cancelled): {n}": "⛔ Niet verstuurd (geannuleerd): {n}",
    "⚠️ Failed: {n} ({reasons})": "⚠️ Mislukt: {n} ({reasons})",
    "📣 <b>Announcement cancelled</b>": "📣 <b>Bericht geannuleerd</b>",
    "📣 <b>Announcement sent</b>": "📣 <b>Bericht verstuurd</b>",
    "📣 <b>Cancelling the announcement…</b>": "📣 <b>Bericht wordt geannuleerd…</b>",
    "📣 <b>Sending your announcement…</b>": "📣 <b>Je bericht wordt verstuurd…</b>",
    "“{text}”": "“{text}”",
    "⏳ Still to send: {n}": "⏳ Nog te versturen: {n}",
    "🌙 {n} of them get it when their quiet hours end.": (
        "🌙 {n} daarvan krijgen het als hun rustige uren voorbij zijn."
    ),
    "<b>Report of your cancelled announcement</b>": "<b>Verslag van je geannuleerde bericht</b>",
    "<b>Report of your announcement</b>": "<b>Verslag van je bericht</b>",
    "What would you like to do next?": "Wat wil je nu doen?",
    "Cancel the announcement": "Annuleer het bericht",
    "New announcement": "Nieuw bericht",
    "My initiatives as a coach": "Mijn initiatieven als coach",
    # --- the coach's overview and card
    "The initiator left the initiative. Someone may need to take over.": (
        "De initiatiefnemer is gestopt. Misschien moet iemand het overnemen."
    ),
    "Something here needs your attention.": "Hier moet je even naar kijken.",
    "That is not available for you.": "Dat kan niet voor jou.",
    "Sorry, this initiative is coached by someone else, so I cannot open that for you. "
    "Your own initiatives are in your overview.": (
        "Sorry, een andere coach begeleidt dit initiatief. Daarom kan ik het niet voor je "
        "openen. Je eigen initiatieven staan in je overzicht."
    ),
    "Sorry, that is only for neighbourhood coaches. Would you like help from a coach? "
    "Open your initiative and tap “Ask my coach”.": (
        "Sorry, dat is alleen voor buurtcoaches. Wil je hulp van een coach? "
        "Open je initiatief en tik op “Vraag het mijn coach”."
    ),
    "<b>Your initiatives as a coach</b>\n\nThere are no initiatives in your portfolio yet. "
    "When a neighbour in your area starts one, it appears here.": (
        "<b>Jouw initiatieven als coach</b>\n\nEr staan nog geen initiatieven in je "
        "portefeuille. Begint een buur in jouw gebied er een, dan zie je het hier."
    ),
    "<b>Your initiatives as a coach</b>": "<b>Jouw initiatieven als coach</b>",
    ("{n} initiative", "{n} initiatives"): ("{n} initiatief", "{n} initiatieven"),
    "⚠️ <b>Quiet for {days} or more</b>": "⚠️ <b>{days} of langer stil</b>",
    "• {title} ({days})": "• {title} ({days})",
    "❓ <b>Open questions</b>": "❓ <b>Open vragen</b>",
    "• {title}: “{question}” ({days})": "• {title}: “{question}” ({days})",
    "<b>All initiatives</b>": "<b>Alle initiatieven</b>",
    (
        "• {marks}{title} · {place} · {n} organiser",
        "• {marks}{title} · {place} · {n} organisers",
    ): (
        "• {marks}{title} · {place} · {n} organisator",
        "• {marks}{title} · {place} · {n} organisatoren",
    ),
    "Page {page} of {pages}.": "Pagina {page} van {pages}.",
    "Tap an initiative to open it.": "Tik op een initiatief om het te openen.",
    "Answer open questions": "Beantwoord open vragen",
    "💤 Stall alert snoozed until {day}.": "💤 Melding bij stilstand staat uit tot {day}.",
    "⚠️ Quiet for {days}.": "⚠️ Al {days} stil.",
    "<b>Team and roles</b>": "<b>Team en rollen</b>",
    "expert": "deskundige",
    "connector": "verbinder",
    "organiser": "organisator",
    "• {name}: {role} ({roles})": "• {name}: {role} ({roles})",
    "• {name}: {role}": "• {name}: {role}",
    ("+ {n} neighbour follows", "+ {n} neighbours follow"): (
        "+ {n} buur volgt het",
        "+ {n} buren volgen het",
    ),
    "<b>Next action:</b> {title}, {when}": "<b>Volgende activiteit:</b> {title}, {when}",
    "<b>Next action:</b> none planned.": "<b>Volgende activiteit:</b> nog niets gepland.",
    "<b>Support:</b> {reached} households reached · {interested} interested · "
    "{committed} taking part": (
        "<b>Draagvlak:</b> {reached} huishoudens bereikt · {interested} geïnteresseerd · "
        "{committed} doen mee"
    ),
    "<b>Recent activity</b>": "<b>Wat er laatst gebeurde</b>",
    "• {when}: {what} ({name})": "• {when}: {what} ({name})",
    "• {when}: {what}": "• {when}: {what}",
    "Nothing yet.": "Nog niets.",
    "<b>Goals of this phase</b>": "<b>Doelen van deze fase</b>",
    "✉️ Message the initiators": "✉️ Stuur de initiatiefnemers een bericht",
    "Correct the phase": "Pas de fase aan",
    "Switch the stall alert back on": "Zet de melding bij stilstand weer aan",
    ("💤 {n} week", "💤 {n} weeks"): ("💤 {n} week", "💤 {n} weken"),
    "I have looked at it": "Ik heb ernaar gekeken",
    (
        "Snoozed: I will not call {title} quiet for {n} week.",
        "Snoozed: I will not call {title} quiet for {n} weeks.",
    ): (
        "Gepauzeerd: ik meld {title} {n} week niet als stil.",
        "Gepauzeerd: ik meld {title} {n} weken niet als stil.",
    ),
    "The stall alert for {title} is on again.": (
        "De melding bij stilstand voor {title} staat weer aan."
    ),
    "Done.": "Gedaan.",
    "Thank you. The note is gone.": "Dank je. De melding is weg.",
    # --- a message to the initiators
    "Type your message.": "Typ je bericht.",
    "<b>{title}</b> has no initiator at the moment. Your message cannot reach anyone yet. "
    "Go back to the initiative.": (
        "<b>{title}</b> heeft nu geen initiatiefnemer. Je bericht kan nog niemand bereiken. "
        "Ga terug naar het initiatief."
    ),
    "What do you want to tell the initiators of <b>{title}</b> ({names})?\n\n"
    "Type your message. I send it to each of them in their own chat, "
    "with a button to answer you.": (
        "Wat wil je de initiatiefnemers van <b>{title}</b> ({names}) laten weten?\n\n"
        "Typ je bericht. Ik stuur het naar ieder van hen in hun eigen chat, "
        "met een knop om jou te antwoorden."
    ),
    "There is nobody to send it to yet.": "Er is nog niemand om het naar te sturen.",
    "✉️ <b>Message from {coach}, your neighbourhood coach</b>, about <b>{title}</b>:": (
        "✉️ <b>Bericht van {coach}, je buurtcoach</b>, over <b>{title}</b>:"
    ),
    "Answer {coach}": "Antwoord {coach}",
    "Sent to {names}. When they answer, you get it here.": (
        "Verstuurd naar {names}. Als ze antwoorden, krijg je het hier."
    ),
    # --- correcting the phase
    "Which phase is it in?": "In welke fase zit het?",
    "<b>{title}</b> is now in the phase:\n{line}\n\nWhich phase is it really in?": (
        "<b>{title}</b> staat nu in de fase:\n{line}\n\nIn welke fase zit het echt?"
    ),
    "{number}. {name}": "{number}. {name}",
    "Why? Type a short reason. It goes into the log. "
    "When you set the phase back, the initiators read it too.": (
        "Waarom? Typ een korte reden. Die komt in het logboek. "
        "Zet je de fase terug, dan lezen de initiatiefnemers hem ook."
    ),
    "It is already in that phase.": "Het staat al in die fase.",
    "Done: <b>{title}</b> is now in the phase {phase}. "
    "The team gets a congratulation and hears what this phase is about.": (
        "Gedaan: <b>{title}</b> staat nu in de fase {phase}. "
        "Het team krijgt een felicitatie en hoort waar deze fase om draait."
    ),
    "Your neighbourhood coach {coach} set <b>{title}</b> back to the phase {phase}.\n"
    "The reason: {reason}\n\nHave a look at the goals of this phase.": (
        "Je buurtcoach {coach} heeft <b>{title}</b> teruggezet naar de fase {phase}.\n"
        "De reden: {reason}\n\nKijk eens naar de doelen van deze fase."
    ),
    "Done: <b>{title}</b> is back in the phase {phase}. I told the initiators, with your reason.": (
        "Gedaan: <b>{title}</b> staat weer in de fase {phase}. "
        "Ik heb het de initiatiefnemers laten weten, met jouw reden."
    ),
    "Note: all goals of this phase are met, so it moves on again at the next change.": (
        "Let op: alle doelen van deze fase zijn gehaald. Bij de volgende verandering gaat "
        "het dus weer door naar de volgende fase."
    ),
    # --- the coach link
    "You already used this link: you are a neighbourhood coach.": (
        "Je hebt deze link al gebruikt: je bent buurtcoach."
    ),
    "Sorry, this coach link has already been used, or it does not work any more. "
    "A link works only once. Ask for a new one if you need it.": (
        "Sorry, deze coachlink is al gebruikt, of hij werkt niet meer. "
        "Een link werkt maar één keer. Vraag om een nieuwe als je die nodig hebt."
    ),
    "no area yet": "nog geen gebied",
    "Welcome, {name}! You are now a neighbourhood coach for: {areas}.\n\n"
    "In your overview you see the initiatives you coach, which ones are quiet, "
    "and the questions waiting for you. New initiatives in your area come to you "
    "by themselves.": (
        "Welkom, {name}! Je bent nu buurtcoach voor: {areas}.\n\n"
        "In je overzicht zie je de initiatieven die je begeleidt, welke stil zijn, "
        "en de vragen die op je wachten. Nieuwe initiatieven in jouw gebied komen "
        "vanzelf bij jou."
    ),
    ("{n} initiative is yours now.", "{n} initiatives are yours now."): (
        "{n} initiatief is nu van jou.",
        "{n} initiatieven zijn nu van jou.",
    ),
    "Coaches: your initiatives": "Coaches: jouw initiatieven",
    "Coach overview": "Coachoverzicht",
    # --- support requests
    ("{place} · {n} organiser", "{place} · {n} organisers"): (
        "{place} · {n} organisator",
        "{place} · {n} organisatoren",
    ),
    "Reply": "Antwoorden",
    "❓ <b>A question from {name}</b> about <b>{title}</b>": (
        "❓ <b>Een vraag van {name}</b> over <b>{title}</b>"
    ),
    "“{question}”": "“{question}”",
    "Tap Reply to answer. Your answer goes to their own chat.": (
        "Tik op Antwoorden. Je antwoord komt in hun eigen chat."
    ),
    "⏰ A question about <b>{title}</b> has been waiting for two working days.\n\n"
    "{name} asked: “{question}”\n\nA short answer helps already.": (
        "⏰ Een vraag over <b>{title}</b> wacht al twee werkdagen.\n\n"
        "{name} vroeg: “{question}”\n\nEen kort antwoord helpt al."
    ),
    "Your answer to {name} about <b>{title}</b>. The question was:\n“{question}”\n\n"
    "Type your answer in one message.": (
        "Je antwoord aan {name} over <b>{title}</b>. De vraag was:\n“{question}”\n\n"
        "Typ je antwoord in één bericht."
    ),
    "Type your reply about <b>{title}</b> in one message. I pass it on to your coach.": (
        "Typ je antwoord over <b>{title}</b> in één bericht. Ik geef het door aan je coach."
    ),
    "Fine, nothing was sent.": "Prima, er is niets verstuurd.",
    "Do not send": "Niet versturen",
    "The person who asked is no longer on Buurbot. Your answer is saved.": (
        "Wie de vraag stelde, gebruikt Buurbot niet meer. Je antwoord is bewaard."
    ),
    "💬 <b>{coach}, your neighbourhood coach, answered</b> about <b>{title}</b>:": (
        "💬 <b>{coach}, je buurtcoach, heeft geantwoord</b> over <b>{title}</b>:"
    ),
    "Sent to {name}. If they reply, you get it here.": (
        "Verstuurd naar {name}. Als er een antwoord komt, krijg je het hier."
    ),
    "💬 <b>{name} replied</b> about <b>{title}</b>:": (
        "💬 <b>{name} heeft geantwoord</b> over <b>{title}</b>:"
    ),
    "Sent to {name}.": "Verstuurd naar {name}.",
    "Saved. A neighbourhood coach will read it and answer you here.": (
        "Bewaard. Een buurtcoach leest het en antwoordt je hier."
    ),
    "Type your answer to {coach} in one message.": "Typ je antwoord aan {coach} in één bericht.",
    "your coach": "je coach",
    "I cannot send that: you are no longer in this initiative.": (
        "Dat kan ik niet versturen: je doet niet meer mee aan dit initiatief."
    ),
    "Sent to {name}. You get the answer here in this chat.": (
        "Verstuurd naar {name}. Je krijgt het antwoord hier in deze chat."
    ),
    "There are no open questions. Well done!": "Er zijn geen open vragen. Goed gedaan!",
    (
        "{number}. {title}, {name}: “{question}” (waiting {n} day)",
        "{number}. {title}, {name}: “{question}” (waiting {n} days)",
    ): (
        "{number}. {title}, {name}: “{question}” (wacht {n} dag)",
        "{number}. {title}, {name}: “{question}” (wacht {n} dagen)",
    ),
    "Answer question {number}": "Beantwoord vraag {number}",
    "Which one do you want to answer?": "Welke wil je beantwoorden?",
    # --- composing an announcement
    "<b>New announcement</b>\n\n"
    "Type the text of your announcement, in one message of at most {limit} characters. "
    "Only neighbours who said yes to announcements from coaches get it.": (
        "<b>Nieuw bericht</b>\n\n"
        "Typ de tekst van je bericht, in één bericht van hoogstens {limit} tekens. "
        "Alleen buren die ja zeiden op berichten van buurtcoaches krijgen het."
    ),
    "That looks like a command. Type the text of your announcement.": (
        "Dat lijkt op een opdracht. Typ de tekst van je bericht."
    ),
    "Do you want to add a link, for example to a sign-up form? "
    "Type the web address (starting with https://), or tap “No link”.": (
        "Wil je een link toevoegen, bijvoorbeeld naar een aanmeldformulier? "
        "Typ het webadres (begint met https://), of tik op “Geen link”."
    ),
    "That is not a web address I can use. Type it like https://www.example.nl, or tap “No link”.": (
        "Dat webadres kan ik niet gebruiken. Typ het zo: https://www.voorbeeld.nl, "
        "of tik op “Geen link”."
    ),
    "What should the button of the link say? For example: Sign up. At most {limit} characters.": (
        "Wat moet er op de knop van de link staan? Bijvoorbeeld: Aanmelden. "
        "Hoogstens {limit} tekens."
    ),
    "The button needs a word or two. What should it say?": (
        "Op de knop moet een woord of twee staan. Wat wordt het?"
    ),
    "all my areas": "al mijn gebieden",
    "everywhere": "overal",
    "<b>Who gets it?</b>": "<b>Wie krijgt het?</b>",
    ("👥 {n} person gets it.", "👥 {n} people get it."): (
        "👥 {n} persoon krijgt het.",
        "👥 {n} mensen krijgen het.",
    ),
    ("💬 {n} street group gets it.", "💬 {n} street groups get it."): (
        "💬 {n} straatgroep krijgt het.",
        "💬 {n} straatgroepen krijgen het.",
    ),
    "Only neighbours who said yes to announcements are counted.": (
        "Ik tel alleen buren die ja zeiden op berichten."
    ),
    "Change who gets it with the buttons, or look at the preview.": (
        "Kies met de knoppen wie het krijgt, of bekijk het voorbeeld."
    ),
    "any": "alle",
    "Area: {value}": "Gebied: {value}",
    "Theme: {value}": "Thema: {value}",
    "Phase: {value}": "Fase: {value}",
    "Who: {value}": "Wie: {value}",
    "Reach: {value}": "Bereik: {value}",
    "Everyone in my area who opted in": "Iedereen in mijn gebied die ja zei",
    "Show the preview": "Bekijk het voorbeeld",
    "Which area?": "Welk gebied?",
    "Everywhere": "Overal",
    "All my areas": "Al mijn gebieden",
    "Only for initiatives with this theme:": "Alleen voor initiatieven met dit thema:",
    "Any theme": "Elk thema",
    "Only for initiatives in this phase:": "Alleen voor initiatieven in deze fase:",
    "Any phase": "Elke fase",
    "Who of them? Initiators and team members are the people who organise an initiative.": (
        "Wie van hen? Initiatiefnemers en teamleden zijn de mensen die een initiatief organiseren."
    ),
    "Also in the street groups? A street group is a group chat linked to an initiative. "
    "Everyone in the group reads it there.": (
        "Ook in de straatgroepen? Een straatgroep is een groepsapp die bij een initiatief "
        "hoort. Iedereen in de groep leest het daar."
    ),
    "Nobody in this audience said yes to announcements yet. "
    "Choose a wider audience, or try again later.": (
        "Niemand in deze groep heeft al ja gezegd op berichten. "
        "Kies een grotere groep, of probeer het later nog eens."
    ),
    "<b>Preview</b>, exactly as residents will see it:": (
        "<b>Voorbeeld</b>, precies zoals bewoners het zien:"
    ),
    ("{n} person", "{n} people"): ("{n} persoon", "{n} mensen"),
    ("{n} street group", "{n} street groups"): ("{n} straatgroep", "{n} straatgroepen"),
    "{people} and {groups}": "{people} en {groups}",
    "This announcement goes to <b>{count}</b> ({audience}).\n\nSend it now?": (
        "Dit bericht gaat naar <b>{count}</b> ({audience}).\n\nNu versturen?"
    ),
    (
        "Your announcement is on its way to {n} recipient. I keep the message above up "
        "to date, and send you the report when it is done.",
        "Your announcement is on its way to {n} recipients. I keep the message above up "
        "to date, and send you the report when it is done.",
    ): (
        "Je bericht is onderweg naar {n} ontvanger. Ik houd het bericht hierboven bij, "
        "en stuur je het verslag als het klaar is.",
        "Je bericht is onderweg naar {n} ontvangers. Ik houd het bericht hierboven bij, "
        "en stuur je het verslag als het klaar is.",
    ),
    "Fine: the announcement is not sent.": "Prima: het bericht wordt niet verstuurd.",
    "No link": "Geen link",
    "Use “More information”": "Gebruik “Meer informatie”",
    "Send it now": "Nu versturen",
    "Change who gets it": "Kies wie het krijgt",
    "Change the text": "Pas de tekst aan",
    "This announcement is no longer being sent.": "Dit bericht wordt niet meer verstuurd.",
    "Sorry, only the coach who sent this announcement can cancel it.": (
        "Sorry, alleen de coach die dit bericht stuurde, kan het annuleren."
    ),
    (
        "Stopped: {n} message will not be sent. The few that were on their way "
        "still arrive; the report follows.",
        "Stopped: {n} messages will not be sent. The few that were on their way "
        "still arrive; the report follows.",
    ): (
        "Gestopt: {n} bericht wordt niet verstuurd. De paar die al onderweg waren, "
        "komen nog aan; het verslag volgt.",
        "Gestopt: {n} berichten worden niet verstuurd. De paar die al onderweg waren, "
        "komen nog aan; het verslag volgt.",
    ),
    "This is the preview: this button does nothing here.": (
        "Dit is het voorbeeld: deze knop doet hier niets."
    ),
    # --- a resident's choice
    "Yes, send me announcements": "Ja, stuur me berichten",
    "<b>Announcements from coaches</b>\n\n"
    "You get them: news from the neighbourhood coaches, for example about a "
    "collective purchase or an information evening. They come only now and then.": (
        "<b>Berichten van buurtcoaches</b>\n\n"
        "Je krijgt ze: nieuws van de buurtcoaches, bijvoorbeeld over een collectieve "
        "inkoop of een informatieavond. Ze komen maar af en toe."
    ),
    "<b>Announcements from coaches</b>\n\n"
    "You do not get them now. Neighbourhood coaches sometimes send news to the "
    "neighbours in their area, for example about a collective purchase or an "
    "information evening. Would you like to get those?": (
        "<b>Berichten van buurtcoaches</b>\n\n"
        "Je krijgt ze nu niet. Buurtcoaches sturen soms nieuws naar de buren in hun "
        "gebied, bijvoorbeeld over een collectieve inkoop of een informatieavond. "
        "Wil je die krijgen?"
    ),
    "Announcements stopped.": "Gestopt met berichten.",
    "Done: you do not get announcements from coaches any more. "
    "Your initiatives and reminders stay as they are.\n\n"
    "Changed your mind? Tap the button, or type /aankondigingen.": (
        "Gedaan: je krijgt geen berichten van buurtcoaches meer. "
        "Je initiatieven en herinneringen blijven zoals ze zijn.\n\n"
        "Toch weer wel? Tik op de knop, of typ /aankondigingen."
    ),
    "Announcements on.": "Berichten staan aan.",
    "Nice! From now on you get announcements from the neighbourhood coaches. "
    "Each one has a button to stop them.": (
        "Leuk! Vanaf nu krijg je berichten van de buurtcoaches. "
        "Elk bericht heeft een knop om ermee te stoppen."
    ),
    "Coaches: send an announcement": "Coaches: stuur een bericht",
    "Announcements from coaches: yes or no": "Berichten van buurtcoaches: ja of nee",
}
