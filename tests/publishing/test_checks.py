"""The pure pre-publish checks (publishing/checks.py): plain pytest, no database, no Django.

Runs on its own with:  pytest tests/publishing/test_checks.py -p no:django --noconftest
"""
import time
from datetime import UTC, date, datetime

import pytest

from publishing.checks import (
    BLOCK,
    WARNING,
    ChannelTarget,
    CheckContext,
    CheckResult,
    Draft,
    ElectionPeriod,
    Image,
    blocking,
    check_alt_text,
    check_channels,
    check_confidential_data,
    check_frequency,
    check_platform_limits,
    check_political_standpoint,
    check_pre_election,
    extract_x_urls,
    grapheme_count,
    is_ni_number_prefix,
    mastodon_length,
    run_checks,
    x_weighted_length,
)

X = ChannelTarget("x", "@BrentCouncil")
MASTODON = ChannelTarget("mastodon", "@brent@mastodon.example")
BLUESKY = ChannelTarget("bluesky", "@brent.gov.uk")
FACEBOOK = ChannelTarget("facebook", "Brent Council")
LINKEDIN = ChannelTarget("linkedin", "Brent Council")
INSTAGRAM = ChannelTarget("instagram", "@brentcouncil")
YOUTUBE = ChannelTarget("youtube", "Brent Council")
PHOTO = Image("https://www.brent.gov.uk/media/park.jpg", "Children on the new swings in Gladstone Park")
WHEN = datetime(2026, 2, 10, 9, 30, tzinfo=UTC)

FAMILY = "\U0001F468\u200D\U0001F469\u200D\U0001F467\u200D\U0001F466"  # man, woman, girl, boy joined by ZWJ
WALES = "\U0001F3F4\U000E0067\U000E0062\U000E0077\U000E006C\U000E0073\U000E007F"


def draft(text="Bins are collected on Monday this week.", channels=(X,), **extra):
    extra.setdefault("when", WHEN)
    return Draft(text=text, channels=channels, **extra)


def codes(results):
    return [result.code for result in results]


# --- X: weighted length as twitter-text v3 counts it -----------------------------------------


@pytest.mark.parametrize("text, expected", [
    ("", 0),
    ("a" * 280, 280),
    ("\u65e5" * 141, 282),  # CJK weighs 2
    ("\U0001F600", 2),  # one emoji
    (FAMILY, 2),  # a ZWJ sequence of seven code points
    ("\U0001F44D\U0001F3FD", 2),  # thumbs up, medium skin tone
    ("\U0001F1EC\U0001F1E7", 2),  # flag: United Kingdom
    (WALES, 2),  # flag: Wales (a tag sequence)
    ("1\uFE0F\u20E3", 2),  # keycap 1
    ("\u2764\uFE0F\u200D\U0001F525", 2),  # heart on fire
    ("\U0001F3F3\uFE0F\u200D\U0001F308", 2),  # rainbow flag
    ("\U0001FAE0", 2),  # melting face (Unicode 14): new emoji count 2 too
    ("\u00a9", 1),  # copyright sign without U+FE0F is text
    ("\u00a9\uFE0F", 2),  # ... and with it an emoji
    ("\u263A", 2),  # outside the weight-1 ranges
    ("H\U0001F431\u263A" + FAMILY, 7),  # twitter-text conformance: mixed emoji
    ("\U0001F64B\U0001F3FD\U0001F468\u200D\U0001F3A4", 4),  # conformance: skin tone and ZWJ
    ("e\u0301", 1),  # NFC-normalised to one character first
    ("\u2014\u2019\u201c\u201d", 4),  # dashes and curly quotes are in the weight-1 ranges
    ("\u2026", 2),  # ... but the ellipsis (U+2026) is not
    ("https://www.brent.gov.uk/" + "a" * 75, 23),  # a 100-character URL
    ("http://test.co", 23),
    ("Hi http://test.co", 26),
    ("example.gov.uk", 23),  # a bare domain is a URL too
    ("See brent.gov.uk/bins?week=2 now", 31),
    ("foo.co.jp", 23),
    ("https://t.co/abcdef", 23),
    ("https://www.twitter.com/aloha " * 10, 240),  # conformance: ten URLs
    ("email jo@brent.gov.uk", 21),  # an email address is not a URL
    ("ftp://www.example.com/", 22),  # only http and https; the bare part follows a slash
    ("randomurlrandomurlrandomurlrandomurlrandomurlrandomurlrandomurls.com", 68),  # label of 64
    ("a\r\nb", 3),  # CRLF counts as one newline
])
def test_x_weighted_length_known_values(text, expected):
    assert x_weighted_length(text) == expected


