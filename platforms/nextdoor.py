"""Nextdoor for public agencies: publishing only.

Nextdoor lets a public agency (a council) post to every neighbourhood inside its agency boundary,
or to neighbourhoods it chooses, through the Publish API; it does not let an agency read residents'
neighbourhood feeds. So this client publishes and reads nothing: no endpoint is polled, and
`parse` reads only the Publish API's own responses.

  POST {base}/post/create  {"body_text", "hyperlink_url"?, "media_attachments"?: [url],
                            "neighborhood_ids"?: [id]}  → {"id", "share_link"}
        without neighborhood_ids the post goes to the whole agency boundary.
  GET  {base}/me           the agency's profile (id, name).

Credentials.extra["neighborhood_ids"] (set on the channel's connection) chooses neighbourhoods;
empty means the agency boundary. OAuth 2.0: auth.nextdoor.com/v3/authorize and /v3/token with the
"openid publish_api" scopes; the refresh token renews the access token.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from . import helpers
from .base import (
    AuthError,
    Credentials,
    InvalidRequest,
    Item,
    MalformedPayload,
    Metrics,
    NotSupported,
    Page,
    PlatformClient,
    PlatformError,
    Published,
)

READ_REFUSED = ("Nextdoor does not let public agencies read residents' neighbourhood feeds: the council can "
                "publish there, but nothing is heard from Nextdoor.")


class NextdoorClient(PlatformClient):
    platform = "nextdoor"
    endpoints = ()  # nothing to poll: agencies cannot read neighbourhood feeds
    max_text_length = 8192
    default_base_url = "https://nextdoor.com/external/api/partner/v1"
    default_authorize_url = "https://auth.nextdoor.com/v3/authorize"
    default_token_url = "https://auth.nextdoor.com/v3/token"
    default_scopes = ("openid", "publish_api")

    def send(self, method: str, path_or_url: str, **kwargs):
        headers = kwargs.pop("headers", None) or {}
        if self.credentials.access_token:
            headers.setdefault("Authorization", f"Bearer {self.credentials.access_token}")
        return super().send(method, path_or_url, headers=headers, **kwargs)

    def error_from(self, response, body: Any) -> PlatformError | None:
        if response.status_code == 403 and isinstance(body, dict):
            return AuthError(f"nextdoor: {body.get('error_description') or body.get('error') or 'forbidden'}",
                             status=403, body=response.text)
        if response.status_code < 400 and isinstance(body, dict) and body.get("error"):
            return InvalidRequest(f"nextdoor: {body.get('error_description') or body['error']}", body=response.text)
        return None

    # --- reading: none ------------------------------------------------------------------

    def fetch(self, endpoint: str, cursor: str | None, *, watch_terms: Iterable[str] = ()) -> Page:
        raise NotSupported(READ_REFUSED)

    def parse(self, body: Any, *, endpoint: str | None = None) -> list[Item]:
        """Only the Publish API's answers are understood: they hold no item to monitor."""
        if isinstance(body, dict) and ("error" in body or "errors" in body):
            message = body.get("error_description") or body.get("error") or body.get("errors")
            raise InvalidRequest(f"nextdoor: {message}")
        if isinstance(body, dict) and ("id" in body or "share_link" in body):
            return []
        raise MalformedPayload("nextdoor: not a Publish API response", body=str(body)[:2000])

    # --- writing ------------------------------------------------------------------------

    def publish(self, text: str, *, link: str = "", images: Iterable[tuple[str, str]] = ()) -> Published:
        data: dict[str, Any] = {"body_text": text}
        if link:
            data["hyperlink_url"] = link
        urls = [url for url, _ in images]
        if urls:
            data["media_attachments"] = urls
        chosen = [str(n) for n in self.credentials.extra.get("neighborhood_ids") or []]
        if chosen:
            data["neighborhood_ids"] = chosen
        body, _ = self.send("POST", "/post/create", json=data)
        if not isinstance(body, dict) or not body.get("id"):
            raise MalformedPayload("nextdoor: post/create answer without id", body=str(body)[:2000])
        return Published(external_id=str(body["id"]), url=str(body.get("share_link") or ""), raw=body)

    def reply(self, in_reply_to: str, text: str) -> Published:
        raise NotSupported("Nextdoor: the council cannot read residents' posts, so it cannot reply to them here")

    def metrics(self) -> Metrics:
        return Metrics()

    # --- OAuth --------------------------------------------------------------------------

    def authorise_url(self, *, redirect_uri: str, state: str) -> str:
        return helpers.oauth_authorise_url(self, redirect_uri=redirect_uri, state=state,
                                           scopes=self.app.scopes or self.default_scopes)

    def exchange_code(self, *, code: str, redirect_uri: str, state: str = "") -> Credentials:
        token = helpers.oauth_token(self, code=code, redirect_uri=redirect_uri)
        self.credentials = helpers.credentials_from_token(token, self.credentials)
        body, _ = self.send("GET", "/me")
        if isinstance(body, dict) and body.get("id"):
            self.credentials.account_id = str(body["id"])
            self.credentials.handle = self.credentials.handle or str(body.get("name") or "")
        return self.credentials

    def refresh(self) -> Credentials:
        if not self.credentials.refresh_token:
            raise AuthError("nextdoor: no refresh token; re-authorise the channel")
        token = helpers.oauth_token(self, refresh_token=self.credentials.refresh_token)
        self.credentials = helpers.credentials_from_token(token, self.credentials)
        return self.credentials
