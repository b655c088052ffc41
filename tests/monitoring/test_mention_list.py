"""The mentions page at scale (docs/performance.md): a search finds mentions by their text or by
their author's handle without an OR across the join to authors, whichever way the ids are
passed, and the count stops at its cap and says "more than"."""
import re

import pytest

from accounts.roles import Role
from monitoring import selectors
from monitoring.services import ingest_items
from tests.monitoring.scripted import item

pytestmark = pytest.mark.django_db


@pytest.fixture
def mentions(channels):
    ingest_items(channel=channels["libraries"], raw=None, items=[
        item(1, text="The pothole on Mill Lane is back", author="resident1"),
        item(2, text="Bins missed again", author="millwatcher"),
        item(3, text="Lovely park", author="someone"),
        item(4, text="MILL LANE flooding", author="other"),
    ])


@pytest.mark.parametrize("author_ids_max", [2000, 0])
def test_search_finds_mentions_by_text_or_author(mentions, staff, monkeypatch, author_ids_max):
    monkeypatch.setattr(selectors, "AUTHOR_IDS_MAX", author_ids_max)  # 0: the authors stay a subquery
    found = selectors.mention_list(user=staff[Role.WEB_TEAM], filters={"q": "mill"})
    assert sorted(m.external_id for m in found) == ["1", "2", "4"]
    assert [m.external_id for m in selectors.mention_list(user=staff[Role.WEB_TEAM], filters={"q": "Watcher"})] == [
        "2"]


def test_the_count_stops_at_its_cap(mentions, staff, client_for, monkeypatch):
    client = client_for(staff[Role.WEB_TEAM])
    assert re.search(r">\s*4 mentions\s*<", client.get("/mentions/").content.decode())
    monkeypatch.setattr("council_social.pagination.COUNT_MAX", 3)
    html = client.get("/mentions/").content.decode()
    assert "More than 3 mentions: filter to see fewer." in html
    assert len(re.findall(r'<tr class="govuk-table__row">\s*<td', html)) == 3
