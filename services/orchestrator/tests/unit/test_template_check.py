"""`templates check`: each kind of problem an author can make is found, with its file, its line and a fix;
the shipped templates and messages have none."""

import textwrap

import pytest

from orchestrator.domain.message_files import MessageInventory
from orchestrator.domain.template_check import check
from orchestrator.tools.templates import SHIPPED_MESSAGES, main, read_messages, read_templates

from .journeys import TEMPLATES

SHIPPED = read_templates(TEMPLATES)
MESSAGES = read_messages(SHIPPED_MESSAGES)
B2C = "b2c-voluntary.v1.yaml"


def findings_for(changes: dict[str, str | None], messages: MessageInventory = MESSAGES) -> list[str]:
    files = {**SHIPPED, **changes}
    return [str(f) for f in check({k: v for k, v in files.items() if v is not None}, messages)]


def edited(old: str, new: str, file: str = B2C) -> dict[str, str]:
    assert old in SHIPPED[file], old
    return {file: SHIPPED[file].replace(old, new, 1)}


def line_of(text: str, file: str = B2C) -> int:
    return next(n for n, line in enumerate(SHIPPED[file].splitlines(), 1) if text in line)


def template(steps: str, name: str = "b2c-voluntary", version: int = 2) -> str:
    return f"name: {name}\nversion: {version}\nsteps:\n" + textwrap.indent(textwrap.dedent(steps), "  ")


def test_the_shipped_templates_and_messages_pass():
    assert findings_for({}) == []


def test_the_command_exits_1_on_a_problem_and_0_without(tmp_path, capsys):
    with pytest.raises(SystemExit) as clean:
        main(["check", str(TEMPLATES)])
    for name, text in {**SHIPPED, **edited("kind: survey ", "kind: poll ")}.items():
        (tmp_path / name).write_text(text)
    with pytest.raises(SystemExit) as broken:
        main(["check", str(tmp_path)])
    assert (clean.value.code, broken.value.code) == (0, 1)
    assert f"{B2C}:{line_of('kind: survey ')}: step 'exit_survey' kind" in capsys.readouterr().out


def test_a_yaml_error_names_its_line():
    text = "name: x\nversion: 1\nsteps:\n  - name: a\n   kind: notify\n"
    assert findings_for({"x.v1.yaml": text}) == [
        "x.v1.yaml:5: not valid YAML: expected <block end>, but found '<block mapping start>'. "
        "Fix: correct the YAML syntax."
    ]


def test_an_unknown_step_kind():
    (found,) = findings_for(edited("kind: survey ", "kind: poll "))
    assert found.startswith(f"{B2C}:{line_of('kind: survey ')}: step 'exit_survey' kind: Input should be 'notify'")
    assert found.endswith("Fix: use one of: notify, survey, wait, erase.")


def test_an_unknown_message():
    (found,) = findings_for(edited("message: thank_you", "message: thank_yuo"))
    assert found.startswith(f"{B2C}:{line_of('message: thank_you')}: step 'thanks': there is no message 'thank_yuo'.")
    assert "add services/notifier/templates/email/en/thank_yuo.j2" in found and "thank_you," in found


def test_a_message_missing_a_locale():
    files = {path: text for path, text in _message_files().items() if path != "de/thank_you.j2"}
    missing = "step 'thanks': message 'thank_you' has no de file (customers with locale de would get English). "
    fix = "Fix: add services/notifier/templates/email/de/thank_you.j2."
    assert findings_for({}, MessageInventory(files)) == [
        f"b2b-voluntary.v1.yaml:{line_of('message: thank_you', 'b2b-voluntary.v1.yaml')}: {missing}{fix}",
        f"{B2C}:{line_of('message: thank_you')}: {missing}{fix}",
    ]


def test_a_segment_variant_missing_a_locale():
    files = {path: text for path, text in _message_files().items() if path != "de/cancellation_confirmation.b2b.j2"}
    assert findings_for({}, MessageInventory(files)) == [
        "services/notifier/templates/email/de/cancellation_confirmation.b2b.j2:1: message cancellation_confirmation "
        "for b2b exists in en but not in de. Fix: add services/notifier/templates/email/de/cancellation_confirmation.b2b.j2."
    ]


