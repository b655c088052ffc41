"""Audit completeness: every service function that changes state on someone's behalf (every
public function with a keyword-only `actor`) is run here, and each must leave an audit row
saying who did it, when, to what and what changed. A new such function that is not in the
table fails test_every_service_with_an_actor_is_in_the_table. Changes made in Django admin are
audited (or refused) too, and the audit view and its CSV export show what the trail holds."""
import csv
import importlib
import inspect
import io
from datetime import date, timedelta

import pytest
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import housekeeping, mfa, requests
from accounts import services as accounts
from accounts.audit import snapshot
from accounts.models import AuditEvent, BrandingChecklist, User
from accounts.roles import Role
from monitoring import privacy
from monitoring import services as monitoring
from monitoring.models import Mention, PollState
from platforms.base import Published
from policy import services as policy
from publishing import alerts, publisher
from publishing import services as publishing
from publishing.models import ElectionPeriod, PostTarget
from reporting import services as reporting
from reporting.filters import report_query_build
from tests.monitoring.scripted import ScriptedClient
from triage import moderation, replies
from triage import services as triage
from triage.models import SlaPolicy

pytestmark = pytest.mark.django_db

MODULES = ["accounts.services", "accounts.requests", "accounts.housekeeping", "accounts.mfa", "monitoring.services",
           "monitoring.privacy", "triage.services", "triage.replies", "triage.moderation", "publishing.services",
           "publishing.publisher", "publishing.alerts", "policy.services", "reporting.services"]


class ReplyingClient(ScriptedClient):
    """The platform, as far as a reply needs it."""

    def reply(self, in_reply_to, text):
        return Published(external_id="reply-1", url="https://x.com/Libs/status/reply-1")


class Trail:
    """Runs each step and checks the audit rows it left."""

    def __init__(self, staff):
        self.staff = staff
        self.done: set[str] = set()
        self.wrong: list[str] = []

    def check(self, function, actor, obj, action, run):
        """Run `run()`; the trail must then have a new `action` row about `obj`, by `actor` (None:
        the system), dated within the step, saying what changed (its changes or its note)."""
        self.done.add(f"{function.__module__}.{function.__name__}")
        last = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        about = (obj._meta.label_lower, str(obj.pk)) if obj is not None and not callable(obj) else None  # a delete
        started = timezone.now()
        result = run()
        target = obj() if callable(obj) else result
        object_type, object_id = about or (target._meta.label_lower, str(target.pk))
        rows = AuditEvent.objects.filter(pk__gt=last, action=action, object_type=object_type, object_id=object_id)
        row = rows.first()
        label = f"{function.__name__} ({action})"
        if row is None:
            found = list(AuditEvent.objects.filter(pk__gt=last).values_list("action", "object_type"))
            self.wrong.append(f"{label}: no audit row; the step left {found}")
        elif row.actor_id != getattr(actor, "pk", None) or row.actor_name != (str(actor) if actor else "system"):
            self.wrong.append(f"{label}: recorded as done by {row.actor_name}, not {actor or 'the system'}")
        elif not started <= row.at <= timezone.now():
            self.wrong.append(f"{label}: dated {row.at}, not when it was done")
        elif not (row.changes or row.note):
            self.wrong.append(f"{label}: says nothing about what changed")
        return result


