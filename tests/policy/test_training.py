"""Training records: modules, completions with expiry, per-person and per-service views,
and reminders when training lapses."""
import re
from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.models import AuditEvent, Notification
from accounts.roles import Role
from policy import selectors
from policy import services as policy_services
from policy.models import TrainingCompletion, TrainingModule

pytestmark = pytest.mark.django_db

INLINE = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|<style\b|\sstyle=|\son[a-z]+\s*=", re.I)


@pytest.fixture
def elearning():
    return TrainingModule.objects.create(slug="social-media-e-learning", title="Social media e-learning",
                                         audience="staff", valid_for_months=12, url="https://learn.example/sm")


@pytest.fixture
def induction():
    return TrainingModule.objects.create(slug="induction", title="Councillor induction", audience="councillors")


@pytest.fixture
def libraries_head(staff, services):
    services["libraries"].head = staff[Role.HEAD_OF_SERVICE]
    services["libraries"].save()
    return staff[Role.HEAD_OF_SERVICE]


def test_add_months_keeps_to_the_end_of_short_months():
    assert policy_services.add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert policy_services.add_months(date(2024, 2, 29), 12) == date(2025, 2, 28)
    assert policy_services.add_months(date(2026, 11, 15), 24) == date(2028, 11, 15)


def test_recording_a_completion_sets_its_expiry_and_is_audited(staff, elearning, induction, today):
    editor = staff[Role.SERVICE_EDITOR]
    done = policy_services.training_completion_record(actor=staff[Role.WEB_TEAM], user=editor, module=elearning,
                                                      completed_on=today - timedelta(days=3))
    assert done.expires_on == policy_services.add_months(today - timedelta(days=3), 12)
    assert AuditEvent.objects.filter(action="training.complete", service=editor.service).exists()
    assert Notification.objects.filter(user=editor, subject__contains="was recorded").exists()
    forever = policy_services.training_completion_record(actor=staff[Role.WEB_TEAM], user=staff[Role.COUNCILLOR],
                                                         module=induction, completed_on=today)
    assert forever.expires_on is None
    with pytest.raises(ValidationError, match="future"):
        policy_services.training_completion_record(actor=staff[Role.WEB_TEAM], user=editor, module=elearning,
                                                   completed_on=today + timedelta(days=1))


def test_who_records_training(staff, elearning, libraries_head, today, make_user, services):
    editor = staff[Role.SERVICE_EDITOR]
    policy_services.training_completion_record(actor=libraries_head, user=editor, module=elearning,
                                               completed_on=today)
    leisure = make_user("swimmer", Role.SERVICE_EDITOR, services["leisure"])
    for actor, person in ((libraries_head, leisure), (editor, editor), (staff[Role.COMMUNICATIONS_OFFICER], editor),
                          (libraries_head, libraries_head)):
        with pytest.raises(PermissionDenied):
            policy_services.training_completion_record(actor=actor, user=person, module=elearning,
                                                       completed_on=today)
    assert TrainingCompletion.objects.count() == 1


def test_status_of_a_persons_training(staff, elearning, today):
    editor = staff[Role.SERVICE_EDITOR]
    web = staff[Role.WEB_TEAM]
    assert [r["status"] for r in selectors.person_training(editor)] == ["not_started"]
    policy_services.training_completion_record(actor=web, user=editor, module=elearning,
                                               completed_on=today - timedelta(days=350))
    assert selectors.person_training(editor)[0]["status"] == "expiring"
    policy_services.training_completion_record(actor=web, user=editor, module=elearning,
                                               completed_on=today - timedelta(days=400))
    assert selectors.person_training(editor)[0]["status"] == "expiring"  # the latest completion counts
    assert selectors.person_training(editor, on=today + timedelta(days=30))[0]["status"] == "lapsed"
    policy_services.training_completion_record(actor=web, user=editor, module=elearning, completed_on=today)
    row = selectors.person_training(editor)[0]
    assert row["status"] == "complete" and len(row["history"]) == 3


