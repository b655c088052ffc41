"""The escalation matrix as data: ordered rules of conditions and an outcome.

Plain functions, no database. The first enabled rule, in order, whose every condition
holds decides the route; when none does, the item is "of no particular consequence":
no action beyond monitoring, and it is looked at again when its thread grows (rethink).
Conditions are JSON-serialisable so the web team can edit them; validate_conditions
explains what is wrong with an edited set.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from platforms.base import KINDS as MENTION_KINDS
from triage.classify import (
    CRITICALITY_LEVELS,
    INTENT_WORDS,
    Classification,
    MentionInput,
    PhraseMatcher,
    tokens,
    validate_phrases,
)

# Stable route ids: the Django layer stores these.
NO_ACTION = "no_action"
CUSTOMER_SERVICE = "customer_service"
WEB_TEAM_RESPONSE = "web_team_response"
SERVICE_CONVERSATION = "service_conversation"
COMMS_ESCALATION = "comms_escalation"
FOI = "foi"
ROUTES = (NO_ACTION, CUSTOMER_SERVICE, WEB_TEAM_RESPONSE, SERVICE_CONVERSATION, COMMS_ESCALATION, FOI)

# What each route means, in seed 004's words (for the dashboard).
ROUTE_GUIDANCE = {
    NO_ACTION: "Of no particular consequence: no action beyond monitoring, in case it escalates.",
    CUSTOMER_SERVICE: "A person needing customer services: pass to the relevant lead officers "
                      "(substantive response usually inside 24 hours).",
    WEB_TEAM_RESPONSE: "Simple confusion or a general comment on a well-understood issue: the web team "
                       "responds directly, signposting to the website.",
    SERVICE_CONVERSATION: "A specific conversation relevant to a service area: discuss with that service's "
                          "officers and support them to join in, ideally themselves.",
    COMMS_ESCALATION: "A controversial issue or a highly influential commentator: liaise with a "
                      "communications officer (and the service lead, occasionally leading members); "
                      "the web team or the communications officer responds.",
    FOI: "A Freedom of Information request: answer within 20 working days by email, or on a web page "
         "linked in the reply.",
}

# The SLA policy a route uses unless its rule names another (keys of clock.SLA_POLICIES).
ROUTE_DEFAULT_SLA: dict[str, str | None] = {
    NO_ACTION: None,
    CUSTOMER_SERVICE: "customer_service",
    WEB_TEAM_RESPONSE: "web_team_response",
    SERVICE_CONVERSATION: "service_conversation",
    COMMS_ESCALATION: "comms_escalation",
    FOI: "foi",
}

PRIORITIES = ("low", "normal", "high", "urgent")  # lowest first
ROLES = ("web_team", "communications_officer", "head_of_service", "service_editor",
         "customer_services", "leading_members")

FALLBACK_RULE_NAME = "No particular consequence"


@dataclasses.dataclass(frozen=True)
class Rule:
    """One row of the matrix: if every condition holds, route the item so."""

    name: str
    order: int
    route: str
    priority: str = "normal"
    conditions: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    enabled: bool = True
    sla: str | None = None  # an SLA policy key; None means the route's default
    notify: tuple[str, ...] = ()  # role slugs


@dataclasses.dataclass(frozen=True)
class Decision:
    """Where the matrix sent an item, and why in words."""

    rule: str
    route: str
    priority: str
    sla: str | None
    notify: tuple[str, ...]
    explanation: str
    fallback: bool = False  # True when no rule matched
    thread_growth: int = 0  # the thread's size when decided, for rethink


# --- conditions -------------------------------------------------------------------------
# Each condition has a kind of value (checked by validate_conditions), a test and a way
# of saying it. A test takes (value, classification, mention, words) and returns the
# evidence when the condition holds, or None; `say` turns (value, evidence) into words.

def _tone(c: Classification) -> str:
    return f"the tone is {c.sentiment_label} ({c.sentiment:.2f})"


def _signal(attr: str, reason: str | None = None) -> Callable:
    """A test on one of the classifier's true/false signals; its reason is the evidence."""
    def test(value, c, m, words):
        return c.reasons.get(reason or attr, "") if bool(getattr(c, attr)) == value else None
    return test


