"""The escalation matrix: each outcome of seed 004's matrix, rule order, conditions,
validation, batches and re-evaluation as a thread grows. The learned model's reading is
given by a stand-in here, so that these tests are of the rules alone (tests/triage/
test_learned.py tests the model on real mentions)."""
import dataclasses
import json

import pytest

from tests.triage.readings import Reading
from triage.classify import MentionInput, classify
from triage.matrix import (
    CONDITIONS,
    DEFAULT_RULES,
    FALLBACK_RULE_NAME,
    ROUTE_DEFAULT_SLA,
    ROUTES,
    Rule,
    compile_rules,
    evaluate,
    rethink,
    route_many,
    validate_conditions,
    validate_rule,
)


def read(mention, intent="no_action", **reading):
    return classify(mention, predictor=Reading(intent, **reading))


def route(text, rules=DEFAULT_RULES, intent="no_action", safeguarding=False, **fields):
    mention = MentionInput(text=text, **fields)
    return evaluate(rules, read(mention, intent, safeguarding=safeguarding), mention)


def enabled(name):
    """The default rules with the named one (off by default) turned on."""
    return [dataclasses.replace(r, enabled=True) if r.name == name else r for r in DEFAULT_RULES]


# --- each outcome of the default matrix, with its explanation ------------------------------------

def test_foi_request_with_the_real_name_visible():
    decision = route("Under the Freedom of Information Act, please tell me how much the council spent on "
                     "agency staff in 2025.", platform="x", author_real_name_visible=True, author_followers=310,
                     intent="foi")
    assert decision.route == "foi"
    assert decision.sla == "foi"
    assert decision.rule == "Freedom of Information request"
    assert decision.explanation == (
        "Routed by rule 'Freedom of Information request': it is a request for recorded information "
        "(the model, 90%) and it is valid: the requester's real name is visible.")


def test_foi_words_make_a_request_unless_the_model_all_but_rules_it_out():
    text = MentionInput("FOI request: please disclose the number of parking tickets issued on Harrow Road")
    assert read(text, "web_team_response", confidence=0.6, foi=0.3).foi
    assert read(text, "web_team_response", foi=0.05).foi is False
    joke = MentionInput("FOI = Fear Of Ice, the paths round Millbrook are lethal")
    reading = read(joke, "customer_service")
    assert not reading.foi
    assert reading.reasons["foi"].startswith("not an FOI request: the words")


def test_foi_request_without_a_name_is_routed_but_marked_not_yet_valid():
    decision = route("FOI request: please disclose the number of parking tickets issued on Harrow Road in 2025",
                     author_followers=90, intent="foi")
    assert decision.route == "foi"
    assert "it is not yet valid: no real name visible and no name and address given" in decision.explanation


def test_foi_request_with_name_and_address_in_the_text():
    decision = route("Please provide a breakdown of spending on consultants in 2025. Regards, Jane Smith, "
                     "12 Acacia Road, London NW10 2AB", intent="foi")
    assert decision.route == "foi"
    assert "a name (Jane Smith) and an address for correspondence (postcode) are given" in decision.explanation


def test_controversial_issue_goes_to_communications():
    decision = route("Plans for the Kensal Rise library closure are a scandal. Sign the petition!",
                     author_followers=420, intent="comms_escalation")
    assert decision.route == "comms_escalation"
    assert decision.priority == "urgent"
    assert decision.sla == "comms_escalation"
    assert "communications_officer" in decision.notify
    assert decision.explanation.startswith(
        "Routed by rule 'Controversial issue': the model reads it as a controversial or reputational matter "
        "(90%) and the tone is negative (")


def test_influential_commentator_goes_to_communications():
    mention = MentionInput("The council has ignored residents for years. Useless.", author_followers=48_200)
    result = read(mention, "service_conversation")
    decision = evaluate(DEFAULT_RULES, result, mention)
    assert decision.route == "comms_escalation"
    assert decision.rule == "Influential commentator"
    assert decision.priority == "urgent"
    assert decision.explanation == (
        "Routed by rule 'Influential commentator': the author has 48,200 followers (threshold 10,000), "
        f"the model reads it as a conversation about a service (90%) and the tone is negative ({result.sentiment:.2f}).")
    assert result.sentiment == pytest.approx(-0.62, abs=0.01)
    # Chatter from a big account is still nothing to act on.
    assert route("Lovely sunset over the Quayside tonight", author_followers=48_200).route == "no_action"


