#!/usr/bin/env python3
"""Writes the labelled checking corpus: register.jsonl (invented quotations, written for these
tests) and checking.jsonl (article snippets that use them, each with the verdict a correct check
reports). Deterministic: run it again after editing QUOTES or the case makers.

  python3 tests/corpus/generate.py

Every quotation here is invented; none is taken from the shared corpora."""

import json
from pathlib import Path

HERE = Path(__file__).parent

# text, speaker, a number in the text, a name in the text (not first word), an auxiliary after
# which "not" can be inserted (or None), an existing negation that can be dropped (or None)
QUOTES = [
    ("We will not raise the fuel duty before 2027, whatever the Treasury models say.", "Helen Marsh", "2027", "Treasury", None, "not"),
    ("The new bridge will carry 40,000 vehicles a day once the Northern link opens.", "Tomasz Wilk", "40,000", "Northern", "will", None),
    ("Our hospitals have treated 12 million patients since the winter began, and Dr Okafor's team led the way.", "Amina Okafor", "12", "Okafor's", "have", None),
    ("I can promise you that the harbour at Kellmouth is safe for fishing boats again.", "Rory Dunne", None, "Kellmouth", "is", None),
    ("Three schools in Brennan County must close because the roofs are unsafe.", "Lydia Brennan", "Three", "Brennan", "must", None),
    ("The council never agreed to sell the Victoria Park land to a private developer.", "Sam Achebe", None, "Victoria", None, "never"),
    ("Inflation should fall to 3 percent by the spring, according to our central forecast.", "Mei Tanaka", "3", None, "should", None),
    ("We are not going to negotiate with Halvorsen while the strike continues.", "Peter Lund", None, "Halvorsen", None, "not"),
    ("The vaccine was tested on 8,500 volunteers across Ghana and Kenya over two years.", "Efua Mensah", "8,500", "Ghana", "was", None),
    ("This government has cut waiting lists by a quarter and will keep cutting them.", "Owen Price", "quarter", None, "has", None),
    ("Nobody at Ashworth Mills knew that the river would flood that quickly.", "Gail Ashworth", None, "Ashworth", None, "Nobody"),
    ("The army withdrew 600 troops from the border after talks with Minister Varga.", "Istvan Varga", "600", "Varga", None, None),
    ("Farmers in the valley can expect 20 percent less water this summer than last.", "Carlos Ruiz", "20", None, "can", None),
    ("The museum will return the bronze heads to Benin within eighteen months.", "Ngozi Adeyemi", "eighteen", "Benin", "will", None),
    ("I did not see the report from Inspector Hale until the morning of the vote.", "Dana Whitfield", None, "Hale", None, "not"),
    ("Rail fares are rising by 5 percent in January, the largest increase in a decade.", "Ian Mercer", "5", "January", "are", None),
    ("Our investigation found that the Glenbrook plant dumped waste into the river for years.", "Priya Nair", None, "Glenbrook", None, None),
    ("The treaty gives Norway and Iceland equal fishing rights in the northern waters.", "Astrid Berg", None, "Norway", None, None),
    ("We have built 2,000 affordable homes in Leeds and we are building more every month.", "Kate Holloway", "2,000", "Leeds", "have", None),
    ("The storm damaged 70 houses in Portmore but no one was seriously hurt.", "Devon Clarke", "70", "Portmore", None, "no"),
    ("Students from Harlow College will march on the ministry next Tuesday.", "Femi Adebayo", None, "Harlow", "will", None),
    ("The company cannot guarantee that the Dunmore factory will stay open past March.", "Liam Foley", None, "Dunmore", None, "cannot"),
    ("Our satellite data shows the glacier lost 9 metres of ice last year alone.", "Sofia Lindqvist", "9", None, None, None),
    ("The mayor is determined to reopen the Eastgate library before the end of the year.", "Ruth Okonjo", None, "Eastgate", "is", None),
]
RETRACTED = {5, 17}  # indexes of quotes registered, then retracted

NUMBER_SWAP = {"2027": "2029", "40,000": "14,000", "12": "21", "Three": "Five", "3": "4", "8,500": "5,800",
               "quarter": "half", "600": "900", "20": "30", "eighteen": "eight", "5": "15", "2,000": "200",
               "70": "17", "9": "19"}
NAME_SWAP = {"Treasury": "Chancellor", "Northern": "Southern", "Okafor's": "Mensah's", "Kellmouth": "Portmore",
             "Brennan": "Dalton", "Victoria": "Albert", "Halvorsen": "Lindqvist", "Ghana": "Nigeria",
             "Ashworth": "Kirkby", "Varga": "Horvath", "Benin": "Lagos", "Hale": "Morse", "January": "March",
             "Glenbrook": "Fairfield", "Norway": "Sweden", "Leeds": "Bradford", "Portmore": "Kellmouth",
             "Harlow": "Exeter", "Dunmore": "Carlow", "Eastgate": "Westgate"}
