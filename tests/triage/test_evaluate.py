"""manage.py triage_evaluate: labelled mentions routed as polled mentions are, with figures."""
import io
import json

import pytest
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("triage_evaluate", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_a_labelled_file_is_routed_and_scored(tmp_path, model_reads):
    model_reads({"bin": "customer_service", "library": "web_team_response", "council": "comms_escalation"})
    items = [
        {"text": "my bin was missed", "route": "customer_service", "service": "waste-and-recycling"},
        {"text": "when is the library open", "route": "web_team_response", "safeguarding": False},
        {"text": "nice sunset", "route": "no_action"},
        {"text": "lovely weather", "route": "service_conversation"},  # read as no_action: one error
        {"text": "the council is a disgrace", "route": "comms_escalation", "followers": 50, "name": "Jo Bloggs"},
    ]
    path = tmp_path / "mine.jsonl"
    path.write_text("\n".join(json.dumps(i) for i in items) + "\n{broken\n" +
                    json.dumps({"text": "x", "route": "sideways"}) + "\n", encoding="utf-8")
    out, err = run(str(path))
    assert "Items: 5" in out and "Route accuracy: 0.800" in out
    assert "Safeguarding recall" not in out or "(0 of 0)" in out
    assert "Confusion matrix (rows: labelled route, columns: routed to)" in out
    assert "Rules that fired:" in out and "Person needing customer services" in out
    assert "mine.jsonl:6: not valid JSON" in err and "mine.jsonl:7: 'route' must be one of" in err
    assert "2 items left out" in out


def test_a_json_array_and_the_json_figures(tmp_path, model_reads):
    model_reads("foi")
    path = tmp_path / "array.json"
    path.write_text(json.dumps([{"text": "FOI: spend on taxis 2024", "route": "foi", "safeguarding": False}]))
    out, _err = run(str(path), "--json")
    figures = json.loads(out)
    assert figures["items"] == 1 and figures["route"]["accuracy"] == 1.0 and figures["left_out"] == 0


def test_mistakes_in_the_command_are_explained(tmp_path):
    with pytest.raises(CommandError, match="Give a file of labelled items, or --holdout"):
        run()
    with pytest.raises(CommandError, match="Cannot read"):
        run(str(tmp_path / "missing.jsonl"))
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    with pytest.raises(CommandError, match="No usable items"):
        run(str(empty))
