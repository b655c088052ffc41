"""Pre-publish checks: plain functions, no database, no Django.

Every post and every reply goes through `run_checks` before it is approved and again before it
is published. Each check returns `CheckResult`s that explain, in plain English, what is wrong
and how to put it right. A result is either a *block* (the post cannot go out until it is
fixed) or a *warning* (the author and the approver should look again, but may go ahead).

The checks come from the council's social media guidance (seed 004, "DO NOT"):

- do not post too often and become an annoyance          -> `check_frequency`
- do not take any political standpoint                   -> `check_political_standpoint`
  (stricter during the pre-election period)              -> `check_pre_election`
- do not reveal confidential or sensitive information    -> `check_confidential_data`

and from what each platform accepts (`check_platform_limits`) and the council's legal duty to
make its content accessible (`check_alt_text`).

How X counts a post (`x_weighted_length`) follows twitter-text v3 (config v3.json):
the text is NFC-normalised; every URL that twitter-text's extractor finds (with or without
http/https, bare domains included) counts 23; every emoji sequence counts 2; every other code
point counts 1 if it is in 0-4351, 8192-8205, 8208-8223 or 8242-8247 and 2 otherwise. The
`twitter-text-parser` package on PyPI is not used: its last release is from 2023, it imports
`pkg_resources` (removed from setuptools in 2026) and it recognises only Unicode 12 emoji.
Emoji are recognised here with Unicode properties from the `regex` module, so new emoji are
counted as 2 as soon as `regex` knows them. Checked against twitter-text's conformance cases
and, on random mixes of URLs, emoji and scripts, against another port. Three known differences
from twitter-text, all in text nobody writes: a ZWJ sequence that is not a recommended emoji
(pictographs glued together with U+200D) counts 2 here but more on X; a pair of regional
indicators that is not a real flag (U+1F1EB U+1F1EB) counts 2 here, 4 on X; and in a text with
a run of over 256 characters without a space, a domain glued to over 63 characters of other
text may be taken for a URL here when X does not (see _LONG_RUN).
"""
from __future__ import annotations

import dataclasses
import functools
import re
import types
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import NamedTuple
from zoneinfo import ZoneInfo

import regex

__all__ = [
    "BLOCK",
    "WARNING",
    "ChannelTarget",
    "CheckContext",
    "CheckResult",
    "Draft",
    "ElectionPeriod",
    "Image",
    "PLATFORM_LIMITS",
    "blocking",
    "check_alt_text",
    "check_channels",
    "check_confidential_data",
    "check_frequency",
    "check_platform_limits",
    "check_political_standpoint",
    "check_pre_election",
    "extract_x_urls",
    "grapheme_count",
    "is_ni_number_prefix",
    "mastodon_length",
    "run_checks",
    "x_weighted_length",
]

BLOCK = "block"
WARNING = "warning"


# --- input and output --------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class ChannelTarget:
    """One of the council's accounts that the post is going to."""

    platform: str  # platform slug, as in platforms.CLIENTS: "x", "facebook", "bluesky", ...
    handle: str  # "@BrentCouncil"
    kind: str = "corporate"  # corporate / service / campaign
    posts_in_window: int = 0  # posts already scheduled or published in the frequency window
    frequency_cap: int | None = None  # most posts allowed in the window; None: no cap


class Image(NamedTuple):
    url: str
    alt_text: str


@dataclasses.dataclass(frozen=True)
class Draft:
    """What the author wants to publish. `variants` maps a platform slug to its own text."""

    text: str
    variants: Mapping[str, str] = dataclasses.field(default_factory=dict)
    channels: tuple[ChannelTarget, ...] = ()
    images: tuple[Image, ...] = ()
    link: str = ""
    when: datetime | None = None  # intended publication (aware); None means straight away
    is_reply: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "variants", types.MappingProxyType(dict(self.variants or {})))
        object.__setattr__(self, "channels", tuple(self.channels))
        object.__setattr__(self, "images", tuple(Image(*image) for image in self.images))

    def text_for(self, platform: str) -> str:
        """The text that goes to `platform`: its variant if it has one, else the main text."""
        variant = self.variants.get(platform)
        return variant if variant and variant.strip() else self.text


class ElectionPeriod(NamedTuple):
    start: date  # first day of the pre-election period (inclusive)
    end: date  # polling day (inclusive)
    name: str  # "Brent local elections 2026"


DEFAULT_CASE_REFERENCE_PATTERNS: tuple[str, ...] = (
    r"\bCASE-\d{6,}\b",  # CASE-123456
    r"\bRef(?:erence)?(?:\s*(?:no\.?|number))?\s*[:.#]?\s*[A-Z]{2,5}/\d{4,}\b",  # Ref: ABC/12345
    # a council tax (or other) account number of 8 to 10 digits after the word "account"
    r"\baccount(?:\s*(?:number|no\.?|num|ref(?:erence)?))?\s*[:#.]?\s*\d{8,10}\b",
)

DEFAULT_POLITICAL_PHRASES: tuple[str, ...] = (
    "vote for",
    "vote against",
    "don't vote for",
    "vote labour",
    "vote conservative",
    "vote tory",
    "vote lib dem",
    "vote liberal democrat",
    "vote green",
    "vote reform",
    "vote snp",
    "vote plaid cymru",
    "vote ukip",
    "support our campaign against the government",
    "campaign against the government",
    "blame the government",
    "the government has failed",
    "government's failure",
    "tory cuts",
    "labour cuts",
)

# Party names that, together with an opinion word in the same sentence, read as taking a side.
# The council's own list of parties (CheckContext.parties) is added to these.
DEFAULT_PARTY_NAMES: tuple[str, ...] = (
    "Labour",
    "Labour Party",
    "Conservative",
    "Conservatives",
    "Conservative Party",
    "Tory",
    "Tories",
    "Liberal Democrat",
    "Liberal Democrats",
    "Lib Dem",
    "Lib Dems",
    "Green Party",
    "Greens",
    "Reform UK",
    "SNP",
    "Plaid Cymru",
    "UKIP",
)

DEFAULT_OPINION_WORDS: tuple[str, ...] = (
    "disgrace",
    "disgraceful",
    "shame",
    "shameful",
    "failed",
    "failing",
    "failure",
    "incompetent",
    "useless",
    "disaster",
    "disastrous",
    "betrayed",
    "betrayal",
    "lies",
    "lied",
    "liars",
    "corrupt",
    "reckless",
    "chaos",
    "chaotic",
    "scandal",
    "scandalous",
    "to blame",
    "fault",
    "brilliant",
    "fantastic",
    "excellent",
    "heroes",
    "thanks to",
    "proud to support",
)


def _as_tuple(value: Iterable[str] | str | None) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(value)