def _said(yes: str, no: str) -> Callable:
    return lambda value, evidence: yes.format(evidence) if value else no.format(evidence)


def _mention_in(attr: str) -> Callable:
    def test(value, c, m, words):
        found = (getattr(m, attr) or "").lower()
        return found if found in value else None
    return test


def _test_foi_valid(value, c, m, words):
    return c.reasons.get("foi_valid", "") if c.foi and c.foi_valid == value else None


def _test_verified(value, c, m, words):
    return True if bool(m.author_verified) == value else None


def _test_min_followers(value, c, m, words):
    followers = m.author_followers
    return followers if followers is not None and followers >= value else None


def _test_criticality(value, c, m, words):
    return c.criticality_reason if c.criticality in value else None


def _test_at_most(value, c, m, words):
    return True if c.sentiment <= value else None


def _test_at_least(value, c, m, words):
    return True if c.sentiment >= value else None


def _test_service_in(value, c, m, words):
    return c.reasons.get("service", c.service) if c.service in value else None


def _test_service_known(value, c, m, words):
    return c.reasons.get("service", "") if bool(c.service) == value else None


def _test_keywords(matcher: PhraseMatcher, c, m, words):
    found = matcher.find(words).get("keyword")
    return ", ".join(f'"{k}"' for k in dict.fromkeys(found)) if found else None


def _test_thread(value, c, m, words):
    return c.thread_growth if c.thread_growth >= value else None


def _test_intent(value, c, m, words):
    return c.intent if c.intent in value else None


def _test_min_confidence(value, c, m, words):
    return c.confidence if c.intent and c.confidence >= value else None


def _say_intent(value, evidence):
    return f"the model reads it as {INTENT_WORDS.get(evidence, evidence)}"


# key -> (kind of value, test, say); `say` None means _explain_condition words it.
CONDITIONS: dict[str, tuple[str, Callable | None, Callable | None]] = {
    "foi": ("bool", _signal("foi"), _said("it is {}", "it is not an FOI request")),
    "foi_valid": ("bool", _test_foi_valid,
                  _said("the request is valid: {}", "the request is not yet valid: {}")),
    "customer_service": ("bool", _signal("customer_service"), _said("it shows {}", "it is {}")),
    "simple_question": ("bool", _signal("simple_question"), _said("it is {}", "it is {}")),
    "abusive": ("bool", _signal("abusive"), _said("it contains {}", "it contains no abusive words")),
    "influential": ("bool", _signal("influential", "influence"),
                    _said("the author has {}", "the author is not influential ({})")),
    "author_verified": ("bool", _test_verified,
                        _said("the author's account is verified", "the author's account is not verified")),
    "min_followers": ("count", _test_min_followers, None),
    "criticality_in": ("criticality_list", _test_criticality, None),
    "sentiment_at_most": ("sentiment", _test_at_most, None),
    "sentiment_at_least": ("sentiment", _test_at_least, None),
    "service_in": ("text_list", _test_service_in, _said("it concerns {}", "")),
    "service_known": ("bool", _test_service_known,
                      _said("it concerns {}", "it concerns no particular service")),
    "platform_in": ("text_list", _mention_in("platform"), _said("it was posted on {}", "")),
    "channel_kind_in": ("text_list", _mention_in("channel_kind"), _said("it came in on a {} channel", "")),
    "kind_in": ("kind_list", _mention_in("kind"), lambda v, e: f"it is a {e.replace('_', ' ')}"),
    "keywords_any": ("phrase_list", _test_keywords, _said("it mentions {}", "")),
    "min_thread_growth": ("count", _test_thread, None),
    "intent_in": ("route_list", _test_intent, _say_intent),
    "min_confidence": ("probability", _test_min_confidence, None),
    "safeguarding": ("bool", _signal("safeguarding"),
                     _said("{}", "there is no sign that a person is at risk")),
}


