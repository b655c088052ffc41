"""Every recorded body of every platform, damaged (values of the wrong type, objects and lists
missing, wrapped in a list), is read by its client as items or refused with a PlatformError
(an error, or MalformedPayload for the quarantine): never a traceback."""
import json

import pytest

from platforms import client_class
from platforms.base import Credentials, Item, PlatformError
from tests.platforms import payloads

PLATFORMS = ("x", "facebook", "instagram", "youtube", "mastodon", "bluesky", "linkedin")
RECORDED = [(platform, name) for platform in PLATFORMS for name in payloads.names(platform)]


def replace(value, change):
    """`value` with `change` applied to every leaf (or to every object / list, see below)."""
    if isinstance(value, dict):
        return {k: replace(v, change) for k, v in value.items()}
    if isinstance(value, list):
        return [replace(v, change) for v in value]
    return change(value)


def containers_to(value, kind, to):
    """Every object or list of type `kind` below the top replaced by `to`."""
    if isinstance(value, dict):
        return {k: to if isinstance(v, kind) else containers_to(v, kind, to) for k, v in value.items()}
    if isinstance(value, list):
        return [to if isinstance(v, kind) else containers_to(v, kind, to) for v in value]
    return value


DAMAGE = {
    "strings become numbers": lambda b: replace(b, lambda v: 123 if isinstance(v, str) else v),
    "numbers become strings": lambda b: replace(b, lambda v: "x" if isinstance(v, int) and v is not True else v),
    "strings become lists": lambda b: replace(b, lambda v: [v] if isinstance(v, str) else v),
    "every value null": lambda b: replace(b, lambda v: None),
    "lists become objects": lambda b: containers_to(b, list, {}),
    "objects become null": lambda b: containers_to(b, dict, None),
    "wrapped in a list": lambda b: [b],
}


@pytest.mark.parametrize(("platform", "name"), RECORDED, ids=[f"{p}/{n}" for p, n in RECORDED])
def test_a_damaged_body_is_items_or_a_platform_error(platform, name):
    _, body, _ = payloads.load(platform, name)
    cls = client_class(platform)
    for damage, change in DAMAGE.items():
        damaged = change(json.loads(json.dumps(body)))
        for endpoint in (None, *cls.endpoints):
            client = cls(credentials=Credentials(access_token="token"))
            try:
                items = client.parse(damaged, endpoint=endpoint)
            except PlatformError:
                continue
            except Exception as exc:  # noqa: BLE001 - the point of the test
                pytest.fail(f"{damage}, endpoint {endpoint}: {type(exc).__name__}: {exc}")
            assert all(isinstance(i, Item) and isinstance(i.external_id, str) and i.posted_at.tzinfo
                       for i in items), damage
