"""Meta's webhooks: the verification challenge, the signature, and a delivery stored once even
when the same comment is also polled (against the platform simulator)."""
import hashlib
import hmac
import json
import logging

import pytest

from accounts.models import Channel
from accounts.services import channel_connection_store
from monitoring import webhooks
from monitoring.models import Mention, PollState, RawPayload, WatchTerm
from monitoring.services import poll_run, poll_states_sync
from platforms.simulator.server import run_in_thread
from tests.monitoring.test_against_simulator import ctl

SECRET = "simulator-secret"  # monitoring.clients.app_for's secret with the simulator


def signed(body: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def delivery(page_id: str, comment_id: str, post_id: str, text: str = "Bins not collected on Elm Road") -> bytes:
    return json.dumps({"object": "page", "entry": [{"id": page_id, "time": 1764979200, "changes": [{
        "field": "feed", "value": {"item": "comment", "verb": "add", "comment_id": comment_id, "post_id": post_id,
                                   "parent_id": post_id, "message": text, "created_time": 1764979100,
                                   "from": {"id": "9911", "name": "A Resident"}}}]}]}).encode()


def post_delivery(client, body: bytes, signature: str | None, platform: str = "facebook"):
    headers = {"HTTP_X_HUB_SIGNATURE_256": signature} if signature is not None else {}
    return client.post(f"/webhooks/{platform}/", data=body, content_type="application/json", **headers)


@pytest.fixture
def page_channel(db, services, settings):
    settings.USE_SIMULATOR = True
    channel = Channel.objects.create(platform="facebook", handle="KingsmereBC", display_name="Kingsmere",
                                     service=services["communications"], kind="corporate")
    channel_connection_store(actor=None, channel=channel, account_id="108123456789012", access_token="t")
    channel.refresh_from_db()
    return channel


def test_the_subscription_challenge_is_answered_only_with_our_token(client, settings, db):
    settings.WEBHOOK_VERIFY_TOKEN = "our-token"
    ok = client.get("/webhooks/facebook/", {"hub.mode": "subscribe", "hub.verify_token": "our-token",
                                            "hub.challenge": "1158201444"})
    assert ok.status_code == 200 and ok.content == b"1158201444"
    for params in ({"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "1"},
                   {"hub.mode": "subscribe", "hub.challenge": "1"},
                   {"hub.mode": "subscribe", "hub.verify_token": "our-token", "hub.challenge": "<script>"}):
        assert client.get("/webhooks/facebook/", params).status_code == 403
    settings.WEBHOOK_VERIFY_TOKEN = ""
    assert client.get("/webhooks/facebook/", {"hub.mode": "subscribe", "hub.verify_token": "",
                                              "hub.challenge": "1"}).status_code == 403
    assert client.get("/webhooks/flickr/").status_code == 404


@pytest.mark.parametrize("signature", [None, "", "sha256=" + "0" * 64, "sha1=abc", "sha256=deadbeef"])
def test_a_bad_or_missing_signature_is_refused_logged_and_stores_nothing(client, page_channel, signature, caplog,
                                                                         django_capture_on_commit_callbacks):
    body = delivery("108123456789012", "111_222", "108123456789012_111")
    with caplog.at_level(logging.WARNING, logger="monitoring.views"), \
            django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = post_delivery(client, body, signature)
    assert response.status_code == 403
    assert "Refused a facebook webhook delivery" in caplog.text
    assert not callbacks and not RawPayload.objects.exists() and not Mention.objects.exists()


def test_a_signature_made_with_another_secret_is_refused(client, page_channel):
    body = delivery("108123456789012", "111_222", "108123456789012_111")
    assert post_delivery(client, body, signed(body, "not-the-app-secret")).status_code == 403
    tampered = body.replace(b"Elm Road", b"Elm Roat")
    assert post_delivery(client, tampered, signed(body)).status_code == 403
    assert not RawPayload.objects.exists()


def test_a_signed_delivery_is_kept_acknowledged_and_ingested_once(client, page_channel, settings,
                                                                  django_capture_on_commit_callbacks, monkeypatch):
    queued = []
    monkeypatch.setattr("monitoring.tasks.webhook_ingest.delay", queued.append)
    body = delivery("108123456789012", "108123456789012_5_77", "108123456789012_5", text="<b>hi</b>\x00")
    with django_capture_on_commit_callbacks(execute=True):
        response = post_delivery(client, body, signed(body))
    assert response.status_code == 200 and response.content == b"EVENT_RECEIVED"
    raw = RawPayload.objects.get()
    assert raw.source == "webhook" and raw.channel == page_channel and queued == [raw.pk]
    assert not Mention.objects.exists()  # acknowledged before any ingestion
    first = webhooks.webhook_ingest(raw_id=raw.pk)
    again = webhooks.webhook_ingest(raw_id=raw.pk)
    assert (first.created, again.created, again.duplicates) == (1, 0, 1)
    mention = Mention.objects.get()
    assert mention.text == "<b>hi</b>\x00" and mention.kind == "comment" and mention.channel == page_channel


def test_a_delivery_for_no_connected_channel_or_not_json_stores_nothing(client, page_channel):
    body = delivery("999", "1_2", "1")
    assert post_delivery(client, body, signed(body)).status_code == 200
    junk = b"{not json"
    assert post_delivery(client, junk, signed(junk)).status_code == 200
    assert not RawPayload.objects.exists() and not Mention.objects.exists()


def test_an_instagram_mention_is_read_from_the_api_by_the_worker(page_channel, services, monkeypatch):
    channel = Channel.objects.create(platform="instagram", handle="kingsmerebc", display_name="Kingsmere",
                                     service=services["communications"])
    channel_connection_store(actor=None, channel=channel, account_id="17841400000000001", access_token="t")
    body = json.dumps({"object": "instagram", "entry": [{"id": "17841400000000001", "time": 1, "changes": [
        {"field": "mentions", "value": {"media_id": "17900000000000001", "comment_id": "17850000000000002"}}]}]})
    raw = RawPayload.objects.create(channel=channel, endpoint="webhook", body=body, source="webhook")
    read = []

    def resolve(self, part):
        read.append(part)
        from platforms.instagram import InstagramClient

        return InstagramClient.parse(self, {"mentioned_comment": {
            "id": "17850000000000002", "text": "@kingsmerebc the park gate is broken",
            "timestamp": "2026-12-05T09:00:00+0000", "username": "resident"}, "id": "17841400000000001"})

    monkeypatch.setattr("platforms.instagram.InstagramClient.resolve_webhook", resolve)
    assert webhooks.webhook_ingest(raw_id=raw.pk).created == 1
    assert read and Mention.objects.get().kind == "mention"


# --- against the simulator: the same comment by webhook and by poll ------------------------------------------------

@pytest.fixture(scope="module")
def sim():
    server, url = run_in_thread(port=0, seed=11)
    yield server, url
    server.shutdown()


@pytest.mark.django_db(transaction=True)
def test_a_comment_pushed_and_polled_is_stored_once(sim, settings, services, client):
    server, url = sim
    server.reset()
    settings.USE_SIMULATOR = True
    settings.SIMULATOR_URL = url
    WatchTerm.objects.create(term="Kingsmere")
    account = ctl(url, "GET", "accounts")["facebook"]
    channel = Channel.objects.create(platform="facebook", handle=account["handle"], display_name="Kingsmere",
                                     service=services["communications"], kind="corporate")
    channel_connection_store(actor=None, channel=channel, account_id=account["account_id"],
                             access_token=account["demo_token"])
    channel.refresh_from_db()
    poll_states_sync(channel=channel)
    made = ctl(url, "POST", "generate", {"platform": "facebook", "count": 5, "kinds": ["comment"],
                                         "spread_seconds": 600})["facebook"]["items"]
    pushed = made[0]
    body = delivery(account["account_id"], pushed["id"], pushed["post_id"])
    response = post_delivery(client, body, signed(body))  # the task runs when the worker takes it
    assert response.status_code == 200
    assert webhooks.webhook_ingest(raw_id=RawPayload.objects.get(source="webhook").pk).created == 1
    for _ in range(20):
        PollState.objects.update(not_before=None)
        results = [poll_run(state_id=s) for s in PollState.objects.values_list("pk", flat=True)]
        if not any(r.get("created") or r.get("more") for r in results):
            break
    stored = list(Mention.objects.filter(platform="facebook").values_list("external_id", flat=True))
    assert len(stored) == len(set(stored))
    assert {m["id"] for m in made} <= set(stored)
    assert stored.count(pushed["id"]) == 1


def test_a_threads_delivery_is_signed_kept_and_read(client, services, settings, django_capture_on_commit_callbacks,
                                                    monkeypatch):
    from tests.platforms.test_client_threads import USER, WEBHOOK

    settings.USE_SIMULATOR = True
    channel = Channel.objects.create(platform="threads", handle="kingsmerebc", display_name="Kingsmere",
                                     service=services["communications"])
    channel_connection_store(actor=None, channel=channel, account_id=USER, access_token="t")
    monkeypatch.setattr("monitoring.tasks.webhook_ingest.delay", lambda raw_id: None)
    body = json.dumps(WEBHOOK).encode()
    assert post_delivery(client, body, signed(body, "wrong"), platform="threads").status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        assert post_delivery(client, body, signed(body), platform="threads").status_code == 200
    raw = RawPayload.objects.get()
    assert webhooks.webhook_ingest(raw_id=raw.pk).created == 1
    mention = Mention.objects.get()
    assert mention.channel == channel and mention.kind == "reply" and mention.in_reply_to_id == "999"


@pytest.mark.django_db(transaction=True)
def test_an_instagram_mention_delivery_is_read_from_the_simulator(sim, settings, services):
    server, url = sim
    server.reset()
    settings.USE_SIMULATOR = True
    settings.SIMULATOR_URL = url
    account = ctl(url, "GET", "accounts")["instagram"]
    channel = Channel.objects.create(platform="instagram", handle=account["handle"], display_name="Kingsmere",
                                     service=services["communications"], kind="corporate")
    channel_connection_store(actor=None, channel=channel, account_id=account["account_id"],
                             access_token=account["demo_token"])
    comment = ctl(url, "POST", "inject", {"platform": "instagram", "kind": "comment",
                                          "text": f"@{account['handle']} the play park gate is broken"})
    body = json.dumps({"object": "instagram", "entry": [{"id": account["account_id"], "time": 1, "changes": [
        {"field": "mentions", "value": {"media_id": comment["media_id"], "comment_id": comment["id"]}}]}]})
    raw = RawPayload.objects.create(channel=channel, endpoint="webhook", body=body, source="webhook")
    assert webhooks.webhook_ingest(raw_id=raw.pk).created == 1
    mention = Mention.objects.get()
    assert mention.external_id == comment["id"] and mention.kind == "mention" and "play park" in mention.text
    assert webhooks.webhook_ingest(raw_id=raw.pk).created == 0