def _has_null_character(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, Mapping):
        return any(_has_null_character(k) or _has_null_character(v) for k, v in value.items())
    if isinstance(value, Sequence):
        return any(_has_null_character(v) for v in value)
    return False


def validate_conditions(conditions: Any) -> list[str]:
    """What is wrong with a set of conditions (for the editing UI); empty when usable."""
    if not isinstance(conditions, Mapping):
        return ["Conditions must be an object of condition names and values."]
    errors: list[str] = []
    for key, value in conditions.items():
        if key not in CONDITIONS:
            errors.append(f"Unknown condition '{key}'. Known conditions: {', '.join(CONDITIONS)}.")
            continue
        if _has_null_character(value):  # nobody types one, and PostgreSQL cannot store it in JSON
            errors.append(f"'{key}' cannot contain a null character.")
            continue
        kind = CONDITIONS[key][0]
        if kind == "bool":
            if not isinstance(value, bool):
                errors.append(f"'{key}' must be true or false.")
        elif kind == "count":
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                errors.append(f"'{key}' must be a whole number, 0 or more.")
        elif kind == "probability":
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
                errors.append(f"'{key}' must be a number from 0 to 1.")
        elif kind == "sentiment":
            if isinstance(value, bool) or not isinstance(value, int | float) or not -1 <= value <= 1:
                errors.append(f"'{key}' must be a number from -1 to 1.")
        elif kind == "phrase_list":
            if isinstance(value, Sequence) and not isinstance(value, str) and not value:
                errors.append(f"'{key}' must list at least one word or phrase.")
            else:
                errors += [f"'{key}': {e}" for e in validate_phrases(value, what="keyword")]
        else:
            if isinstance(value, str) or not isinstance(value, Sequence) or not value:
                errors.append(f"'{key}' must be a non-empty list.")
            elif not all(isinstance(v, str) and v.strip() for v in value):
                errors.append(f"'{key}' must list text values only.")
            elif kind == "criticality_list" and not set(value) <= set(CRITICALITY_LEVELS):
                errors.append(f"'{key}' may only contain {', '.join(CRITICALITY_LEVELS)}.")
            elif kind == "kind_list" and not set(value) <= set(MENTION_KINDS):
                errors.append(f"'{key}' may only contain {', '.join(MENTION_KINDS)}.")
            elif kind == "route_list" and not set(value) <= set(ROUTES):
                errors.append(f"'{key}' may only contain {', '.join(ROUTES)}.")
    low, high = conditions.get("sentiment_at_least"), conditions.get("sentiment_at_most")
    if (isinstance(low, int | float) and isinstance(high, int | float)
            and not isinstance(low, bool) and not isinstance(high, bool) and low > high):
        errors.append("'sentiment_at_least' is above 'sentiment_at_most', so the rule can never apply.")
    return errors


def validate_rule(rule: Rule, *, sla_policies: Iterable[str] | None = None,
                  roles: Iterable[str] = ROLES) -> list[str]:
    """What is wrong with a whole rule (conditions and outcome); empty when usable."""
    errors = []
    if not rule.name.strip():
        errors.append("A rule needs a name.")
    if rule.route not in ROUTES:
        errors.append(f"Unknown route '{rule.route}'. Routes: {', '.join(ROUTES)}.")
    if rule.priority not in PRIORITIES:
        errors.append(f"Unknown priority '{rule.priority}'. Priorities: {', '.join(PRIORITIES)}.")
    if rule.sla is not None and sla_policies is not None and rule.sla not in set(sla_policies):
        errors.append(f"Unknown SLA policy '{rule.sla}'.")
    unknown_roles = [r for r in rule.notify if r not in set(roles)]
    if unknown_roles:
        errors.append(f"Unknown role(s) to notify: {', '.join(unknown_roles)}.")
    return errors + validate_conditions(rule.conditions)


