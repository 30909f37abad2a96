"""The web console for coaches, programme managers and operators (`buurbot web`)."""
