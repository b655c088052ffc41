"""The guarded fetcher (platforms/fetch.py): no request reaches loopback, private, link-local
or otherwise non-public addresses, redirects included, unless an administrator named the host."""

import http.server
import threading
import time

import pytest

from platforms import fetch
from platforms.fetch import FetchError, FetchRefused, address_refusal, guarded_get, guarded_request


class Handler(http.server.BaseHTTPRequestHandler):
    hits: list = []

    def log_message(self, *args):
        pass

    def do_GET(self):
        Handler.hits.append((self.path, self.headers.get("Host")))
        if self.path.startswith("/redirect"):
            target = self.path.split("to=", 1)[1]
            self.send_response(302)
            self.send_header("Location", target)
            self.end_headers()
        elif self.path == "/big":
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"x" * 5000)
        elif self.path == "/trickle":
            self.send_response(200)
            self.send_header("Content-Length", "100")
            self.end_headers()
            for _ in range(100):
                self.wfile.write(b"x")
                self.wfile.flush()
                time.sleep(0.1)
        else:
            body = b"secret from inside"
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    def do_POST(self):
        self.do_GET()


@pytest.fixture
def server():
    Handler.hits = []
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_address[1]
    httpd.shutdown()
    httpd.server_close()


@pytest.mark.parametrize("url", [
    "http://127.0.0.1/", "http://10.0.0.1/", "http://169.254.169.254/latest/meta-data/", "http://[::1]/",
    "http://[::ffff:127.0.0.1]/", "http://[::ffff:a9fe:a9fe]/", "http://192.168.1.1/", "http://172.16.0.1/",
    "http://0.0.0.0/", "http://[::]/", "http://224.0.0.1/", "http://240.0.0.1/", "http://100.64.0.1/",
    "http://[fe80::1]/", "http://[fc00::1]/", "http://[2002:7f00:1::]/", "http://[64:ff9b::a00:1]/",
    "http://2130706433/", "http://0x7f000001/", "http://localhost/",
])
def test_refuses_non_public_addresses(url):
    with pytest.raises(FetchRefused):
        guarded_get(url, timeout=2)


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.org/", "gopher://127.0.0.1/",
                                 "//example.org/a", "http://user:pw@example.org/", "http:///nohost"])
def test_refuses_other_schemes_and_odd_urls(url):
    with pytest.raises(FetchRefused):
        guarded_get(url, timeout=2)


def test_public_addresses_pass_the_check():
    assert address_refusal("93.184.215.14") is None
    assert address_refusal("2606:2800:21f:cb07:6820:80da:af6b:8b2c") is None
    assert address_refusal("::ffff:93.184.215.14") is None
    assert address_refusal("::ffff:127.0.0.1")


def test_a_listener_on_loopback_gets_nothing(server):
    with pytest.raises(FetchRefused):
        guarded_get(f"http://127.0.0.1:{server}/image.png", timeout=2)
    assert Handler.hits == []


def test_a_host_an_administrator_named_is_allowed(server):
    response = guarded_get(f"http://127.0.0.1:{server}/image.png", allow_hosts={"127.0.0.1"}, timeout=5)
    assert (response.status, response.body) == (200, b"secret from inside")
    assert response.headers["Content-Type"] == "image/png"
    response = guarded_get(f"http://localhost:{server}/a", allow_hosts={f"localhost:{server}"}, timeout=5)
    assert response.status == 200
    with pytest.raises(FetchRefused):  # named with another port
        guarded_get(f"http://localhost:{server}/a", allow_hosts={"localhost:1"}, timeout=5)


@pytest.mark.parametrize("target", ["http://127.0.0.1/", "http://10.0.0.1/", "http://169.254.169.254/",
                                    "http://[::1]/", "http://[::ffff:127.0.0.1]/", "file:///etc/passwd"])
def test_a_redirect_to_a_forbidden_address_is_refused(server, target):
    # The first hop is allowed (as a lab host would be); the redirect it answers is checked again.
    with pytest.raises(FetchRefused):
        guarded_get(f"http://localhost:{server}/redirect?to={target}", allow_hosts={f"localhost:{server}"},
                    timeout=5)
    assert len(Handler.hits) == 1 and Handler.hits[0][0].startswith("/redirect")


