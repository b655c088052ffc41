"""Command line: run the simulator, or talk to a running one.

    python -m platforms.simulator serve [--host 127.0.0.1] [--port 8700] [--seed N]
                                        [--generate-every SECONDS] [--backlog N] [--scale N]
    python -m platforms.simulator inject --platform x --account ID --text "..." [--author HANDLE]
                                         [--url http://127.0.0.1:8700]
    python -m platforms.simulator generate --platform all --count 50 [--spread 3600]
    python -m platforms.simulator stats | reset
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
import urllib.error
import urllib.request

DEFAULT_URL = "http://127.0.0.1:8700"


def call(url: str, method: str, path: str, body: dict | None = None) -> dict:
    """A control API call on a running simulator; its JSON answer."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url.rstrip("/") + "/_sim/" + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode("utf-8", "replace")
        raise RuntimeError(f"simulator refused {method} /_sim/{path}: HTTP {exc.code} {detail}") from None


def inject(url: str = DEFAULT_URL, *, platform: str, text: str, account: str | None = None,
           author: str | None = None, author_name: str | None = None, followers: int = 0,
           verified: bool = False, kind: str = "mention", in_reply_to: str | None = None) -> dict:
    """Inject one post into a running simulator; returns its ids."""
    body: dict = {"platform": platform, "text": text, "kind": kind}
    if account:
        body["account"] = account
    if author:
        body["author"] = {"handle": author, "name": author_name or "", "followers": followers, "verified": verified}
    if in_reply_to:
        body["in_reply_to"] = in_reply_to
    return call(url, "POST", "inject", body)


def serve(args: argparse.Namespace) -> int:
    from .server import make_server

    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO, format="%(message)s")
    server = make_server(args.host, args.port, seed=args.seed, scale=args.scale, backlog=args.backlog,
                         generate_every=args.generate_every, auto_approve=args.auto_approve)
    print(f"Platform simulator on {server.base_url}  (control API: {server.base_url}/_sim/)")
    for name, platform in sorted(server.sim.platforms.items()):
        account = platform.council()
        print(f"  {name:9} {server.base_url}/{name:9}  account {account.id} @{account.handle.lstrip('@')}  "
              f"token {platform.demo_token}")
    sys.stdout.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m platforms.simulator", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("serve", help="run the simulator")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8700)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--generate-every", type=float, default=None, metavar="SECONDS",
                   help="add a generated item to each demo account this often")
    p.add_argument("--backlog", type=int, default=25, help="generated items per platform from the last day")
    p.add_argument("--scale", type=float, default=1.0, help="rate-limit windows are divided by this")
    p.add_argument("--auto-approve", action="store_true", help="skip the Allow page of the OAuth flows")
    p.add_argument("--verbose", action="store_true")

    p = sub.add_parser("inject", help="inject one post into a running simulator")
    p.add_argument("--url", default=DEFAULT_URL)
    p.add_argument("--platform", required=True)
    p.add_argument("--account")
    p.add_argument("--text", required=True)
    p.add_argument("--author")
    p.add_argument("--author-name")
    p.add_argument("--followers", type=int, default=0)
    p.add_argument("--verified", action="store_true")
    p.add_argument("--kind", default="mention", choices=["mention", "comment", "reply"])
    p.add_argument("--in-reply-to")

    p = sub.add_parser("generate", help="add generated items to a running simulator")
    p.add_argument("--url", default=DEFAULT_URL)
    p.add_argument("--platform", default="all")
    p.add_argument("--account")
    p.add_argument("--count", type=int, default=20)
    p.add_argument("--spread", type=float, default=0.0, help="spread the items over this many seconds")
    p.add_argument("--future", action="store_true", help="spread them over the coming seconds instead")

    for name in ("stats", "reset"):
        p = sub.add_parser(name, help=f"{name} of a running simulator")
        p.add_argument("--url", default=DEFAULT_URL)

    args = parser.parse_args(argv)
    if args.command == "serve":
        return serve(args)
    if args.command == "inject":
        out = inject(args.url, platform=args.platform, text=args.text, account=args.account, author=args.author,
                     author_name=args.author_name, followers=args.followers, verified=args.verified,
                     kind=args.kind, in_reply_to=args.in_reply_to)
    elif args.command == "generate":
        body = {"platform": args.platform, "count": args.count, "spread_seconds": args.spread, "future": args.future}
        if args.account:
            body["account"] = args.account
        out = call(args.url, "POST", "generate", body)
    elif args.command == "stats":
        out = call(args.url, "GET", "stats")
    else:
        out = call(args.url, "POST", "reset", {})
    print(json.dumps(out, indent=2, ensure_ascii=False))
    return 0
