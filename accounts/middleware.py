"""Multi-factor sign-in is enforced here, for every signed-in session however it began
(the sign-in page, admin's sign-in, single sign-on or anything added later): until
accounts.mfa has marked the session verified, someone who must or chose to use MFA reaches
only the MFA pages and sign-out. API requests made with the session get 403; token
authentication carries no session and is not affected.
"""
import re
from urllib.parse import urlencode

from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse

from . import mfa

# Views an unverified session may use: the MFA steps themselves, sign-out, and single sign-on
# (whose identity provider may vouch for MFA).
EXEMPT_VIEWS = {
    "mfa_verify", "mfa_setup", "logout", "oidc_authentication_init", "oidc_authentication_callback", "healthz",
}


class MFARequiredMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not request.user.is_authenticated or request.resolver_match.view_name in EXEMPT_VIEWS:
            return None
        step = mfa.session_next_step(request)
        if step is None:
            return None
        if request.path_info.startswith("/api/"):
            return JsonResponse({"detail": "Finish multi-factor sign-in first."}, status=403)
        target = reverse("mfa_verify" if step == mfa.VERIFY else "mfa_setup")
        if request.headers.get("HX-Request"):
            return HttpResponse(status=204, headers={"HX-Redirect": target})
        if request.method == "GET":
            target += "?" + urlencode({"next": request.get_full_path()})
        return redirect(target)


class NullCharacterMiddleware:
    """A null character in the address is refused with 400 before any view reads it: no page or
    API means one, and PostgreSQL cannot compare text with it (it was a 500). Searches (`q`) are
    the exception: mention text may hold one and can be searched for it, and the other searches
    find nothing."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path or any("\x00" in k or (k != "q" and "\x00" in v)
                                          for k, values in request.GET.lists() for v in values):
            message = "The address contains a null character."
            if request.path_info.startswith("/api/"):
                return JsonResponse({"detail": message}, status=400)
            return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")
        return self.get_response(request)


JSON_MAX_DEPTH = 64
_JSON_SPECIAL = re.compile(rb'[\[\]{}"\\]')


def json_depth(body: bytes) -> int:
    """How deeply a JSON text nests arrays and objects, without parsing it (and so without the
    recursion a parser would need): brackets inside strings do not count."""
    depth = deepest = 0
    in_string = False
    escaped_at = -1
    for match in _JSON_SPECIAL.finditer(body):
        pos, char = match.start(), match.group()
        if pos == escaped_at:
            continue
        if in_string:
            if char == b"\\":
                escaped_at = pos + 1
            elif char == b'"':
                in_string = False
        elif char == b'"':
            in_string = True
        elif char in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
        elif char in (b"]", b"}"):
            depth -= 1
    return deepest


class JSONDepthMiddleware:
    """A JSON body nested more than JSON_MAX_DEPTH deep is refused with 400 before anything else
    reads it: 50,000 levels made the parser recurse until Python's limit (a 500 from the CSRF
    check). No form or API of the product nests more than a few levels."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method in ("POST", "PUT", "PATCH", "DELETE") and "json" in request.content_type:
            if json_depth(request.body) > JSON_MAX_DEPTH:
                message = f"The JSON body nests more than {JSON_MAX_DEPTH} levels deep."
                if request.path_info.startswith("/api/"):
                    return JsonResponse({"detail": message}, status=400)
                return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")
        return self.get_response(request)


class NoStoreMiddleware:
    """Every answer to someone signed in (a session or an API token), pages and exports alike,
    is `Cache-Control: no-store`: no browser, proxy or shared computer keeps a copy of personal
    data. Public pages (sign-in, residents' alerts, static files) may be cached as before."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            response["Cache-Control"] = "no-store, private"
            response["Pragma"] = "no-cache"
        return response
