"""The learning loop in a real browser, on the demo council: the web team reads how a case's
mention was classified, moves a wrongly routed case with the keyboard, finds the decision on
the Triage quality page and retrains. Every page passes the checks of tests/browser/harness.py
(axe-core, no console error, no CSP violation)."""
import re

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_web_team_moves_a_wrongly_routed_case_and_retrains(demo_mentions, signed_in, monkeypatch):
    from triage import learning, model_store
    from triage.models import Case, RetrainRun, RoutingLabel

    model_store.classifier_ensure_live()

    monkeypatch.setattr(learning, "_queue", lambda run_id: None)  # no worker yet: the run waits
    case = Case.objects.exclude(route="no_action").exclude(state="closed").order_by("pk").first()
    web = signed_in("webteam")
    web.goto(case.get_absolute_url(), check="the case and how its mention was classified")
    section = web.page.locator("#classified ~ table").first.inner_text()
    assert "Confidence" in section and "%" in section
    assert web.page.get_by_text("The words that weighed most towards").count() == 1

    web.page.get_by_text("Routed wrongly? Move it to …", exact=True).click()
    web.page.get_by_label("No action (monitoring)", exact=True).check()
    web.submit("Move the case", check="the case: moved to no action")
    assert "The case is moved" in web.page.locator(".govuk-notification-banner").inner_text()
    case.refresh_from_db()
    assert case.route == "no_action"
    assert RoutingLabel.objects.filter(case=case, decision="rerouted", route="no_action").count() == 1

    web.goto("/rules/", check="rules")
    web.follow("Triage quality", check="triage quality")
    page = web.page.content()
    assert "Confusion matrix on the held-back evaluation" in page
    assert "Where staff said 1 mention belonged" in page
    web.submit("Retrain now", check="a retraining, waiting")
    assert re.search(r"/triage/quality/retrain/\d+/$", web.path)
    assert "Waiting to start" in web.page.locator("#retrain-progress").inner_text()
    run = RetrainRun.objects.get()
    learning.retrain_run(run_id=run.pk)  # the worker; the open page asks for its progress every 2 seconds
    web.page.wait_for_selector("#retrain-progress:has-text('Finished')", timeout=30_000)
    web.check("a retraining, finished: swapped in without a reload")
    run.refresh_from_db()
    assert run.state == "done" and run.labels_used >= 1
    web.follow("Back to triage quality", check="triage quality after retraining")