def test_x_weighted_length_conformance_long_texts():
    assert x_weighted_length("285 chars- http://www.twitter.com/jack " + "xxxxxxxxxx-" * 24) == 299
    assert x_weighted_length("xxxxxxxxxx-" * 24 + " http://www.twitter.com/jack ") == 289
    kana = "\u3042\u3044\u3046\u3048\u304a\u304b\u304d\u304f\u3051\u3053"
    # an internationalised domain is a URL only while each label stays within 63 characters punycoded
    assert x_weighted_length(kana * 12 + " http://" + kana * 5 + kana[:3] + ".com") == 358
    assert x_weighted_length(kana * 12 + " http://" + kana * 5 + kana[:2] + ".com") == 264


def test_extract_x_urls_finds_protocol_and_bare_urls():
    text = "Visit https://www.brent.gov.uk/bins or brent.gov.uk, not me@brent.gov.uk"
    assert [text[start:end] for start, end in extract_x_urls(text)] == [
        "https://www.brent.gov.uk/bins", "brent.gov.uk"]
    assert [text[s:e] for s, e in extract_x_urls(text, without_protocol=False)] == [
        "https://www.brent.gov.uk/bins"]


def test_x_weighted_length_stays_fast_on_hostile_text():
    started = time.monotonic()
    for text in ("a." * 10_000, "a-" * 10_000 + ".com", "\u65e5" * 20_000 + ".com"):
        x_weighted_length(text)
    assert time.monotonic() - started < 10


def test_grapheme_count_counts_what_people_see():
    assert grapheme_count("abc") == 3
    assert grapheme_count("e\u0301") == 1
    assert grapheme_count(FAMILY) == 1
    assert grapheme_count("\U0001F1EC\U0001F1E7" + WALES) == 2


def test_mastodon_length_counts_urls_as_23_and_remote_mentions_by_name():
    assert mastodon_length("a" * 500) == 500
    assert mastodon_length("https://www.brent.gov.uk/" + "a" * 200) == 23
    assert mastodon_length("brent.gov.uk") == 12  # Mastodon links only URLs with a protocol
    assert mastodon_length("@libraries@mastodon.social") == len("@libraries")
    assert mastodon_length(FAMILY) == 1


# --- 1. platform limits -----------------------------------------------------------------------


def test_x_post_of_280_passes_and_281_blocks():
    assert check_platform_limits(draft("a" * 280)) == ()
    (result,) = check_platform_limits(draft("a" * 281))
    assert result == CheckResult("too_long", BLOCK, "Post for X is 281 characters. It must be 280 or fewer.", "x")


def test_x_counts_a_long_link_as_23():
    url = "https://www.brent.gov.uk/libraries/opening-hours-for-the-summer-holidays-2026-and-beyond"
    assert check_platform_limits(draft("a" * 256 + " " + url)) == ()  # 256 + 1 + 23 = 280
    assert codes(check_platform_limits(draft("a" * 257 + " " + url))) == ["too_long"]


def test_x_counts_emoji_as_two():
    assert check_platform_limits(draft(FAMILY * 140)) == ()
    (result,) = check_platform_limits(draft(FAMILY * 141))
    assert "282 characters" in result.message


def test_each_platform_is_checked_against_its_own_variant():
    post = draft("a" * 400, channels=(X, MASTODON, FACEBOOK), variants={"x": "Short for X"})
    assert check_platform_limits(post) == ()
    post = draft("Short", channels=(X, MASTODON), variants={"mastodon": "b" * 501})
    (result,) = check_platform_limits(post)
    assert result.platform == "mastodon" and result.message.startswith("Post for Mastodon is 501 characters.")


def test_a_blank_variant_falls_back_to_the_main_text():
    assert draft("a" * 281, variants={"x": "  "}).text_for("x") == "a" * 281
    assert codes(check_platform_limits(draft("a" * 281, variants={"x": "  "}))) == ["too_long"]


def test_mastodon_allows_500_and_counts_links_as_23():
    assert check_platform_limits(draft("a" * 500, channels=(MASTODON,))) == ()
    assert codes(check_platform_limits(draft("a" * 501, channels=(MASTODON,)))) == ["too_long"]
    long_link = "https://www.brent.gov.uk/" + "x" * 600
    assert check_platform_limits(draft("a" * 400 + " " + long_link, channels=(MASTODON,))) == ()


