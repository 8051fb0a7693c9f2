"""Tools for the people who author journeys.

    python -m orchestrator templates check [DIR] [--messages DIR]

    python -m orchestrator templates preview EVENT.json [--templates DIR] [--template NAME [--version N]]
                                             [--score N [--reason R]] [--html FOLDER]

`check` reads the journey templates in DIR (default: the shipped ones) and the notifier's message files, and
prints every finding as `file:line: problem. Fix: what to do.`; it exits 1 when there is any, 0 when none.

`preview` prints the journey a cancellation would get (EVENT.json: a subscription.cancelled event, or just its
`data`), every step with its due time, run or skip and why, and each email's subject and text, rendered by the
notifier at ORCHESTRATOR_NOTIFIER_URL (without it, the plan alone); `--html` also writes each email's HTML
part there. The service's settings (environment) apply; nothing is stored or sent.

    python -m orchestrator templates dry-run --from 2026-10-01T00:00:00Z --to 2026-11-01T00:00:00Z [--templates DIR]

    python -m orchestrator templates values [DIR] [--messages DIR] > wording.yaml

`values` prints the journey templates in DIR and the message files as a Helm values file (`wording:`), for
`helm upgrade -f wording.yaml`: the chart mounts them for the orchestrator and the notifier and checks them in a
hook before anything rolls out (docs/customer-experience.md).

`dry-run` replays the cancellations recorded in the window (the service's database, DATABASE_URL) through the
templates in DIR (default: the service's), as POST /v1/dry-runs does, and prints its answer as JSON.
"""

import argparse
import asyncio
import json
import sys
from pathlib import Path

import structlog
from pydantic import ValidationError

from orchestrator.config import SHIPPED_TEMPLATES
from orchestrator.domain.findings import Finding
from orchestrator.domain.message_files import LAYOUT, MessageInventory
from orchestrator.domain.template_check import check

# In the repository the notifier's messages sit beside the orchestrator; a deployment passes --messages.
SHIPPED_MESSAGES = SHIPPED_TEMPLATES.parents[1] / "notifier" / "templates" / "email"


def read_templates(folder: Path) -> dict[str, str]:
    return {path.name: path.read_text(encoding="utf-8") for path in sorted(folder.glob("*.yaml"))}


def message_files(folder: Path) -> dict[str, str]:
    paths = sorted([*folder.rglob("*.j2"), *folder.glob(LAYOUT)])
    return {str(p.relative_to(folder)): p.read_text(encoding="utf-8") for p in paths}


def read_messages(folder: Path) -> MessageInventory:
    return MessageInventory(message_files(folder), root=_shown(folder))


def check_folder(templates: Path, messages: Path) -> list[Finding]:
    if not templates.is_dir():
        return [Finding(str(templates), None, "no such folder", "give the folder of the journey templates")]
    if not messages.is_dir():
        return [
            Finding(str(messages), None, "the message files are not here", "pass --messages <notifier>/templates/email")
        ]
    return check(read_templates(templates), read_messages(messages))


