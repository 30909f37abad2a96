NL = {
    "Announcements from neighbourhood coaches: <b>on</b>.": "Berichten van buurtcoaches: <b>aan</b>.",
    "Announcements from neighbourhood coaches: <b>off</b>.": "Berichten van buurtcoaches: <b>uit</b>.",
}
