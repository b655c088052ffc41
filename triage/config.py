"""The triage configuration in force: classifier settings, service topics, rules and SLA
policies from the database, compiled once per process. Every change goes through
config_changed(), which gives TriageSettings a new token; each process compares the token
(one small query) and rebuilds when it differs."""
from __future__ import annotations

import dataclasses
import logging
import threading
import uuid
from datetime import timedelta

from . import classify, clock, matrix, model_store
from .models import Rule, ServiceTopic, SlaPolicy, TriageSettings

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class TriageConfig:
    token: str
    classifier: classify.ClassifierConfig
    rules: tuple[matrix.Rule, ...]
    matrix: matrix.Matrix
    sla_policies: dict[str, dict]
    sla_warning: timedelta
    foi_reminder_days: int
    predictor: object = None  # the live learned model (triage.learned.Predictor)

    def sla_due(self, received, policy: str | None):
        """When a case received at `received` is due under the named policy (None: no deadline)."""
        if not policy or policy not in self.sla_policies:
            return None
        return clock.sla_due(received, policy, policies=self.sla_policies)


_cached: TriageConfig | None = None
_lock = threading.Lock()


def settings_get() -> TriageSettings:
    found, _ = TriageSettings.objects.get_or_create(pk=1)
    return found


def config_changed() -> None:
    """Call in the transaction of any change to the configuration."""
    updated = TriageSettings.objects.filter(pk=1).update(config_token=uuid.uuid4().hex)
    if not updated:
        TriageSettings.objects.create(pk=1, config_token=uuid.uuid4().hex)


def current() -> TriageConfig:
    """The configuration in force (rebuilt only when it has changed)."""
    global _cached
    token = TriageSettings.objects.filter(pk=1).values_list("config_token", flat=True).first()
    cached = _cached
    if cached is not None and token is not None and cached.token == token:
        return cached
    with _lock:
        _cached = _build(settings_get())
        return _cached


def service_phrases(topics) -> dict[str, list[str]]:
    """Slug → phrases: each service's own topic, else the built-in phrases for its slug."""
    phrases = {t.service.slug: list(t.phrases) for t in topics if t.phrases}
    disabled = {t.service.slug for t in topics if not t.phrases}
    for slug, built_in in classify.DEFAULT_SERVICE_PHRASES.items():
        if slug not in phrases and slug not in disabled:
            phrases[slug] = list(built_in)
    return phrases


def _usable_rules(rows, sla_names) -> tuple[matrix.Rule, ...]:
    rules = []
    for row in rows:
        rule = row.as_matrix_rule()
        errors = matrix.validate_rule(rule, sla_policies=sla_names)
        if errors:  # saved outside the services (e.g. by hand): never let it stop routing
            log.warning("Rule %r is skipped: %s", rule.name, " ".join(errors))
            continue
        rules.append(rule)
    return tuple(rules)


def _build(row: TriageSettings) -> TriageConfig:
    topics = list(ServiceTopic.objects.select_related("service"))
    sla_policies = dict(clock.SLA_POLICIES)
    sla_policies.update({p.name: p.as_policy() for p in SlaPolicy.objects.all()})
    rules = _usable_rules(Rule.objects.all(), set(sla_policies))
    classifier = classify.ClassifierConfig(
        services=service_phrases(topics),
        influence=classify.InfluenceThresholds(influential_followers=row.influential_followers,
                                               influential_score=row.influential_score,
                                               verified_bonus=row.verified_bonus),
        critical_phrases=tuple(row.critical_phrases),
        reputational_phrases=tuple(row.reputational_phrases),
        abuse_words=tuple(row.abuse_words),
        foi_phrases=tuple(row.foi_phrases),
        signpost_phrases=tuple(row.signpost_phrases),
        safeguarding_phrases=tuple(row.safeguarding_phrases),
    )
    return TriageConfig(
        token=row.config_token, classifier=classifier, rules=rules, matrix=matrix.compile_rules(rules),
        sla_policies=sla_policies, sla_warning=timedelta(minutes=row.sla_warning_minutes),
        foi_reminder_days=row.foi_reminder_working_days, predictor=model_store.live_predictor(),
    )
