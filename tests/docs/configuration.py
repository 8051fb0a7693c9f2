"""The configuration reference, made from the settings classes themselves: docs/configuration.md (every variable,
its type, default, the services that read it, whether it is a secret) and an .env.example per service.
`tests/docs/test_configuration.py` fails when either is older than the classes.

    python tests/docs/configuration.py          # rewrite them (make docs-config)

A setting's description is its Field's `description`, else the comment on its line, else the comment block just
above it (the settings classes are written that way)."""

import ast
import functools
import importlib
import inspect
import io
import sys
import tokenize
import types
import typing
from dataclasses import dataclass
from datetime import time, timedelta
from pathlib import Path

import annotated_types
from pydantic import SecretStr, TypeAdapter
from pydantic.fields import FieldInfo

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "configuration.md"
SERVICES = {"orchestrator": "ORCHESTRATOR_", "notifier": "NOTIFIER_", "survey": "SURVEY_", "billing_bridge": "BILLING_"}


@dataclass(frozen=True)
class Setting:
    field: str
    variable: str  # with the prefix, or the alias
    type: str
    default: str
    secret: bool
    what: str


def settings_class(service: str) -> type:
    return importlib.import_module(f"{service}.config").Settings


def _declarers(cls: type, field: str) -> list[type]:
    """The classes whose bodies declare the field, the service's own first (it may override a shared default)."""
    return [klass for klass in cls.__mro__ if field in inspect.get_annotations(klass)]


@functools.cache
def _comments(klass: type) -> dict[str, str]:
    """field -> the comment on its line, else the comment block right above it."""
    source = inspect.getsource(klass)
    lines = source.splitlines()
    trailing: dict[int, str] = {}
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT and lines[token.start[0] - 1].strip() != token.string.strip():
            trailing[token.start[0]] = token.string.lstrip("#").strip()
    found: dict[str, str] = {}
    for node in ast.parse(source).body[0].body:
        if not (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)):
            continue
        own = [trailing[n] for n in range(node.lineno, node.end_lineno + 1) if n in trailing]
        above, n = [], node.lineno - 2
        while n >= 0 and lines[n].strip().startswith("#"):
            above.insert(0, lines[n].strip().lstrip("#").strip())
            n -= 1
        found[node.target.id] = " ".join(own or above)
    return found


def _bounds(info: FieldInfo) -> str:
    signs = {
        annotated_types.Ge: ("≥", "ge"),
        annotated_types.Gt: (">", "gt"),
        annotated_types.Le: ("≤", "le"),
        annotated_types.Lt: ("<", "lt"),
    }
    parts = []
    for item in info.metadata:
        if type(item) in signs:
            sign, attribute = signs[type(item)]
            parts.append(f"{sign} {_plain(getattr(item, attribute))}")
    return f" ({', '.join(parts)})" if parts else ""


def _plain(value: object) -> object:
    return TypeAdapter(timedelta).dump_python(value, mode="json") if isinstance(value, timedelta) else value


def _type(annotation: object, info: FieldInfo) -> tuple[str, bool]:
    """A reader's name for the type, and whether it is a secret."""
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType) and len(args) == 1:
        annotation = args[0]
    if typing.get_origin(annotation) is typing.Literal:
        return "one of " + ", ".join(f"`{v}`" for v in typing.get_args(annotation)), False
    if annotation is SecretStr:
        return "text", True
    names = {
        bool: "`true` / `false`",
        int: "integer",
        float: "number",
        timedelta: "ISO 8601 duration",
        time: "time of day `HH:MM`",
        Path: "path",
        str: "text",
    }
    name = names.get(annotation, getattr(annotation, "__name__", str(annotation)))
    return name + (_bounds(info) if annotation in (int, float, timedelta) else ""), False


