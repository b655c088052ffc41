"""The control API under /_sim/ (JSON), for tests, benchmarks and the demo.

  GET    /_sim/                 this list
  POST   /_sim/inject           one post: {platform, account?, text, kind?, author?, in_reply_to?,
                                created_at?, likes?, replies?, reshares?} → its ids
  POST   /_sim/generate         {platform ("all" or a list), account?, count, seed?, spread_seconds?,
                                future?, kinds?} → ids per platform
  GET    /_sim/faults           the fault rules and the log of injected faults (the last 1,000; ?all=1
                                for every one). A malformed or truncated body's entry has its
                                bytes sent and the SHA-256 of the body as a client reads it
  POST   /_sim/faults           {rules: [...]} or one rule {rate, kinds, platform?, endpoint?, seed?,
                                delay?, retry_after?, count?}; add "replace": false to keep the others
  DELETE /_sim/faults           no more faults; answers with the rules and the whole log removed
  GET    /_sim/ratelimits       buckets, limits and the time scale
  POST   /_sim/ratelimits       {scale?, retry_after?, limits?: {platform: {bucket: n or null}}};
                                retry_after adds Retry-After to every refusal (no real API sends it)
  POST   /_sim/tokens           {platform, account?, expires_in?} → a fresh access (and refresh) token
  POST   /_sim/revoke           {platform, token} or {platform, account}: tokens stop working
  POST   /_sim/expire           {platform, token}: the access token has expired
  POST   /_sim/reset            {seed?}: forget everything
  GET    /_sim/stats            requests per endpoint, rate-limited and early requests, faults,
                                posts and replies created per platform with their texts
  GET    /_sim/created          posts and replies created through the API (?platform=&action=)
  GET    /_sim/accounts         the demo accounts and their demo tokens
"""
from __future__ import annotations

from typing import Any

from . import oauth
from . import state as st
from .core import Request, Response, parse_when
from .faults import Rule


def handle(sim, req: Request) -> Response:
    path = req.path.removeprefix("/_sim").strip("/")
    routes = {
        ("GET", ""): index,
        ("POST", "inject"): inject,
        ("POST", "generate"): generate,
        ("GET", "faults"): faults_get,
        ("POST", "faults"): faults_set,
        ("DELETE", "faults"): faults_clear,
        ("GET", "ratelimits"): ratelimits_get,
        ("POST", "ratelimits"): ratelimits_set,
        ("POST", "tokens"): tokens,
        ("POST", "revoke"): revoke,
        ("POST", "expire"): expire,
        ("POST", "reset"): reset,
        ("GET", "stats"): stats,
        ("GET", "created"): created,
        ("GET", "accounts"): accounts,
        ("POST", "jetstream"): jetstream_set,
    }
    found = routes.get((req.method, path))
    if found is None:
        return error(f"no control endpoint {req.method} /_sim/{path}", 404)
    body = req.json() if req.body else {}
    if not isinstance(body, dict):
        return error("the body must be a JSON object")
    try:
        return found(sim, body, req)
    except (KeyError, ValueError, TypeError) as exc:
        return error(str(exc))


def error(message: str, status: int = 400) -> Response:
    return Response.json({"error": message}, status)


def platform_of(sim, body: dict):
    name = body.get("platform")
    if name not in sim.platforms:
        raise ValueError(f"platform must be one of {sorted(sim.platforms)}")
    return sim.platforms[name]


def index(sim, body, req):
    return Response.json({"usage": __doc__, "platforms": sorted(sim.platforms)})


def inject(sim, body: dict, req: Request) -> Response:
    platform = platform_of(sim, body)
    text = body.get("text")
    if not isinstance(text, str):
        raise ValueError("text is required")
    kind = body.get("kind", st.KIND_MENTION)
    if kind not in st.POST_KINDS:
        raise ValueError(f"kind must be one of {list(st.POST_KINDS)}")
    account = platform.council(str(body["account"]) if body.get("account") else None)
    author_spec = body.get("author") or {}
    if isinstance(author_spec, str):
        author_spec = {"handle": author_spec}
    author = platform.author_from(
        str(author_spec.get("handle") or "resident"), str(author_spec.get("name") or ""),
        int(author_spec.get("followers") or 0), bool(author_spec.get("verified")), str(author_spec.get("id") or ""),
    )
    when = parse_when(str(body["created_at"])) if body.get("created_at") is not None else sim.state.now()
    if when is None:
        raise ValueError("created_at must be epoch seconds or ISO 8601")
    in_reply_to = str(body.get("in_reply_to") or "")
    if in_reply_to and platform.state.post(platform.name, in_reply_to) is None:
        raise ValueError(f"no {platform.name} post {in_reply_to!r} to reply to")
    post = platform.add_item(account.id, kind, text, author, when, in_reply_to=in_reply_to,
                             likes=int(body.get("likes") or 0), replies=int(body.get("replies") or 0),
                             reshares=int(body.get("reshares") or 0))
    return Response.json({"platform": platform.name, "account_id": account.id, "kind": post.kind,
                          "text": post.text, "author_id": author.id, **platform.describe(post)}, 201)