def _shown(folder: Path) -> str:
    """A path as the author knows it: relative to the working directory when inside it."""
    try:
        return str(folder.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(folder)


class _Stderr:
    """Whatever sys.stderr is when a line is written (not when logging was configured)."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def _logs_to_stderr() -> None:
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(_Stderr()))


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m orchestrator templates")
    commands = parser.add_subparsers(dest="command", required=True)
    checking = commands.add_parser("check", help="find every problem in the journey templates and their messages")
    checking.add_argument("folder", nargs="?", type=Path, default=SHIPPED_TEMPLATES)
    checking.add_argument("--messages", type=Path, default=SHIPPED_MESSAGES, help="the notifier's templates/email")
    previewing = commands.add_parser("preview", help="the journey and emails a cancellation would get")
    previewing.add_argument("event", type=Path, help="a subscription.cancelled event (JSON), or its data")
    previewing.add_argument("--templates", type=Path, help="the journey templates (default: the service's)")
    previewing.add_argument("--template", help="this template instead of the selection rules")
    previewing.add_argument("--version", type=int, help="with --template: this version")
    previewing.add_argument("--score", type=int, help="assume this exit-survey score (default: never answered)")
    previewing.add_argument("--reason", help="with --score: the answer's reason")
    previewing.add_argument("--html", type=Path, help="write each email's HTML part into this folder")
    valuing = commands.add_parser("values", help="the templates and messages as a Helm values file (wording:)")
    valuing.add_argument("folder", nargs="?", type=Path, default=SHIPPED_TEMPLATES)
    valuing.add_argument("--messages", type=Path, default=SHIPPED_MESSAGES, help="the notifier's templates/email")
    dry = commands.add_parser("dry-run", help="replay past cancellations through the templates in a folder")
    dry.add_argument("--templates", type=Path, help="the candidate templates (default: the service's)")
    dry.add_argument("--from", dest="start", required=True, help="cancellations from (ISO 8601 with a zone)")
    dry.add_argument("--to", dest="end", required=True, help="up to (excluded)")
    args = parser.parse_args(argv)
    if args.command == "preview":
        sys.exit(asyncio.run(preview(args)))
    if args.command == "dry-run":
        sys.exit(asyncio.run(dry_run(args)))
    if args.command == "values":
        sys.exit(print_values(args.folder, args.messages))
    findings = check_folder(args.folder, args.messages)
    for finding in findings:
        print(finding)
    count = len(read_templates(args.folder)) if args.folder.is_dir() else 0
    print(f"{len(findings)} problem(s) in {count} template file(s) of {_shown(args.folder)}")
    sys.exit(1 if findings else 0)


def wording_values(templates: Path, messages: Path) -> dict:
    """The Helm chart's `wording:` for these folders: journey files by name, message files by their path under the
    notifier's templates folder (`email/<lang>/<message>.j2`, `email/_layout.mjml`)."""
    return {
        "wording": {
            "journeys": read_templates(templates),  # selection.yaml included
            "messages": {f"email/{path}": text for path, text in message_files(messages).items()},
        }
    }


def print_values(templates: Path, messages: Path) -> int:
    import yaml

    findings = check_folder(templates, messages)
    for finding in findings:
        print(finding, file=sys.stderr)
    if findings:
        print("not written: fix these first (the chart's check would refuse them)", file=sys.stderr)
        return 1

    class Literal(yaml.SafeDumper):
        """Files as `|` blocks: the values file reads like the files themselves."""

    def block(dumper: yaml.SafeDumper, text: str) -> yaml.Node:
        return dumper.represent_scalar("tag:yaml.org,2002:str", text, style="|" if "\n" in text else None)

    Literal.add_representer(str, block)
    print("# Made by `python -m orchestrator templates values`: helm upgrade ... -f this-file")
    print(
        yaml.dump(wording_values(templates, messages), Dumper=Literal, allow_unicode=True, sort_keys=False, width=1000)
    )
    return 0


async def preview(args: argparse.Namespace) -> int:
    from orchestrator.bootstrap import build_previews, peers_for
    from orchestrator.config import Settings
    from orchestrator.domain.templates import TemplateError, load_catalogue
    from orchestrator.service_layer.previews import UnknownTemplate
    from shared.events.subscription import SubscriptionCancelled

    _logs_to_stderr()  # stdout is the plan
    settings = Settings()
    try:
        document = json.loads(args.event.read_text(encoding="utf-8"))
        data = document.get("data", document) if isinstance(document, dict) else document
        cancelled = SubscriptionCancelled.model_validate(data)
        catalogue = load_catalogue(args.templates or settings.templates_dir)
    except (OSError, ValueError, ValidationError, TemplateError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    peers = peers_for(settings)
    survey = {"score": args.score, "reason": args.reason, "may_contact": False} if args.score is not None else None
    try:
        plan = await build_previews(settings, catalogue, peers).preview(
            cancelled, template=args.template, version=args.version, survey=survey
        )
    except UnknownTemplate as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        await peers.close()
    print(f"{plan['template']} version {plan['template_version']} ({plan['selection']})")
    for step in plan["steps"]:
        due = step["due_at"].strftime("%Y-%m-%d %H:%M UTC") if step["due_at"] else "-"
        print(f"\n{step['would']:4}  {due:20}  {step['name']} ({step['kind']}): {step['why']}")
        message = step["message"]
        if message:
            print(f"      Subject: {message['subject']}")
            print("      " + message["text"].strip().replace("\n", "\n      "))
            if args.html:
                args.html.mkdir(parents=True, exist_ok=True)
                (args.html / f"{step['name']}.html").write_text(message["html"], encoding="utf-8")
    for problem in plan["problems"]:
        print(f"\nproblem: {problem}")
    return 0


async def dry_run(args: argparse.Namespace) -> int:
    from datetime import datetime

    from orchestrator.bootstrap import peers_for, retry_policy
    from orchestrator.config import Settings
    from orchestrator.service_layer.dry_runs import CandidateInvalid, DryRuns
    from shared.db.engine import create_engine, create_session_factory

    _logs_to_stderr()  # stdout is the answer
    settings = Settings()
    try:
        start, end = datetime.fromisoformat(args.start), datetime.fromisoformat(args.end)
        if start.tzinfo is None or end.tzinfo is None or not start < end:
            raise ValueError("--from and --to need a time zone, and --from must come first")
        files = read_templates(args.templates or settings.templates_dir)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    engine = create_engine(settings.database_url, schema=settings.database_schema, pool_size=1)
    peers = peers_for(settings)
    runs = DryRuns({}, retry_policy(settings), peers, create_session_factory(engine))
    try:
        answer = await runs.run(dict(files), start=start, end=end)
    except CandidateInvalid as exc:
        print("\n".join(exc.problems), file=sys.stderr)
        return 1
    finally:
        await peers.close()
        await engine.dispose()
    print(json.dumps(answer, indent=2, default=str, ensure_ascii=False))
    return 0
