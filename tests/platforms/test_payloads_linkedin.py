"""Every recorded LinkedIn response in shared/platform-payloads/linkedin is read by
LinkedInClient. They are bodies of the retired v1 API (comments of a post and two error
bodies), as found in old exports. Expected values are read from each payload itself."""
from datetime import UTC, datetime

import pytest
import responses
import time_machine

from platforms.base import AuthError, Credentials, RateLimited
from platforms.linkedin import LinkedInClient, next_utc_midnight
from tests.platforms import payloads

PLATFORM = "linkedin"
BASE = "https://api.linkedin.test/rest"

pytestmark = payloads.skip_without(PLATFORM)

# error payloads → the exception send() and parse() must raise (a new error file must be added here)
EXPECTED_ERRORS = {
    "v1_error_401_invalid_token__spring-social-linkedin": AuthError,
    "v1_error_403_throttle__spring-social-linkedin": RateLimited,  # a daily limit: until midnight UTC
}


def names() -> list[str]:
    return payloads.names(PLATFORM)


def load(name: str) -> tuple[str, dict, dict]:
    return payloads.load(PLATFORM, name)


def client() -> LinkedInClient:
    return LinkedInClient(base_url=BASE, credentials=Credentials(access_token="token", account_id="1"))


def test_every_payload_has_meta():
    assert payloads.bodies(PLATFORM) == set(names())


def check_v1_comments(items, body: dict) -> None:
    values = body["values"]
    assert [i.external_id for i in items] == [f"{v['id']}@{v['creationTimestamp']}" for v in values]
    assert len({i.external_id for i in items}) == len(values)  # one stored item per comment
    for item, value in zip(items, values, strict=True):
        creator = value["creator"]
        name = f"{creator['firstName']} {creator['lastName']}"
        assert item.platform == "linkedin"
        assert item.kind == "comment"
        assert item.text == value["text"]
        assert item.posted_at == datetime.fromtimestamp(value["creationTimestamp"] / 1000, tz=UTC)
        assert item.author.display_name == name
        assert item.author.external_id == creator.get("id", f"name:{name}")


@pytest.mark.parametrize("name", names())
def test_payload(name):
    text, body, meta = load(name)
    c = client()
    method = meta["request"]["method"]
    url = payloads.request_url(meta, BASE)
    status = meta["status"] or 200
    with responses.RequestsMock() as rsps:
        rsps.add(method, url, body=text, status=status, headers=meta["headers"])
        if "error" in name:
            assert name in EXPECTED_ERRORS, f"add the expected exception for {name}"
            with pytest.raises(EXPECTED_ERRORS[name]) as err:
                c.send(method, url)
            assert err.value.status == body["status"] == status
            assert err.value.body == text
            with pytest.raises(EXPECTED_ERRORS[name], match=body["message"]):
                c.parse(body)  # the body saved on its own (ingest_file): the same clear error
            if EXPECTED_ERRORS[name] is RateLimited:
                with time_machine.travel(datetime(2026, 12, 6, 1, 30, tzinfo=UTC), tick=False):
                    with pytest.raises(RateLimited) as later:
                        c.parse(body)
                assert later.value.retry_at == next_utc_midnight(datetime(2026, 12, 6, 1, 30, tzinfo=UTC))
                assert later.value.retry_at == datetime(2026, 12, 7, tzinfo=UTC)
            return
        got, _ = c.send(method, url)
    assert got == body
    endpoint = meta["endpoint"]
    if endpoint.startswith("GET") and endpoint.split()[1].endswith("/comments") and "values" in body:
        check_v1_comments(c.parse(body), body)
        check_v1_comments(c.parse(body, endpoint="comments"), body)
    else:
        pytest.fail(f"no check for endpoint {endpoint!r} ({name}): add one")
