NL = {
"Everything I have stored about you, in one file.": "Alles wat ik over je heb bewaard, in één bestand.",
"Want me to delete it all? Type /vergeetmij. Questions about privacy? Type /privacy.": "Wil je dat ik alles wis? Typ /vergeetmij. Vragen over privacy? Typ /privacy.",
"Shall I delete everything I know about you?\nYour name, postcode, the initiatives you are in, your answers and your questions to a coach will be gone. Totals stay, without your name (a 'coming' stays counted).\nIf you started an initiative, a team member takes it over, or its coach is told.\nThis cannot be undone.":
"Zal ik alles wissen wat ik over je weet?\nJe naam, postcode, de initiatieven waar je in zit, je antwoorden en je vragen aan een coach zijn dan weg. Totalen blijven, zonder je naam (een 'ik kom' blijft meetellen).\nHeb je een initiatief gestart? Dan neemt iemand uit het team het over, of hoort de coach het.\nDit kun je niet terugdraaien.",
"Fine, I have deleted nothing.": "Goed, ik heb niets gewist.",
"Done: I have deleted everything about you. Thank you for being a good neighbour! Type /start if you ever want to come back.": "Klaar: ik heb alles over je gewist. Bedankt dat je een goede buur was! Typ /start als je ooit terug wilt komen.",
"Yes, delete everything": "Ja, wis alles",
"No, keep my data": "Nee, bewaar mijn gegevens",
"Get everything I store about you": "Alles krijgen wat ik over je bewaar",
"Delete everything about you": "Alles over je wissen",
}
