"""The simulator's HTTP server: routing, auth, rate limits and faults, written once for
every platform. Platform wire formats live in sim_<platform>.py, the control API in
control.py.

    server, base_url = run_in_thread(port=0, seed=1)
    ...  # point clients at base_url via platforms.base.simulator_urls
    server.reset()      # clean state between tests
    server.shutdown()
"""
from __future__ import annotations

import gc
import hashlib
import logging
import math
import random
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from . import control, jetstream
from .core import Reply, Request, Response
from .faults import BODY_KINDS, PAGE_KINDS, STATUS_KINDS, TRANSPORT_KINDS, Faults
from .generator import Generator
from .ratelimit import Bucket, Limiter
from .sim_bluesky import BlueskySim
from .sim_facebook import FacebookSim
from .sim_instagram import InstagramSim
from .sim_linkedin import LinkedInSim
from .sim_mastodon import MastodonSim
from .sim_nextdoor import NextdoorSim
from .sim_threads import ThreadsSim
from .sim_web import WebSim
from .sim_x import XSim
from .sim_youtube import YouTubeSim
from .state import State

log = logging.getLogger("platforms.simulator")
BULK_POOL = 5000


PLATFORMS = (XSim, FacebookSim, InstagramSim, YouTubeSim, MastodonSim, BlueskySim, LinkedInSim, WebSim)
PLATFORMS += (ThreadsSim, NextdoorSim)


class Transport:
    """An answer the HTTP layer gives instead of a response: close the connection
    (after `delay` seconds), or send `response` cut short."""

    def __init__(self, kind: str, delay: float = 0.0, response: Response | None = None, cut: int = 0):
        self.kind = kind
        self.delay = delay
        self.response = response
        self.cut = cut  # truncated: how many bytes of the body are sent