@dataclasses.dataclass(frozen=True)
class CheckContext:
    """What the checks need to know about the council and the moment. Lists become tuples."""

    election_periods: tuple[ElectionPeriod, ...] = ()
    # names restricted during a pre-election period
    candidates: tuple[str, ...] = ()
    parties: tuple[str, ...] = ()
    councillors: tuple[str, ...] = ()
    contested_matters: tuple[str, ...] = ()
    # phrases that take a political standpoint at any time
    political_phrases: tuple[str, ...] = DEFAULT_POLITICAL_PHRASES
    opinion_words: tuple[str, ...] = DEFAULT_OPINION_WORDS
    monitoring_officer_approved: bool = False
    # the council's own contact details, which a post may give out
    council_domains: tuple[str, ...] = ()  # "brent.gov.uk" (subdomains are allowed too)
    council_phone_numbers: tuple[str, ...] = ()  # "020 8937 1234"
    allowed_email_addresses: tuple[str, ...] = ()  # public addresses of partners
    public_postcodes: tuple[str, ...] = ()  # postcodes of public buildings: "HA9 0FJ"
    case_reference_patterns: tuple[str, ...] = DEFAULT_CASE_REFERENCE_PATTERNS
    timezone: str = "Europe/London"

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):
            if field.name in ("monitoring_officer_approved", "timezone", "election_periods"):
                continue
            object.__setattr__(self, field.name, _as_tuple(getattr(self, field.name)))
        periods = tuple(ElectionPeriod(*period) for period in (self.election_periods or ()))
        object.__setattr__(self, "election_periods", periods)


@dataclasses.dataclass(frozen=True)
class CheckResult:
    code: str
    level: str  # BLOCK or WARNING
    message: str  # a plain-English sentence or two: what is wrong and how to fix it
    platform: str = ""  # the platform slug it concerns, or "" for the whole post

    @property
    def is_block(self) -> bool:
        return self.level == BLOCK


def blocking(results: Iterable[CheckResult]) -> tuple[CheckResult, ...]:
    """The results that stop the post going out (empty, so falsy, when it may go)."""
    return tuple(result for result in results if result.level == BLOCK)


# --- platforms ---------------------------------------------------------------------------------

PLATFORM_NAMES = {
    "x": "X",
    "facebook": "Facebook",
    "instagram": "Instagram",
    "youtube": "YouTube",
    "mastodon": "Mastodon",
    "bluesky": "Bluesky",
    "linkedin": "LinkedIn",
    "flickr": "Flickr",
    "threads": "Threads",
    "nextdoor": "Nextdoor",
}

# The longest text each platform accepts, in the platform's own unit (see _measure).
PLATFORM_LIMITS = {
    "x": 280,  # weighted length, twitter-text v3
    "mastodon": 500,  # grapheme clusters, URLs count 23 (the default for a Mastodon server)
    "bluesky": 300,  # grapheme clusters
    "facebook": 63_206,
    "linkedin": 3_000,
    "instagram": 2_200,
    "threads": 500,
    "nextdoor": 8_192,  # publishing only: agencies cannot read, so cannot reply
}
REPLY_LIMITS = {**{p: n for p, n in PLATFORM_LIMITS.items() if p != "nextdoor"},
                "youtube": 10_000}  # a comment reply on YouTube is possible
BLUESKY_MAX_BYTES = 3_000  # Bluesky also limits a post to 3,000 bytes of UTF-8
URL_LENGTH = 23


def _platform_name(platform: str) -> str:
    return PLATFORM_NAMES.get(platform, platform.title() or "this platform")


# --- counting ----------------------------------------------------------------------------------

_GRAPHEME_RE = regex.compile(r"\X")


def grapheme_count(text: str) -> int:
    """User-perceived characters (extended grapheme clusters): how Bluesky counts."""
    return sum(1 for _ in _GRAPHEME_RE.finditer(text))


