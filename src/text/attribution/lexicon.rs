//! The closed word lists attribution relies on: reporting cues, determiners and pronouns, the
//! nouns that name people or organisations, and the words that cannot be part of a credited name.
//! English only, like the rest of the rules in `docs/attribution.md`.

use std::{
    collections::HashMap,
    hash::{BuildHasherDefault, Hasher},
    sync::LazyLock,
};

/// Reporting verbs in every tense that introduce speech ("said", "says", "telling").
#[rustfmt::skip]
const CUE_VERBS: &[&str] = &[
    "say", "says", "said", "saying", "tell", "tells", "told", "telling", "add", "adds", "added",
    "adding", "note", "notes", "noted", "noting", "write", "writes", "wrote", "writing", "written",
    "state", "states", "stated", "stating", "warn", "warns", "warned", "warning", "insist",
    "insists", "insisted", "insisting", "claim", "claims", "claimed", "claiming", "tweet",
    "tweets", "tweeted", "tweeting", "post", "posts", "posted", "posting", "explain", "explains",
    "explained", "explaining", "argue", "argues", "argued", "arguing", "ask", "asks", "asked",
    "asking", "reply", "replies", "replied", "replying", "respond", "responds", "responded",
    "responding", "continued", "declare", "declares", "declared",
    "declaring", "announce", "announces", "announced", "announcing", "acknowledge", "acknowledges",
    "acknowledged", "admit", "admits", "admitted", "recall", "recalls", "recalled", "remark",
    "remarks", "remarked", "observe", "observes", "observed", "suggest", "suggests", "suggested",
    "urge", "urges", "urged", "vow", "vows", "vowed", "promise", "promises", "promised", "predict",
    "predicts", "predicted", "conclude", "concludes", "concluded", "comment", "comments",
    "commented", "emphasize", "emphasizes", "emphasized", "emphasise", "emphasises", "emphasised",
    "stress", "stresses", "stressed", "report", "reports", "reported", "reveal", "reveals",
    "revealed", "quip", "quipped", "boast", "boasted", "complain", "complains", "complained",
    "concede", "concedes", "conceded", "confirm", "confirms", "confirmed", "contend", "contends",
    "contended", "counter", "countered", "joke", "joked", "assert", "asserts", "asserted",
    "mention", "mentioned", "shout", "shouted", "testify", "testified", "testifies", "agree",
    "agreed", "agrees", "allege", "alleged", "alleges", "demand", "demanded", "exclaimed",
    "yelled", "cautioned", "quoted", "wondered", "pointed", "points", "interjected", "emailed", "chanted", "chanting", "texted",
    "proposed", "recalls", "mused", "retorted", "snapped", "scoffed",
    "proclaimed", "lamented", "thundered", "call", "calls", "called", "calling", "describe",
    "describes", "described", "describing", "label", "labels", "labeled", "labelled", "labeling",
    "labelling", "dubbed", "echoed", "echoing", "echoes", "charged", "bemoaned", "decried",
    "denounced", "dismissed", "pledged", "pledging", "touted", "touting", "hailed", "branded",
    "characterized", "characterised", "blasted", "slammed", "praised", "mocked", "accused",
    "criticized", "criticised", "cited", "recounted", "answered", "urging", "vowing", "promising",
    "stressing", "suggesting", "joking",
];

/// Reporting verbs after which the grammatical object is the listener, not the speaker ("told
/// the BBC"): the object can be an outlet credited for the words, never the speaker.
#[rustfmt::skip]
const ADDRESSEE_VERBS: &[&str] = &[
    "tell", "tells", "told", "telling", "ask", "asks", "asked",
];

/// Words before a name that are titles, not given names ("President Obama", "Mr Mujahid").
#[rustfmt::skip]
const TITLES: &[&str] = &[
    "mr", "mrs", "ms", "miss", "dr", "sir", "dame", "lord", "lady", "president", "vice", "senator",
    "sen", "rep", "representative", "gov", "governor", "mayor", "minister", "prime", "secretary",
    "general", "gen", "judge", "justice", "chief", "professor", "prof", "rev", "reverend",
    "father", "sister", "brother", "king", "queen", "prince", "princess", "pope", "chancellor",
    "ambassador", "commissioner", "speaker", "leader", "chairman", "chairwoman", "director",
    "colonel", "col", "captain", "capt", "lt", "sgt", "sergeant", "officer", "detective",
    "inspector", "spokesman", "spokeswoman", "spokesperson", "candidate", "mullah", "sheikh",
    "ayatollah", "imam", "rabbi", "coach", "attorney", "congressman", "congresswoman",
    "assemblyman", "councillor", "councilman", "state", "former", "deputy", "acting",
];

