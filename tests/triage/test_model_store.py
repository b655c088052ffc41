"""Model versions as data: training stores a candidate with its held-back figures; promotion
refuses a model that scores worse than the live one; a rollback is used for the next mention;
the stored parameters are plain arrays. These tests train on a small slice of the corpus."""
import pytest

from accounts.models import AuditEvent
from triage import learned, model_store
from triage.models import ClassifierVersion

pytestmark = pytest.mark.django_db
CORPUS_SLICE = (500, 150)

WEAK = {"route_c": 0.0005, "service_c": 0.0005, "safeguarding_c": 0.0005}


def test_the_shipped_model_becomes_the_first_live_version_once():
    first = model_store.classifier_ensure_live()
    assert (first.version, first.status, first.corpus_items, first.council_labels) == (1, "live", 500, 0)
    assert model_store.classifier_ensure_live() == first
    assert first.headline()["accuracy"] > 0.5
    assert AuditEvent.objects.filter(action="classifier.promoted", object_id=str(first.pk)).exists()


def test_a_candidate_is_stored_with_its_held_back_figures(staff):
    from accounts.roles import Role

    web = staff[Role.WEB_TEAM]
    labels = [{"text": "the cemetery gates on Brook St have been locked for a week", "route": "customer_service",
               "service": "bereavement", "safeguarding": False},
              {"text": "safeguarding but no action", "route": "no_action", "safeguarding": True}]  # left out
    row = model_store.classifier_train(extra_items=labels, actor=web)
    assert (row.status, row.trained_by, row.corpus_items, row.council_labels) == ("candidate", web, 500, 1)
    assert row.metrics["items"] == 150 and set(row.headline()) == {
        "accuracy", "macro_f1", "safeguarding_recall", "safeguarding_precision", "service_accuracy"}
    assert "bereavement" in learned.model_from_bytes(row.params).services
    assert AuditEvent.objects.get(action="classifier.trained", object_id=str(row.pk)).actor == web


def test_promotion_refuses_a_worse_model_and_takes_a_better_one(staff):
    from accounts.roles import Role

    admin = staff[Role.ADMINISTRATOR]
    live = model_store.classifier_ensure_live()
    worse = model_store.classifier_train(actor=admin, params=WEAK)
    with pytest.raises(model_store.PromotionRefused, match="worse than version 1 on the held-back fifth"):
        model_store.classifier_promote(worse, actor=admin)
    worse.refresh_from_db()
    assert worse.status == "rejected" and "route accuracy" in worse.note
    assert model_store.live_version() == live.version
    assert AuditEvent.objects.filter(action="classifier.rejected", object_id=str(worse.pk)).exists()

    # Retraining with the council's corrections on top of the corpus scores at least as well: promoted.
    corrections = [{"text": "the bins on Kestrel Way have been skipped three weeks running", "route":
                    "customer_service", "service": "waste-and-recycling", "safeguarding": False}]
    better = model_store.classifier_train(extra_items=corrections, actor=admin)
    assert model_store.classifier_promote(better, actor=admin).status == "live"
    live.refresh_from_db()
    assert live.status == "retired" and model_store.live_version() == better.version
    assert model_store.live_predictor().version == better.version


def test_a_better_model_replaces_a_weak_live_one(staff):
    from accounts.roles import Role

    admin = staff[Role.ADMINISTRATOR]
    weak = model_store.classifier_train(actor=admin, params=WEAK)
    model_store.classifier_promote(weak, actor=admin)  # nothing live yet: the first is taken as it is
    stronger = model_store.classifier_train(actor=admin)
    model_store.classifier_promote(stronger, actor=admin)
    assert model_store.live_version() == stronger.version
    assert stronger.headline()["macro_f1"] > weak.headline()["macro_f1"]


def test_a_rolled_back_model_is_used_for_the_next_mention(staff, post, django_assert_max_num_queries):
    from accounts.roles import Role

    admin = staff[Role.ADMINISTRATOR]
    first = model_store.classifier_ensure_live()
    second = model_store.classifier_train(actor=admin)
    model_store.classifier_promote(second, actor=admin)
    assert post("the street light on Kestrel Way is out").routing.classification["model"]["version"] == 2

    model_store.classifier_rollback(first, actor=admin)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == ("live", "retired")
    routing = post("the street light on Kestrel Way is still out").routing
    assert routing.classification["model"]["version"] == 1
    assert AuditEvent.objects.filter(action="classifier.rolled_back", object_id=str(first.pk)).exists()
    # The live predictor is kept: asking again costs one small query.
    model_store.live_predictor()
    with django_assert_max_num_queries(1):
        assert model_store.live_predictor().version == 1


def test_stored_parameters_are_plain_arrays_checked_on_load(caplog):
    row = model_store.classifier_ensure_live()
    model = learned.model_from_bytes(bytes(row.params))  # allow_pickle=False inside
    assert model.meta["routes"] and model.coef.dtype.kind == "f"
    ClassifierVersion.objects.filter(pk=row.pk).update(params_sha256="0" * 64)
    model_store._live = None
    assert model_store.live_predictor().version is None  # the shipped model instead of a tampered one
    assert "does not match its checksum" in caplog.text


def test_only_one_version_is_live():
    from django.db import IntegrityError, transaction

    row = model_store.classifier_ensure_live()
    with pytest.raises(IntegrityError), transaction.atomic():
        ClassifierVersion.objects.create(version=row.version + 1, status="live", params=b"", params_sha256="")