# Top-level domains as twitter-text knows them (the IANA root zone).
_GTLDS = """
    삼성 닷컴 닷넷 香格里拉 餐厅 食品 飞利浦 電訊盈科 集团 通販 购物 谷歌 诺基亚 联通 网络 网站 网店 网址 组织机构 移动 珠宝 点看 游戏 淡马锡 机构 書籍 时尚 新闻 政府
    政务 招聘 手表 手机 我爱你 慈善 微博 广东 工行 家電 娱乐 天主教 大拿 大众汽车 在线 嘉里大酒店 嘉里 商标 商店 商城 公益 公司 八卦 健康 信息 佛山 企业 中文网 中信
    世界 ポイント ファッション セール ストア コム グーグル クラウド みんな คอม संगठन नेट कॉम همراه موقع موبايلي كوم كاثوليك عرب
    شبكة بيتك بازار العليان ارامكو اتصالات ابوظبي קום сайт рус орг онлайн москва ком католик дети
    zuerich zone zippo zip zero zara zappos yun youtube you yokohama yoga yodobashi yandex yamaxun
    yahoo yachts xyz xxx xperia xin xihuan xfinity xerox xbox wtf wtc wow world works work woodside
    wolterskluwer wme winners wine windows win williamhill wiki wien whoswho weir weibo wedding wed
    website weber webcam weatherchannel weather watches watch warman wanggou wang walter walmart
    wales vuelos voyage voto voting vote volvo volkswagen vodka vlaanderen vivo viva vistaprint
    vista vision visa virgin vip vin villas viking vig video viajes vet versicherung
    vermögensberatung vermögensberater verisign ventures vegas vanguard vana vacations ups uol uno
    university unicom uconnect ubs ubank tvs tushu tunes tui tube trv trust travelersinsurance
    travelers travelchannel travel training trading trade toys toyota town tours total toshiba toray
    top tools tokyo today tmall tkmaxx tjx tjmaxx tirol tires tips tiffany tienda tickets tiaa
    theatre theater thd teva tennis temasek telefonica telecity tel technology tech team tdk tci
    taxi tax tattoo tatar tatamotors target taobao talk taipei tab systems symantec sydney swiss
    swiftcover swatch suzuki surgery surf support supply supplies sucks style study studio stream
    store storage stockholm stcgroup stc statoil statefarm statebank starhub star staples stada srt
    srl spreadbetting spot sport spiegel space soy sony song solutions solar sohu software softbank
    social soccer sncf smile smart sling skype sky skin ski site singles sina silk shriram showtime
    show shouji shopping shop shoes shiksha shia shell shaw sharp shangrila sfr sexy sex sew seven
    ses services sener select seek security secure seat search scot scor scjohnson science schwarz
    schule school scholarships schmidt schaeffler scb sca sbs sbi saxo save sas sarl sapo sap sanofi
    sandvikcoromant sandvik samsung samsclub salon sale sakura safety safe saarland ryukyu rwe run
    ruhr rugby rsvp room rogers rodeo rocks rocher rmit rip rio ril rightathome ricoh richardli rich
    rexroth reviews review restaurant rest republican report repair rentals rent ren reliance reit
    reisen reise rehab redumbrella redstone red recipes realty realtor realestate read raid radio
    racing qvc quest quebec qpon pwc pub prudential pru protection property properties promo
    progressive prof productions prod pro prime press praxi pramerica post porn politie poker pohl
    pnc plus plumbing playstation play place pizza pioneer pink ping pin pid pictures pictet pics
    piaget physio photos photography photo phone philips phd pharmacy pfizer pet pccw pay passagens
    party parts partners pars paris panerai panasonic pamperedchef page ovh ott otsuka osaka origins
    orientexpress organic org orange oracle open ooo onyourside online onl ong one omega ollo
    oldnavy olayangroup olayan okinawa office off observer obi nyc ntt nrw nra nowtv nowruz now
    norton northwesternmutual nokia nissay nissan ninja nikon nike nico nhk ngo nfl nexus nextdirect
    next news newholland new neustar network netflix netbank net nec nba navy natura nationwide name
    nagoya nadex nab mutuelle mutual museum mtr mtpc mtn msd movistar movie mov motorcycles moto
    moscow mortgage mormon mopar montblanc monster money monash mom moi moe moda mobily mobile mobi
    mma mls mlb mitsubishi mit mint mini mil microsoft miami metlife merckmsd meo menu men memorial
    meme melbourne meet media med mckinsey mcdonalds mcd mba mattel maserati marshalls marriott
    markets marketing market map mango management man makeup maison maif madrid macys luxury luxe
    lupin lundbeck ltda ltd lplfinancial lpl love lotto lotte london lol loft locus locker loans
    loan llp llc lixil living live lipsy link linde lincoln limo limited lilly like lighting
    lifestyle lifeinsurance life lidl liaison lgbt lexus lego legal lefrak leclerc lease lds lawyer
    law latrobe latino lat lasalle lanxess landrover land lancome lancia lancaster lamer lamborghini
    ladbrokes lacaixa kyoto kuokgroup kred krd kpn kpmg kosher komatsu koeln kiwi kitchen kindle
    kinder kim kia kfh kerryproperties kerrylogistics kerryhotels kddi kaufen juniper juegos jprs
    jpmorgan joy jot joburg jobs jnj jmp jll jlc jio jewelry jetzt jeep jcp jcb java jaguar iwc
    iveco itv itau istanbul ist ismaili iselect irish ipiranga investments intuit international
    intel int insure insurance institute ink ing info infiniti industries inc immobilien immo imdb
    imamat ikano iinet ifm ieee icu ice icbc ibm hyundai hyatt hughes htc hsbc how house hotmail
    hotels hoteles hot hosting host hospital horse honeywell honda homesense homes homegoods
    homedepot holiday holdings hockey hkt hiv hitachi hisamitsu hiphop hgtv hermes here helsinki
    help healthcare health hdfcbank hdfc hbo haus hangout hamburg hair guru guitars guide guge gucci
    guardian group grocery gripe green gratis graphics grainger gov got gop google goog goodyear
    goodhands goo golf goldpoint gold godaddy gmx gmo gmbh gmail globo global gle glass glade giving
    gives gifts gift ggee george genting gent gea gdn gbiz gay garden gap games game gallup gallo
    gallery gal fyi futbol furniture fund fun fujixerox fujitsu ftr frontier frontdoor frogans frl
    fresenius free fox foundation forum forsale forex ford football foodnetwork food foo fly
    flsmidth flowers florist flir flights flickr fitness fit fishing fish firmdale firestone fire
    financial finance final film fido fidelity fiat ferrero ferrari feedback fedex fast fashion
    farmers farm fans fan family faith fairwinds fail fage extraspace express exposed expert
    exchange everbank events eus eurovision etisalat esurance estate esq erni ericsson equipment
    epson epost enterprises engineering engineer energy emerck email education edu edeka eco eat
    earth dvr dvag durban dupont duns dunlop duck dubai dtv drive download dot doosan domains doha
    dog dodge doctor docs dnp diy dish discover discount directory direct digital diet diamonds dhl
    dev design desi dentist dental democrat delta deloitte dell delivery degree deals dealer deal
    dds dclk day datsun dating date data dance dad dabur cyou cymru cuisinella csc cruises cruise
    crs crown cricket creditunion creditcard credit cpa courses coupons coupon country corsica coop
    cool cookingchannel cooking contractors contact consulting construction condos comsec computer
    compare company community commbank comcast com cologne college coffee codes coach clubmed club
    cloud clothing clinique clinic click cleaning claims cityeats city citic citi citadel cisco
    circle cipriani church chrysler chrome christmas chloe chintai cheap chat chase charity channel
    chanel cfd cfa cern ceo center ceb cbs cbre cbn cba catholic catering cat casino cash caseih
    case casa cartier cars careers career care cards caravan car capitalone capital capetown canon
    cancerresearch camp camera cam calvinklein call cal cafe cab bzh buzz buy business builders
    build bugatti budapest brussels brother broker broadway bridgestone bradesco box boutique bot
    boston bostik bosch boots booking book boo bond bom bofa boehringer boats bnpparibas bnl bmw bms
    blue bloomberg blog blockbuster blanco blackfriday black biz bio bingo bing bike bid bible
    bharti bet bestbuy best berlin bentley beer beauty beats bcn bcg bbva bbt bbc bayern bauhaus
    basketball baseball bargains barefoot barclays barclaycard barcelona bar bank band
    bananarepublic banamex baidu baby azure axa aws avianca autos auto author auspost audio audible
    audi auction attorney athleta associates asia asda arte art arpa army archi aramco arab
    aquarelle apple app apartments aol anz anquan android analytics amsterdam amica amfam amex
    americanfamily americanexpress alstom alsace ally allstate allfinanz alipay alibaba alfaromeo
    akdn airtel airforce airbus aigo aig agency agakhan africa afl afamilycompany aetna aero aeg
    adult ads adac actor active aco accountants accountant accenture academy abudhabi abogado able
    abc abbvie abbott abb abarth aarp aaa onion
"""
_CCTLDS = """
    한국 香港 澳門 新加坡 台灣 台湾 中國 中国 გე ລາວ ไทย ලංකා ഭാരതം ಭಾರತ భారత్ சிங்கப்பூர் இலங்கை இந்தியா ଭାରତ ભારત
    ਭਾਰਤ ভাৰত ভারত বাংলা भारोत भारतम् भारत ڀارت پاکستان موريتانيا مليسيا مصر قطر فلسطين عمان عراق
    سورية سودان تونس بھارت بارت ایران امارات المغرب السعودية الجزائر البحرين الاردن հայ қаз укр срб
    рф мон мкд ею бел бг ευ ελ zw zm za yt ye ws wf vu vn vi vg ve vc va uz uy us um uk ug ua tz tw
    tv tt tr tp to tn tm tl tk tj th tg tf td tc sz sy sx sv su st ss sr so sn sm sl sk sj si sh sg
    se sd sc sb sa rw ru rs ro re qa py pw pt ps pr pn pm pl pk ph pg pf pe pa om nz nu nr np no nl
    ni ng nf ne nc na mz my mx mw mv mu mt ms mr mq mp mo mn mm ml mk mh mg mf me md mc ma ly lv lu
    lt ls lr lk li lc lb la kz ky kw kr kp kn km ki kh kg ke jp jo jm je it is ir iq io in im il ie
    id hu ht hr hn hm hk gy gw gu gt gs gr gq gp gn gm gl gi gh gg gf ge gd gb ga fr fo fm fk fj fi
    eu et es er eh eg ee ec dz do dm dk dj de cz cy cx cw cv cu cr co cn cm cl ck ci ch cg cf cd cc
    ca bz by bw bv bt bs br bq bo bn bm bl bj bi bh bg bf be bd bb ba az ax aw au at as ar aq ao an
    am al ai ag af ae ad ac
"""


