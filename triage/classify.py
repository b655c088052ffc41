"""Classification of mentions: the signals the escalation matrix weighs.

Plain functions, no database. Seed 004 ("Assigning tasks") has the web team weigh the
audience and the commenter's followers, how critical the comments are, the importance of
the issue to the council's reputation, and which service it concerns; it also singles out
people needing customer services, simple confusion that signposting answers, and FOI
requests. Every word list here is data: the Django layer stores them and builds a
ClassifierConfig.

Phrases are matched on whole words, case-insensitively; hyphens count as spaces, a
phrase's last word also matches its plural (-s, -es, -y to -ies), and a phrase of several
words with an apostrophe also matches without it ("wasn't collected" finds "wasnt
collected").
"""
from __future__ import annotations

import dataclasses
import math
import re
import string
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from vaderSentiment import vaderSentiment as vader

CRITICALITY_LEVELS = ("low", "medium", "high")
# The learned model's routes, in words (for reasons and explanations).
INTENT_WORDS = {
    "no_action": "nothing to act on",
    "customer_service": "a request for customer services",
    "web_team_response": "a simple question the website answers",
    "service_conversation": "a conversation about a service",
    "comms_escalation": "a controversial or reputational matter",
    "foi": "a request for recorded information (FOI)",
}
SENTIMENT_LABELS = ("positive", "neutral", "negative")


# --- input and output -------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class MentionInput:
    """What the classifier needs to know about one mention."""

    text: str
    platform: str = ""
    channel_kind: str = ""  # "corporate", "service", "campaign", or "" for a search hit
    channel_service: str = ""  # the service slug owning the channel, if any
    author_followers: int | None = None
    author_verified: bool = False
    author_engagement: float | None = None  # interactions per follower per post, e.g. 0.03
    author_real_name_visible: bool = False  # display name looks like a real first and last name
    replies: int = 0
    reshares: int = 0
    kind: str = "mention"  # "mention", "comment", "reply" or "search_hit" (platforms.base.KINDS)
    watched: str = ""  # who the author is and why they matter, when on the watch list


@dataclasses.dataclass(frozen=True)
class Classification:
    """The signals found in one mention, with `reasons`: short evidence for each signal."""

    sentiment: float  # VADER compound, -1..1
    sentiment_label: str  # positive / neutral / negative
    criticality: str  # low / medium / high
    criticality_reason: str
    abusive: bool
    influence: int  # 0..100
    influential: bool
    service: str  # service slug, or ""
    service_phrase: str  # the phrase that placed it, or "" (e.g. placed by its channel)
    customer_service: bool
    simple_question: bool
    foi: bool
    foi_valid: bool | None  # None when it is not an FOI request
    thread_growth: int  # replies + reshares
    reasons: Mapping[str, str] = dataclasses.field(default_factory=dict, compare=False)
    # The lower-cased words classified, so that keyword rules need not split the text again.
    words: tuple[str, ...] = dataclasses.field(default=(), repr=False, compare=False)
    # The learned model's reading (triage.learned); "" and zeros when classified without one.
    intent: str = ""  # the route the model reads the mention as
    confidence: float = 0.0  # the model's probability for `intent`
    route_probabilities: Mapping[str, float] = dataclasses.field(default_factory=dict, repr=False, compare=False)
    safeguarding: bool = False  # a person may be at risk of harm
    safeguarding_probability: float = 0.0
    service_probability: float = 0.0  # the model's probability for the service it found
    model_version: int | None = None


# --- configuration -----------------------------------------------------------------

