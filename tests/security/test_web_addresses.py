"""Web addresses people type (a channel's address, a post's link and images) are URLs with no
quote, angle bracket or other character a URI may not hold, in forms and API alike."""
import pytest
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from accounts.models import Channel
from accounts.roles import Role
from council_social.validators import validate_web_address
from publishing.models import Post

pytestmark = pytest.mark.django_db

BAD = ['https://council.example/"onmouseover="alert(1)', "https://council.example/<script>", "https://x.example/a>b",
       "https://x.example/`x`", "https://x.example/a b", "javascript:alert(1)", "https://x.example/{a}",
       "ftp://x.example/", "https://x.example/\\evil"]
GOOD = ["https://www.kingsmere.gov.uk/libraries", "https://x.example/path?q=1&r=two#part", "http://x.example/O'Brien"]


@pytest.mark.parametrize("url", BAD)
def test_the_rule_refuses(url):
    with pytest.raises(ValidationError):
        validate_web_address(url)


@pytest.mark.parametrize("url", GOOD)
def test_the_rule_accepts(url):
    validate_web_address(url)


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


CHANNEL = {"platform": "bluesky", "handle": "libraries.kingsmere.example", "display_name": "Libraries",
           "service": "libraries", "kind": "service", "status": "active"}


def test_channel_address_in_the_api_and_the_form(staff, client_for, channels):
    web = staff[Role.WEB_TEAM]
    for url in BAD[:3]:
        response = api(web).post("/api/channels/", {**CHANNEL, "url": url}, format="json")
        assert response.status_code == 400 and "url" in response.json(), (url, response.content)
        channel = channels["libraries"]
        patched = api(web).patch(f"/api/channels/{channel.pk}/", {"url": url}, format="json")
        assert patched.status_code == 400 and "url" in patched.json()
    assert not Channel.objects.filter(url__contains="<").exists() and not Channel.objects.filter(url__contains='"')
    ok = api(web).post("/api/channels/", {**CHANNEL, "url": GOOD[0]}, format="json")
    assert ok.status_code == 201, ok.content
    page = client_for(web).post("/channels/add/", {**CHANNEL, "service": channels["libraries"].service.pk,
                                                   "handle": "other.example", "url": BAD[0]})
    assert page.status_code in (200, 400) and b"without quotes, angle brackets or spaces" in page.content
    assert not Channel.objects.filter(handle="other.example").exists()


def test_post_link_and_image_address_in_the_api_and_the_form(staff, client_for, channels):
    editor = staff[Role.SERVICE_EDITOR]
    channel = channels["libraries"]
    for field, body in (("link", {"link": BAD[0]}),
                        ("images", {"images": [{"url": BAD[1], "alt_text": "A map"}]})):
        response = api(editor).post("/api/posts/", {"text": "Open late", "channels": [channel.pk], **body},
                                    format="json")
        assert response.status_code == 400 and field in response.json(), response.content
    page = client_for(editor).post("/posts/new/", {"text": "Open late", "channels": [channel.pk], "link": BAD[1],
                                                  "image_1_url": BAD[0], "image_1_alt": "A map"})
    assert page.status_code in (200, 400)  # the editor, sent back with its errors
    assert page.content.count(b"without quotes, angle brackets or spaces") >= 2, page.content.decode()[-3000:]
    assert not Post.objects.exists()