def test_every_state_change_is_audited_with_who_when_and_what(world, staff, services, channels, settings):
    settings.SIMULATOR_URL = "http://127.0.0.1:9"  # nothing here may reach a platform
    t = Trail(staff)
    web, comms, head, editor = (staff[r] for r in (Role.WEB_TEAM, Role.COMMUNICATIONS_OFFICER,
                                                   Role.HEAD_OF_SERVICE, Role.SERVICE_EDITOR))
    admin, mo, cllr = staff[Role.ADMINISTRATOR], staff[Role.MONITORING_OFFICER], staff[Role.COUNCILLOR]
    today = timezone.localdate()

    # Roles, services and the channel registry.
    t.check(accounts.user_set_roles, admin, cllr, "user.roles",
            lambda: accounts.user_set_roles(actor=admin, user=cllr, roles=[Role.COUNCILLOR, Role.MONITORING_OFFICER]))
    waste = services["waste-and-recycling"]
    before = snapshot(waste)
    waste.name = "Waste"
    t.check(accounts.service_save, admin, waste, "service.update",
            lambda: accounts.service_save(actor=admin, service=waste, created=False, before=before))
    tv = t.check(accounts.channel_create, web, None, "channel.create", lambda: accounts.channel_create(
        actor=web, platform="youtube", handle="@KingsmereTV", display_name="Kingsmere TV",
        service=services["communications"], kind="corporate"))
    t.check(accounts.channel_update, editor, world.a.channel, "channel.update",
            lambda: accounts.channel_update(actor=editor, channel=world.a.channel, display_name="Our libraries"))
    t.check(accounts.channel_connection_store, web, tv, "channel.connect", lambda: accounts.channel_connection_store(
        actor=web, channel=tv, account_id="UC1", access_token="token"))
    state = PollState.objects.create(channel=tv, endpoint="comments")
    t.check(monitoring.poll_interval_set, web, tv, "channel.poll_interval",
            lambda: monitoring.poll_interval_set(actor=web, state=state, seconds=600))
    t.check(accounts.channel_delete, admin, tv, "channel.delete",
            lambda: accounts.channel_delete(actor=admin, channel=tv))

    # A request for a new account: submitted, sent back, resubmitted, approved twice, set up, activated.
    request = t.check(requests.account_request_submit, editor, None, "account_request.submit",
                      lambda: requests.account_request_submit(
                          actor=editor, platform="bluesky", kind="service", proposed_handle="libraries.kingsmere",
                          proposed_display_name="Libraries", audience="Readers", objectives="Events",
                          why_own_account="Bluesky", content_commitment="Weekly", out_of_hours="Not monitored",
                          monitors=[editor]))
    t.check(requests.account_request_decide, head, request, "account_request.decide",
            lambda: requests.account_request_decide(actor=head, request=request, outcome="more_information",
                                                    reasons="Who will post at weekends?"))
    t.check(requests.account_request_resubmit, editor, request, "account_request.resubmit",
            lambda: requests.account_request_resubmit(actor=editor, request=request, content_commitment="Daily"))
    requests.account_request_decide(actor=head, request=request, outcome="approved")
    t.check(requests.account_request_decide, web, request, "account_request.decide",
            lambda: requests.account_request_decide(actor=web, request=request, outcome="approved"))
    request.refresh_from_db()
    new = request.channel
    accounts.channel_update(actor=web, channel=new, web_team_has_access=True)
    t.check(requests.branding_checklist_update, editor, new, "channel.branding",
            lambda: requests.branding_checklist_update(actor=editor, channel=new, **{
                field: True for field, _ in BrandingChecklist.ITEMS}))
    t.check(requests.channel_activate, web, new, "channel.transition",
            lambda: requests.channel_activate(actor=web, channel=new))

    # Housekeeping: the lifecycle, reassignment and flags.
    leisure = world.b.channel
    t.check(housekeeping.channel_transition, web, leisure, "channel.transition",
            lambda: housekeeping.channel_transition(actor=web, channel=leisure, to_status="dormant"))
    t.check(housekeeping.channel_request_closure, web, leisure, "channel.transition",
            lambda: housekeeping.channel_request_closure(actor=web, channel=leisure, reason="Not used"))
    t.check(housekeeping.channel_archive, web, leisure, "channel.transition",
            lambda: housekeeping.channel_archive(actor=web, channel=leisure, reason="Deleted on the platform"))
    t.check(housekeeping.housekeeping_flag_resolve, web, channels["leisure"], "housekeeping.resolve",
            lambda: housekeeping.housekeeping_flag_resolve(actor=web, flag=world.flag, resolution="Posting again"))
    t.check(housekeeping.channel_reassign, web, channels["leisure"], "channel.update",
            lambda: housekeeping.channel_reassign(actor=web, channel=channels["leisure"], service=world.a.service,
                                                  managers=[editor], reason="Libraries run it now"))

    # Multi-factor sign-in.
    device = TOTPDevice.objects.create(user=editor, name="phone", confirmed=True)
    assert device.pk
    t.check(mfa.backup_codes_renew, editor, editor, "mfa.backup_codes", lambda: mfa.backup_codes_renew(actor=editor))
    t.check(mfa.mfa_remove, admin, editor, "mfa.remove", lambda: mfa.mfa_remove(actor=admin, user=editor))

    # A case worked from start to finish, the customer service queue in bulk, an FOI request.
    case = world.a.case
    for function, actor, action, run in [
        (triage.case_acknowledge, head, "case.acknowledged", lambda: triage.case_acknowledge(actor=head, case=case)),
        (triage.case_assign, web, "case.assigned", lambda: triage.case_assign(actor=web, case=case, assignee=editor)),
        (triage.case_note, editor, "case.note", lambda: triage.case_note(actor=editor, case=case, text="Rang them")),
        (triage.case_hand_over, web, "case.handed_over",
         lambda: triage.case_hand_over(actor=web, case=case, service=services["leisure"], note="Theirs")),
        (triage.case_escalate, web, "case.escalated",
         lambda: triage.case_escalate(actor=web, case=case, reason="Press interest", councillors=[cllr])),
        (triage.case_reply, comms, "case.reply", lambda: triage.case_reply(
            actor=comms, case=case, text="Thank you, we are looking into it.", client=ReplyingClient([]))),
        (triage.case_private_channel, comms, "case.private_channel",
         lambda: triage.case_private_channel(actor=comms, case=case, note="Carried on by direct message")),
        (triage.case_reroute, web, "case.corrected",
         lambda: triage.case_reroute(actor=web, case=case, route="web_team_response", note="Signposting")),
        (triage.case_safeguarding, web, "case.safeguarding",
         lambda: triage.case_safeguarding(actor=web, case=case, safeguarding=True)),
        (triage.case_close, comms, "case.closed", lambda: triage.case_close(actor=comms, case=case, note="Done")),
        (triage.case_reopen, web, "case.reopened", lambda: triage.case_reopen(actor=web, case=case, note="Again")),
    ]:
        case.refresh_from_db()
        t.check(function, actor, case, action, run)
    t.check(triage.cases_bulk, web, world.cs_case, "case.acknowledged",
            lambda: triage.cases_bulk(actor=web, cases=[world.cs_case], action="acknowledge"))
    foi = world.foi_case.foi
    t.check(triage.foi_validate, web, world.foi_case, "case.foi_validated",
            lambda: triage.foi_validate(actor=web, foi=foi, requester="Amara Okafor", address="1 High Street"))
    t.check(triage.foi_respond, web, world.foi_case, "case.foi_response", lambda: triage.foi_respond(
        actor=web, foi=foi, kind="web_page", url="https://www.kingsmere.example/foi/1"))

    # The escalation matrix, standard replies and settings.
    rule = t.check(triage.rule_save, web, None, "rule.create", lambda: triage.rule_save(
        actor=web, name="Bins", order=30, route="customer_service", conditions={"keywords_any": ["bin"]}))
    t.check(triage.rule_delete, web, rule, "rule.delete", lambda: triage.rule_delete(actor=web, rule=rule))
    t.check(triage.canned_reply_save, web, None, "cannedreply.create", lambda: triage.canned_reply_save(
        actor=web, title="Bins", text="Report a missed bin", url="https://www.kingsmere.example/bins"))
    sla = SlaPolicy(name="two-days", kind="working_days", amount=2)
    t.check(triage.config_object_save, admin, lambda: sla, "slapolicy.create",
            lambda: triage.config_object_save(actor=admin, obj=sla, created=True))
    gone = SlaPolicy.objects.get(pk=sla.pk)
    t.check(triage.config_object_delete, admin, gone, "slapolicy.delete",
            lambda: triage.config_object_delete(actor=admin, obj=SlaPolicy.objects.get(pk=gone.pk)))

    # A post through its whole life, a cancelled one, the pre-election period, emergency mode.
    post = t.check(publishing.post_create, editor, None, "post.create", lambda: publishing.post_create(
        actor=editor, text="The library opens late on Thursday.", channels=[world.a.channel]))
    t.check(publishing.post_update, editor, post, "post.update", lambda: publishing.post_update(
        actor=editor, post=post, version=post.version, text="The library opens late on Thursdays."))
    t.check(publishing.post_submit, editor, post, "post.submit", lambda: publishing.post_submit(actor=editor, post=post))
    t.check(publishing.post_request_changes, head, post, "post.request_changes",
            lambda: publishing.post_request_changes(actor=head, post=post, comment="Say which library"))
    publishing.post_update(actor=editor, post=post, version=post.version, text="Kilburn library opens late.")
    publishing.post_submit(actor=editor, post=post)
    t.check(publishing.post_approve, head, post, "post.approve", lambda: publishing.post_approve(actor=head, post=post))
    t.check(publishing.post_schedule, editor, post, "post.schedule",
            lambda: publishing.post_schedule(actor=editor, post=post, scheduled_at=timezone.now() + timedelta(days=1)))
    t.check(publishing.post_cancel, editor, post, "post.cancel",
            lambda: publishing.post_cancel(actor=editor, post=post, reason="Event called off"))
    ElectionPeriod.objects.create(name="Borough elections", start=today - timedelta(days=1),
                                  end=today + timedelta(days=20), candidates="Jane Smith")
    named = publishing.post_create(actor=editor, text="Jane Smith opened the library.", channels=[world.a.channel])
    t.check(publishing.post_refer_to_monitoring_officer, editor, named, "post.refer_monitoring_officer",
            lambda: publishing.post_refer_to_monitoring_officer(actor=editor, post=named))
    t.check(publishing.post_monitoring_officer_decide, mo, named, "post.monitoring_officer",
            lambda: publishing.post_monitoring_officer_decide(actor=mo, post=named, approve=True, comment="Factual"))
    ElectionPeriod.objects.all().delete()
    campaign = t.check(publishing.campaign_create, head, None, "campaign.create", lambda: publishing.campaign_create(
        actor=head, name="Summer reading", service=world.a.service, start_date=today, end_date=today))
    t.check(publishing.campaign_update, head, campaign, "campaign.update",
            lambda: publishing.campaign_update(actor=head, campaign=campaign, name="Summer reading challenge"))
    pause = t.check(publishing.emergency_start, comms, None, "emergency.start",
                    lambda: publishing.emergency_start(actor=comms, reason="Flooding"))
    t.check(publishing.emergency_end, comms, pause, "emergency.end", lambda: publishing.emergency_end(actor=comms))
    target = world.b.post.targets.get()
    PostTarget.objects.filter(pk=target.pk).update(state=PostTarget.State.FAILED)
    t.check(publisher.target_retry, web, world.b.post, "post.retry",
            lambda: publisher.target_retry(actor=web, target=target))
    PostTarget.objects.filter(pk=target.pk).update(state=PostTarget.State.UNKNOWN)
    # Replies waiting for approval, and moderation on the record.
    case.refresh_from_db()
    waiting = [t.check(replies.reply_submit, comms, None, "reply.submit", lambda: replies.reply_submit(
        actor=comms, case=case, text="Reply one", reasons=["New staff"], approvers=[Role.WEB_TEAM])),
        replies.reply_submit(actor=comms, case=case, text="Reply two", reasons=["New staff"],
                             approvers=[Role.WEB_TEAM])]
    t.check(replies.reply_send_back, web, waiting[0], "reply.send_back",
            lambda: replies.reply_send_back(actor=web, draft=waiting[0], comment="Say when"))
    t.check(replies.reply_approve, web, waiting[1], "reply.approve",
            lambda: replies.reply_approve(actor=web, draft=waiting[1], client=ReplyingClient([])))

    class Hiding(ReplyingClient):
        def hide(self, external_id, *, hidden=True):
            pass

    hidden = t.check(moderation.moderate, web, None, "moderation.hide", lambda: moderation.moderate(
        actor=web, mention=world.b.mention, action="hide", reason="spam", client=Hiding([])))
    t.check(moderation.moderation_review, comms, hidden, "moderation.review",
            lambda: moderation.moderation_review(actor=comms, record=hidden))

    # Approval chains and bulk approval.
    stage = t.check(publishing.approval_stage_add, web, world.a.channel, "channel.approval_stage_add",
                    lambda: publishing.approval_stage_add(actor=web, channel=world.a.channel, name="Head of service",
                                                          roles=[Role.HEAD_OF_SERVICE]))
    t.check(publishing.approval_stage_remove, web, world.a.channel, "channel.approval_stage_remove",
            lambda: publishing.approval_stage_remove(actor=web, stage=stage))
    t.check(publishing.posts_approve_bulk, head, world.a.post, "post.approve",
            lambda: publishing.posts_approve_bulk(actor=head, posts=[world.a.post]))
    t.check(publisher.target_mark_published, web, world.b.post, "post.mark_published",
            lambda: publisher.target_mark_published(actor=web, target=target, url="https://example.social/@l/1"))

    # Residents' alerts, policies, training, reports, personal data.
    t.check(alerts.subscribers_export, web, web, "alerts.export", lambda: alerts.subscribers_export(actor=web))
    t.check(alerts.alert_erase, web, world.subscriber, "alerts.erase",
            lambda: alerts.alert_erase(actor=web, subscriber=world.subscriber, reason="Asked by phone"))
    version = t.check(policy.policy_version_publish, web, None, "policy.version", lambda: policy.policy_version_publish(
        actor=web, document=world.staff_policy, body="## Rules\n\nBe kinder.", change_type="delegated_minor",
        approved_by="Head of Communications", summary_of_changes="Kinder", effective_from=today))
    t.check(policy.policy_acknowledge, editor, version, "policy.acknowledge",
            lambda: policy.policy_acknowledge(actor=editor, version=version))
    t.check(policy.training_completion_record, head, None, "training.complete", lambda: policy.training_completion_record(
        actor=head, user=editor, module=world.module, completed_on=today))
    query = report_query_build(user=editor, today=today)
    t.check(reporting.report_run_request, editor, None, "report.request",
            lambda: reporting.report_run_request(actor=editor, query=query))
    t.check(privacy.author_erase, web, None, "author.erase",
            lambda: privacy.author_erase(actor=web, author=world.b.author, reference="SAR 2026/14"))

    assert not t.wrong, "\n".join(t.wrong)


