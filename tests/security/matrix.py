"""The access-control matrix: every URL of the site and every API endpoint and method, with
what each role (and someone not signed in) must get. Used by test_access_matrix.py.

Outcomes:
  200, 201, 202, 204, 400, 403, 404, 405   that status
  "go"        a redirect (302) that is not to a sign-in page; on a POST, one that changed the database
  "kept"      on a POST, a redirect that changed nothing: the page said why (a refusal or bad input
              shown as a message on the page it returns to)
  "signin"    a redirect to the sign-in page with ?next= (someone not signed in)

403, 404, 405 and "signin" on a POST must leave the database exactly as it was. Objects are those of tests/security/conftest.py: `a` is
Libraries, the service of the head of service and the service editor; `b` is Leisure.
"""
import dataclasses
from collections.abc import Callable

from accounts.roles import Role

ANON = "anonymous"
ROLES = [*Role, ANON]
SHORT = {"web": Role.WEB_TEAM, "comms": Role.COMMUNICATIONS_OFFICER, "head": Role.HEAD_OF_SERVICE,
         "editor": Role.SERVICE_EDITOR, "cso": Role.CUSTOMER_SERVICES, "cllr": Role.COUNCILLOR,
         "mo": Role.MONITORING_OFFICER, "admin": Role.ADMINISTRATOR, "anon": ANON}


def expect(default, *, anon="signin", **by_role) -> dict:
    """Outcomes per role: `default` for every role not named (by its short name)."""
    out = {role: default for role in Role}
    out[ANON] = anon
    for short, outcome in by_role.items():
        out[SHORT[short]] = outcome
    return out


def only(ok, *allowed, no=403, anon="signin", **by_role) -> dict:
    """`ok` for the roles named in `allowed`, `no` for the others."""
    return expect(no, anon=anon, **{short: ok for short in allowed}, **by_role)


EVERYONE = expect(200)
OPS = ("web", "admin")  # the web team and administrators


@dataclasses.dataclass(frozen=True)
class Entry:
    name: str  # the URL pattern's name, e.g. "case_detail" or "case-detail" (the API router's)
    method: str
    url: Callable  # world -> path
    outcomes: dict
    data: Callable | dict | None = None  # world -> form data or JSON (API)
    note: str = ""

    @property
    def api(self) -> bool:
        return self.name.startswith("api") or "-" in self.name

    def id(self) -> str:
        return f"{self.method} {self.name}{' ' + self.note if self.note else ''}"


def E(name, method, url, outcomes, data=None, note=""):  # noqa: N802
    return Entry(name, method, url if callable(url) else (lambda w, u=url: u), outcomes, data, note)


def a(attr, path):
    """A path on service A's object: a("case", "/cases/{}/") -> /cases/<A's case id>/."""
    return lambda w: path.format(getattr(w.a, attr).pk)


def b(attr, path):
    return lambda w: path.format(getattr(w.b, attr).pk)


# Sign-in, multi-factor, single sign-on ---------------------------------------------------------

SIGN_IN = [
    E("login", "GET", "/sign-in/", expect("go", anon=200)),
    E("mfa_verify", "GET", "/sign-in/code/", expect("go")),
    E("mfa_setup", "GET", "/sign-in/set-up-authenticator/", expect(200)),
    E("mfa_manage", "GET", "/account/multi-factor/", EVERYONE),
    E("mfa_backup_codes", "GET", "/account/multi-factor/backup-codes/", expect("go")),
    # Nobody here has an authenticator to remove; the web team and administrators may not remove theirs.
    E("mfa_remove", "POST", "/account/multi-factor/turn-off/", expect("kept")),
    E("oidc_authentication_init", "GET", "/oidc/authenticate/", expect(404, anon=404),
      note="single sign-on off"),
    E("oidc_authentication_callback", "GET", "/oidc/callback/", expect(404, anon=404), note="single sign-on off"),
    E("oidc_logout", "GET", "/oidc/logout/", expect(405, anon=405)),
    E("logout", "POST", "/sign-out/", expect("kept", anon="kept")),
    E("healthz", "GET", "/healthz", expect(200, anon=200)),
]

# The registry, audit and status ---------------------------------------------------------------

# Who sees channel A (Libraries): everyone who sees every channel, and Libraries' staff.
SEES_A = dict(web=200, comms=200, head=200, editor=200, admin=200)
# Who may change channel A: the web team, administrators, and Libraries' head and editor.
EDITS_A = ("web", "admin", "head", "editor")

