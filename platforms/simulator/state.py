"""The simulator's in-memory state: accounts, posts, tokens, created posts and counters.

Everything here is guarded by `State.lock`; the server takes it around each request.
Every post gets an `order`, a time-ordered integer (creation millisecond << 20 | sequence)
that all listings page on, so cursors hold a boundary rather than an offset and new posts
never shift a page. Platforms derive their own ids from it where the real ids are
time-ordered (X, Mastodon, LinkedIn), and keep a random-looking id otherwise.
"""
from __future__ import annotations

import bisect
import collections
import dataclasses
import math
import threading
import time
from collections.abc import Callable, Iterable

ORDER_BITS = 20
SEQ_MASK = (1 << ORDER_BITS) - 1

KIND_MENTION = "mention"
KIND_COMMENT = "comment"
KIND_REPLY = "reply"
KIND_POST = "post"  # the council account's own post (seeded or published)
POST_KINDS = (KIND_MENTION, KIND_COMMENT, KIND_REPLY)


def order_ms(order: int) -> int:
    return order >> ORDER_BITS


def max_order(ms: int) -> int:
    """The highest order of a post created at or before millisecond `ms`."""
    return (ms << ORDER_BITS) | SEQ_MASK


@dataclasses.dataclass(slots=True, eq=False)
class Account:
    """A council account or any author of a post."""

    platform: str
    id: str
    handle: str
    name: str
    followers: int = 0
    following: int = 0
    posts_count: int = 0
    verified: bool = False
    bio: str = ""
    location: str = ""
    created_at: float = 1_400_000_000.0
    extra: dict = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(slots=True, eq=False)
class Post:
    platform: str
    id: str
    order: int
    account_id: str  # the council account the item is addressed to (or belongs to)
    kind: str  # mention, comment, reply or post
    text: str
    author: Account
    created_at: float  # epoch seconds, millisecond precision
    in_reply_to: str = ""  # id of the post or comment answered
    root_id: str = ""  # thread root (conversation) or the object commented on
    # Engagement climbs towards these totals with time constant `tau` seconds.
    likes: int = 0
    replies: int = 0
    reshares: int = 0
    tau: float = 0.0
    hidden: bool = False
    deleted: bool = False
    own: bool = False  # published by the account through the API
    extra: dict = dataclasses.field(default_factory=dict)
    children: list = dataclasses.field(default_factory=list)  # ids of direct replies

    def visible(self, now: float) -> bool:
        return not self.deleted and self.created_at <= now

    def engagement(self, now: float) -> tuple[int, int, int]:
        """(likes, replies, reshares) at `now`: they grow after posting, then level off."""
        if self.tau <= 0:
            share = 1.0
        else:
            share = 1.0 - math.exp(-max(0.0, now - self.created_at) / self.tau)
        return int(self.likes * share), int(self.replies * share), int(self.reshares * share)


class Index:
    """Posts kept sorted by `order`; the listings every platform pages through."""

    __slots__ = ("orders", "posts")

    def __init__(self) -> None:
        self.orders: list[int] = []
        self.posts: list[Post] = []

    def add(self, post: Post) -> None:
        if not self.orders or post.order > self.orders[-1]:
            self.orders.append(post.order)
            self.posts.append(post)
            return
        i = bisect.bisect_left(self.orders, post.order)
        self.orders.insert(i, post.order)
        self.posts.insert(i, post)

    def __len__(self) -> int:
        return len(self.orders)

    def _bounds(self, now: float, after: int | None, before: int | None) -> tuple[int, int]:
        lo = bisect.bisect_right(self.orders, after) if after is not None else 0
        hi = bisect.bisect_right(self.orders, max_order(int(now * 1000)))
        if before is not None:
            hi = min(hi, bisect.bisect_left(self.orders, before))
        return lo, hi

    def window(
        self,
        now: float,
        *,
        limit: int,
        after: int | None = None,
        before: int | None = None,
        oldest_first: bool = False,
        where: Callable[[Post], bool] | None = None,
    ) -> tuple[list[Post], bool]:
        """Up to `limit` visible posts with after < order < before, newest first (or
        oldest first), and whether more match beyond them."""
        lo, hi = self._bounds(now, after, before)
        out: list[Post] = []
        rng = range(lo, hi) if oldest_first else range(hi - 1, lo - 1, -1)
        posts = self.posts
        for i in rng:
            post = posts[i]
            if post.deleted or (where is not None and not where(post)):
                continue
            if len(out) == limit:
                return out, True
            out.append(post)
        return out, False

    def neighbour(self, now: float, order: int, *, newer: bool, where=None) -> Post | None:
        """The visible post next to `order` (used to repeat an item on the next page)."""
        if newer:
            found, _ = self.window(now, limit=1, after=order, oldest_first=True, where=where)
        else:
            found, _ = self.window(now, limit=1, before=order, where=where)
        return found[0] if found else None

    def count(self, now: float, *, after=None, before=None, where=None) -> int:
        lo, hi = self._bounds(now, after, before)
        return sum(1 for p in self.posts[lo:hi] if not p.deleted and (where is None or where(p)))