def services_with_an_actor() -> set[str]:
    found = set()
    for name in MODULES:
        module = importlib.import_module(name)
        for attr, function in inspect.getmembers(module, inspect.isfunction):
            if function.__module__ == name and not attr.startswith("_") and "actor" in inspect.signature(
                    function).parameters:
                found.add(f"{name}.{attr}")
    return found


def test_every_service_with_an_actor_is_in_the_table():
    """Read from the source of the test above: a service that acts for someone and is not run
    there is a change nobody checked is audited."""
    source = inspect.getsource(test_every_state_change_is_audited_with_who_when_and_what)
    aliases = {"accounts.services": "accounts", "accounts.requests": "requests", "accounts.housekeeping":
               "housekeeping", "accounts.mfa": "mfa", "monitoring.services": "monitoring", "monitoring.privacy":
               "privacy", "triage.services": "triage", "triage.replies": "replies", "triage.moderation": "moderation",
               "publishing.services": "publishing", "publishing.publisher":
               "publisher", "publishing.alerts": "alerts", "policy.services": "policy",
               "reporting.services": "reporting"}
    missing = [name for name in sorted(services_with_an_actor())
               if f"t.check({aliases[name.rsplit('.', 1)[0]]}.{name.rsplit('.', 1)[1]}," not in source
               and f"({aliases[name.rsplit('.', 1)[0]]}.{name.rsplit('.', 1)[1]}," not in source]
    assert not missing, f"state-changing services not checked for an audit row: {missing}"