CONTENT_SWAP = [("safe", "dangerous"), ("close", "merge"), ("tested", "trialled"), ("flood", "rise"),
                ("withdrew", "moved"), ("return", "sell"), ("damaged", "destroyed"), ("march", "protest"),
                ("dumped", "stored"), ("rising", "jumping"), ("lost", "gained"), ("reopen", "close"),
                ("carry", "handle"), ("treated", "seen"), ("fall", "drop"), ("negotiate", "talk"),
                ("cut", "reduced"), ("knew", "thought"), ("expect", "get"), ("see", "read"), ("found", "showed"),
                ("gives", "grants"), ("built", "planned"), ("guarantee", "promise"), ("shows", "suggests"),
                ("determined", "hoping")]
FUNCTION_SWAP = [(" the ", " a "), (" that ", " which "), (" a ", " the "), (" and ", " or ")]
FRAMES = [
    "{speaker} said: {q}",
    "{q} {speaker} told reporters on Monday.",
    "In a statement, {speaker} said {q}",
    "{speaker}, speaking in the afternoon, insisted {q}",
]


def quoted(words, style="curly"):
    marks = {"curly": ("“", "”"), "straight": ('"', '"'), "single": ("‘", "’"), "guillemets": ("« ", " »"),
             "low": ("„", "“")}[style]
    return f"{marks[0]}{words}{marks[1]}"


def frame(i, speaker, q):
    return FRAMES[i % len(FRAMES)].format(speaker=speaker, q=q)


def strip_end(text):
    return text.rstrip(".")


def cases_for(i, text, speaker, number, name, aux, negation):
    words = strip_end(text).split(" ")
    cases = []

    def add(kind, article, target, verdict, reason=None, finding_kind="QUOTATION"):
        cases.append({"id": f"q{i:02}-{kind}", "text": article, "target": target, "verdict": verdict,
                      "reason": reason, "kind": finding_kind})

    retracted = i in RETRACTED
    ok = "RETRACTED" if retracted else "VERIFIED"
    add("verbatim", frame(i, speaker, quoted(text)), text, ok)
    add("straight", frame(i + 1, speaker, quoted(text, "straight")), text, ok)
    add("single", frame(i + 2, speaker, quoted(text, "single")), text, ok)
    add("guillemets", f"{speaker} a dit {quoted(text, 'guillemets')} hier.", text, ok)
    add("low-9", f"{speaker} sagte {quoted(text, 'low')} gestern.", text, ok)
    shouted = text.upper().replace(", ", " — ")
    add("typography", frame(i, speaker, quoted(shouted)), shouted, ok)
    trap = (f"The students’ union, in its ’90s-era hall, didn’t agree; {speaker}’s aide quoted "
            f"{quoted(text, 'single')} and the union’s reply followed.")
    add("apostrophe-trap", trap, text, ok)
    if retracted:
        return cases
    n = len(words)
    excerpt = " ".join(words[2:n - 2])
    add("excerpt", f"{speaker} said the plan meant {quoted(excerpt)} for now.", excerpt, "VERIFIED")
    elided = " ".join(words[:4]) + " … " + " ".join(words[n - 4:])
    add("ellipsis", frame(i, speaker, quoted(elided)), elided, "VERIFIED")
    dots = " ".join(words[:3]) + " ... " + " ".join(words[n - 5:])
    add("three-dots", frame(i + 1, speaker, quoted(dots)), dots, "VERIFIED")
    bracketed = " ".join(words[:3]) + " [in 2024] " + " ".join(words[3:])
    add("bracket-insertion", frame(i, speaker, quoted(bracketed)), bracketed, "VERIFIED")
    sic = " ".join(words[:5]) + " [sic] " + " ".join(words[5:])
    add("sic", frame(i + 2, speaker, quoted(sic)), sic, "VERIFIED")
    cut = n // 2
    first, second = " ".join(words[:cut]), " ".join(words[cut:])
    split_article = f"“{first},” {speaker} said, “{second.lower()[0]}{second[1:]}.”"
    add("split", split_article, first, "VERIFIED")
    multi = f"{speaker} said: “{first}.\n\n“{second}.”\n\nThe meeting then ended."
    add("multi-paragraph", multi, first, "VERIFIED")
    nested = f"“She told us ‘{text}’ and walked out of the room,” a colleague said."
    add("nested", nested, strip_end(text), "VERIFIED")
    reuse = f"Officials repeated that {text[0].lower()}{text[1:]} Nobody objected."
    add("unquoted-reuse", reuse, " ".join(words[1:9]), "VERIFIED", finding_kind="UNQUOTED_REUSE")
    # Misquotes.
    if negation:
        dropped = " ".join(w for w in words if w != negation) if negation.islower() else None
        if negation == "Nobody":
            dropped = "Everybody" + strip_end(text)[len("Nobody"):]
        if negation == "cannot":
            dropped = strip_end(text).replace("cannot", "can")
        if negation == "no":
            dropped = strip_end(text).replace("no one", "one person")
        add("negation-dropped", frame(i, speaker, quoted(dropped)), dropped, "MISQUOTED", "NEGATION_CHANGED")
    if aux:
        added = strip_end(text).replace(f" {aux} ", f" {aux} not ", 1) if f" {aux} " in text else \
            strip_end(text).replace(f"{aux} ", f"{aux} not ", 1)
        add("negation-added", frame(i + 1, speaker, quoted(added)), added, "MISQUOTED", "NEGATION_CHANGED")
    if number:
        changed = strip_end(text).replace(number, NUMBER_SWAP[number], 1)
        add("number", frame(i, speaker, quoted(changed)), changed, "MISQUOTED", "NUMBER_CHANGED")
    if name:
        changed = strip_end(text).replace(name, NAME_SWAP[name], 1)
        add("name", frame(i + 2, speaker, quoted(changed)), changed, "MISQUOTED", "NAME_CHANGED")
    for old, new in CONTENT_SWAP:
        if f" {old} " in text:
            changed = strip_end(text).replace(f" {old} ", f" {new} ", 1)
            add("content-word", frame(i, speaker, quoted(changed)), changed, "MISQUOTED", "WORDS_CHANGED")
            break
    for old, new in FUNCTION_SWAP:
        if old in text:
            changed = strip_end(text).replace(old, new, 1)
            add("function-word", frame(i + 3, speaker, quoted(changed)), changed, "MISQUOTED", "WORDS_CHANGED")
            break
    dropped_word = " ".join(words[:3] + words[4:])
    add("word-dropped", frame(i, speaker, quoted(dropped_word)), dropped_word, "MISQUOTED", "WORDS_DROPPED")
    padded = " ".join(words[:6]) + " and we will say much more about it when the inquiry finally reports next year"
    add("fabricated-continuation", frame(i, speaker, quoted(padded)), padded, "UNREGISTERED")
    add("scare-quote", f"Critics called the plan {quoted(words[-1])} and moved on.", words[-1], "TOO_SHORT")
    return cases


