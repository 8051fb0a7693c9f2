"""Tools for the people who author journeys.

    python -m orchestrator templates check [DIR] [--messages DIR]

`check` reads the journey templates in DIR (default: the shipped ones) and the notifier's message files, and
prints every finding as `file:line: problem. Fix: what to do.`; it exits 1 when there is any, 0 when none.
"""

import argparse
import sys
from pathlib import Path

from orchestrator.config import SHIPPED_TEMPLATES
from orchestrator.domain.findings import Finding
from orchestrator.domain.message_files import MessageInventory
from orchestrator.domain.template_check import check

# In the repository the notifier's messages sit beside the orchestrator; a deployment passes --messages.
SHIPPED_MESSAGES = SHIPPED_TEMPLATES.parents[1] / "notifier" / "templates" / "email"


def read_templates(folder: Path) -> dict[str, str]:
    return {path.name: path.read_text(encoding="utf-8") for path in sorted(folder.glob("*.yaml"))}


def read_messages(folder: Path) -> MessageInventory:
    files = {str(p.relative_to(folder)): p.read_text(encoding="utf-8") for p in sorted(folder.rglob("*.j2"))}
    return MessageInventory(files, root=_shown(folder))


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


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m orchestrator templates")
    commands = parser.add_subparsers(dest="command", required=True)
    checking = commands.add_parser("check", help="find every problem in the journey templates and their messages")
    checking.add_argument("folder", nargs="?", type=Path, default=SHIPPED_TEMPLATES)
    checking.add_argument("--messages", type=Path, default=SHIPPED_MESSAGES, help="the notifier's templates/email")
    args = parser.parse_args(argv)
    findings = check_folder(args.folder, args.messages)
    for finding in findings:
        print(finding)
    count = len(read_templates(args.folder)) if args.folder.is_dir() else 0
    print(f"{len(findings)} problem(s) in {count} template file(s) of {_shown(args.folder)}")
    sys.exit(1 if findings else 0)