def _default(info: FieldInfo) -> str:
    value = info.default
    if value is None:
        return "unset"
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    if isinstance(value, Path):
        value = value.relative_to(ROOT) if value.is_relative_to(ROOT) else value
    if isinstance(value, timedelta | time):
        value = TypeAdapter(type(value)).dump_python(value, mode="json")
        value = value[:5] if isinstance(info.default, time) else value
    if isinstance(value, bool):
        value = str(value).lower()
    return f"`{value}`" if value != "" else "empty"


@functools.cache
def settings(service: str) -> list[Setting]:
    cls, prefix = settings_class(service), SERVICES[service]
    found = []
    for name, info in cls.model_fields.items():
        if name in getattr(cls, "NOT_READ", ()):
            continue
        what = info.description or ""
        for klass in _declarers(cls, name):  # a service's override without a comment: the shared declaration's
            what = what or _comments(klass).get(name, "")
        aliases = getattr(info.validation_alias, "choices", None)
        variable = aliases[0] if aliases else f"{prefix}{name.upper()}"
        kind, secret = _type(info.annotation, info)
        secret = secret or bool((info.json_schema_extra or {}).get("secret"))
        found.append(Setting(name, variable, kind, _default(info), secret, what[:1].upper() + what[1:]))
    return found


def _row(*cells: str) -> str:
    return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"


def _shared_fields() -> set[str]:
    from shared.settings import ServiceSettings

    return set(ServiceSettings.model_fields)


def _brand_fields() -> set[str]:
    from shared.brand import BrandSettings

    return set(BrandSettings.model_fields)


def document() -> str:
    everyone = {service: {s.field: s for s in settings(service)} for service in SERVICES}
    shared, brand = _shared_fields(), _brand_fields()
    out = [
        "# Configuration reference",
        "",
        "<!-- Generated from the settings classes by `make docs-config` (tests/docs/configuration.py): do not edit;",
        "     tests/docs/test_configuration.py fails when it is stale. -->",
        "",
        "Every service reads environment variables, validated at start-up: a bad value stops the service with a",
        "message naming the variable. The shared ones have no prefix; each service's own carry its prefix",
        "(`ORCHESTRATOR_`, `NOTIFIER_`, `SURVEY_`, `BILLING_`). With `OFFBOARDING_ENV=production` a service refuses",
        "development tokens and secrets (`dev-…`, shorter than 24 characters) and the example brand and sender.",
        "**Secret** marks what belongs in a secret store (in Kubernetes: the service's own Secret,",
        "[docs/kubernetes.md](kubernetes.md#4-secrets-each-service-its-own)), never in a values file or a compose file.",
        "",
        "Durations are ISO 8601 (`PT30S`, `PT15M`, `P7D`). OpenTelemetry reads the standard `OTEL_*` variables",
        "(`OTEL_EXPORTER_OTLP_ENDPOINT` turns traces on; [docs/tracing.md](tracing.md)). Each service also has an",
        "`.env.example` (`services/<service>/.env.example`) listing its variables with their defaults.",
        "",
        "## Shared by every service",
        "",
        "Without a prefix, the same for all (a service that does not read one says so below).",
        "",
        _row("variable", "type", "default", "secret", "what"),
        _row("---", "---", "---", "---", "---"),
    ]
    readers = {
        field: [svc for svc in SERVICES if field in everyone[svc]] for field in sorted(shared, key=_declaration_order)
    }
    prefixed = []
    for field, services in readers.items():
        first = everyone[services[0]][field]
        if not first.variable.startswith(SERVICES[services[0]]):
            note = "" if len(services) == len(SERVICES) else f" Read by: {', '.join(services)}."
            out.append(_row(f"`{first.variable}`", first.type, first.default, _yes(first.secret), first.what + note))
        else:
            prefixed.append((field, services))
    out += _heading(
        "Every service, with its prefix",
        "`<PREFIX>` is the service's: `ORCHESTRATOR_HTTP_PORT`, `NOTIFIER_HTTP_PORT`, … Where the default differs",
        "per service, each is named.",
    )
    for field, services in prefixed:
        first = everyone[services[0]][field]
        defaults = {svc: everyone[svc][field].default for svc in services}
        if len(set(defaults.values())) == 1:
            default = first.default
        else:
            default = ", ".join(f"{svc.replace('_', ' ')} {value}" for svc, value in defaults.items())
        note = "" if len(services) == len(SERVICES) else f" Read by: {', '.join(services)}."
        out.append(_row(f"`<PREFIX>{field.upper()}`", first.type, default, first.what + note))
    brand_readers = [svc for svc in SERVICES if brand & set(everyone[svc])]
    out += _heading(
        "The brand and the company's links",
        f"One configuration for the emails and the customer's pages: read by {' and '.join(brand_readers)} as",
        "`OFFBOARDING_<NAME>`; `<PREFIX><NAME>` (`NOTIFIER_BRAND_NAME`, …) overrides it for one service.",
        "`{subscription_id}` in a link is filled in per customer, percent-encoded. In production the example",
        "values are refused: set your own.",
    )
    for field in sorted(brand, key=_declaration_order):
        s = everyone[brand_readers[0]][field]
        out.append(_row(f"`OFFBOARDING_{field.upper()}`", s.type, s.default, s.what))
    for service, prefix in SERVICES.items():
        own = [s for s in everyone[service].values() if s.field not in shared | brand]
        out += ["", f"## {service.replace('_', ' ').capitalize()} (`{prefix}`)", ""]
        out += [_row("variable", "type", "default", "secret", "what"), _row("---", "---", "---", "---", "---")]
        out += [_row(f"`{s.variable}`", s.type, s.default, _yes(s.secret), s.what) for s in own]
    return "\n".join(out) + "\n"