UNRELATED = [
    "“We will look at every option before the budget,” a spokesman said.",
    "“The council has not yet decided what to do with the land,” the leader said.",
    "“Our teams are working around the clock to restore power,” the company said.",
    "“I think the people of this town deserve better than that,” she told the meeting.",
    "“There is no evidence that the water was ever unsafe to drink,” the regulator said.",
    "“This is one of the best results we have had in years,” the coach said.",
    "“The river would flood in the spring in most years,” a farmer recalled.",
    "“The new rules will apply from the start of next year,” the minister said.",
    "“We are going to keep fighting for these jobs,” the union said.",
    "“Nobody expected the numbers to be this high,” an analyst said.",
    "‘We have always said the bridge was too expensive,’ the campaigner said.",
    "He said the report was “deeply flawed and should never have been published”.",
]


def main():
    register = []
    cases = []
    for i, (text, speaker, number, name, aux, negation) in enumerate(QUOTES):
        register.append({"kind": "quote", "text": text, "speaker": speaker})
        cases.extend(cases_for(i, text, speaker, number, name, aux, negation))
    for j, article in enumerate(UNRELATED):
        target = article.split("“")[1].split("”")[0] if "“" in article else article.split("‘")[1].split("’")[0]
        cases.append({"id": f"unrelated-{j:02}", "text": article, "target": target, "verdict": "UNREGISTERED",
                      "reason": None, "kind": "QUOTATION"})
    retractions = [{"kind": "retraction", "text": QUOTES[i][0], "reason": "withdrawn by the speaker"} for i in sorted(RETRACTED)]
    with open(HERE / "register.jsonl", "w") as out:
        for line in register + retractions:
            out.write(json.dumps(line, ensure_ascii=False) + "\n")
    with open(HERE / "checking.jsonl", "w") as out:
        for case in cases:
            out.write(json.dumps(case, ensure_ascii=False) + "\n")
    print(f"{len(register)} quotes, {len(cases)} cases")


if __name__ == "__main__":
    main()