/// Words that start a clause or a prepositional phrase: a credited noun phrase does not reach
/// across them ("Speaking in Ohio on Monday, Trump said": the phrase is "Trump").
#[rustfmt::skip]
const PHRASE_BREAKS: &[&str] = &[
    "that", "and", "but", "or", "while", "when", "as", "after", "before", "because", "if", "who",
    "which", "whose", "whom", "where", "so", "than", "in", "on", "at", "about", "with", "from",
    "to", "by", "during", "over", "into", "through", "since", "until", "against", "under",
    "between", "among", "across", "without", "like", "also", "is", "was", "were", "are", "be",
    "been", "has", "had", "have", "would", "will", "could", "should", "can", "may", "might", "not",
    "then", "not", "it", "this", "yet", "though", "although", "whether", "do", "does", "did",
    "being", "having", "what", "how", "why", "there", "here", "once",
    "amid", "despite", "following", "unlike", "among", "amongst", "throughout", "within", "upon",
    "via", "toward", "towards", "beyond", "behind", "inside", "outside",
];

/// Words that start a relative clause: "Smith, who leads the party, said" credits "Smith".
#[rustfmt::skip]
const RELATIVES: &[&str] = &[
    "who", "which", "whose", "whom", "where",
];

/// Words a cue can be separated from its speaker by ("the report also noted").
#[rustfmt::skip]
const ADVERBS: &[&str] = &[
    "also", "further", "later", "then", "has", "had", "have", "would", "will", "once",
    "previously", "recently", "again", "earlier", "reportedly", "simply", "just", "only", "even",
    "still", "first", "finally", "both", "all", "once", "had", "once", "often", "never", "not",
    "always", "subsequently", "separately", "repeatedly", "publicly", "privately", "has", "may",
    "might", "could", "should", "must", "did", "does", "do", "is", "was", "were", "are", "being",
    "been", "be", "himself", "herself", "themselves", "itself", "then", "today", "yesterday",
    "tonight", "recently", "last", "week", "night", "year", "month",
];

/// Determiners that make a definite description, which refers back ("the report").
#[rustfmt::skip]
const DEFINITE: &[&str] = &[
    "the", "this", "that", "these", "those", "his", "her", "its", "their", "our", "my", "your",
];

/// Determiners of an indefinite noun phrase, which introduces someone new ("a spokesman").
#[rustfmt::skip]
const INDEFINITE: &[&str] = &[
    "a", "an", "one", "another", "some", "several", "many", "two",
];

/// Nouns naming a person by role: a description with one of these refers back to a person.
#[rustfmt::skip]
const PERSON_NOUNS: &[&str] = &[
    "spokesman", "spokeswoman", "spokesperson", "minister", "president", "senator", "official",
    "candidate", "leader", "chairman", "chairwoman", "chief", "secretary", "director", "governor",
    "mayor", "judge", "lawyer", "attorney", "man", "woman", "officer", "ambassador", "general",
    "commander", "envoy", "representative", "congressman", "congresswoman", "nominee", "author",
    "writer", "analyst", "expert", "professor", "economist", "founder", "executive", "ceo",
    "manager", "adviser", "advisor", "aide", "strategist", "chancellor", "premier", "king",
    "queen", "prince", "prime", "diplomat", "businessman", "billionaire", "host", "anchor",
    "reporter", "columnist", "editor", "witness", "victim", "resident", "activist", "researcher",
    "scientist", "doctor", "teacher", "student", "coach", "player", "speaker", "frontrunner",
    "governor", "mogul", "democrat", "republican", "lawmaker",
];

/// Nouns naming an organisation or a document: a description with one of these refers back to
/// one ("the paper", "the report").
#[rustfmt::skip]
const ORG_NOUNS: &[&str] = &[
    "report", "paper", "newspaper", "statement", "agency", "ministry", "media", "outlet",
    "channel", "network", "campaign", "company", "group", "committee", "council", "government",
    "team", "department", "office", "administration", "party", "organisation", "organization",
    "institute", "university", "court", "commission", "board", "bank", "police", "army",
    "military", "union", "association", "foundation", "study", "survey", "document", "letter",
    "website", "site", "magazine", "journal", "broadcaster", "station", "service", "news", "times",
    "post", "tribune", "herald", "journal", "regime", "movement", "monitors", "panel", "coalition",
    "federation", "authority", "authorities", "press", "daily", "network", "ministry", "embassy",
    "council", "senate", "house", "congress", "parliament", "cabinet", "firm", "corporation",
    "club", "league", "federation", "alliance", "bureau", "center", "centre", "programme",
    "program", "body", "tweet", "post", "release", "memo", "filing", "lawsuit", "complaint",
    "book", "article", "editorial", "op-ed", "column", "blog", "poll",
];

