"""Shipped templates cover the contract; broken templates stop start-up with a message naming file, step, problem."""

import shutil
from datetime import timedelta

import pytest

from orchestrator.domain.templates import TemplateError, load_catalogue, parse_duration

from .journeys import CATALOGUE, TEMPLATES


def kinds(name: str) -> dict[str, str]:
    return {s.name: s.kind for s in CATALOGUE.latest(name).steps}


def test_the_three_templates_are_shipped_and_chosen_by_the_rules():
    assert CATALOGUE.names() == ["b2b-voluntary", "b2c-voluntary", "involuntary"]
    assert CATALOGUE.choose({"segment": "b2c", "initiated_by": "customer"}).name == "b2c-voluntary"
    assert CATALOGUE.choose({"segment": "b2b", "initiated_by": "merchant"}).name == "b2b-voluntary"
    assert CATALOGUE.choose({"segment": "b2b", "initiated_by": "payment_failure"}).name == "involuntary"


@pytest.mark.parametrize("name", ["b2c-voluntary", "b2b-voluntary"])
def test_voluntary_journeys_have_every_step_the_contract_names(name):
    steps = kinds(name)
    for required in (
        "confirmation",
        "thanks",
        "exit_survey",
        "data_export_help",
        "access_ending_reminder",
        "access_ended",
        "data_deletion_notice",
        "erase_personal_data",
        "win_back_offer",
        "support_follow_up",
    ):
        assert required in steps, required
    assert steps["exit_survey"] == "survey" and steps["erase_personal_data"] == "erase"
    win_back = next(s for s in CATALOGUE.latest(name).steps if s.name == "win_back_offer")
    assert win_back.category == "marketing"
    assert "marketing_consent" in win_back.when.model_dump_json()


def test_b2b_hands_the_account_to_its_manager():
    assert "account_manager_handoff" in kinds("b2b-voluntary")
    assert "account_manager_handoff" not in kinds("b2c-voluntary")


def test_involuntary_has_a_payment_update_path_and_no_survey():
    steps = kinds("involuntary")
    assert "payment_update" in steps and "survey" not in steps.values()
    assert "win_back_offer" not in steps


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PT0S", timedelta(0)),
        ("P3D", timedelta(days=3)),
        ("-P2D", timedelta(days=-2)),
        ("P1W", timedelta(weeks=1)),
        ("P30DT1H", timedelta(days=30, hours=1)),
        ("PT90M", timedelta(minutes=90)),
    ],
)
def test_iso_durations(text, expected):
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["P1M", "P1Y", "1 day", "P", "PT", "3d", "P1DT"])
def test_ambiguous_or_malformed_durations_are_refused(text):
    with pytest.raises(ValueError, match="ISO-8601"):
        parse_duration(text)


BROKEN = [
    ("offset: PT1H}", "offset: 1 day}", "step 'exit_survey' (steps.1).at.offset", "ISO-8601"),
    (
        "{fact: initiated_by, not_equals: merchant}",
        "{fact: mood, equals: sad}",
        "step 'exit_survey' (steps.1).when",
        "unknown fact 'mood'",
    ),
    ("    message: thank_you\n", "", "step 'thanks'", "needs `message`"),
    (
        "at: {anchor: step, step: exit_survey, offset: PT0S}",
        "at: {anchor: step, step: thanks, offset: PT0S}",
        "b2c-voluntary.v1.yaml",
        "not an earlier step",
    ),
    ("- name: thanks", "- name: confirmation", "b2c-voluntary.v1.yaml", "'confirmation' appears twice"),
    ("- name: thanks", "- name: welcome_back", "b2c-voluntary.v1.yaml", "reserved"),
    ("kind: survey ", "kind: teleport ", "step 'exit_survey' (steps.1).kind", "Input should be"),
    ("version: 1", "version: 1\nsteps_extra: true", "b2c-voluntary.v1.yaml", "steps_extra"),
    ("offset: P3D}", "offset: -P3D}", "step 'exit_survey_reminder'", "negative offset"),
]


@pytest.mark.parametrize(("find", "replace", "where", "problem"), BROKEN)
def test_a_broken_template_is_refused_with_file_step_and_problem(tmp_path, find, replace, where, problem):
    folder = tmp_path / "templates"
    shutil.copytree(TEMPLATES, folder)
    path = folder / "b2c-voluntary.v1.yaml"
    text = path.read_text()
    assert find in text, find
    path.write_text(text.replace(find, replace, 1))
    with pytest.raises(TemplateError) as caught:
        load_catalogue(folder)
    message = str(caught.value)
    assert message.startswith("b2c-voluntary.v1.yaml"), message
    assert where in message and problem in message, message


def test_bad_yaml_and_bad_selection_are_named(tmp_path):
    folder = tmp_path / "templates"
    shutil.copytree(TEMPLATES, folder)
    (folder / "involuntary.v1.yaml").write_text("name: [unclosed")
    with pytest.raises(TemplateError, match=r"involuntary.v1.yaml: not valid YAML"):
        load_catalogue(folder)
    shutil.copy(TEMPLATES / "involuntary.v1.yaml", folder / "involuntary.v1.yaml")
    (folder / "selection.yaml").write_text("rules:\n  - template: nowhere\n")
    with pytest.raises(TemplateError, match="names template 'nowhere'"):
        load_catalogue(folder)


def test_a_new_version_is_chosen_and_the_old_one_stays_loaded(tmp_path):
    folder = tmp_path / "templates"
    shutil.copytree(TEMPLATES, folder)
    text = (folder / "b2c-voluntary.v1.yaml").read_text().replace("version: 1", "version: 2")
    (folder / "b2c-voluntary.v2.yaml").write_text(text)
    catalogue = load_catalogue(folder)
    assert catalogue.choose({"segment": "b2c", "initiated_by": "customer"}).version == 2
    (folder / "b2c-voluntary.v2b.yaml").write_text(text)
    with pytest.raises(TemplateError, match="version 2 is also in"):
        load_catalogue(folder)


def test_a_selection_rule_on_the_customers_locale_applies():
    """Locale and time zone come inside `customer` in a cancellation; the rules read them like the other facts."""
    from orchestrator.domain.templates import catalogue_from_texts
    from orchestrator.tools.templates import read_templates

    files = read_templates(TEMPLATES)
    files["selection.yaml"] = (
        "rules:\n  - when: {fact: locale, equals: de}\n    template: b2b-voluntary\n  - template: b2c-voluntary\n"
    )
    catalogue = catalogue_from_texts(files)
    german = {"segment": "b2c", "initiated_by": "customer", "customer": {"locale": "de", "timezone": "UTC"}}
    assert catalogue.choose(german).name == "b2b-voluntary"
    assert catalogue.choose(german | {"customer": {"locale": "en"}}).name == "b2c-voluntary"
