"""The OAuth 2 provider every platform's connect flow uses: the consent page, codes
(with PKCE where the platform uses it), and access / refresh tokens.

The consent page redirects straight back with ?code=&state= when the simulator runs
with auto_approve (tests) or the URL carries auto_approve=1; otherwise it shows an
"Allow" form (the demo). Any client id and secret are accepted.
"""
from __future__ import annotations

import base64
import hashlib
import html
from urllib.parse import unquote

from . import state as st
from .core import PlatformSim, Request, Response, random_token, with_query

CODE_LIFETIME = 600.0

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Authorise {app} - {platform} (simulator)</title>
<style>body{{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem}}
button{{font-size:1rem;padding:.5rem 1.5rem;margin-right:.5rem}}</style></head>
<body><h1>{platform}</h1>
<p><strong>{app}</strong> would like to access the account below.</p>
<p>Permissions: {scope}</p>
<form method="get" action="">{hidden}
<p><label>Sign in as account id <input name="account" value="{account}"></label></p>
<button name="approve" value="1" type="submit">Allow</button>
<button name="approve" value="0" type="submit">Cancel</button>
</form><p><small>Council Social platform simulator: no real account is involved.</small></p>
</body></html>"""


def redirect_with(redirect_uri: str, params: dict) -> Response:
    joiner = "&" if "?" in redirect_uri else "?"
    url = with_query("", params)
    return Response.redirect(redirect_uri + (joiner + url[1:] if url else ""))


def authorise(sim: PlatformSim, req: Request, *, require_pkce: bool = False, label: str = "") -> Response:
    """The consent page of `sim`'s authorise URL."""
    client_id = req.arg("client_id") or ""
    redirect_uri = req.arg("redirect_uri") or ""
    state_value = req.arg("state")
    if not client_id or not redirect_uri:
        return Response.html("<h1>Invalid request</h1><p>client_id and redirect_uri are required.</p>", 400)
    challenge = req.arg("code_challenge") or ""
    if require_pkce and not challenge:
        return Response.html("<h1>Something went wrong</h1><p>code_challenge is required (PKCE).</p>", 400)
    approve = req.arg("approve")
    if approve == "0":
        return redirect_with(redirect_uri, {"error": "access_denied",
                                            "error_description": "The user denied the request",
                                            "state": state_value})
    auto = sim.sim.auto_approve or (req.arg("auto_approve") or "").lower() in ("1", "true", "yes")
    if approve != "1" and not auto:
        hidden = "".join(
            f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v[0])}">'
            for k, v in req.query.items() if k not in ("approve", "account")
        )
        page = PAGE.format(platform=html.escape(label or sim.name), app=html.escape(client_id),
                           scope=html.escape(req.arg("scope") or "(default)"), hidden=hidden,
                           account=html.escape(sim.default_account["id"]))
        return Response.html(page)
    account = sim.council(req.arg("account") or None)
    code = random_token(nbytes=24)
    sim.state.grants[code] = st.Grant(
        platform=sim.name, client_id=client_id, redirect_uri=redirect_uri, account_id=account.id,
        scope=(req.arg("scope") or "").replace(",", " "), challenge=challenge,
        challenge_method=req.arg("code_challenge_method") or ("plain" if challenge else ""),
        expires_at=sim.state.now() + CODE_LIFETIME, params={k: v[0] for k, v in req.query.items()},
    )
    return redirect_with(redirect_uri, {"code": code, "state": state_value})


def redeem(sim: PlatformSim, code: str | None, redirect_uri: str | None, verifier: str | None) -> st.Grant | str:
    """The grant behind an authorisation code, or an OAuth error code."""
    grant = sim.state.grants.get(code or "")
    if grant is None or grant.platform != sim.name or grant.used or grant.expires_at < sim.state.now():
        return "invalid_grant"
    if redirect_uri is not None and redirect_uri != grant.redirect_uri:
        return "invalid_grant"
    if grant.challenge:
        if not verifier:
            return "invalid_request"
        if grant.challenge_method.upper() == "S256":
            made = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
        else:
            made = verifier
        if made != grant.challenge:
            return "invalid_grant"
    grant.used = True
    return grant


def issue(sim: PlatformSim, account_id: str, *, client_id: str = "", scope: str = "",
          expires_in: float | None = None, refresh: bool = True, refresh_expires_in: float | None = None,
          access_prefix: str = "", refresh_prefix: str = "", app_only: bool = False,
          access_value: str | None = None, refresh_value: str | None = None) -> tuple[st.Token, st.Token | None]:
    """A new access token (and refresh token) for an account."""
    now = sim.state.now()
    access = st.Token(access_value or random_token(access_prefix), sim.name, account_id, client_id=client_id,
                      scope=scope, expires_at=now + expires_in if expires_in else None, app_only=app_only)
    sim.state.tokens[access.value] = access
    refresh_token = None
    if refresh:
        refresh_token = st.Token(refresh_value or random_token(refresh_prefix), sim.name, account_id,
                                 kind="refresh", client_id=client_id, scope=scope,
                                 expires_at=now + refresh_expires_in if refresh_expires_in else None)
        sim.state.tokens[refresh_token.value] = refresh_token
        access.partner = refresh_token.value
        refresh_token.partner = access.value
    return access, refresh_token


def refresh_grant(sim: PlatformSim, value: str | None) -> st.Token | None:
    """The live refresh token `value`, or None if it is unknown, revoked or expired."""
    token = sim.state.tokens.get(value or "")
    if token is None or token.platform != sim.name or token.kind != "refresh" or token.revoked:
        return None
    if token.expires_at is not None and token.expires_at <= sim.state.now():
        return None
    return token


def revoke(sim: PlatformSim, value: str) -> bool:
    """Revoke a token and the one issued with it."""
    token = sim.state.tokens.get(value)
    if token is None or token.platform != sim.name:
        return False
    token.revoked = True
    partner = sim.state.tokens.get(token.partner)
    if partner is not None:
        partner.revoked = True
    return True


def client_credentials(req: Request) -> tuple[str, str]:
    """(client_id, client_secret) from HTTP Basic auth or the request's parameters."""
    header = req.headers.get("Authorization") or ""
    if header.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(header[6:].strip()).decode()
            client_id, _, secret = decoded.partition(":")
            return unquote(client_id), unquote(secret)
        except ValueError:
            pass
    return req.arg("client_id") or "", req.arg("client_secret") or ""