/// Nouns for anonymous or collective sources ("officials said"): a credit, but of nobody the
/// register can name.
#[rustfmt::skip]
const GENERIC_SOURCES: &[&str] = &[
    "officials", "critics", "experts", "analysts", "sources", "source", "residents", "witnesses",
    "observers", "supporters", "opponents", "protesters", "people", "others", "aides", "advisers",
    "advisors", "lawmakers", "diplomats", "investigators", "researchers", "scientists",
    "economists", "doctors", "voters", "neighbours", "neighbors", "friends", "colleagues",
    "insiders", "reporters", "observers", "members", "leaders", "workers", "activists",
    "campaigners", "commentators", "pundits", "organizers", "organisers", "prosecutors", "police",
    "authorities", "many", "some", "most", "few", "everyone", "someone", "somebody", "nobody",
    "everybody", "all", "both",
    "readers", "viewers", "listeners", "visitors", "fans", "parents", "students", "teachers",
    "children", "families", "locals", "shoppers", "drivers", "passengers", "users", "customers",
    "employees", "staff", "crowds", "posters", "signs", "banners", "placards", "headlines",
];

/// Words that are capitalised without naming anyone.
#[rustfmt::skip]
const NOT_NAMES: &[&str] = &[
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "january",
    "february", "march", "april", "may", "june", "july", "august", "september", "october",
    "november", "december", "mon", "tue", "wed", "thu", "fri", "sat", "sun", "jan", "feb", "mar",
    "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "i", "however", "meanwhile",
    "but", "and", "also", "still", "yet", "then", "so", "now", "today", "yesterday", "earlier",
    "later", "asked", "speaking", "in", "on", "at", "for", "with", "after", "before", "when",
    "while", "as", "if", "although", "though", "because", "since", "last", "next", "this", "that",
    "there", "here", "what", "who", "why", "how", "where", "it", "we", "they", "he", "she", "you",
    "his", "her", "their", "our", "its", "a", "an", "the", "according", "instead", "indeed",
    "finally", "first", "second", "third", "thus",
    "wait", "hours", "minutes", "days", "weeks", "months", "years", "moments", "reached",
    "well", "yes", "no", "okay", "ok", "look", "here's", "there's",
];

/// Connectors allowed inside a name ("Secretary of State", "Osama bin Laden").
#[rustfmt::skip]
const NAME_CONNECTORS: &[&str] = &[
    "of", "de", "al", "bin", "ibn", "la", "le", "van", "von", "der", "den", "du", "da", "del",
    "della", "di", "y", "and", "el", "ul", "abu", "st",
];

/// Generational suffixes skipped when finding a surname ("Martin Luther King Jr.").
#[rustfmt::skip]
const SUFFIXES: &[&str] = &[
    "jr", "sr", "ii", "iii", "iv", "junior", "senior",
];

/// Abbreviations after which a full stop does not end a sentence.
#[rustfmt::skip]
const ABBREVIATIONS: &[&str] = &[
    "mr", "mrs", "ms", "dr", "st", "jr", "sr", "gen", "gov", "sen", "rep", "lt", "col", "capt",
    "sgt", "rev", "hon", "prof", "pres", "inc", "co", "corp", "ltd", "vs", "etc", "jan", "feb",
    "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "ft", "mt", "u.s",
    "u.k", "u.n", "d.c", "e.g", "i.e", "a.m", "p.m",
];

/// Reporting verbs that are as often nouns ("the report", "UN reports", "his claims").
#[rustfmt::skip]
const NOUN_OR_VERB: &[&str] = &[
    "report", "reports", "post", "posts", "state", "states", "note", "notes", "claim", "claims",
    "comment", "comments", "tweet", "tweets", "remarks", "remark", "call", "calls", "label",
    "labels", "stress", "counter", "promise", "promises", "vows", "vow", "warning", "answer",
    "reply", "replies", "echoes", "demand", "joke", "quip", "shout",
];

/// Words after which a noun-or-verb is a verb ("they report", "will note").
#[rustfmt::skip]
const SUBJECT_PRONOUNS_AND_AUXILIARIES: &[&str] = &[
    "i", "we", "you", "they", "will", "would", "could", "should", "can", "may", "might", "must",
    "to", "did", "do", "does", "also", "often", "later",
];

/// The lists a word belongs to, as bits: one hash lookup answers every question about a word.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Classes(u32);

