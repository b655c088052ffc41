"""The learning loop: retraining on the corpus plus the council's labels promotes a model that
is not worse on the held-back evaluation and refuses one that is (trained on deliberately wrong
labels); a rolled-back version classifies the next mention; a retraining run is safe to run
twice and is picked up again after its worker died; the Triage quality page shows figures
computed from the labels. These tests train on a slice of the corpus."""
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import AuditEvent, Service
from accounts.roles import Role
from monitoring.models import Author, Mention
from triage import learned, learning, model_store
from triage.models import ClassifierVersion, RetrainRun, RoutingLabel

pytestmark = pytest.mark.django_db
CORPUS_SLICE = (3000, 800)  # the loop's decisions do not depend on the corpus's size
ROUTES = list(learned.ROUTES)
WEAK = {"route_c": 0.0005, "service_c": 0.0005, "safeguarding_c": 0.0005}  # a model that learns almost nothing


def wrong(route: str) -> str:
    """Another route than the right one, the same for every item of a route."""
    return ROUTES[(ROUTES.index(route) + 1) % len(ROUTES)]


def wrong_service(service: str | None) -> str:
    services = model_store.SHIPPED_SERVICES
    return services[(services.index(service) + 1) % len(services)] if service in services else services[0]


def poisoned_items(n: int) -> list[dict]:
    """n items of the corpus's training part, each labelled wrongly: another route, another
    service, nobody at risk."""
    train, _ = model_store.shipped_split()
    return [{**item, "route": wrong(item["route"]), "service": wrong_service(item.get("service")),
             "safeguarding": False} for item in train[:n]]


@pytest.fixture
def labels_from(channels):
    """labels_from(items, decision=...) -> RoutingLabels of stored mentions with these texts."""
    author = Author.objects.create(platform="x", external_id="id-labels", handle="@labels")

    def make(items, *, decision="rerouted", at=None, predicted=None):
        now = at or timezone.now()
        mentions = Mention.objects.bulk_create([
            Mention(platform="x", external_id=f"label-{Mention.objects.count()}-{i}", channel=channels["corporate"],
                    author=author, kind="mention", text=item["text"], posted_at=now, received_at=now)
            for i, item in enumerate(items)])
        services = {slug: Service.objects.get_or_create(slug=slug, defaults={"name": slug.title()})[0]
                    for slug in {item.get("service") for item in items} if slug}
        return RoutingLabel.objects.bulk_create([
            RoutingLabel(mention=m, route=item["route"], service=services.get(item.get("service")),
                         safeguarding=bool(item.get("safeguarding")),
                         decision=decision, predicted_route=(predicted or {}).get("route", ""), actor_name="Web",
                         at=now) for m, item in zip(mentions, items, strict=True)])

    return make


def live() -> ClassifierVersion:
    return ClassifierVersion.objects.get(status="live")


