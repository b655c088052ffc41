"""Classification of mentions: sentiment, criticality, abuse, influence, service, requests."""
import dataclasses
import random
import time

import pytest
from vaderSentiment import vaderSentiment as vader

from triage.classify import (
    DEFAULT_CONFIG,
    ClassifierConfig,
    InfluenceThresholds,
    MentionInput,
    PhraseMatcher,
    classify,
    classify_many,
    sentiment_analyser,
    tokens,
    vader_compound,
    validate_phrases,
)


def c(text, **fields):
    return classify(MentionInput(text=text, **fields))


# --- sentiment ---------------------------------------------------------------------------------

def _vader_corpus():
    """Texts that exercise every VADER rule: negation, boosters, caps, "but", idioms, emoji."""
    rnd = random.Random(4)
    lexicon = sorted(sentiment_analyser().lexicon)
    extra = ["no", "not", "never", "so", "this", "without", "doubt", "but", "BUT", "kind", "of", "least",
             "at", "very", "the", "shit", "bomb", "kiss", "death", "to", "die", "for", "yeah", "right",
             "sort", "isn't", "don't", "or", "nor", "GOOD", "VERY", "!!", "???", "?", "\U0001f600",
             "\U0001f621", "\U0001f44d", "bus", "stop", "bin", "council", ":)", ":(", "wasn't"]
    extra += sorted(vader.BOOSTER_DICT)
    texts = [
        "VADER is smart, handsome, and funny.", "VADER is not smart, handsome, nor funny.",
        "VADER is VERY SMART, handsome, and FUNNY!!!", "The book was kind of good.",
        "At least it isn't a horrible book.", "Today SUX!", "Not bad at all", "Make sure you :) or :D today!",
        "Catch utf-8 emoji such as \U0001f498 and \U0001f48b and \U0001f601", "", "   ", "!!!",
        "My bin wasn't collected again, can you sort it please?", "The staff were great but the wait was awful",
    ]
    for _ in range(6000):
        words = [rnd.choice(lexicon) if rnd.random() < 0.4 else rnd.choice(extra) for _ in range(rnd.randint(0, 25))]
        words = [w.upper() if rnd.random() < 0.1 else w for w in words]
        texts.append(" ".join(words) + rnd.choice(["", "!", "?", "!!!", "??", ".", " :)", "\U0001f600"]))
    return texts


def test_vader_compound_is_exactly_vaders_compound_score():
    analyser = sentiment_analyser()
    for text in _vader_corpus():
        assert vader_compound(text) == analyser.polarity_scores(text)["compound"], text


@pytest.mark.parametrize("text, label", [
    ("Lovely afternoon at the leisure centre, the new pool is brilliant!", "positive"),
    ("Bins are a disgrace in this borough", "negative"),
    ("What are the opening times for Willesden library on Saturday?", "neutral"),
])
def test_sentiment_label(text, label):
    result = c(text)
    assert result.sentiment_label == label
    assert -1 <= result.sentiment <= 1
    assert result.reasons["sentiment"].startswith(label)


# --- customer service, signposting, FOI ------------------------------------------------------

@pytest.mark.parametrize("text", [
    "My bin wasn't collected, can you sort it",
    "my bin wasnt collected this week, can you sort it?",
    "My bin wasn\u2019t collected again, could someone sort it please",
    "I reported a pothole outside my house weeks ago, when will it be fixed?",
    "We've had damp and mould in our flat since January, please help",
    "I lost my library card, can you help?",
])
def test_customer_service_needs_their_own_problem_and_a_request_for_help(text):
    result = c(text)
    assert result.customer_service
    assert "own problem" in result.reasons["customer_service"]
    assert "request for help" in result.reasons["customer_service"]


@pytest.mark.parametrize("text", [
    "bins are a disgrace in this borough",  # no person's own problem, no request
    "My bin wasn't collected again. Typical.",  # their problem, but no request for help
    "Can you believe how good the new library is?",  # a request, but no problem
])
def test_not_customer_service(text):
    assert not c(text).customer_service


def test_customer_service_reason_names_the_words():
    result = c("My bin wasn't collected, can you sort it")
    assert result.reasons["customer_service"] == (
        'the person\'s own problem ("my", "wasn\'t collected") and a request for help ("can you", "sort it")')


@pytest.mark.parametrize("text", [
    "What are the opening times for Willesden library on Saturday?",
    "How do I apply for a parking permit?",
    "Where can I find the form for a blue badge?",
    "when does the recycling centre open on bank holidays",
])
def test_simple_questions(text):
    result = c(text)
    assert result.simple_question
    assert "signposting" in result.reasons["simple_question"]


@pytest.mark.parametrize("text", [
    "The library opening times are great now",  # a statement, not a question
    "Why is the council so useless?",  # a question, but not one a link answers
])
def test_not_simple_questions(text):
    assert not c(text).simple_question


