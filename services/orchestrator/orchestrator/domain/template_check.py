"""The author's check of journey templates and the messages they send: every finding at once, each naming the
file, the line and what to do (`python -m orchestrator templates check`). Pure: it reads texts, not folders.

Start-up refuses the first problem it meets (`templates.load_catalogue`); this check goes further and finds
what start-up cannot see: a message with no file in a locale, a marketing message that could reach a customer
without consent, a segment and `initiated_by` that no selection rule surely covers.
"""

from typing import Any, get_args

from pydantic import ValidationError

from orchestrator.domain.conditions import Condition
from orchestrator.domain.findings import Finding
from orchestrator.domain.message_files import LOCALES, MessageInventory
from orchestrator.domain.templates import Selection, Template, reserved
from orchestrator.domain.yaml_document import Document, parse, schema_findings
from shared.events.subscription import InitiatedBy, Segment

SELECTION = "selection.yaml"


def check(files: dict[str, str], messages: MessageInventory | None) -> list[Finding]:
    """Findings for the template files (name -> YAML text, `selection.yaml` included) and the message files
    (without them, as in a running orchestrator, what only the message files can tell is left out)."""
    findings: list[Finding] = []
    documents = {}
    for name, text in sorted(files.items()):
        document = parse(name, text, findings)
        if document is not None:
            documents[name] = document
    templates = {name: doc for name, doc in documents.items() if name != SELECTION}
    for doc in templates.values():
        findings += schema_findings(doc, Template)
        findings += _steps(doc)
        findings += _experiment(doc)
        findings += _messages(doc, messages)
    findings += _versions(templates)
    findings += messages.findings() if messages is not None else []
    findings += _journeys_own_messages(messages)
    if SELECTION not in files:
        findings.append(Finding(SELECTION, None, "there is no selection.yaml", "add one: rules choosing a template"))
    elif SELECTION in documents:
        findings += _selection(documents[SELECTION], {doc.data.get("name") for doc in templates.values()})
    return sorted(set(findings))


# Emails the journey sends by itself, whatever the templates say: after a reactivation, after a help request.
JOURNEYS_OWN_EMAILS = ("welcome_back", "help_received")


def _journeys_own_messages(messages: MessageInventory | None) -> list[Finding]:
    if messages is None:
        return []
    return [
        Finding(
            messages.path(locale, message),
            None,
            f"the journey sends {message!r} by itself, and there is no {locale} file for it",
            f"add {messages.path(locale, message)} (copy the shipped one and change its words)",
        )
        for message in JOURNEYS_OWN_EMAILS
        for locale in LOCALES
        if locale not in messages.locales(message)
    ]


def _steps(doc: Document) -> list[Finding]:
    """Names used twice or reserved, anchors on steps that do not exist or come later, and anchor cycles."""
    steps = doc.data.get("steps") if isinstance(doc.data.get("steps"), list) else []
    findings, positions, anchors = [], {}, {}
    for number, step in enumerate(steps):
        if not isinstance(step, dict):
            continue  # reported by the schema
        name = step.get("name")
        if name in positions:
            findings.append(
                Finding(
                    doc.file,
                    doc.line(("steps", number, "name")),
                    f"step {name!r} appears twice",
                    "give each step its own name",
                )
            )
        if reserved(name):
            findings.append(
                Finding(
                    doc.file,
                    doc.line(("steps", number, "name")),
                    f"step name {name!r} is reserved: the journey adds it itself",
                    "choose another name",
                )
            )
        positions.setdefault(name, number)
        at = step.get("at")
        if isinstance(at, dict) and at.get("anchor") == "step" and at.get("step") is not None:
            anchors[name] = (number, at["step"])
    for name, (number, target) in anchors.items():
        line = doc.line(("steps", number, "at", "step"))
        if target not in positions:
            findings.append(
                Finding(
                    doc.file,
                    line,
                    f"step {name!r} is anchored to step {target!r}, which does not exist",
                    f"anchor it to one of: {', '.join(map(str, positions))}",
                )
            )
        elif _cycle(name, anchors):
            cycle = " -> ".join(_cycle(name, anchors))
            findings.append(
                Finding(
                    doc.file,
                    line,
                    f"steps anchored in a circle: {cycle}",
                    "anchor one of them to start or effective_at",
                )
            )
        elif positions[target] > number:
            findings.append(
                Finding(
                    doc.file,
                    line,
                    f"step {name!r} is anchored to step {target!r}, which comes after it",
                    f"move {name!r} below {target!r}",
                )
            )
    return findings


def _experiment(doc: Document) -> list[Finding]:
    """What the template's own validation says of its experiment's variants (steps that do not exist, anchors
    left without their step), at the experiment's line. Field errors of the experiment come with the schema."""
    if not isinstance(doc.data.get("experiment"), dict):
        return []
    try:
        Template.model_validate(doc.data)
    except ValidationError as exc:
        return [
            Finding(
                doc.file, doc.line(("experiment",)), error["msg"].removeprefix("Value error, "), "correct the variant"
            )
            for error in exc.errors()
            if not error["loc"] and "variant" in error["msg"]
        ]
    return []