def _heading(title: str, *intro: str) -> list[str]:
    """A section's title, its words, and the head of its table (variable, type, default, what)."""
    return ["", f"## {title}", "", *intro, "", _row("variable", "type", "default", "what"), _row(*["---"] * 4)]


def _declaration_order(name: str) -> int:
    """Declaration order of the shared classes (not alphabetical: related settings stay together)."""
    from shared.brand import BrandSettings
    from shared.settings import ServiceSettings

    return [*ServiceSettings.model_fields, *BrandSettings.model_fields].index(name)


def _yes(secret: bool) -> str:
    return "**secret**" if secret else ""


def env_example(service: str) -> str:
    prefix = SERVICES[service]
    out = [
        f"# The {service.replace('_', ' ')}'s settings with their defaults (docs/configuration.md). Generated by",
        "# `make docs-config`: do not edit. Uncomment what you change; secrets belong in a secret store.",
    ]
    shared, brand = _shared_fields(), _brand_fields()
    ordered = sorted(settings(service), key=lambda s: 0 if s.field in shared else 2 if s.field in brand else 1)
    for s in ordered:
        variable = s.variable
        if s.field in _brand_fields():
            variable = f"OFFBOARDING_{s.field.upper()}"
        value = s.default.strip("`") if s.default not in ("unset", "empty") else ""
        out += ["", f"# {s.what}" if s.what else f"# ({prefix}…)", f"# {s.type}{'; secret' if s.secret else ''}"]
        out.append(f"# {variable}={value}")
    return "\n".join(out) + "\n"


def outputs() -> dict[Path, str]:
    found = {DOC: document()}
    for service in SERVICES:
        found[ROOT / "services" / service / ".env.example"] = env_example(service)
    return found


def variables() -> set[str]:
    """Every variable name some service reads (a brand setting both shared and with a service's prefix)."""
    names = set()
    for service in SERVICES:
        for s in settings(service):
            names.add(s.variable)
            if s.field in _brand_fields():
                names.add(f"OFFBOARDING_{s.field.upper()}")
    return names


def missing_descriptions() -> list[str]:
    return sorted({s.variable for service in SERVICES for s in settings(service) if not s.what})


if __name__ == "__main__":
    for path, text in outputs().items():
        path.write_text(text)
        print(f"wrote {path.relative_to(ROOT)}")
    if missing := missing_descriptions():
        print("without a description:", ", ".join(missing), file=sys.stderr)