def test_an_influential_account_outranks_a_customer_service_request():
    decision = route("My bin wasn't collected, can you sort it?", author_followers=120_000, author_verified=True,
                     intent="customer_service")
    assert decision.route == "comms_escalation"
    assert "on a verified account" in decision.explanation


def test_growing_negative_thread_goes_to_communications():
    decision = route("Anyone else fed up with the roadworks on Church Lane? Third week of gridlock",
                     replies=31, reshares=12, author_followers=150, intent="service_conversation")
    assert decision.route == "comms_escalation"
    assert decision.rule == "Growing negative thread"
    assert decision.priority == "high"
    assert decision.explanation == (
        "Routed by rule 'Growing negative thread': criticality is medium (critical: \"fed up\"), the thread has "
        "grown to 43 replies and reshares (at least 25) and the tone is neutral (0.00).")


def test_person_needing_customer_services():
    decision = route("Nobody's been to empty ours since the 3rd", author_followers=85, intent="customer_service")
    assert decision.route == "customer_service"
    assert decision.sla == "customer_service"
    assert decision.notify == ("customer_services",)
    assert decision.explanation == (
        "Routed by rule 'Person needing customer services': the model reads it as a request for customer "
        "services (90%).")


def test_a_person_at_risk_is_never_no_action():
    decision = route("haven't seen the old boy at no. 12 since the weekend, curtains still shut",
                     intent="no_action", safeguarding=True)
    assert decision.route == "customer_service"
    assert decision.priority == "urgent"
    assert decision.rule == "Person who may be at risk (safeguarding)"
    assert decision.explanation == ("Routed by rule 'Person who may be at risk (safeguarding)': a person may "
                                    "be at risk of harm (the model, 90%).")
    public = route("Disgrace: KBC left a disabled man without heating all winter", intent="comms_escalation",
                   safeguarding=True)
    assert (public.route, public.priority) == ("comms_escalation", "urgent")
    assert "customer_services" in public.notify
    question = route("my mum's had no heating since november, who do i ring?", intent="web_team_response",
                     safeguarding=True)
    assert (question.route, question.priority) == ("web_team_response", "urgent")
    # Words on the council's safeguarding list flag it whatever the model says.
    worded = route("I can't cope, I feel suicidal since the eviction notice", intent="no_action")
    assert worded.rule == "Person who may be at risk (safeguarding)"
    assert '("suicidal")' in worded.explanation


def test_simple_question_is_answered_by_the_web_team():
    decision = route("not complaining, the new bins are fine, just wondering what day they come now",
                     author_followers=40, intent="web_team_response")
    assert decision.route == "web_team_response"
    assert decision.sla == "web_team_response"
    assert decision.explanation == (
        "Routed by rule 'Simple question (signposting)': the model reads it as a simple question the website "
        "answers (90%).")


def test_general_comment_on_a_well_understood_issue():
    text = "Bin day has moved again because of the bank holiday collection changes"
    assert route(text, author_followers=60).route == "no_action"  # the rule is off by default
    decision = route(text, enabled("General comment on a well-understood issue"), author_followers=60)
    assert decision.route == "web_team_response"
    assert decision.rule == "General comment on a well-understood issue"
    assert decision.explanation == (
        "Routed by rule 'General comment on a well-understood issue': criticality is low (no critical language) "
        "and it mentions \"bin day\", \"bank holiday collection\".")


def test_conversation_about_a_service():
    decision = route("Anyone know if the new cycle lane on the High Road is staying? #Kilburn",
                     replies=6, reshares=1, author_followers=700, intent="service_conversation")
    assert decision.route == "service_conversation"
    assert decision.sla == "service_conversation"
    assert decision.explanation == (
        "Routed by rule 'Conversation about a service': the model reads it as a conversation about a service "
        "(90%).")


def test_comment_on_a_service_channel():
    decision = route("Lovely storytime this morning, thank you!", enabled("Comment on a service channel"),
                     platform="facebook", channel_kind="service", channel_service="libraries", kind="comment")
    assert decision.route == "service_conversation"
    assert decision.explanation == (
        "Routed by rule 'Comment on a service channel': it came in on a service channel and it is a comment.")