# Character classes, as in twitter-text's regexp/*.js.
_SPACES = "\\x09-\\x0D\\x20\\x85\\xA0\\u1680\\u180E\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000"
_DIRECTIONAL = "\\u202A-\\u202E\\u061C\\u200E\\u200F\\u2066-\\u2069"
_INVALID = "\\uFFFE\\uFEFF\\uFFFF"
_PUNCT = "!'#%&()*+,\\\\\\-./:;<=>?@\\[\\]^_{|}~$"
_LATIN_ACCENTS = (
    "\\xC0-\\xD6\\xD8-\\xF6\\xF8-\\xFF\\u0100-\\u024F\\u0253\\u0254\\u0256\\u0257\\u0259\\u025B"
    "\\u0263\\u0268\\u026F\\u0272\\u0289\\u028B\\u02BB\\u0300-\\u036F\\u1E00-\\u1EFF"
)
_CYRILLIC = "\\u0400-\\u04FF"

_DOMAIN_CHAR = f"[^{_PUNCT}{_SPACES}{_INVALID}{_DIRECTIONAL}]"
_TLD_END = "(?=[^0-9a-zA-Z@+-]|$)"


def _trie_pattern(words: Iterable[str]) -> str:
    """A regex that matches any of `words`, longest first, built as a trie so that a failed
    match costs a few steps rather than one per word (there are 1,500 top-level domains)."""
    trie: dict = {}
    for word in words:
        node = trie
        for char in word.lower():
            node = node.setdefault(char, {})
        node[""] = {}

    def build(node: dict) -> str:
        branches = [re.escape(char) + build(child) for char, child in sorted(node.items()) if char]
        if not branches:
            return ""
        body = "|".join(branches)
        if "" in node:  # a word can end here: the longer words are tried first
            return f"(?:{body})?"
        return f"(?:{body})" if len(branches) > 1 else body

    return build(trie)


# Every top-level domain starts with a letter and has at least two characters: the lookahead
# rejects most non-domains before the tries are tried.
_TLD = (
    "(?=\\w[^.\\s])"
    f"(?:(?:{_trie_pattern(_GTLDS.split())}){_TLD_END}"
    f"|(?:{_trie_pattern(_CCTLDS.split())}){_TLD_END}"
    "|xn--[\\-0-9a-z]+)"
)
_SUBDOMAIN = f"(?:(?:{_DOMAIN_CHAR}(?:[_-]|{_DOMAIN_CHAR})*)?{_DOMAIN_CHAR}\\.)"
_DOMAIN_NAME = f"(?:(?:{_DOMAIN_CHAR}(?:-|{_DOMAIN_CHAR})*)?{_DOMAIN_CHAR}\\.)"
_DOMAIN = f"(?:{_SUBDOMAIN}*{_DOMAIN_NAME}{_TLD})"
# twitter-text lets a label, and the number of labels, grow without limit. That costs time in
# proportion to the square of the longest run of domain characters and dots: nothing for real
# text, but minutes for 5,000 characters of "a.a.a." or "a-a-a-". When the text has a run longer
# than _LONG_RUN, a bounded domain is used instead: labels of at most 63 characters (the DNS
# limit; a longer label fails the IDNA check anyway) and at most 32 labels, which keeps the scan
# linear. The two agree unless a domain is glued to a run of over 63 characters of other text.
_LONG_RUN = 256
_LONG_RUN_RE = re.compile(f"(?:{_DOMAIN_CHAR}|[-_.]){{{_LONG_RUN + 1}}}")
_MAX_LABELS = 32
_BOUNDED_SUBDOMAIN = f"(?:(?:{_DOMAIN_CHAR}(?:[_-]|{_DOMAIN_CHAR}){{0,61}})?{_DOMAIN_CHAR}\\.)"
_BOUNDED_DOMAIN_NAME = f"(?:(?:{_DOMAIN_CHAR}(?:-|{_DOMAIN_CHAR}){{0,61}})?{_DOMAIN_CHAR}\\.)"
_BOUNDED_DOMAIN = f"(?:{_BOUNDED_SUBDOMAIN}{{0,{_MAX_LABELS - 2}}}{_BOUNDED_DOMAIN_NAME}{_TLD})"
_PATH_CHAR = f"[a-z{_CYRILLIC}0-9!*';:=+,.$/%#\\[\\]\\-\\u2013_~@|&{_LATIN_ACCENTS}]"
_BALANCED_PARENS = f"\\((?:{_PATH_CHAR}+|(?:{_PATH_CHAR}*\\({_PATH_CHAR}+\\){_PATH_CHAR}*))\\)"
_PATH_END = f"[+\\-a-z{_CYRILLIC}0-9=_#/{_LATIN_ACCENTS}]|(?:{_BALANCED_PARENS})"
# twitter-text splices the ending alternation into the path without a group, so a path segment
# is either "chars, ending with an ending char" or just "(balanced parens)"; kept as it is.
_PATH = f"(?:(?:{_PATH_CHAR}*(?:{_BALANCED_PARENS}{_PATH_CHAR}*)*{_PATH_END})|(?:@{_PATH_CHAR}+/))"
_QUERY_CHAR = "[a-z0-9!?*'@();:&=+$/%#\\[\\]\\-_.,~|]"
_QUERY_END = "[a-z0-9\\-_&=#/]"