@pytest.mark.parametrize(("block", "part"), [("subject", "subject"), ("body", "text or HTML part")])
def test_a_message_missing_a_part(block, part):
    files = _message_files()
    files["de/thank_you.j2"] = (
        files["de/thank_you.j2"].replace(f"{{% block {block} %}}", "").replace("{% endblock %}", "", 1)
    )
    assert findings_for({}, MessageInventory(files)) == [
        f"services/notifier/templates/email/de/thank_you.j2:1: no `{block}` block: the message has no {part}. "
        f"Fix: add {{% block {block} %}}...{{% endblock %}}."
    ]


def test_a_message_without_its_category_tag():
    files = _message_files()
    files["de/thank_you.j2"] = files["de/thank_you.j2"].split("\n", 1)[1]
    (found,) = findings_for({}, MessageInventory(files))
    assert found.startswith("services/notifier/templates/email/de/thank_you.j2:1: the first line does not tag")


def test_the_html_layout_missing():
    files = {path: text for path, text in _message_files().items() if path != "_layout.mjml"}
    (found,) = findings_for({}, MessageInventory(files))
    assert "_layout.mjml:1: the HTML layout is missing" in found


def test_a_block_the_notifier_does_not_know():
    files = _message_files()
    files["en/thank_you.j2"] += "{% block footer %}P.S.{% endblock %}"
    (found,) = findings_for({}, MessageInventory(files))
    assert found.startswith("services/notifier/templates/email/en/thank_you.j2:1: unknown block `footer`")


def test_a_condition_on_a_fact_that_does_not_exist():
    (found,) = findings_for(edited("fact: survey.answered,", "fact: survey.anwsered,"))
    line = line_of("fact: survey.answered,")
    assert found.startswith(f"{B2C}:{line}: step 'exit_survey_reminder' when: unknown fact 'survey.anwsered'")


def test_an_anchor_on_a_step_that_does_not_exist():
    (found,) = findings_for(edited("step: exit_survey,", "step: exit_survay,"))
    assert found == (
        f"{B2C}:{line_of('step: exit_survey,')}: step 'exit_survey_invitation' is anchored to step 'exit_survay', "
        "which does not exist. Fix: anchor it to one of: confirmation, exit_survey, exit_survey_invitation, "
        "exit_survey_reminder, thanks, data_export_help, access_ending_reminder, access_ended, support_follow_up, "
        "win_back_offer, data_deletion_notice, erase_personal_data."
    )


def test_an_anchor_on_a_later_step():
    (found,) = findings_for(edited("step: exit_survey,", "step: thanks,"))
    assert found.endswith(
        "is anchored to step 'thanks', which comes after it. Fix: move 'exit_survey_invitation' below 'thanks'."
    )


def test_anchors_in_a_circle():
    steps = """\
        - {name: first, kind: wait, at: {anchor: step, step: third}}
        - {name: second, kind: wait, at: {anchor: step, step: first}}
        - {name: third, kind: wait, at: {anchor: step, step: second}}
        """
    found = findings_for({"loop.v1.yaml": template(steps, name="loop", version=1)})
    assert found == [
        "loop.v1.yaml:4: steps anchored in a circle: first -> third -> second -> first. Fix: anchor one of them to start or effective_at.",
        "loop.v1.yaml:5: steps anchored in a circle: second -> first -> third -> second. Fix: anchor one of them to start or effective_at.",
        "loop.v1.yaml:6: steps anchored in a circle: third -> second -> first -> third. Fix: anchor one of them to start or effective_at.",
    ]


def test_a_marketing_step_without_the_consent_condition():
    (found,) = findings_for(edited("        - {fact: marketing_consent, equals: true}\n", ""))
    assert found == (
        f"{B2C}:{_after('name: win_back_offer', 'when:')}: step 'win_back_offer' sends marketing without the consent "
        "condition. Fix: add `when: {fact: marketing_consent, equals: true}` (inside `all:` with any other test)."
    )


def test_consent_under_any_is_not_enough():
    text = edited(
        "      all:\n        - {fact: marketing_consent, equals: true}",
        "      any:\n        - {fact: marketing_consent, equals: true}",
    )
    assert [f for f in findings_for(text) if "without the consent condition" in f]