def test_lapsed_training_is_reminded_once_to_the_person_and_their_head(staff, elearning, libraries_head, today):
    editor = staff[Role.SERVICE_EDITOR]
    web = staff[Role.WEB_TEAM]
    old = policy_services.training_completion_record(actor=web, user=editor, module=elearning,
                                                     completed_on=today - timedelta(days=400))
    comms = staff[Role.COMMUNICATIONS_OFFICER]
    policy_services.training_completion_record(actor=web, user=comms, module=elearning,
                                               completed_on=today - timedelta(days=350))
    assert policy_services.training_reminders(on=today) == {"lapsed": 1, "expiring": 1}
    assert policy_services.training_reminders(on=today) == {"lapsed": 0, "expiring": 0}
    assert Notification.objects.filter(user=editor, subject__contains="has lapsed").count() == 1
    head_note = Notification.objects.get(user=libraries_head, subject__contains="has lapsed")
    assert head_note.url == f"/training/people/{editor.pk}/"
    assert Notification.objects.filter(user=comms, subject__contains="expires on").count() == 1
    old.refresh_from_db()
    assert old.lapse_reminded_at is not None

    # Retaken: the old completion is superseded and nothing more is sent when it would lapse again.
    TrainingCompletion.objects.filter(pk=old.pk).update(lapse_reminded_at=None)
    policy_services.training_completion_record(actor=web, user=editor, module=elearning, completed_on=today)
    assert policy_services.training_reminders(on=today)["lapsed"] == 0


def test_training_reminder_task_is_scheduled(elearning):
    from council_social.schedules import SCHEDULES
    from policy.tasks import training_reminders

    assert any(task == "policy.training_reminders" for task, _, _ in SCHEDULES.values())
    assert training_reminders.run() == {"lapsed": 0, "expiring": 0}


def test_per_person_and_per_service_pages(staff, elearning, induction, libraries_head, client_for, today):
    editor = staff[Role.SERVICE_EDITOR]
    policy_services.training_completion_record(actor=staff[Role.WEB_TEAM], user=editor, module=elearning,
                                               completed_on=today - timedelta(days=400))
    mine = client_for(editor).get("/training/").content.decode()
    assert "Social media e-learning" in mine and "Lapsed" in mine and not INLINE.search(mine)
    assert "Councillor induction" not in mine
    assert "Social media e-learning</a>: lapsed" in client_for(editor).get("/").content.decode()  # home panel
    assert client_for(editor).get(f"/training/people/{libraries_head.pk}/").status_code == 404
    assert client_for(libraries_head).get(f"/training/people/{editor.pk}/").status_code == 200

    grid = client_for(libraries_head).get("/training/services/libraries/")
    html = grid.content.decode()
    assert grid.status_code == 200 and "Editor" in html and "Lapsed" in html and not INLINE.search(html)
    assert client_for(libraries_head).get("/training/services/leisure/").status_code == 404
    assert client_for(staff[Role.WEB_TEAM]).get("/training/services/leisure/").status_code == 200
    assert client_for(editor).get("/training/services/").status_code == 403


def test_recording_training_on_the_page(staff, elearning, client_for):
    client = client_for(staff[Role.WEB_TEAM])
    editor = staff[Role.SERVICE_EDITOR]
    bad = client.post("/training/record/", {"user": editor.pk, "module": elearning.pk, "completed_on": "yesterday"})
    assert bad.status_code == 200 and "<title>Error:" in bad.content.decode()
    ok = client.post("/training/record/", {"user": editor.pk, "module": elearning.pk, "completed_on": "01/03/2026"})
    assert ok.status_code == 302 and TrainingCompletion.objects.get().completed_on == date(2026, 3, 1)
    assert client_for(editor).get("/training/record/").status_code == 403