# --- compiling and evaluating --------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class _CompiledRule:
    rule: Rule
    checks: tuple[tuple[str, Any, Callable], ...]  # (key, value, test)
    needs_words: bool


def _compile_rule(rule: Rule) -> _CompiledRule:
    errors = validate_conditions(rule.conditions)
    if errors:
        raise ValueError(f"Rule '{rule.name}': {' '.join(errors)}")
    checks = []
    # In the order CONDITIONS lists them, not the stored order (PostgreSQL's jsonb sorts keys),
    # so the explanation reads the same on every database.
    for key in sorted(rule.conditions, key=list(CONDITIONS).index):
        value = rule.conditions[key]
        kind, test, _say = CONDITIONS[key]
        if key == "keywords_any":
            matcher = PhraseMatcher()
            for phrase in value:
                matcher.add(phrase, "keyword")
            checks.append((key, matcher, test))
        elif kind in ("text_list", "kind_list") and key != "service_in":
            checks.append((key, frozenset(v.lower() for v in value), test))
        elif kind.endswith("_list"):
            checks.append((key, frozenset(value), test))
        else:
            checks.append((key, value, test))
    return _CompiledRule(rule, tuple(checks), "keywords_any" in rule.conditions)


class Matrix:
    """Rules compiled once: enabled rules only, in order (ties keep their given order)."""

    def __init__(self, rules: Iterable[Rule]) -> None:
        ordered = sorted((r for r in rules if r.enabled), key=lambda r: r.order)
        self.rules = tuple(_compile_rule(r) for r in ordered)
        self.needs_words = any(r.needs_words for r in self.rules)

    def evaluate(self, c: Classification, m: MentionInput) -> Decision:
        words = (c.words or tokens(m.text)) if self.needs_words else ()
        for compiled in self.rules:
            evidence = []
            for key, value, test in compiled.checks:
                found = test(value, c, m, words)
                if found is None:
                    break
                evidence.append((key, found))
            else:
                return _look_at_watched(_decide(compiled.rule, evidence, c), m)
        return _look_at_watched(_fallback(c), m)


def compile_rules(rules: Iterable[Rule] | Matrix) -> Matrix:
    """Compile rules for repeated evaluation (raises ValueError on invalid conditions)."""
    return rules if isinstance(rules, Matrix) else Matrix(rules)


def _explain_condition(key: str, value: Any, evidence: Any, c: Classification) -> str:
    if key == "min_followers":
        return f"the author has {evidence:,} followers (at least {value:,})"
    if key == "min_thread_growth":
        return f"the thread has grown to {evidence:,} replies and reshares (at least {value:,})"
    if key == "min_confidence":
        return f"the model is {evidence:.0%} sure (at least {value:.0%})"
    if key == "intent_in" and c.confidence:
        return f"{_say_intent(value, evidence)} ({c.confidence:.0%})"
    if key in ("sentiment_at_most", "sentiment_at_least"):
        return _tone(c)
    if key == "criticality_in":
        return f"criticality is {c.criticality} ({evidence})"
    return CONDITIONS[key][2](value, evidence)


def _join(parts: Sequence[str]) -> str:
    parts = list(dict.fromkeys(parts))
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def _decide(rule: Rule, evidence: list[tuple[str, Any]], c: Classification) -> Decision:
    conditions = rule.conditions
    parts = [_explain_condition(key, conditions[key], found, c) for key, found in evidence]
    if rule.route == COMMS_ESCALATION and not any(k.startswith("sentiment_") for k in conditions):
        parts.append(_tone(c))  # the communications officer will want the tone too
    if rule.route == FOI and "foi_valid" not in conditions and c.foi_valid is not None:
        parts.append(("it is valid: " if c.foi_valid else "it is not yet valid: ") + c.reasons["foi_valid"])
    why = _join(parts) if parts else "it has no conditions, so it applies to everything"
    return Decision(
        rule=rule.name,
        route=rule.route,
        priority=rule.priority,
        sla=rule.sla if rule.sla is not None else ROUTE_DEFAULT_SLA[rule.route],
        notify=tuple(rule.notify),
        explanation=f"Routed by rule '{rule.name}': {why}.",
        thread_growth=c.thread_growth,
    )


