"""The payload harness reads both .meta.json layouts the same way."""
from tests.platforms.payloads import normalise, request_from_endpoint, request_url


def test_the_first_layout_is_kept_as_recorded():
    meta = {"endpoint": "GET /2/users/:id/mentions", "status": 200, "headers": {"x-rate-limit-limit": "450"},
            "request": {"method": "GET", "url": "https://api.twitter.com/2/users/1/mentions", "body": None}}
    got = normalise(meta)
    assert got["headers"] == {"x-rate-limit-limit": "450"}
    assert got["request"] == meta["request"]
    assert request_url(got, "https://api.x.test") == "https://api.twitter.com/2/users/1/mentions"


def test_the_second_layout_without_headers_or_request_derives_the_call():
    meta = {"repo": "r", "path": "p", "commit": "c", "licence": "MIT", "notes": "n",
            "endpoint": "GET /2/users/:id/tweets (user timeline, full expansions)", "status": 200}
    got = normalise(meta)
    assert got["headers"] == {}  # none recorded
    assert got["request"] == {"method": "GET", "url": "/2/users/:id/tweets", "body": None}
    assert request_url(got, "https://api.x.test/") == "https://api.x.test/2/users/:id/tweets"


def test_a_request_without_body_and_a_missing_status():
    got = normalise({"endpoint": "GET /x?q=1 (notes)", "request": {"method": "GET", "url": "https://h/x?q=1"}})
    assert got["request"] == {"method": "GET", "url": "https://h/x?q=1", "body": None}
    assert got["status"] is None


def test_endpoints_that_are_not_calls():
    assert request_from_endpoint("Webhook: instagram field 'mentions' (comment_id, media_id)") == {
        "method": "POST", "url": None, "body": None}
    assert request_from_endpoint("any Graph endpoint (expired/invalid token)") == {
        "method": "GET", "url": None, "body": None}
    assert request_from_endpoint("GET https://api.linkedin.com/v1/posts/{post-id}/comments (v1)")["url"] == (
        "https://api.linkedin.com/v1/posts/{post-id}/comments")
