"""A YAML file read for the template check: its data and the line of every key and list item, and the
findings of validating it against a model, each at its line and naming the step it concerns."""

from dataclasses import dataclass
from typing import Any, get_args

import yaml
from pydantic import BaseModel, ValidationError

from orchestrator.domain.findings import Finding
from orchestrator.domain.templates import StepKind

Path_ = tuple[str | int, ...]


@dataclass
class Document:
    """One YAML file: its data and the line of every key and list item (1-based)."""

    file: str
    data: Any
    lines: dict[Path_, int]

    def line(self, path: Path_) -> int | None:
        """The line of `path`, or of its nearest ancestor that has one."""
        for end in range(len(path), -1, -1):
            if path[:end] in self.lines:
                return self.lines[path[:end]]
        return None


def parse(name: str, text: str, findings: list[Finding]) -> Document | None:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        findings.append(
            Finding(name, mark.line + 1 if mark else None, f"not valid YAML: {problem}", "correct the YAML syntax")
        )
        return None
    if not isinstance(data, dict):
        findings.append(Finding(name, 1, "the file is not a mapping of keys", "start from a shipped template"))
        return None
    lines: dict[Path_, int] = {}
    _index(node, (), lines)
    return Document(name, data, lines)


def _index(node: yaml.Node, path: Path_, lines: dict[Path_, int]) -> None:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            lines[(*path, key.value)] = key.start_mark.line + 1
            _index(value, (*path, key.value), lines)
    elif isinstance(node, yaml.SequenceNode):
        for number, item in enumerate(node.value):
            _index(item, (*path, number), lines)


def schema_findings(doc: Document, model: type[BaseModel]) -> list[Finding]:
    try:
        model.model_validate(doc.data)
    except ValidationError as exc:
        return [
            Finding(doc.file, doc.line(error["loc"]), _where(doc, error["loc"], error["msg"]), _fix(error))
            for error in exc.errors()
            if error["loc"]  # errors of the whole template are the consistency checks, found by _steps below
        ]
    return []


def _where(doc: Document, loc: Path_, message: str) -> str:
    steps = doc.data.get("steps")
    if len(loc) >= 2 and loc[0] == "steps" and isinstance(loc[1], int) and isinstance(steps, list):
        step = steps[loc[1]] if loc[1] < len(steps) and isinstance(steps[loc[1]], dict) else {}
        rest = ".".join(str(part) for part in loc[2:] if not str(part).startswith("function-"))
        return f"step {step.get('name', loc[1])!r}{' ' + rest if rest else ''}: {message.removeprefix('Value error, ')}"
    return f"{'.'.join(str(part) for part in loc)}: {message.removeprefix('Value error, ')}"


def _fix(error: dict) -> str:
    loc, message = error["loc"], error["msg"]
    if loc and loc[-1] == "kind":
        return f"use one of: {', '.join(get_args(StepKind))}"
    if "unknown fact" in message:
        return "correct the fact's name (the problem lists the known facts)"
    if error["type"] == "extra_forbidden":
        return "remove the key or correct its spelling (see docs/journeys.md)"
    if error["type"] == "missing":
        return "add the key"
    return "correct the value as the problem says (docs/journeys.md lists every key)"
