"""Nextdoor for public agencies: the Publish API (POST /external/api/partner/v1/post/create,
GET /external/api/partner/v1/me) and OAuth (auth.nextdoor.com/v3/authorize, /v3/token).

Residents' neighbourhood posts exist here (generated like any platform's) but, as on Nextdoor,
no endpoint lets an agency read them."""
from __future__ import annotations

from . import oauth
from . import state as st
from .core import PlatformSim, Response, digest, route
from .ratelimit import Bucket

BASE = "/external/api/partner/v1"
NEIGHBOURHOODS = {"nh-101": "Elm Grove", "nh-102": "Kingsmere Old Town", "nh-103": "Riverside"}
ACCESS_LIFETIME = 3600
REFRESH_LIFETIME = 90 * 86400


class NextdoorSim(PlatformSim):
    name = "nextdoor"
    max_text = 8192
    default_account = {"id": "agency-4401", "handle": "kingsmere-borough-council", "name": "Kingsmere Borough Council",
                       "followers": 31000}
    buckets = {"publish": Bucket("publish", 100, 3600)}
    generated_kinds = (st.KIND_MENTION,)

    def make_author(self, persona):
        return st.Account(self.name, f"nd-{persona.key}", persona.handle.lower(), persona.name)

    def add_item(self, account_id, kind, text, author, created_at, in_reply_to="", **engagement):
        account = self.council(account_id)
        order, created_at = self.state.new_order(self.name, created_at)
        post = st.Post(self.name, f"nd-post-{order}", order, account.id, kind, text, author, created_at)
        return self.state.add_post(post, ["neighbourhoods"])  # never served to an agency

    def publish(self, account_id, text, created_at, in_reply_to="", seeded=False, **extra):
        account = self.council(account_id)
        order, created_at = self.state.new_order(self.name, created_at)
        post = st.Post(self.name, str(7_000_000_000 + order % 10**9), order, account.id, st.KIND_POST, text, account,
                       created_at, extra=extra)
        post.own = True
        self.state.add_post(post, [f"own:{account.id}"])
        if not seeded:
            self.state.record_created(post, "post", **extra)
        return post

    def auth_error(self, req, reason):
        return Response.json({"error": "invalid_token", "error_description": f"The access token is {reason}"}, 401)

    @route("POST", BASE + "/post/create", buckets=(("publish", 1),))
    def post_create(self, req):
        body = req.json() if req.body else {}
        if not isinstance(body, dict) or not str(body.get("body_text") or "").strip():
            return Response.json({"error": "invalid_request", "error_description": "body_text is required"}, 400)
        text = str(body["body_text"])
        if len(text) > self.max_text:
            return Response.json({"error": "invalid_request", "error_description": "body_text is too long"}, 400)
        chosen = body.get("neighborhood_ids") or []
        unknown = [n for n in chosen if n not in NEIGHBOURHOODS]
        if unknown:
            return Response.json({"error": "invalid_request",
                                  "error_description": f"not in the agency boundary: {', '.join(map(str, unknown))}"},
                                 400)
        post = self.publish(req.token.account_id, text, self.state.now(),
                            audience=chosen or "agency_boundary", media=body.get("media_attachments") or [],
                            link=body.get("hyperlink_url") or "")
        return Response.json({"id": post.id, "share_link": f"https://nextdoor.com/p/{digest(post.id, length=12)}"})

    @route("GET", BASE + "/me")
    def me(self, req):
        account = self.council(req.token.account_id)
        return Response.json({"id": account.id, "name": account.name, "type": "public_agency",
                              "neighborhoods": [{"id": k, "name": v} for k, v in NEIGHBOURHOODS.items()]})

    @route("GET", "/v3/authorize", auth=False)
    def authorize(self, req):
        return oauth.authorise(self, req, label="Nextdoor")

    @route("POST", "/v3/token", auth=False)
    def token(self, req):
        client_id, _ = oauth.client_credentials(req)
        grant_type = req.arg("grant_type")
        if grant_type == "authorization_code":
            grant = oauth.redeem(self, req.arg("code"), req.arg("redirect_uri"), None)
            if isinstance(grant, str):
                return Response.json({"error": grant}, 400)
            access, refresh = oauth.issue(self, grant.account_id, client_id=client_id or grant.client_id,
                                          scope=grant.scope, expires_in=ACCESS_LIFETIME,
                                          refresh_expires_in=REFRESH_LIFETIME)
        elif grant_type == "refresh_token":
            old = oauth.refresh_grant(self, req.arg("refresh_token"))
            if old is None:
                return Response.json({"error": "invalid_grant"}, 400)
            access, refresh = oauth.issue(self, old.account_id, client_id=old.client_id, scope=old.scope,
                                          expires_in=ACCESS_LIFETIME, refresh_expires_in=REFRESH_LIFETIME)
        else:
            return Response.json({"error": "unsupported_grant_type"}, 400)
        return Response.json({"access_token": access.value, "token_type": "Bearer", "expires_in": ACCESS_LIFETIME,
                              "refresh_token": refresh.value, "scope": access.scope})
