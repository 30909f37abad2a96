"""Dutch texts for meetings and actions, RSVP, tasks, action kits, quotes and the
after-action review (bot/flows/actions.py, rsvp.py, kits.py, review.py).

Write them to a fragment with:
    python -m bot.i18n.fragment_tool bot/i18n/fragments/actions_nl.py actions
"""

NL = {
    # --- shared words
    "Something else": "Iets anders",
    "<b>Needed:</b> about {threshold} households. {reason}": (
        "<b>Nodig:</b> ongeveer {threshold} huishoudens. {reason}"
    ),
    "Back to the menu": "Terug naar het menu",
    "Plan a meeting": "Plan een bijeenkomst",
    "Plan an action": "Plan een actie",
    "Skip": "Overslaan",
    "Meeting": "Bijeenkomst",
    "Action": "Actie",
    "Yes": "Ja",
    "Change": "Wijzigen",
    "Not yet": "Nog niet",
    "Decide later": "Later beslissen",
    # --- answers
    "I'm coming": "Ik kom",
    "Maybe": "Misschien",
    "I can't come": "Ik kan niet",
    "you are coming": "je komt",
    "maybe": "misschien",
    "you can't come": "je kunt niet",
    "To the initiative": "Naar het initiatief",
    "Show the action": "Bekijk de activiteit",
    # --- refusals
    "This belongs to an initiative you are not a member of.": (
        "Dit hoort bij een initiatief waar je geen lid van bent."
    ),
    "Only the people who organise this initiative can do that.": (
        "Alleen de mensen die dit initiatief organiseren kunnen dat doen."
    ),
    "Only the initiators of this initiative can do that.": (
        "Alleen de initiatiefnemers van dit initiatief kunnen dat doen."
    ),
    "Only the initiators of this initiative can see who is coming.": (
        "Alleen de initiatiefnemers van dit initiatief zien wie er komt."
    ),
    "This invitation is for the members of the initiative that planned it. "
    "Would you like to join? Ask the neighbour who sent it to you for the invitation link.": (
        "Deze uitnodiging is voor de leden van het initiatief dat dit organiseert. "
        "Wil je meedoen? Vraag de buur die je dit stuurde om de uitnodigingslink."
    ),
    "Sorry, that is not possible for you.": "Sorry, dat kan voor jou niet.",
    "I cannot find that.": "Dat kan ik niet vinden.",
    "I cannot find that meeting or action (any more).": (
        "Ik kan die bijeenkomst of actie niet (meer) vinden."
    ),
    "I cannot find that initiative (any more).": "Ik kan dat initiatief niet (meer) vinden.",
    # --- the action card
    "Coming: {coming} · maybe: {maybe} · can't: {no}": (
        "Komen: {coming} · misschien: {maybe} · kunnen niet: {no}"
    ),
    "waiting list: {waiting}": "wachtlijst: {waiting}",
    "<b>Your answer:</b> on the waiting list, place {place}": (
        "<b>Jouw antwoord:</b> op de wachtlijst, plek {place}"
    ),
    "<b>Your answer:</b> {answer}": "<b>Jouw antwoord:</b> {answer}",
    "<b>{title}</b> ({kind})": "<b>{title}</b> ({kind})",
    "For: {initiative}": "Voor: {initiative}",
    "❌ <b>Cancelled.</b>": "❌ <b>Afgelast.</b>",
    ("✅ <b>Held</b>: {n} person came.", "✅ <b>Held</b>: {n} people came."): (
        "✅ <b>Geweest</b>: er kwam {n} persoon.",
        "✅ <b>Geweest</b>: er kwamen {n} mensen.",
    ),
    "✅ <b>Held.</b>": "✅ <b>Geweest.</b>",
    "<b>When:</b> {when}": "<b>Wanneer:</b> {when}",
    "<b>Where:</b> {place}": "<b>Waar:</b> {place}",
    "<b>Places:</b> {capacity} ({free} free)": "<b>Plekken:</b> {capacity} ({free} vrij)",
    "<b>Checklist:</b> {done} of {total} done": "<b>Checklist:</b> {done} van {total} klaar",
    "<b>Tasks:</b> {done} of {total} done": "<b>Taken:</b> {done} van {total} klaar",
    "Report back: how did it go?": "Vertel: hoe ging het?",
    "Who is coming?": "Wie komt er?",
    "Tasks": "Taken",
    "Checklist": "Checklist",
    "Kit steps": "Stappen van de kit",
    "Invitation text": "Tekst voor de uitnodiging",
    "Compare quotes": "Offertes vergelijken",
    "Change time or place": "Tijd of plek wijzigen",
    "Cancel it": "Afgelasten",
    # --- planning
    "That does not look like a title. What is it called?": (
        "Dat lijkt niet op een titel. Hoe heet het?"
    ),
    "I could not read a date in the future in that. Try it like one of these:\n"
    "• Saturday 12 December 14:00\n"
    "• next Tuesday 19:30\n"
    "• tomorrow 8pm": (
        "Daar kan ik geen datum in de toekomst in lezen. Probeer het zo:\n"
        "• za 12 dec 14:00\n"
        "• volgende week dinsdag 19:30\n"
        "• morgen 20:00"
    ),
    "And at what time on {day}? For example 14:00 or 19.30.": (
        "En hoe laat op {day}? Bijvoorbeeld 14:00 of 19.30."
    ),
    "That is not a time I can read. Type it like 14:00 or 19.30.": (
        "Die tijd kan ik niet lezen. Typ hem zo: 14:00 of 19.30."
    ),
    "That time has already passed. Which time do you mean?": (
        "Die tijd is al voorbij. Welke tijd bedoel je?"
    ),
    "So that is <b>{when}</b>. Is that right?": "Dat is dus <b>{when}</b>. Klopt dat?",
    "So that is <b>{when}</b>, in {year}. Is that right?": (
        "Dat is dus <b>{when}</b>, in {year}. Klopt dat?"
    ),
    "Please answer with the buttons: is this day and time right?": (
        "Kies een van de knoppen: klopt deze dag en tijd?"
    ),
    "Let's plan it for <b>{initiative}</b>.\n\n"
    "What shall we call it? Take the kit's name, or type your own (up to {limit} "
    "characters).": (
        "We plannen het voor <b>{initiative}</b>.\n\n"
        "Hoe noemen we het? Kies de naam van de kit, of typ zelf een naam "
        "(hooguit {limit} tekens)."
    ),
    "Let's plan a meeting for <b>{initiative}</b>.\n\n"
    "What shall we call it? Type a short title (up to {limit} characters), "
    "or choose the kitchen-table meeting.": (
        "We plannen een bijeenkomst voor <b>{initiative}</b>.\n\n"
        "Hoe noemen we het? Typ een korte titel (hooguit {limit} tekens), "
        "of kies het keukentafelgesprek."
    ),
    "Let's plan an action for <b>{initiative}</b>.\n\n"
    "What shall we call it? Type a short title (up to {limit} characters), "
    "for example “Tile-lifting day”.": (
        "We plannen een actie voor <b>{initiative}</b>.\n\n"
        "Hoe noemen we het? Typ een korte titel (hooguit {limit} tekens), "
        "bijvoorbeeld “Tegelwipdag”."
    ),
    "Kitchen-table meeting": "Keukentafelgesprek",
    "When is it? Type the day and the time, for example:\n"
    "• Saturday 12 December 14:00\n"
    "• next Tuesday 19:30\n"
    "• tomorrow 8pm": (
        "Wanneer is het? Typ de dag en de tijd, bijvoorbeeld:\n"
        "• za 12 dec 14:00\n"
        "• volgende week dinsdag 19:30\n"
        "• morgen 20:00"
    ),
    "Where is it? For example an address, “at Anna's, number 12” or “the community "
    "centre”. Up to {limit} characters.": (
        "Waar is het? Bijvoorbeeld een adres, “bij Anna, nummer 12” of “het buurthuis”. "
        "Hooguit {limit} tekens."
    ),
    "That does not look like a place. Where is it?": "Dat lijkt niet op een plek. Waar is het?",
    "How many people can come at most? Type a number from 1 to {limit}, or press “No limit”.": (
        "Hoeveel mensen kunnen er hooguit komen? Typ een getal van 1 tot {limit}, "
        "of kies “Geen limiet”."
    ),
    "Please type a number from 1 to 10000, or press “No limit”.": (
        "Typ een getal van 1 tot 10.000, of kies “Geen limiet”."
    ),
    "You can no longer plan for this initiative, so I did not save it.": (
        "Je kunt niet meer plannen voor dit initiatief. Ik heb het dus niet bewaard."
    ),
    "That moment has passed in the meantime. Please choose another.": (
        "Dat moment is intussen voorbij. Kies een ander moment."
    ),
    "✅ Planned!": "✅ Gepland!",
    (
        "I told {n} member about it, in their own chat.",
        "I told {n} members about it, in their own chats.",
    ): (
        "Ik heb het aan {n} lid verteld, in een eigen chat.",
        "Ik heb het aan {n} leden verteld, ieder in een eigen chat.",
    ),
    "Below is an invitation you can forward to neighbours who are not here yet.": (
        "Hieronder staat een uitnodiging. Die kun je doorsturen naar buren die hier nog niet zijn."
    ),
    "📣 {organiser} planned a meeting for {initiative}:": (
        "📣 {organiser} heeft een bijeenkomst gepland voor {initiative}:"
    ),
    "📣 {organiser} planned an action for {initiative}:": (
        "📣 {organiser} heeft een actie gepland voor {initiative}:"
    ),
    "Are you coming?": "Kom je ook?",
    "☝️ Forward the invitation above to your neighbours: in the street's group chat, "
    "by WhatsApp or e-mail, or print it for the letterboxes. "
    "The link in it lets them join.": (
        "☝️ Stuur de uitnodiging hierboven door naar je buren: in de groepsapp van de "
        "straat, via WhatsApp of e-mail, of print hem voor de brievenbussen. "
        "Met de link erin kunnen ze meedoen."
    ),
    "No limit": "Geen limiet",
    # --- changing
    "What do you want to change?": "Wat wil je wijzigen?",
    "What do you want to change for <b>{title}</b>?\nNow: {when}, {place}": (
        "Wat wil je wijzigen voor <b>{title}</b>?\nNu: {when}, {place}"
    ),
    "What is the new day and time? For example:\n"
    "• Saturday 12 December 14:00\n"
    "• next Tuesday 19:30\n"
    "• tomorrow 8pm": (
        "Wat is de nieuwe dag en tijd? Bijvoorbeeld:\n"
        "• za 12 dec 14:00\n"
        "• volgende week dinsdag 19:30\n"
        "• morgen 20:00"
    ),
    "This can no longer be changed, sorry.": "Dit kan niet meer gewijzigd worden, sorry.",
    "That moment has passed; nothing changed.": "Dat moment is al voorbij. Er is niets gewijzigd.",
    "Nothing changed.": "Er is niets gewijzigd.",
    "🔔 Changed: <b>{title}</b> has a new time or place.": (
        "🔔 Gewijzigd: <b>{title}</b> heeft een nieuwe tijd of plek."
    ),
    "Can you still come? Let us know.": "Kun je nog steeds komen? Laat het weten.",
    "✅ Saved.": "✅ Bewaard.",
    (
        "I told {n} person who said coming or maybe.",
        "I told {n} people who said coming or maybe.",
    ): (
        "Ik heb het verteld aan {n} persoon die ‘ik kom’ of ‘misschien’ zei.",
        "Ik heb het verteld aan {n} mensen die ‘ik kom’ of ‘misschien’ zeiden.",
    ),
    "Day and time": "Dag en tijd",
    "Place": "Plek",
    # --- the list
    "<b>Meetings and actions of {initiative}</b>": (
        "<b>Bijeenkomsten en acties van {initiative}</b>"
    ),
    "Coming up:": "Binnenkort:",
    "Took place, waiting for the report:": "Geweest, wacht nog op jullie verhaal:",
    "Held lately:": "Onlangs geweest:",
    "• {when}: {title}": "• {when}: {title}",
    "Nothing is planned yet.": "Er is nog niets gepland.",
    "Choose an action kit": "Kies een actiekit",
    "This can no longer be changed.": "Dit kan niet meer gewijzigd worden.",
    "This is not planned any more.": "Dit staat niet meer gepland.",
    # --- cancelling
    "Do you really want to cancel <b>{title}</b> on {when}?": (
        "Wil je <b>{title}</b> op {when} echt afgelasten?"
    ),
    (
        "I will tell the {n} person who said coming or maybe.",
        "I will tell the {n} people who said coming or maybe.",
    ): (
        "Ik vertel het aan de {n} persoon die ‘ik kom’ of ‘misschien’ zei.",
        "Ik vertel het aan de {n} mensen die ‘ik kom’ of ‘misschien’ zeiden.",
    ),
    "Yes, cancel it": "Ja, afgelasten",
    "No, keep it": "Nee, laat staan",
    "That was done already.": "Dat was al gedaan.",
    "❌ <b>{title}</b> on {when} does not go ahead: {organiser} cancelled it. "
    "Sorry! You will hear about a new date here.": (
        "❌ <b>{title}</b> op {when} gaat niet door: {organiser} heeft het afgelast. "
        "Jammer! Over een nieuwe datum hoor je hier meer."
    ),
    "Cancelled.": "Afgelast.",
    # --- checklist
    "<b>Checklist for {title}</b>": "<b>Checklist voor {title}</b>",
    "{done} of {total} done. Tap an item to tick it off (or on again).": (
        "{done} van {total} klaar. Tik op een punt om het af te vinken (of weer aan te zetten)."
    ),
    "This action has no checklist.": "Deze actie heeft geen checklist.",
    "Ticked off.": "Afgevinkt.",
    "Ticked on again.": "Weer open gezet.",
    "There is no invitation for this.": "Hier is geen uitnodiging voor.",
    # --- tasks
    "<b>Tasks for {title}</b>": "<b>Taken voor {title}</b>",
    "☑ {task} (done)": "☑ {task} (klaar)",
    "☐ {task}: {name}": "☐ {task}: {name}",
    "☐ {task}: nobody yet": "☐ {task}: nog niemand",
    "✓ Done: {task}": "✓ Klaar: {task}",
    "Who does it?": "Wie doet het?",
    "No tasks yet. What needs to be done, and who does it?": (
        "Nog geen taken. Wat moet er gebeuren, en wie doet het?"
    ),
    "Everything is done. Well done!": "Alles is klaar. Goed gedaan!",
    "Add a task": "Taak toevoegen",
    "I cannot find that task (any more).": "Ik kan die taak niet (meer) vinden.",
    "📋 {organiser} asks you to do a task for <b>{title}</b> ({when}):\n<b>{task}</b>": (
        "📋 {organiser} vraagt of jij een taak doet voor <b>{title}</b> ({when}):\n<b>{task}</b>"
    ),
    "Back to the tasks": "Terug naar de taken",
    "Who does <b>{task}</b>?": "Wie doet <b>{task}</b>?",
    "Assigned.": "Toegewezen.",
    "{name} does {task}.": "{name} doet: {task}.",
    "Well done!": "Goed gedaan!",
    "What needs to be done for <b>{title}</b>? Type the task in a few words, "
    "for example “Bring coffee and tea”.": (
        "Wat moet er gebeuren voor <b>{title}</b>? Typ de taak in een paar woorden, "
        "bijvoorbeeld “Koffie en thee meenemen”."
    ),
    "Added. {name} does it.": "Toegevoegd. {name} doet het.",
    "Added. Who does it can be decided later.": "Toegevoegd. Wie het doet, beslis je later.",
    # --- kits
    "I cannot find that action kit (any more).": "Ik kan die actiekit niet (meer) vinden.",
    "All action kits": "Alle actiekits",
    "<b>Ideas for actions</b>\n"
    "Ready-made plans that neighbours used before: what to do, step by step, "
    "with a checklist and an invitation.\n\nChoose a theme:": (
        "<b>Ideeën voor acties</b>\n"
        "Kant-en-klare plannen die buren al eerder gebruikten: wat je doet, stap voor stap, "
        "met een checklist en een uitnodiging.\n\nKies een thema:"
    ),
    "There are no action kits right now. Please ask your coach.": (
        "Er zijn nu geen actiekits. Vraag het aan je buurtcoach."
    ),
    "<b>Action kits: {theme}</b>": "<b>Actiekits: {theme}</b>",
    "<b>Phase: {phase}</b>": "<b>Fase: {phase}</b>",
    "There are no kits for this theme yet.": "Voor dit thema zijn er nog geen kits.",
    "Other themes": "Andere thema's",
    "<b>Action kits for {initiative}</b>": "<b>Actiekits voor {initiative}</b>",
    "<b>Your theme: {theme}</b>": "<b>Jullie thema: {theme}</b>",
    "<b>Fits your phase: {phase}</b>": "<b>Past bij jullie fase: {phase}</b>",
    "No kit fits exactly. Have a look at all themes.": (
        "Er past geen kit precies. Kijk eens bij alle thema's."
    ),
    "All themes": "Alle thema's",
    "<b>Theme:</b> {theme} · <b>Phase:</b> {phase} · {kind}": (
        "<b>Thema:</b> {theme} · <b>Fase:</b> {phase} · {kind}"
    ),
    "🏠 Tenants can take part well.": "🏠 Huurders kunnen goed meedoen.",
    "🏠 Mainly for home owners. Tenants can ask their landlord or housing "
    "corporation to take part.": (
        "🏠 Vooral voor huiseigenaren. Huurders kunnen hun verhuurder of "
        "woningcorporatie vragen om mee te doen."
    ),
    (
        "<b>Steps:</b> {n} step. Press “Steps” to go through it.",
        "<b>Steps:</b> {n} steps. Press “Steps” to go through them one by one.",
    ): (
        "<b>Stappen:</b> {n} stap. Kies “Stappen” om hem te lezen.",
        "<b>Stappen:</b> {n} stappen. Kies “Stappen” om ze een voor een te lezen.",
    ),
    "<b>Checklist:</b>": "<b>Checklist:</b>",
    "Steps": "Stappen",
    "Use this kit": "Deze kit gebruiken",
    "Add a quote": "Offerte toevoegen",
    "Other kits in this theme": "Andere kits in dit thema",
    "Step {number} of {total}": "Stap {number} van {total}",
    "◀ Previous": "◀ Vorige",
    "Next ▶": "Volgende ▶",
    "Back to the kit": "Terug naar de kit",
    "To use a kit, you need an initiative that you help organise. "
    "Share your idea first from the menu, or ask the initiators of your "
    "initiative to add you to the team.": (
        "Om een kit te gebruiken heb je een initiatief nodig dat je mee organiseert. "
        "Deel eerst je idee via het menu, of vraag de initiatiefnemers van jouw "
        "initiatief om je in het team te zetten."
    ),
    "For which initiative do you want to use <b>{kit}</b>?": (
        "Voor welk initiatief wil je <b>{kit}</b> gebruiken?"
    ),
    # --- quotes
    "That is not a number I can use. Type it like 12500 or 12.500,50.": (
        "Met dat getal kan ik niets. Typ het zo: 12500 of 12.500,50."
    ),
    "That does not look like a name. Which supplier is it?": (
        "Dat lijkt niet op een naam. Welke leverancier is het?"
    ),
    "Which supplier made the quote? Type the name.": (
        "Van welke leverancier is de offerte? Typ de naam."
    ),
    "What is the total price of the quote of {supplier}, in euros, including VAT? "
    "For example 12.500.": (
        "Wat is de totaalprijs van de offerte van {supplier}, in euro's, met btw? "
        "Bijvoorbeeld 12.500."
    ),
    "How many watt peak (Wp) is it in total? For example 4000 for ten panels of 400 Wp.": (
        "Hoeveel wattpiek (Wp) is het in totaal? Bijvoorbeeld 4000 voor tien panelen van 400 Wp."
    ),
    "How many square metres (m²) does the quote cover in total?": (
        "Over hoeveel vierkante meter (m²) gaat de offerte in totaal?"
    ),
    "How much does it save per year, in euros, according to the supplier? "
    "Then I can work out in how many years it pays for itself.": (
        "Hoeveel bespaar je per jaar, in euro's, volgens de leverancier? "
        "Dan reken ik uit in hoeveel jaar het zichzelf terugverdient."
    ),
    "You can no longer add quotes to this initiative.": (
        "Je kunt geen offertes meer toevoegen aan dit initiatief."
    ),
    "✅ The quote is saved.": "✅ De offerte is bewaard.",
    "I don't know": "Weet ik niet",
    "cheapest per Wp": "goedkoopst per Wp",
    "cheapest per m²": "goedkoopst per m²",
    "pays back fastest": "snelst terugverdiend",
    "<b>Quotes for solar panels, compared</b>": "<b>Offertes voor zonnepanelen, vergeleken</b>",
    "<b>Quotes for insulation, compared</b>": "<b>Offertes voor isolatie, vergeleken</b>",
    "No quotes yet. Ask at least three suppliers the same questions, then add their quotes here.": (
        "Nog geen offertes. Stel minstens drie leveranciers dezelfde vragen, "
        "en zet hun offertes dan hier."
    ),
    "total {amount}": "totaal {amount}",
    "{amount} per Wp": "{amount} per Wp",
    "{amount} per m²": "{amount} per m²",
    "pays back in {years} years": "terugverdiend in {years} jaar",
    "The payback time is simple: the price divided by the yearly saving, without "
    "interest or subsidies. Check that every supplier counts the saving the same way.": (
        "De terugverdientijd is eenvoudig: de prijs gedeeld door de besparing per jaar, "
        "zonder rente of subsidie. Kijk of elke leverancier de besparing op dezelfde "
        "manier uitrekent."
    ),
    "Ideas for actions": "Ideeën voor acties",
    # --- review
    "How did <b>{title}</b> go? I would love to hear it.\n\n"
    "First: how many people came? Type a number.": (
        "Hoe ging <b>{title}</b>? Ik hoor het graag.\n\n"
        "Eerst: hoeveel mensen kwamen er? Typ een getal."
    ),
    "Please type the number of people who came, for example 12.": (
        "Typ het aantal mensen dat kwam, bijvoorbeeld 12."
    ),
    "What worked well? A few words are enough.": "Wat ging goed? Een paar woorden is genoeg.",
    "And what did not work, or what would you do differently next time?": (
        "En wat ging niet goed, of wat zou je de volgende keer anders doen?"
    ),
    "Do you have a photo? Send it here if you like: it helps to show the neighbours "
    "what you did together.": (
        "Heb je een foto? Stuur hem hier als je wilt. Zo laat je de buren zien wat jullie "
        "samen gedaan hebben."
    ),
    "Did you gather what the neighbours want at this meeting? "
    "For example with a short survey, or by writing down their ideas.": (
        "Heb je op deze bijeenkomst opgehaald wat de buren willen? "
        "Bijvoorbeeld met een korte vragenlijst, of door hun ideeën op te schrijven."
    ),
    "What's next? Every action is the start of the next one. These fit well "
    "after this one. Or choose something else.": (
        "Wat gaan jullie nu doen? Elke actie is het begin van de volgende. Deze passen "
        "goed na deze actie. Of kies iets anders."
    ),
    "What's next? Every action is the start of the next one.": (
        "Wat gaan jullie nu doen? Elke actie is het begin van de volgende."
    ),
    "What do you want to do next? Type it in a few words.": (
        "Wat willen jullie hierna doen? Typ het in een paar woorden."
    ),
    "Type in a few words what you want to do next.": (
        "Typ in een paar woorden wat jullie hierna willen doen."
    ),
    "Someone already reported back on this one.": "Iemand heeft hier al over verteld.",
    "🙌 Thank you! I wrote it down.": "🙌 Dank je wel! Ik heb het opgeschreven.",
    ("{n} person came to {title}.", "{n} people came to {title}."): (
        "Er kwam {n} persoon naar {title}.",
        "Er kwamen {n} mensen naar {title}.",
    ),
    "Next: {next}. Shall we plan it right away?": ("Hierna: {next}. Zullen we het meteen plannen?"),
    "Plan: {next}": "Plannen: {next}",
    "Read the kit first": "Eerst de kit lezen",
    "Keeping a rhythm helps: shall we plan the next meeting or action right away?": (
        "Een vast ritme helpt: zullen we de volgende bijeenkomst of actie meteen plannen?"
    ),
    "Send a photo, or press “Skip”.": "Stuur een foto, of kies “Overslaan”.",
    "This was cancelled, so there is nothing to report.": (
        "Dit is afgelast, dus er valt niets te vertellen."
    ),
    "You can report back once it has taken place ({when}).": (
        "Je kunt erover vertellen als het geweest is ({when})."
    ),
    # --- rsvp
    "Answers are closed.": "Antwoorden kan niet meer.",
    "<b>{title}</b> has been cancelled, so you cannot answer any more.": (
        "<b>{title}</b> is afgelast. Je kunt dus niet meer antwoorden."
    ),
    "<b>{title}</b> has already taken place, so you cannot answer any more.": (
        "<b>{title}</b> is al geweest. Je kunt dus niet meer antwoorden."
    ),
    "You had already answered that.": "Dat had je al geantwoord.",
    "Full: you are on the waiting list.": "Vol: je staat op de wachtlijst.",
    "All places are taken, so you are on the waiting list: place {place}. "
    "I will tell you as soon as a place comes free.": (
        "Alle plekken zijn bezet. Je staat op de wachtlijst: plek {place}. "
        "Ik laat het je meteen weten als er een plek vrijkomt."
    ),
    "See you there!": "Tot dan!",
    "✓ Noted: you are coming. See you there!": "✓ Genoteerd: je komt. Tot dan!",
    "Noted: maybe.": "Genoteerd: misschien.",
    "✓ Noted: maybe. You can change your answer at any time.": (
        "✓ Genoteerd: misschien. Je kunt je antwoord altijd nog veranderen."
    ),
    "Noted.": "Genoteerd.",
    "✓ Noted: you can't come. Thank you for letting us know.": (
        "✓ Genoteerd: je kunt niet. Fijn dat je het laat weten."
    ),
    "🎉 Good news: a place came free for <b>{title}</b> on {when}, and it is yours. "
    "You are coming! Can't make it after all? Let us know, then the next person "
    "gets the place.": (
        "🎉 Goed nieuws: er is een plek vrijgekomen voor <b>{title}</b> op {when}, en die "
        "is voor jou. Je komt! Kun je toch niet? Laat het weten, dan krijgt de volgende "
        "de plek."
    ),
    "<b>Who is coming to {title}</b>": "<b>Wie komt er naar {title}</b>",
    "<b>Coming:</b>": "<b>Komen:</b>",
    "Nobody has said they are coming yet.": "Nog niemand heeft gezegd dat hij of zij komt.",
    "<b>Waiting list:</b>": "<b>Wachtlijst:</b>",
    "Only the initiators see these names. Please keep them to yourself.": (
        "Alleen de initiatiefnemers zien deze namen. Houd ze voor jezelf."
    ),
}
