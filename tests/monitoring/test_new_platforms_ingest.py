"""Each new platform's payloads parse and re-ingest as a no-op (ingest_file), and a platform
without reading says so clearly instead of failing."""
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accounts.models import Channel
from monitoring.models import Mention, RawPayload
from tests.platforms.test_client_threads import MEDIA, REPLY, WEBHOOK

pytestmark = pytest.mark.django_db


def run(*args):
    out = StringIO()
    call_command("ingest_file", *args, stdout=out)
    return json.loads(out.getvalue())


@pytest.mark.parametrize("body", [{"data": [MEDIA, REPLY], "paging": {"cursors": {"after": "A"}}}, WEBHOOK],
                         ids=["page", "webhook"])
def test_threads_bodies_ingest_once(services, tmp_path, body):
    Channel.objects.create(platform="threads", handle="kingsmerebc", display_name="Kingsmere",
                           service=services["communications"])
    path = tmp_path / "threads.json"
    path.write_text(json.dumps(body))
    count = len(body.get("data", [1]))
    assert run("--platform", "threads", "--channel", "kingsmerebc", str(path)) == {
        "created": count, "duplicates": 0, "quarantined": 0}
    stored = (Mention.objects.count(), RawPayload.objects.count())
    assert run("--platform", "threads", "--channel", "kingsmerebc", str(path)) == {
        "created": 0, "duplicates": count, "quarantined": 0}
    assert (Mention.objects.count(), RawPayload.objects.count()) == stored


def test_a_threads_error_body_is_refused_cleanly(services, tmp_path):
    Channel.objects.create(platform="threads", handle="kingsmerebc", display_name="Kingsmere",
                           service=services["communications"])
    path = tmp_path / "error.json"
    path.write_text(json.dumps({"error": {"message": "Invalid OAuth access token - Cannot parse access token",
                                          "type": "OAuthException", "code": 190, "fbtrace_id": "A"}}))
    with pytest.raises(CommandError, match="is an error response, not items"):
        run("--platform", "threads", "--channel", "kingsmerebc", str(path))
    assert not Mention.objects.exists()


@pytest.mark.parametrize(("platform", "says"), [
    ("flickr", "Flickr is registry-only"),
    ("nextdoor", "Nextdoor is publishing only: Nextdoor does not let public agencies read"),
])
def test_platforms_without_reading_say_so(services, tmp_path, platform, says):
    Channel.objects.create(platform=platform, handle="photos", display_name="Photos",
                           service=services["communications"])
    path = tmp_path / "body.json"
    path.write_text(json.dumps({"photos": {"photo": []}}))
    with pytest.raises(CommandError, match=says):
        run("--platform", platform, "--channel", "photos", str(path))
    assert not RawPayload.objects.exists()


def test_the_nextdoor_channel_page_says_it_cannot_listen(staff, services, client_for):
    from accounts.roles import Role

    channel = Channel.objects.create(platform="nextdoor", handle="Kingsmere", display_name="Kingsmere",
                                     service=services["communications"])
    page = client_for(staff[Role.WEB_TEAM]).get(f"/channels/{channel.pk}/").content.decode()
    assert "does not let public agencies read residents" in page
    assert "polling starts" not in page