@pytest.mark.parametrize("text", [
    "This is an FOI request: how many agency staff did the council employ in 2025?",
    "Under the Freedom of Information Act, how much was spent on consultants?",
    "Please provide a breakdown of the number of potholes repaired in 2025",
    "I would like to request copies of the contracts for the leisure centre refurbishment",
    "Please disclose the information held on the library closure consultation",
])
def test_foi_requests(text):
    result = c(text)
    assert result.foi
    assert result.foi_valid is False  # no name visible and none given
    assert result.reasons["foi_valid"] == "no real name visible and no name and address given"


@pytest.mark.parametrize("text", [
    "Please provide an update on my missed bin",
    "Can you provide information on opening times?",
    "Freedom to roam in the parks is lovely",
])
def test_not_foi(text):
    result = c(text)
    assert not result.foi
    assert result.foi_valid is None


def test_foi_is_valid_when_the_real_name_is_visible():
    result = c("FOI request: how much did the council spend on taxis in 2025?", author_real_name_visible=True)
    assert result.foi_valid is True
    assert result.reasons["foi_valid"] == "the requester's real name is visible"


@pytest.mark.parametrize("text, address", [
    ("Under the FOI Act please disclose spending on agency staff. Regards, Jane Smith, 12 Acacia Road NW10 2AB",
     "postcode"),
    ("FOI request: how many parking tickets were issued in 2025? My name is Amir Khan, reply to amir@example.org",
     "email address"),
    ("Freedom of information request for the number of missed bins last year.\n- Mary O'Brien, 4 Park Lane",
     "street address"),
])
def test_foi_is_valid_with_a_name_and_an_address_in_the_text(text, address):
    result = c(text)
    assert result.foi and result.foi_valid is True
    assert address in result.reasons["foi_valid"]


def test_foi_with_a_name_but_no_address_is_not_valid():
    result = c("FOI request: please disclose spending on consultants. Regards, Jane Smith")
    assert result.foi_valid is False


# --- service, criticality, abuse, influence, growth ---------------------------------------------

@pytest.mark.parametrize("text, service, phrase", [
    ("My bin wasn't collected", "waste-and-recycling", "bin"),
    ("Fly tipping on Church Lane again", "waste-and-recycling", "fly-tipping"),
    ("Three potholes on the High Road", "highways", "pothole"),
    ("Damp and mould in our flat", "housing", "damp"),
    ("Got a parking ticket in the car park", "parking", "parking ticket"),
    ("Has my council tax direct debit gone through?", "council-tax", "council tax"),
    ("Thinking about fostering, where do I start?", "adoption-and-fostering", "fostering"),
    ("Any apprenticeship vacancies this autumn?", "hr-recruitment", "apprenticeship"),
    ("How do local businesses find tender opportunities?", "procurement", "local businesses"),
    ("The planning application for the tower should be refused", "planning", "planning application"),
])
def test_service_from_phrases(text, service, phrase):
    result = c(text)
    assert result.service == service
    assert result.service_phrase == phrase
    assert result.reasons["service"].startswith(service)


def test_service_from_the_channel_when_no_phrase_matches():
    result = c("Lovely morning, thank you!", channel_kind="service", channel_service="libraries")
    assert result.service == "libraries"
    assert result.service_phrase == ""
    assert result.reasons["service"] == "libraries (posted on its channel)"


def test_a_tie_between_services_goes_to_the_channel_service():
    text = "Is the swimming pool near the library?"  # one leisure phrase, one libraries phrase
    assert c(text).service == "libraries"  # config order
    assert c(text, channel_service="leisure").service == "leisure"


def test_no_service():
    result = c("Nice weather today")
    assert result.service == ""
    assert result.reasons["service"] == "no service phrase found"


def test_phrases_match_whole_words_only():
    assert c("The cabinet meeting ran late").service == ""  # "bin" is not in "cabinet"
    assert c("Recycling bins everywhere").service == "waste-and-recycling"  # plural of "bin"


@pytest.mark.parametrize("text, level, evidence", [
    ("Plans for the library closure are a scandal, sign the petition", "high", "reputational"),
    ("Bins are a disgrace in this borough, absolutely shocking service", "high", "strongly critical"),
    ("Bins are a disgrace in this borough", "medium", '"disgrace"'),
    ("I hate waiting, it's sad and bad", "medium", "negative tone"),
    ("Lovely storytime at the library", "low", "no critical language"),
])
def test_criticality(text, level, evidence):
    result = c(text)
    assert result.criticality == level
    assert evidence in result.criticality_reason
    assert result.reasons["criticality"].startswith(level)


@pytest.mark.parametrize("text, abusive", [
    ("you lot are useless idiots", True),
    ("what a f*ck up", True),
    ("Piss off council", True),
    ("The council tax bill is wrong", False),
    ("Scunthorpe United won", False),
])
def test_abuse(text, abusive):
    result = c(text)
    assert result.abusive is abusive
    assert ("abusive words:" in result.reasons["abusive"]) is abusive