DEFAULT_SERVICE_PHRASES: dict[str, list[str]] = {
    "waste-and-recycling": [
        "bin", "wheelie bin", "bin day", "bin collection", "missed bin", "missed collection",
        "recycling", "recycling centre", "fly-tipping", "flytipping", "fly-tipped", "flytipped",
        "fly tippers", "rubbish", "litter", "bulky waste", "garden waste", "food waste", "refuse",
        "dumped rubbish", "street cleaning", "dog fouling", "the tip",
    ],
    "council-tax": [
        "council tax", "ctax", "council tax bill", "single person discount", "council tax reduction",
        "council tax band", "direct debit",
    ],
    "parking": [
        "parking", "car park", "parking ticket", "parking fine", "pcn", "penalty charge notice", "parking permit",
        "resident permit", "visitor permit", "cpz", "controlled parking zone", "traffic warden",
        "civil enforcement officer", "blue badge", "clamped", "towed away",
    ],
    "libraries": [
        "library", "libraries", "library card", "librarian", "ebook", "e-book", "audiobook",
        "storytime", "rhyme time", "home library service",
    ],
    "leisure": [
        "leisure centre", "sports centre", "swimming pool", "swimming", "swim", "gym", "fitness class",
        "park", "parks", "playground", "tennis court", "football pitch", "outdoor gym",
    ],
    "housing": [
        "housing", "council flat", "council house", "tenant", "tenancy", "housing repair", "repairs",
        "damp", "mould", "mold", "leak", "leaking roof", "boiler", "no heating", "no hot water",
        "homeless", "homelessness", "temporary accommodation", "housing benefit", "housing officer",
        "housing list", "rent arrears", "estate", "lift broken",
    ],
    "highways": [
        "pothole", "pavement", "road surface", "street light", "streetlight", "lamp post", "roadworks",
        "road works", "traffic lights", "gritting", "gritter", "speed bump", "zebra crossing",
        "dropped kerb", "highways", "road closure", "cycle lane",
    ],
    "planning": [
        "planning", "planning application", "planning permission", "building control",
        "conservation area", "listed building", "local plan", "planning enforcement",
    ],
    "adoption-and-fostering": [
        "adoption", "adopting", "adopt a child", "fostering", "foster carer", "foster care", "foster",
    ],
    "hr-recruitment": [
        "job vacancy", "vacancies", "recruitment", "apprenticeship", "careers", "jobs at the council",
        "job advert", "job application", "graduate scheme", "work for the council",
    ],
    "procurement": [
        "procurement", "tender", "tendering", "council contract", "supplier", "framework agreement",
        "social value", "local businesses", "contract opportunities",
    ],
    "customer-services": [
        "customer services", "customer service", "call centre", "contact centre", "helpline",
        "on hold", "online account", "my account", "civic centre reception",
    ],
    "communications": [
        "press release", "newsletter", "council magazine", "email alerts", "your website",
        "council website", "your tweet", "your post",
    ],
}

DEFAULT_CRITICAL_PHRASES = [
    "disgrace", "disgraceful", "shambles", "shocking", "appalling", "useless", "incompetent",
    "incompetence", "pathetic", "joke", "a joke", "unacceptable", "fed up", "sick of", "sick and tired",
    "waste of money", "waste of taxpayers", "ridiculous", "outrageous", "scandalous", "terrible",
    "awful", "worst", "failing", "neglect", "neglected", "ignored", "nobody cares", "no one cares",
    "shameful", "embarrassing", "complaint", "complain", "rip off", "rip-off", "daylight robbery",
]

# Words that put the council's reputation at stake: any one makes criticality high.
DEFAULT_REPUTATIONAL_PHRASES = [
    "ombudsman", "legal action", "solicitor", "sue the council", "suing", "judicial review",
    "data breach", "safeguarding", "discrimination", "racist", "racism", "corrupt", "corruption",
    "cover-up", "cover up", "fraud", "misconduct", "resign", "resignation", "no confidence",
    "my mp", "the press", "journalist", "newspaper", "going to the papers", "bbc", "itv",
    "petition", "protest", "strike", "died", "death", "injured", "fire safety", "asbestos",
    "carbon monoxide", "child at risk", "closure", "closing down", "cuts", "scandal",
]

DEFAULT_ABUSE_WORDS = [
    "idiot", "moron", "cretin", "scum", "scumbag", "wanker", "twat", "prick", "dickhead", "bastard",
    "bitch", "cunt", "fuck", "fucking", "fucked", "fucker", "f*ck", "f**k", "f***", "fck", "fcuk",
    "shit", "shite", "sh*t", "bellend", "tosser", "piss off", "kill yourself", "kys", "hope you die",
    "die in a fire",
]

# Words that flag safeguarding whatever the model says (recall matters more than precision).
DEFAULT_SAFEGUARDING_PHRASES = [
    "suicidal", "kill myself", "end my life", "take my own life", "self harm", "self-harm", "domestic abuse",
    "domestic violence", "child at risk", "child neglect", "being abused", "safeguarding concern",
]

DEFAULT_FOI_PHRASES = [
    "freedom of information", "foi", "foia", "foi request", "foi act", "freedom of information act",
    "environmental information regulations", "eir request",
]
# A request phrase together with an information phrase also makes an FOI request.
DEFAULT_FOI_REQUEST_PHRASES = [
    "please provide", "please disclose", "please supply", "please publish", "i request",
    "i would like to request", "i'd like to request", "i am requesting", "i'm requesting",
    "request the following", "under section 1",
]
DEFAULT_FOI_INFORMATION_PHRASES = [
    "information held", "information you hold", "information the council holds", "data held",
    "data you hold", "held by the council", "a breakdown of", "breakdown of", "figures for",
    "figures on", "statistics on", "records of", "copies of", "a copy of", "the number of",
    "how many", "how much was spent", "how much has been spent", "how much the council spent",
    "total spent", "total cost", "spent on", "spend on",
]