def generate(sim, body: dict, req: Request) -> Response:
    names = body.get("platform", "all")
    if names == "all":
        names = sorted(sim.platforms)
    elif isinstance(names, str):
        names = [names]
    count = int(body.get("count", 10))
    spread = float(body.get("spread_seconds", 0))
    now = sim.state.now()
    start, end = (now, now + spread) if body.get("future") else (now - spread, now)
    kinds = tuple(body["kinds"]) if body.get("kinds") else None
    out: dict[str, Any] = {}
    for name in names:
        platform = platform_of(sim, {"platform": name})
        posts = sim.generate(name, str(body["account"]) if body.get("account") else None, count,
                             start=start, end=end, kinds=kinds, seed=body.get("seed"))
        out[name] = {"count": len(posts), "account_id": platform.council(
            str(body["account"]) if body.get("account") else None).id,
            "items": [{**platform.describe(p), "kind": p.kind, "topic": p.extra["topic"], "tags": p.extra["tags"]}
                      for p in posts]}
    return Response.json(out, 201)


def faults_get(sim, body, req):
    log = sim.faults.log if req.arg("all") else sim.faults.log[-1000:]
    return Response.json({"rules": [r.as_dict() for r in sim.faults.rules], "log": log})


def faults_set(sim, body: dict, req: Request) -> Response:
    specs = body.get("rules")
    if specs is None:
        specs = [{k: v for k, v in body.items() if k != "replace"}]
    rules = [Rule.from_dict(spec) for spec in specs]
    if body.get("replace", True):
        sim.faults.clear()
    for rule in rules:
        sim.faults.add(rule)
    return faults_get(sim, body, req)


def faults_clear(sim, body, req):
    removed = Response.json({"rules": [r.as_dict() for r in sim.faults.rules], "log": sim.faults.log})
    sim.faults.clear()
    return removed


def ratelimits_get(sim, body, req):
    limiter = sim.limiter
    buckets = {
        name: {
            bucket.name: {"limit": limiter.limit_of(name, bucket), "window_seconds": limiter.window_of(bucket),
                          "real_window_seconds": bucket.window, "per": bucket.per}
            for bucket in platform.buckets.values()
        }
        for name, platform in sim.platforms.items()
    }
    return Response.json({"scale": limiter.scale, "retry_after": sim.retry_after_header, "buckets": buckets})


def ratelimits_set(sim, body: dict, req: Request) -> Response:
    if "scale" in body:
        scale = float(body["scale"])
        if scale <= 0:
            raise ValueError("scale must be positive")
        sim.limiter.scale = scale
        sim.limiter.reset()
    if "retry_after" in body:
        sim.retry_after_header = bool(body["retry_after"])
    for name, limits in (body.get("limits") or {}).items():
        platform = platform_of(sim, {"platform": name})
        for bucket, limit in limits.items():
            if bucket not in platform.buckets:
                raise ValueError(f"{name} has no bucket {bucket!r}; it has {sorted(platform.buckets)}")
            sim.limiter.set_limit(name, bucket, limit)
    return ratelimits_get(sim, body, req)


def tokens(sim, body: dict, req: Request) -> Response:
    platform = platform_of(sim, body)
    account = platform.council(str(body["account"]) if body.get("account") else None)
    access, refresh = platform.issue_tokens(account.id, expires_in=body.get("expires_in"))
    return Response.json({"platform": platform.name, "account_id": account.id, "access_token": access.value,
                          "refresh_token": refresh.value if refresh else None,
                          "expires_at": access.expires_at}, 201)


def revoke(sim, body: dict, req: Request) -> Response:
    platform = platform_of(sim, body)
    revoked = 0
    if body.get("token"):
        revoked += oauth.revoke(platform, str(body["token"]))
    elif body.get("account"):
        for token in sim.state.tokens.values():
            if token.platform == platform.name and token.account_id == str(body["account"]) and not token.revoked:
                token.revoked = True
                revoked += 1
    else:
        raise ValueError("give a token or an account")
    return Response.json({"revoked": revoked})


def expire(sim, body: dict, req: Request) -> Response:
    platform = platform_of(sim, body)
    token = sim.state.tokens.get(str(body.get("token")))
    if token is None or token.platform != platform.name:
        raise ValueError("unknown token")
    token.expires_at = sim.state.now() - 1
    return Response.json({"expired": True})


def reset(sim, body: dict, req: Request) -> Response:
    sim.reset(body.get("seed"))
    return Response.json({"reset": True, "seed": sim.seed})


def stats(sim, body, req):
    out = sim.state.stats.as_dict()
    created_by: dict[str, dict] = {}
    for entry in sim.state.created:
        platform = created_by.setdefault(entry["platform"], {"posts": 0, "replies": 0, "texts": []})
        platform["replies" if entry["action"] == "reply" else "posts"] += 1
        platform["texts"].append(entry["text"])
    out["created"] = created_by
    out["scale"] = sim.limiter.scale
    return Response.json(out)


def created(sim, body, req):
    platform, action = req.arg("platform"), req.arg("action")
    entries = [e for e in sim.state.created
               if (not platform or e["platform"] == platform) and (not action or e["action"] == action)]
    return Response.json({"created": entries})


def accounts(sim, body, req):
    out = {}
    for name, platform in sim.platforms.items():
        account = platform.council()
        out[name] = {"account_id": account.id, "handle": account.handle, "name": account.name,
                     "demo_token": platform.demo_token}
    return Response.json(out)


def jetstream_set(sim, body: dict, req: Request) -> Response:
    """{"cut_after": n}: open and new Jetstream connections drop after n events (null: never)."""
    cut = body.get("cut_after")
    sim.jetstream_cut_after = None if cut is None else int(cut)
    return Response.json({"cut_after": sim.jetstream_cut_after})