def test_bluesky_counts_300_graphemes_and_3000_bytes():
    assert check_platform_limits(draft("e\u0301" * 300, channels=(BLUESKY,))) == ()
    (result,) = check_platform_limits(draft("b" * 301, channels=(BLUESKY,)))
    assert result.message == "Post for Bluesky is 301 characters. It must be 300 or fewer."
    (result,) = check_platform_limits(draft(FAMILY * 150, channels=(BLUESKY,)))  # 150 graphemes, 3,750 bytes
    assert result.code == "too_long" and "3,750 bytes" in result.message and "fewer emoji" in result.message


@pytest.mark.parametrize("channel, limit", [(FACEBOOK, 63_206), (LINKEDIN, 3_000), (INSTAGRAM, 2_200)])
def test_facebook_linkedin_and_instagram_limits(channel, limit):
    assert check_platform_limits(draft("a" * limit, channels=(channel,), images=(PHOTO,))) == ()
    (result,) = check_platform_limits(draft("a" * (limit + 1), channels=(channel,), images=(PHOTO,)))
    assert result.code == "too_long" and f"It must be {limit:,} or fewer." in result.message


def test_instagram_needs_an_image():
    (result,) = check_platform_limits(draft("Look at this", channels=(INSTAGRAM,)))
    assert (result.code, result.level, result.platform) == ("image_required", BLOCK, "instagram")
    assert "needs an image" in result.message
    assert check_platform_limits(draft("", channels=(INSTAGRAM,), images=(PHOTO,))) == ()  # caption optional


def test_youtube_cannot_take_a_text_post_but_can_take_a_reply():
    (result,) = check_platform_limits(draft(channels=(YOUTUBE,)))
    assert result.code == "platform_cannot_post" and result.level == BLOCK
    assert "YouTube does not let apps publish a text post" in result.message
    assert check_platform_limits(draft(channels=(YOUTUBE,), is_reply=True)) == ()


def test_a_platform_without_a_client_blocks():
    (result,) = check_platform_limits(draft(channels=(ChannelTarget("flickr", "brentcouncil"),)))
    assert result.code == "platform_cannot_post" and "cannot publish to Flickr" in result.message


def test_an_empty_post_blocks_unless_it_has_an_image():
    assert codes(check_platform_limits(draft("   "))) == ["empty"]
    assert check_platform_limits(draft("", images=(PHOTO,))) == ()


def test_a_post_needs_a_channel():
    assert codes(check_channels(draft(channels=()))) == ["no_channels"]
    assert check_channels(draft()) == ()


# --- 2. alt text ------------------------------------------------------------------------------


def test_alt_text_present_passes():
    assert check_alt_text(draft(images=(PHOTO,))) == ()


@pytest.mark.parametrize("alt", ["", "   ", None])
def test_missing_alt_text_blocks(alt):
    (result,) = check_alt_text(draft(images=(PHOTO, Image("https://x.example/b.png", alt))))
    assert (result.code, result.level) == ("alt_text_missing", BLOCK)
    assert result.message.startswith("Image 2 has no alt text.")


@pytest.mark.parametrize("alt", ["image", "Photo.", "picture", "IMG_2041.jpg", "park-photo.PNG", "DSC 0042",
                                 "park.jpg"])
def test_alt_text_that_is_a_file_name_or_a_generic_word_warns(alt):
    (result,) = check_alt_text(draft(images=(Image(PHOTO.url, alt),)))
    assert (result.code, result.level) == ("alt_text_unhelpful", WARNING)
    assert "Describe what the image shows" in result.message


# --- 3. house rules: political standpoint -----------------------------------------------------


@pytest.mark.parametrize("text", [
    "Vote Labour for better libraries.",
    "Remember to vote for the candidate who cares.",
    "Please support our campaign against the government.",
    "The Conservatives have failed Brent.",
    "Don\u2019t vote for them.",  # a curly apostrophe
])
def test_a_political_standpoint_warns(text):
    (result,) = check_political_standpoint(draft(text), CheckContext())
    assert (result.code, result.level) == ("political_standpoint", WARNING)
    assert "may take a political side" in result.message


@pytest.mark.parametrize("text", [
    "Bins are collected on Monday this week.",
    "Labour market statistics for Brent are out today.",  # a party-like word with no opinion
    "Our libraries are brilliant places to study.",  # an opinion with no party
])
def test_neutral_text_passes_the_political_check(text):
    assert check_political_standpoint(draft(text), CheckContext()) == ()