def _fallback(c: Classification) -> Decision:
    reading = f"the model reads it as {INTENT_WORDS.get(c.intent, c.intent)} ({c.confidence:.0%}), " if c.intent else ""
    return Decision(
        rule=FALLBACK_RULE_NAME,
        route=NO_ACTION,
        priority="low",
        sla=None,
        notify=(),
        explanation=(f"No rule applied, so no action beyond monitoring: {reading}{_tone(c)}, criticality is "
                     f"{c.criticality} and the thread has {c.thread_growth:,} replies and reshares; "
                     f"it is looked at again if the thread grows."),
        fallback=True,
        thread_growth=c.thread_growth,
    )


WATCH_LIST_RULE_NAME = "Someone on the watch list"


def _look_at_watched(decision: Decision, m: MentionInput) -> Decision:
    """A mention by someone on the watch list is never "no action" without a look: the web team
    looks at it (same working day)."""
    if decision.route != NO_ACTION or not m.watched:
        return decision
    return Decision(
        rule=WATCH_LIST_RULE_NAME, route=WEB_TEAM_RESPONSE, priority="high", sla=ROUTE_DEFAULT_SLA[WEB_TEAM_RESPONSE],
        notify=("web_team",),
        explanation=(f"The author is on the watch list ({m.watched}), so the web team looks at it rather than "
                     f"leaving it to monitoring. Without the watch list: {decision.explanation}"),
        thread_growth=decision.thread_growth,
    )


def evaluate(rules: Iterable[Rule] | Matrix, classification: Classification, mention: MentionInput) -> Decision:
    """Route one classified mention: the first enabled rule, in order, whose every
    condition holds; otherwise no action (keep monitoring)."""
    return compile_rules(rules).evaluate(classification, mention)


def route_many(rules: Iterable[Rule] | Matrix, classifications: Sequence[Classification],
               mentions: Sequence[MentionInput]) -> list[Decision]:
    """Route a batch, compiling the rules once."""
    if len(classifications) != len(mentions):
        raise ValueError("route_many needs one classification per mention.")
    run = compile_rules(rules).evaluate
    return [run(c, m) for c, m in zip(classifications, mentions, strict=True)]


# How far a route takes an item, for rethink: monitoring; the web team or a service joins
# in; a case with a deadline; communications officers.
_ROUTE_RANK = {NO_ACTION: 0, WEB_TEAM_RESPONSE: 1, SERVICE_CONVERSATION: 1, CUSTOMER_SERVICE: 2, FOI: 2,
               COMMS_ESCALATION: 3}


def rank(route: str, priority: str) -> tuple[int, int]:
    """How far a routing takes an item: compare two with > to see which goes further."""
    return (PRIORITIES.index(priority), _ROUTE_RANK[route])


def _rank(decision: Decision) -> tuple[int, int]:
    return rank(decision.route, decision.priority)


def rethink(previous: Decision, classification: Classification, mention: MentionInput,
            rules: Iterable[Rule] | Matrix) -> Decision | None:
    """Look at an item again now that its thread has grown (more replies and reshares).

    Returns the new decision when it is a promotion (a higher priority, or the same
    priority on a route further up, such as out of no_action or to communications); None
    when the thread has not grown or the routing would not go up.
    Routing never goes down by itself: someone may already be working on the item.
    """
    if classification.thread_growth <= previous.thread_growth:
        return None
    decision = evaluate(rules, classification, mention)
    if decision.route == previous.route and decision.priority == previous.priority:
        return None
    return decision if _rank(decision) > _rank(previous) else None