ACCOUNTS = [
    E("home", "GET", "/", EVERYONE),
    E("channel_list", "GET", "/channels/", EVERYONE),
    E("channel_create", "GET", "/channels/add/", only(200, *OPS)),
    E("channel_create", "POST", "/channels/add/", only(200, *OPS), data={}, note="empty form"),
    E("channel_detail", "GET", a("channel", "/channels/{}/"), expect(404, **SEES_A)),
    E("channel_detail", "GET", b("channel", "/channels/{}/"), expect(404, web=200, comms=200, admin=200),
      note="B"),
    E("channel_edit", "GET", a("channel", "/channels/{}/edit/"), expect(404, comms=403, **{r: 200 for r in EDITS_A})),
    E("channel_edit", "POST", a("channel", "/channels/{}/edit/"),
      expect(404, comms=403, **{r: 200 for r in EDITS_A}), data={"handle": ""}, note="bad form"),
    E("channel_edit", "POST", b("channel", "/channels/{}/edit/"), expect(404, comms=403, web=200, admin=200),
      data={"handle": ""}, note="B"),
    E("audit_list", "GET", "/audit/", only(200, *OPS)),
    E("system_status", "GET", "/status/", only(200, *OPS)),
    E("system_status_ping", "POST", "/status/ping/", only("kept", *OPS), data={}, note="queues a task"),
    E("account_request_list", "GET", "/account-requests/", EVERYONE),
    # Anyone in a service asks for an account for it; councillors and the monitoring officer are in none.
    E("account_request_create", "GET", "/account-requests/new/", expect(200, cllr=403, mo=403)),
    E("account_request_create", "POST", "/account-requests/new/", expect(200, cllr=403, mo=403), data={},
      note="empty form"),
    # The requester (editor), Libraries' head and the web team see A's request; only its head decides it now.
    E("account_request_detail", "GET", a("account_request", "/account-requests/{}/"),
      expect(404, web=200, admin=200, head=200, editor=200)),
    E("account_request_detail", "GET", b("account_request", "/account-requests/{}/"),
      expect(404, web=200, admin=200), note="B"),
    E("account_request_decide", "POST", a("account_request", "/account-requests/{}/decide/"),
      expect(404, web=403, admin=403, head=200, editor=403), data={}, note="empty form"),
    E("account_request_decide", "POST", b("account_request", "/account-requests/{}/decide/"),
      expect(404, web=403, admin=403), data={"outcome": "approved"}, note="B"),
    E("account_request_resubmit", "GET", a("account_request", "/account-requests/{}/resubmit/"),
      expect(404, web=403, admin=403, head=403, editor="go")),
    E("account_request_resubmit", "POST", a("account_request", "/account-requests/{}/resubmit/"),
      expect(404, web=403, admin=403, head=403, editor="kept"), data={}, note="not sent back"),
    E("channel_branding", "GET", a("channel", "/channels/{}/branding/"),
      expect(404, comms=403, **{r: 200 for r in EDITS_A})),
    E("channel_branding", "POST", b("channel", "/channels/{}/branding/"),
      expect(404, comms=403, web="go", admin="go"), data={"has_profile_image": "on"}, note="B"),
    E("channel_activate", "POST", a("channel", "/channels/{}/activate/"),
      expect(404, web="kept", admin="kept", comms=403, head=403, editor=403), data={}, note="already active"),
    E("housekeeping_report", "GET", "/housekeeping/", only(200, *OPS)),
    E("housekeeping_run", "POST", "/housekeeping/run/", only("go", *OPS), data={}),
    E("housekeeping_channel", "GET", b("channel", "/housekeeping/channels/{}/"), only(200, *OPS)),
    E("housekeeping_reassign", "POST", b("channel", "/housekeeping/channels/{}/reassign/"), only(200, *OPS),
      data={}, note="empty form"),
    E("housekeeping_transition", "POST", b("channel", "/housekeeping/channels/{}/status/"), only(200, *OPS),
      data={}, note="empty form"),
    E("housekeeping_resolve", "POST", lambda w: f"/housekeeping/flags/{w.flag.pk}/resolve/", only("kept", *OPS),
      data={}, note="empty form"),
]

# Monitoring and personal data -------------------------------------------------------------------

