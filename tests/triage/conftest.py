"""Fixtures for triage's Django tests: mentions arrive through monitoring's real ingestion,
so the NEW_MENTION_HOOKS route them as in production."""
import itertools

import pytest
from django.db import transaction
from django.utils import timezone

from monitoring.models import Mention
from monitoring.services import ingest_items
from platforms.base import Author, Item
from triage.models import Case


@pytest.fixture
def post(channels):
    """post(text, ...) -> the stored Mention, routed. `channel` is a key of the channels
    fixture or a Channel."""
    numbers = itertools.count(1)

    def post(text, *, channel="corporate", author="resident", name="", followers=120, verified=False,
             kind="mention", conversation_id="", posted_at=None, replies=0, reshares=0, external_id=None):
        ch = channels[channel] if isinstance(channel, str) else channel
        item = Item(
            platform=ch.platform, external_id=external_id or f"{ch.platform}-{next(numbers)}", kind=kind, text=text,
            posted_at=posted_at or timezone.now(), conversation_id=conversation_id, replies=replies,
            reshares=reshares, url=f"https://x.com/{author}/status/1",
            author=Author(external_id=f"id-{author}", handle=f"@{author}", display_name=name, followers=followers,
                          verified=verified))
        with transaction.atomic():
            ingest_items(channel=ch, items=[item], raw=None)
        return Mention.objects.get(platform=ch.platform, external_id=item.external_id)

    return post


@pytest.fixture
def model_reads(monkeypatch):
    """model_reads(intent, **kwargs) or model_reads({text part: intent or Reading}): from now on the
    live model reads mentions so (tests/triage/readings.py), and the configuration is rebuilt."""
    from tests.triage.readings import Reading, ReadingByText
    from triage import config, model_store

    def reads(intent="no_action", **kwargs):
        reading = ReadingByText(intent, **kwargs) if isinstance(intent, dict) else Reading(intent, **kwargs)
        monkeypatch.setattr(model_store, "live_predictor", lambda: reading)
        monkeypatch.setattr(config, "_cached", None)
        return reading

    return reads


@pytest.fixture
def case_of():
    def case_of(mention) -> Case:
        return Case.objects.get(routings__mention=mention)

    return case_of


@pytest.fixture
def cases_by_scope(post, case_of, services, staff):
    """One open case per situation, named for who should see it."""
    from triage import services as triage_services

    def make(text, route, service, **kwargs):
        case = case_of(post(text, **kwargs))
        Case.objects.filter(pk=case.pk).update(route=route, service=services[service] if service else None,
                                               state="new")
        case.refresh_from_db()
        return case

    made = {
        "cs_waste": make("My bin wasn't collected again, can you sort it please?", "customer_service",
                         "waste-and-recycling"),
        "cs_libraries": make("I've lost my library card, can you help me?", "customer_service", "libraries"),
        "web_libraries": make("What time does Kilburn library open?", "web_team_response", "libraries"),
        "service_leisure": make("Great swim at the leisure centre", "service_conversation", "leisure"),
        "comms_leisure": make("The leisure centre closure is a scandal", "comms_escalation", "leisure"),
        "foi": make("FOI: please provide the number of potholes repaired in 2025", "foi", "communications",
                    name="Amara Okafor"),
    }
    triage_services.case_escalate(actor=staff["communications_officer"], case=made["comms_leisure"],
                                  reason="Councillor Cllr may be asked", councillors=[staff["councillor"]])
    return made


@pytest.fixture(scope="module")
def _corpus_slice(request):
    """(training items, held-back items): the first of each of the shipped corpus, as many as
    the module's CORPUS_SLICE says, and a predictor trained on those training items."""
    from triage import learned, model_store

    train, held = request.module.CORPUS_SLICE
    train_items, held_items = model_store.shipped_split()
    split = (train_items[:train], held_items[:held])
    return split, learned.Predictor(learned.train(split[0]))


@pytest.fixture(autouse=True)
def _train_on_a_slice(request, monkeypatch):
    """In a module with CORPUS_SLICE = (training items, held-back items), the model store
    trains and evaluates on that slice of the corpus and serves a model trained on it as the
    shipped one, so each training takes seconds."""
    if not hasattr(request.module, "CORPUS_SLICE"):
        return
    from triage import model_store

    split, predictor = request.getfixturevalue("_corpus_slice")
    monkeypatch.setattr(model_store, "shipped_split", lambda: split)
    monkeypatch.setattr(model_store, "shipped_predictor", lambda: predictor)
    monkeypatch.setattr(model_store, "_live", None)