class Simulator:
    """State, limits, faults and the platforms, independent of HTTP."""

    def __init__(self, *, seed: int = 0, scale: float = 1.0, auto_approve: bool = True, backlog: int = 0,
                 generate_every: float | None = None):
        self.seed = seed
        self.auto_approve = auto_approve
        self.backlog = backlog
        self.default_scale = scale
        self.state = State()
        self.limiter = Limiter()
        self.faults = Faults()
        self.platforms = {cls.name: cls(self) for cls in PLATFORMS}
        self._stop = threading.Event()
        self._trickle: threading.Thread | None = None
        self.reset(seed)
        if generate_every:
            self.start_trickle(generate_every)

    # --- state ---------------------------------------------------------------------

    def reset(self, seed: int | None = None) -> None:
        """Forget everything: posts, tokens, counters, faults and rate-limit settings."""
        with self.state.lock:
            if seed is not None:
                self.seed = seed
            self.state.clear()
            self.limiter.reset()
            self.limiter.overrides.clear()
            self.limiter.scale = self.default_scale
            self.retry_after_header = False
            self.jetstream_cut_after: int | None = None  # tests: streams drop after this many events
            self.faults.clear()
            self.fault_rng = random.Random(self.seed)
            self.generators: dict[str, Generator] = {}
            self.threads: dict[tuple[str, str], dict[int, str]] = {}
            for platform in self.platforms.values():
                account = platform.council()
                platform.issue_demo_token(account)
            if self.backlog:
                now = self.state.now()
                for name in self.platforms:
                    self.generate(name, None, self.backlog, start=now - 86400, end=now)

    def generator_for(self, platform: str, seed: int | None = None) -> Generator:
        if seed is not None:
            return Generator(seed)
        found = self.generators.get(platform)
        if found is None:
            offset = sorted(self.platforms).index(platform) + 1
            found = self.generators[platform] = Generator(self.seed * 1000 + offset, people_seed=self.seed)
        return found

    def generate(self, platform: str, account_id: str | None, count: int, *, start: float, end: float,
                 kinds: tuple[str, ...] | None = None, seed: int | None = None) -> list:
        """Add `count` generated items for an account, created between start and end
        (items in the future appear when their time comes)."""
        sim = self.platforms[platform]
        with self.state.lock:
            account = sim.council(account_id)
            gen = self.generator_for(platform, seed)
            threads = self.threads.setdefault((platform, account.id), {})
            items = gen.items(count, start=start, end=end, kinds=kinds or sim.generated_kinds)
            return [sim.add_generated(account.id, item, threads) for item in items]

    def bulk_pages(self, platform: str, n: int, *, page_size: int, account_id: str | None,
                   start: float | None, end: float | None, now: float | None) -> list:
        # Hundreds of thousands of small objects: the cyclic collector would rescan them
        # over and over, and nothing made here forms a cycle worth collecting early.
        enabled = gc.isenabled()
        gc.disable()
        try:
            return self._bulk_pages(platform, n, page_size=page_size, account_id=account_id, start=start,
                                    end=end, now=now)
        finally:
            if enabled:
                gc.enable()

    def _bulk_pages(self, platform: str, n: int, *, page_size: int, account_id: str | None,
                    start: float | None, end: float | None, now: float | None) -> list:
        sim = self.platforms[platform]
        now = self.state.now() if now is None else now
        end = now if end is None else end
        start = end - 7 * 86400 if start is None else start
        account = sim.council(account_id).id
        # A pool of generated items is reused with fresh times, ids and threads: it keeps
        # 100,000 items to seconds, and texts repeat only after the pool is used up.
        pool = Generator(self.seed).items(min(n, BULK_POOL), start=start, end=end, kinds=sim.generated_kinds)
        rng = random.Random(self.seed)
        times = sorted(start + rng.random() * (end - start) for _ in range(n))
        posts = []
        with self.state.lock:
            for i, when in enumerate(times):
                if i % len(pool) == 0:
                    threads: dict[int, str] = {}
                posts.append(sim.add_generated(account, pool[i % len(pool)], threads, created_at=when))
        posts.reverse()
        pages = []
        for i in range(0, len(posts), page_size):
            chunk = posts[i:i + page_size]
            more = i + page_size < len(posts)
            pages.append(sim.bulk_page(chunk, account, now, more, start=i))
        return pages

    # --- the demo trickle ----------------------------------------------------------

    def start_trickle(self, every: float) -> None:
        """Every `every` seconds, one new item for each platform's demo account."""

        def run() -> None:
            while not self._stop.wait(every):
                now = self.state.now()
                for name in self.platforms:
                    self.generate(name, None, 1, start=now, end=now)

        self._trickle = threading.Thread(target=run, name="simulator-trickle", daemon=True)
        self._trickle.start()

    def stop(self) -> None:
        self._stop.set()

    # --- requests --------------------------------------------------------------------

    def dispatch(self, req: Request) -> Response | Transport:
        if req.path == "/_sim" or req.path.startswith("/_sim/"):
            with self.state.lock:
                return control.handle(self, req)
        if req.path == "/robots.txt":  # the web sites' robots.txt lives at the host's root
            req.path = "/web/robots.txt"
        if req.path.startswith("/_web/"):
            return web_page(req.path[len("/_web/"):])
        name, _, rest = req.path[1:].partition("/")
        sim = self.platforms.get(name)
        if sim is None:
            return Response.json({"error": f"unknown platform {name!r}", "platforms": sorted(self.platforms)}, 404)
        req.platform = name
        path = sim.route_path("/" + rest)
        stats = self.state.stats
        with self.state.lock:
            found, params = sim.find_route(req.method, path)
            if found is None:
                stats.requests[name][f"{req.method} (unknown)"] += 1
                response = sim.not_found(req, path)
                stats.statuses[name][str(response.status)] += 1
                return response
            req.endpoint = found.name
            req.params = params
            stats.requests[name][found.name] += 1
            now = self.state.now()
            decision = None
            fault = None
            try:
                if found.auth:
                    req.token = sim.authenticate(req)
                charges = sim.charges(req, found)
                decision = self.limiter.consume(name, charges, now)
                if decision.early:
                    stats.early[name][found.name] += 1
                if not decision.allowed:
                    stats.throttled[name][found.name] += 1
                    raise Reply(self.throttled(sim, req, decision))
                picked = self.faults.pick(name, found.name, listing=found.listing, now=now)
                if picked is not None:
                    fault, kind = picked
                    entry = self.faults.log[-1]  # the entry pick() just wrote, under the same lock
                    stats.faults[name][kind] += 1
                    answer = self._inject(sim, req, found, charges, fault, kind, now, entry)
                    if answer is not None:
                        return answer
                response = found.handler(req)
            except Reply as reply:
                response = reply.response
            if decision is not None and decision.bucket is not None and decision.allowed:
                for key, value in sim.rate_headers(req, decision).items():
                    response.headers.setdefault(key, value)
            stats.statuses[name][str(response.status)] += 1
            if fault is not None and req.fault in BODY_KINDS:
                return self._corrupt(response, req.fault, entry)
            return response

    def _inject(self, sim, req, found, charges, rule, kind, now, entry):
        """Apply a picked fault: an answer to send now, or None to run the handler."""
        name = req.platform
        if kind == "429":
            charges = charges or [(Bucket("injected", 1, rule.retry_after), 1, req.client_ip)]
            decision = self.limiter.block(name, charges, now + rule.retry_after)
            self.state.stats.throttled[name][found.name] += 1
            raise Reply(self.throttled(sim, req, decision))
        if kind in STATUS_KINDS:
            raise Reply(sim.server_error(req, int(kind)))
        if kind in TRANSPORT_KINDS:
            return Transport(kind, rule.delay if kind == "timeout" else 0.0)
        if kind in BODY_KINDS and req.method != "GET":
            return self._corrupt(Response.json({"id": "0"}), kind, entry)
        if kind in PAGE_KINDS or kind in BODY_KINDS:
            req.fault = kind
        return None

    def throttled(self, sim, req: Request, decision) -> Response:
        """The platform's refusal; with Retry-After when the fault was injected (a proxy in
        front says how long to wait) or when the control API asked for it on every refusal."""
        response = sim.throttled(req, decision)
        if decision.injected or self.retry_after_header:
            wait = max(1, math.ceil(decision.reset - self.state.now()))
            response.headers.setdefault("Retry-After", str(wait))
        return response

    @staticmethod
    def _corrupt(response: Response, kind: str, entry: dict) -> Response | Transport:
        """A body that cannot be parsed. Its fault log entry records the bytes sent and the SHA-256
        of the body as a client reads it (UTF-8, a broken character replaced by U+FFFD)."""
        if kind == "truncated":
            answer = Transport("truncated", response=response, cut=max(1, len(response.body) // 2))
            sent = response.body[:answer.cut]
        else:
            body = response.body
            response.body = body.replace(b'":', b'" ', 1) if b'":' in body else b"{" + body
            response.status = 200
            answer, sent = response, response.body
        entry["bytes"] = len(sent)
        entry["sha256"] = hashlib.sha256(sent.decode("utf-8", "replace").encode("utf-8")).hexdigest()
        return answer


# --- HTTP -------------------------------------------------------------------------------


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "CouncilSocialSimulator/1.0"
    server: SimServer

    def _any(self) -> None:
        if jetstream.is_upgrade(self):
            return jetstream.serve(self)
        body = self._read_body()
        parts = urlsplit(self.path)
        req = Request(self.command, parts.path, parts.query, self.headers, body, self.client_address[0])
        try:
            answer = self.server.sim.dispatch(req)
        except Exception:  # a bug in a handler: answer 500 rather than hang the client
            log.exception("simulator error on %s %s", self.command, self.path)
            answer = Response.json({"error": "simulator error"}, 500)
        if isinstance(answer, Transport):
            self._transport(answer)
        else:
            self._send(answer)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _any

    def _read_body(self) -> bytes:
        if (self.headers.get("Transfer-Encoding") or "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(self, response: Response, cut: int | None = None) -> None:
        delay = getattr(response, "delay", 0)  # a slow host (sim_web)
        if delay:
            time.sleep(delay)
        self.send_response(response.status)
        for key, value in response.headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        self.wfile.write(response.body if cut is None else response.body[:cut])

    def _transport(self, answer: Transport) -> None:
        self.close_connection = True
        if answer.kind == "truncated":
            self._send(answer.response, cut=answer.cut)
            self.wfile.flush()
        elif answer.delay:
            time.sleep(answer.delay)
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def log_message(self, format: str, *args) -> None:
        log.debug("%s - %s", self.address_string(), format % args)


def web_page(address: str) -> Response:
    """The simulator's stand-in for a page on a platform's own site (a profile, a post): the demo's
    authors are invented, so their links come here instead of to real people's pages."""
    import html

    shown = html.escape("https://" + address)
    return Response.html(
        "<!DOCTYPE html><html lang=\"en-GB\"><head><meta charset=\"utf-8\"><title>Simulated page</title></head>"
        f"<body><main><h1>Simulated page</h1><p>On the real platform this would be {shown}. The demo's authors "
        "and their posts are made up by the platform simulator, so there is no real page to show.</p></main></body></html>")


class SimServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], sim: Simulator):
        super().__init__(address, Handler)
        self.sim = sim

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def reset(self, seed: int | None = None) -> None:
        self.sim.reset(seed)

    def shutdown(self) -> None:
        self.sim.stop()
        super().shutdown()
        self.server_close()


def make_server(host: str = "127.0.0.1", port: int = 8700, **options) -> SimServer:
    return SimServer((host, port), Simulator(**options))


def run_in_thread(port: int = 0, host: str = "127.0.0.1", **options) -> tuple[SimServer, str]:
    """Start a simulator in a background thread: (server, base_url). Stop it with
    server.shutdown(). Options: seed, scale, auto_approve, backlog, generate_every."""
    server = make_server(host, port, **options)
    thread = threading.Thread(target=server.serve_forever, name="simulator", daemon=True)
    thread.start()
    return server, server.base_url


def reset(base_url: str, seed: int | None = None) -> None:
    """Clean state on a running simulator (in-process or not), e.g. from a pytest fixture."""
    import json
    import urllib.request

    body = json.dumps({} if seed is None else {"seed": seed}).encode()
    request = urllib.request.Request(base_url.rstrip("/") + "/_sim/reset", data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        response.read()