def test_the_councils_own_phrases_and_parties_are_used():
    context = CheckContext(political_phrases=("save our library campaign",), parties=("Independent Alliance",))
    assert codes(check_political_standpoint(draft("Join the Save our Library campaign!"), context)) == [
        "political_standpoint"]
    assert codes(check_political_standpoint(draft("The Independent Alliance plan is a disaster."), context)) == [
        "political_standpoint"]
    assert check_political_standpoint(draft("Vote for your favourite book."), context) == ()  # list replaced


# --- 3. house rules: confidential data --------------------------------------------------------

COUNCIL = CheckContext(council_domains=("brent.gov.uk",), council_phone_numbers=("020 8937 1234",))


def confidential(text, context=COUNCIL, **extra):
    return check_confidential_data(draft(text, **extra), context)


@pytest.mark.parametrize("number", ["AB123456C", "AB 12 34 56 C", "ab 123456 d", "JG-10-37-58-A", "CE 12 34 56 B"])
def test_a_national_insurance_number_blocks(number):
    (result,) = confidential(f"Her NI number is {number}, please call.")
    assert (result.code, result.level) == ("ni_number", BLOCK)
    assert "National Insurance number" in result.message and "Remove it" in result.message
    assert number not in result.message  # masked, so the message does not leak it


@pytest.mark.parametrize("number", [
    "QQ 12 34 56 C",  # Q cannot be the first letter (HMRC's example number)
    "DA123456A", "FA123456A", "IA123456A", "UA123456A", "VA123456A",  # bad first letters
    "AO123456A", "AD123456A",  # bad second letters
    "BG123456A", "GB123456A", "KN123456A", "NK123456A", "NT123456A", "TN123456A", "ZZ123456A",  # never issued
    "AB123456E",  # the suffix is A, B, C or D
    "AB12345C",  # six digits
    "XAB123456C",  # part of a longer code
])
def test_things_that_are_not_national_insurance_numbers_pass(number):
    assert codes(confidential(f"Reference {number} here.")) == []


def test_ni_number_prefix_rules():
    assert is_ni_number_prefix("AB") and is_ni_number_prefix("oa") and is_ni_number_prefix("ZY")
    assert not any(is_ni_number_prefix(p) for p in ("QA", "AQ", "AO", "BG", "ZZ", "A", "ABC"))


def test_a_personal_email_blocks_but_the_councils_own_passes():
    (result,) = confidential("Email jane.doe@gmail.com for details.")
    assert (result.code, result.level) == ("personal_email", BLOCK)
    assert confidential("Email libraries@brent.gov.uk or LIBRARIES@Libraries.Brent.gov.uk") == ()
    assert codes(confidential("Email x@brent.gov.uk.evil.example or y@notbrent.gov.uk")) == [
        "personal_email", "personal_email"]
    partner = CheckContext(allowed_email_addresses=("help@foodbank.org.uk",))
    assert confidential("Email help@foodbank.org.uk", partner) == ()


@pytest.mark.parametrize("number, kind", [
    ("07700 900123", "mobile"),
    ("07700900123", "mobile"),
    ("+44 7700 900123", "mobile"),
    ("+44 (0)7700 900 123", "mobile"),
    ("0044 7700-900-123", "mobile"),
    ("020 7946 0018", "phone"),
    ("(020) 7946 0018", "phone"),
    ("01632 960123", "phone"),
    ("0161 496 0000", "phone"),
])
def test_a_uk_phone_number_blocks(number, kind):
    (result,) = confidential(f"Ring Jane on {number} today.")
    assert (result.code, result.level) == ("phone_number", BLOCK)
    assert f"contains a {kind} number" in result.message


@pytest.mark.parametrize("number", ["020 8937 1234", "+44 20 8937 1234", "(020) 8937-1234", "02089371234"])
def test_the_councils_published_number_is_allowed(number):
    assert confidential(f"Call us on {number}.") == ()


@pytest.mark.parametrize("text", [
    "Call 0800 123 4567 free.",  # not a mobile or landline
    "Open 9 to 5, 01/02/2026.",
    "Ring 07700 90012.",  # too short
    "Order 123456789012.",
])
def test_things_that_are_not_phone_numbers_pass(text):
    assert confidential(text) == ()