DEFAULT_FIRST_PERSON_WORDS = [
    "i", "i'm", "im", "i've", "ive", "i'd", "me", "my", "mine", "we", "we've", "our", "ours", "us",
]
# The person's own problem: a first-person word and one of these.
DEFAULT_PROBLEM_PHRASES = [
    "not collected", "wasn't collected", "weren't collected", "hasn't been collected",
    "haven't been collected", "not been collected", "missed", "still waiting", "been waiting",
    "waiting for", "no response", "no reply", "not heard back", "never heard back", "broken",
    "not working", "doesn't work", "isn't working", "stopped working", "leaking", "leak", "damp",
    "mould", "no heating", "no hot water", "overcharged", "charged twice", "wrong bill", "fined",
    "parking ticket", "pcn", "refund", "repair", "can't log in", "cannot log in", "locked out",
    "lost", "stolen", "problem", "issue", "reported", "blocked", "flooded", "flooding",
    "haven't received", "not received", "didn't receive", "never arrived", "hasn't arrived",
    "been dumped", "keeps happening", "again",
]
# ...and a request for help: one of these.
DEFAULT_HELP_REQUEST_PHRASES = [
    "can you", "could you", "can someone", "could someone", "can anyone", "please help", "help me",
    "help us", "please sort", "sort it", "sort this", "sort out", "fix it", "fix this", "please fix",
    "please send", "please arrange", "please can", "please could", "who do i contact",
    "who should i contact", "who can i speak to", "what do i do", "what should i do", "what can i do",
    "when will", "any update", "any news", "need someone", "need help", "dm me", "get back to me",
    "look into", "chase", "please respond", "please reply", "please provide", "an update", "asap",
    "urgently",
]
# Signposting: a question a link to the website answers.
DEFAULT_SIGNPOST_PHRASES = [
    "opening times", "opening hours", "what time", "what times", "when does", "when do", "when is",
    "is it open", "are you open", "open on", "how do i", "how can i", "how to", "where can i",
    "where do i", "where is", "where's", "which day", "what day", "is there a form", "which form",
    "what form", "the form", "link to", "link for", "on your website", "on the website", "apply for",
    "register for", "sign up for", "book a", "how much is", "how much does", "do i need",
    "is there a way", "where do you",
]
QUESTION_OPENERS = ("how", "where", "when", "what", "which", "is", "are", "can", "do", "does")


@dataclasses.dataclass(frozen=True)
class InfluenceThresholds:
    """The influence score: 0..100 from followers (log scale), verification and engagement."""

    influential_followers: int = 10_000  # at or above: influential whatever the score
    influential_score: int = 65  # at or above: influential
    score_at_threshold: int = 60  # the followers part of the score at influential_followers
    followers_cap: int = 80  # the followers part never exceeds this
    verified_bonus: int = 10
    engagement_full: float = 0.05  # engagement rate that earns the whole engagement bonus
    engagement_bonus: int = 10


@dataclasses.dataclass(frozen=True)
class CriticalityThresholds:
    """High: a reputational phrase, or `high_min_phrases` critical phrases with a tone at or
    below `high_sentiment`. Medium: a critical phrase, or a tone at or below
    `medium_sentiment`. Otherwise low."""

    medium_sentiment: float = -0.3
    high_sentiment: float = -0.6
    high_min_phrases: int = 2


@dataclasses.dataclass(frozen=True)
class ClassifierConfig:
    """Everything the classifier uses, as editable data. Treat an instance as read-only:
    it is compiled once, on first use; build a new config to change it."""

    services: Mapping[str, Sequence[str]] = dataclasses.field(
        default_factory=lambda: {k: list(v) for k, v in DEFAULT_SERVICE_PHRASES.items()})
    influence: InfluenceThresholds = InfluenceThresholds()
    criticality: CriticalityThresholds = CriticalityThresholds()
    positive_at_least: float = 0.05  # VADER's usual cut-offs for the label
    negative_at_most: float = -0.05
    critical_phrases: Sequence[str] = tuple(DEFAULT_CRITICAL_PHRASES)
    reputational_phrases: Sequence[str] = tuple(DEFAULT_REPUTATIONAL_PHRASES)
    abuse_words: Sequence[str] = tuple(DEFAULT_ABUSE_WORDS)
    foi_phrases: Sequence[str] = tuple(DEFAULT_FOI_PHRASES)
    foi_request_phrases: Sequence[str] = tuple(DEFAULT_FOI_REQUEST_PHRASES)
    foi_information_phrases: Sequence[str] = tuple(DEFAULT_FOI_INFORMATION_PHRASES)
    first_person_words: Sequence[str] = tuple(DEFAULT_FIRST_PERSON_WORDS)
    problem_phrases: Sequence[str] = tuple(DEFAULT_PROBLEM_PHRASES)
    help_request_phrases: Sequence[str] = tuple(DEFAULT_HELP_REQUEST_PHRASES)
    signpost_phrases: Sequence[str] = tuple(DEFAULT_SIGNPOST_PHRASES)
    safeguarding_phrases: Sequence[str] = tuple(DEFAULT_SAFEGUARDING_PHRASES)
    # With the model: it leads, and a phrase list overrides it only so far.
    foi_phrase_min_probability: float = 0.2  # an FOI phrase makes an FOI request if the model gives at least this
    service_phrase_max_none: float = 0.5  # a service phrase places it if the model's "no service" is below this
    max_text_chars: int = 4000  # longer (hostile) text is classified on its first part


