#!/usr/bin/env python3
"""Writes the labelled attribution corpus, attribution.jsonl: short news passages, each with the
register it is checked against (invented speakers, outlets and quotations, written for these
tests) and the attribution verdict a correct check reports for one target quotation.

  python3 tests/corpus/generate_attribution.py

Deterministic. Every case exercises one rule of docs/attribution.md: a cue (each reporting verb
and phrase, colon and dash credits), a position (own sentence before or after, split quotation,
sentence before, sentence after), a name form (full name, surname, alias, possessive, leading
"the", capitals), a reference back (he, she, they, the spokesman, the paper, the report, across a
paragraph), or a trap (two speakers in a paragraph, a quotation about someone rather than by
them, an outlet named without crediting, an anonymous source)."""

import json
from pathlib import Path

HERE = Path(__file__).parent

# (full name, pronoun, role noun, alias)
PEOPLE = [
    ("Helen Marsh", "She", "minister", "the finance minister"),
    ("Tomasz Wilk", "He", "engineer", "the chief engineer"),
    ("Amina Okafor", "She", "doctor", "the hospital director"),
    ("Rory Dunne", "He", "mayor", "the harbour master"),
    ("Lydia Brennan", "She", "governor", "Governor Brennan"),
    ("Sam Achebe", "He", "councillor", "Councillor Achebe"),
    ("Mei Tanaka", "She", "economist", "the chief economist"),
    ("Peter Lund", "He", "spokesman", "the union spokesman"),
]
OTHERS = [
    ("Gareth Bowen", "He"), ("Nadia Petrova", "She"), ("Carlos Ruiz", "He"), ("Ingrid Solberg", "She"),
]
OUTLETS = [
    {"id": "northern-post", "name": "The Northern Post", "aliases": ["Northern Post", "the Post"]},
    {"id": "harbour-times", "name": "Harbour Times", "aliases": []},
    {"id": "valley-radio", "name": "Valley Radio", "aliases": ["VRN"]},
]
QUOTES = [
    "We will not raise the fuel duty before the next election, whatever the models say.",
    "The new bridge will carry forty thousand vehicles a day once the northern link opens.",
    "Our hospitals have treated more patients this winter than in any winter before it.",
    "The harbour is safe for fishing boats again after three months of repairs.",
    "Three schools in the county must close because their roofs are unsafe.",
    "The council never agreed to sell the park land to a private developer.",
    "Inflation should fall to three percent by the spring if energy prices hold.",
    "We are not going to negotiate while the strike continues in every depot.",
]


def lower_first(q):
    return q[0].lower() + q[1:]


def comma(q):
    return q[:-1] + ","


def halves(q):
    words = q.split()
    mid = len(words) // 2
    return " ".join(words[:mid]) + ",", " ".join(words[mid:])


def surname(name):
    return name.split()[-1]


def case(cases, cid, text, target, verdict, register, credited=None):
    cases.append({"id": cid, "text": text, "target": target, "verdict": verdict,
                  "register": register, "credited": credited})


