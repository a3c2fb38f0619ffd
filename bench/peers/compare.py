"""Verbatim side by side with what a newsroom would use instead, on the same register and the same
articles: PostgreSQL pg_trgm (the do-it-yourself lookup) and Quid (a published tool for finding
inexact quotations of a source in a text). See README.md beside this file.

The test set: a register of real sentences from PolNeAR news (the quotations), and BBC articles
with registered quotations planted in them, half quoted correctly (verbatim, or an excerpt with
an ellipsis) and half misquoted (a word changed, a negation dropped or added, a number changed).
Every tool is scored on the same planted quotations: did it find each one (matched to the right
registered quotation), and did it tell misquoted from verified; and it is timed per article.
"""

import argparse
import bisect
import importlib
import json
import random
import re
import statistics
import sys
import tempfile
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

QUOTE_MARKS = "\"“”«»„‟"
NEGATIONS = {"not", "no", "never", "n't"}
SPEAKERS = ["Alex Morgan", "Priya Natarajan", "Tomás Herrera", "Grace Okafor", "Lena Fischer",
            "Samuel Adeyemi", "Mei Lin", "Jonas Berg"]


# ---------------------------------------------------------------------------------------------
# The test set


@dataclass
class Planted:
    article: int
    start: int  # code-point offsets of the quoted words (inside the marks) in the article
    end: int
    quote: int  # index in the register
    expected: str  # "verified" or "misquoted"
    how: str  # what was done to the words


@dataclass
class TestSet:
    register: list
    articles: list
    planted: list = field(default_factory=list)


def sentences(texts):
    """Distinct sentences of 8 to 40 words without quotation marks, in order of appearance."""
    seen, out = set(), []
    for text in texts:
        for sentence in re.split(r"(?<=[.!?])\s+", text):
            sentence = " ".join(sentence.split())
            words = sentence.split()
            # Sentences that quote someone themselves (PolNeAR writes some quotations as
            # ''…'') would plant quotations inside the planted ones.
            if 8 <= len(words) <= 40 and not any(m in sentence for m in QUOTE_MARKS) \
                    and "''" not in sentence \
                    and sentence[0].isupper() and sentence not in seen:
                seen.add(sentence)
                out.append(sentence)
    return out


def misquote(words, rng, vocabulary):
    """One misquotation of `words`: a number changed, a negation dropped or added, or a content
    word replaced. Returns (new words, what was done)."""
    numbers = [i for i, w in enumerate(words) if re.fullmatch(r"\d[\d,.]*%?", w.rstrip(".,;:"))]
    negations = [i for i, w in enumerate(words) if w.lower().strip(".,;:") in NEGATIONS]
    new = list(words)
    choice = rng.random()
    if numbers and choice < 0.4:
        i = rng.choice(numbers)
        digits = re.sub(r"\d", lambda m: str((int(m.group()) + 3) % 10), new[i], count=1)
        new[i] = digits if digits != new[i] else new[i] + "0"
        return new, "number changed"
    if negations and choice < 0.8:
        del new[rng.choice(negations)]
        return new, "negation dropped"
    aux = [i for i, w in enumerate(words[:-1]) if w.lower() in {"is", "was", "are", "were", "will", "would", "can", "could", "should", "has", "have", "had", "do", "does", "did"}]
    if aux and choice < 0.6:
        i = rng.choice(aux)
        new.insert(i + 1, "not")
        return new, "negation added"
    content = [i for i, w in enumerate(words) if len(w.strip(".,;:")) > 3 and i > 0]
    i = rng.choice(content or list(range(len(words))))
    replacement = rng.choice(vocabulary)
    while replacement.lower() == words[i].lower().strip(".,;:"):
        replacement = rng.choice(vocabulary)
    trail = words[i][len(words[i].rstrip(".,;:")):]
    new[i] = replacement + trail
    return new, "word replaced"