def _url_regex(domain: str) -> re.Pattern[str]:
    return re.compile(
        f"(?P<before>[^A-Za-z0-9@\uff20$#\uff03{_INVALID}]|[{_DIRECTIONAL}]|^)"
        "(?P<url>"
        "(?P<protocol>https?://)?"
        f"(?P<domain>{domain})"
        "(?::(?P<port>[0-9]+))?"
        f"(?P<path>/{_PATH}*)?"
        f"(?P<query>\\?{_QUERY_CHAR}*{_QUERY_END})?"
        ")",
        re.IGNORECASE,
    )


_URL_RE = _url_regex(_DOMAIN)
_BOUNDED_URL_RE = _url_regex(_BOUNDED_DOMAIN)
_ASCII_DOMAIN_RE = re.compile(f"(?:(?:[\\-a-z0-9{_LATIN_ACCENTS}]+)\\.)+{_TLD}", re.IGNORECASE)
_TCO_RE = re.compile(f"^https?://t\\.co/([a-z0-9]+)(?:\\?{_QUERY_CHAR}*{_QUERY_END})?", re.IGNORECASE)
_NO_PROTOCOL_BAD_BEFORE = frozenset("-_./")
_MAX_URL_LENGTH = 4096
_MAX_TCO_SLUG_LENGTH = 40


def _punycode(domain: str) -> str | None:
    try:
        return domain.encode("idna").decode("ascii")
    except (UnicodeError, ValueError):
        return None


def _x_url_entities(text: str, without_protocol: bool = True) -> list[tuple[int, int, str]]:
    """(start, end, url) of each URL twitter-text's extractUrlsWithIndices finds in `text`."""
    if not text or ("." not in text if without_protocol else ":" not in text):
        return []
    entities: list[tuple[int, int, str]] = []
    url_re = _BOUNDED_URL_RE if _LONG_RUN_RE.search(text) else _URL_RE
    for match in url_re.finditer(text):
        url, protocol, domain, path = match["url"], match["protocol"], match["domain"], match["path"]
        start, end = match.start("url"), match.end("url")
        puny = _punycode(domain)
        if not puny:
            continue
        if len(protocol or "https://") + len(url) + len(puny) - len(domain) > _MAX_URL_LENGTH:
            continue
        if protocol is None:
            if not without_protocol or match["before"] in _NO_PROTOCOL_BAD_BEFORE:
                continue
            # only the ASCII domains inside count; the last one takes the path with it
            found = [
                (start + ascii_match.start(), start + ascii_match.end(), ascii_match.group(0))
                for ascii_match in _ASCII_DOMAIN_RE.finditer(domain)
            ]
            if found and path:
                last_start, _, last_url = found[-1]
                found[-1] = (last_start, end, url.replace(domain, last_url, 1))
            entities.extend(found)
        else:
            tco = _TCO_RE.match(url)
            if tco:  # a t.co link ends at its slug
                if len(tco.group(1)) > _MAX_TCO_SLUG_LENGTH:
                    continue
                url = tco.group(0)
                end = start + len(url)
            entities.append((start, end, url))
    return entities


def extract_x_urls(text: str, *, without_protocol: bool = True) -> list[tuple[int, int]]:
    """(start, end) of each URL in `text` as twitter-text's extractUrlsWithIndices finds them:
    http and https URLs, and (when `without_protocol`) bare domains such as brent.gov.uk."""
    return [(start, end) for start, end, _ in _x_url_entities(text, without_protocol)]


# An emoji sequence (UTS #51) counts 2 however many code points it has: a flag (two regional
# indicators), a keycap, or pictographs joined by ZWJ, each with an optional skin tone, the
# emoji presentation selector U+FE0F (only after a character that is text by default: a stray
# U+FE0F after an emoji is counted on its own, as Twitter's twemoji-parser does) or a tag
# sequence (the England, Scotland and Wales flags). (c) and (r) are emoji only with U+FE0F.
_EMOJI_ELEMENT = (
    r"(?:\p{Emoji_Modifier_Base}\p{Emoji_Modifier}"
    r"|[\p{Extended_Pictographic}&&\p{Emoji_Presentation}](?:[\U000E0020-\U000E007E]+\U000E007F)?"
    r"|[\p{Extended_Pictographic}--\p{Emoji_Presentation}--[\xa9\xae]]\uFE0F?"
    r"|[\xa9\xae]\uFE0F)"
)
_EMOJI_RE = regex.compile(
    r"\p{Regional_Indicator}\p{Regional_Indicator}"
    r"|[0-9#*]\uFE0F?\u20E3"
    rf"|{_EMOJI_ELEMENT}(?:\u200D{_EMOJI_ELEMENT})*",
    regex.V1,
)

_X_WEIGHT_ONE_RANGES = ((0, 4351), (8192, 8205), (8208, 8223), (8242, 8247))
_LINE_ENDINGS_RE = re.compile(r"\r\n|\r")


def _x_char_weight(char: str) -> int:
    code = ord(char)
    for low, high in _X_WEIGHT_ONE_RANGES:
        if low <= code <= high:
            return 1
    return 2


def x_weighted_length(text: str) -> int:
    """The length X gives a post (twitter-text v3's parseTweet().weightedLength)."""
    text = _LINE_ENDINGS_RE.sub("\n", unicodedata.normalize("NFC", text))
    # twitter-text skips len(url) characters after a URL's start; that is the URL's span except
    # for a bare domain glued to other text ("foo.co.jp™x.net/path" skips "foo.co.jp/path")
    urls = {start: len(url) for start, _, url in _x_url_entities(text)}
    emoji = {match.start(): match.end() for match in _EMOJI_RE.finditer(text)}
    length, index, size = 0, 0, len(text)
    while index < size:
        if index in urls:
            length += URL_LENGTH
            index += urls[index]
        elif index in emoji:
            length += 2
            index = emoji[index]
        else:
            length += _x_char_weight(text[index])
            index += 1
    return length


# Mastodon: `@user@example.social` counts as `@user`; http(s) URLs count 23; then graphemes.
_MASTODON_MENTION_RE = regex.compile(
    r"(?<![=/\w])@(?P<user>[a-z0-9_]+(?:[.-]+[a-z0-9_]+)*)(?:@[\w]+(?:[.-]+[\w]+)*)?",
    regex.IGNORECASE,
)


