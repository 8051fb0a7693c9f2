"""Journey templates: YAML files describing the steps of a journey, validated when loaded.

A template file holds one version of one template (`name`, `version`, `steps`). All versions are loaded;
new journeys take the newest, and every journey keeps a copy of the steps it started with, so a running
journey is never changed by a new version. Which template a cancellation gets is decided by the rules in
`selection.yaml`, also data.
"""

import re
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator, model_validator

from orchestrator.domain.conditions import Condition
from orchestrator.domain.experiments import Experiment, Variant
from shared.events.envelope import describe_validation_error
from shared.settings import ConfigurationError

StepKind = Literal["notify", "survey", "wait", "erase"]
Anchor = Literal["start", "effective_at", "survey_answered", "step"]
# Weeks, days, hours, minutes, seconds: years and months have no fixed length, so they are refused.
DURATION = re.compile(r"^-?P(?!$)(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?$")
_timedelta = TypeAdapter(timedelta)
# Steps the journey adds on its own (the welcome-back message after a reactivation, the account manager's
# hand-over when a b2b customer's email cannot reach them).
RESERVED_STEPS = frozenset({"welcome_back", "unreachable_hand_over"})
HELP_RECEIVED, HELP_HAND_OVER = "help_received_", "help_hand_over_"  # numbered: one per help request from the page
RESERVED_PREFIXES = (HELP_RECEIVED, HELP_HAND_OVER)


def reserved(step_name: str) -> bool:
    """A name the journey gives its own steps (docs/journeys.md): a template may not use it."""
    return step_name in RESERVED_STEPS or step_name.startswith(RESERVED_PREFIXES)


def parse_duration(text: str) -> timedelta:
    if not isinstance(text, str) or not DURATION.match(text):
        raise ValueError(
            f"{text!r} is not an ISO-8601 duration of weeks, days, hours, minutes, seconds (e.g. P3D, PT2H)"
        )
    return _timedelta.validate_python(text)


class Timing(BaseModel):
    """When a step is due: `offset` after its anchor (negative: before). `step` names the anchor step."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    anchor: Anchor = "start"
    offset: timedelta = timedelta(0)
    step: str | None = None
    # What to do when the moment has already passed at journey start: run at once, or skip.
    if_past: Literal["run", "skip"] = "run"

    @field_validator("offset", mode="before")
    @classmethod
    def _iso_duration(cls, value: Any) -> Any:
        return parse_duration(value) if isinstance(value, str) else value

    @model_validator(mode="after")
    def _step_anchor_names_a_step(self) -> "Timing":
        if (self.anchor == "step") != (self.step is not None):
            raise ValueError("`step` is required with anchor: step, and only there")
        if self.offset < timedelta(0) and self.anchor != "effective_at":
            raise ValueError("only steps anchored to effective_at can be due before their anchor (negative offset)")
        return self


class StepSpec(BaseModel):
    """One step of a template. `notify` steps carry the message; the notifier renders it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=r"^[a-z][a-z0-9_]{1,62}$")
    kind: StepKind
    at: Timing = Timing()
    when: Condition | None = None
    message: str | None = Field(None, pattern=r"^[a-z][a-z0-9_]{1,62}$")
    channel: Literal["email", "webhook"] = "email"
    category: Literal["transactional", "marketing"] = "transactional"

    @model_validator(mode="after")
    def _message_for_notify(self) -> "StepSpec":
        if self.kind == "notify" and self.message is None:
            raise ValueError("a notify step needs `message` (the notifier's template name)")
        if self.kind != "notify" and self.message is not None:
            raise ValueError(f"a {self.kind} step takes no `message`")
        return self


class Template(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=r"^[a-z][a-z0-9-]{1,62}$")
    version: int = Field(ge=1)
    description: str = ""
    steps: list[StepSpec] = Field(min_length=1)
    experiment: Experiment | None = None

    def variant_for(self, subscription_id: str) -> Variant | None:
        return self.experiment.assign(subscription_id) if self.experiment else None

    def steps_for(self, variant: Variant | None) -> list[StepSpec]:
        """The steps as `variant` changes them (left out, or with another message, moment or condition)."""
        if variant is None:
            return list(self.steps)
        steps = []
        for step in self.steps:
            change = variant.steps.get(step.name)
            if change is None:
                steps.append(step)
            elif not change.skip:
                update = change.model_dump(exclude={"skip"}, exclude_none=True, by_alias=True)
                steps.append(StepSpec.model_validate(step.model_dump(by_alias=True, exclude_none=True) | update))
        return steps

    @model_validator(mode="after")
    def _steps_are_consistent(self) -> "Template":
        seen: set[str] = set()
        for step in self.steps:
            if step.name in seen:
                raise ValueError(f"step {step.name!r} appears twice")
            if reserved(step.name):
                raise ValueError(f"step name {step.name!r} is reserved (the journey adds it itself)")
            if step.at.anchor == "step" and step.at.step not in seen:
                raise ValueError(f"step {step.name!r} is anchored to {step.at.step!r}, which is not an earlier step")
            seen.add(step.name)
        for variant in self.experiment.variants if self.experiment else []:
            unknown = sorted(set(variant.steps) - seen)
            if unknown:
                raise ValueError(
                    f"variant {variant.name!r} changes steps the template does not have: {', '.join(unknown)}"
                )
            try:
                steps = self.steps_for(variant)
            except ValidationError as exc:
                raise ValueError(f"variant {variant.name!r}: {describe_validation_error(exc)}") from None
            kept = {step.name for step in steps}
            for step in steps:
                if step.at.anchor == "step" and step.at.step not in kept:
                    raise ValueError(
                        f"variant {variant.name!r} leaves out step {step.at.step!r}, which step {step.name!r} is "
                        "anchored to: leave out both"
                    )
        return self


