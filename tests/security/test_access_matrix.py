"""Every URL and API endpoint against every role and someone not signed in, from the table
in tests/security/matrix.py; and the table must cover every URL the site has."""
import re
from contextlib import contextmanager
from http.cookies import SimpleCookie

import pytest
from django.apps import apps
from django.db import connection, transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from accounts.roles import Role

from .matrix import ANON, ENTRIES, ROLES, Entry

pytestmark = pytest.mark.django_db

# Sign-in bookkeeping, written whoever makes a request: not state the request changed.
VOLATILE = ("django_session", "axes_")
WRITE = re.compile(r'\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM|REPLACE\s+INTO)\s+"?(\w+)', re.I)


def _pg_rows_written() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT relname, n_tup_ins + n_tup_upd + n_tup_del FROM pg_stat_xact_user_tables")
        return dict(cursor.fetchall())


@contextmanager
def watch_writes():
    """The tables in which rows were written inside the block (sessions and sign-in records
    aside): from PostgreSQL's own statistics of the transaction, which see every write; on
    SQLite, from the statements: every INSERT (whose row count SQLite gives only after its
    RETURNING rows are read), and each UPDATE and DELETE that changed a row."""
    written: set[str] = set()
    if connection.vendor == "postgresql":
        before = _pg_rows_written()
        yield written
        after = _pg_rows_written()
        written.update(t for t, n in after.items() if n != before.get(t, 0) and not t.startswith(VOLATILE))
        return

    def wrapper(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        match = WRITE.match(sql)
        inserted = sql.lstrip()[:6].upper() in ("INSERT", "REPLACE")
        if match and (inserted or context["cursor"].rowcount) and not match.group(1).startswith(VOLATILE):
            written.add(match.group(1))
        return result

    with connection.execute_wrapper(wrapper):
        yield written


def table_digest(table: str) -> str:
    import hashlib

    with connection.cursor() as cursor:
        cursor.execute(f'SELECT * FROM "{table}"')
        rows = sorted(repr(row) for row in cursor.fetchall())
    return hashlib.sha256("\n".join(rows).encode()).hexdigest()


def net_changes(make_request):
    """(response, tables whose rows differ afterwards): a write the request undid itself (a
    service that wrote, then refused and rolled back) is no change. The request runs once to
    see where it writes, then again between snapshots of those tables; both runs are rolled
    back."""
    with transaction.atomic():
        with watch_writes() as written:
            response = make_request()
        transaction.set_rollback(True)
    if not written:
        return response, set()
    with transaction.atomic():
        before = {table: table_digest(table) for table in written}
        response = make_request()
        changed = {table for table in written if table_digest(table) != before[table]}
        transaction.set_rollback(True)
    return response, changed


def outcome(response, changed: bool, method: str):
    if response.status_code == 302:
        location = response["Location"]
        if location.startswith("/sign-in/?next="):
            return "signin"
        if location.startswith("/admin/login/"):
            return "admin-signin"
        return "kept" if method != "GET" and not changed else "go"
    return response.status_code


def request(client: Client, entry: Entry, world):
    url = entry.url(world)
    data = entry.data(world) if callable(entry.data) else entry.data
    method = getattr(client, entry.method.lower())
    if entry.api and entry.method != "GET":
        return method(url, data or {}, content_type="application/json")
    return method(url, data) if data is not None else method(url)


def run(client, entry, world):
    """Make the request in a transaction that is rolled back, so each role meets the same world.
    Returns the outcome and whether the database changed."""
    cookies = SimpleCookie(client.cookies)
    with transaction.atomic():
        with watch_writes() as written:
            response = request(client, entry, world)
        transaction.set_rollback(True)
    changed = bool(written)
    client.cookies = cookies  # signing out changed the session cookie
    return outcome(response, changed, entry.method), changed, response


@pytest.fixture
def clients(staff, client_for):
    out = {role: client_for(staff[role]) for role in Role}
    out[ANON] = Client()
    return out


@pytest.mark.parametrize("role", ROLES)
def test_every_url_allows_or_refuses_as_specified(role, world, clients):
    client = clients[role]
    wrong = []
    for entry in ENTRIES:
        expected = entry.outcomes[role]
        got, changed, response = run(client, entry, world)
        if got != expected:
            body = response.content[:300].decode(errors="replace") if response.status_code in (400, 403) else ""
            wrong.append(f"{entry.id()} {entry.url(world)}: expected {expected}, got {got} {body}".strip())
        elif got in (403, 404, "signin", 405) and changed:
            wrong.append(f"{entry.id()}: refused with {got} but the database changed")
    assert not wrong, f"{role}:\n" + "\n".join(wrong)


# --- the table covers every URL ------------------------------------------------------------------


def url_patterns(patterns=None, prefix="", namespace=""):
    """(route, name, callback) of every URL the site has, as the root URLconf declares them."""
    for p in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(p, URLResolver):
            yield from url_patterns(p.url_patterns, prefix + str(p.pattern), p.namespace or namespace)
        elif isinstance(p, URLPattern):
            name = f"{namespace}:{p.name}" if namespace and p.name else p.name
            yield prefix + str(p.pattern), name, p.callback


def api_methods(callback) -> set[str]:
    """The HTTP methods an API view answers (a router's viewset actions, or an APIView's handlers)."""
    if getattr(callback, "actions", None):
        return {method.upper() for method in callback.actions} - {"HEAD", "OPTIONS"}  # HEAD is GET's
    cls = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    return {m.upper() for m in ("get", "post", "put", "patch", "delete") if hasattr(cls, m)}


SITE = [(route, name, callback) for route, name, callback in url_patterns() if not route.startswith("admin/")]


def test_every_url_of_the_site_is_in_the_table():
    covered = {(e.name, e.method) for e in ENTRIES}
    names = {e.name for e in ENTRIES}
    missing = []
    for route, name, callback in SITE:
        if name is None:
            missing.append(f"{route}: give the URL a name and add it to tests/security/matrix.py")
        elif route.startswith("api/"):
            missing += [f"{method} {route} ({name})" for method in sorted(api_methods(callback))
                        if (name, method) not in covered]
        elif name not in names:
            missing.append(f"{route} ({name})")
    assert not missing, "URLs with no entry in the access matrix (tests/security/matrix.py):\n" + "\n".join(missing)
    stale = names - {name for _, name, _ in SITE}
    assert not stale, f"entries for URLs that no longer exist: {stale}"


def test_each_entry_asks_for_the_url_it_names(world):
    from django.urls import resolve

    wrong = []
    for entry in ENTRIES:
        match = resolve(entry.url(world).split("?")[0])
        if match.url_name != entry.name:
            wrong.append(f"{entry.id()}: {entry.url(world)} is {match.url_name}")
        assert set(entry.outcomes) == set(ROLES), entry.id()
    assert not wrong


# --- Django admin: only administrators, and only what each model's admin allows -------------------

ADMIN = [(route, name, callback) for route, name, callback in url_patterns() if route.startswith("admin/")]


def admin_model(route):
    """The model an admin URL is about: admin/<app_label>/<model_name>/…"""
    from django.contrib import admin as django_admin

    parts = route.split("/")
    if len(parts) > 2 and not parts[1].startswith(("^", "(")):
        try:
            model = apps.get_model(parts[1], parts[2])
        except LookupError:
            return None, None
        return model, django_admin.site._registry.get(model)
    return None, None


def admin_case(route, name, admin_user):
    """The concrete URL of an admin route, and what an administrator must get there."""
    from django.contrib.contenttypes.models import ContentType
    from django.test import RequestFactory

    from accounts.models import Channel

    request = RequestFactory().get("/admin/")
    request.user = admin_user
    model, model_admin = admin_model(route)
    short = (name or "").removeprefix("admin:")
    if model is not None:
        obj = model._default_manager.order_by("pk").first()
        pk = str(obj.pk) if obj is not None else "0"
        url = "/" + route.replace("<path:object_id>", pk).replace("<int:pk>", pk).replace("<id>", pk)
        if name is None:  # <object_id>/ redirects to the change page
            return url, "go"
        if short.endswith(("_config", "_qrcode")):  # an authenticator's secret: never shown, even here
            return url, 403
        if short.endswith("_changelist"):
            return url, 200 if model_admin.has_view_or_change_permission(request) else 403
        if short.endswith("_add"):
            return url, 200 if model_admin.has_add_permission(request) else 403
        if short.endswith("_delete"):
            allowed = model_admin.has_delete_permission(request, obj)
            return url, (200 if obj is not None else "go") if allowed else 403
        if obj is None:  # admin sends you back to its index for an id it does not know
            return url, "go"
        if short.endswith("_change") or short.endswith("_history") or short == "auth_user_password_change":
            return url, 200 if model_admin.has_view_or_change_permission(request, obj) else 403
        return url, 200
    channel = Channel.objects.order_by("pk").first()
    special = {
        "admin:index": ("/admin/", 200), "admin:login": ("/admin/login/", "go"),
        "admin:logout": ("/admin/logout/", 405), "admin:password_change": ("/admin/password_change/", 200),
        "admin:password_change_done": ("/admin/password_change/done/", 200),
        "admin:autocomplete": ("/admin/autocomplete/", 403), "admin:jsi18n": ("/admin/jsi18n/", 200),
        "admin:view_on_site": (f"/admin/r/{ContentType.objects.get_for_model(Channel).pk}/{channel.pk}/", "go"),
        "admin:app_list": ("/admin/accounts/", 200),
    }
    if name in special:
        return special[name]
    if route.endswith("(?P<url>.*)$"):
        return "/admin/no-such-page/", 404
    raise AssertionError(f"an admin URL the test does not know how to ask for: {route} ({name})")


@pytest.mark.parametrize("role", ROLES)
def test_admin_is_for_administrators_only(role, world, staff, clients):
    """Everyone else is sent to admin's sign-in (its sign-in page itself shows; signing out goes to
    admin's index first)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.create(user=staff[Role.COUNCILLOR], name="phone", confirmed=False)  # for its admin pages
    client = clients[role]
    wrong = []
    for route, name, _ in ADMIN:
        url, for_admin = admin_case(route, name, staff[Role.ADMINISTRATOR])
        if role == Role.ADMINISTRATOR:
            expected = for_admin
        else:
            expected = {"admin:login": 200, "admin:logout": "go"}.get(name, "admin-signin")
        got, changed, response = run(client, Entry(name or route, "GET", lambda w, u=url: u, {}), world)
        if got != expected:
            wrong.append(f"{url} ({name}): expected {expected}, got {got}")
    assert not wrong, f"{role}:\n" + "\n".join(wrong)


def test_the_audit_trail_cannot_be_changed_in_admin(world, staff, clients):
    from accounts.models import AuditEvent

    event = AuditEvent.objects.order_by("pk").first()
    client = clients[Role.ADMINISTRATOR]
    for url, data in [("/admin/accounts/auditevent/add/", {"action": "forged"}),
                      (f"/admin/accounts/auditevent/{event.pk}/change/", {"action": "forged"}),
                      (f"/admin/accounts/auditevent/{event.pk}/delete/", {"post": "yes"})]:
        assert client.post(url, data).status_code == 403, url
    changelist = client.post("/admin/accounts/auditevent/", {"action": "delete_selected", "_selected_action": [event.pk]})
    assert changelist.status_code in (200, 302)
    assert AuditEvent.objects.filter(pk=event.pk, action=event.action).exists()


# --- CSRF: a signed-in session's POSTs need the form's token -------------------------------------

# RFC 8058 one-click unsubscribe: mail clients POST with no session and no form token.
CSRF_EXEMPT = {"alerts_unsubscribe"}


def test_every_post_needs_the_csrf_token(world, staff):
    """As the web team (who may make most changes), every state-changing request of the table
    made without the CSRF token is refused with 403 and changes nothing, pages and API alike
    (the API's session authentication checks it too; token authentication has no session)."""
    from accounts import mfa

    client = Client(enforce_csrf_checks=True)
    client.force_login(staff[Role.WEB_TEAM])
    session = client.session
    session[mfa.SESSION_KEY] = {"user": staff[Role.WEB_TEAM].pk, "method": "test"}
    session.save()
    wrong = []
    for entry in ENTRIES:
        if entry.method == "GET" or entry.name in CSRF_EXEMPT:
            continue
        got, changed, _ = run(client, entry, world)
        if got != 403 or changed:
            wrong.append(f"{entry.id()}: {got}{' and the database changed' if changed else ''}")
    assert not wrong, "\n".join(wrong)


# --- rules first, then input ----------------------------------------------------------------------

REFUSED = (403, 404, "signin", "admin-signin")


@pytest.mark.parametrize("role", ROLES)
def test_the_role_and_scope_are_checked_before_the_input(role, world, clients):
    """Every write a role is refused with a valid body is refused the same way with an empty or
    a nonsensical one: the refusal does not depend on the input, so it cannot reveal anything
    about it (a councillor posting an empty account request gets 403, not field errors)."""
    client = clients[role]
    wrong = []
    for entry in ENTRIES:
        expected = entry.outcomes[role]
        if entry.method == "GET" or expected not in REFUSED:
            continue
        for body in ({}, {"platform": "myspace", "outcome": "nonsense", "version": "x"}):
            bare = Entry(entry.name, entry.method, entry.url, entry.outcomes, body, entry.note)
            got, changed, response = run(client, bare, world)
            if got != expected or changed:
                wrong.append(f"{entry.id()} {entry.url(world)} with {body}: expected {expected}, got {got}"
                             f"{' and the database changed' if changed else ''} "
                             f"{response.content[:200].decode(errors='replace') if got == 400 else ''}".strip())
    assert not wrong, f"{role}:\n" + "\n".join(wrong)