MONITORING = [
    E("mention_list", "GET", "/mentions/", EVERYONE),
    # Allowed: a redirect to the platform's consent page (only the session remembers it).
    E("channel_connect", "POST", a("channel", "/channels/{}/connect/"),
      expect(404, comms=403, **{r: "kept" for r in EDITS_A}), data={}),
    E("channel_connect", "POST", b("channel", "/channels/{}/connect/"),
      expect(404, comms=403, web="kept", admin="kept"), data={}, note="B"),
    E("channel_connect_password", "GET", a("channel", "/channels/{}/connect/app-password/"),
      expect(404, comms=403, **{r: 200 for r in EDITS_A})),
    E("channel_oauth_callback", "GET", "/channels/oauth/callback/?state=nothing&code=x", expect("go")),
    # Meta's webhooks: no sign-in; the verify token and the body's signature are the credentials.
    E("webhook", "GET", "/webhooks/facebook/?hub.mode=subscribe&hub.verify_token=guess&hub.challenge=1",
      expect(403, anon=403)),
    E("webhook", "POST", "/webhooks/instagram/", expect(403, anon=403), data={}, note="unsigned"),
    E("author_list", "GET", "/authors/?q=resident", only(200, *OPS)),
    E("author_detail", "GET", lambda w: f"/authors/{w.a.author.pk}/", only(200, *OPS)),
    E("source_list", "GET", "/sources/", EVERYONE),
    E("source_add", "GET", "/sources/add/", only(200, *OPS)),
    E("source_add", "POST", "/sources/add/", only(400, *OPS), data={"url": ""}, note="empty form"),
    E("watchlist", "GET", "/watch-list/", only(200, "web", "comms", "admin")),
    E("watchlist_add", "GET", "/watch-list/add/", only(200, *OPS)),
    E("watchlist_add", "POST", "/watch-list/add/", only(400, *OPS), data={"reason": ""}, note="empty form"),
    E("watchlist_edit", "GET", "/watch-list/999999/", only(404, *OPS), note="no such entry"),
    E("watchlist_review", "POST", "/watch-list/999999/keep/", only(404, *OPS), note="no such entry"),
    E("rising", "GET", "/rising/", only(200, "web", "comms", "admin")),
    E("author_export", "GET", lambda w: f"/authors/{w.a.author.pk}/export.json", only(200, *OPS)),
    E("author_erase", "POST", lambda w: f"/authors/{w.a.author.pk}/erase/", only(400, *OPS), data={},
      note="empty form"),
]

# Triage -------------------------------------------------------------------------------------------

# Case A (Libraries, a service conversation): those who see every case, and Libraries' staff.
CASE_A = dict(web=200, comms=200, admin=200, head=200, editor=200)
NOTE = {"note-text": "Looked at by the access test"}

TRIAGE = [
    E("triage_dashboard", "GET", "/dashboard/", EVERYONE),
    E("case_list", "GET", "/cases/", EVERYONE),
    E("case_updates", "GET", "/cases/updates/?since=0", EVERYONE),
    # Bulk actions reach only the cases one may see: case A is not on the customer service queue.
    E("case_bulk", "POST", "/cases/bulk/", expect("go", cllr=403, cso="kept", mo="kept"),
      data=lambda w: {"bulk-action": "acknowledge", "bulk-cases": [w.a.case.pk]}),
    E("case_detail", "GET", a("case", "/cases/{}/"), expect(404, **CASE_A)),
    E("case_detail", "GET", b("case", "/cases/{}/"), expect(404, web=200, comms=200, admin=200), note="B"),
    E("case_detail", "GET", lambda w: f"/cases/{w.cs_case.pk}/", expect(404, web=200, comms=200, admin=200, cso=200),
      note="customer service queue"),
    # The inbox's preview: without htmx it sends one on to the case page; a case out of scope is 404.
    E("case_preview", "GET", a("case", "/cases/{}/preview/"), expect(404, **{r: "go" for r in CASE_A})),
    E("case_preview", "GET", b("case", "/cases/{}/preview/"), expect(404, web="go", comms="go", admin="go"),
      note="B"),
    E("case_action", "POST", a("case", "/cases/{}/note/"), expect(404, **{r: "go" for r in CASE_A}), data=NOTE),
    E("case_action", "POST", b("case", "/cases/{}/note/"), expect(404, web="go", comms="go", admin="go"), data=NOTE,
      note="B"),
    E("case_action", "POST", lambda w: f"/cases/{w.cs_case.pk}/acknowledge/",
      expect(404, web="go", comms="go", admin="go", cso="go"),
      data=lambda w: {"acknowledge-version": w.cs_case.version}, note="customer service queue"),
    E("case_action", "POST", a("case", "/cases/{}/no-such-action/"), expect(404), data={}, note="unknown action"),
    E("foi_list", "GET", "/foi/", EVERYONE),
    E("moderation_log", "GET", "/moderation/", expect(200, cllr=403)),
    E("moderation_review", "POST", "/moderation/999999/review/", expect(404, cllr=403), data={}, note="no such record"),
    E("rule_list", "GET", "/rules/", only(200, *OPS)),
    E("rule_create", "GET", "/rules/add/", only(200, *OPS)),
    E("rule_create", "POST", "/rules/add/", only(400, *OPS), data={"name": ""}, note="empty form"),
    E("rule_edit", "GET", lambda w: f"/rules/{w.rule.pk}/", only(200, *OPS)),
    E("rule_edit", "POST", lambda w: f"/rules/{w.rule.pk}/", only(400, *OPS), data={"name": ""}, note="empty form"),
    E("canned_list", "GET", "/rules/replies/", only(200, *OPS)),
    E("triage_quality", "GET", "/triage/quality/", only(200, *OPS)),
    E("triage_labels_csv", "GET", "/triage/quality/labels.csv", only(200, *OPS)),
    E("triage_retrain", "POST", "/triage/quality/retrain/", only("kept", *OPS), data={},
      note="one is already waiting: asking twice trains once"),
    E("triage_retrain_run", "GET", lambda w: f"/triage/quality/retrain/{w.retrain_run.pk}/", only(200, *OPS)),
    E("triage_retrain_status", "GET", lambda w: f"/triage/quality/retrain/{w.retrain_run.pk}/status/",
      only("go", *OPS)),
    E("triage_rollback", "POST", "/triage/quality/rollback/", only("kept", *OPS), data={}, note="no version chosen"),
    E("canned_create", "GET", "/rules/replies/add/", only(200, *OPS)),
    E("canned_create", "POST", "/rules/replies/add/", only(400, *OPS), data={"title": ""}, note="empty form"),
    E("canned_edit", "GET", lambda w: f"/rules/replies/{w.canned.pk}/", only(200, *OPS)),
    E("canned_edit", "POST", lambda w: f"/rules/replies/{w.canned.pk}/", only(400, *OPS), data={"title": ""},
      note="empty form"),
]

