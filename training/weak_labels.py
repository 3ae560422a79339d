"""Transparent regex rules that weakly label news sentences with two framing techniques the
Propaganda Techniques Corpus lacks:

* ``hedged_attribution`` -- a claim pinned on vague, anonymous or unverified sources
  ("sources familiar with the matter", "critics say", "it is widely believed", "reportedly").
* ``official_narrative_echoing`` -- the text adopts an official party's framing in its own voice
  ("as the president rightly noted", "thanks to the government's reforms",
  "the special military operation").

The rules are meant to produce *training targets*, so they are tuned for precision: a rule fires
only on a well-defined phrase, and blocking rules veto a label when the sentence shows the
opposite signal (a named, on-record source for hedging; explicit distance such as "claims",
"so-called" or "critics disagree" for echoing).

    find_cues(text)       every positive rule match, as `Cue`s sorted by start
    weak_labels(text)     the label ids that survive the blocking rules
    rule_precision(...)   precision / recall / F1 of `weak_labels` against gold labels
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Sequence

HEDGED = "hedged_attribution"
ECHOING = "official_narrative_echoing"

_F = re.IGNORECASE


@dataclass(frozen=True)
class Cue:
    label: str  # "hedged_attribution" or "official_narrative_echoing"
    rule: str  # rule name, e.g. "anonymous_source"
    start: int  # char offsets into the sentence, end exclusive
    end: int


# -- building blocks (plain regex text, combined into the rules below) -------------------------
# Verbs that put a claim in someone's mouth or head, as (base, 3rd person, past) forms.
_VERBS = [
    ("say", "says", "said"), ("tell", "tells", "told"), ("believe", "believes", "believed"),
    ("think", "thinks", "thought"), ("claim", "claims", "claimed"),
    ("suggest", "suggests", "suggested"), ("argue", "argues", "argued"),
    ("contend", "contends", "contended"), ("fear", "fears", "feared"),
    ("warn", "warns", "warned"), ("allege", "alleges", "alleged"),
    ("insist", "insists", "insisted"), ("maintain", "maintains", "maintained"),
    ("speculate", "speculates", "speculated"), ("worry", "worries", "worried"),
    ("note", "notes", "noted"), (r"point\s+out", r"points\s+out", r"pointed\s+out"),
    ("reckon", "reckons", "reckoned"), ("suspect", "suspects", "suspected"),
    ("whisper", "whispers", "whispered"), ("describe", "describes", "described"),
    ("predict", "predicts", "predicted"), ("complain", "complains", "complained"),
    ("acknowledge", "acknowledges", "acknowledged"), ("concede", "concedes", "conceded"),
]
# Any form (singular subjects: "a source said", "an insider claims").
_SAY = "(?:" + "|".join(form for forms in _VERBS for form in forms) + ")"
# Forms that agree with a plural subject ("analysts say", "some have argued"); leaving out the
# -s forms keeps nouns out ("many worries", "a few of those claims").
_SAY_PL = "(?:" + "|".join(form for base, _, past in _VERBS for form in (base, past)) + ")"
# Auxiliaries and adverbs allowed between a source and its verb: "have long maintained".
_AUX = (r"(?:(?:have|has|had|also|long|privately|widely|repeatedly|often|now|already|still|"
        r"generally|openly|quietly|increasingly|reportedly)\s+){0,3}")
# The gap between a source and its verb: a space, or ", speaking privately,".
_ASIDE = r"(?:,\s*speaking\s+(?:privately|anonymously|on\s+background|off\s+the\s+record),?\s*|\s+)"
# Unnamed individuals who can serve as a source.
_ANON_NOUN = (
    r"(?:person|people|source|sources|official|officials|insider|insiders|diplomat|diplomats"
    r"|aide|aides|executive|executives|figure|figures|individual|individuals|staffer|staffers"
    r"|employee|employees|member|members|adviser|advisers|advisor|advisors|banker|bankers"
    r"|lawyer|lawyers|investor|investors|analyst|analysts|those|someone|associates?)"
)
# Vague groups that, as a subject, are a source nobody can check: "analysts say", "critics claim".
_VAGUE_NOUN = (
    r"(?:analysts|experts|observers|critics|commentators|campaigners|activists|traders|witnesses"
    r"|eyewitnesses|residents|locals|insiders|colleagues|friends|neighbou?rs|pundits|skeptics"
    r"|sceptics|detractors|opponents|economists|onlookers|bystanders|diplomats|investors"
    r"|sources|rumou?rs|people)"
)
# Modifiers allowed before a vague group ("independent analysts", "industry insiders").
_VAGUE_MOD = (
    r"(?:local|independent|foreign|military|political|senior|regional|industry|market|security"
    r"|defen[cs]e|intelligence|legal|economic|financial|energy|oil|other|many|some|several|most"
    r"|few|wall\s+street|hedge\s+fund|private|western|health|medical|outside)"
)
# Officials are a vague source only when nothing identifies them ("Western officials",
# "senior officials"); "Iranian officials said" is a government speaking and is left alone.
_OFFICIAL_MOD = (r"(?:(?:western|senior|some|several|many|other|few|most)\s+"
                 r"(?:(?:intelligence|security|military|government|administration)\s+)?)")
_QUANT = r"(?:some|many|several|a\s+number\s+of|a\s+few|numerous|various|a\s+handful\s+of|most)"
# A word inside a source phrase: not a pronoun, relative or auxiliary, so "some of the things that
# he said" or "people in the crowd were warned" do not read as a vague source.
_WORD_BARE = (r"(?:(?!(?:that|which|who|whom|whose|he|she|it|i|we|you|they|them|us|was|were|is|"
              r"are|be|been|will|would|could|may|might|can|should|must)\b)[\w'\u2019\-]+)")
_WORD = "(?:" + _WORD_BARE + r"\s+)"
# After a plural-subject verb: not a noun use ("many notes of", "other forms of racist thought;").
_NOT_NOUN = r"\b(?!\s*[.;:!?)]|\s+(?:of|and|or|for|about|to|in|with)\b)"
_NOT_NOUN_MID = r"\b(?!\s+(?:of|and|or|for|about|to|in|with)\b)"  # ", experts warn." may end a sentence
# Where a subject can begin: the sentence start, after a clause break or a conjunction.
_CLAUSE = r"(?:^|(?<=[,;:(\u2014\u2013\"\u201c])\s*|\b(?:but|and|while|that|as|though|although|because|yet)\s+)"
# Official parties whose framing can be echoed.
_ORG = (
    r"(?:government|ministry|minister|ministers|president|prime\s+minister|premier|chancellor"
    r"|administration|authorities|kremlin|white\s+house|army|military|armed\s+forces|police"
    r"|party|leadership|cabinet|state|council|mayor|governor|central\s+bank|regulator"
    r"|department|agency|commission|company|club|firm|bank|board|management|officials"
    r"|security\s+forces|troops|navy|coalition|regime|parliament|leader|spokes(?:man|woman|person))"
)
_ORG_MOD = r"(?:(?:[\w\-]+\s+){0,2})"  # "the finance ministry", "the interior ministry"
_POSS = r"(?:['\u2019]s|s['\u2019]|['\u2019])"
# "thanks to the mayor's reckless decision" is sarcastic blame, not credit.
_NOT_BLAME = (r"(?!(?:irresponsible|reckless|disastrous|failed|failing|misguided|incompetent|botched|"
              r"poor|bad|foolish|corrupt|catastrophic|harsh|cruel|draconian|lax|inept|careless|"
              r"dangerous|destructive|flawed|ill-conceived|hasty|heavy-handed|negligent|stupid)\b)")
# Who a company or service claims to benefit.
_CUSTOMERS = (
    r"(?:customers|consumers|users|clients|shoppers|passengers|patients|families|subscribers"
    r"|members|policyholders|travell?ers|homeowners|fans|viewers|guests|everyone|commuters)"
)

# label -> [(rule name, compiled pattern)]
RULES: dict[str, list[tuple[str, re.Pattern]]] = {
    HEDGED: [
        # Unnamed sources described only by their access to the story: "sources familiar with the
        # matter", "people briefed on the talks", "a person close to the board", "those close to".
        ("anonymous_source", re.compile(
            r"\b" + _ANON_NOUN +
            r"\s+(?:familiar\s+with|with\s+(?:direct\s+|first-hand\s+|intimate\s+)?knowledge\s+of"
            r"|briefed\s+on|privy\s+to|in\s+the\s+know"
            r"|involved\s+in\s+the\s+(?:talks|negotiations|discussions|deal|process|investigation|"
            r"probe|planning|decision|deliberations))\b"
            r"|\b(?:sources?|insiders?|officials?|aides?|diplomats?|advisers?|advisors?|associates?|"
            r"those|someone)\s+close\s+to\b"
            r"|\b(?:a|an|one|two|three|several|some|according\s+to)\s+(?:[\w\-]+\s+)?"
            r"(?:person|people|figures?|members?|individuals?)\s+close\s+to\b"
            r"|\b(?:a|an|one|another)\s+(?:senior\s+|[\w\-]+\s+)?(?:source|official|insider|aide|"
            r"diplomat)\s+(?:at|in|within|inside|from)\s+(?:the\s+)?(?:[\w'\u2019\-]+\s+){1,4}?"
            + _AUX + _SAY + r"\b", _F)),
        # Anonymity stated outright: "unnamed officials", "who asked not to be named",
        # "spoke on condition of anonymity", "not authorized to speak", "speaking privately".
        ("anonymity", re.compile(
            r"\b(?:unnamed|anonymous|unidentified)\s+(?:[\w\-]+\s+)?" + _ANON_NOUN + r"\b"
            r"|\b(?:asked|requested|declined)\s+not\s+to\s+be\s+(?:named|identified)\b"
            r"|\bon\s+(?:the\s+)?condition\s+(?:of|that\s+(?:he|she|they)\s+not\s+be\s+named)"
            r"(?:\s+of\s+anonymity|\s+anonymity)?\b"
            r"|\b(?:requested|asked\s+for|demanded|granted|speaking\s+on)\s+anonymity\b"
            r"|\bnot\s+authori[sz]ed\s+to\s+(?:speak|talk|comment|discuss)\b"
            r"|,\s*speaking\s+(?:privately|anonymously|on\s+background),", _F)),
        # Bare "sources say / insiders expect / according to sources in the ministry".
        ("bare_sources", re.compile(
            r"\b(?:sources|insiders|an\s+insider|a\s+source|one\s+source|other\s+sources)\s+"
            + _AUX + r"(?:" + _SAY[3:-1] + r"|expect|expects|expected)\b"
            r"|\baccording\s+to\s+(?:[\w\-]+\s+){0,2}?(?:sources|insiders)\b"
            r"|\bsources\s+(?:in|at|within|inside)\s+the\b", _F)),
        # A vague crowd as the source: "some observers believe", "many in the industry believe",
        # "critics of the scheme have long maintained", "analysts say", "others argue".
        ("vague_group", re.compile(
            # quantified crowd: "some former employees say", "a number of economists have suggested"
            r"\b" + _QUANT + r"\s+" + _WORD + r"{0,2}?(?:[\w\-]{2,}s|people|others)"
            r"(?:\s+(?:in|of|at|from|among|within|on|across|inside)\s+(?:the\s+)?" + _WORD + r"{0,2}?"
            + _WORD_BARE + r")?" + _ASIDE + _AUX + _SAY_PL + _NOT_NOUN +
            # "some in the industry believe", "many in the farming community believe"
            r"|\b(?:some|many|a\s+few|a\s+number)\s+(?:in|of|within|among)\s+(?:the\s+)?"
            + _WORD + r"{1,3}?" + _AUX + _SAY_PL + _NOT_NOUN +
            # "some say", "many believe", "others argue"
            r"|\b(?:some|many|others|few)\s+" + _AUX + _SAY_PL + _NOT_NOUN +
            # a vague group as subject: "analysts say", "critics of the scheme have long maintained"
            r"|" + _CLAUSE + r"(?:" + _VAGUE_MOD + r"\s+)?" + _VAGUE_NOUN +
            r"(?:\s+(?:of|in|at|from|on|across|inside|near)\s+(?:the\s+)?" + _WORD + r"{0,2}?"
            + _WORD_BARE + r")?" + _ASIDE + _AUX + _SAY_PL + _NOT_NOUN_MID +
            # unnamed officials: "Western officials believe", "senior officials said"
            r"|" + _CLAUSE + _OFFICIAL_MOD + r"officials" + _ASIDE + _AUX + _SAY_PL + r"\b"
            r"|\bthere\s+are\s+(?:those|some|many|others)\s+who" + _ASIDE + _AUX + _SAY_PL + r"\b"
            r"|\bchatter\s+(?:among|in|from)\b", _F)),
        # Agentless passives that float a claim: "it is widely believed", "it was alleged that",
        # "is rumoured to", "is said to have", "there is speculation that", "word is that".
        ("agentless_passive", re.compile(
            r"\bit\s+(?:is|was|has\s+been|had\s+been|is\s+being|is\s+now)\s+(?:widely\s+|generally\s+|"
            r"commonly\s+|often\s+|now\s+|also\s+|increasingly\s+|privately\s+)?(?:believed|said|"
            r"rumou?red|reported|claimed|suggested|alleged|thought|understood|speculated|whispered|"
            r"assumed|feared|accepted|whispered)\b(?!\s+by\b)"
            r"|\b(?:is|are|was|were|has\s+been|have\s+been)\s+(?:widely\s+|also\s+|now\s+|further\s+|"
            r"privately\s+|generally\s+)?(?:said|rumou?red|believed|reported|alleged|understood|thought|"
            r"claimed|suspected)\s+to\s+(?:be|have)\b"
            r"|\bthere\s+(?:is|was|has\s+been)\s+(?:growing\s+|mounting\s+|widespread\s+|much\s+|"
            r"intense\s+|some\s+)?speculation\s+that\b"
            r"|\bspeculation\s+(?:is|was|has\s+been)\s+(?:mounting|growing|rife)\b"
            r"|\brumou?rs\s+(?:has\s+it|have\s+it|say|suggest|are\s+swirling|are\s+circulating)\b"
            r"|\bword\s+(?:(?:in|among|around|inside)\s+(?:the\s+)?(?:[\w'\u2019\-]+\s+){1,3}?)?"
            r"(?:is|has\s+it)\s+that\b", _F)),
        # Hedging adverbs that mark a claim as second-hand: "reportedly", "allegedly".
        ("hedge_adverb", re.compile(
            r"\b(?:reportedly|allegedly|purportedly|rumou?redly)\b", _F)),
        # Unverified reports as the source: "according to unconfirmed reports", "local media
        # reported that", "reports suggest", "there have been reports that".
        ("unverified_reports", re.compile(
            r"\baccording\s+to\s+(?:(?:some|several|unconfirmed|unverified|local|media|press|news|various|"
            r"multiple|other|early|initial)\s+)+(?:reports|accounts|estimates|rumou?rs)\b"
            r"|\b(?:unconfirmed|unverified|uncorroborated)\s+(?:media\s+|press\s+)?reports?\b"
            r"|\bthere\s+(?:are|were|have\s+been|had\s+been)\s+(?:also\s+)?(?:[\w\-]+\s+)?reports\s+"
            r"(?:that|of)\b"
            r"|\b(?:local|foreign|social|some|other)\s+media\s+(?:have\s+)?(?:reported|reports|say|said"
            r"|claimed|suggested)\b"
            r"|\b(?:media|press|news)\s+reports\s+(?:say|said|suggest|suggested|claim|claimed)\b"
            r"|" + _CLAUSE + r"(?:(?:some|other|recent|early|initial)\s+)?reports\s+(?:suggest|say|"
            r"indicate|claim)\b", _F)),
    ],
    ECHOING: [
        # Endorsing attribution: the text agrees with the official voice it cites,
        # "as the president rightly noted", "as ministers rightly say", "as the club has always said".
        ("endorsing_attribution", re.compile(
            r"\bas\s+(?:the\s+)?" + _ORG_MOD + _ORG + r"\s+(?:has\s+|had\s+|have\s+|so\s+)?"
            r"(?:(?:rightly|correctly|wisely|aptly|justly|rightfully|accurately|always|long|"
            r"consistently)\s+)+(?:\w+\s+)?"
            r"(?:not(?:ed|es|e)|sa(?:id|ys|y)|point(?:ed|s)?\s+out|observ(?:ed|es|e)|stat(?:ed|es|e)|"
            r"emphasi[sz](?:ed|es|e)|stress(?:ed|es)?|warn(?:ed|s)?|argu(?:ed|es|e)|remark(?:ed|s)?|"
            r"put\s+it|puts\s+it|remind(?:ed|s)?|underlin(?:ed|es|e)|explain(?:ed|s)?|"
            r"conclud(?:ed|es|e)|maintain(?:ed|s)?|insist(?:ed|s)?|recogni[sz](?:ed|es|e))\b", _F)),
        # A promise restated as accomplished fact: "..., as the finance ministry has promised, is".
        ("promise_fulfilled", re.compile(
            r"\bas\s+(?:the\s+)?" + _ORG_MOD + _ORG + r"\s+(?:has\s+|had\s+|have\s+)?(?:promised|"
            r"pledged|vowed|guaranteed|assured|foreseen|envisaged)(?=\s*[,;.)\u2014\u2013])", _F)),
        # Credit-giving: "thanks to the government's reforms", "thanks to the wise leadership of".
        ("credit_giving", re.compile(
            r"\bthanks\s+to\s+(?:the\s+)?" + _ORG_MOD + _ORG + _POSS + r"\s+(?:" + _NOT_BLAME + r"[\w\-]+\s+){0,2}?"
            r"(?:reforms?|polic(?:y|ies)|efforts?|leadership|measures?|programmes?|programs?|"
            r"initiatives?|actions?|decisions?|support|investments?|guidance|vigilance|stewardship|"
            r"vision|handling|management|diplomacy|response|work|intervention)\b"
            r"|\bthanks\s+to\s+the\s+(?:[\w\-]+\s+){0,2}(?:leadership|efforts?|actions?|measures?|"
            r"policies|reforms?)\s+of\s+(?:the\s+)?" + _ORG_MOD + _ORG + r"\b", _F)),
        # Praise of an official party stated as fact: "the central bank's prudent stewardship",
        # "the government's unwavering commitment", "a triumph of the minister's diplomacy".
        ("official_praise", re.compile(
            r"\b" + _ORG + _POSS + r"\s+(?:prudent|wise|firm|bold|decisive|tireless|unwavering|patient"
            r"|visionary|steadfast|far-sighted|farsighted|skilful|skillful|courageous|principled"
            r"|resolute|exemplary|swift|determined)\s+\w+"
            r"|\ba\s+triumph\s+of\s+(?:the\s+)?" + _ORG_MOD + _ORG + r"\b"
            r"|\bdriven\s+by\s+(?:the\s+)?" + _ORG_MOD + _ORG + _POSS + r"\s+vision\b"
            r"|\b(?:leadership|president|government)" + _POSS + r"\s+vision\s+(?:has|is|will)\b", _F)),
        # The official justification folded into the text as an aside: "The curfew, imposed to
        # keep residents safe,", "The decree, needed to protect the economy,", "a necessary step".
        ("official_justification", re.compile(
            r"(?:,|\u2014|\u2013)\s*(?:which\s+was\s+|which\s+is\s+)?(?:[\w\-]+\s+)?(?:imposed|introduced|"
            r"launched|undertaken|carried\s+out|designed|intended|needed|necessary|sent|deployed|adopted|"
            r"passed|enacted|implemented|taken|brought\s+in|put\s+in\s+place|required)\s+"
            r"(?:(?:solely|purely|only|precisely|specifically)\s+)?(?:in\s+order\s+|so\s+as\s+)?to\s+"
            r"(?:protect|keep|ensure|safeguard|secure|restore|defend|free|shield|prevent|maintain|"
            r"guarantee|stabili[sz]e|preserve|save)\b"
            r"|\b(?:intended|designed|aimed)\s+(?:solely|purely|exclusively)\s+(?:at|to|for)\b"
            r"|\b(?:peaceful\s+in\s+nature|purely\s+defensive|exclusively\s+peaceful)\b"
            r"|,\s*an?\s+(?:(?:firm|measured|bold|necessary|decisive|proportionate|proportional|but)\s+)"
            r"{1,3}(?:step|response|measure)\b"
            r"|\b(?:is|was|are|were|as)\s+an?\s+(?:(?:firm|measured|necessary|proportionate|proportional|"
            r"but)\s+){1,3}(?:step|response|measure)\b"
            r"|,\s*an?\s+(?:[\w\-]+\s+)?(?:milestone|triumph)\s+(?:in|of|for|on)\b", _F)),
        # Official euphemisms stated as plain description: "special military operation", "the
        # operation to restore order", "the liberation of the town", "a planned regrouping".
        ("official_euphemism", re.compile(
            r"\bspecial\s+military\s+operation\b"
            r"|\b(?:counter-?|anti-?)terroris[mt]\s+operation\b"
            r"|\b(?:operation|campaign|mission|crackdown)\s+(?:aimed\s+at\s+|launched\s+to\s+|"
            r"designed\s+to\s+|intended\s+to\s+|in\s+order\s+to\s+|to\s+)(?:restore|restoring|"
            r"protect|protecting|maintain|maintaining|ensure|ensuring|defend|defending|safeguard|"
            r"safeguarding)\s+(?:law\s+and\s+order|public\s+order|constitutional\s+order|order|"
            r"stability|peace\s+and\s+stability|civilians|the\s+civilian\s+population)\b"
            r"|\b(?:restored|restoring|restore)\s+(?:law\s+and\s+|public\s+|constitutional\s+)?order\b"
            r"|\b(?:de-?nazification|demilitari[sz]ation\s+and\s+de-?nazification)\b"
            r"|\b(?:successful\s+|heroic\s+)?liberation\s+of\s+(?:the\s+)?(?:town|city|village|region|"
            r"province|district|territory|area|settlement)s?\b"
            r"|\b(?:planned|tactical)\s+regrouping\b|\bgoodwill\s+gesture\b"
            r"|\bat\s+the\s+request\s+of\s+the\s+legitimate\s+(?:authorities|government)\b"
            r"|\b(?:eliminated|neutrali[sz]ed|liquidated)\s+(?:an?\s+|the\s+|\d+\s+|several\s+|dozens\s+"
            r"of\s+)?(?:[\w\-]+\s+){0,2}?(?:terrorists?|militants?|extremists?|insurgents?|saboteurs?|"
            r"terrorist\s+commanders?)\b"
            r"|\bdismantled\s+an?\s+(?:[\w\-]+\s+){0,2}?(?:terrorist|extremist)\s+cell\b"
            r"|\b(?:organi[sz]ed|orchestrated|directed|financed|funded|coordinated)\s+from\s+abroad\b"
            r"|\b(?:acted|responded|behaved)\s+(?:proportionately|proportionally|appropriately|lawfully|"
            r"with\s+restraint)\b"
            r"|\bstrikes?\s+the\s+right\s+balance\b"
            r"|\b(?:swiftly|quickly|promptly|decisively)\s+(?:contained|quelled|put\s+down)\s+the\s+"
            r"(?:disturbance|unrest|riots?|protests?|disorder|violence)\b", _F)),
        # Corporate marketing stated as news: "gives customers more choice than ever", "puts users
        # firmly in control", "greater value for their money", "better able to serve its customers".
        ("marketing_claim", re.compile(
            r"\b(?:gives?|giving|offers?|offering|provides?|providing|puts?|putting|brings?|bringing)\s+"
            + _CUSTOMERS + r"\s+(?:even\s+|firmly\s+|far\s+)?(?:more|greater|better|unparalleled|"
            r"unprecedented|in\s+control|in\s+charge|full\s+control)\b"
            r"|\b(?:more|greater|better|fairer|clearer|improved)\s+(?:[\w\-]+,?\s+){0,3}?(?:value|choice|"
            r"rewards?|control|flexibility|convenience|protection|service|outcomes|experience|"
            r"connectivity)\s+(?:and\s+[\w\-]+\s+)?(?:for\s+(?:their|your|its)\s+money|for\s+"
            r"(?:its\s+|their\s+|all\s+|every\s+)?" + _CUSTOMERS + r"|than\s+ever)\b"
            r"|\b(?:better|best)\s+(?:able\s+to\s+)?serve\s+(?:its|their)\s+" + _CUSTOMERS + r"\b"
            r"|\b" + _CUSTOMERS + r"\s+(?:will\s+)?get\s+even\s+more\b"
            r"|\bmore\s+(?:comfortable|affordable|convenient|enjoyable)\s+for\s+(?:everyone|all|"
            + _CUSTOMERS + r")\b"
            r"|\bcontinued\s+investment\s+in\s+(?:a\s+)?better\b"
            r"|\b(?:lightning-fast|best-in-class|industry-leading)\b", _F)),
        # Promised benefits of an official project stated as fact: "will bring prosperity and jobs
        # to the province", "bringing stability to the region", "closer to the people".
        ("benefit_claim", re.compile(
            r"\bbring(?:s|ing)?\s+(?:[\w\-]+\s+){0,2}?(?:prosperity|stability|jobs)\s+(?:and\s+[\w\-]+\s+)?"
            r"to\b"
            r"|\b(?:create|creating|creates)\s+(?:[\w\-]+\s+){0,4}?(?:high-quality|well-paid|"
            r"good|skilled)\s+jobs\b"
            r"|\b(?:decision-making|government|services)\s+closer\s+to\s+(?:the\s+)?(?:people|"
            r"citizens|communities)\b"
            # a measure's purpose asserted as its effect: "The protest ban ensures that ..."
            r"|\b(?:ban|increase|rise|hike|reforms?|measures|restructuring|decree|changes|overhaul|"
            r"curfew|crackdown)\s+(?:will\s+)?ensures?\b", _F)),
    ],
}

# -- blocking rules ----------------------------------------------------------------------------
# Hedged attribution is vetoed when the sentence puts the claim on record: "said in a statement",
# "told reporters at a news conference", "on the record".
_ON_RECORD = re.compile(
    r"\b(?:on\s+the\s+record|in\s+a\s+(?:written\s+)?statement|in\s+a\s+press\s+release|"
    r"told\s+reporters\s+at\s+a\s+(?:news\s+|press\s+)?conference)\b", _F)

# The weakest hedges ("reportedly", "is said to") are also vetoed by a named source for the
# claim: "according to The Associated Press", "as the Washington Post said" (case-sensitive capital).
_NAMED_SOURCE = re.compile(
    r"\b[Aa]ccording\s+to\s+(?:the\s+|[Tt]he\s+)?(?!(?:Some|Several|Unconfirmed|Unverified|Local|Media|"
    r"Sources|Reports|People|Insiders|Others|Analysts|Experts)\b)[A-Z][\w.&'\u2019\-]*"
    # "as the Washington Post said", "reported in 1999 by L'Espresso"
    r"|\b(?:as|As)\s+(?:the\s+)?[A-Z][\w.&'\u2019\-]*(?:\s+[A-Z][\w.&'\u2019\-]*)*\s+"
    r"(?:said|says|reported|reports|noted|wrote|found)\b"
    r"|\breported\b[^.;]{0,30}?\bby\s+(?:the\s+)?[A-Z]")
_WEAK_HEDGES = {"hedge_adverb", "agentless_passive"}

# Echoing is vetoed when the sentence keeps explicit distance from the official line: the claim is
# attributed ("the ministry says", "according to the army"), marked as a claim ("claims",
# "so-called", "what it calls") or contradicted ("critics disagree", "although bills rose").
_DISTANCE = re.compile(
    r"\b(?:claims?|claimed|claiming|alleges?|alleged|so-called|purported(?:ly)?|supposed(?:ly)?|"
    r"according\s+to|insists?|insisted|insisting|what\s+(?:it|they|he|she|the\s+\w+|\w+)\s+"
    r"(?:calls?|called|describes?|described|terms?|termed|dubs?|dubbed)|(?:calls?|called|dubs?|"
    r"dubbed|terms?|termed|describes?|described)\s+(?:it\s+|them\s+|as\s+|an?\s+|the\s+)|critics|"
    r"disagree\w*|disputes?|disputed|denie[sd]|deny|rejects?|rejected|skeptic\w*|sceptic\w*|"
    r"questioned|doubts?|contested|euphemis\w*|propaganda|although|though|however|whereas|"
    r"(?:says|said|say|saying|told|tells|stated|states|announced|announces|argues|argued|maintains|"
    r"maintained|contends|contended|asserted|asserts|promised|promises|pledged|vowed|"
    r"boasted|boasts|touted|touts|hailed|praised)\b(?!\s+to\s+(?:be|have)\b)|"
    r"but\s+(?:[\w\-']+\s+){0,4}?(?:say|says|said|warn|warned|complain\w*|argue\w*|report\w*|"
    r"show\w*|found|find)\b)", _F)
# Echoing cues that are themselves an attribution ("as X rightly said"): their own words are not
# distance.
_ENDORSING_RULES = {"endorsing_attribution", "promise_fulfilled"}
_QUOTES = "\"\u201c\u201d\u2018\u2019'"


def find_cues(text: str) -> list[Cue]:
    """Every positive rule match in `text`, sorted by start (then label, rule)."""
    cues = [
        Cue(label, name, match.start(), match.end())
        for label, rules in RULES.items()
        for name, pattern in rules
        for match in pattern.finditer(text)
        if match.end() > match.start()
    ]
    return sorted(cues, key=lambda c: (c.start, c.end, c.label, c.rule))


def _quote_spans(text: str) -> list[tuple[int, int]]:
    """Character ranges inside double quotes. A sentence that closes a quote it never opened (the
    tail of a multi-sentence quotation) is quoted up to that mark, and one that never closes its
    quote is quoted to the end."""
    spans, open_at, straight_at = [], None, None
    for i, ch in enumerate(text):
        if ch == "\u201c":
            open_at = i if open_at is None else open_at
        elif ch == "\u201d":
            spans.append((0 if open_at is None else open_at, i + 1))
            open_at = None
        elif ch == '"':
            if straight_at is None:
                straight_at = i
            else:
                spans.append((straight_at, i + 1))
                straight_at = None
    for start in (open_at, straight_at):
        if start is not None:
            spans.append((start, len(text)))
    return spans


def _quoted(text: str, cue: Cue) -> bool:
    """True when the cue is quoted (someone else's words, or scare quotes): distance for echoing."""
    if any(start <= cue.start and cue.end <= end for start, end in _quote_spans(text)):
        return True
    before, after = text[max(0, cue.start - 2): cue.start], text[cue.end: cue.end + 2]
    return any(q in before for q in _QUOTES) and any(q in after for q in _QUOTES)


def _mask(text: str, cues: Iterable[Cue]) -> str:
    """`text` with the given cue spans blanked out (same length, so offsets still line up)."""
    chars = list(text)
    for cue in cues:
        chars[cue.start: cue.end] = " " * (cue.end - cue.start)
    return "".join(chars)


def _kept(text: str, cues: list[Cue]) -> list[Cue]:
    """The cues that survive the blocking rules.

    Hedged cues die when the sentence is on the record, and the weakest ones also when it names a
    source ("according to Reuters"). Echoing cues die inside scare quotes, and
    (unless they are endorsing attributions, which side with the official voice outright) when the
    sentence keeps distance; the words of hedged cues ("insiders say") and of endorsing
    attributions ("as the ministry rightly says") do not count as distance, since they are not the
    official party's claim being reported.
    """
    on_record = _ON_RECORD.search(text) is not None
    named = _NAMED_SOURCE.search(text) is not None
    not_distance = [c for c in cues if c.label == HEDGED or c.rule in _ENDORSING_RULES]
    distanced = _DISTANCE.search(_mask(text, not_distance)) is not None
    kept = []
    for cue in cues:
        if cue.label == HEDGED:
            ok = not on_record and not (named and cue.rule in _WEAK_HEDGES)
        elif cue.rule in _ENDORSING_RULES:  # the text sides with the official voice outright
            ok = not _quoted(text, cue)
        else:
            ok = not distanced and not _quoted(text, cue)
        if ok:
            kept.append(cue)
    return kept


def weak_labels(text: str) -> list[str]:
    """Sorted label ids with at least one cue that survives the blocking rules."""
    return sorted({cue.label for cue in _kept(text, find_cues(text))})


def rule_precision(
    texts: Sequence[str], gold_labels: Sequence[Iterable[str]], label: str
) -> dict:
    """Precision, recall and F1 of `weak_labels` for one `label` against gold label lists."""
    if len(texts) != len(gold_labels):
        raise ValueError(f"{len(texts)} texts but {len(gold_labels)} gold label lists")
    tp = fp = fn = 0
    for text, gold in zip(texts, gold_labels):
        predicted = label in weak_labels(text)
        actual = label in set(gold)
        tp += predicted and actual
        fp += predicted and not actual
        fn += actual and not predicted
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1,
            "support": tp + fn, "predicted": tp + fp}