# --- the default matrix (seed 004, "Assigning tasks") ------------------------------------
# The learned model (triage.learned) reads what kind of mention it is ("intent"); the rules
# decide what the council does with it, and stay editable. The order settles an item that
# fits several:
#  1. Safeguarding first: a person who may be at risk is never "no action". The route is what
#     the person needs (communications when it is raised in public as a controversy, the web
#     team for a question, the service for a conversation, an FOI request stays one) and the
#     priority is urgent; anything else flagged, "nothing to act on" included, is an urgent
#     case for customer services. The flag favours recall, so some flagged items are not.
#  2. FOI: a request under the Act carries a statutory 20-working-day clock whatever
#     else it is, and must enter the FOI workflow (valid or not, so it can be followed up).
#  3. Reputation: a controversial issue, or a highly influential commentator saying anything
#     substantive, is "more likely to impact more widely on the council's reputation" and has
#     the highest priority; a negative thread that is growing fast is an emerging issue of the
#     same kind.
#  4. A person needing customer services before signposting: their own problem needs a
#     case and a substantive answer, not only a link.
#  5. Simple confusion and general questions: the web team answers.
#  6. Conversations about a service: that service's officers join in.
#  Anything else: no action, keep monitoring (the built-in fallback), looked at again as the
#  thread grows, when rule 3's growing-thread rule can promote it.
# Two rules of the phrase-list matrix are kept, turned off, for a council that wants them.
WELL_UNDERSTOOD_ISSUES = [
    "bank holiday collection", "christmas collection", "bin day", "collection day", "new bins",
    "garden waste subscription", "council tax bill", "annual bill", "parking permit", "library card",
    "roadworks", "consultation",
]
SUBSTANTIVE = [CUSTOMER_SERVICE, WEB_TEAM_RESPONSE, SERVICE_CONVERSATION, COMMS_ESCALATION]

DEFAULT_RULES: tuple[Rule, ...] = (
    Rule("Person who may be at risk, raised in public", 1, COMMS_ESCALATION, "urgent",
         {"safeguarding": True, "intent_in": [COMMS_ESCALATION]},
         notify=("customer_services", "communications_officer", "head_of_service")),
    Rule("Person who may be at risk, asking a question", 2, WEB_TEAM_RESPONSE, "urgent",
         {"safeguarding": True, "intent_in": [WEB_TEAM_RESPONSE]}, notify=("customer_services", "web_team")),
    Rule("Person who may be at risk, in a conversation about a service", 3, SERVICE_CONVERSATION, "urgent",
         {"safeguarding": True, "intent_in": [SERVICE_CONVERSATION]},
         notify=("customer_services", "service_editor", "web_team")),
    Rule("Freedom of Information request", 10, FOI, "normal", {"foi": True},
         notify=("web_team",)),
    Rule("Person who may be at risk (safeguarding)", 15, CUSTOMER_SERVICE, "urgent", {"safeguarding": True},
         notify=("customer_services", "head_of_service")),
    Rule("Controversial issue", 20, COMMS_ESCALATION, "urgent", {"intent_in": [COMMS_ESCALATION]},
         notify=("communications_officer", "head_of_service")),
    Rule("Influential commentator", 30, COMMS_ESCALATION, "urgent", {"influential": True, "intent_in": SUBSTANTIVE},
         notify=("communications_officer", "head_of_service")),
    Rule("Growing negative thread", 40, COMMS_ESCALATION, "high",
         {"min_thread_growth": 25, "criticality_in": ["medium", "high"]},
         notify=("communications_officer", "web_team")),
    Rule("Person needing customer services", 50, CUSTOMER_SERVICE, "high", {"intent_in": [CUSTOMER_SERVICE]},
         notify=("customer_services",)),
    Rule("Simple question (signposting)", 60, WEB_TEAM_RESPONSE, "normal", {"intent_in": [WEB_TEAM_RESPONSE]},
         notify=("web_team",)),
    Rule("General comment on a well-understood issue", 70, WEB_TEAM_RESPONSE, "normal",
         {"keywords_any": WELL_UNDERSTOOD_ISSUES, "criticality_in": ["low", "medium"]},
         enabled=False, notify=("web_team",)),
    Rule("Conversation about a service", 80, SERVICE_CONVERSATION, "normal", {"intent_in": [SERVICE_CONVERSATION]},
         notify=("service_editor", "web_team")),
    Rule("Comment on a service channel", 90, SERVICE_CONVERSATION, "normal",
         {"channel_kind_in": ["service", "campaign"], "kind_in": ["comment", "reply"]},
         enabled=False, notify=("service_editor",)),
)