def speaker_templates(p, o):
    """(name, text, verdict, credited) for a quotation registered to person p; o is someone else."""
    name, pron, role, alias = p
    sur = surname(name)
    oname, opron = o
    osur = surname(oname)
    t = []
    # Cues, credit before the quotation.
    t += [
        ("said-colon", "{n} said: “{q}”", "CORRECT", name),
        ("says", "{n} says “{ql}”", "CORRECT", name),
        ("told-reporters", "{n} told reporters on Monday: “{q}”", "CORRECT", name),
        ("told-the-bbc", "{s} told the BBC: “{q}”", "CORRECT", sur),
        ("noted-that", "{n} noted that “{ql}”", "CORRECT", name),
        ("wrote", "{n} wrote on her blog: “{q}”", "CORRECT", name),
        ("stated", "In the chamber {n} stated: “{q}”", "CORRECT", name),
        ("warned", "{n} warned: “{q}”", "CORRECT", name),
        ("insisted", "{n} insisted that “{ql}”", "CORRECT", name),
        ("claimed", "{n} claimed: “{q}”", "CORRECT", name),
        ("tweeted", "{n} tweeted: “{q}”", "CORRECT", name),
        ("posted", "Late on Sunday {n} posted: “{q}”", "CORRECT", name),
        ("according-to", "According to {n}, “{ql}”", "CORRECT", name),
        ("in-a-statement", "In a statement, {n} said: “{q}”", "CORRECT", name),
        ("said-in-a-statement", "{n} said in a statement: “{q}”", "CORRECT", name),
        ("interview", "In an interview with Valley Radio, {n} said: “{q}”", "CORRECT", name),
        ("colon", "{n}: “{q}”", "CORRECT", name),
        ("subject-predicate", "{n} described the plan as “{ql}”", "CORRECT", name),
    ]
    # Credit after the quotation.
    t += [
        ("after-x-said", "“{qc}” {s} said.", "CORRECT", sur),
        ("after-said-x", "“{qc}” said {n}.", "CORRECT", name),
        ("after-added", "“{qc}” {s} added.", "CORRECT", sur),
        ("after-according", "“{qc}” according to {n}.", "CORRECT", name),
        ("after-dash", "“{q}” — {n}", "CORRECT", name),
        ("after-appositive", "“{qc}” {n}, the {role}, said on Tuesday.", "CORRECT", name),
        ("after-caps", "“{qc}” said {N}.", "CORRECT", "{N}"),
        ("after-alias", "“{qc}” {alias} said.", "CORRECT", "{alias}"),
        ("after-possessive", "“{qc}” {s}’s office said.", "CORRECT", "{s}’s office"),
    ]
    # Positions.
    t += [
        ("split", "“{h1}” {s} said, “{h2}”", "CORRECT", sur),
        ("sentence-before", "{n} said the plan would go ahead. “{q}”", "CORRECT", name),
        ("sentence-after", "“{q}” {n} said so in a speech on Monday.", "CORRECT", name),
        ("paragraph-colon", "{n} ended the meeting with a warning:\n\n“{q}”", "CORRECT", name),
    ]
    # References back.
    t += [
        ("pronoun", "{n} arrived late on Monday. {pron} said: “{q}”", "CORRECT", pron),
        ("pronoun-after", "{n} spoke first.\n\n“{qc}” {pronl} said.", "CORRECT", "{pronl}"),
        ("role", "{n}, the {role}, opened the session. “{qc}” the {role} said.", "CORRECT", "the {role}"),
        ("pronoun-other", "{o} arrived late on Monday. {opron} said: “{q}”", "MISATTRIBUTED", opron),
    ]
    # Misattributed: someone else credited.
    t += [
        ("other-said", "{o} said: “{q}”", "MISATTRIBUTED", oname),
        ("other-after", "“{qc}” {os} said.", "MISATTRIBUTED", osur),
        ("other-inverted", "“{qc}” said {o}.", "MISATTRIBUTED", oname),
        ("other-according", "According to {o}, “{ql}”", "MISATTRIBUTED", oname),
        ("other-dash", "“{q}” — {o}", "MISATTRIBUTED", oname),
        ("other-colon", "{o}: “{q}”", "MISATTRIBUTED", oname),
        ("other-same-surname", "“{qc}” said Frank {s}.", "MISATTRIBUTED", "Frank {s}"),
        ("other-split", "“{h1}” {os} said, “{h2}”", "MISATTRIBUTED", osur),
        ("other-before", "{o} said the plan would go ahead. “{q}”", "MISATTRIBUTED", oname),
        ("two-speakers", "{n} said the plan was sound. But {o} said: “{q}”", "MISATTRIBUTED", oname),
        ("about-not-by", "{o} attacked {n} on Monday, calling the plan “{ql}”", "MISATTRIBUTED", oname),
        ("about-described", "{os} described {s}’s proposal as “{ql}”", "MISATTRIBUTED", osur),
        ("told-about", "{o} told reporters that {n} was wrong: “{q}”", "MISATTRIBUTED", oname),
    ]
    # Two speakers, right one.
    t += [
        ("two-speakers-right", "“The plan is sound,” said {o}. “{qc}” {s} replied.", "CORRECT", sur),
        ("two-speakers-first", "{n} said: “{q}” But {o} disagreed with everything.", "CORRECT", name),
    ]
    # Missing: nobody credited.
    t += [
        ("alone", "The hall was full on Monday. “{q}”", "MISSING", None),
        ("officials", "“{qc}” officials said.", "MISSING", "officials"),
        ("a-source", "“{qc}” a source close to the talks said.", "MISSING", None),
        ("unresolved-pronoun", "{pron} said: “{q}”", "MISSING", pron),
        ("banner", "The banner over the gate read “{ql}”", "MISSING", None),
        ("slogan", "Posters across the city carried the words “{ql}”", "MISSING", None),
        ("name-elsewhere", "{n} visited the town last year.\n\nResidents gathered in the square. “{q}”", "MISSING", None),
    ]
    return t