DEFAULT_CONFIG = ClassifierConfig()


# --- phrase matching -------------------------------------------------------------------

_TOKEN = re.compile(r"[\w*]+(?:'[\w*]+)*")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'"})


def tokens(text: str) -> list[str]:
    """The lower-cased words of `text`, as phrases are matched against them."""
    if not text.isascii():
        text = text.translate(_APOSTROPHES)
    return _TOKEN.findall(text.lower())


def validate_phrases(phrases: Any, *, what: str = "phrase") -> list[str]:
    """Problems with a list of phrases (for the editing UI); empty when usable."""
    if isinstance(phrases, str) or not isinstance(phrases, Sequence):
        return [f"The {what}s must be a list of words or phrases."]
    errors = []
    for phrase in phrases:
        if not isinstance(phrase, str):
            errors.append(f"Each {what} must be text, not {phrase!r}.")
        elif not tokens(phrase):
            errors.append(f"The {what} {phrase!r} has no words in it.")
    return errors


class PhraseMatcher:
    """Finds labelled phrases in a list of tokens in one pass, overlaps between labels included."""

    def __init__(self) -> None:
        self._single: dict[str, list[tuple[str, list[Any]]]] = {}  # word -> [(phrase, labels)]
        # first word -> second word -> [(allowed words for each later position, phrase, labels)]
        self._multi: dict[str, dict[str, list[tuple[tuple[frozenset[str], ...], str, list[Any]]]]] = {}
        self._entries: dict[tuple[str, ...], list[Any]] = {}  # words -> labels (shared with the index)

    def add(self, phrase: str, label: Any) -> None:
        words = tokens(phrase)
        if not words:
            raise ValueError(f"The phrase {phrase!r} has no words in it.")
        variants = [tuple(words)]
        if len(words) > 1 and any("'" in w for w in words):
            variants.append(tuple(w.replace("'", "") for w in words))
        for variant in variants:
            labels = self._entries.get(variant)
            if labels is not None:
                if label not in labels:
                    labels.append(label)
                continue
            labels = self._entries[variant] = [label]
            last = variant[-1]
            last_forms = {last, last + "s", last + "es"}  # the last word may be plural
            if len(last) > 2 and last.endswith("y"):
                last_forms.add(last[:-1] + "ies")
            if len(variant) == 1:
                for form in last_forms:
                    self._single.setdefault(form, []).append((phrase, labels))
                continue
            if len(variant) == 2:
                seconds, later = last_forms, ()
            else:
                seconds = (variant[1],)
                later = tuple(frozenset((w,)) for w in variant[2:-1]) + (frozenset(last_forms),)
            for second in seconds:
                candidates = self._multi.setdefault(variant[0], {}).setdefault(second, [])
                candidates.append((later, phrase, labels))
                candidates.sort(key=lambda candidate: -len(candidate[0]))  # longest phrase first

    def find(self, words: Sequence[str]) -> dict[Any, list[str]]:
        """label -> the phrases found, in order. Within one label matches do not overlap:
        the longest phrase starting at a word wins ("swimming pool", not also "swimming")."""
        hits: dict[Any, list[str]] = {}
        covered: dict[Any, int] = {}  # label -> index of the first word after its last match
        single, multi = self._single, self._multi
        n = len(words)
        for i, word in enumerate(words):
            following = multi.get(word)
            if following is not None and i + 1 < n:
                candidates = following.get(words[i + 1])
                if candidates is not None:
                    for later, phrase, labels in candidates:
                        end = i + 2 + len(later)
                        if later and (end > n or any(words[i + 2 + k] not in allowed
                                                     for k, allowed in enumerate(later))):
                            continue
                        for label in labels:
                            if covered.get(label, 0) <= i:
                                covered[label] = end
                                hits.setdefault(label, []).append(phrase)
            found = single.get(word)
            if found is not None:
                for phrase, labels in found:
                    for label in labels:
                        if covered.get(label, 0) <= i:
                            covered[label] = i + 1
                            hits.setdefault(label, []).append(phrase)
        return hits


# --- FOI validity: a name and an address for correspondence in the text ------------------