def mastodon_length(text: str) -> int:
    """The length Mastodon gives a post (StatusLengthValidator)."""
    entities = [(start, end, "x" * URL_LENGTH) for start, end in extract_x_urls(text, without_protocol=False)]
    entities += [
        (match.start(), match.end(), "@" + match["user"]) for match in _MASTODON_MENTION_RE.finditer(text)
    ]
    entities.sort()
    pieces, position = [], 0
    for start, end, replacement in entities:
        if start < position:  # overlaps an entity already taken
            continue
        pieces.append(text[position:start])
        pieces.append(replacement)
        position = end
    pieces.append(text[position:])
    return grapheme_count("".join(pieces))


def _measure(platform: str, text: str) -> int:
    if platform == "x":
        return x_weighted_length(text)
    if platform == "mastodon":
        return mastodon_length(text)
    if platform == "bluesky":
        return grapheme_count(text)
    return len(text)


# --- helpers -----------------------------------------------------------------------------------


def _plural(count: int, singular: str, plural: str | None = None) -> str:
    return f"{count:,} {singular if count == 1 else (plural or singular + 's')}"


def _long_date(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def _join_and(items: Sequence[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _noun(draft: Draft) -> str:
    return "Reply" if draft.is_reply else "Post"


def _target_platforms(draft: Draft) -> list[str]:
    seen: list[str] = []
    for channel in draft.channels:
        if channel.platform not in seen:
            seen.append(channel.platform)
    return seen


class _Text(NamedTuple):
    where: str  # "The post", "The X version of the post", "The alt text of image 2"
    platform: str
    text: str


def _published_texts(draft: Draft, *, include_alt_text: bool = True) -> list[_Text]:
    """Every piece of text the draft would publish, and where it is."""
    noun = _noun(draft).lower()
    texts = [_Text(f"The {noun}", "", draft.text)]
    targeted = set(_target_platforms(draft))
    for platform, variant in draft.variants.items():
        if variant and variant.strip() and (not targeted or platform in targeted):
            texts.append(_Text(f"The {_platform_name(platform)} version of the {noun}", platform, variant))
    if include_alt_text:
        for number, image in enumerate(draft.images, start=1):
            if image.alt_text and image.alt_text.strip():
                texts.append(_Text(f"The alt text of image {number}", "", image.alt_text))
    return texts


def _normalise_quotes(text: str) -> str:
    return text.replace("\u2019", "'").replace("\u2018", "'")


@functools.lru_cache(maxsize=256)
def _phrase_regex(phrases: tuple[str, ...]) -> re.Pattern[str] | None:
    """One regex that finds any of `phrases`, case-insensitively, on word boundaries."""
    alternatives = []
    for phrase in sorted({p.strip() for p in phrases if p and p.strip()}, key=len, reverse=True):
        words = [re.escape(_normalise_quotes(word)) for word in phrase.split()]
        alternatives.append(r"\s+".join(words))
    if not alternatives:
        return None
    return re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)", re.IGNORECASE)


@functools.lru_cache(maxsize=64)
def _compiled(patterns: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(pattern, re.IGNORECASE) for pattern in patterns)


def _mask(value: str) -> str:
    """Enough of a sensitive value for the author to find it, not enough to leak it in a log."""
    value = value.strip()
    if len(value) <= 5:
        return value[:1] + "\u2022" * (len(value) - 1)
    return value[:2] + "".join("\u2022" if ch.isalnum() else ch for ch in value[2:-3]) + value[-3:]


# --- 0. channels -------------------------------------------------------------------------------


def check_channels(draft: Draft) -> tuple[CheckResult, ...]:
    """A post must go somewhere."""
    if draft.channels:
        return ()
    what = "reply" if draft.is_reply else "post"
    return (
        CheckResult("no_channels", BLOCK, f"Choose at least one channel to publish this {what} to."),
    )


# --- 1. platform limits ------------------------------------------------------------------------


def check_platform_limits(draft: Draft) -> tuple[CheckResult, ...]:
    """The text for each platform fits that platform, and the platform can take the post."""
    results: list[CheckResult] = []
    noun = _noun(draft)
    limits = REPLY_LIMITS if draft.is_reply else PLATFORM_LIMITS
    for platform in _target_platforms(draft):
        name = _platform_name(platform)
        text = draft.text_for(platform)
        if platform == "youtube" and not draft.is_reply:
            results.append(CheckResult(
                "platform_cannot_post", BLOCK,
                "YouTube does not let apps publish a text post. Remove the YouTube channel from "
                "this post, or upload the video on YouTube itself.",
                platform,
            ))
            continue
        if platform not in limits:
            results.append(CheckResult(
                "platform_cannot_post", BLOCK,
                f"Council Social cannot publish to {name}. Remove the {name} channel from this post.",
                platform,
            ))
            continue
        if not text.strip() and (draft.is_reply or not draft.images):
            results.append(CheckResult(
                "empty", BLOCK, f"{noun} for {name} has no text. Write the {noun.lower()}.", platform,
            ))
            continue
        length, limit = _measure(platform, text), limits[platform]
        if length > limit:
            results.append(CheckResult(
                "too_long", BLOCK,
                f"{noun} for {name} is {length:,} characters. It must be {limit:,} or fewer.",
                platform,
            ))
        elif platform == "bluesky" and len(text.encode("utf-8")) > BLUESKY_MAX_BYTES:
            size = len(text.encode("utf-8"))
            results.append(CheckResult(
                "too_long", BLOCK,
                f"{noun} for Bluesky takes {size:,} bytes because of its emoji or special characters. "
                f"It must take {BLUESKY_MAX_BYTES:,} or fewer: use fewer emoji or symbols.",
                platform,
            ))
        if platform == "instagram" and not draft.is_reply and not draft.images:
            results.append(CheckResult(
                "image_required", BLOCK,
                "Post for Instagram needs an image. Add an image, with alt text, or remove the "
                "Instagram channel.",
                platform,
            ))
    return tuple(results)


# --- 2. alt text -------------------------------------------------------------------------------

_FILE_NAME_RE = re.compile(
    r"^[\w\-. ()]+\.(?:jpe?g|png|gif|webp|heic|heif|tiff?|bmp|svg|avif)$"
    r"|^(?:img|dsc|dscn|dcim|pxl|photo|image|screenshot|screen shot)[\s_-]*\d[\w\s-]*$",
    re.IGNORECASE,
)
_GENERIC_ALT_TEXT = frozenset({
    "image", "images", "photo", "photos", "picture", "pic", "img", "graphic", "screenshot",
    "untitled", "alt", "alt text", "image of", "photo of", "picture of", "logo", "icon",
    "banner", "placeholder", "an image", "a photo", "a picture", "the image", "the photo",
})


def check_alt_text(draft: Draft) -> tuple[CheckResult, ...]:
    """Every image has a useful text alternative (WCAG 2.2, 1.1.1 Non-text content)."""
    results: list[CheckResult] = []
    for number, image in enumerate(draft.images, start=1):
        alt = (image.alt_text or "").strip()
        if not alt:
            results.append(CheckResult(
                "alt_text_missing", BLOCK,
                f"Image {number} has no alt text. Describe what the image shows, so that people "
                "who use a screen reader get the same information.",
            ))
            continue
        simple = re.sub(r"[\s\W_]+", " ", alt).strip().lower()
        url_name = (image.url or "").rstrip("/").rsplit("/", 1)[-1].split("?", 1)[0]
        if _FILE_NAME_RE.match(alt) or (url_name and alt.lower() == url_name.lower()):
            results.append(CheckResult(
                "alt_text_unhelpful", WARNING,
                f"The alt text of image {number} is a file name (\u201c{alt}\u201d). Describe what the "
                "image shows instead.",
            ))
        elif simple in _GENERIC_ALT_TEXT or not simple:
            results.append(CheckResult(
                "alt_text_unhelpful", WARNING,
                f"The alt text of image {number} is only \u201c{alt}\u201d. Describe what the image "
                "shows, for example who or what is in it and why it matters to the post.",
            ))
    return tuple(results)


# --- 3a. house rules: political standpoint -----------------------------------------------------

_SENTENCE_SPLIT_RE = re.compile(r"(?<=[.!?])\s+|\n+")


def check_political_standpoint(draft: Draft, context: CheckContext) -> tuple[CheckResult, ...]:
    """Flag text that may take a political side ("take no political standpoint")."""
    phrase_re = _phrase_regex(tuple(context.political_phrases))
    party_re = _phrase_regex(DEFAULT_PARTY_NAMES + tuple(context.parties))
    opinion_re = _phrase_regex(tuple(context.opinion_words))
    results: list[CheckResult] = []
    for where, platform, text in _published_texts(draft, include_alt_text=False):
        text = _normalise_quotes(text)
        found: list[str] = []
        if phrase_re:
            found += [f"\u201c{match.group(0)}\u201d" for match in phrase_re.finditer(text)]
        if party_re and opinion_re:
            for sentence in _SENTENCE_SPLIT_RE.split(text):
                party, opinion = party_re.search(sentence), opinion_re.search(sentence)
                if party and opinion:
                    found.append(f"\u201c{party.group(0)}\u201d with \u201c{opinion.group(0)}\u201d")
        found = list(dict.fromkeys(found))
        if found:
            results.append(CheckResult(
                "political_standpoint", WARNING,
                f"{where} may take a political side: it says {_join_and(found)}. Council posts must "
                "not take a political standpoint. Stick to the facts of the issue, or ask a "
                "communications officer to check it.",
                platform,
            ))
    return tuple(results)


# --- 3b. house rules: confidential data --------------------------------------------------------

# National Insurance number: two prefix letters, six digits, suffix A-D (HMRC NIM39110).
_NI_RE = re.compile(
    r"(?<![A-Za-z0-9])([A-Za-z]{2})[ -]?(\d{2})[ -]?(\d{2})[ -]?(\d{2})[ -]?([A-Da-d])(?![A-Za-z0-9])"
)
_NI_BAD_FIRST = frozenset("DFIQUV")
_NI_BAD_SECOND = frozenset("DFIOQUV")
_NI_BAD_PREFIXES = frozenset({"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"})


def is_ni_number_prefix(prefix: str) -> bool:
    """Whether HMRC allocates National Insurance numbers with these two letters."""
    prefix = prefix.upper()
    return (
        len(prefix) == 2
        and prefix[0] not in _NI_BAD_FIRST
        and prefix[1] not in _NI_BAD_SECOND
        and prefix not in _NI_BAD_PREFIXES
    )


_EMAIL_RE = re.compile(
    r"(?<![\w.%+-])[A-Za-z0-9._%+-]+@((?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,})(?![\w-])"
)

# A UK mobile (07..., +44 7...) or landline (01..., 02..., +44 1/2...) number, with spaces,
# hyphens, dots or brackets between the digits.
_PHONE_RE = re.compile(
    r"(?<![\w+])"
    r"(?:(?:\+\s?44|0044)[\s-]?(?:\(0\)[\s-]?)?\(?|\(?0)"
    r"(?P<first>[127])"
    r"(?P<rest>(?:[\s\-.()]{0,2}\d){8,9})"
    r"(?!\d)"
)
_DIGITS_RE = re.compile(r"\D")


def _national_phone(number: str) -> str:
    """A UK phone number as its national digits: "+44 (0)20 8937 1234" -> "02089371234"."""
    digits = _DIGITS_RE.sub("", number)
    if digits.startswith("0044"):
        digits = digits[4:]
    elif digits.startswith("44") and number.lstrip().startswith("+"):
        digits = digits[2:]
    if digits.startswith("0"):
        return digits
    return "0" + digits


def _valid_phone(national: str) -> bool:
    if national.startswith("07"):
        return len(national) == 11
    if national.startswith("02"):
        return len(national) == 11
    if national.startswith("01"):
        return len(national) in (10, 11)
    return False


_POSTCODE_RE = re.compile(
    r"\b(?:GIR ?0AA|[A-PR-UWYZ][A-HK-Y]?\d[A-Z\d]? ?\d[ABD-HJLNP-UW-Z]{2})\b"
)
# a house or flat number followed by a capitalised word: "12 Acacia Avenue", "Flat 3, 12a High Road"
_HOUSE_NUMBER_RE = re.compile(r"(?:^|[\s,(])\d{1,4}[A-Za-z]?(?:\s*-\s*\d{1,4})?,?\s+[A-Z][A-Za-z'-]+")
_ADDRESS_WINDOW = 100


def _find_addresses(text: str, public_postcodes: frozenset[str]) -> Iterator[str]:
    for match in _POSTCODE_RE.finditer(text):
        if match.group(0).replace(" ", "").upper() in public_postcodes:
            continue
        line_start = text.rfind("\n", 0, match.start()) + 1
        window_start = max(line_start, match.start() - _ADDRESS_WINDOW)
        window = text[window_start:match.start()]
        house = _HOUSE_NUMBER_RE.search(window)
        if house:
            yield text[window_start + house.start():match.end()].lstrip(" \t,(")


def check_confidential_data(draft: Draft, context: CheckContext) -> tuple[CheckResult, ...]:
    """Block personal and confidential data; warn about what looks like a home address."""
    council_domains = tuple(domain.lower().lstrip("@.") for domain in context.council_domains)
    allowed_emails = {address.lower() for address in context.allowed_email_addresses}
    council_numbers = {_national_phone(number) for number in context.council_phone_numbers}
    public_postcodes = frozenset(code.replace(" ", "").upper() for code in context.public_postcodes)
    case_patterns = _compiled(tuple(context.case_reference_patterns))
    how = "Remove it: the council must not reveal personal or confidential information."
    results: list[CheckResult] = []

    for where, platform, text in _published_texts(draft):
        for match in _NI_RE.finditer(text):
            if is_ni_number_prefix(match.group(1)):
                results.append(CheckResult(
                    "ni_number", BLOCK,
                    f"{where} contains what looks like a National Insurance number "
                    f"({_mask(match.group(0))}). {how}",
                    platform,
                ))
        for match in _EMAIL_RE.finditer(text):
            domain = match.group(1).lower()
            if match.group(0).lower() in allowed_emails or any(
                domain == own or domain.endswith("." + own) for own in council_domains
            ):
                continue
            results.append(CheckResult(
                "personal_email", BLOCK,
                f"{where} contains an email address that is not the council's "
                f"({_mask(match.group(0))}). {how} To give a way to get in touch, use a council "
                "address or a link to the council's contact page.",
                platform,
            ))
        for match in _PHONE_RE.finditer(text):
            national = _national_phone(match.group(0))
            if not _valid_phone(national) or national in council_numbers:
                continue
            kind = "mobile" if national.startswith("07") else "phone"
            results.append(CheckResult(
                "phone_number", BLOCK,
                f"{where} contains a {kind} number that is not one of the council's published "
                f"numbers ({_mask(match.group(0))}). {how}",
                platform,
            ))
        for pattern in case_patterns:
            for match in pattern.finditer(text):
                results.append(CheckResult(
                    "case_reference", BLOCK,
                    f"{where} contains what looks like a case or account reference "
                    f"({_mask(match.group(0))}). {how} Talk to the person privately instead.",
                    platform,
                ))
        for address in _find_addresses(text, public_postcodes):
            results.append(CheckResult(
                "address", WARNING,
                f"{where} contains what looks like an address ({address}). Check that it is not "
                "someone's home address. If it is a public building, you can go ahead.",
                platform,
            ))
    return tuple(dict.fromkeys(results))


# --- 4. frequency ------------------------------------------------------------------------------


def check_frequency(draft: Draft) -> tuple[CheckResult, ...]:
    """Warn when a channel would go over its cap ("do not post too often")."""
    results = []
    for channel in draft.channels:
        cap = channel.frequency_cap
        if cap is None or channel.posts_in_window + 1 <= cap:
            continue
        name = f"{channel.handle} on {_platform_name(channel.platform)}"
        results.append(CheckResult(
            "frequency_cap", WARNING,
            f"{name} already has {_plural(channel.posts_in_window, 'post')} in this period and its "
            f"limit is {cap:,}. Posting too often annoys followers: move this post to a later time "
            "or drop a less important one.",
            channel.platform,
        ))
    return tuple(results)


# --- 5. pre-election period --------------------------------------------------------------------


def _local_date(when: datetime, zone: str) -> date:
    tz = ZoneInfo(zone)
    if when.tzinfo is None:
        when = when.replace(tzinfo=tz)
    return when.astimezone(tz).date()


def check_pre_election(draft: Draft, context: CheckContext) -> tuple[CheckResult, ...]:
    """In a pre-election period, block posts that name a candidate, party, councillor or
    contested matter, unless the monitoring officer has approved the post."""
    when = draft.when or datetime.now(UTC)
    day = _local_date(when, context.timezone)
    periods = [period for period in context.election_periods if period.start <= day <= period.end]
    if not periods:
        return ()
    categories = (
        ("candidate", context.candidates),
        ("party", context.parties),
        ("councillor", context.councillors),
        ("contested matter", context.contested_matters),
    )
    texts = [_normalise_quotes(text) for _, _, text in _published_texts(draft)]
    named: list[str] = []
    for label, phrases in categories:
        phrase_re = _phrase_regex(tuple(phrases))
        if phrase_re is None:
            continue
        for text in texts:
            for match in phrase_re.finditer(text):
                named.append(f"{' '.join(match.group(0).split())} (a {label})")
    named = list(dict.fromkeys(named))
    if not named:
        return ()
    noun = "reply" if draft.is_reply else "post"
    results = []
    for period in periods:
        situation = (
            f"This {noun} is due to go out on {_long_date(day)}, during the pre-election period "
            f"for {period.name} ({_long_date(period.start)} to {_long_date(period.end)}), and it "
            f"names {_join_and(named)}."
        )
        if context.monitoring_officer_approved:
            results.append(CheckResult(
                "pre_election_approved", WARNING,
                f"{situation} The monitoring officer has approved it, so it can go out.",
            ))
        else:
            results.append(CheckResult(
                "pre_election", BLOCK,
                f"{situation} Remove the names, or ask the monitoring officer to approve the {noun}.",
            ))
    return tuple(results)


# --- all together ------------------------------------------------------------------------------


def run_checks(draft: Draft, context: CheckContext | None = None) -> tuple[CheckResult, ...]:
    """Every check that applies to the draft, blocks first. Replies skip the image and
    frequency checks (they are answers, not new posts)."""
    context = context or CheckContext()
    results: list[CheckResult] = []
    results += check_channels(draft)
    results += check_platform_limits(draft)
    if not draft.is_reply:
        results += check_alt_text(draft)
    results += check_confidential_data(draft, context)
    results += check_political_standpoint(draft, context)
    results += check_pre_election(draft, context)
    if not draft.is_reply:
        results += check_frequency(draft)
    results = list(dict.fromkeys(results))
    return tuple(sorted(results, key=lambda result: result.level != BLOCK))


# --- the same counting in the browser ------------------------------------------------------------
# The post and reply boxes count as each platform does, live (static/js/character-count.js). The
# script is given these rules, from the same constants as _measure, so its numbers are the server's.

def counting_rules(platforms: Iterable[str], limits: dict[str, int] | None = None) -> dict:
    """{platform: {name, limit, unit, …}} for the character count of the given platforms."""
    limits = limits or PLATFORM_LIMITS
    rules = {}
    for platform in dict.fromkeys(platforms):
        if platform not in limits:
            continue
        unit = {"x": "x", "mastodon": "mastodon", "bluesky": "grapheme"}.get(platform, "code_point")
        rule = {"name": _platform_name(platform), "limit": limits[platform], "unit": unit}
        if unit in ("x", "mastodon"):
            rule["url_length"] = URL_LENGTH
            # a link counts as one only when its domain ends in a real top-level domain
            rule["tlds"] = " ".join(sorted({*_GTLDS.split(), *_CCTLDS.split()}))
        if unit == "x":
            rule["weight_one"] = [list(r) for r in _X_WEIGHT_ONE_RANGES]
            rule["other_weight"] = 2
            rule["emoji_weight"] = 2
        rules[platform] = rule
    return rules
