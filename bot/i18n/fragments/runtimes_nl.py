"""Dutch texts of the Telegram runtimes (bot/runtimes/telegram.py): the bot's description
and short description, shown in Telegram before the first message.

Write them to a fragment with:
    python -m bot.i18n.fragment_tool bot/i18n/fragments/runtimes_nl.py runtimes
"""

NL = {
    (
        "Buurbot helps neighbours to start something together: greener, safer, more sociable "
        "or more energy-efficient. From one resident's idea, to a team, to an action the whole "
        "street joins, to a group that keeps going. I help you ask your neighbours; I never "
        "message them myself."
    ): (
        "Buurbot helpt buren om samen iets te beginnen: groener, veiliger, gezelliger of "
        "zuiniger met energie. Van het idee van één bewoner, naar een team, naar een actie "
        "waar de hele straat aan meedoet, naar een groep die blijft organiseren. Ik help jou je "
        "buren te vragen; zelf stuur ik hun nooit berichten."
    ),
    "Start something good in your street, together with your neighbours.": (
        "Begin samen met je buren iets goeds in je straat."
    ),
}