@pytest.mark.parametrize("text", [
    "Your complaint CASE-123456 is closed.",
    "We have your letter, Ref: ABC/12345.",
    "Council tax account 12345678 is in arrears.",
    "Your account number: 1234567890.",
])
def test_a_case_reference_blocks(text):
    (result,) = confidential(text)
    assert (result.code, result.level) == ("case_reference", BLOCK)


@pytest.mark.parametrize("text", ["Case 123 was busy.", "Account 1234567 is short.", "Call 12345678."])
def test_things_that_are_not_case_references_pass(text):
    assert confidential(text) == ()


def test_case_reference_patterns_are_configurable():
    context = CheckContext(case_reference_patterns=(r"\bHB\d{7}\b",))
    assert codes(confidential("Claim HB1234567 was paid.", context)) == ["case_reference"]
    assert confidential("Your complaint CASE-123456 is closed.", context) == ()


def test_a_postcode_with_a_house_number_warns_as_an_address():
    (result,) = confidential("The party is at 12 Acacia Avenue, Wembley HA9 0FJ on Friday.")
    assert (result.code, result.level) == ("address", WARNING)
    assert "12 Acacia Avenue, Wembley HA9 0FJ" in result.message
    assert confidential("Libraries in HA9 0FJ are open.") == ()  # a postcode alone is not an address
    public = CheckContext(public_postcodes=("HA9 0FJ",))
    assert confidential("Brent Civic Centre, 32 Engineers Way, Wembley HA9 0FJ", public) == ()


def test_confidential_data_in_a_variant_or_alt_text_is_found_and_located():
    results = confidential("Fine", channels=(X,), variants={"x": "Mob 07700 900123"},
                           images=(Image(PHOTO.url, "Letter to AB 12 34 56 C"),))
    assert [(r.code, r.platform) for r in results] == [("phone_number", "x"), ("ni_number", "")]
    assert results[0].message.startswith("The X version of the post contains")
    assert results[1].message.startswith("The alt text of image 1 contains")


# --- 4. frequency -----------------------------------------------------------------------------


def test_frequency_cap_warns_only_when_this_post_goes_over():
    under = ChannelTarget("x", "@BrentLibraries", kind="service", posts_in_window=3, frequency_cap=5)
    at_cap = ChannelTarget("x", "@BrentLibraries", kind="service", posts_in_window=4, frequency_cap=5)
    over = ChannelTarget("facebook", "Brent Libraries", kind="service", posts_in_window=5, frequency_cap=5)
    no_cap = ChannelTarget("x", "@BrentCouncil", posts_in_window=99)
    assert check_frequency(draft(channels=(under, at_cap, no_cap))) == ()
    (result,) = check_frequency(draft(channels=(under, over)))
    assert (result.code, result.level, result.platform) == ("frequency_cap", WARNING, "facebook")
    assert result.message.startswith("Brent Libraries on Facebook already has 5 posts in this period")


# --- 5. pre-election period -------------------------------------------------------------------

PERIOD = ElectionPeriod(date(2026, 3, 26), date(2026, 5, 7), "the Brent local elections 2026")
ELECTION = CheckContext(
    election_periods=(PERIOD,), candidates=("Jane Smith", "Tom Brown"), parties=("Independent Alliance",),
    councillors=("Cllr Muhammed Butt",), contested_matters=("Riverside scheme",),
)
DURING = datetime(2026, 4, 20, 9, 0, tzinfo=UTC)


def test_naming_a_candidate_in_the_pre_election_period_blocks():
    (result,) = check_pre_election(draft("Jane Smith opened the new library today.", when=DURING), ELECTION)
    assert (result.code, result.level) == ("pre_election", BLOCK)
    assert result.message == (
        "This post is due to go out on 20 April 2026, during the pre-election period for the Brent local "
        "elections 2026 (26 March 2026 to 7 May 2026), and it names Jane Smith (a candidate). Remove the "
        "names, or ask the monitoring officer to approve the post.")


def test_the_monitoring_officers_approval_lifts_the_block():
    post = draft("Jane Smith opened the new library today.", when=DURING)
    assert blocking(run_checks(post, ELECTION))
    approved = CheckContext(**{**ELECTION.__dict__, "monitoring_officer_approved": True})
    results = run_checks(post, approved)
    assert codes(results) == ["pre_election_approved"] and not blocking(results)
    assert results[0].level == WARNING and "The monitoring officer has approved it" in results[0].message