def test_a_marketing_message_sent_by_a_transactional_step():
    found = findings_for(edited("    category: marketing\n    message: win_back_offer", "    message: win_back_offer"))
    assert found == [
        f"{B2C}:{line_of('name: win_back_offer')}: step 'win_back_offer': message 'win_back_offer' is tagged marketing "
        "but the step is transactional. Fix: add `category: marketing` to the step."
    ]


def test_a_selection_that_leaves_a_combination_without_a_template():
    selection = SHIPPED["selection.yaml"].replace(
        "  - template: b2c-voluntary", "  - when: {fact: initiated_by, equals: customer}\n    template: b2c-voluntary"
    )
    found = findings_for({"selection.yaml": selection})
    line = line_of("rules:", "selection.yaml")
    assert found == [
        f"selection.yaml:{line}: no rule surely chooses a template for segment b2c, initiated_by merchant. "
        "Fix: add a last rule without `when` (the default template).",
        f"selection.yaml:{line + 5}: the last rule has a `when`: start-up needs a default. "
        "Fix: end with a rule that has only `template`.",
    ]


def test_a_selection_rule_naming_a_template_that_does_not_exist():
    (found,) = findings_for(
        {"selection.yaml": SHIPPED["selection.yaml"].replace("template: b2b-voluntary", "template: b2b")}
    )
    assert found.startswith(
        f"selection.yaml:{line_of('template: b2b-voluntary', 'selection.yaml')}: rule 2 names template 'b2b'"
    )


def test_two_files_with_the_same_version():
    (found,) = findings_for({"b2c-voluntary.v2.yaml": SHIPPED[B2C]})
    assert found == (
        f"b2c-voluntary.v2.yaml:{line_of('version: 1')}: b2c-voluntary version 1 is also in {B2C}. "
        "Fix: give the new file the next version number."
    )


def test_locales_of_one_message_tagged_differently():
    files = _message_files()
    files["de/thank_you.j2"] = files["de/thank_you.j2"].replace("category: transactional", "category: marketing")
    assert findings_for({}, MessageInventory(files)) == [
        "services/notifier/templates/email/de/thank_you.j2:1: tagged marketing, other locales of thank_you are not. "
        "Fix: tag every locale of a message alike."
    ]


def _after(first: str, then: str) -> int:
    """The line of the first `then` below `first` in the shipped b2c template."""
    lines = SHIPPED[B2C].splitlines()
    start = line_of(first)
    return next(n for n, line in enumerate(lines[start:], start + 1) if then in line)


def _message_files() -> dict[str, str]:
    paths = [*SHIPPED_MESSAGES.rglob("*.j2"), SHIPPED_MESSAGES / "_layout.mjml"]
    return {str(p.relative_to(SHIPPED_MESSAGES)): p.read_text() for p in paths}


def test_the_emails_the_journey_sends_by_itself_must_exist_in_every_language():
    files = {p: text for p, text in _message_files().items() if p not in ("de/help_received.j2", "en/welcome_back.j2")}
    found = findings_for({}, MessageInventory(files))
    assert any("the journey sends 'help_received' by itself, and there is no de file" in f for f in found)
    assert any("the journey sends 'welcome_back' by itself, and there is no en file" in f for f in found)


def test_the_helm_values_of_the_wording_hold_every_file_as_it_is(tmp_path, capsys):
    import yaml

    with pytest.raises(SystemExit) as done:
        main(["values", str(TEMPLATES)])
    wording = yaml.safe_load(capsys.readouterr().out)["wording"]
    assert done.value.code == 0
    assert wording["journeys"] == SHIPPED
    assert wording["messages"] == {f"email/{path}": text for path, text in _message_files().items()}
    for name, text in {**SHIPPED, **edited("kind: survey ", "kind: poll ")}.items():
        (tmp_path / name).write_text(text)
    with pytest.raises(SystemExit) as refused:
        main(["values", str(tmp_path)])
    assert refused.value.code == 1 and "kind" in capsys.readouterr().err, "wording that fails the check is not written"