# Policy, guidance and training ------------------------------------------------------------------

POLICY = [
    E("policy_list", "GET", "/policies/", EVERYONE),
    E("policy_compliance", "GET", "/policies/compliance/", only(200, "web", "admin", "mo", "head")),
    E("policy_document", "GET", "/policies/members-policy/", EVERYONE),
    # The members' policy is the councillors' to acknowledge; staff are told they need not.
    E("policy_acknowledge", "POST", "/policies/members-policy/acknowledge/", expect(200, cllr="go"),
      data={"version": "1", "confirm": "on"}),
    E("policy_version_create", "GET", "/policies/members-policy/versions/new/", only(200, "web", "admin", "mo")),
    E("policy_version_create", "POST", "/policies/members-policy/versions/new/", only(200, "web", "admin", "mo"),
      data={}, note="empty form"),
    E("policy_version", "GET", "/policies/members-policy/versions/1/", EVERYONE),
    E("guidance_index", "GET", "/guidance/", EVERYONE),
    E("training_mine", "GET", "/training/", EVERYONE),
    # The service editor's record (Libraries): themselves, those who see all training, Libraries' head.
    E("training_person", "GET", lambda w: f"/training/people/{w.a.post.author_id}/",
      only(200, "web", "admin", "mo", "head", "editor", no=404)),
    E("training_services", "GET", "/training/services/", only(200, "web", "admin", "mo", "head")),
    E("training_service", "GET", "/training/services/libraries/", only(200, "web", "admin", "mo", "head", no=404)),
    E("training_service", "GET", "/training/services/leisure/", only(200, "web", "admin", "mo", no=404), note="B"),
    E("training_record", "GET", "/training/record/", only(200, "web", "admin", "head")),
    E("training_record", "POST", "/training/record/", only(200, "web", "admin", "head"), data={},
      note="empty form"),
]

# Publishing -----------------------------------------------------------------------------------------

# Post A: drafted by Libraries' editor and submitted; seen by every channel-seer and Libraries' staff.
POST_A = dict(web=200, comms=200, admin=200, head=200, editor=200)
B_SEERS_KEPT = dict(web="kept", comms="kept", admin="kept")
AUTHORS = ("web", "comms", "head", "editor", "admin")