class SelectionRule(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    when: Condition | None = None
    template: str


class Selection(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    rules: list[SelectionRule] = Field(min_length=1)


class TemplateError(ConfigurationError):
    """A template or selection file is wrong: the message names the file, the step and the problem."""


class Catalogue:
    """Every loaded template version, and the rules choosing one for a cancellation."""

    def __init__(self, templates: list[Template], selection: Selection) -> None:
        self._versions: dict[str, dict[int, Template]] = {}
        for template in templates:
            self._versions.setdefault(template.name, {})[template.version] = template
        self.selection = selection
        for rule in selection.rules:
            if rule.template not in self._versions:
                raise TemplateError(f"selection.yaml: rule names template {rule.template!r}, which does not exist")
        if selection.rules[-1].when is not None:
            raise TemplateError("selection.yaml: the last rule must have no `when` (the default template)")

    def latest(self, name: str) -> Template:
        versions = self._versions[name]
        return versions[max(versions)]

    def names(self) -> list[str]:
        return sorted(self._versions)

    def versions(self, name: str) -> list[int]:
        return sorted(self._versions.get(name, {}))

    def templates(self) -> list[Template]:
        """Every loaded version of every template, by name and version."""
        return [self._versions[name][v] for name in self.names() for v in self.versions(name)]

    def version(self, name: str, version: int) -> Template:
        return self._versions[name][version]

    def choose(self, facts: dict[str, Any]) -> Template:
        """The newest version of the first template whose rule holds for these facts."""
        return self.choose_by_rule(facts)[0]

    def choose_by_rule(self, facts: dict[str, Any]) -> tuple[Template, int]:
        """The template chosen and the number (1-based) of the rule that chose it."""
        facts = selection_facts(facts)
        for number, rule in enumerate(self.selection.rules, 1):
            if rule.when is None or rule.when.evaluate(facts, set(facts)) is True:
                return self.latest(rule.template), number
        raise AssertionError("unreachable: the last rule has no condition")


def selection_facts(facts: dict[str, Any]) -> dict[str, Any]:
    """A cancellation's facts as rules read them: the customer's locale and time zone beside the rest."""
    customer = facts.get("customer") or {}
    return facts | {
        "locale": facts.get("locale", customer.get("locale")),
        "timezone": facts.get("timezone", customer.get("timezone")),
    }


def load_catalogue(folder: Path) -> Catalogue:
    """Load and validate `folder`/*.yaml (templates) and `folder`/selection.yaml; raise TemplateError."""
    files = {path.name: path.read_text(encoding="utf-8") for path in sorted(folder.glob("*.yaml"))}
    if not files:
        raise TemplateError(f"no journey templates in {folder}")
    if "selection.yaml" not in files:
        raise TemplateError(f"{folder / 'selection.yaml'}: file not found")
    return catalogue_from_texts(files)


def catalogue_from_texts(files: dict[str, str]) -> Catalogue:
    """The catalogue of template files given as name -> YAML text (`selection.yaml` among them)."""
    templates = []
    seen: dict[tuple[str, int], str] = {}
    for name, text in sorted(files.items()):
        if name == "selection.yaml":
            continue
        template = _parse(name, text, Template)
        if (template.name, template.version) in seen:
            raise TemplateError(
                f"{name}: {template.name} version {template.version} is also in {seen[(template.name, template.version)]}"
            )
        seen[(template.name, template.version)] = name
        templates.append(template)
    if not templates:
        raise TemplateError("no journey templates")
    if "selection.yaml" not in files:
        raise TemplateError("selection.yaml: file not found")
    return Catalogue(templates, _parse("selection.yaml", files["selection.yaml"], Selection))


def _parse(name: str, text: str, model: type[BaseModel]) -> Any:
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise TemplateError(f"{name}: not valid YAML: {exc}") from None
    try:
        return model.model_validate(document)
    except ValidationError as exc:
        raise TemplateError(f"{name}: {_name_steps(document, describe_validation_error(exc))}") from None


def _name_steps(document: Any, detail: str) -> str:
    """Turn `steps.3.at.offset` into `step 'reminder' (steps.3).at.offset` so the step is named."""

    def name(match: re.Match) -> str:
        index = int(match.group(1))
        try:
            return f"step {document['steps'][index]['name']!r} (steps.{index})"
        except (KeyError, IndexError, TypeError):
            return f"steps.{index}"

    return re.sub(r"\bsteps\.(\d+)", name, detail)
