"""`templates preview` prints the plan of a cancellation from an event file; without the notifier, the plan
alone and a note saying why the emails are missing."""

import json

import pytest

from orchestrator.tools.sample_events import cancellation
from orchestrator.tools.templates import main


def run(argv, monkeypatch, capsys) -> tuple[int, str, str]:
    monkeypatch.setenv("ORCHESTRATOR_NOTIFIER_URL", "http://127.0.0.1:9")  # nothing listens: no renders
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    out = capsys.readouterr()
    return exit_.value.code, out.out, out.err


def test_a_plan_from_an_event_file(tmp_path, monkeypatch, capsys):
    event = tmp_path / "event.json"
    event.write_text(json.dumps(cancellation("sub_cli", segment="b2b").model_dump(mode="json")))
    code, out, _ = run(["preview", str(event), "--score", "2"], monkeypatch, capsys)
    assert code == 0
    assert out.startswith("b2b-voluntary version 1 (selection.yaml rule 2: ")
    assert "support_follow_up (notify): when the exit survey is answered; condition holds" in out
    assert "problem: the messages are not shown: the notifier did not answer" in out


def test_bad_input_is_an_error_not_a_trace(tmp_path, monkeypatch, capsys):
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"subscription_id": "sub_1"}))
    code, _, err = run(["preview", str(event)], monkeypatch, capsys)
    assert code == 2 and err.startswith("error: ") and "customer_id" in err
    good = tmp_path / "good.json"
    good.write_text(json.dumps(cancellation("sub_cli").data))
    code, _, err = run(["preview", str(good), "--template", "nope"], monkeypatch, capsys)
    assert code == 2 and "no template 'nope'" in err
