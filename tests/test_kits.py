"""Action kits: the shipped data, the loader's validation, lookups and the CLI."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from string import Formatter

import pytest

from bot.domain import kits as kits_module
from bot.domain.kits import (
    DEFAULT_KITS_DIR,
    ENV_KITS_DIR,
    INVITATION_PLACEHOLDERS,
    KINDS,
    PHASES,
    THEMES,
    KitError,
    clear_kit_cache,
    kits_for,
    load_kits,
    next_kits,
    suggest_next,
)

REPO_ROOT = Path(__file__).resolve().parents[1]

# The theme headings in GROWTH_CYCLE.md ("## Themes and ready-made action kits")
# and the theme id each one maps to.
GROWTH_CYCLE_THEMES = {
    "Energy saving": "energy_saving",
    "Collective purchase": "collective_purchase",
    "Heat transition": "heat_transition",
    "Climate adaptation / greener": "greener",
    "Safer": "safer",
    "More sociable": "sociable",
    "Omgevingswet participation": "omgevingswet",
}


@pytest.fixture(autouse=True)
def _isolated(monkeypatch):
    monkeypatch.delenv(ENV_KITS_DIR, raising=False)
    clear_kit_cache()
    yield
    clear_kit_cache()


# --- a small TOML writer for broken test kits ---------------------------------


def _value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a valid TOML basic string
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    raise TypeError(value)


def to_toml(data: dict) -> str:
    lines = [f"{k} = {_value(v)}" for k, v in data.items() if not isinstance(v, dict)]
    for key, table in data.items():
        if isinstance(table, dict):
            lines.append(f"\n[{key}]")
            lines += [f"{k} = {_value(v)}" for k, v in table.items()]
    return "\n".join(lines) + "\n"


def text_block(lang: str, **overrides) -> dict:
    block = {
        "title": f"Title {lang}",
        "summary": f"Summary {lang}.",
        "steps": [f"Step one {lang}.", f"Step two {lang}."],
        "checklist": [f"Item {lang}"],
        "invitation": "Come on {date} to {place}. Sign up: {link}. {organiser}",
    }
    block.update(overrides)
    return block


def kit_data(kit_id: str = "alpha", **overrides) -> dict:
    data = {
        "id": kit_id,
        "theme": "greener",
        "phase": "groeien",
        "kind": "action",
        "tenant_friendly": True,
        "next": [],
        "nl": text_block("nl"),
        "en": text_block("en"),
    }
    data.update(overrides)
    return data


def write_kit(folder: Path, name: str, data: dict) -> Path:
    path = folder / name
    path.write_text(to_toml(data), encoding="utf-8")
    return path


def problems_of(folder: Path) -> KitError:
    with pytest.raises(KitError, match=r"^\S.*: .+\n    NL: ") as info:  # file: en, then nl
        load_kits(folder)
    return info.value


# --- the shipped kits ---------------------------------------------------------


def test_all_shipped_kits_load():
    kits = load_kits()
    expected = {
        "thermal-scan",
        "warming-up-party",
        "fix-team",
        "energy-cafe",
        "collective-solar",
        "collective-insulation",
        "heat-resident-team",
        "tile-lifting",
        "rain-barrels",
        "aed-crowdfunding",
        "street-party",
        "repair-cafe",
        "omgevingswet-input",
    }
    assert set(kits) == expected
    for kit in kits.values():
        assert kit.theme in THEMES
        assert kit.phase in PHASES
        assert kit.kind in KINDS
        # Convention: one file per kit, named after its id.
        assert kit.source is not None and kit.source.name == f"{kit.id}.toml"


def test_every_toml_file_in_the_package_folder_is_a_kit():
    files = sorted(p.stem for p in DEFAULT_KITS_DIR.glob("*.toml"))
    assert files == sorted(load_kits())
    assert (DEFAULT_KITS_DIR / "README.md").is_file()


def test_nl_and_en_match_one_to_one():
    for kit in load_kits().values():
        assert kit.nl.lang == "nl" and kit.en.lang == "en"
        assert len(kit.nl.steps) == len(kit.en.steps), kit.id
        assert len(kit.nl.checklist) == len(kit.en.checklist), kit.id
        assert len(kit.nl.steps) >= 3, kit.id
        # Translated, not copied.
        assert kit.nl.summary != kit.en.summary, kit.id
        assert set(kit.nl.steps).isdisjoint(kit.en.steps), kit.id


def test_all_next_references_resolve():
    kits = load_kits()
    for kit in kits.values():
        assert kit.id not in kit.next
        for target in kit.next:
            assert target in kits, f"{kit.id} -> {target}"


def test_follow_up_chains_from_the_domain_guide():
    kits = load_kits()
    assert "collective-insulation" in kits["collective-solar"].next
    assert "fix-team" in kits["thermal-scan"].next
    assert "rain-barrels" in kits["tile-lifting"].next
    party_next = set(kits["warming-up-party"].next)
    assert "thermal-scan" in party_next
    assert party_next & {"collective-solar", "collective-insulation"}


def test_every_theme_in_the_growth_cycle_has_a_kit():
    themes_with_kits = {kit.theme for kit in load_kits().values()}
    for heading, theme in GROWTH_CYCLE_THEMES.items():
        assert theme in themes_with_kits, heading
    assert set(GROWTH_CYCLE_THEMES.values()) <= set(THEMES)


def test_theme_list_above_matches_the_growth_cycle_document():
    text = (REPO_ROOT / "docs" / "GROWTH_CYCLE.md").read_text(encoding="utf-8")
    section = text.split("## Themes and ready-made action kits", 1)[1].split("\n## ", 1)[0]
    headings = re.findall(r"^- \*\*(.+?)\*\*", section, flags=re.MULTILINE)
    assert headings, "no theme headings found"
    assert set(headings) == set(GROWTH_CYCLE_THEMES)


def test_every_phase_has_a_kit():
    assert {kit.phase for kit in load_kits().values()} == set(PHASES)


def test_shipped_thresholds_and_tenant_flags():
    kits = load_kits()
    assert kits["thermal-scan"].threshold == 10
    assert kits["warming-up-party"].threshold == 5
    assert kits["aed-crowdfunding"].threshold is not None
    for kit in kits.values():
        if kit.threshold is None:
            assert kit.nl.threshold_reason is None and kit.en.threshold_reason is None
        else:
            assert kit.nl.threshold_reason and kit.en.threshold_reason
    # Tenants cannot insulate or put panels on a roof, but can lift tiles.
    assert not kits["collective-solar"].tenant_friendly
    assert not kits["collective-insulation"].tenant_friendly
    assert kits["tile-lifting"].tenant_friendly
    assert kits["fix-team"].tenant_friendly


def test_shipped_invitations_use_all_four_placeholders_and_nothing_else():
    for kit in load_kits().values():
        for text in (kit.nl, kit.en):
            names = {f for _, f, _, _ in Formatter().parse(text.invitation) if f is not None}
            assert names == set(INVITATION_PLACEHOLDERS), (kit.id, text.lang)


# --- texts and invitations ----------------------------------------------------


def test_text_picks_the_language_and_falls_back_to_dutch():
    kit = load_kits()["tile-lifting"]
    assert kit.text("en") is kit.en
    assert kit.text("en-GB") is kit.en
    assert kit.text("EN") is kit.en
    assert kit.text("nl") is kit.nl
    assert kit.text("de") is kit.nl
    assert kit.text(None) is kit.nl
    assert kit.text("en").title == "Tile out, plant in"
    assert kit.text("nl").title == "Tegel eruit, plant erin"


def test_invitation_text_fills_every_placeholder():
    kit = load_kits()["thermal-scan"]
    values = {
        "date": "vrijdag 17 januari, 19:30",
        "place": "Lindelaan 12",
        "organiser": "Fatima",
        "link": "https://t.me/buurbot?start=abc",
    }
    text = kit.invitation_text("nl", **values)
    for value in values.values():
        assert value in text
    assert "{" not in text and "}" not in text
    assert text.startswith("Hoi buren!")
    english = kit.invitation_text("en", **values)
    assert english.startswith("Hi neighbours!")
    assert "Lindelaan 12" in english


def test_invitation_values_are_inserted_as_given(tmp_path):
    data = kit_data(
        nl=text_block("nl", invitation="Datum {date} {{niet invullen}} {link}"),
    )
    write_kit(tmp_path, "alpha.toml", data)
    kit = load_kits(tmp_path)["alpha"]
    text = kit.invitation_text("nl", date="<b>{place}</b>", place="x", organiser="y", link="L")
    # No escaping and no second round of filling: that is the caller's job.
    assert text == "Datum <b>{place}</b> {niet invullen} L"


# --- lookups ------------------------------------------------------------------


def test_kits_for_filters_by_theme_and_phase():
    greener = kits_for(theme="greener")
    assert [k.id for k in greener] == ["tile-lifting", "rain-barrels"]  # groeien before bestendigen
    activeren = kits_for(phase="activeren")
    assert {k.id for k in activeren} == {"warming-up-party", "energy-cafe", "street-party"}
    both = kits_for(theme="energy_saving", phase="groeien")
    assert {k.id for k in both} == {"thermal-scan", "fix-team"}
    assert len(kits_for()) == len(load_kits())
    owners_only = kits_for(tenant_friendly=False)
    assert {k.id for k in owners_only} == {"collective-solar", "collective-insulation"}
    assert kits_for(theme="other") == []


def test_kits_for_in_phase_order():
    phases = [PHASES.index(k.phase) for k in kits_for()]
    assert phases == sorted(phases)


def test_kits_for_rejects_unknown_filters():
    with pytest.raises(ValueError, match="theme"):
        kits_for(theme="groen")
    with pytest.raises(ValueError, match="phase"):
        kits_for(phase="initiëren")


def test_next_kits():
    assert [k.id for k in next_kits("tile-lifting")] == ["rain-barrels", "street-party"]
    assert next_kits("collective-solar")[0].id == "collective-insulation"
    with pytest.raises(KeyError, match="no-such-kit"):
        next_kits("no-such-kit")


def ids(kits) -> list[str]:
    return [kit.id for kit in kits]


def test_without_a_kit_the_initiatives_theme_comes_before_the_phase():
    # A "greener street" after its first meeting (no kit): tile-lifting and rain barrels,
    # not first the energy café that only shares the phase.
    suggested = ids(suggest_next(None, "greener", "activeren"))
    assert suggested[:2] == ["tile-lifting", "rain-barrels"]
    assert suggested[2:] == ["energy-cafe", "street-party"]  # then the phase's kits
    # Kits of the theme in the phase and later ones first, earlier phases after them.
    assert ids(suggest_next(None, "energy_saving", "groeien"))[:3] == [
        "fix-team",
        "thermal-scan",
        "energy-cafe",
    ]


def test_kits_already_planned_are_not_suggested_again():
    # Tile-lifting is planned already: the next best fills its place.
    suggested = ids(suggest_next(None, "greener", "activeren", planned=["tile-lifting"]))
    assert "tile-lifting" not in suggested
    assert suggested[:2] == ["rain-barrels", "energy-cafe"]
    after = ids(suggest_next("tile-lifting", "greener", "groeien", planned=["rain-barrels"]))
    assert after[0] == "street-party" and "rain-barrels" not in after


def test_without_a_theme_of_its_own_the_phase_and_the_next_phase_suggest():
    assert ids(suggest_next(None, "other", "bestendigen")) == [
        "heat-resident-team",
        "rain-barrels",
        "repair-cafe",
    ]
    assert ids(suggest_next(None, None, "groeien", limit=10)) == [
        "aed-crowdfunding",
        "fix-team",
        "thermal-scan",
        "tile-lifting",
        "heat-resident-team",
        "rain-barrels",
        "repair-cafe",
    ]
    assert suggest_next(None, "groen", "initiëren") == []  # unknown: nothing to add


def test_after_a_kit_its_own_next_kits_come_first_never_itself():
    assert ids(suggest_next("tile-lifting", "greener", "groeien")) == [
        "rain-barrels",
        "street-party",
    ]
    after_solar = ids(suggest_next("collective-solar", "other", "activeren"))
    assert after_solar[:2] == ["collective-insulation", "heat-resident-team"]
    assert "collective-solar" not in after_solar
    assert len(ids(suggest_next("energy-cafe", None, None, limit=2))) == 2
    # An unknown kit id (a kit a coach removed) counts as no kit.
    assert ids(suggest_next("gone-kit", "greener", "activeren"))[0] == "tile-lifting"


# --- loading: folder choice and cache -----------------------------------------


def test_env_variable_points_at_a_coach_folder(tmp_path, monkeypatch):
    write_kit(tmp_path, "alpha.toml", kit_data())
    monkeypatch.setenv(ENV_KITS_DIR, str(tmp_path))
    assert list(load_kits()) == ["alpha"]
    assert [k.id for k in kits_for(theme="greener")] == ["alpha"]
    monkeypatch.delenv(ENV_KITS_DIR)
    assert "alpha" not in load_kits()


def test_load_is_cached_until_cleared(tmp_path):
    write_kit(tmp_path, "alpha.toml", kit_data())
    first = load_kits(tmp_path)
    first.pop("alpha")  # a caller's change does not leak into the cache
    write_kit(tmp_path, "beta.toml", kit_data("beta"))
    assert list(load_kits(tmp_path)) == ["alpha"]
    clear_kit_cache()
    assert list(load_kits(tmp_path)) == ["alpha", "beta"]


def test_a_fixed_file_loads_after_an_error(tmp_path):
    write_kit(tmp_path, "alpha.toml", kit_data(theme="groen"))
    problems_of(tmp_path)
    write_kit(tmp_path, "alpha.toml", kit_data())
    assert list(load_kits(tmp_path)) == ["alpha"]  # errors are not cached


def test_kits_are_frozen():
    kit = load_kits()["fix-team"]
    with pytest.raises(AttributeError, match="cannot assign to field 'theme'"):
        kit.theme = "safer"  # type: ignore[misc]
    assert isinstance(kit.next, tuple) and isinstance(kit.nl.steps, tuple)


# --- validation messages ------------------------------------------------------


def test_unknown_theme_names_file_and_field(tmp_path):
    write_kit(tmp_path, "bad-theme.toml", kit_data(theme="groen"))
    error = problems_of(tmp_path)
    assert len(error.problems) == 1
    problem = error.problems[0]
    assert (problem.file, problem.field) == ("bad-theme.toml", "theme")
    message = str(error)
    assert "bad-theme.toml [theme]" in message
    assert "'groen'" in message and "energy_saving" in message
    assert "NL:" in message  # a Dutch explanation for the coach


def test_unknown_phase_and_kind(tmp_path):
    write_kit(tmp_path, "k.toml", kit_data(phase="initiëren", kind="party"))
    fields = {p.field for p in problems_of(tmp_path).problems}
    assert fields == {"phase", "kind"}


def test_bad_placeholder_names_language_and_field(tmp_path):
    data = kit_data(en=text_block("en", invitation="See you at {time} in {place}"))
    write_kit(tmp_path, "bad-placeholder.toml", data)
    error = problems_of(tmp_path)
    assert [(p.file, p.field) for p in error.problems] == [
        ("bad-placeholder.toml", "en.invitation")
    ]
    assert "{time}" in str(error) and "{organiser}" in str(error)


@pytest.mark.parametrize(
    "invitation", ["Open { brace", "Close } brace", "Extra {date!r}", "Extra {date:>10}", "{}"]
)
def test_malformed_placeholders(tmp_path, invitation):
    write_kit(tmp_path, "k.toml", kit_data(nl=text_block("nl", invitation=invitation)))
    error = problems_of(tmp_path)
    assert [p.field for p in error.problems] == ["nl.invitation"]


def test_missing_english_section(tmp_path):
    data = kit_data()
    del data["en"]
    write_kit(tmp_path, "no-english.toml", data)
    error = problems_of(tmp_path)
    assert [(p.file, p.field) for p in error.problems] == [("no-english.toml", "en")]
    assert "[en]" in str(error)


def test_dangling_next(tmp_path):
    write_kit(tmp_path, "alpha.toml", kit_data(next=["beta", "no-such-kit"]))
    write_kit(tmp_path, "beta.toml", kit_data("beta"))
    error = problems_of(tmp_path)
    assert [(p.file, p.field) for p in error.problems] == [("alpha.toml", "next")]
    assert "'no-such-kit'" in str(error)


def test_next_pointing_at_itself(tmp_path):
    write_kit(tmp_path, "alpha.toml", kit_data(next=["alpha"]))
    assert [p.field for p in problems_of(tmp_path).problems] == ["next"]


def test_duplicate_id_names_both_files(tmp_path):
    write_kit(tmp_path, "first.toml", kit_data("same"))
    write_kit(tmp_path, "second.toml", kit_data("same"))
    error = problems_of(tmp_path)
    assert [(p.file, p.field) for p in error.problems] == [("second.toml", "id")]
    assert "first.toml" in str(error)


def test_empty_steps(tmp_path):
    write_kit(tmp_path, "k.toml", kit_data(nl=text_block("nl", steps=[])))
    error = problems_of(tmp_path)
    assert [(p.file, p.field) for p in error.problems] == [("k.toml", "nl.steps")]


def test_blank_step_item(tmp_path):
    write_kit(tmp_path, "k.toml", kit_data(en=text_block("en", steps=["Do it.", "  "])))
    error = problems_of(tmp_path)
    assert [p.field for p in error.problems] == ["en.steps"]
    assert "item 2" in str(error)


def test_steps_must_match_between_languages(tmp_path):
    data = kit_data(en=text_block("en", steps=["Only one step."]))
    write_kit(tmp_path, "k.toml", data)
    error = problems_of(tmp_path)
    assert [p.field for p in error.problems] == ["steps"]
    assert "nl has 2" in str(error) and "en has 1" in str(error)


def test_threshold_needs_reasons_in_both_languages(tmp_path):
    write_kit(tmp_path, "k.toml", kit_data(threshold=10))
    fields = sorted(p.field for p in problems_of(tmp_path).problems)
    assert fields == ["en.threshold_reason", "nl.threshold_reason"]


def test_threshold_reason_without_threshold(tmp_path):
    write_kit(tmp_path, "k.toml", kit_data(nl=text_block("nl", threshold_reason="Omdat.")))
    assert [p.field for p in problems_of(tmp_path).problems] == ["nl.threshold_reason"]


def test_threshold_with_reasons_loads(tmp_path):
    data = kit_data(
        threshold=12,
        nl=text_block("nl", threshold_reason="Twaalf huizen."),
        en=text_block("en", threshold_reason="Twelve homes."),
    )
    write_kit(tmp_path, "k.toml", data)
    kit = load_kits(tmp_path)["alpha"]
    assert kit.threshold == 12
    assert kit.text("en").threshold_reason == "Twelve homes."


@pytest.mark.parametrize("value", [0, -3, "10", True])
def test_bad_threshold(tmp_path, value):
    write_kit(tmp_path, "k.toml", kit_data(threshold=value))
    assert "threshold" in {p.field for p in problems_of(tmp_path).problems}


def test_unknown_fields_are_reported_as_typos(tmp_path):
    data = kit_data(theem="greener", nl=text_block("nl", stepps=["x"]))
    write_kit(tmp_path, "k.toml", data)
    fields = {p.field for p in problems_of(tmp_path).problems}
    assert fields == {"theem", "nl.stepps"}


def test_bad_id_and_tenant_flag(tmp_path):
    write_kit(tmp_path, "k.toml", kit_data("Tile Lifting", tenant_friendly="yes"))
    fields = {p.field for p in problems_of(tmp_path).problems}
    assert fields == {"id", "tenant_friendly"}


def test_all_problems_in_all_files_are_reported_at_once(tmp_path):
    write_kit(tmp_path, "a.toml", kit_data("a", theme="groen", kind="feest"))
    write_kit(tmp_path, "b.toml", kit_data("b", en=text_block("en", invitation="{tijd}")))
    error = problems_of(tmp_path)
    assert {(p.file, p.field) for p in error.problems} == {
        ("a.toml", "theme"),
        ("a.toml", "kind"),
        ("b.toml", "en.invitation"),
    }


def test_invalid_toml_names_the_file(tmp_path):
    (tmp_path / "broken.toml").write_text('id = "x\ntheme = greener\n', encoding="utf-8")
    error = problems_of(tmp_path)
    assert [p.file for p in error.problems] == ["broken.toml"]
    assert "TOML" in str(error)


def test_missing_or_empty_folder(tmp_path):
    assert "does not exist" in str(problems_of(tmp_path / "nope"))
    (tmp_path / "README.md").write_text("hi", encoding="utf-8")
    assert "no .toml" in str(problems_of(tmp_path))


# --- the command line ---------------------------------------------------------


def run_check(*args: str, env_dir: Path | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != ENV_KITS_DIR}
    if env_dir is not None:
        env[ENV_KITS_DIR] = str(env_dir)
    return subprocess.run(
        [sys.executable, "-m", "bot.domain.kits", *args],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        env=env,
        timeout=60,
    )


def test_cli_check_ok_on_shipped_kits():
    result = run_check("check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[0] == f"OK: {len(load_kits())} kits"
    assert result.stdout.startswith("OK: 13 kits")


def test_cli_check_reports_errors_with_exit_1(tmp_path):
    write_kit(tmp_path, "alpha.toml", kit_data(theme="groen", next=["ghost"]))
    result = run_check("check", str(tmp_path))
    assert result.returncode == 1
    assert "alpha.toml [theme]" in result.stdout
    assert "OK:" not in result.stdout


def test_cli_check_uses_the_env_folder(tmp_path):
    write_kit(tmp_path, "alpha.toml", kit_data())
    result = run_check("check", env_dir=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("OK: 1 kits")


def test_cli_without_command_is_a_usage_error():
    result = run_check()
    assert result.returncode == 2
    assert "usage" in result.stderr.lower()


def test_main_in_process(tmp_path, capsys):
    write_kit(tmp_path, "alpha.toml", kit_data())
    assert kits_module.main(["check", str(tmp_path)]) == 0
    assert capsys.readouterr().out.startswith("OK: 1 kits")
    write_kit(tmp_path, "beta.toml", kit_data("beta", phase="later"))
    assert kits_module.main(["check", str(tmp_path)]) == 1
    assert "beta.toml [phase]" in capsys.readouterr().out


def test_a_broken_kit_does_not_cause_link_errors_elsewhere(tmp_path):
    write_kit(tmp_path, "alpha.toml", kit_data(next=["beta"]))
    write_kit(tmp_path, "beta.toml", kit_data("beta", theme="groen", next=["ghost"]))
    error = problems_of(tmp_path)
    # beta's own theme error and its dangling link; alpha's link to beta is fine.
    assert [(p.file, p.field) for p in error.problems] == [
        ("beta.toml", "theme"),
        ("beta.toml", "next"),
    ]


def test_duplicate_id_is_reported_even_when_the_first_file_is_broken(tmp_path):
    write_kit(tmp_path, "first.toml", kit_data("same", kind="feest"))
    write_kit(tmp_path, "second.toml", kit_data("same"))
    error = problems_of(tmp_path)
    assert [(p.file, p.field) for p in error.problems] == [
        ("first.toml", "kind"),
        ("second.toml", "id"),
    ]


# --- the other languages: English where a kit is not translated yet, and marked so ----------


def test_a_partial_translation_falls_back_to_english_and_says_where(tmp_path):
    data = kit_data(tr={"title": "Başlık", "steps": ["Birinci adım."]})
    write_kit(tmp_path, "k.toml", data)
    kit = load_kits(tmp_path)["alpha"]
    turkish = kit.text("tr-TR")
    assert (turkish.title, turkish.steps) == ("Başlık", ("Birinci adım.", "Step two en."))
    assert turkish.summary == "Summary en." and turkish.lang == "tr"
    assert turkish.fallback == ("summary", "steps 2-2", "checklist", "invitation")
    polish = kit.text("pl")  # no [pl] section at all: all English, all marked
    assert polish.title == "Title en" and "title" in polish.fallback
    assert kit.text("en").fallback == kit.text("nl").fallback == ()
    assert kits_module.english_fallbacks({"alpha": kit})["tr"] == [("alpha", turkish.fallback)]


def test_check_lists_what_each_language_still_shows_in_english(tmp_path, capsys):
    data = kit_data(tr={"title": "Başlık", "summary": "Özet.", "steps": ["Birinci adım."]})
    path = write_kit(tmp_path, "k.toml", data)
    outcome = '\n[[outcomes]]\nkey = "tiles_removed"\nnl = "Hoeveel?"\nen = "How many?"\n'
    path.write_text(path.read_text(encoding="utf-8") + outcome, encoding="utf-8")
    turkish = load_kits(tmp_path)["alpha"].text("tr")
    assert not turkish.in_english("title") and not turkish.in_english("steps", 1)
    assert turkish.in_english("steps", 2) and turkish.in_english("checklist", 1)
    assert turkish.in_english("invitation") and not turkish.in_english("bring")
    assert kits_module.main(["check", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("OK: 1 kits")
    assert "tr: 1 kit(s) partly in English" in out
    assert "    alpha: steps 2-2, checklist, invitation, outcomes (tiles_removed)" in out
    assert "    alpha: title, summary, steps, checklist, invitation, outcomes" in out  # pl


def test_outcome_questions_may_be_worded_in_every_language(tmp_path):
    path = write_kit(tmp_path, "k.toml", kit_data())
    outcome = (
        '[[outcomes]]\nkey = "tiles_removed"\nnl = "Hoeveel tegels?"\nen = "How many tiles?"\n'
        'tr = "Kaç taş?"\nuk = "Скільки плиток?"\n\n'
    )
    path.write_text(path.read_text(encoding="utf-8") + "\n" + outcome, encoding="utf-8")
    (question,) = load_kits(tmp_path)["alpha"].outcomes
    assert question.question("tr") == "Kaç taş?" and question.question("uk-UA") == "Скільки плиток?"
    assert (
        question.question("pl") == "How many tiles?"
        and question.question("nl") == "Hoeveel tegels?"
    )
    german = path.read_text(encoding="utf-8").replace('tr = "Kaç taş?"', 'de = "Wie viele?"')
    path.write_text(german, encoding="utf-8")
    clear_kit_cache()
    assert [p.field for p in problems_of(tmp_path).problems] == ["outcomes.1.de"]


def test_every_shipped_kit_speaks_every_language_completely():
    """Nothing of a shipped kit falls back to English, its outcome questions included
    (a coach's own kit may, and is told so); and every kit has all its steps in English."""
    kits = load_kits()
    for kit in kits.values():
        assert len(kit.en.steps) == len(kit.nl.steps) and all(kit.en.steps), kit.id
        for lang in kits_module.MORE_LANGUAGES:
            text = kit.text(lang)
            assert text.fallback == (), (kit.id, lang, text.fallback)
            assert len(text.steps) == len(kit.en.steps), (kit.id, lang)
            assert len(text.bring) == len(kit.en.bring), (kit.id, lang)
            assert set(text.steps).isdisjoint(kit.en.steps), (kit.id, lang)
            assert text.invitation != kit.en.invitation, (kit.id, lang)
            assert all(lang in outcome.questions for outcome in kit.outcomes), (kit.id, lang)
    assert kits_module.report_english(kits, out=io.StringIO()) == 0


def test_a_translation_with_more_steps_than_english_is_refused(tmp_path):
    write_kit(tmp_path, "k.toml", kit_data(uk={"steps": ["Один.", "Два.", "Три."]}))
    error = problems_of(tmp_path)
    assert [p.field for p in error.problems] == ["uk.steps"]
    write_kit(tmp_path, "k.toml", kit_data(ar={"invitation": "{date} {where}"}))
    assert [p.field for p in problems_of(tmp_path).problems] == ["ar.invitation"]


def test_every_shipped_kit_has_its_title_summary_and_first_step_in_each_language():
    for kit in load_kits().values():
        for lang in kits_module.MORE_LANGUAGES:
            text = kit.text(lang)
            assert text.title != kit.en.title and text.steps[0] != kit.en.steps[0], kit.id
            assert not {"title", "summary"} & set(text.fallback), (kit.id, lang)


# --- what quotes are compared by (kit facts in the TOML, not in the code) ----------------


def test_shipped_purchase_kits_say_what_their_quotes_are_compared_by():
    kits = load_kits()
    assert kits["collective-solar"].quotes == "wp"
    assert kits["collective-insulation"].quotes == "m2"
    assert {kit.id for kit in kits.values() if kit.quotes} == {
        kit.id for kit in kits.values() if kit.theme == "collective_purchase"
    }


def test_quotes_default_to_square_metres_and_belong_to_purchases(tmp_path):
    cases = {
        "purchase": kit_data(theme="collective_purchase"),
        "greener": kit_data(quotes="wp"),  # a greener kit compares no quotes
        "unknown": kit_data(theme="collective_purchase", quotes="kwh"),
    }
    for name, data in cases.items():
        (tmp_path / name).mkdir()
        write_kit(tmp_path / name, "alpha.toml", data)
    assert load_kits(tmp_path / "purchase")["alpha"].quotes == "m2"
    for name in ("greener", "unknown"):
        assert {p.field for p in problems_of(tmp_path / name).problems} == {"quotes"}


# --- what a reader sees of a kit not yet translated ------------------------------------------


async def test_a_reader_is_told_which_kit_texts_are_still_in_english(
    driver, tmp_path, monkeypatch
) -> None:
    from bot.core.payloads import pack
    from bot.core.seam import ButtonPress
    from bot.i18n import texts_for

    # A coach's kit folder: one kit translated in part, one whole (the shipped kits are).
    steps = ["Birinci adım.", "İkinci adım."]
    whole = {"title": "Tamamı", "summary": "Özet.", "steps": steps, "checklist": ["Madde"]}
    whole["invitation"] = "{date} {place} {link} {organiser}"
    write_kit(tmp_path, "alpha.toml", kit_data(tr={"title": "Başlık", "steps": steps[:1]}))
    write_kit(tmp_path, "beta.toml", kit_data("beta", tr=whole))
    monkeypatch.setenv(ENV_KITS_DIR, str(tmp_path))
    clear_kit_cache()
    turkish = texts_for("tr")
    part = turkish._("<i>Part of this kit is not translated yet: that part is in English.</i>")
    step = turkish._("<i>This step is not translated yet: it is in English.</i>")
    ayse = driver.person("Ayşe", "tr")
    await ayse.command("start")
    try:
        for payload in (pack("kit", "show", "alpha"), pack("kit", "step", "alpha", 2)):
            await ayse.event(ButtonPress(payload, f"q-{payload}", None))
        page, second = ayse.messages[-2].text, ayse.messages[-1].text
        assert part in page and "Başlık" in page and "☐ Item en" in page
        assert step in second and "Step two en." in second
        await ayse.event(ButtonPress(pack("kit", "step", "alpha", 1), "q-first", None))
        assert "Birinci adım." in ayse.messages[-1].text
        assert step not in ayse.messages[-1].text  # the first step is in Turkish
        await ayse.event(ButtonPress(pack("kit", "show", "beta"), "q-whole", None))
        assert "☐ Madde" in ayse.messages[-1].text and part not in ayse.messages[-1].text
    finally:
        monkeypatch.delenv(ENV_KITS_DIR)
        clear_kit_cache()