def build_test_set(corpus: Path, quotes: int, articles: int, seed: int) -> TestSet:
    rng = random.Random(seed)
    polnear = [json.loads(line)["text"] for line in open(corpus / "polnear-news-train.jsonl")]
    bbc = [json.loads(line)["text"] for line in open(corpus / "bbc-news-dev.jsonl")]
    register = sentences(polnear)[:quotes]
    if len(register) < quotes:
        raise SystemExit(f"the corpus holds only {len(register)} usable sentences")
    vocabulary = [w for s in register[:2000] for w in s.split() if w.isalpha() and len(w) > 3]
    test = TestSet(register=register, articles=[])
    chosen = rng.sample(range(len(register)), 4 * articles)
    for a in range(articles):
        paragraphs = [p for p in bbc[a % len(bbc)].split("\n") if p.strip()]
        plants = []
        for k, q in enumerate(chosen[4 * a:4 * a + 4]):
            words = register[q].split()
            if k == 0:
                new, how, expected = words, "verbatim", "verified"
            elif k == 1:
                # An excerpt with an elision: the journalists' convention, quoted correctly.
                if len(words) >= 10:
                    cut = rng.randrange(3, len(words) - 5)
                    new = words[:cut] + ["…"] + words[cut + 2:]
                    how = "excerpt with an ellipsis"
                else:
                    new, how = words, "verbatim"
                expected = "verified"
            else:
                new, how = misquote(words, rng, vocabulary)
                expected = "misquoted"
            plants.append((q, " ".join(new), how, expected))
        # Each planted quotation is a paragraph of its own, credited to a speaker.
        positions = sorted(rng.sample(range(len(paragraphs) + 1), len(plants)), reverse=True)
        for position, (q, words, how, expected) in zip(positions, plants):
            speaker = SPEAKERS[q % len(SPEAKERS)]
            paragraphs.insert(position, f"{speaker} said: “{words}”")
        text = "\n\n".join(paragraphs)
        for q, words, how, expected in plants:
            start = text.index(f"“{words}”") + 1
            test.planted.append(Planted(a, start, start + len(words), q, expected, how))
        test.articles.append(text)
    return test


# ---------------------------------------------------------------------------------------------
# What every tool reports


@dataclass
class Match:
    start: int
    end: int
    quote: int
    verdict: str  # "verified" or "misquoted"


def normalized_words(text):
    """Lowercase words without punctuation (NFKC, curly apostrophes straightened)."""
    text = unicodedata.normalize("NFKC", text).replace("’", "'").lower()
    return re.findall(r"[\w']+", text)


ELLIPSIS = re.compile(r"…|\.\s?\.\s?\.")


def same_words(quoted, registered):
    """The do-it-yourself verdict given to pg_trgm's and Quid's matches: quoted correctly when
    every stretch between ellipses appears, word for word and in order, in the registered words
    (an excerpt counts as correct)."""
    target = normalized_words(registered)
    position = 0
    for part in ELLIPSIS.split(quoted):
        words = normalized_words(part)
        if not words:
            continue
        found = -1
        for i in range(position, len(target) - len(words) + 1):
            if target[i:i + len(words)] == words:
                found = i
                break
        if found < 0:
            return False
        position = found + len(words)
    return True


def quotations_in(text):
    """What a do-it-yourself integration finds to look up: text between quotation marks, four
    words or more."""
    found = []
    for match in re.finditer(r"“([^”]{1,2000})”|\"([^\"]{1,2000})\"|«([^»]{1,2000})»", text):
        group = next(g for g in (1, 2, 3) if match.group(g) is not None)
        if len(match.group(group).split()) >= 4:
            found.append((match.start(group), match.end(group)))
    return found


# ---------------------------------------------------------------------------------------------
# The tools


class Verbatim:
    name = "Verbatim"

    def __init__(self, server, proto_root, register):
        import grpc
        out = tempfile.mkdtemp()
        from grpc_tools import protoc
        import grpc_tools
        well_known = Path(grpc_tools.__file__).parent / "_proto"
        files = [str(p.relative_to(proto_root)) for p in sorted(proto_root.rglob("*.proto"))]
        if protoc.main(["protoc", f"-I{proto_root}", f"-I{well_known}", f"--python_out={out}",
                        f"--grpc_python_out={out}", *files]) != 0:
            raise SystemExit("protoc failed")
        sys.path.insert(0, out)
        self.registry_pb2 = importlib.import_module("verbatim.v1.registry_pb2")
        registry_grpc = importlib.import_module("verbatim.v1.registry_pb2_grpc")
        self.check_pb2 = importlib.import_module("verbatim.v1.check_pb2")
        check_grpc = importlib.import_module("verbatim.v1.check_pb2_grpc")
        self.channel = grpc.insecure_channel(server)
        self.registry = registry_grpc.RegistryStub(self.channel)
        self.checker = check_grpc.CheckerStub(self.channel)
        self.by_text = {text: i for i, text in enumerate(register)}
        self.register = register

    def prepare(self):
        pb = self.registry_pb2
        requests = (pb.RegisterQuoteRequest(text=text, speaker=SPEAKERS[i % len(SPEAKERS)])
                    for i, text in enumerate(self.register))
        response = self.registry.RegisterQuotes(requests, timeout=600)
        if response.rejected:
            raise SystemExit(f"Verbatim refused {len(response.rejected)} quotations")

    def check(self, text):
        response = self.checker.CheckText(self.check_pb2.CheckTextRequest(text=text), timeout=60)
        # Spans come in UTF-8 bytes; the test set counts code points.
        encoded = text.encode("utf-8")
        to_chars = lambda b: len(encoded[:b].decode("utf-8"))
        verdicts = {self.check_pb2.MATCH_VERDICT_VERIFIED: "verified",
                    self.check_pb2.MATCH_VERDICT_MISQUOTED: "misquoted"}
        matches = []
        for finding in response.findings:
            if finding.verdict in verdicts and finding.quote.text in self.by_text:
                matches.append(Match(to_chars(finding.span.start), to_chars(finding.span.end),
                                     self.by_text[finding.quote.text], verdicts[finding.verdict]))
        return matches