pub(super) const CUE_VERB: u32 = 1 << 0;
pub(super) const ADDRESSEE_VERB: u32 = 1 << 1;
pub(super) const TITLE: u32 = 1 << 2;
pub(super) const PHRASE_BREAK: u32 = 1 << 3;
pub(super) const RELATIVE: u32 = 1 << 4;
pub(super) const ADVERB: u32 = 1 << 5;
pub(super) const DEFINITE_DETERMINER: u32 = 1 << 6;
pub(super) const INDEFINITE_DETERMINER: u32 = 1 << 7;
pub(super) const PERSON_NOUN: u32 = 1 << 8;
pub(super) const ORG_NOUN: u32 = 1 << 9;
pub(super) const GENERIC_SOURCE: u32 = 1 << 10;
pub(super) const NOT_A_NAME: u32 = 1 << 11;
pub(super) const NAME_CONNECTOR: u32 = 1 << 12;
pub(super) const SUFFIX: u32 = 1 << 13;
pub(super) const ABBREVIATION: u32 = 1 << 14;
pub(super) const NOUN_OR_VERB_WORD: u32 = 1 << 15;
pub(super) const SUBJECT_OR_AUXILIARY: u32 = 1 << 16;

/// FNV-1a: every word of every checked paragraph is looked up once, and the words are short.
#[derive(Default)]
struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut hash = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for byte in bytes {
            hash ^= u64::from(*byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = hash;
    }
}

type Lexicon = HashMap<&'static str, u32, BuildHasherDefault<Fnv>>;

static LEXICON: LazyLock<Lexicon> = LazyLock::new(|| {
    let mut lexicon = Lexicon::default();
    for (list, class) in [
        (CUE_VERBS, CUE_VERB),
        (ADDRESSEE_VERBS, ADDRESSEE_VERB),
        (TITLES, TITLE),
        (PHRASE_BREAKS, PHRASE_BREAK),
        (RELATIVES, RELATIVE),
        (ADVERBS, ADVERB),
        (DEFINITE, DEFINITE_DETERMINER),
        (INDEFINITE, INDEFINITE_DETERMINER),
        (PERSON_NOUNS, PERSON_NOUN),
        (ORG_NOUNS, ORG_NOUN),
        (GENERIC_SOURCES, GENERIC_SOURCE),
        (NOT_NAMES, NOT_A_NAME),
        (NAME_CONNECTORS, NAME_CONNECTOR),
        (SUFFIXES, SUFFIX),
        (ABBREVIATIONS, ABBREVIATION),
        (NOUN_OR_VERB, NOUN_OR_VERB_WORD),
        (SUBJECT_PRONOUNS_AND_AUXILIARIES, SUBJECT_OR_AUXILIARY),
    ] {
        for word in list {
            *lexicon.entry(word).or_default() |= class;
        }
    }
    lexicon
});

impl Classes {
    /// The classes of a lowercase word.
    pub fn of(word: &str) -> Self {
        let mut bits = LEXICON.get(word).copied().unwrap_or(0);
        // Adverbs in -ly ("bluntly") are too many to list.
        if word.len() > 4 && word.ends_with("ly") && word != "early" {
            bits |= ADVERB;
        }
        Classes(bits)
    }

    /// True when the word is in list `class` (one of the constants above).
    pub fn has(self, class: u32) -> bool {
        self.0 & class != 0
    }
}

pub(super) fn is_noun_or_verb(word: &str) -> bool {
    Classes::of(word).has(NOUN_OR_VERB_WORD)
}
pub(super) fn is_subject_pronoun_or_auxiliary(word: &str) -> bool {
    Classes::of(word).has(SUBJECT_OR_AUXILIARY)
}
pub(super) fn is_cue_verb(word: &str) -> bool {
    Classes::of(word).has(CUE_VERB)
}
pub(super) fn is_addressee_verb(word: &str) -> bool {
    Classes::of(word).has(ADDRESSEE_VERB)
}
pub(super) fn is_phrase_break(word: &str) -> bool {
    Classes::of(word).has(PHRASE_BREAK)
}
pub(super) fn is_definite(word: &str) -> bool {
    Classes::of(word).has(DEFINITE_DETERMINER)
}
pub(super) fn is_indefinite(word: &str) -> bool {
    Classes::of(word).has(INDEFINITE_DETERMINER)
}
pub(super) fn is_person_noun(word: &str) -> bool {
    Classes::of(word).has(PERSON_NOUN)
}
pub(super) fn is_org_noun(word: &str) -> bool {
    Classes::of(word).has(ORG_NOUN)
}
pub(super) fn is_generic_source(word: &str) -> bool {
    Classes::of(word).has(GENERIC_SOURCE)
}
/// True for capitalised words that name nobody: days, months, sentence openers.
pub(super) fn is_not_a_name(word: &str) -> bool {
    Classes::of(word).has(NOT_A_NAME)
}
pub(super) fn is_suffix(word: &str) -> bool {
    Classes::of(word).has(SUFFIX)
}
pub(super) fn is_abbreviation(word: &str) -> bool {
    Classes::of(word).has(ABBREVIATION)
}