def test_redirects_are_followed_and_counted(server):
    base = f"http://localhost:{server}"
    response = guarded_get(f"{base}/redirect?to={base}/image.png", allow_hosts={"localhost"}, timeout=5)
    assert (response.status, response.url, response.body) == (200, f"{base}/image.png", b"secret from inside")
    assert response.history == (f"{base}/redirect?to={base}/image.png",)
    loop = f"{base}/redirect?to={base}/redirect?to={base}/redirect?to={base}/image.png"
    with pytest.raises(FetchRefused, match="redirects"):
        guarded_get(loop, allow_hosts={"localhost"}, max_redirects=2, timeout=5)
    # a POST answered by 303 becomes a GET
    assert guarded_request("POST", f"{base}/redirect?to={base}/x", allow_hosts={"localhost"}, data=b"a").status == 200


def test_size_and_time_limits(server):
    with pytest.raises(FetchRefused, match="limit"):
        guarded_get(f"http://localhost:{server}/big", allow_hosts={"localhost"}, max_bytes=1000, timeout=5)
    started = time.monotonic()
    with pytest.raises(FetchError, match="longer|timed out"):
        guarded_get(f"http://localhost:{server}/trickle", allow_hosts={"localhost"}, timeout=1)
    assert time.monotonic() - started < 3


def test_dns_is_resolved_once_and_the_checked_address_is_used(server, monkeypatch):
    """A rebinding name: the first answer is public, any later one loopback. The fetcher asks
    once and connects to the checked address, so it never reaches the loopback listener."""
    answers = []

    def rebinding(host, port):
        answers.append(host)
        return ["93.184.215.14"] if len(answers) == 1 else ["127.0.0.1"]

    monkeypatch.setattr(fetch, "resolve", rebinding)
    with pytest.raises(FetchError):
        guarded_get(f"http://rebind.example:{server}/image.png", timeout=1)
    assert answers == ["rebind.example"]
    assert Handler.hits == []


def test_the_pinned_connection_keeps_the_host_name(server, monkeypatch):
    monkeypatch.setattr(fetch, "resolve", lambda host, port: ["127.0.0.1"])
    response = guarded_get(f"http://images.council.example:{server}/image.png",
                           allow_hosts={"images.council.example"}, timeout=5)
    assert response.status == 200
    assert Handler.hits == [("/image.png", f"images.council.example:{server}")]


def test_the_publishing_workers_image_download_goes_through_the_guard(server, services, settings):
    """A post naming an image on a loopback listener: the platform client built for the worker
    refuses it, and the listener receives nothing; a host the administrator named is fetched."""
    from accounts.models import Channel
    from monitoring.clients import client_for
    from platforms import helpers
    from platforms.base import InvalidRequest

    channel = Channel.objects.create(platform="mastodon", handle="@libs", display_name="Libraries",
                                     service=services["libraries"], kind="service")
    client = client_for(channel)
    with pytest.raises(InvalidRequest, match="not fetched"):
        client.publish("Look", images=[(f"http://127.0.0.1:{server}/image.png", "A secret")])
    with pytest.raises(InvalidRequest, match="not fetched"):
        helpers.download(client, f"http://[::ffff:127.0.0.1]:{server}/image.png")
    assert Handler.hits == []
    settings.FETCH_ALLOWED_HOSTS = frozenset({f"127.0.0.1:{server}"})
    data, ctype, name = helpers.download(client_for(channel), f"http://127.0.0.1:{server}/image.png")
    assert (data, ctype, name) == (b"secret from inside", "image/png", "image.png")


def test_the_demo_allows_the_site_and_the_simulator_on_their_ports_only(settings):
    from django.conf import settings as live

    sim = live.SIMULATOR_URL.split("//", 1)[1].rstrip("/")
    assert sim in live.FETCH_ALLOWED_HOSTS
    assert "127.0.0.1" not in live.FETCH_ALLOWED_HOSTS