PUBLISHING = [
    E("post_list", "GET", "/posts/", only(200, *AUTHORS, "mo")),
    E("post_create", "GET", "/posts/new/", only(200, *AUTHORS)),
    E("post_create", "POST", "/posts/new/", only(200, *AUTHORS), data={}, note="empty form"),
    E("post_detail", "GET", a("post", "/posts/{}/"), expect(404, **POST_A)),
    E("post_detail", "GET", b("post", "/posts/{}/"), expect(404, web=200, comms=200, admin=200), note="B"),
    # A's post is submitted: its author, the central team and its approver (the head) may change it
    # (which sends it back); administrators work in admin.
    E("post_edit", "GET", a("post", "/posts/{}/edit/"), expect(404, **{**POST_A, "admin": 403})),
    E("post_edit", "POST", b("post", "/posts/{}/edit/"), expect(404, web=200, comms=200, admin=403), data={},
      note="B"),
    E("posts_approve", "POST", "/posts/approve/", only("kept", *AUTHORS, "mo"), data={}, note="none chosen"),
    E("channel_approval_chain", "GET", a("channel", "/channels/{}/approval-chain/"), expect(404, **SEES_A)),
    E("channel_approval_chain", "POST", a("channel", "/channels/{}/approval-chain/"),
      expect(404, **{**{r: 403 for r in SEES_A}, "web": 200, "admin": 200}), data={}, note="empty form"),
    E("channel_approval_stage_remove", "POST", a("channel", "/channels/{}/approval-chain/999999/remove/"),
      expect(404, **{**{r: 403 for r in SEES_A}, "web": 404, "admin": 404}), data={}, note="no such stage"),
    # Refusals on a post one may see are messages on the post's page ("kept"): B's post is submitted
    # already, not approved, and only its author refers it or retries it.
    E("post_submit", "POST", b("post", "/posts/{}/submit/"), expect(404, **B_SEERS_KEPT), data={}, note="B"),
    # A service channel's posts are approved by its head or the web team, never by their author.
    E("post_decide", "POST", a("post", "/posts/{}/decide/"),
      expect(404, web="go", head="go", comms="kept", editor="kept", admin="kept"),
      data={"decision-decision": "approve"}),
    E("post_decide", "POST", b("post", "/posts/{}/decide/"), expect(404, web="go", comms="kept", admin="kept"),
      data={"decision-decision": "approve"}, note="B"),
    E("post_refer", "POST", b("post", "/posts/{}/refer/"), expect(404, **B_SEERS_KEPT), data={}, note="B"),
    E("post_monitoring_officer", "POST", b("post", "/posts/{}/monitoring-officer/"), expect(404, **B_SEERS_KEPT),
      data={"mo-decision": "approve"}, note="B"),
    E("post_schedule", "POST", b("post", "/posts/{}/schedule/"), expect(404, **B_SEERS_KEPT), data={}, note="B"),
    # The web team and communications officers cancel any post; administrators work in admin.
    E("post_cancel", "POST", b("post", "/posts/{}/cancel/"), expect(404, web="go", comms="go", admin="kept"),
      data={}, note="B"),
    E("target_retry", "POST", lambda w: f"/posts/{w.b.post.pk}/channels/{w.b.post.targets.get().pk}/retry/",
      expect(404, **B_SEERS_KEPT), data={}, note="B"),
    E("target_mark_published", "POST",
      lambda w: f"/posts/{w.b.post.pk}/channels/{w.b.post.targets.get().pk}/found/",
      expect(404, **B_SEERS_KEPT), data={"url": "https://x.com/leisure/status/1"}, note="B"),
    E("emergency", "GET", "/emergency/", only(200, "web", "comms")),
    E("emergency", "POST", "/emergency/", only(200, "web", "comms"), data={}, note="empty form"),
    E("emergency_end", "POST", "/emergency/end/", only("kept", "web", "comms"), data={}, note="not on"),
    E("calendar_month", "GET", "/calendar/", only(200, *AUTHORS)),
    E("calendar_fortnight", "GET", "/calendar/fortnight/", only(200, *AUTHORS)),
    E("calendar_ics", "GET", "/calendar/plan.ics", only(200, *AUTHORS)),
    E("campaign_create", "GET", "/campaigns/new/", only(200, "web", "comms", "head")),
    E("campaign_create", "POST", "/campaigns/new/", only(200, "web", "comms", "head"), data={}, note="empty form"),
    E("campaign_detail", "GET", a("campaign", "/campaigns/{}/"), expect(404, **POST_A)),
    E("campaign_detail", "GET", b("campaign", "/campaigns/{}/"), expect(404, web=200, comms=200, admin=200),
      note="B"),
    E("alerts_subscribe", "GET", "/alerts/", expect(200, anon=200)),
    E("alerts_confirm", "GET", "/alerts/confirm/not-a-token/", expect(200, anon=200)),
    E("alerts_confirm", "POST", "/alerts/confirm/not-a-token/", expect(400, anon=400), data={}),
    E("alerts_unsubscribe", "GET", "/alerts/unsubscribe/not-a-token/", expect(200, anon=200)),
    E("alerts_unsubscribe", "POST", "/alerts/unsubscribe/not-a-token/", expect(400, anon=400), data={}),
    E("alerts_admin", "GET", "/alerts/subscribers/", only(200, "web")),
    E("alerts_export", "GET", "/alerts/subscribers/export.csv", only(200, "web")),
    E("alerts_erase", "POST", lambda w: f"/alerts/subscribers/{w.subscriber.pk}/erase/", only("go", "web"),
      data={"reason": "Asked by phone"}),
]