def test_retraining_promotes_a_better_model_and_refuses_a_worse_one(labels_from, staff):
    web = staff[Role.WEB_TEAM]
    # A weak live model (it learnt almost nothing): retraining with the council's corrections beats it.
    weak = model_store.classifier_train(params=WEAK)
    model_store.classifier_promote(weak, actor=web)  # nothing was live: the first is taken as it is

    train, _ = model_store.shipped_split()
    labels_from(train[:60])  # staff corrections: right labels
    run = learning.retrain_request(actor=web, queue=False)
    run = learning.retrain_run(run_id=run.pk)
    assert (run.state, run.promoted, run.labels_used) == ("done", True, 60), run.error or run.outcome
    better = live()
    assert str(better.version) == run.version and better.council_labels == 60
    assert better.headline()["accuracy"] > weak.headline()["accuracy"]
    assert run.outcome.startswith("Promoted")

    labels_from(poisoned_items(len(train) // 2))  # now the council's labels are deliberately wrong, on half the items
    run = learning.retrain_run(run_id=learning.retrain_request(actor=web, queue=False).pk)
    assert (run.state, run.promoted) == ("done", False), run.error
    assert run.outcome.startswith("Kept back") and "worse than version" in run.outcome
    assert live() == better  # the live model is unchanged
    refused = ClassifierVersion.objects.get(version=int(run.version))
    assert refused.status == "rejected" and refused.headline()["accuracy"] < better.headline()["accuracy"]
    assert AuditEvent.objects.filter(action="classifier.retrained", object_id=str(run.pk)).exists()


def test_a_rolled_back_version_classifies_the_next_mention(post, staff, client_for):
    web = staff[Role.WEB_TEAM]
    first = model_store.classifier_ensure_live()
    second = model_store.classifier_train()
    model_store.classifier_promote(second, actor=web)
    assert post("Where do I renew my resident parking permit?").routing.classification["model"]["version"] == \
        second.version

    response = client_for(web).post("/triage/quality/rollback/", {"version": first.version})
    assert response.status_code == 302
    assert live() == first
    assert AuditEvent.objects.filter(action="classifier.rolled_back", actor=web).exists()
    routed = post("The bins on Mill Road have not been emptied for three weeks")
    assert routed.routing.classification["model"]["version"] == first.version

    assert client_for(staff[Role.SERVICE_EDITOR]).post("/triage/quality/rollback/",
                                                      {"version": second.version}).status_code == 403
    assert live() == first


def test_asking_twice_trains_once_and_a_run_left_by_a_dead_worker_is_taken_up_again(staff, monkeypatch):
    web = staff[Role.WEB_TEAM]
    queued = []
    monkeypatch.setattr(learning, "_queue", queued.append)
    first = learning.retrain_request(actor=web)
    assert learning.retrain_request(actor=staff[Role.ADMINISTRATOR]) == first
    assert RetrainRun.objects.count() == 1

    # A worker claimed it and died.
    RetrainRun.objects.filter(pk=first.pk).update(state="running", started_at=timezone.now() - timedelta(hours=1),
                                                  progress=25)
    assert learning.retrain_request(actor=web, queue=True) == first  # and it is queued again
    trained = []
    monkeypatch.setattr(model_store, "classifier_train", lambda **kw: trained.append(kw) or _Version(7))
    monkeypatch.setattr(model_store, "classifier_promote", lambda version, actor: version)
    run = learning.retrain_run(run_id=first.pk)
    assert (run.state, run.version, run.promoted, len(trained)) == ("done", "7", True, 1)
    # The same task delivered again does nothing.
    assert learning.retrain_run(run_id=first.pk).state == "done" and len(trained) == 1

    # A run another worker is still running is left alone.
    busy = RetrainRun.objects.create(requested_by_name="system", state="running", started_at=timezone.now())
    assert learning.retrain_run(run_id=busy.pk).state == "running" and len(trained) == 1


class _Version:
    def __init__(self, version):
        self.version = version


def test_a_failed_run_says_why_and_changes_nothing(staff, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("out of memory")

    monkeypatch.setattr(model_store, "classifier_train", broken)
    run = learning.retrain_run(run_id=learning.retrain_request(actor=staff[Role.WEB_TEAM], queue=False).pk)
    assert run.state == "failed" and "out of memory" in run.error and "training" in run.error


def test_the_nightly_schedule_retrains():
    from council_social.schedules import CRONTABS

    assert ("triage.classifier_retrain", "30 2 * * *", {}) in CRONTABS.values()


def test_correction_figures_are_computed_from_the_labels(labels_from):
    now = timezone.now()
    texts = iter(f"mention {i}" for i in range(100))

    def given(said, right, n, **kwargs):
        return labels_from([{"text": next(texts), "route": right} for _ in range(n)], predicted={"route": said},
                           **kwargs)

    given("customer_service", "customer_service", 3)
    given("no_action", "customer_service", 1)  # a missed request
    given("no_action", "no_action", 2)
    given("customer_service", "web_team_response", 2)
    given("foi", "foi", 4, at=now - timedelta(days=40))  # too old to count
    figs = learning.correction_figures(now=now)
    route = figs["route"]
    assert figs["items"] == 8
    assert route["accuracy"] == pytest.approx(5 / 8)
    cs = route["per_class"]["customer_service"]
    assert (cs["precision"], cs["recall"], cs["support"]) == (pytest.approx(3 / 5), pytest.approx(3 / 4), 4)
    assert route["per_class"]["no_action"]["precision"] == pytest.approx(2 / 3)
    assert "foi" not in route["per_class"]
    labels = route["labels"]
    assert route["confusion"][labels.index("customer_service")][labels.index("no_action")] == 1


def test_the_quality_page_shows_the_figures_and_the_versions(labels_from, staff, client_for):
    model_store.classifier_ensure_live()
    labels_from([{"text": "bin not emptied", "route": "customer_service"}] * 3, predicted={"route": "no_action"})
    labels_from([{"text": "lovely park", "route": "no_action"}], predicted={"route": "no_action"})
    client = client_for(staff[Role.WEB_TEAM])
    html = client.get("/triage/quality/").content.decode()
    version = live()
    assert "Triage quality" in html and f"<dd class=\"govuk-summary-list__value\">{version.version}</dd>" in html
    assert "Confusion matrix on the held-back evaluation" in html and '<th scope="row"' in html
    assert f"{100 * version.headline()['accuracy']:.1f}%" in html
    # the last 30 days: 1 of 4 right; no action said 4 times, right once: precision 25.0%
    assert "Where staff said 4 mentions belonged" in html and "25.0%" in html
    assert "4 labels on 4 mentions" in html
    assert "Retrain now" in html and "Download the labels (CSV)" in html
    assert client_for(staff[Role.COMMUNICATIONS_OFFICER]).get("/triage/quality/").status_code == 403
    assert client_for(staff[Role.ADMINISTRATOR]).get("/triage/quality/").status_code == 200


def test_the_retrain_button_starts_a_run_whose_progress_shows_with_and_without_htmx(staff, client_for,
                                                                                    monkeypatch):
    queued = []
    monkeypatch.setattr(learning, "_queue", queued.append)
    client = client_for(staff[Role.WEB_TEAM])
    response = client.post("/triage/quality/retrain/", follow=False)
    run = RetrainRun.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/triage/quality/retrain/{run.pk}/"
    page = client.get(f"/triage/quality/retrain/{run.pk}/").content.decode()
    assert "hx-get" in page and "Refresh to see the progress" in page and "Waiting to start" in page
    assert client.get(f"/triage/quality/retrain/{run.pk}/status/").status_code == 302
    fragment = client.get(f"/triage/quality/retrain/{run.pk}/status/", HTTP_HX_REQUEST="true").content.decode()
    assert 'id="retrain-progress"' in fragment and "<html" not in fragment
    again = client.post("/triage/quality/retrain/", follow=True).content.decode()
    assert "A retraining is already under way" in again
    assert client_for(staff[Role.SERVICE_EDITOR]).post("/triage/quality/retrain/").status_code == 403
    assert RetrainRun.objects.count() == 1