@dataclasses.dataclass(slots=True, eq=False)
class Token:
    value: str
    platform: str
    account_id: str
    kind: str = "access"  # access or refresh
    client_id: str = ""
    scope: str = ""
    expires_at: float | None = None
    revoked: bool = False
    app_only: bool = False  # X app-only bearer token
    partner: str = ""  # the refresh token issued with an access token, or the reverse
    extra: dict = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(slots=True, eq=False)
class Grant:
    """An authorisation code waiting to be exchanged."""

    platform: str
    client_id: str
    redirect_uri: str
    account_id: str
    scope: str
    challenge: str = ""
    challenge_method: str = ""
    expires_at: float = 0.0
    used: bool = False
    params: dict = dataclasses.field(default_factory=dict)  # the authorise request's parameters


class Stats:
    """Request counters per platform and endpoint, for tests and benchmarks."""

    def __init__(self) -> None:
        self.requests: dict = collections.defaultdict(collections.Counter)
        self.throttled: dict = collections.defaultdict(collections.Counter)
        self.early: dict = collections.defaultdict(collections.Counter)
        self.statuses: dict = collections.defaultdict(collections.Counter)
        self.faults: dict = collections.defaultdict(collections.Counter)

    def as_dict(self) -> dict:
        def plain(table: dict) -> dict:
            return {platform: dict(counter) for platform, counter in table.items() if counter}

        return {
            "requests": plain(self.requests),
            "rate_limited": plain(self.throttled),
            "early_requests": plain(self.early),
            "statuses": plain(self.statuses),
            "faults": plain(self.faults),
            "totals": {
                "requests": sum(sum(c.values()) for c in self.requests.values()),
                "rate_limited": sum(sum(c.values()) for c in self.throttled.values()),
                "early_requests": sum(sum(c.values()) for c in self.early.values()),
                "faults": sum(sum(c.values()) for c in self.faults.values()),
            },
        }


class State:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.clear()

    def clear(self) -> None:
        self.accounts: dict[tuple[str, str], Account] = {}
        self.handles: dict[tuple[str, str], Account] = {}
        self.posts: dict[tuple[str, str], Post] = {}
        self.indexes: dict[tuple[str, str], Index] = {}
        self.tokens: dict[str, Token] = {}
        self.grants: dict[str, Grant] = {}
        self.created: list[dict] = []
        self.idempotency: dict[tuple[str, str, str], str] = {}
        self.stats = Stats()
        self._used_ms: dict[str, set[int]] = collections.defaultdict(set)
        self._seq = 0

    @staticmethod
    def now() -> float:
        return time.time()

    # --- posts ------------------------------------------------------------------

    def new_order(self, platform: str, created_at: float) -> tuple[int, float]:
        """A fresh order for a post created at `created_at`; the millisecond is moved on
        if another post of the platform already has it, so time cursors stay exact."""
        ms = int(round(created_at * 1000))
        used = self._used_ms[platform]
        while ms in used:
            ms += 1
        used.add(ms)
        self._seq += 1
        return (ms << ORDER_BITS) | (self._seq & SEQ_MASK), ms / 1000.0

    def add_post(self, post: Post, indexes: Iterable[str]) -> Post:
        self.posts[(post.platform, post.id)] = post
        for name in indexes:
            self.index(post.platform, name).add(post)
        if post.in_reply_to:
            parent = self.posts.get((post.platform, post.in_reply_to))
            if parent is not None:
                parent.children.append(post.id)
        return post

    def index(self, platform: str, name: str) -> Index:
        key = (platform, name)
        found = self.indexes.get(key)
        if found is None:
            found = self.indexes[key] = Index()
        return found

    def post(self, platform: str, post_id: str) -> Post | None:
        return self.posts.get((platform, post_id))

    def visible_children(self, post: Post, now: float) -> list[Post]:
        out = []
        for child_id in post.children:
            child = self.posts.get((post.platform, child_id))
            if child is not None and child.visible(now):
                out.append(child)
        return out

    # --- accounts -----------------------------------------------------------------

    def account(self, platform: str, account_id: str) -> Account | None:
        return self.accounts.get((platform, account_id))

    def add_account(self, account: Account) -> Account:
        self.accounts[(account.platform, account.id)] = account
        self.handles.setdefault((account.platform, account.handle.lower().lstrip("@")), account)
        return account

    def find_account(self, platform: str, handle: str) -> Account | None:
        return self.handles.get((platform, handle.lower().lstrip("@")))

    # --- created posts ------------------------------------------------------------

    def record_created(self, post: Post, action: str, **details) -> None:
        self.created.append(
            {
                "platform": post.platform,
                "account_id": post.account_id,
                "action": action,
                "id": post.id,
                "text": post.text,
                "in_reply_to": post.in_reply_to,
                "created_at": post.created_at,
                **details,
            }
        )