# Reports ----------------------------------------------------------------------------------------------

REPORTERS = ("web", "comms", "head", "editor", "admin")
RUN_A = dict(web=200, comms=200, admin=200, head=200, editor=200)

REPORTING = [
    E("report_home", "GET", "/reports/", only(200, *REPORTERS)),
    E("report_growth", "GET", "/reports/growth/", only(200, *REPORTERS)),
    E("report_mentions", "GET", "/reports/mentions/", only(200, *REPORTERS)),
    E("report_triage", "GET", "/reports/triage/", only(200, *REPORTERS)),
    E("report_publishing", "GET", "/reports/publishing/", only(200, *REPORTERS)),
    E("report_run_create", "POST", "/reports/committee/", only("kept", *REPORTERS), data={}, note="empty form"),
    E("report_run", "GET", a("report_run", "/reports/committee/{}/"), expect(404, **RUN_A)),
    E("report_run", "GET", b("report_run", "/reports/committee/{}/"), expect(404, web=200, comms=200, admin=200),
      note="B"),
    E("report_run_status", "GET", b("report_run", "/reports/committee/{}/status/"),
      expect(404, web="go", comms="go", admin="go"), note="B"),
    E("report_run_pdf", "GET", b("report_run", "/reports/committee/{}/pdf/"), expect(404), note="B, not ready"),
    E("report_run_csv", "GET", b("report_run", "/reports/committee/{}/csv/"), expect(404), note="B, not ready"),
]

# The API ----------------------------------------------------------------------------------------------
# Someone not signed in gets 403 (session authentication comes first and sends no challenge).


def api(default, **by_role):
    return expect(default, anon=403, **by_role)


def api_only(ok, *allowed, no=403, **by_role):
    return only(ok, *allowed, no=no, anon=403, **by_role)


API_EVERYONE = api(200)


def pub(default, **by_role):
    """Publishing's API: customer services and councillors do not use publishing (403 for any
    post or campaign); others get 404 for what they may not see."""
    return api(default, **{"cso": 403, "cllr": 403, **by_role})

CHANNEL = {"platform": "bluesky", "handle": "libraries.kingsmere.example", "display_name": "Libraries",
           "service": "libraries"}
RULE = {"name": "Matrix rule", "order": 500, "route": "no_action", "conditions": {"keywords_any": ["matrix"]}}
REQUEST = {"platform": "youtube", "kind": "service", "proposed_handle": "kingsmere_new", "proposed_display_name": "New",
           "audience": "Young people", "objectives": "Events", "why_own_account": "Video",
           "content_commitment": "Weekly", "out_of_hours": "Not monitored"}
CASE_A_OK = {r: 200 for r in CASE_A}

