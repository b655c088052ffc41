"""Learning from the council: its labels (written by the case services), retraining runs on
the shipped corpus plus those labels, rolling back, and the figures of the Triage quality page.

A retraining is a run, like a committee report: asked for (from the page, or nightly by beat),
claimed by one worker, its progress saved as it goes; a run left by a worker that died is
claimed again. The model store (model_store.py) trains, keeps each version with its figures on
the held-back evaluation and refuses to promote a version that scores worse than the live one."""
from __future__ import annotations

import io
import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from accounts.audit import audit_record
from council_social import csv_export

from . import learned
from .models import Case, MentionRouting, RetrainRun, Route, RoutingLabel

log = logging.getLogger(__name__)
# A run still "running" this long after it started was left by a worker that died.
RETRAIN_TIME_LIMIT = 900
CORRECTION_DAYS = 30


def routing_said(routing: MentionRouting | None) -> dict:
    """What the classification kept on a routing said: the route (the learned model's reading
    where a model routed it, else the route the matrix chose), service, safeguarding, the model's
    confidence, each route's probability and the model version."""
    if routing is None:
        return {"route": "", "service": "", "safeguarding": False, "confidence": None, "probabilities": {},
                "safeguarding_probability": None, "version": ""}
    c = routing.classification or {}
    model = c.get("model") if isinstance(c.get("model"), dict) else {}
    signals = c.get("signals") if isinstance(c.get("signals"), dict) else {}
    service = c.get("service") if "service" in c else (routing.service.slug if routing.service_id else "")
    return {
        "route": str(model.get("intent") or routing.route or ""),
        "service": str(service or ""),
        "safeguarding": bool(signals.get("safeguarding")),
        "confidence": model.get("confidence"),
        "probabilities": model.get("route_probabilities") or {},
        "safeguarding_probability": model.get("safeguarding_probability"),
        "version": "" if model.get("version") is None else str(model.get("version")),
    }


# --- labels ------------------------------------------------------------------------------------

def latest_labels(qs=None) -> list[RoutingLabel]:
    """The latest label of each mention (a later decision overrides an earlier one), newest first."""
    qs = RoutingLabel.objects.all() if qs is None else qs
    seen, out = set(), []
    for label in qs.select_related("mention", "service").order_by("-at", "-pk").iterator(chunk_size=2000):
        if label.mention_id in seen:
            continue
        seen.add(label.mention_id)
        out.append(label)
    return out


def training_items() -> list[dict]:
    """The council's labels as training items, in the corpus's shape."""
    return [{"text": label.mention.text, "route": label.route, "service": label.service.slug if label.service else "",
             "safeguarding": label.safeguarding, "source": f"council:{label.decision}"}
            for label in latest_labels()]


LABEL_CSV_HEADER = ["at", "mention", "case", "text", "route", "service", "safeguarding", "decision", "by",
                    "model_said_route", "model_said_service", "model_said_safeguarding", "model_version"]
# A cell a spreadsheet would read as a formula is written as text.


def rows_csv(header: list[str], rows) -> str:
    """CSV text of a header and rows, through the one CSV writer (formula cells neutralised)."""
    out = io.StringIO()
    writer = csv_export.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def labels_csv(*, actor) -> str:
    """Every label the council has given, as CSV; the export is audited."""
    labels = RoutingLabel.objects.select_related("mention", "service").order_by("-at", "-pk")
    rows = [[label.at.isoformat(), label.mention_id, label.case_id or "", label.mention.text, label.route,
             label.service.slug if label.service else "", "yes" if label.safeguarding else "no", label.decision,
             label.actor_name, label.predicted_route, label.predicted_service,
             "" if label.predicted_safeguarding is None else ("yes" if label.predicted_safeguarding else "no"),
             label.model_version] for label in labels.iterator(chunk_size=2000)]
    audit_record(actor=actor, action="labels.export", obj=actor, note=f"{len(rows)} labels exported")
    return rows_csv(LABEL_CSV_HEADER, rows)


# --- retraining --------------------------------------------------------------------------------

def _active_runs():
    return RetrainRun.objects.filter(state__in=[RetrainRun.State.QUEUED, RetrainRun.State.RUNNING])


def _stale(run: RetrainRun, now: datetime) -> bool:
    since = run.started_at or run.created_at
    return since < now - timedelta(seconds=RETRAIN_TIME_LIMIT)