def outlet_templates():
    """Quotations registered to The Northern Post (outlet only)."""
    return [
        ("outlet-according", "“{qc}” according to The Northern Post.", "CORRECT", "The Northern Post"),
        ("outlet-alias", "“{qc}” the Post reported.", "CORRECT", "the Post"),
        ("outlet-lowercase-the", "According to the Northern Post, “{ql}”", "CORRECT", "the Northern Post"),
        ("outlet-possessive", "The Northern Post’s editorial said: “{q}”", "CORRECT", "The Northern Post’s editorial"),
        ("outlet-reported", "The Northern Post reported on Monday that “{ql}”", "CORRECT", "The Northern Post"),
        ("outlet-appositive", "“{qc}” according to local media, The Northern Post.", "CORRECT", "The Northern Post"),
        ("outlet-the-paper", "The Northern Post ran the story on Monday. “{qc}” the paper reported.", "CORRECT", "the paper"),
        ("outlet-other", "“{qc}” according to the Harbour Times.", "MISATTRIBUTED", "the Harbour Times"),
        ("outlet-other-reported", "Harbour Times reported on Monday that “{ql}”", "MISATTRIBUTED", "Harbour Times"),
        ("outlet-not-credit", "{o}, a former Northern Post columnist, said: “{q}”", "MISATTRIBUTED", "{o}"),
        ("outlet-mentioned-only", "The Northern Post was founded in 1901. Readers still remember the line “{ql}”", "MISSING", None),
        ("outlet-missing", "Readers wrote in all week. “{q}”", "MISSING", None),
        ("outlet-radio", "“{qc}” according to Valley Radio.", "MISATTRIBUTED", "Valley Radio"),
    ]


def fill(template, p, o, q):
    name, pron, role, alias = p
    oname, opron = o
    h1, h2 = halves(q)
    return template.format(n=name, s=surname(name), N=name.upper(), pron=pron, pronl=pron.lower(),
                           role=role, alias=alias,
                           o=oname, os=surname(oname), opron=opron,
                           q=q, ql=lower_first(q), qc=comma(q), h1=h1, h2=h2)


def main():
    cases = []
    for i, (p, q) in enumerate(zip(PEOPLE, QUOTES)):
        o = OTHERS[i % len(OTHERS)]
        register = [{"kind": "quote", "text": q, "speaker": p[0], "speaker_aliases": [p[3]]}]
        templates = speaker_templates(p, o)
        # Every person gets every template would be 8x; rotate so each template appears at
        # least twice with different people.
        for j, (tid, template, verdict, credited) in enumerate(templates):
            if (j + i) % 4 not in (0, 1):
                continue
            text = fill(template, p, o, q)
            target = q
            cases.append({"id": f"p{i}-{tid}", "text": text, "target": target, "verdict": verdict,
                          "register": register,
                          "credited": fill(credited, p, o, q) if credited else None})
    for i, q in enumerate(QUOTES[:4]):
        p = PEOPLE[i]
        o = OTHERS[i % len(OTHERS)]
        register = [{"kind": "quote", "text": q, "outlet": "northern-post"}]
        for tid, template, verdict, credited in outlet_templates():
            cases.append({"id": f"o{i}-{tid}", "text": fill(template, p, o, q), "target": q,
                          "verdict": verdict, "register": register,
                          "credited": fill(credited, p, o, q) if credited else None})
    # Several outlets registered the same words: any of them is correct.
    q = QUOTES[4]
    register = [{"kind": "quote", "text": q, "outlet": "northern-post"},
                {"kind": "quote", "text": q, "outlet": "harbour-times"}]
    for tid, text, verdict, credited in [
        ("many-outlets-first", f"“{comma(q)}” according to The Northern Post.", "CORRECT", "The Northern Post"),
        ("many-outlets-second", f"“{comma(q)}” according to Harbour Times.", "CORRECT", "Harbour Times"),
        ("many-outlets-neither", f"“{comma(q)}” according to Valley Radio.", "MISATTRIBUTED", "Valley Radio"),
    ]:
        cases.append({"id": tid, "text": text, "target": q, "verdict": verdict, "register": register,
                      "credited": credited})
    # Unquoted reuse is judged the same way.
    for i, (p, q) in enumerate(zip(PEOPLE[:4], QUOTES[:4])):
        o = OTHERS[i % len(OTHERS)]
        register = [{"kind": "quote", "text": q, "speaker": p[0]}]
        bare = lower_first(q)[:-1]
        for tid, text, verdict in [
            ("reuse-credited", f"{p[0]} said that {bare} and left the room.", "CORRECT"),
            ("reuse-other", f"{o[0]} said that {bare} and left the room.", "MISATTRIBUTED"),
            ("reuse-missing", f"Everyone in the room knew that {bare} by then.", "MISSING"),
        ]:
            cases.append({"id": f"r{i}-{tid}", "text": text, "target": q, "verdict": verdict,
                          "register": register, "kind": "UNQUOTED_REUSE"})
    with open(HERE / "attribution.jsonl", "w", encoding="utf-8") as out:
        out.write(json.dumps({"kind": "outlets", "outlets": OUTLETS}, ensure_ascii=False) + "\n")
        for c in cases:
            out.write(json.dumps(c, ensure_ascii=False) + "\n")
    counts = {}
    for c in cases:
        counts[c["verdict"]] = counts.get(c["verdict"], 0) + 1
    print(len(cases), counts)


if __name__ == "__main__":
    main()