# --- Django admin ------------------------------------------------------------------------------


def test_hiding_and_deleting_a_mention_in_admin_is_audited(world, staff, client_for):
    admin = client_for(staff[Role.ADMINISTRATOR])
    mention = world.b.mention
    page = admin.get(f"/admin/monitoring/mention/{mention.pk}/change/")
    form = page.context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k != "text"}
    posted = timezone.localtime(mention.posted_at)
    data.update({"hidden": "on", "posted_at_0": posted.date().isoformat(),
                 "posted_at_1": posted.time().isoformat(), "author": mention.author_id,
                 "channel": mention.channel_id, "raw_payload": ""})
    data.pop("posted_at", None)
    response = admin.post(f"/admin/monitoring/mention/{mention.pk}/change/", data)
    assert response.status_code == 302, (response.context["adminform"].form.errors, data)
    hidden = AuditEvent.objects.get(action="mention.update", object_id=str(mention.pk))
    assert hidden.actor == staff[Role.ADMINISTRATOR] and hidden.changes == {"hidden": [False, True]}
    assert hidden.service == world.b.service
    # One with no case (a case keeps its mention: admin refuses to delete that one).
    spam = Mention.objects.create(platform=mention.platform, external_id="spam-1", channel=mention.channel,
                                  kind="mention", author=mention.author, text="Buy followers", posted_at=posted)
    response = admin.post(f"/admin/monitoring/mention/{spam.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    deleted = AuditEvent.objects.get(action="mention.delete", object_id=str(spam.pk))
    assert deleted.actor == staff[Role.ADMINISTRATOR] and deleted.changes["text"] == ["Buy followers", None]
    assert not Mention.objects.filter(pk=spam.pk).exists()


def test_admin_changes_only_what_it_audits(world, staff):
    """Every model admin of the product either records its changes on the audit trail (through
    AuditedAdmin or the model's own services) or does not let them be made at all."""
    from django.contrib import admin
    from django.test import RequestFactory

    from accounts.admin import AuditedAdmin

    request = RequestFactory().get("/admin/")
    request.user = staff[Role.ADMINISTRATOR]
    # Operational records, written by the system and not part of the trail: raw platform
    # responses (deleting one is retention's work), unparseable bodies, metric snapshots,
    # heartbeats and generated reports.
    exempt = {"monitoring.rawpayload", "monitoring.quarantine", "monitoring.channelmetricsnapshot",
              "accounts.heartbeat", "reporting.reportrun"}
    wrong = []
    for model, model_admin in admin.site._registry.items():
        label = model._meta.label_lower
        if model._meta.app_label not in ("accounts", "monitoring", "triage", "publishing", "policy", "reporting") \
                or label in exempt:
            continue
        obj = model._default_manager.first()
        may = {"add": model_admin.has_add_permission(request),
               "change": model_admin.has_change_permission(request, obj),
               "delete": model_admin.has_delete_permission(request, obj)}
        # Ours: AuditedAdmin, or an admin of the product's own that saves and deletes through services.
        ours = [cls for cls in type(model_admin).__mro__ if cls.__module__.split(".")[0] in (
            "accounts", "monitoring", "triage", "publishing", "policy", "reporting")]
        overridden = {name for cls in ours for name in ("save_model", "delete_model", "delete_queryset")
                      if name in cls.__dict__}
        needs = set()
        if may["add"] or may["change"]:
            needs.add("save_model")
        if may["delete"]:
            needs |= {"delete_model", "delete_queryset"}
        if not isinstance(model_admin, AuditedAdmin) and needs - overridden:
            wrong.append(f"{label}: may {', '.join(k for k, v in may.items() if v)} in admin, unaudited")
    assert not wrong, "\n".join(wrong)


# --- the audit view ----------------------------------------------------------------------------


def test_the_audit_view_filters_and_exports_what_the_trail_holds(world, staff, client_for):
    web = staff[Role.WEB_TEAM]
    accounts.channel_update(actor=staff[Role.SERVICE_EDITOR], channel=world.a.channel, display_name="Libraries!")
    client = client_for(web)
    everything = AuditEvent.objects.count()
    assert everything > 20
    for query, expected in [
        ({"action": "post."}, AuditEvent.objects.filter(action__startswith="post.")),
        ({"object_type": "accounts.channel"}, AuditEvent.objects.filter(object_type="accounts.channel")),
        ({"actor": "editor"}, AuditEvent.objects.filter(actor_name__icontains="editor")),
        ({"service": "leisure"}, AuditEvent.objects.filter(service__slug="leisure")),
        ({"from": date.today().isoformat(), "to": date.today().isoformat()}, AuditEvent.objects.all()),
        ({"from": (date.today() + timedelta(days=1)).isoformat()}, AuditEvent.objects.none()),
    ]:
        assert 0 < expected.count() < everything or not expected.exists() or "from" in query
        rows = list(csv.reader(io.StringIO(b"".join(client.get(
            "/audit/", {**query, "format": "csv"}).streaming_content).decode())))
        assert rows[0] == ["at", "actor", "action", "object_type", "object_id", "object", "service", "changes",
                           "note"]
        assert sorted(r[4] + r[2] for r in rows[1:]) == sorted(e.object_id + e.action for e in expected), query
        page = client.get("/audit/", query)
        assert page.status_code == 200
    row = next(r for r in csv.reader(io.StringIO(b"".join(client.get(
        "/audit/", {"action": "channel.update", "format": "csv"}).streaming_content).decode())) if "Libraries!" in r[7])
    assert row[1] == "Editor" and row[5] and row[6] == "Libraries"
    assert "Libraries!" in client.get("/audit/", {"action": "channel.update"}).content.decode()
    assert client.get("/audit/", {"from": "not-a-date"}).status_code == 302  # "Enter dates as YYYY-MM-DD."


def test_the_trail_keeps_who_did_it_after_their_account_is_deleted(world, make_user):
    """Rows keep the actor's name: deleting the account does not rewrite history."""
    temp = make_user("temp", Role.WEB_TEAM, world.a.service)
    accounts.channel_update(actor=temp, channel=world.a.channel, display_name="Libraries!")
    row = AuditEvent.objects.filter(action="channel.update").latest("pk")
    User.objects.filter(pk=temp.pk).delete()
    row.refresh_from_db()
    assert row.actor is None and row.actor_name == "Temp" and row.changes["display_name"][1] == "Libraries!"
