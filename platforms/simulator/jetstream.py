"""A Jetstream-like WebSocket stream of the simulated Bluesky (GET /bluesky/subscribe, upgraded).

Like Bluesky's Jetstream (github.com/bluesky-social/jetstream): every new post in the network
as a JSON text message {"did", "time_us", "kind": "commit", "commit": {"rev", "operation":
"create", "collection": "app.bsky.feed.post", "rkey", "record", "cid"}}, oldest first;
?wantedCollections= filters by collection and ?cursor=<time_us> replays from that time
(inclusive). A post's time_us is its creation time in microseconds, made unique by its order.

For tests, the control API can cut every open stream after a number of events
(POST /_sim/jetstream {"cut_after": n}) to play a dropped connection.
"""
from __future__ import annotations

import base64
import hashlib
import json
import logging
import select
import struct
import time
from urllib.parse import parse_qs, urlsplit

from . import state as st

log = logging.getLogger("platforms.simulator")
GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
PATH = "/bluesky/subscribe"
POST = "app.bsky.feed.post"
POLL = 0.05  # seconds between looks for new posts


def time_us(post: st.Post) -> int:
    return st.order_ms(post.order) * 1000 + (post.order & st.SEQ_MASK) % 1000


def order_from_us(value: int) -> int:
    """The lowest order a post at or after `value` microseconds can have."""
    return (value // 1000) << st.ORDER_BITS


def event(post: st.Post) -> dict:
    did, _, rkey = post.id[len("at://"):].partition(f"/{POST}/")
    return {"did": did, "time_us": time_us(post), "kind": "commit",
            "commit": {"rev": rkey, "operation": "create", "collection": POST, "rkey": rkey,
                       "record": post.extra["record"], "cid": post.extra["cid"]}}


def frame(payload: bytes, opcode: int = 0x1) -> bytes:
    """A server-to-client frame (unmasked)."""
    head = bytes([0x80 | opcode])
    size = len(payload)
    if size < 126:
        head += bytes([size])
    elif size < 65536:
        head += bytes([126]) + struct.pack("!H", size)
    else:
        head += bytes([127]) + struct.pack("!Q", size)
    return head + payload


def is_upgrade(handler) -> bool:
    return (handler.headers.get("Upgrade") or "").lower() == "websocket"


def serve(handler) -> None:
    """Answer a WebSocket upgrade on the stream's path and stream events until the client goes."""
    sim = handler.server.sim
    parts = urlsplit(handler.path)
    key = handler.headers.get("Sec-WebSocket-Key") or ""
    handler.close_connection = True
    if parts.path != PATH or not key:
        body = b'{"error": "no stream here"}'
        handler.send_response(404)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)
        return
    query = parse_qs(parts.query)
    wanted = {c for raw in query.get("wantedCollections", []) for c in raw.split(",") if c}
    try:
        cursor = int(query.get("cursor", ["0"])[0] or 0)
    except ValueError:
        cursor = 0
    accept = base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()
    handler.send_response(101, "Switching Protocols")
    handler.send_header("Upgrade", "websocket")
    handler.send_header("Connection", "Upgrade")
    handler.send_header("Sec-WebSocket-Accept", accept)
    handler.end_headers()
    handler.wfile.flush()
    handler.connection.settimeout(30)
    after = order_from_us(cursor) - 1 if cursor else None
    if after is None:  # live only: from now on
        with sim.state.lock:
            after = st.max_order(int(sim.state.now() * 1000))
    sent = 0
    try:
        while not sim._stop.is_set():
            with sim.state.lock:
                posts, _ = sim.state.index("bluesky", "all").window(sim.state.now(), limit=500, after=after,
                                                                    oldest_first=True)
                batch = [event(p) for p in posts if not cursor or time_us(p) >= cursor]
                if posts:
                    after = posts[-1].order
                cut = sim.jetstream_cut_after
            if wanted and POST not in wanted:
                batch = []
            for item in batch:
                if cut is not None and sent >= cut:
                    return  # the connection drops without a close frame
                handler.wfile.write(frame(json.dumps(item).encode()))
                sent += 1
            handler.wfile.flush()
            if _client_closed(handler):
                return
            if not posts:
                time.sleep(POLL)
    except (BrokenPipeError, ConnectionResetError, OSError):
        return


def _client_closed(handler) -> bool:
    """Read what the client sent (pings, a close frame); True once it closed."""
    try:
        ready, _, _ = select.select([handler.connection], [], [], 0)
        if not ready:
            return False
        data = handler.connection.recv(4096)
    except OSError:
        return True
    if not data:
        return True
    if data[0] & 0x0F == 0x8:  # close
        try:
            handler.wfile.write(frame(b"", opcode=0x8))
        except OSError:
            pass
        return True
    if data[0] & 0x0F == 0x9:  # ping → pong with the same payload (client frames are masked)
        length = data[1] & 0x7F
        if length < 126 and len(data) >= 6 + length:
            mask, payload = data[2:6], data[6:6 + length]
            handler.wfile.write(frame(bytes(b ^ mask[i % 4] for i, b in enumerate(payload)), opcode=0xA))
    return False
