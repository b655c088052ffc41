"""A small, real OpenID Connect provider for the tests, standing in for the council's (Entra ID).

It serves discovery, authorize (consents at once and sends the browser back with a code),
token (an RS256-signed ID token), userinfo and JWKS over HTTP on 127.0.0.1, in a thread.
Set `person` to the claims of whoever signs in next; `id_token_claims` and `signing_key`
make the next ID tokens wrong in the ways a test needs.
"""
import base64
import hashlib
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlparse

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm


def new_rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class OIDCProvider:
    def __init__(self, *, client_id: str = "council-social", client_secret: str = "provider-test-secret"):
        self.client_id, self.client_secret = client_id, client_secret
        self.key, self.kid = new_rsa_key(), "key-1"
        self.person: dict = {"sub": "subject-1", "email": "someone@council.example"}
        self.id_token_claims: dict = {}  # claims to add or change in the ID tokens issued
        self.signing_key = None  # sign with this key instead (a forged token)
        self.userinfo_claims = ("sub", "email", "name", "given_name", "family_name")  # as Entra's userinfo
        self._codes: dict[str, dict] = {}
        self._access_tokens: dict[str, dict] = {}
        self._lock = threading.Lock()
        self._server = None
        self.url = ""

    # Lifecycle

    def start(self) -> "OIDCProvider":
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                provider._handle(self, "GET")

            def do_POST(self):
                provider._handle(self, "POST")

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def discovery_url(self) -> str:
        return f"{self.url}/.well-known/openid-configuration"

    def discovery(self) -> dict:
        return {
            "issuer": self.url,
            "authorization_endpoint": f"{self.url}/authorize",
            "token_endpoint": f"{self.url}/token",
            "userinfo_endpoint": f"{self.url}/userinfo",
            "jwks_uri": f"{self.url}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "email", "profile"],
            "token_endpoint_auth_methods_supported": ["client_secret_post"],
            "code_challenge_methods_supported": ["S256"],
            "claims_supported": ["sub", "oid", "email", "name", "amr", "groups"],
        }

    def jwks(self) -> dict:
        jwk = json.loads(RSAAlgorithm.to_jwk(self.key.public_key()))
        return {"keys": [{**jwk, "kid": self.kid, "alg": "RS256", "use": "sig"}]}

    # Endpoints

    def _handle(self, handler, method: str) -> None:
        url = urlparse(handler.path)
        routes = {
            ("GET", "/.well-known/openid-configuration"): lambda: (200, self.discovery()),
            ("GET", "/jwks"): lambda: (200, self.jwks()),
            ("GET", "/authorize"): lambda: self._authorize(parse_qs(url.query)),
            ("POST", "/token"): lambda: self._token(handler),
            ("GET", "/userinfo"): lambda: self._userinfo(handler.headers.get("Authorization", "")),
        }
        route = routes.get((method, url.path))
        status, body = route() if route else (404, {"error": "not_found"})
        handler.send_response(status)
        if status == 302:
            handler.send_header("Location", body)
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return
        data = json.dumps(body).encode()
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Cache-Control", "no-store")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    def _authorize(self, query: dict):
        params = {k: v[0] for k, v in query.items()}
        if params.get("client_id") != self.client_id or params.get("response_type") != "code":
            return 400, {"error": "unauthorized_client"}
        if "openid" not in params.get("scope", "").split() or not params.get("redirect_uri"):
            return 400, {"error": "invalid_request"}
        code = secrets.token_urlsafe(24)
        with self._lock:
            self._codes[code] = {
                "redirect_uri": params["redirect_uri"], "nonce": params.get("nonce"),
                "code_challenge": params.get("code_challenge"), "person": dict(self.person),
            }
        return 302, f"{params['redirect_uri']}?{urlencode({'code': code, 'state': params.get('state', '')})}"

    def _token(self, handler):
        length = int(handler.headers.get("Content-Length", 0))
        form = {k: v[0] for k, v in parse_qs(handler.rfile.read(length).decode()).items()}
        if (form.get("client_id"), form.get("client_secret")) != (self.client_id, self.client_secret):
            return 401, {"error": "invalid_client"}
        with self._lock:
            grant = self._codes.pop(form.get("code", ""), None)  # a code works once
        if form.get("grant_type") != "authorization_code" or grant is None:
            return 400, {"error": "invalid_grant"}
        if form.get("redirect_uri") != grant["redirect_uri"]:
            return 400, {"error": "invalid_grant", "error_description": "redirect_uri differs"}
        if grant["code_challenge"]:
            digest = hashlib.sha256(form.get("code_verifier", "").encode()).digest()
            if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != grant["code_challenge"]:
                return 400, {"error": "invalid_grant", "error_description": "PKCE verification failed"}
        access_token = secrets.token_urlsafe(24)
        with self._lock:
            self._access_tokens[access_token] = grant["person"]
        now = int(time.time())
        claims = {"iss": self.url, "aud": self.client_id, "iat": now, "nbf": now, "exp": now + 600,
                  "nonce": grant["nonce"], **grant["person"], **self.id_token_claims}
        id_token = jwt.encode({k: v for k, v in claims.items() if v is not None}, self.signing_key or self.key,
                              algorithm="RS256", headers={"kid": self.kid})
        return 200, {"access_token": access_token, "token_type": "Bearer", "expires_in": 3600, "id_token": id_token}

    def _userinfo(self, authorization: str):
        person = self._access_tokens.get(authorization.removeprefix("Bearer "))
        if person is None:
            return 401, {"error": "invalid_token"}
        return 200, {k: v for k, v in person.items() if k in self.userinfo_claims}