API = [
    E("api_schema", "GET", "/api/schema/", expect(200, anon=200)),
    E("api_docs", "GET", "/api/docs/", expect(200, anon=200)),
    E("api_status", "GET", "/api/status/", api_only(200, *OPS)),
    E("api_status_ping", "POST", "/api/status/ping/", api_only(202, *OPS), data={}),
    E("api_report_growth", "GET", "/api/reports/growth/", api_only(200, *REPORTERS)),
    E("api_report_volume", "GET", "/api/reports/volume/", api_only(200, *REPORTERS)),
    E("api_report_response_times", "GET", "/api/reports/response-times/", api_only(200, *REPORTERS)),
    E("api_report_foi", "GET", "/api/reports/foi/", api_only(200, *REPORTERS)),
    E("api_report_publishing", "GET", "/api/reports/publishing/", api_only(200, *REPORTERS)),
    E("api-root", "GET", "/api/", API_EVERYONE),
    E("channel-list", "GET", "/api/channels/", API_EVERYONE),
    E("channel-list", "POST", "/api/channels/", api_only(201, *OPS), data=CHANNEL),
    E("channel-detail", "GET", a("channel", "/api/channels/{}/"), api(404, **SEES_A)),
    E("channel-detail", "GET", b("channel", "/api/channels/{}/"), api(404, web=200, comms=200, admin=200), note="B"),
    E("channel-detail", "PATCH", a("channel", "/api/channels/{}/"),
      api(404, comms=403, **{r: 200 for r in EDITS_A}), data={"display_name": "Libraries (changed)"}),
    E("channel-detail", "PUT", b("channel", "/api/channels/{}/"), api(404, comms=403, web=200, admin=200),
      data={"platform": "mastodon", "handle": "@leisure@kingsmere.social", "display_name": "Leisure (changed)",
            "service": "leisure"},
      note="B"),
    E("mention-list", "GET", "/api/mentions/", API_EVERYONE),
    E("watchlist-list", "GET", "/api/watchlist/", api_only(200, "web", "comms", "admin")),
    E("watchlist-list", "POST", "/api/watchlist/", api_only(201, *OPS),
      data={"platform": "x", "handle": "@jo_gazette", "name": "Jo Reed", "kind": "journalist", "reason": "Reporter"}),
    E("watchlist-list", "POST", "/api/watchlist/", api_only(400, *OPS), data={"platform": "x"}, note="incomplete"),
    E("watchlist-detail", "GET", "/api/watchlist/999999/", api_only(404, "web", "comms", "admin"),
      note="no such entry"),
    E("watchlist-detail", "PATCH", "/api/watchlist/999999/", api_only(404, *OPS), data={"reason": "x"},
      note="no such entry"),
    E("watchlist-detail", "PUT", "/api/watchlist/999999/", api_only(405, *OPS), data={"reason": "x"},
      note="only PATCH changes an entry"),
    E("watchlist-detail", "DELETE", "/api/watchlist/999999/", api_only(404, *OPS), note="no such entry"),
    E("spike-list", "GET", "/api/spikes/", api_only(200, "web", "comms", "admin")),
    E("spike-detail", "GET", "/api/spikes/999999/", api_only(404, "web", "comms", "admin"), note="no such alert"),
    E("mention-detail", "GET", lambda w: f"/api/mentions/{w.a.mention.pk}/", api(404, **SEES_A)),
    E("mention-detail", "GET", lambda w: f"/api/mentions/{w.b.mention.pk}/", api(404, web=200, comms=200, admin=200),
      note="B"),
    E("case-list", "GET", "/api/cases/", API_EVERYONE),
    E("case-detail", "GET", a("case", "/api/cases/{}/"), api(404, **CASE_A_OK)),
    E("case-detail", "GET", b("case", "/api/cases/{}/"), api(404, web=200, comms=200, admin=200), note="B"),
    E("case-acknowledge", "POST", a("case", "/api/cases/{}/acknowledge/"), api(404, **CASE_A_OK), data={}),
    E("case-assign", "POST", b("case", "/api/cases/{}/assign/"), api(404, web=200, comms=200, admin=200),
      data={"assignee": "comms"}, note="B"),
    E("case-close", "POST", b("case", "/api/cases/{}/close/"), api(404, web=200, comms=200, admin=200), data={},
      note="B"),
    E("case-escalate", "POST", b("case", "/api/cases/{}/escalate/"), api(404, web=200, comms=200, admin=200),
      data={"reason": "Reputational"}, note="B"),
    E("case-hand-over", "POST", b("case", "/api/cases/{}/hand-over/"), api(404, web=200, comms=200, admin=200),
      data={"service": "libraries"}, note="B"),
    E("case-note", "POST", b("case", "/api/cases/{}/note/"), api(404, web=200, comms=200, admin=200),
      data={"text": "A note"}, note="B"),
    E("case-reopen", "POST", b("case", "/api/cases/{}/reopen/"), api(404, web=400, comms=400, admin=400), data={},
      note="B, not closed"),
    E("case-reply", "POST", b("case", "/api/cases/{}/reply/"), api(404, web=400, comms=400, admin=400), data={},
      note="B, no text"),
    E("case-moderate", "POST", b("case", "/api/cases/{}/moderate/"), api(404, web=400, comms=400, admin=400), data={},
      note="B, nothing chosen"),
    E("case-reply-decision", "POST", b("case", "/api/cases/{}/reply-decision/"),
      api(404, web=400, comms=400, admin=400), data={}, note="B, nothing chosen"),
    E("case-private", "POST", b("case", "/api/cases/{}/private/"), api(404, web=400, comms=400, admin=400), data={},
      note="B, no note"),
    E("case-reroute", "POST", b("case", "/api/cases/{}/reroute/"), api(404, web=200, comms=200, admin=200),
      data={"route": "web_team_response"}, note="B"),
    E("case-safeguarding", "POST", b("case", "/api/cases/{}/safeguarding/"), api(404, web=200, comms=200, admin=200),
      data={"safeguarding": True}, note="B"),
    E("rule-list", "GET", "/api/rules/", api(200, cllr=403)),
    E("rule-list", "POST", "/api/rules/", api_only(201, *OPS), data=RULE),
    E("rule-detail", "GET", lambda w: f"/api/rules/{w.rule.pk}/", api(200, cllr=403)),
    E("rule-detail", "PATCH", lambda w: f"/api/rules/{w.rule.pk}/", api_only(200, *OPS), data={"order": 11}),
    E("rule-detail", "PUT", lambda w: f"/api/rules/{w.rule.pk}/", api_only(200, *OPS), data=RULE),
    E("account-request-list", "GET", "/api/account-requests/", API_EVERYONE),
    E("account-request-list", "POST", "/api/account-requests/", api(201, cllr=403, mo=403),
      data=lambda w: {**REQUEST, "monitors": [w.a.post.author.username]}),
    E("account-request-detail", "GET", a("account_request", "/api/account-requests/{}/"),
      api(404, web=200, admin=200, head=200, editor=200)),
    E("account-request-detail", "GET", b("account_request", "/api/account-requests/{}/"),
      api(404, web=200, admin=200), note="B"),
    E("account-request-decide", "POST", a("account_request", "/api/account-requests/{}/decide/"),
      api(404, web=403, admin=403, head=200, editor=403), data={"outcome": "approved"}),
    E("account-request-resubmit", "POST", a("account_request", "/api/account-requests/{}/resubmit/"),
      api(404, web=403, admin=403, head=403, editor=400), data={}),
    E("policy-list", "GET", "/api/policies/", API_EVERYONE),
    E("policy-detail", "GET", "/api/policies/members-policy/", API_EVERYONE),
    E("policy-current", "GET", "/api/policies/members-policy/current/", API_EVERYONE),
    E("policy-acknowledge", "POST", "/api/policies/members-policy/acknowledge/", api(400, cllr=201), data={}),
    E("post-list", "GET", "/api/posts/", api_only(200, *AUTHORS, "mo")),
    E("post-list", "POST", "/api/posts/", api_only(201, *AUTHORS),
      data=lambda w: {"text": "Hello", "channels": [w.a.channel.pk], "service": "libraries"}),
    E("post-detail", "GET", a("post", "/api/posts/{}/"), pub(404, **POST_A)),
    E("post-detail", "GET", b("post", "/api/posts/{}/"), pub(404, web=200, comms=200, admin=200), note="B"),
    E("post-detail", "PATCH", a("post", "/api/posts/{}/"), pub(404, web=400, comms=400, head=400, editor=400,
                                                               admin=403), data={}, note="no version"),
    E("post-chain", "GET", a("post", "/api/posts/{}/chain/"), pub(404, **POST_A)),
    E("post-approve-bulk", "POST", "/api/posts/approve-bulk/", api_only(400, *AUTHORS, "mo"), data={}),
    E("post-approve", "POST", a("post", "/api/posts/{}/approve/"),
      pub(404, web=200, head=200, comms=403, editor=403, admin=403), data={}),
    E("post-request-changes", "POST", b("post", "/api/posts/{}/request-changes/"),
      pub(404, web=200, comms=403, admin=403), data={"comment": "Shorter"}, note="B"),
    E("post-schedule", "POST", b("post", "/api/posts/{}/schedule/"), pub(404, web=400, comms=400, admin=403),
      data={}, note="B, not approved"),
    E("post-cancel", "POST", b("post", "/api/posts/{}/cancel/"), pub(404, web=200, comms=200, admin=403), data={},
      note="B"),
    E("post-submit", "POST", b("post", "/api/posts/{}/submit/"), pub(404, web=400, comms=400, admin=403), data={},
      note="B, already submitted"),
    E("campaign-list", "GET", "/api/campaigns/", api_only(200, *AUTHORS, "mo")),
    E("campaign-list", "POST", "/api/campaigns/", api_only(201, "web", "comms", "head"),
      data={"name": "Summer reading", "service": "libraries", "start_date": "2030-06-01",
            "end_date": "2030-08-31"}),
    E("campaign-detail", "GET", a("campaign", "/api/campaigns/{}/"), pub(404, **POST_A)),
    E("campaign-detail", "GET", b("campaign", "/api/campaigns/{}/"), pub(404, web=200, comms=200, admin=200),
      note="B"),
]

ENTRIES = [*SIGN_IN, *ACCOUNTS, *MONITORING, *TRIAGE, *POLICY, *PUBLISHING, *REPORTING, *API]