class PgTrgm:
    name = "PostgreSQL pg_trgm"

    def __init__(self, database_url, register):
        import psycopg
        self.psycopg = psycopg
        self.admin_url = database_url
        self.database = f"verbatim_peers_{int(time.time())}"
        with psycopg.connect(database_url, autocommit=True) as admin:
            admin.execute(f"CREATE DATABASE {self.database}")
        base = database_url.rsplit("/", 1)[0]
        self.conn = psycopg.connect(f"{base}/{self.database}", autocommit=True)
        self.register = register

    def prepare(self):
        c = self.conn
        c.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        c.execute("CREATE TABLE register (id integer PRIMARY KEY, text text NOT NULL)")
        with c.cursor() as cur:
            with cur.copy("COPY register (id, text) FROM STDIN") as copy:
                for i, text in enumerate(self.register):
                    copy.write_row((i, text))
        c.execute("CREATE INDEX register_trgm ON register USING gin (text gin_trgm_ops)")
        c.execute("ANALYZE register")
        # The same threshold Verbatim uses between a misquotation and no match.
        c.execute("SET pg_trgm.word_similarity_threshold = 0.6")

    def check(self, text):
        matches = []
        for start, end in quotations_in(text):
            quoted = text[start:end]
            row = self.conn.execute(
                "SELECT id, text FROM register WHERE %s <%% text "
                "ORDER BY word_similarity(%s, text) DESC LIMIT 1", (quoted, quoted)).fetchone()
            if row:
                verdict = "verified" if same_words(quoted, row[1]) else "misquoted"
                matches.append(Match(start, end, row[0], verdict))
        return matches

    def close(self):
        self.conn.close()
        with self.psycopg.connect(self.admin_url, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {self.database} WITH (FORCE)")


class Quid:
    name = "Quid"

    def __init__(self, register):
        from quid.core.Quid import Quid as QuidMatcher
        self.quid = QuidMatcher()
        self.register = register
        self.source = "\n".join(register)
        self.line_starts = []
        position = 0
        for text in register:
            self.line_starts.append(position)
            position += len(text) + 1

    def prepare(self):
        self.cached = self.quid.prepare_source_data(self.source)

    def check(self, text):
        matches = []
        for found in self.quid.compare(self.source, text, *self.cached):
            quote = bisect.bisect_right(self.line_starts, found.source_span.start) - 1
            quoted = text[found.target_span.start:found.target_span.end]
            verdict = "verified" if same_words(quoted, self.register[quote]) else "misquoted"
            matches.append(Match(found.target_span.start, found.target_span.end, quote, verdict))
        return matches


# ---------------------------------------------------------------------------------------------
# Scoring


def overlap(a_start, a_end, b_start, b_end):
    return max(0, min(a_end, b_end) - max(a_start, b_start))


def score(test, results, show=None):
    """Precision and recall of finding the planted quotations, and of each verdict; `show`
    prints each miss and each false match."""
    by_article = {}
    for p in test.planted:
        by_article.setdefault(p.article, []).append(p)
    hit = {}
    true_matches = 0
    verdicts = {"verified": [0, 0, 0], "misquoted": [0, 0, 0]}  # tp, fp, fn
    total_matches = 0
    for article, matches in enumerate(results):
        for m in matches:
            total_matches += 1
            planted = [p for p in by_article.get(article, [])
                       if p.quote == m.quote and overlap(m.start, m.end, p.start, p.end) * 2 >= p.end - p.start]
            if planted:
                true_matches += 1
                p = planted[0]
                key = (p.article, p.start)
                # A planted quotation found twice counts once, with its first verdict.
                if key not in hit:
                    hit[key] = m.verdict
                    if m.verdict == p.expected:
                        verdicts[m.verdict][0] += 1
                    else:
                        verdicts[m.verdict][1] += 1
            else:
                verdicts[m.verdict][1] += 1
                if show:
                    show(f"false match ({m.verdict}) in article {article}: "
                         f"{test.articles[article][m.start:m.end]!r} -> {test.register[m.quote]!r}")
    for p in test.planted:
        if hit.get((p.article, p.start)) != p.expected:
            verdicts[p.expected][2] += 1
            if show:
                show(f"{p.how}, expected {p.expected}, got {hit.get((p.article, p.start))}: "
                     f"{test.articles[p.article][p.start:p.end]!r} (registered "
                     f"{test.register[p.quote]!r})")
    ratio = lambda a, b: a / b if b else 0.0
    out = {
        "found_precision": ratio(true_matches, total_matches),
        "found_recall": ratio(len(hit), len(test.planted)),
        "matches": total_matches,
    }
    for name, (tp, fp, fn) in verdicts.items():
        out[f"{name}_precision"] = ratio(tp, tp + fp)
        out[f"{name}_recall"] = ratio(tp, tp + fn)
    return out


def run(tool, test, show=None):
    started = time.perf_counter()
    tool.prepare()
    prepared = time.perf_counter() - started
    tool.check(test.articles[0])  # warm up
    results, times = [], []
    for text in test.articles:
        t = time.perf_counter()
        results.append(tool.check(text))
        times.append(time.perf_counter() - t)
    scored = score(test, results, show if show else None)
    scored.update({
        "tool": tool.name,
        "prepare_seconds": prepared,
        "ms_per_article_mean": 1000 * statistics.mean(times),
        "ms_per_article_median": 1000 * statistics.median(times),
    })
    print(f"  {tool.name}: {scored['ms_per_article_mean']:.2f} ms per article, found "
          f"P {scored['found_precision']:.3f} R {scored['found_recall']:.3f}", flush=True)
    return scored


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", required=True, help="Verbatim's address, HOST:PORT")
    parser.add_argument("--proto-root", required=True, type=Path)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--corpus", required=True, type=Path)
    parser.add_argument("--quotes", type=int, default=10_000)
    parser.add_argument("--articles", type=int, default=80)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--skip-quid", action="store_true", help="leave Quid out (it is slow)")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--show-errors", action="store_true",
                        help="print every missed planted quotation and every false match")
    args = parser.parse_args()

    test = build_test_set(args.corpus, args.quotes, args.articles, args.seed)
    counts = {}
    for p in test.planted:
        counts[p.how] = counts.get(p.how, 0) + 1
    print(f"register of {len(test.register)} quotations; {len(test.articles)} articles with "
          f"{len(test.planted)} planted quotations: {counts}", flush=True)

    tools = [Verbatim(args.server, args.proto_root, test.register),
             PgTrgm(args.database_url, test.register)]
    if not args.skip_quid:
        tools.append(Quid(test.register))
    rows = []
    try:
        for tool in tools:
            show = (lambda line, name=tool.name: print(f"    [{name}] {line}")) \
                if args.show_errors else None
            rows.append(run(tool, test, show))
    finally:
        for tool in tools:
            if hasattr(tool, "close"):
                tool.close()

    header = ("tool", "ms/article", "found P", "found R", "verified P", "verified R",
              "misquoted P", "misquoted R", "set-up s")
    print("\n| " + " | ".join(header) + " |")
    print("|" + " --- |" * len(header))
    for r in rows:
        print(f"| {r['tool']} | {r['ms_per_article_mean']:.2f} | {r['found_precision']:.3f} | "
              f"{r['found_recall']:.3f} | {r['verified_precision']:.3f} | "
              f"{r['verified_recall']:.3f} | {r['misquoted_precision']:.3f} | "
              f"{r['misquoted_recall']:.3f} | {r['prepare_seconds']:.1f} |")
    ours = rows[0]
    others = rows[1:]
    fastest = min(others, key=lambda r: r["ms_per_article_mean"])
    speedup = fastest["ms_per_article_mean"] / ours["ms_per_article_mean"]
    print(f"\nVerbatim is {speedup:.1f}x faster per article than the fastest alternative "
          f"({fastest['tool']}); per tool: " + ", ".join(
              f"{r['tool']} {r['ms_per_article_mean'] / ours['ms_per_article_mean']:.1f}x"
              for r in others))
    keys = ["found_precision", "found_recall", "verified_precision", "verified_recall",
            "misquoted_precision", "misquoted_recall"]
    leads = all(ours[k] >= r[k] for r in others for k in keys)
    print("Verbatim leads on every quality figure" if leads else
          "Verbatim does NOT lead on every quality figure")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps({"planted": counts, "results": rows}, indent=2))
    return 0 if leads and speedup >= 10 else 1


if __name__ == "__main__":
    sys.exit(main())