def test_influence_by_followers():
    result = c("Library closures again", author_followers=48_200)
    assert result.influential
    assert result.influence >= 60
    assert result.reasons["influence"] == "48,200 followers (threshold 10,000)"


def test_influence_by_score_for_a_verified_engaged_account():
    result = c("Library closures again", author_followers=6_000, author_verified=True, author_engagement=0.05)
    assert result.influential
    assert result.reasons["influence"].startswith("6,000 followers on a verified account, influence score")


def test_small_and_unknown_accounts_are_not_influential():
    small = c("Library closures again", author_followers=230)
    assert not small.influential and small.influence < 40
    unknown = c("Library closures again")
    assert not unknown.influential and unknown.influence == 0
    assert unknown.reasons["influence"] == "an unknown number of followers (threshold 10,000)"


def test_influence_score_is_bounded():
    huge = c("Hello", author_followers=50_000_000, author_verified=True, author_engagement=1.0)
    assert huge.influence == 100
    odd = c("Hello", author_followers=-5, author_engagement=-1.0)
    assert odd.influence == 0


def test_influence_thresholds_are_configurable():
    config = ClassifierConfig(influence=InfluenceThresholds(influential_followers=1_000))
    result = classify(MentionInput("Library closures again", author_followers=1_500), config)
    assert result.influential
    assert result.reasons["influence"] == "1,500 followers (threshold 1,000)"


def test_thread_growth():
    result = c("Bins", replies=12, reshares=30)
    assert result.thread_growth == 42
    assert result.reasons["thread_growth"] == "12 replies and 30 reshares"
    assert c("Bins", replies=-3, reshares=2).thread_growth == 2


def test_every_signal_has_a_reason():
    result = c("FOI request please: how many bins were missed? My bin wasn't collected, can you sort it?")
    assert set(result.reasons) >= {"sentiment", "criticality", "abusive", "influence", "service",
                                   "customer_service", "simple_question", "foi", "foi_valid", "thread_growth"}


# --- configuration, hostile text, batches ---------------------------------------------------------

def test_config_is_editable_data():
    config = ClassifierConfig(services={"parks": ["allotment", "bandstand"]}, abuse_words=["numpty"])
    result = classify(MentionInput("The allotments are full of numpties"), config)
    assert result.service == "parks"
    assert result.abusive
    assert DEFAULT_CONFIG.services["waste-and-recycling"]  # the default is untouched


def test_a_phrase_without_words_is_refused():
    with pytest.raises(ValueError, match="no words"):
        classify(MentionInput("hello"), ClassifierConfig(abuse_words=["!!!"]))


def test_validate_phrases():
    assert validate_phrases(["bin", "missed collection"]) == []
    assert validate_phrases("bin") == ["The phrases must be a list of words or phrases."]
    assert validate_phrases(["ok", 3, "?!"]) == ["Each phrase must be text, not 3.", "The phrase '?!' has no words in it."]


def test_phrase_matcher_finds_overlapping_phrases():
    matcher = PhraseMatcher()
    matcher.add("missed collection", "service")
    matcher.add("missed", "problem")
    assert matcher.find(tokens("They missed collections on my road")) == {
        "service": ["missed collection"], "problem": ["missed"]}


def test_phrase_matcher_plurals_apostrophes_and_longest_match():
    matcher = PhraseMatcher()
    matcher.add("library", "service")
    matcher.add("the number of", "info")
    matcher.add("hasn't been collected", "problem")
    matcher.add("sick and tired", "critical")
    matcher.add("sick", "critical")
    found = matcher.find(tokens("Libraries: the number of bins that hasnt been collected. Sick and tired, sick!"))
    assert found == {"service": ["library"], "info": ["the number of"], "problem": ["hasn't been collected"],
                     "critical": ["sick and tired", "sick"]}
    assert matcher.find(tokens("the number")) == {}


def test_hostile_text_is_classified_safely_and_quickly():
    text = "<script>alert(1)</script>\x00 my bin \u202e\ufeff" + "\U0001f621" * 50 + "disgrace " * 200_000
    started = time.perf_counter()
    result = c(text, replies=1)
    assert time.perf_counter() - started < 1
    assert result.service == "waste-and-recycling"
    assert result.criticality in ("medium", "high")
    assert c("").sentiment == 0.0
    assert c("\x00\x00").service == ""


def test_classify_many_matches_classify():
    mentions = [
        MentionInput("My bin wasn't collected, can you sort it"),
        MentionInput("What are the opening times for Kilburn library?", platform="facebook"),
        MentionInput("FOI: please disclose spending on consultants", author_real_name_visible=True),
        MentionInput("Library closure is a scandal", author_followers=48_200, replies=5, reshares=9),
    ]
    assert classify_many(mentions) == [classify(m) for m in mentions]
    assert [r.reasons for r in classify_many(mentions)] == [classify(m).reasons for m in mentions]


def test_classification_is_frozen():
    result = c("Bins")
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.service = "parking"