_NAME = r"([A-Z][A-Za-z'\-]*[a-z](?: [A-Z][A-Za-z'\-]*[a-z]){1,3})"
_NAME_PATTERNS = [
    re.compile(r"(?i:my name is|name:|i am|i'm)\s+" + _NAME),
    re.compile(r"(?i:regards|thanks|thank you|sincerely|yours)[,.]?\s+" + _NAME + r"(?=\s*(?:[,.;\n]|$))"),
    re.compile(r"(?:^|\n)\s*[-\u2013\u2014]\s*" + _NAME + r"(?=\s*(?:[,.;\n]|$))"),
]
_ADDRESS_PATTERNS = [
    ("postcode", re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b", re.IGNORECASE)),
    ("email address", re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")),
    ("street address", re.compile(
        r"\b\d+[a-z]?,?\s+(?:[A-Za-z']+\s+){1,3}(?:road|rd|street|st|avenue|ave|lane|close|way|drive|"
        r"gardens|crescent|place|terrace|grove|court|mews|hill|park|row|square)\b", re.IGNORECASE)),
    ("address", re.compile(r"\b(?:my address is|address:|write to me at|correspondence to)", re.IGNORECASE)),
]


_NAME_WORD = r"[A-Z][a-z]*(?:['\-][A-Z]?[a-z]+)*"
_REAL_NAME = re.compile(rf"{_NAME_WORD}(?: {_NAME_WORD}){{1,3}}")
_NOT_A_PERSON = frozenset({
    "council", "borough", "team", "news", "official", "ltd", "limited", "group", "club", "society", "the",
    "association", "residents", "community", "campaign", "action", "watch", "party", "labour", "conservatives",
    "greens", "lib", "dems", "uk", "local", "info", "updates",
})


def looks_like_real_name(display_name: str) -> bool:
    """Whether a profile's display name is a person's real first and last name ("Jane Smith"),
    for the FOI validity check: two to four capitalised words, none an organisation's word."""
    name = " ".join(display_name.split())
    if not _REAL_NAME.fullmatch(name):
        return False
    words = name.lower().replace("-", " ").split()
    return len(name.replace(" ", "")) >= 4 and not any(w in _NOT_A_PERSON for w in words)


def name_and_address(text: str) -> tuple[str, str] | None:
    """The requester's name and the kind of address found in an FOI request, or None."""
    name = next((m.group(1) for p in _NAME_PATTERNS if (m := p.search(text))), None)
    if name is None:
        return None
    address = next((what for what, p in _ADDRESS_PATTERNS if p.search(text)), None)
    return (name, address) if address else None


# --- sentiment: VADER's compound score -----------------------------------------------------
# vaderSentiment's polarity_scores also works out pos/neu/neg, rebuilds the lower-cased word
# list for every check and copies the text a character at a time to translate emoji; that is
# most of the cost of classifying. vader_compound follows polarity_scores step for step for
# the compound score alone, using VADER's own lexicon, constants and helpers (tests compare
# the two on thousands of texts).

_analyser = None
_PUNCTUATION = string.punctuation
_NEGATE = frozenset(vader.NEGATE)


def sentiment_analyser() -> vader.SentimentIntensityAnalyzer:
    """The one VADER analyser (loading its lexicon takes tens of milliseconds)."""
    global _analyser
    if _analyser is None:
        _analyser = vader.SentimentIntensityAnalyzer()
    return _analyser


def _negated(word: str) -> bool:
    return word in _NEGATE or "n't" in word


def _negation_check(valence: float, low: list[str], start_i: int, i: int) -> float:
    if start_i == 0:
        if _negated(low[i - 1]):
            valence = valence * vader.N_SCALAR
    elif start_i == 1:
        if low[i - 2] == "never" and (low[i - 1] == "so" or low[i - 1] == "this"):
            valence = valence * 1.25
        elif low[i - 2] == "without" and low[i - 1] == "doubt":
            pass
        elif _negated(low[i - 2]):
            valence = valence * vader.N_SCALAR
    else:
        if (low[i - 3] == "never" and (low[i - 2] == "so" or low[i - 2] == "this")
                or (low[i - 1] == "so" or low[i - 1] == "this")):
            valence = valence * 1.25
        elif low[i - 3] == "without" and (low[i - 2] == "doubt" or low[i - 1] == "doubt"):
            pass
        elif _negated(low[i - 3]):
            valence = valence * vader.N_SCALAR
    return valence


def _special_idioms_check(valence: float, low: list[str], i: int) -> float:
    special, booster = vader.SPECIAL_CASES, vader.BOOSTER_DICT
    onezero = f"{low[i - 1]} {low[i]}"
    twoonezero = f"{low[i - 2]} {low[i - 1]} {low[i]}"
    twoone = f"{low[i - 2]} {low[i - 1]}"
    threetwoone = f"{low[i - 3]} {low[i - 2]} {low[i - 1]}"
    threetwo = f"{low[i - 3]} {low[i - 2]}"
    for seq in (onezero, twoonezero, twoone, threetwoone, threetwo):
        if seq in special:
            valence = special[seq]
            break
    if len(low) - 1 > i:
        zeroone = f"{low[i]} {low[i + 1]}"
        if zeroone in special:
            valence = special[zeroone]
    if len(low) - 1 > i + 1:
        zeroonetwo = f"{low[i]} {low[i + 1]} {low[i + 2]}"
        if zeroonetwo in special:
            valence = special[zeroonetwo]
    for n_gram in (threetwoone, threetwo, twoone):
        if n_gram in booster:
            valence = valence + booster[n_gram]
    return valence


def vader_compound(text: str) -> float:
    """VADER's compound score for `text`, -1..1 (polarity_scores(text)["compound"])."""
    analyser = sentiment_analyser()
    lexicon, booster = analyser.lexicon, vader.BOOSTER_DICT
    emojis = analyser.emojis
    if not text.isascii() and any(ch in emojis for ch in text):
        # VADER's emoji translation, only needed when there is an emoji to translate.
        translated, prev_space = [], True
        for ch in text:
            if ch in emojis:
                if not prev_space:
                    translated.append(" ")
                translated.append(emojis[ch])
                prev_space = False
            else:
                translated.append(ch)
                prev_space = ch == " "
        text = "".join(translated)
    text = text.strip()

    words = []
    for token in text.split():
        stripped = token.strip(_PUNCTUATION)
        words.append(token if len(stripped) <= 2 else stripped)
    if not words:
        return 0.0
    low = [w.lower() for w in words]
    n = len(words)
    is_cap_diff = vader.allcap_differential(words)
    scalar_inc_dec = vader.scalar_inc_dec

    sentiments = []
    for i, item_low in enumerate(low):
        valence = 0
        if item_low in lexicon and item_low not in booster:
            valence = lexicon[item_low]
            if item_low == "kind" and i < n - 1 and low[i + 1] == "of":
                valence = 0
            else:
                if item_low == "no" and i != n - 1 and low[i + 1] in lexicon:
                    valence = 0.0
                if ((i > 0 and low[i - 1] == "no") or (i > 1 and low[i - 2] == "no")
                        or (i > 2 and low[i - 3] == "no" and low[i - 1] in ("or", "nor"))):
                    valence = lexicon[item_low] * vader.N_SCALAR
                if is_cap_diff and words[i].isupper():
                    valence = valence + vader.C_INCR if valence > 0 else valence - vader.C_INCR
                for start_i in range(3):
                    if i > start_i and low[i - (start_i + 1)] not in lexicon:
                        s = scalar_inc_dec(words[i - (start_i + 1)], valence, is_cap_diff)
                        if start_i == 1 and s != 0:
                            s = s * 0.95
                        if start_i == 2 and s != 0:
                            s = s * 0.9
                        valence = valence + s
                        valence = _negation_check(valence, low, start_i, i)
                        if start_i == 2:
                            valence = _special_idioms_check(valence, low, i)
                if i > 1 and low[i - 1] not in lexicon and low[i - 1] == "least":
                    if low[i - 2] != "at" and low[i - 2] != "very":
                        valence = valence * vader.N_SCALAR
                elif i > 0 and low[i - 1] not in lexicon and low[i - 1] == "least":
                    valence = valence * vader.N_SCALAR
        sentiments.append(valence)
    if "but" in low:
        sentiments = vader.SentimentIntensityAnalyzer._but_check(words, sentiments)

    sum_s = float(sum(sentiments))
    if sum_s:
        ep_count = min(text.count("!"), 4)
        qm_count = text.count("?")
        amplifier = ep_count * 0.292 + ((qm_count * 0.18 if qm_count <= 3 else 0.96) if qm_count > 1 else 0)
        sum_s = sum_s + amplifier if sum_s > 0 else sum_s - amplifier
    return round(vader.normalize(sum_s), 4)


# --- the compiled classifier -------------------------------------------------------------

_CATEGORIES = {
    "critical": "critical_phrases",
    "reputational": "reputational_phrases",
    "abuse": "abuse_words",
    "foi": "foi_phrases",
    "foi_request": "foi_request_phrases",
    "foi_info": "foi_information_phrases",
    "first_person": "first_person_words",
    "problem": "problem_phrases",
    "help": "help_request_phrases",
    "signpost": "signpost_phrases",
    "safeguarding": "safeguarding_phrases",
}


def _quote(phrases: Iterable[str]) -> str:
    """Phrases for a reason, once each, leaving out any found inside a longer one."""
    unique = list(dict.fromkeys(phrases))
    if len(unique) > 1:
        unique = [p for p in unique if not any(p != q and p in q for q in unique)]
    return ", ".join(f'"{p}"' for p in unique)


class _Compiled:
    """A config turned into one phrase matcher and plain numbers."""

    def __init__(self, config: ClassifierConfig) -> None:
        self.config = config
        self.matcher = PhraseMatcher()
        self.service_order: dict[str, int] = {}
        for slug, phrases in config.services.items():
            self.service_order[slug] = len(self.service_order)
            for phrase in phrases:
                self.matcher.add(phrase, ("service", slug))
        for label, field in _CATEGORIES.items():
            for phrase in getattr(config, field):
                self.matcher.add(phrase, label)
        inf = config.influence
        self.log_threshold = math.log10(1 + max(inf.influential_followers, 1))

    # The helpers below return their values with the reason in words.

    def influence(self, m: MentionInput) -> tuple[int, bool, str]:
        inf = self.config.influence
        followers = m.author_followers
        score = 0.0
        if followers is not None and followers > 0:
            score = min(inf.followers_cap, inf.score_at_threshold * math.log10(1 + followers) / self.log_threshold)
        if m.author_verified:
            score += inf.verified_bonus
        if m.author_engagement and m.author_engagement > 0 and inf.engagement_full > 0:
            score += inf.engagement_bonus * min(1.0, m.author_engagement / inf.engagement_full)
        score_int = max(0, min(100, round(score)))
        if m.watched:  # someone the web team named: influential whatever their audience
            return max(score_int, inf.influential_score), True, f"on the watch list ({m.watched})"
        by_followers = followers is not None and followers >= inf.influential_followers
        influential = by_followers or score_int >= inf.influential_score
        who = "an unknown number of followers" if followers is None else f"{followers:,} followers"
        verified = " on a verified account" if m.author_verified else ""
        if by_followers or not influential:
            reason = f"{who} (threshold {inf.influential_followers:,}){verified}"
        else:
            reason = f"{who}{verified}, influence score {score_int}/100 (threshold {inf.influential_score})"
        return score_int, influential, reason

    def service(self, hits: dict[Any, list[str]], channel_service: str, prediction=None) -> tuple[str, str, str]:
        counts: dict[str, list[str]] = {}
        for label, found in hits.items():
            if isinstance(label, tuple):
                counts[label[1]] = found
        if prediction is not None:
            # The model leads; its "no service" gives way to the channel's service, then to a
            # service phrase when the model is unsure that no service is concerned.
            if prediction.service:
                return (prediction.service, "",
                        f"{prediction.service} (the model, {prediction.service_probability:.0%})")
            if not counts or prediction.service_probability >= self.config.service_phrase_max_none:
                if channel_service:
                    return channel_service, "", f"{channel_service} (posted on its channel)"
                return "", "", f"no particular service (the model, {prediction.service_probability:.0%})"
        if not counts:
            if channel_service:
                return channel_service, "", f"{channel_service} (posted on its channel)"
            return "", "", "no service phrase found"
        # Most phrases found wins; a tie goes to the channel's own service, then config order.
        slug = min(counts, key=lambda s: (-len(counts[s]), s != channel_service, self.service_order[s]))
        return slug, counts[slug][0], f"{slug} ({_quote(counts[slug])})"

    def criticality(self, hits: dict[Any, list[str]], compound: float) -> tuple[str, str]:
        th = self.config.criticality
        reputational = hits.get("reputational")
        critical = hits.get("critical", ())
        if reputational:
            return "high", f"raises a reputational issue: {_quote(reputational)}"
        distinct = len(set(critical))
        if distinct >= th.high_min_phrases and compound <= th.high_sentiment:
            return "high", f"strongly critical: {_quote(critical)} in a very negative tone"
        if critical:
            return "medium", f"critical: {_quote(critical)}"
        if compound <= th.medium_sentiment:
            return "medium", f"negative tone ({compound:.2f})"
        return "low", "no critical language"

    def classify(self, m: MentionInput, prediction=None) -> Classification:
        """`prediction`: the learned model's triage.learned.Prediction for the text, if any."""
        cfg = self.config
        text = m.text[: cfg.max_text_chars] if m.text else ""
        words = tuple(tokens(text))
        hits = self.matcher.find(words)
        reasons: dict[str, str] = {}

        compound = vader_compound(text)
        if compound >= cfg.positive_at_least:
            label = "positive"
        elif compound <= cfg.negative_at_most:
            label = "negative"
        else:
            label = "neutral"
        reasons["sentiment"] = f"{label} ({compound:.2f})"

        criticality, criticality_reason = self.criticality(hits, compound)
        reasons["criticality"] = f"{criticality}: {criticality_reason}"

        abuse = hits.get("abuse")
        reasons["abusive"] = f"abusive words: {_quote(abuse)}" if abuse else "no abusive words"

        influence, influential, influence_reason = self.influence(m)
        reasons["influence"] = influence_reason
        if m.watched:
            reasons["watched"] = m.watched

        service, service_phrase, service_reason = self.service(hits, m.channel_service, prediction)
        reasons["service"] = service_reason

        first_person, problem, help_ = hits.get("first_person"), hits.get("problem"), hits.get("help")
        customer_service = bool(first_person and problem and help_)
        if customer_service:
            reasons["customer_service"] = (
                f"the person's own problem ({_quote(first_person[:1] + problem)}) and a request for help ({_quote(help_)})")
        elif first_person and problem:
            reasons["customer_service"] = f"the person's own problem ({_quote(problem)}) but no request for help"
        else:
            reasons["customer_service"] = "not a person's own problem with a request for help"

        signpost = hits.get("signpost")
        is_question = "?" in text or (bool(words) and words[0] in QUESTION_OPENERS)
        simple_question = bool(signpost) and is_question
        if simple_question:
            reasons["simple_question"] = f"a question answered by signposting ({_quote(signpost)})"
        else:
            reasons["simple_question"] = "not a signposting question"

        foi_found = hits.get("foi")
        foi_pair = hits.get("foi_request") and hits.get("foi_info")
        foi = bool(foi_found or foi_pair)
        foi_valid: bool | None = None
        if foi_found:
            reasons["foi"] = f"a Freedom of Information request ({_quote(foi_found)})"
        elif foi_pair:
            reasons["foi"] = (f"a request for information held "
                              f"({_quote(hits['foi_request'] + hits['foi_info'])})")
        else:
            reasons["foi"] = "not an FOI request"
        if prediction is not None:
            # The model leads; an FOI phrase still makes a request unless the model all but rules it out.
            foi_probability = prediction.route_probabilities.get("foi", 0.0)
            if prediction.route == "foi":
                foi = True
                reasons["foi"] = f"a request for recorded information (the model, {foi_probability:.0%})"
            elif foi and foi_probability >= cfg.foi_phrase_min_probability:
                reasons["foi"] += f" (the model gives {foi_probability:.0%})"
            elif foi:
                foi = False
                reasons["foi"] = (f"not an FOI request: the words {reasons['foi'].split('(', 1)[-1].rstrip(')')} "
                                  f"appear, but the model gives it {foi_probability:.0%}")
        if foi:
            given = name_and_address(text)
            if m.author_real_name_visible:
                foi_valid, reasons["foi_valid"] = True, "the requester's real name is visible"
            elif given:
                foi_valid = True
                reasons["foi_valid"] = f"a name ({given[0]}) and an address for correspondence ({given[1]}) are given"
            else:
                foi_valid = False
                reasons["foi_valid"] = "no real name visible and no name and address given"

        thread_growth = max(0, m.replies) + max(0, m.reshares)
        reasons["thread_growth"] = f"{max(0, m.replies):,} replies and {max(0, m.reshares):,} reshares"

        learned_signals: dict[str, Any] = {}
        at_risk = hits.get("safeguarding")
        if prediction is not None:
            learned_signals = {
                "intent": prediction.route, "confidence": prediction.confidence,
                "route_probabilities": prediction.route_probabilities,
                "safeguarding": prediction.safeguarding or bool(at_risk),
                "safeguarding_probability": prediction.safeguarding_probability,
                "service_probability": prediction.service_probabilities.get(service, 0.0),
                "model_version": prediction.version,
            }
            reasons["intent"] = f"{INTENT_WORDS.get(prediction.route, prediction.route)} ({prediction.confidence:.0%})"
            if prediction.safeguarding:
                reasons["safeguarding"] = (f"a person may be at risk of harm (the model, "
                                           f"{prediction.safeguarding_probability:.0%})")
        elif at_risk:
            learned_signals["safeguarding"] = True
        if at_risk and "safeguarding" not in reasons:
            reasons["safeguarding"] = f"a person may be at risk of harm ({_quote(at_risk)})"
        reasons.setdefault("safeguarding", "no sign that a person is at risk")

        return Classification(
            sentiment=compound,
            sentiment_label=label,
            criticality=criticality,
            criticality_reason=criticality_reason,
            abusive=bool(abuse),
            influence=influence,
            influential=influential,
            service=service,
            service_phrase=service_phrase,
            customer_service=customer_service,
            simple_question=simple_question,
            foi=foi,
            foi_valid=foi_valid,
            thread_growth=thread_growth,
            reasons=reasons,
            words=words,
            **learned_signals,
        )


def compile_config(config: ClassifierConfig = DEFAULT_CONFIG) -> _Compiled:
    """The compiled form of `config`, built once and kept on the config."""
    compiled = config.__dict__.get("_compiled")
    if compiled is None:
        compiled = _Compiled(config)
        object.__setattr__(config, "_compiled", compiled)  # a cache, not a field
    return compiled


def author_influence(followers: int | None, verified: bool, config: ClassifierConfig | None = None) -> int:
    """An author's standing, 0–100, from followers and verification alone (no one mention's engagement)."""
    m = MentionInput(text="", author_followers=followers, author_verified=verified)
    return compile_config(config or DEFAULT_CONFIG).influence(m)[0]


def classify(m: MentionInput, config: ClassifierConfig = DEFAULT_CONFIG, predictor=None) -> Classification:
    """Classify one mention; `predictor` is the learned model (triage.learned.Predictor), if any."""
    return classify_many([m], config, predictor)[0]


def classify_many(mentions: Iterable[MentionInput], config: ClassifierConfig = DEFAULT_CONFIG,
                  predictor=None) -> list[Classification]:
    """Classify a batch of mentions with one compiled config, and the learned model's
    predictions for the whole batch at once when `predictor` is given."""
    run = compile_config(config).classify
    mentions = list(mentions)
    if predictor is None:
        return [run(m) for m in mentions]
    limit = config.max_text_chars
    predictions = predictor.predict([(m.text or "")[:limit] for m in mentions])
    return [run(m, p) for m, p in zip(mentions, predictions, strict=True)]
