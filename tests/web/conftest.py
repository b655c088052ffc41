import pytest

from platforms import fetch

PUBLIC = "93.184.215.14"


@pytest.fixture(autouse=True)
def example_hosts_resolve_publicly(monkeypatch):
    """Sites in these tests (*.example) are mocked at the HTTP layer; the guarded fetcher resolves
    them to a public address instead of asking DNS."""
    real = fetch.resolve

    def resolve(host, port):
        return [PUBLIC] if host.endswith(".example") else real(host, port)

    monkeypatch.setattr(fetch, "resolve", resolve)