@pytest.mark.parametrize("text, named", [
    ("The INDEPENDENT ALLIANCE stall is in the park.", "INDEPENDENT ALLIANCE (a party)"),
    ("Cllr  Muhammed   Butt cut the ribbon.", "Cllr Muhammed Butt (a councillor)"),
    ("Have your say on the Riverside scheme.", "Riverside scheme (a contested matter)"),
])
def test_every_kind_of_restricted_name_is_found(text, named):
    (result,) = check_pre_election(draft(text, when=DURING), ELECTION)
    assert result.code == "pre_election" and named in result.message


def test_names_match_on_word_boundaries_only():
    assert check_pre_election(draft("Jane Smithson and Tom Browning visited.", when=DURING), ELECTION) == ()


def test_outside_the_period_a_party_is_only_a_political_matter():
    before = datetime(2026, 3, 25, 12, 0, tzinfo=UTC)
    assert check_pre_election(draft("Jane Smith and the Independent Alliance", when=before), ELECTION) == ()
    results = run_checks(draft("The Independent Alliance plan is a disaster.", when=before), ELECTION)
    assert codes(results) == ["political_standpoint"]


def test_the_period_is_inclusive_and_in_uk_time():
    text = "Tom Brown visited."
    assert check_pre_election(draft(text, when=datetime(2026, 5, 7, 21, 0, tzinfo=UTC)), ELECTION)  # polling day
    assert not check_pre_election(draft(text, when=datetime(2026, 5, 7, 23, 30, tzinfo=UTC)), ELECTION)  # 8 May BST
    assert check_pre_election(draft(text, when=datetime(2026, 3, 26, 0, 30, tzinfo=UTC)), ELECTION)


def test_a_name_in_a_variant_is_caught():
    post = draft("Library news", channels=(X, FACEBOOK), variants={"facebook": "With Tom Brown"}, when=DURING)
    assert codes(check_pre_election(post, ELECTION)) == ["pre_election"]


# --- 6. replies and the whole run -------------------------------------------------------------


def test_replies_get_limits_confidential_data_pre_election_and_house_rules():
    reply = draft("a" * 281, is_reply=True, when=DURING)
    (result,) = run_checks(reply, ELECTION)
    assert result.message == "Reply for X is 281 characters. It must be 280 or fewer."
    reply = draft("Jane Smith says call 07700 900123. Vote for her!", is_reply=True, when=DURING)
    assert sorted(codes(run_checks(reply, ELECTION))) == ["phone_number", "political_standpoint", "pre_election"]


def test_replies_skip_the_image_and_frequency_checks():
    busy = ChannelTarget("x", "@BrentCouncil", posts_in_window=10, frequency_cap=2)
    reply = draft("Thanks, we have passed this on.", channels=(busy,), is_reply=True,
                  images=(Image(PHOTO.url, ""),))
    assert run_checks(reply, CheckContext()) == ()
    post = draft("Thanks, we have passed this on.", channels=(busy,), images=(Image(PHOTO.url, ""),))
    assert codes(run_checks(post, CheckContext())) == ["alt_text_missing", "frequency_cap"]


def test_a_clean_post_passes_everything():
    post = draft("Bins are collected on Monday this week. Details: https://www.brent.gov.uk/bins",
                 channels=(X, FACEBOOK, INSTAGRAM, MASTODON, BLUESKY, LINKEDIN), images=(PHOTO,))
    assert run_checks(post, COUNCIL) == ()
    assert run_checks(post) == ()  # the context is optional


def test_run_checks_puts_blocks_first_and_blocking_picks_them():
    busy = ChannelTarget("x", "@BrentCouncil", posts_in_window=10, frequency_cap=2)
    results = run_checks(draft("a" * 300 + " Vote Labour", channels=(busy,)), CheckContext())
    assert [r.level for r in results] == [BLOCK, WARNING, WARNING]
    assert codes(blocking(results)) == ["too_long"]
    assert blocking(()) == ()


def test_inputs_accept_lists_and_become_immutable():
    post = Draft(text="Hi", channels=[X], images=[("https://x.example/a.png", "A map of the park")],
                 variants={"x": "Hi X"}, when=WHEN)
    assert post.channels == (X,) and post.images == (Image("https://x.example/a.png", "A map of the park"),)
    with pytest.raises(TypeError):
        post.variants["x"] = "changed"  # type: ignore[index]
    context = CheckContext(election_periods=[(date(2026, 1, 1), date(2026, 1, 2), "By-election")],
                           candidates=["A"])
    assert context.election_periods == (PERIOD._make((date(2026, 1, 1), date(2026, 1, 2), "By-election")),)
    assert context.candidates == ("A",)