def test_of_no_particular_consequence():
    decision = route("Walked past the town hall today, nice flowers", author_followers=200)
    assert decision.route == "no_action"
    assert decision.fallback
    assert decision.rule == FALLBACK_RULE_NAME
    assert decision.sla is None and decision.notify == ()
    assert decision.explanation == (
        "No rule applied, so no action beyond monitoring: the model reads it as nothing to act on (90%), "
        "the tone is positive (0.42), criticality is low "
        "and the thread has 0 replies and reshares; it is looked at again if the thread grows.")


def test_foi_comes_before_everything_else():
    decision = route("FOI request: how many library closures are planned? This is a scandal.",
                     author_followers=90_000, intent="foi")
    assert decision.route == "foi"


# --- rules as data -------------------------------------------------------------------------------------

def test_default_rules_are_valid_json_data_in_order():
    assert [r.order for r in DEFAULT_RULES] == sorted(r.order for r in DEFAULT_RULES)
    for rule in DEFAULT_RULES:
        assert validate_rule(rule, sla_policies=["customer_service", "web_team_response", "comms_escalation",
                                                 "service_conversation", "foi"]) == []
        assert json.loads(json.dumps(rule.conditions)) == rule.conditions
    assert {r.route for r in DEFAULT_RULES} == set(ROUTES) - {"no_action"}


def test_rules_run_in_order_not_list_order():
    late = Rule("Everything", 100, "web_team_response", conditions={})
    early = Rule("Libraries", 1, "service_conversation", conditions={"service_in": ["libraries"]})
    decision = route("Library card renewal", rules=[late, early])
    assert decision.rule == "Libraries"
    assert route("Potholes", rules=[late, early]).rule == "Everything"


def test_a_rule_without_conditions_applies_to_everything():
    decision = route("Hello", rules=[Rule("Everything", 1, "web_team_response")])
    assert decision.explanation == "Routed by rule 'Everything': it has no conditions, so it applies to everything."


def test_disabled_rules_are_skipped():
    rules = [dataclasses.replace(r, enabled=r.name != "Person needing customer services") for r in DEFAULT_RULES]
    decision = route("My bin wasn't collected, can you sort it?", rules=rules, intent="customer_service")
    assert decision.route != "customer_service"


def test_a_rule_can_name_its_own_sla_and_notify_list():
    rule = Rule("Parking", 1, "customer_service", "high", {"service_in": ["parking"]}, sla="comms_escalation",
                notify=["head_of_service"])
    decision = route("Got a parking ticket", rules=[rule])
    assert decision.sla == "comms_escalation"
    assert decision.notify == ("head_of_service",)
    assert route("Hello", rules=[rule]).sla is None


def test_route_default_slas():
    assert ROUTE_DEFAULT_SLA == {"no_action": None, "customer_service": "customer_service",
                                 "web_team_response": "web_team_response",
                                 "service_conversation": "service_conversation",
                                 "comms_escalation": "comms_escalation", "foi": "foi"}


# --- every condition ---------------------------------------------------------------------------------

BASE = MentionInput(text="My bin wasn't collected again, can you sort it? Absolutely useless",
                    platform="x", channel_kind="corporate", author_followers=15_000, author_verified=True,
                    author_real_name_visible=True, replies=10, reshares=5, kind="reply")


