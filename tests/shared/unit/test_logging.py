"""Log lines are JSON and never carry an e-mail address or a name."""

import json
import logging

from shared.logging import bind_correlation, clear_correlation, configure_logging, get_logger, redact


def test_redaction_removes_an_email_address_from_a_log_line(capsys):
    configure_logging("test-service")
    bind_correlation(message_id="evt_1")
    get_logger("t").info(
        "mail sent to ada@example.com", customer={"email": "ada@example.com", "name": "Ada"}, journey_id="j1"
    )
    logging.getLogger("uvicorn").warning("request from bob.smith@example.org")
    clear_correlation()
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert "ada@example.com" not in json.dumps(lines) and "Ada" not in json.dumps(lines)
    assert "bob.smith@example.org" not in json.dumps(lines)
    first = lines[0]
    assert first["event"] == "mail sent to [email]"
    assert first["customer"] == {"email": "[redacted]", "name": "[redacted]"}
    assert first["journey_id"] == "j1" and first["message_id"] == "evt_1" and first["service"] == "test-service"
    assert lines[1]["event"] == "request from [email]"


def test_redact_walks_nested_values():
    assert redact({"a": ["x@y.io", {"Name": "N"}], "n": 3}) == {"a": ["[email]", {"Name": "[redacted]"}], "n": 3}


def test_a_person_at_a_terminal_reads_lines_not_json_and_they_are_redacted_too(capsys):
    configure_logging("test-service", log_format="console")
    get_logger("t").info("journey_started", journey_id="j1", customer={"email": "ada@example.com"})
    line = capsys.readouterr().out
    assert line.lstrip()[0] != "{" and "journey_started" in line and "journey_id=j1" in line
    assert "ada@example.com" not in line and "[redacted]" in line


def test_auto_writes_json_when_stdout_is_not_a_terminal(capsys):
    configure_logging("test-service", log_format="auto")  # pytest's captured stdout is no terminal
    get_logger("t").info("journey_started", journey_id="j1")
    assert json.loads(capsys.readouterr().out)["event"] == "journey_started"


def test_make_run_turns_the_json_lines_into_readable_ones():
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parents[3] / "deploy" / "pretty_logs.py"
    line = json.dumps({"service": "notifier", "event": "delivery_recorded", "level": "info", "step": "thanks"})
    shown = subprocess.run(
        [sys.executable, str(script), "notifier"], input=f"{line}\nplain text\n", capture_output=True, text=True
    ).stdout.splitlines()
    assert shown[0].startswith("[notifier] ") and "delivery_recorded" in shown[0] and "step=thanks" in shown[0]
    assert shown[1] == "[notifier] plain text"
