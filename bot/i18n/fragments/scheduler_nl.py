"""Dutch texts for the scheduler's follow-ups (scheduler/messages.py), "I'll help next
time" (bot/flows/followups.py), the reminder settings (bot/flows/settings.py) and the
console's fast-forward (bot/runtimes/console.py).

Write them to a fragment with:
    python -m bot.i18n.fragment_tool bot/i18n/fragments/scheduler_nl.py scheduler
"""

NL = {
    # --- shared words (the same as elsewhere)
    "Back to the menu": "Terug naar het menu",
    "Open the initiative": "Open het initiatief",
    "Show the action": "Bekijk de activiteit",
    "Not now": "Nu niet",
    "Ask my coach": "Vraag het mijn coach",
    "Team & roles": "Team en rollen",
    "See the progress": "Bekijk de voortgang",
    "I'm coming": "Ik kom",
    "I can't come": "Ik kan niet",
    ("{n} day", "{n} days"): ("{n} dag", "{n} dagen"),
    ("… and {n} more", "… and {n} more"): ("… en nog {n}", "… en nog {n}"),
    # --- after an action
    "<b>{title}</b> was on {day}. How did it go?\n\n"
    "Tell me in a few taps: how many neighbours came, what went well, "
    "and what you want to do next. That is how one action leads to the next.": (
        "<b>{title}</b> was op {day}. Hoe ging het?\n\n"
        "Vertel het me in een paar tikken: hoeveel buren er kwamen, wat goed ging, "
        "en wat jullie hierna willen doen. Zo leidt de ene actie naar de volgende."
    ),
    "Tell how it went": "Vertel hoe het ging",
    "Thank you for coming to <b>{title}</b> on {day}! 🙏\n\n"
    "Would you like to help organise the next one? "
    "Then you join the team. It can be a small task.": (
        "Bedankt dat je naar <b>{title}</b> kwam op {day}! 🙏\n\n"
        "Wil je helpen de volgende keer te organiseren? "
        "Dan kom je in het team. Het mag een klein taakje zijn."
    ),
    "Yes, I want to help": "Ja, ik help mee",
    "Thank you for coming to <b>{title}</b> on {day}, and for helping to make it happen! 🙏": (
        "Bedankt dat je naar <b>{title}</b> kwam op {day}, en dat je hielp om het te laten "
        "lukken! 🙏"
    ),
    # --- before an action
    "⏰ Reminder: <b>{title}</b> is on {when}.": "⏰ Herinnering: <b>{title}</b> is op {when}.",
    "⏰ <b>{title}</b> starts soon, at {time}.": "⏰ <b>{title}</b> begint zo, om {time}.",
    "📍 {place}": "📍 {place}",
    "You said maybe. Will you come? Let the others know.": (
        "Je zei misschien. Kom je? Laat het de anderen weten."
    ),
    "You said you are coming. See you there!": "Je zei dat je komt. Tot dan!",
    "I cannot come after all": "Ik kan toch niet",
    # --- people joining
    "Good news: {name} accepted your invitation and now follows <b>{title}</b>.": (
        "Goed nieuws: {name} heeft je uitnodiging aangenomen en volgt nu <b>{title}</b>."
    ),
    "🎉 Good news: {name} accepted your invitation and joined the team of <b>{title}</b>!": (
        "🎉 Goed nieuws: {name} heeft je uitnodiging aangenomen en zit nu in het team van "
        "<b>{title}</b>!"
    ),
    "Invite more neighbours": "Nodig meer buren uit",
    "🙌 {name} came to your action and wants to help organise the next one. "
    "{name} is now in the team of <b>{title}</b>. Say hello, and give them a task!": (
        "🙌 {name} kwam naar je actie en wil helpen de volgende te organiseren. "
        "{name} zit nu in het team van <b>{title}</b>. Zeg even hallo, en geef een taak!"
    ),
    # --- quiet initiatives
    "It has been quiet around <b>{title}</b> for {days}. That is fine: "
    "everyone is busy sometimes.\n\n"
    "One small step is enough to get going again:\n👉 {hint}": (
        "Het is al {days} stil rond <b>{title}</b>. Dat is niet erg: "
        "iedereen heeft het weleens druk.\n\n"
        "Eén kleine stap is genoeg om weer op gang te komen:\n👉 {hint}"
    ),
    "Plan a short get-together with your team, and choose one thing to do next.": (
        "Spreek kort af met je team, en kies één ding om hierna te doen."
    ),
    "Fewer messages": "Minder berichten",
    "<b>{title}</b> has been quiet for {days}. It is in the phase {phase}.\n\n"
    "The initiators may need a hand: a short message from you can help them on their way.": (
        "<b>{title}</b> is al {days} stil. Het zit in de fase {phase}.\n\n"
        "De initiatiefnemers kunnen wel een steuntje gebruiken: een kort bericht van jou "
        "helpt ze op weg."
    ),
    # --- a phase reached
    "🎉 Well done: <b>{title}</b> reached a new phase: <b>{phase}</b>.": (
        "🎉 Goed gedaan: <b>{title}</b> is in een nieuwe fase: <b>{phase}</b>."
    ),
    # --- the coach's week
    "<b>Your week as a coach</b> ({week})": "<b>Je week als coach</b> ({week})",
    "{phase}: {count}": "{phase}: {count}",
    "<b>Initiatives by phase</b>": "<b>Initiatieven per fase</b>",
    "<b>Quiet for {days} or more</b>": "<b>Al {days} of langer stil</b>",
    "{title} ({days})": "{title} ({days})",
    "None: everyone is active.": "Geen: iedereen is actief.",
    "<b>Open questions</b>": "<b>Open vragen</b>",
    "{title}: {question}": "{title}: {question}",
    "None.": "Geen.",
    "<b>Coming up</b>": "<b>Binnenkort</b>",
    "{when}: {title} ({initiative})": "{when}: {title} ({initiative})",
    "Nothing planned in the next two weeks.": "De komende twee weken staat er niets gepland.",
    # --- "I'll help next time"
    "You are already in the team of <b>{title}</b>. Thank you for helping!": (
        "Je zit al in het team van <b>{title}</b>. Bedankt dat je helpt!"
    ),
    "Thank you for wanting to help! I cannot add you to this team from here. "
    "Ask one of the initiators to invite you.": (
        "Fijn dat je wilt helpen! Ik kan je hier niet aan dit team toevoegen. "
        "Vraag een van de initiatiefnemers om je uit te nodigen."
    ),
    "You are in the team!": "Je zit in het team!",
    "Wonderful, {name}! You are now in the team of <b>{title}</b>. 🙌\n\n"
    "I let the initiators know. They will get in touch about the next action. "
    "Have a look at what is going on:": (
        "Top, {name}! Je zit nu in het team van <b>{title}</b>. 🙌\n\n"
        "Ik laat het de initiatiefnemers weten. Zij nemen contact op over de volgende actie. "
        "Kijk alvast wat er speelt:"
    ),
    # --- reminder settings
    "Reminders and quiet hours": "Herinneringen en rustige uren",
    "Reminders": "Herinneringen",
    "<b>Your reminders</b>": "<b>Je herinneringen</b>",
    "Reminders are <b>on</b>. I remind you before actions you are coming to, "
    "ask how an action went, and give a nudge when your initiative has been quiet.": (
        "Herinneringen staan <b>aan</b>. Ik herinner je aan acties waar je naartoe gaat, "
        "vraag hoe een actie ging, en geef een duwtje als het stil is rond je initiatief."
    ),
    "Reminders are <b>paused</b> until {day}. After that they start again by themselves.": (
        "Herinneringen staan <b>op pauze</b> tot {day}. Daarna gaan ze vanzelf weer aan."
    ),
    "Reminders are <b>off</b>. You only get news from neighbours, "
    "for example when someone joins your initiative.": (
        "Herinneringen staan <b>uit</b>. Je krijgt alleen nieuws van buren, "
        "bijvoorbeeld als iemand bij je initiatief komt."
    ),
    "Quiet hours: between {start} and {end} I do not send you anything by myself. "
    "And never more than {limit} of those messages a day.": (
        "Rustige uren: tussen {start} en {end} stuur ik je niets uit mezelf. "
        "En nooit meer dan {limit} van die berichten per dag."
    ),
    "Reminders on": "Herinneringen aan",
    "Pause for a week": "Een week pauze",
    "Reminders off": "Herinneringen uit",
    "Reminders are on again.": "Herinneringen staan weer aan.",
    "Paused for a week. Anything that was due waits until then.": (
        "Een week pauze. Wat in die tijd zou komen, wacht tot daarna."
    ),
    "Reminders are off. You can switch them on here at any time.": (
        "Herinneringen staan uit. Je kunt ze hier altijd weer aanzetten."
    ),
    # --- the console's fast-forward
    "This console's clock cannot be moved.": "De klok van deze console kan niet verzet worden.",
    "Move the clock like this: /tijd +1d, /tijd +2h, /tijd +30m or /tijd 2026-12-01T10:00.": (
        "Zet de klok zo vooruit: /tijd +1d, /tijd +2u, /tijd +30m of /tijd 2026-12-01T10:00."
    ),
    "— It is now {when}. —": "— Het is nu {when}. —",
    "Nothing arrived in the meantime.": "Er kwam in de tussentijd niets binnen.",
}