def _queue(run_id: int) -> None:
    from .tasks import classifier_retrain

    try:
        classifier_retrain.delay(run_id)
    except Exception:  # the broker is away: the nightly run or the next request picks it up
        log.warning("Could not queue triage.classifier_retrain for run %s", run_id, exc_info=True)


def retrain_request(*, actor, queue: bool = True) -> RetrainRun:
    """Ask for a retraining. While one is waiting or running, that one is returned (asking
    twice trains once); one left by a worker that died is queued again."""
    now = timezone.now()
    with transaction.atomic():
        active = _active_runs().select_for_update().order_by("-created_at").first()
        if active is not None:
            if _stale(active, now) and queue:
                transaction.on_commit(lambda: _queue(active.pk))
            return active
        run = RetrainRun.objects.create(requested_by=actor if getattr(actor, "pk", None) else None,
                                        requested_by_name=str(actor) if actor is not None else "system")
        audit_record(actor=actor, action="classifier.retrain_requested", obj=run)
        if queue:
            transaction.on_commit(lambda: _queue(run.pk))
    return run


def _claim(run_id: int, now: datetime) -> bool:
    """Take a waiting run, or one whose worker died (running for longer than a run may)."""
    stale = now - timedelta(seconds=RETRAIN_TIME_LIMIT)
    return bool(RetrainRun.objects.filter(
        Q(state=RetrainRun.State.QUEUED) | Q(state=RetrainRun.State.RUNNING, started_at__lt=stale), pk=run_id,
    ).update(state=RetrainRun.State.RUNNING, started_at=now, progress=0, step="Starting", error=""))


def _progress(run: RetrainRun, progress: int, step: str) -> None:
    """Saved at once (outside any transaction), so the page polling the run sees it."""
    RetrainRun.objects.filter(pk=run.pk).update(progress=progress, step=step)


def retrain_run(*, run_id: int, now: datetime | None = None) -> RetrainRun:
    """Train on the shipped corpus plus the council's labels, keep the version with its figures,
    and promote it unless it scores worse on the held-back evaluation than the live one. Does
    nothing unless the run is waiting (or was left running by a worker that died)."""
    from . import model_store

    now = now or timezone.now()
    if not _claim(run_id, now):
        return RetrainRun.objects.get(pk=run_id)
    run = RetrainRun.objects.select_related("requested_by").get(pk=run_id)
    actor = run.requested_by
    step = "Starting"
    try:
        step = "Collecting the council's labels"
        _progress(run, 10, step)
        items = training_items()
        step = f"Training on the corpus and {len(items)} label{'s' if len(items) != 1 else ''} from the council"
        _progress(run, 25, step)
        version = model_store.classifier_train(extra_items=items, actor=actor)
        step = "Comparing with the live model on the held-back evaluation"
        _progress(run, 80, step)
        promoted, outcome = _promote(version, actor=actor)
        with transaction.atomic():
            RetrainRun.objects.filter(pk=run.pk).update(
                state=RetrainRun.State.DONE, progress=100, step="Finished", finished_at=timezone.now(),
                labels_used=len(items), version=str(version.version), promoted=promoted, outcome=outcome)
            run.refresh_from_db()
            audit_record(actor=None, action="classifier.retrained", obj=run, note=outcome[:2000],
                         changes={"state": [RetrainRun.State.RUNNING, RetrainRun.State.DONE],
                                  "version": [None, run.version], "promoted": [None, promoted]})
    except Exception as exc:  # recorded on the run for the people waiting for it, then logged in full
        log.exception("Retraining %s failed while %s", run.pk, step.lower())
        with transaction.atomic():
            RetrainRun.objects.filter(pk=run.pk).update(
                state=RetrainRun.State.FAILED, finished_at=timezone.now(),
                error=f"Failed while {step.lower()}: {type(exc).__name__}: {exc}"[:2000])
            audit_record(actor=None, action="classifier.retrain_failed", obj=run,
                         changes={"state": [RetrainRun.State.RUNNING, RetrainRun.State.FAILED]})
    run.refresh_from_db()
    return run


def _promote(version, *, actor) -> tuple[bool, str]:
    """Promote the version unless the store refuses it (it scores worse than the live one)."""
    from . import model_store

    try:
        model_store.classifier_promote(version, actor=actor)
    except model_store.PromotionRefused as exc:
        return False, f"Kept back: {exc}"
    return True, f"Promoted: version {version.version} is live."


