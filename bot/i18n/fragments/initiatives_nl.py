"""Dutch texts of the resident journey, part 1: ideas, the initiative card,
invitations, team roles, the support meter, phases and asking a coach.

Written for `python -m bot.i18n.fragment_tool bot/i18n/fragments/initiatives_nl.py initiatives`.
Plain B1 Dutch, je-vorm, short sentences.
"""

NL = {
    # --- phases -----------------------------------------------------------------------
    "Initiate": "Initiëren",
    "Activate": "Activeren",
    "Structure": "Structureren",
    "Grow": "Groeien",
    "Sustain": "Bestendigen",
    "You have an idea. Describe it, and find at least one neighbour who wants to "
    "organise it with you.": "Je hebt een idee. Beschrijf het, en zoek minstens één buur "
    "die het samen met je wil organiseren.",
    "The idea becomes a team. You meet your neighbours and hear what they want.": "Het idee "
    "wordt een team. Je leert je buren kennen en hoort wat zij willen.",
    "The team gets organised: choose an action, divide the tasks and make a plan.": "Het "
    "team gaat aan de slag: kies een actie, verdeel de taken en maak een plan.",
    "The whole street is invited, and the action happens.": "De hele straat wordt "
    "uitgenodigd, en de actie gaat door.",
    "The group keeps going by itself: each action leads to the next one.": "De groep gaat "
    "zelf verder: elke actie leidt tot de volgende.",
    "Your idea is on its way!": "Je idee is onderweg!",
    "Well done: you are no longer alone with your idea!": "Goed gedaan: je staat er niet "
    "meer alleen voor!",
    "Great: you have a team, and you know what the neighbours want!": "Mooi: je hebt een "
    "team, en je weet wat de buren willen!",
    "Super: your plan is ready. Now the whole street can join!": "Super: jullie plan is "
    "klaar. Nu kan de hele straat meedoen!",
    "Fantastic: the action has happened, and you know what comes next!": "Fantastisch: de "
    "actie is geweest, en jullie weten wat de volgende stap is!",
    "<b>How to keep going</b>\n"
    "• Keep a rhythm: after each action, plan the next one.\n"
    "• Hand roles over: let a neighbour who helped take over a task.\n"
    "• Your coach steps back a little. You can do this yourselves, "
    "and you can always still ask.": "<b>Zo houden jullie het vol</b>\n"
    "• Houd een ritme: plan na elke actie meteen de volgende.\n"
    "• Geef rollen door: laat een buur die hielp een taak overnemen.\n"
    "• Je coach doet een stapje terug. Jullie kunnen dit zelf, "
    "en je mag altijd nog iets vragen.",
    "<b>Handing over a role</b>\n"
    "Nobody has to do everything forever. This is how you hand over a role:\n"
    "1. Ask a neighbour who helped at the last action if they want to take over a task.\n"
    "2. Do it together once, then let them do it.\n"
    "3. Tell the team who does what now.\n"
    "4. Check the team roles again, so everyone knows where you stand.": "<b>Een rol "
    "doorgeven</b>\n"
    "Niemand hoeft alles voor altijd te doen. Zo geef je een rol door:\n"
    "1. Vraag een buur die bij de vorige actie hielp of die een taak wil overnemen.\n"
    "2. Doe het één keer samen, laat het daarna aan hem of haar over.\n"
    "3. Vertel het team wie nu wat doet.\n"
    "4. Doe de rollencheck opnieuw, zodat iedereen weet hoe het team ervoor staat.",
    "Complete your idea: what you want to do, where, and why it matters.": "Maak je idee "
    "compleet: wat je wilt doen, waar, en waarom het belangrijk is.",
    "Choose a theme and a level for your idea.": "Kies een thema en een niveau voor je idee.",
    "Find one neighbour who wants to organise this with you. Send them your "
    "invitation.": "Zoek één buur die dit samen met je wil organiseren. Stuur die je uitnodiging.",
    "Grow the team to three people. Invite neighbours you get along with.": "Maak het team "
    "drie mensen groot. Nodig buren uit met wie je goed overweg kunt.",
    "Check which roles your team has: an expert, a connector and an organiser. Missing "
    "one? Make a plan to find them.": "Kijk welke rollen jullie team heeft: een expert, "
    "een verbinder en een ondernemer. Mist er een? Maak een plan om die persoon te vinden.",
    "Plan a first meeting with neighbours, for example at a kitchen table.": "Plan een "
    "eerste bijeenkomst met buren, bijvoorbeeld aan de keukentafel.",
    "Ask your neighbours what they want, for example at the meeting. Then tick it off "
    "here.": "Vraag je buren wat zij willen, bijvoorbeeld op de bijeenkomst. Vink het "
    "daarna hier af.",
    "Choose an action and plan it, with a date and a place.": "Kies een actie en plan die, "
    "met een datum en een plek.",
    "Divide the tasks: who does what?": "Verdeel de taken: wie doet wat?",
    "Link your street's group chat: add me to that group. Or choose to go on without a "
    "group chat.": "Koppel de groepsapp van je straat: voeg mij toe aan die groep. Of kies "
    "ervoor om zonder groepsapp verder te gaan.",
    "Ask for at least two quotes and compare them. Your coach can help.": "Vraag minstens "
    "twee offertes aan en vergelijk ze. Je coach kan helpen.",
    "Hold the action, and tell me afterwards how many people came.": "Houd de actie, en "
    "vertel me daarna hoeveel mensen er kwamen.",
    "Count the households you reached, and fill in the support meter.": "Tel de "
    "huishoudens die jullie bereikt hebben, en vul de draagvlakmeter in.",
    "Look back on the action together, and choose a next step.": "Kijk samen terug op de "
    "actie, en kies een volgende stap.",
    "Keep going: hold another action.": "Ga zo door: houd nog een actie.",
    "Plan the next action.": "Plan de volgende actie.",
    "You have a rhythm. After each action, plan the next one, and keep handing roles "
    "over.": "Jullie hebben een ritme. Plan na elke actie de volgende, en blijf rollen doorgeven.",
    "{dots}  {name} (phase {number} of {total})": "{dots}  {name} (fase {number} van {total})",
    "The idea is described: what, where and why": "Het idee is beschreven: wat, waar en waarom",
    "A theme and a level are chosen": "Een thema en een niveau zijn gekozen",
    "At least one other neighbour organises it with you": "Minstens één andere buur "
    "organiseert mee",
    "A team of at least three people": "Een team van minstens drie mensen",
    "The three roles are covered, or there is a plan to find the missing one": "De drie "
    "rollen zijn er, of er is een plan om de ontbrekende rol te vinden",
    "A first meeting with neighbours is held": "Er is een eerste bijeenkomst met buren geweest",
    "The neighbours' wishes are gathered": "De wensen van de buren zijn opgehaald",
    "An action is planned, with a date and a place": "Er is een actie gepland, met een "
    "datum en een plek",
    "The tasks are divided": "De taken zijn verdeeld",
    "A street group chat is linked, or you chose to go without one": "Er is een "
    "groepsapp van de straat gekoppeld, of jullie kozen om het zonder te doen",
    "At least two quotes are requested and compared": "Er zijn minstens twee offertes "
    "aangevraagd en vergeleken",
    "The action is held, and people came": "De actie is geweest, en er kwamen mensen",
    "The households you reached are counted": "De bereikte huishoudens zijn geteld",
    "You looked back on the action and chose a next step": "Jullie keken terug op de "
    "actie en kozen een volgende stap",
    "At least two actions are held": "Er zijn minstens twee acties geweest",
    "The next action is planned": "De volgende actie is gepland",
    "<b>{title}</b> is now in a new phase:\n<b>{line}</b>": "<b>{title}</b> is nu in een "
    "nieuwe fase:\n<b>{line}</b>",
    "👉 Next step: {hint}": "👉 Volgende stap: {hint}",
    "See the progress": "Bekijk de voortgang",
    # --- cards ---------------------------------------------------------------------------
    "Energy saving": "Energie besparen",
    "Collective purchase": "Samen inkopen",
    "Heat transition": "Warmtetransitie",
    "Greener / climate adaptation": "Groener / klimaat",
    "Safer": "Veiliger",
    "More sociable": "Gezelliger",
    "Omgevingswet participation": "Meepraten (Omgevingswet)",
    "Something else": "Iets anders",
    "Street": "Straat",
    "Neighbourhood": "Buurt",
    "District": "Wijk",
    "initiator": "initiatiefnemer",
    "team": "team",
    "follower": "volger",
    "{reached} households reached · {interested} interested · {committed} taking "
    "part": "{reached} huishoudens bereikt · {interested} geïnteresseerd · {committed} doen mee",
    ("{n} person organises", "{n} people organise"): (
        "{n} persoon organiseert",
        "{n} mensen organiseren",
    ),
    ("{n} neighbour follows", "{n} neighbours follow"): (
        "{n} buur volgt",
        "{n} buren volgen",
    ),
    "{title}, {when}, {place}": "{title}, {when}, {place}",
    "{title}, {when}": "{title}, {when}",
    "<b>Support meter of {title}</b>": "<b>Draagvlakmeter van {title}</b>",
    "<b>Your figures:</b> {figures}": "<b>Jullie cijfers:</b> {figures}",
    "<b>Counted by me:</b> {team}": "<b>Door mij geteld:</b> {team}",
    ("{n} neighbour is coming to {action}.", "{n} neighbours are coming to {action}."): (
        "{n} buur komt naar {action}.",
        "{n} buren komen naar {action}.",
    ),
    "<b>Needed:</b> about {threshold} households. {reason}": "<b>Nodig:</b> ongeveer "
    "{threshold} huishoudens. {reason}",
    "You have reached it!": "Dat is gelukt!",
    ("Still {n} household to go.", "Still {n} households to go."): (
        "Nog {n} huishouden te gaan.",
        "Nog {n} huishoudens te gaan.",
    ),
    "{place} ({level})": "{place} ({level})",
    "<b>What:</b> {what}": "<b>Wat:</b> {what}",
    "<b>Where:</b> {where}": "<b>Waar:</b> {where}",
    "<b>Why:</b> {why}": "<b>Waarom:</b> {why}",
    "<b>Theme:</b> {theme}": "<b>Thema:</b> {theme}",
    "<b>Team:</b> {team}": "<b>Team:</b> {team}",
    "<b>Support:</b> {figures}": "<b>Draagvlak:</b> {figures}",
    "<b>Coming up:</b> {action}": "<b>Hierna:</b> {action}",
    "👉 <b>Next step:</b> {hint}": "👉 <b>Volgende stap:</b> {hint}",
    "<b>Progress of {title}</b>": "<b>Voortgang van {title}</b>",
    "<b>Goals of this phase:</b>": "<b>Doelen van deze fase:</b>",
    "When all goals are met, you reach the next phase: {phase}.": "Zijn alle doelen "
    "gehaald? Dan gaan jullie naar de volgende fase: {phase}.",
    # --- share an idea ----------------------------------------------------------------------
    "Tell me in words what you would like to do.": "Vertel me in woorden wat je wilt doen.",
    "Please choose one of the buttons: street, neighbourhood or district.": "Kies een van "
    "de knoppen: straat, buurt of wijk.",
    "Type the name of the street or neighbourhood, like Lindelaan.": "Typ de naam van de "
    "straat of buurt, zoals Lindelaan.",
    "Type only the 4 digits of the postcode, like 3511. Or skip this.": "Typ alleen de 4 "
    "cijfers van de postcode, zoals 3511. Of sla dit over.",
    "A title needs a few words. What shall we call it?": "Een titel heeft een paar woorden "
    "nodig. Hoe zullen we het noemen?",
    "Nice that you want to start something!\n\n"
    "What would you like to do with your neighbours? Tell it in one or two sentences. "
    "For example: “Take out tiles and plant greenery in our street.”": "Leuk dat je iets "
    "wilt beginnen!\n\n"
    "Wat wil je samen met je buren doen? Vertel het in een of twee zinnen. "
    "Bijvoorbeeld: “Tegels eruit en planten erin in onze straat.”",
    "Is it for your street, your neighbourhood or your whole district?": "Is het voor je "
    "straat, je buurt of je hele wijk?",
    "Which street is it? For example: Lindelaan.": "Welke straat is het? Bijvoorbeeld: Lindelaan.",
    "Which neighbourhood or district is it? For example: Lombok.": "Welke buurt of wijk is "
    "het? Bijvoorbeeld: Lombok.",
    "What are the 4 digits of the postcode there? Then neighbours nearby can find your "
    "initiative. You may also skip this.": "Wat zijn de 4 cijfers van de postcode daar? "
    "Dan kunnen buren in de buurt je initiatief vinden. Je mag dit ook overslaan.",
    "Why does this matter to you? Neighbours join sooner when they know why. Type it, or "
    "skip it for now.": "Waarom vind je dit belangrijk? Buren doen sneller mee als ze "
    "weten waarom. Typ het, of sla het nu over.",
    "Which theme fits best?": "Welk thema past het best?",
    "Last question: a short title, at most {limit} characters. Type one, or take my "
    "suggestion.": "Laatste vraag: een korte titel, hoogstens {limit} tekens. Typ er een, "
    "of neem mijn voorstel.",
    "I cannot save your idea yet.": "Ik kan je idee nog niet bewaren.",
    "Your idea is saved! This is the card of your initiative. From here you invite "
    "neighbours and plan the next steps.": "Je idee is bewaard! Dit is de kaart van je "
    "initiatief. Vanaf hier nodig je buren uit en plan je de volgende stappen.",
    "Skip": "Overslaan",
    "Skip for now": "Nu overslaan",
    "Nice that you want to share an idea!": "Leuk dat je een idee wilt delen!",
    "Share an idea": "Deel een idee",
    # --- the card and its menu ------------------------------------------------------------
    "Back to the initiative": "Terug naar het initiatief",
    "That is not available (any more).": "Dat is er niet (meer).",
    "I cannot open that for you. The initiative may be gone, or it is not yours to "
    "change.": "Dat kan ik niet voor je openen. Misschien bestaat het initiatief niet "
    "meer, of mag je dit daar niet doen.",
    "I cannot save that: the initiative is gone, or it is not yours to change.": "Dat kan "
    "ik niet bewaren: het initiatief bestaat niet meer, of je mag dit daar niet doen.",
    "Yes, you may store my name": "Ja, je mag mijn naam bewaren",
    "Browse action kits": "Bekijk ideeën voor acties",
    "For that I need to store your name, so that your neighbours know who they are "
    "working with. You said no to that earlier, and that is fine. Changed your mind? Tap "
    "the button. Without it, you can still look at ideas for actions.": "Daarvoor moet ik "
    "je naam bewaren, zodat je buren weten met wie ze samenwerken. Eerder zei je daar nee "
    "op, en dat is prima. Ben je van gedachten veranderd? Tik op de knop. Zonder naam kun "
    "je nog steeds ideeën voor acties bekijken.",
    "Invite neighbours": "Buren uitnodigen",
    "Team & roles": "Team en rollen",
    "Plan a meeting": "Plan een bijeenkomst",
    "Plan an action": "Plan een actie",
    "Actions": "Acties",
    "Action kits": "Actiekits",
    "Support meter": "Draagvlakmeter",
    "Progress": "Voortgang",
    "Ask my coach": "Vraag het mijn coach",
    "Join an initiative": "Doe mee met een initiatief",
    "You are not in any initiative yet. Share your own idea, or join one that a neighbour "
    "started.": "Je doet nog niet mee met een initiatief. Deel je eigen idee, of doe mee "
    "met iets dat een buur begon.",
    "<b>Your initiatives</b>": "<b>Jouw initiatieven</b>",
    "• <b>{title}</b>: {phase} (you: {role})": "• <b>{title}</b>: {phase} (jij: {role})",
    "Which one shall I open?": "Welke zal ik openen?",
    "Of which initiative do you want to see the progress?": "Van welk initiatief wil je "
    "de voortgang zien?",
    "• <b>{title}</b>: {phase}": "• <b>{title}</b>: {phase}",
    "Tell why it matters": "Vertel waarom het belangrijk is",
    "We know their wishes": "We weten hun wensen",
    "Go on without a group chat": "Verder zonder groepsapp",
    "Hand over a role": "Een rol doorgeven",
    "Ticked off: you know what your neighbours want.": "Afgevinkt: jullie weten wat de "
    "buren willen.",
    "Fine: you organise without a street group chat. You can still add me to a group "
    "later.": "Prima: jullie organiseren het zonder groepsapp. Je kunt me later nog aan "
    "een groep toevoegen.",
    "Why does this matter to you? Tell it in a few sentences. Neighbours join sooner when "
    "they know why.": "Waarom vind je dit belangrijk? Vertel het in een paar zinnen. "
    "Buren doen sneller mee als ze weten waarom.",
    "Thank you, I have added that.": "Dank je, dat heb ik toegevoegd.",
    "Please type a number of households, like 25.": "Typ een aantal huishoudens, zoals 25.",
    "That is more than I can count. Please type a number from 0 to {limit}.": "Dat is "
    "meer dan ik kan tellen. Typ een getal van 0 tot en met {limit}.",
    "That is more than the {reached} households you reached. How many of those are "
    "interested?": "Dat is meer dan de {reached} huishoudens die jullie bereikten. "
    "Hoeveel daarvan hebben interesse?",
    "That is more than the {interested} interested households. How many of those are "
    "taking part?": "Dat is meer dan de {interested} huishoudens met interesse. Hoeveel "
    "daarvan doen echt mee?",
    "Keep {n}": "Houd {n}",
    "How many households have you reached so far? Count everyone who got an invitation or "
    "spoke to you about it. Type a number.": "Hoeveel huishoudens hebben jullie tot nu toe "
    "bereikt? Tel iedereen die een uitnodiging kreeg of erover met jullie praatte. Typ "
    "een getal.",
    "How many of them are interested?": "Hoeveel daarvan hebben interesse?",
    "And how many households are really taking part?": "En hoeveel huishoudens doen echt mee?",
    "Update the numbers": "Cijfers bijwerken",
    "Saved.": "Bewaard.",
    "My initiatives": "Mijn initiatieven",
    "Where your initiatives stand": "Hoe je initiatieven ervoor staan",
    # --- invitations -------------------------------------------------------------------------
    "Hi neighbour! 👋\n\n"
    "I am {name}, and I am starting something in {place}: <b>{title}</b>.\n"
    "{what}\n\n"
    "Would you like to help, or just stay informed? Open this link. Buurbot, a chat "
    "assistant, shows you how to join in two taps:\n"
    "{link}": "Hoi buur! 👋\n\n"
    "Ik ben {name}, en ik begin iets in {place}: <b>{title}</b>.\n"
    "{what}\n\n"
    "Wil je meehelpen, of alleen op de hoogte blijven? Open deze link. Buurbot, een "
    "chathulp, laat je in twee tikken zien hoe je meedoet:\n"
    "{link}",
    "Make a new link": "Maak een nieuwe link",
    "The invitation link of <b>{title}</b> is switched off. Nobody can join with it "
    "now.": "De uitnodigingslink van <b>{title}</b> staat uit. Niemand kan er nu mee meedoen.",
    "An initiator can make a new link.": "Een initiatiefnemer kan een nieuwe link maken.",
    "Open the invitation": "Open de uitnodiging",
    "Forward the message above to neighbours, in a chat or in your street's group. Or "
    "copy this link:\n{link}\n\n"
    "Tip: a personal word works best. Ask neighbours you know, and tell them why you "
    "would like them to join.": "Stuur het bericht hierboven door naar buren, in een chat "
    "of in de groep van je straat. Of kopieer deze link:\n{link}\n\n"
    "Tip: een persoonlijk woord werkt het best. Vraag buren die je kent, en vertel waarom "
    "je graag wilt dat ze meedoen.",
    "Switch the link off": "Zet de link uit",
    "Done: the link is switched off. Whoever opens it now reads that the invitation is no "
    "longer valid. Members stay members.": "Klaar: de link staat uit. Wie hem nu opent, "
    "leest dat de uitnodiging niet meer geldig is. Wie al meedoet, blijft erbij.",
    "Here is a new link. The old link no longer works.": "Hier is een nieuwe link. De oude "
    "link werkt niet meer.",
    "This invitation is no longer valid. Ask the neighbour who sent it for a new "
    "link.": "Deze uitnodiging is niet meer geldig. Vraag de buur die hem stuurde om een "
    "nieuwe link.",
    "You are invited to join <b>{title}</b>.\n\n"
    "{what}\n"
    "<b>Where:</b> {place}\n"
    "<b>Started by:</b> {starter}\n\n"
    "What would you like?\n"
    "• <b>Join the team</b>: you help to organise it.\n"
    "• <b>Just follow</b>: you hear about meetings and actions, and you can say if you "
    "come.": "Je bent uitgenodigd voor <b>{title}</b>.\n\n"
    "{what}\n"
    "<b>Waar:</b> {place}\n"
    "<b>Begonnen door:</b> {starter}\n\n"
    "Wat wil je?\n"
    "• <b>In het team</b>: je helpt mee organiseren.\n"
    "• <b>Alleen volgen</b>: je hoort over bijeenkomsten en acties, en je kunt zeggen of "
    "je komt.",
    "Join the team": "In het team",
    "Just follow": "Alleen volgen",
    "Not now": "Nu niet",
    "You are already in <b>{title}</b>. Here it is.": "Je doet al mee met <b>{title}</b>. "
    "Hier is het.",
    "You have been invited to <b>{title}</b>.": "Je bent uitgenodigd voor <b>{title}</b>.",
    "🎉 Good news: {name} joined the team of <b>{title}</b>!": "🎉 Goed nieuws: {name} zit "
    "nu in het team van <b>{title}</b>!",
    "{name} now follows <b>{title}</b> and will hear about your actions.": "{name} volgt "
    "nu <b>{title}</b> en hoort over jullie acties.",
    "Your initiative reached a new phase:\n<b>{line}</b>": "Jullie initiatief is in een "
    "nieuwe fase:\n<b>{line}</b>",
    "Open the initiative": "Open het initiatief",
    "Welcome to the team of <b>{title}</b>! The initiators know you joined.": "Welkom in "
    "het team van <b>{title}</b>! De initiatiefnemers weten dat je meedoet.",
    "You now follow <b>{title}</b>. You will hear about meetings and actions.": "Je volgt "
    "nu <b>{title}</b>. Je hoort over bijeenkomsten en acties.",
    "That is not an invitation link or code. A link looks like https://t.me/…?start=join-… "
    "Paste it just as you got it.": "Dat is geen uitnodigingslink of code. Een link ziet "
    "eruit als https://t.me/…?start=join-… Plak hem precies zoals je hem kreeg.",
    "Did you get an invitation? Paste the link or the code here.": "Heb je een "
    "uitnodiging gekregen? Plak de link of de code hier.",
    "Or choose an open initiative near you, in {area}:": "Of kies een open initiatief bij "
    "jou in de buurt, in {area}:",
    "I found no open initiatives in {area} yet. Perhaps you can start one yourself?": "Ik "
    "vond nog geen open initiatieven in {area}. Misschien kun je er zelf een beginnen?",
    "I do not know that invitation, or it is no longer valid. Ask the neighbour who sent "
    "it for a new link.": "Die uitnodiging ken ik niet, of hij is niet meer geldig. Vraag "
    "de buur die hem stuurde om een nieuwe link.",
    "Nice that you want to join an initiative!": "Leuk dat je mee wilt doen met een initiatief!",
    # --- team roles ----------------------------------------------------------------------------
    "the expert": "de expert",
    "the connector": "de verbinder",
    "the organiser": "de ondernemer",
    "Expert": "Expert",
    "Connector": "Verbinder",
    "Organiser": "Ondernemer",
    "How to find an expert": "Zo vind je een expert",
    "How to find a connector": "Zo vind je een verbinder",
    "How to find an organiser": "Zo vind je een ondernemer",
    "Please answer with yes or no.": "Antwoord met ja of nee.",
    "Yes, that is me": "Ja, dat ben ik",
    "No": "Nee",
    "Three short questions about your role in the team. One person can have several "
    "roles, and no answer is wrong.\n\n"
    "1/3 <b>The expert</b> knows the content: how something works, what it costs, what is "
    "allowed.\nIs that you?": "Drie korte vragen over jouw rol in het team. Eén persoon "
    "kan meer rollen hebben, en geen antwoord is fout.\n\n"
    "1/3 <b>De expert</b> weet veel van het onderwerp: hoe iets werkt, wat het kost, wat "
    "mag.\nBen jij dat?",
    "2/3 <b>The connector</b> knows many neighbours and gets them enthusiastic.\n"
    "Is that you?": "2/3 <b>De verbinder</b> kent veel buren en maakt ze enthousiast.\n"
    "Ben jij dat?",
    "3/3 <b>The organiser</b> makes it concrete: plans, decides and keeps the pace.\n"
    "Is that you?": "3/3 <b>De ondernemer</b> maakt het concreet: plant, beslist en houdt "
    "de vaart erin.\nBen jij dat?",
    "Thank you! Your roles are saved.": "Dank je! Je rollen zijn bewaard.",
    "<b>Team of {title}</b>": "<b>Team van {title}</b>",
    "has not done the role check yet": "heeft de rollencheck nog niet gedaan",
    "no role yet": "nog geen rol",
    "• {name} ({role}): {roles}": "• {name} ({role}): {roles}",
    "<b>Roles</b>": "<b>Rollen</b>",
    "❌ {role}: nobody yet": "❌ {role}: nog niemand",
    "✅ {role}: {names}": "✅ {role}: {names}",
    "Missing: {roles}. A strong team has all three roles. Use a ready text to find them, "
    "or tell me your plan.": "Er mist nog: {roles}. Een sterk team heeft alle drie de "
    "rollen. Gebruik een kant-en-klare tekst om ze te vinden, of vertel me jullie plan.",
    "Not everyone has done the role check yet. Ask them to do it too.": "Nog niet iedereen "
    "heeft de rollencheck gedaan. Vraag of zij die ook doen.",
    "All three roles are covered. A strong team!": "Alle drie de rollen zijn er. Een sterk team!",
    "<b>Your plan:</b> {plan}": "<b>Jullie plan:</b> {plan}",
    "Check my roles again": "Doe mijn rollencheck opnieuw",
    "Check my roles": "Doe de rollencheck",
    "We have a plan to find them": "We hebben een plan om ze te vinden",
    "Hi! I am {name}, a neighbour from {place}. With a few neighbours we are starting "
    "<b>{title}</b>. We are looking for someone who knows a lot about this, from work or "
    "as a hobby. Is that you, or do you know someone? I would love to have a coffee and "
    "tell you more.": "Hoi! Ik ben {name}, een buur uit {place}. Met een paar buren "
    "beginnen we <b>{title}</b>. We zoeken iemand die hier veel van weet, van het werk of "
    "als hobby. Ben jij dat, of ken je iemand? Ik vertel je er graag meer over bij een "
    "kop koffie.",
    "Hi! I am {name}, a neighbour from {place}. With a few neighbours we are starting "
    "<b>{title}</b>. We are looking for someone who knows many people around here and "
    "likes to bring neighbours together. Is that you, or do you know someone? I would "
    "love to have a coffee and tell you more.": "Hoi! Ik ben {name}, een buur uit "
    "{place}. Met een paar buren beginnen we <b>{title}</b>. We zoeken iemand die veel "
    "mensen hier kent en het leuk vindt om buren bij elkaar te brengen. Ben jij dat, of "
    "ken je iemand? Ik vertel je er graag meer over bij een kop koffie.",
    "Hi! I am {name}, a neighbour from {place}. With a few neighbours we are starting "
    "<b>{title}</b>. We are looking for someone who likes to plan things and keep them "
    "moving. Is that you, or do you know someone? I would love to have a coffee and tell "
    "you more.": "Hoi! Ik ben {name}, een buur uit {place}. Met een paar buren beginnen "
    "we <b>{title}</b>. We zoeken iemand die graag dingen plant en de vaart erin houdt. "
    "Ben jij dat, of ken je iemand? Ik vertel je er graag meer over bij een kop koffie.",
    "Use the text above at the door, in the street app or on a note. Change it as you "
    "like. Asking in person works best: a neighbour says yes to a neighbour sooner than to "
    "a message.": "Gebruik de tekst hierboven aan de deur, in de buurtapp of op een "
    "briefje. Pas hem aan zoals jij wilt. Zelf vragen werkt het best: een buur zegt "
    "sneller ja tegen een buur dan tegen een bericht.",
    "Back to the team": "Terug naar het team",
    "What is your plan to find the missing role? Keep it short. For example: “Bram asks "
    "the neighbour at number 12 on Saturday.”": "Wat is jullie plan om de ontbrekende rol "
    "te vinden? Houd het kort. Bijvoorbeeld: “Bram vraagt zaterdag de buurman van nummer "
    "12.”",
    "Your plan is saved. Good luck!": "Jullie plan is bewaard. Succes!",
    # --- ask my coach -------------------------------------------------------------------------
    "Your neighbourhood coach is {name}. They help with the plan, with materials and with "
    "expert advice.": "Je buurtcoach is {name}. Je coach helpt met het plan, met "
    "materialen en met advies van experts.",
    "There is no coach linked to your initiative yet. A neighbourhood coach will pick up "
    "your question.": "Er is nog geen coach aan jullie initiatief gekoppeld. Een "
    "buurtcoach pakt je vraag op.",
    "What would you like to ask? Type your question in one message. You will get the "
    "answer here in this chat.": "Wat wil je vragen? Typ je vraag in één bericht. Je "
    "krijgt het antwoord hier in deze chat.",
    "Your question is with {name}. You will get the answer here in this chat.": "Je vraag "
    "is bij {name}. Je krijgt het antwoord hier in deze chat.",
    "Your question is saved. A neighbourhood coach will pick it up and answer you here in "
    "this chat.": "Je vraag is bewaard. Een buurtcoach pakt hem op en antwoordt je hier "
    "in deze chat.",
}