# The conditions of the phrase-list matrix these replace (a migration updates rules still so).
PHRASE_LIST_CONDITIONS = {
    "Controversial issue": {"criticality_in": ["high"]},
    "Influential commentator": {"influential": True},
    "Person needing customer services": {"customer_service": True},
    "Simple question (signposting)": {"simple_question": True},
    "Conversation about a service": {"service_known": True, "min_thread_growth": 2},
}

# --- a rule in words ------------------------------------------------------------------------
# What each condition asks, as part of "When the mention …" (for the rules pages; the
# explanation of one routing above says what was found instead).

def _listed(values: Sequence[str], quote: bool = False) -> str:
    items = [f'"{v}"' if quote else str(v).replace("_", " ") for v in values]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " or " + items[-1]


_ASKS: dict[str, Callable[[Any], str]] = {
    "foi": lambda v: "is a Freedom of Information request" if v else "is not a Freedom of Information request",
    "foi_valid": lambda v: "is a valid FOI request (a real name, or a name and address)" if v
    else "is an FOI request that is not yet valid",
    "customer_service": lambda v: "needs customer services" if v else "does not need customer services",
    "simple_question": lambda v: "is a simple question the website answers" if v else "is not a simple question",
    "abusive": lambda v: "contains abusive words" if v else "contains no abusive words",
    "influential": lambda v: "is by an influential author" if v else "is not by an influential author",
    "author_verified": lambda v: "is by a verified account" if v else "is not by a verified account",
    "min_followers": lambda v: f"is by an author with at least {v:,} followers",
    "criticality_in": lambda v: f"is of {_listed(v)} criticality",
    "sentiment_at_most": lambda v: f"has a tone of {v:+.2f} or below (−1 hostile, +1 warm)",
    "sentiment_at_least": lambda v: f"has a tone of {v:+.2f} or above (−1 hostile, +1 warm)",
    "service_in": lambda v: f"concerns {_listed(v)}",
    "service_known": lambda v: "concerns a particular service" if v else "concerns no particular service",
    "platform_in": lambda v: f"was posted on {_listed(v)}",
    "channel_kind_in": lambda v: f"came in on a {_listed(v)} channel",
    "kind_in": lambda v: f"is a {_listed(v)}",
    "keywords_any": lambda v: f"mentions {_listed(v, quote=True)}",
    "min_thread_growth": lambda v: f"is in a thread that has grown by at least {v:,} replies and reshares",
    "intent_in": lambda v: "is read by the model as " + " or ".join(INTENT_WORDS.get(r, str(r)) for r in v),
    "min_confidence": lambda v: f"is read by the model with a confidence of at least {float(v):.0%}",
    "safeguarding": lambda v: "suggests a person may be at risk" if v else "gives no sign that a person is at risk",
}


def describe_conditions(conditions: Mapping[str, Any]) -> str:
    """'When the mention is a Freedom of Information request and …' (or 'Every mention')."""
    if not conditions:
        return "Every mention"
    parts = []
    for key in sorted(conditions, key=lambda k: list(CONDITIONS).index(k) if k in CONDITIONS else len(CONDITIONS)):
        ask = _ASKS.get(key)
        try:
            parts.append(ask(conditions[key]) if ask else f"{key.replace('_', ' ')}: {conditions[key]}")
        except (TypeError, ValueError):
            parts.append(f"{key.replace('_', ' ')}: {conditions[key]}")
    return "When the mention " + _join(parts)