def retrain_nightly() -> RetrainRun:
    """Beat's nightly retraining, run in the task that beat queued."""
    run = retrain_request(actor=None, queue=False)
    return retrain_run(run_id=run.pk)


# --- the quality page --------------------------------------------------------------------------

def correction_figures(*, now: datetime | None = None, days: int = CORRECTION_DAYS) -> dict:
    """How the routing did against the council's labels of the last `days` days (the latest
    label of each mention against what the model had said when it routed it), in the shape of
    learned.scores: per route, service and safeguarding. None when there are no such labels."""
    now = now or timezone.now()
    labels = [label for label in latest_labels(RoutingLabel.objects.filter(at__gte=now - timedelta(days=days)))
              if label.predicted_route in learned.ROUTES]
    if not labels:
        return None
    items = [{"route": label.route, "service": label.service.slug if label.service else learned.NONE_SERVICE,
              "safeguarding": label.safeguarding} for label in labels]
    return learned.scores(items, [label.predicted_route for label in labels],
                          [label.predicted_service for label in labels],
                          [bool(label.predicted_safeguarding) for label in labels])


def label_counts() -> dict:
    """How many labels came from the council: in all, mentions labelled, and per decision."""
    by_decision = dict.fromkeys(RoutingLabel.Decision.values, 0)
    for decision, n in RoutingLabel.objects.order_by().values_list("decision").annotate(n=Count("pk")):
        by_decision[decision] = n
    return {"total": sum(by_decision.values()),
            "mentions": RoutingLabel.objects.order_by().values("mention_id").distinct().count(),
            "by_decision": [(RoutingLabel.Decision(k).label, v) for k, v in by_decision.items()]}


def _live_predictor():
    """The live model's predictor, or None when there is none (or it cannot be read)."""
    try:
        from . import model_store

        return model_store.live_predictor()
    except Exception:  # no model yet, or a stored one that cannot be read: the page says so
        log.warning("No live classifier for the case page", exc_info=True)
        return None


def case_classified(case: Case, routing: MentionRouting | None) -> dict:
    """"How the mention was classified": the model's probability for each route (as kept on the
    routing; worked out again only for mentions routed before the model kept them), the words
    that weighed most towards the route it chose (the live model's own weights), and the rule
    that fired."""
    said = routing_said(routing)
    probabilities = said["probabilities"]
    predictor = _live_predictor()
    text = case.mention.text
    chosen = said["route"] if probabilities else None
    version = said["version"]
    if predictor is not None and not probabilities:
        prediction = predictor.predict([text])[0]
        probabilities, chosen = prediction.route_probabilities, prediction.route
        version = getattr(predictor, "version", None)
    words = predictor.explain(text, route=chosen, top=8) if predictor is not None and chosen else []
    labels = dict(Route.choices)
    rows = sorted(((labels.get(r, r), float(p)) for r, p in probabilities.items()), key=lambda rp: -rp[1])
    return {
        "available": bool(rows),
        "routes": [{"label": label, "percent": round(100 * p)} for label, p in rows],
        "chosen": labels.get(chosen, chosen or ""),
        "words": [{"term": t, "weight": w} for t, w in words],
        "version": version,
        "live_version": getattr(predictor, "version", None) if predictor is not None else None,
        "safeguarding": said["safeguarding"],
        "safeguarding_probability": said["safeguarding_probability"],
        "rule": routing.rule_name if routing else case.rule_name,
        "explanation": routing.explanation if routing else case.explanation,
    }


def safeguarding_open_count() -> int:
    return Case.objects.filter(safeguarding=True).exclude(state=Case.State.CLOSED).count()


def classifier_rollback(*, actor, version):
    """Make an earlier version live again (the model store audits it); the next mention is
    classified by it."""
    from . import model_store

    return model_store.classifier_rollback(version, actor=actor)


def for_page(figs: dict | None) -> dict | None:
    """Figures in learned.scores' shape with the confusion matrix as rows for a table."""
    if not figs or not figs.get("route"):
        return None
    route = dict(figs["route"])
    labels = route.get("labels") or []
    route["rows"] = [{"name": name, "cells": [{"n": n, "right": i == j} for j, n in enumerate(row)]}
                     for i, (name, row) in enumerate(zip(labels, route.get("confusion") or [], strict=False))]
    return {**figs, "route": route}
