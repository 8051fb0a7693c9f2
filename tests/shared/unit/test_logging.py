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