def _cycle(start: str, anchors: dict[str, tuple[int, str]]) -> list[str]:
    """The circle of anchors through `start` (start, ..., start), or [] when following them ends elsewhere."""
    path, current = [start], anchors[start][1]
    while current in anchors and current not in path:
        path.append(current)
        current = anchors[current][1]
    return [*path, start] if current == start else []


def _messages(doc: Document, messages: MessageInventory | None) -> list[Finding]:
    """Every email message a step sends exists in every locale, and a marketing one needs consent."""
    findings = []
    steps = doc.data.get("steps") if isinstance(doc.data.get("steps"), list) else []
    for number, step in enumerate(steps):
        if not isinstance(step, dict) or step.get("kind") != "notify" or not isinstance(step.get("message"), str):
            continue
        name, message, line = step.get("name"), step["message"], doc.line(("steps", number, "message"))
        if messages is not None and step.get("channel", "email") == "email":
            present = messages.locales(message)
            if not present:
                findings.append(
                    Finding(
                        doc.file,
                        line,
                        f"step {name!r}: there is no message {message!r}",
                        f"add {messages.path(LOCALES[0], message)} (and one per locale) or name an existing message: {', '.join(messages.names())}",
                    )
                )
                continue
            for locale in LOCALES:
                if locale not in present:
                    findings.append(
                        Finding(
                            doc.file,
                            line,
                            f"step {name!r}: message {message!r} has no {locale} file (customers with locale {locale} would get English)",
                            f"add {messages.path(locale, message)}",
                        )
                    )
        tagged = messages.category(message) if messages is not None else None
        category = step.get("category", "transactional")
        if tagged == "marketing" and category != "marketing":
            findings.append(
                Finding(
                    doc.file,
                    doc.line(("steps", number)),
                    f"step {name!r}: message {message!r} is tagged marketing but the step is {category}",
                    "add `category: marketing` to the step",
                )
            )
        if "marketing" in (category, tagged) and not _needs_consent(step.get("when")):
            findings.append(
                Finding(
                    doc.file,
                    doc.line(("steps", number, "when")),
                    f"step {name!r} sends marketing without the consent condition",
                    "add `when: {fact: marketing_consent, equals: true}` (inside `all:` with any other test)",
                )
            )
    return findings


def _needs_consent(when: Any) -> bool:
    """The condition is surely false for a customer without marketing consent, whatever else is known."""
    try:
        condition = Condition.model_validate(when) if when is not None else None
    except ValidationError:
        return True  # reported as a schema finding already
    return condition is not None and condition.evaluate({"marketing_consent": False}, {"marketing_consent"}) is False


def _versions(templates: dict[str, Document]) -> list[Finding]:
    findings, seen = [], {}
    for name, doc in templates.items():
        key = (doc.data.get("name"), doc.data.get("version"))
        if key in seen:
            findings.append(
                Finding(
                    name,
                    doc.line(("version",)),
                    f"{key[0]} version {key[1]} is also in {seen[key]}",
                    "give the new file the next version number",
                )
            )
        seen.setdefault(key, name)
    return findings


def _selection(doc: Document, templates: set[Any]) -> list[Finding]:
    findings = schema_findings(doc, Selection)
    rules = doc.data.get("rules") if isinstance(doc.data.get("rules"), list) else []
    conditions: list[Condition | None] = []
    for number, rule in enumerate(rules):
        if not isinstance(rule, dict):
            continue
        if rule.get("template") not in templates:
            findings.append(
                Finding(
                    doc.file,
                    doc.line(("rules", number, "template")),
                    f"rule {number + 1} names template {rule.get('template')!r}, which does not exist",
                    f"use one of: {', '.join(sorted(map(str, templates)))}",
                )
            )
        try:
            conditions.append(Condition.model_validate(rule["when"]) if rule.get("when") is not None else None)
        except ValidationError:
            conditions.append(Condition.model_validate({"fact": "segment", "in": []}))  # reported by _schema
    if rules and isinstance(rules[-1], dict) and rules[-1].get("when") is not None:
        findings.append(
            Finding(
                doc.file,
                doc.line(("rules", len(rules) - 1)),
                "the last rule has a `when`: start-up needs a default",
                "end with a rule that has only `template`",
            )
        )
    for segment in get_args(Segment):
        for initiated_by in get_args(InitiatedBy):
            facts = {"segment": segment, "initiated_by": initiated_by}
            if not any(c is None or c.evaluate(facts, set(facts)) is True for c in conditions):
                findings.append(
                    Finding(
                        doc.file,
                        doc.line(("rules",)),
                        f"no rule surely chooses a template for segment {segment}, initiated_by {initiated_by}",
                        "add a last rule without `when` (the default template)",
                    )
                )
    return findings