CONDITION_CASES = [
    ({"foi": False}, True, "it is not an FOI request"),
    ({"foi": True}, False, None),
    ({"foi_valid": True}, False, None),
    ({"customer_service": True}, True, "it shows the person's own problem"),
    ({"simple_question": False}, True, "it is not a signposting question"),
    ({"abusive": False}, True, "it contains no abusive words"),
    ({"abusive": True}, False, None),
    ({"influential": True}, True, "the author has 15,000 followers (threshold 10,000) on a verified account"),
    ({"author_verified": True}, True, "the author's account is verified"),
    ({"min_followers": 15_000}, True, "the author has 15,000 followers (at least 15,000)"),
    ({"min_followers": 15_001}, False, None),
    ({"criticality_in": ["medium", "high"]}, True, "criticality is medium (critical: \"useless\")"),
    ({"criticality_in": ["low"]}, False, None),
    ({"sentiment_at_most": 0.5}, True, "the tone is "),
    ({"sentiment_at_least": 0.9}, False, None),
    ({"service_in": ["waste-and-recycling"]}, True, "it concerns waste-and-recycling (\"bin\")"),
    ({"service_in": ["parking"]}, False, None),
    ({"service_known": True}, True, "it concerns waste-and-recycling"),
    ({"service_known": False}, False, None),
    ({"platform_in": ["X", "facebook"]}, True, "it was posted on x"),
    ({"platform_in": ["facebook"]}, False, None),
    ({"channel_kind_in": ["corporate"]}, True, "it came in on a corporate channel"),
    ({"kind_in": ["reply"]}, True, "it is a reply"),
    ({"kind_in": ["search_hit"]}, False, None),
    ({"keywords_any": ["Useless", "shambles"]}, True, "it mentions \"Useless\""),
    ({"keywords_any": ["use"]}, False, None),  # whole words only
    ({"min_thread_growth": 15}, True, "the thread has grown to 15 replies and reshares (at least 15)"),
    ({"min_thread_growth": 16}, False, None),
    ({"intent_in": ["customer_service", "foi"]}, True, "the model reads it as a request for customer services (90%)"),
    ({"intent_in": ["no_action"]}, False, None),
    ({"min_confidence": 0.85}, True, "the model is 90% sure (at least 85%)"),
    ({"min_confidence": 0.95}, False, None),
    ({"safeguarding": False}, True, "there is no sign that a person is at risk"),
    ({"safeguarding": True}, False, None),
]


@pytest.mark.parametrize("conditions, holds, said", CONDITION_CASES)
def test_each_condition(conditions, holds, said):
    rule = Rule("Test", 1, "web_team_response", conditions=conditions)
    decision = evaluate([rule], read(BASE, "customer_service"), BASE)
    assert (decision.rule == "Test") is holds
    if holds:
        assert said in decision.explanation


def test_every_condition_key_is_covered():
    tested = {key for conditions, _holds, _said in CONDITION_CASES for key in conditions}
    assert tested == set(CONDITIONS)


def test_keywords_also_work_on_a_classification_without_its_words():
    rule = Rule("Test", 1, "web_team_response", conditions={"keywords_any": ["sort it"]})
    result = dataclasses.replace(classify(BASE), words=())
    assert evaluate([rule], result, BASE).rule == "Test"


# --- validation -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("conditions, message", [
    ([], "Conditions must be an object"),
    ({"colour": "red"}, "Unknown condition 'colour'"),
    ({"foi": "yes"}, "'foi' must be true or false"),
    ({"influential": 1}, "'influential' must be true or false"),
    ({"min_followers": -1}, "'min_followers' must be a whole number"),
    ({"min_followers": 10.5}, "'min_followers' must be a whole number"),
    ({"min_thread_growth": True}, "'min_thread_growth' must be a whole number"),
    ({"sentiment_at_most": 2}, "'sentiment_at_most' must be a number from -1 to 1"),
    ({"sentiment_at_least": "low"}, "'sentiment_at_least' must be a number from -1 to 1"),
    ({"criticality_in": ["severe"]}, "'criticality_in' may only contain low, medium, high"),
    ({"criticality_in": "high"}, "'criticality_in' must be a non-empty list"),
    ({"service_in": []}, "'service_in' must be a non-empty list"),
    ({"platform_in": ["x", 3]}, "'platform_in' must list text values only"),
    ({"kind_in": ["tweet"]}, "'kind_in' may only contain mention, comment, reply, search_hit"),
    ({"keywords_any": []}, "'keywords_any' must list at least one word or phrase"),
    ({"keywords_any": "bins"}, "'keywords_any': The keywords must be a list"),
    ({"keywords_any": ["!!"]}, "'keywords_any': The keyword '!!' has no words in it."),
    ({"sentiment_at_least": 0.5, "sentiment_at_most": -0.5}, "can never apply"),
])
def test_validate_conditions(conditions, message):
    errors = validate_conditions(conditions)
    assert any(message in e for e in errors), errors


def test_valid_conditions_have_no_errors():
    assert validate_conditions({"foi": True, "min_followers": 0, "sentiment_at_most": -1,
                                "criticality_in": ["high"], "keywords_any": ["fly-tipping"]}) == []


def test_validate_rule():
    rule = Rule(" ", 1, "ignore", "asap", {"foi": "yes"}, sla="slow", notify=("mayor",))
    errors = validate_rule(rule, sla_policies=["foi"])
    assert errors == [
        "A rule needs a name.",
        "Unknown route 'ignore'. Routes: no_action, customer_service, web_team_response, "
        "service_conversation, comms_escalation, foi.",
        "Unknown priority 'asap'. Priorities: low, normal, high, urgent.",
        "Unknown SLA policy 'slow'.",
        "Unknown role(s) to notify: mayor.",
        "'foi' must be true or false.",
    ]


def test_invalid_rules_are_refused_when_compiled():
    with pytest.raises(ValueError, match="Rule 'Broken': 'foi' must be true or false."):
        compile_rules([Rule("Broken", 1, "foi", conditions={"foi": "yes"})])


# --- batches and re-evaluation ------------------------------------------------------------------------

def test_route_many_matches_evaluate():
    mentions = [MentionInput("My bin wasn't collected, can you sort it?"),
                MentionInput("What time does Kilburn library open?"),
                MentionInput("Nice flowers"),
                MentionInput("FOI: please disclose the number of missed bins in 2025")]
    intents = ["customer_service", "web_team_response", "no_action", "foi"]
    results = [read(m, intent) for m, intent in zip(mentions, intents, strict=True)]
    matrix = compile_rules(DEFAULT_RULES)
    decisions = route_many(matrix, results, mentions)
    assert decisions == [evaluate(DEFAULT_RULES, r, m) for r, m in zip(results, mentions, strict=True)]
    assert [d.route for d in decisions] == ["customer_service", "web_team_response", "no_action", "foi"]
    with pytest.raises(ValueError):
        route_many(matrix, results[:2], mentions)


def test_a_quiet_item_is_promoted_when_its_thread_grows():
    quiet = MentionInput("Anyone else fed up with the state of the high street?", replies=1)
    first = evaluate(DEFAULT_RULES, classify(quiet), quiet)
    assert first.route == "no_action" and first.thread_growth == 1

    still_small = dataclasses.replace(quiet, replies=4)
    assert rethink(first, classify(still_small), still_small, DEFAULT_RULES) is None

    grown = dataclasses.replace(quiet, replies=22, reshares=9)
    promoted = rethink(first, classify(grown), grown, DEFAULT_RULES)
    assert promoted.route == "comms_escalation"
    assert promoted.rule == "Growing negative thread"
    assert "the thread has grown to 31 replies and reshares (at least 25)" in promoted.explanation


def test_rethink_needs_growth_and_never_demotes():
    mention = MentionInput("Anyone else fed up with the state of the high street?", replies=30)
    decision = evaluate(DEFAULT_RULES, classify(mention), mention)
    assert decision.route == "comms_escalation"
    assert rethink(decision, classify(mention), mention, DEFAULT_RULES) is None  # no growth
    calmer = dataclasses.replace(mention, text="Lovely high street now", replies=40)
    assert rethink(decision, classify(calmer), calmer, DEFAULT_RULES) is None  # would be lower


def test_a_positive_growing_thread_of_chatter_stays_monitored():
    mention = MentionInput("Loving the new library in Willesden")
    first = evaluate(DEFAULT_RULES, read(mention), mention)
    assert first.route == "no_action"
    grown = dataclasses.replace(mention, replies=30)
    assert rethink(first, read(grown), grown, DEFAULT_RULES) is None


def test_a_customer_service_case_whose_thread_blows_up_goes_to_communications():
    mention = MentionInput("My bin wasn't collected again, can you sort it? Fed up.", replies=1)
    first = evaluate(DEFAULT_RULES, read(mention, "customer_service"), mention)
    assert first.route == "customer_service" and first.priority == "high"
    grown = dataclasses.replace(mention, replies=40, reshares=60)
    promoted = rethink(first, read(grown, "customer_service"), grown, DEFAULT_RULES)
    assert promoted.route == "comms_escalation" and promoted.priority == "high"
