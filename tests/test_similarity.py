"""The similarity report: planted near-copies rank on top of a class that all started from one stub."""

import json

import nbformat

from autograder import similarity
from autograder.course import CourseFolder

STUB = '''import re
from collections import Counter


def top_words(text: str, k: int) -> list[tuple[str, int]]:
    """The k most frequent lowercase words of `text` as (word, count): most frequent first, ties
    in alphabetical order. Punctuation is not part of a word."""
    # YOUR CODE HERE
    raise NotImplementedError("replace this line with your code")
'''
HEAD = STUB.split("    # YOUR CODE HERE")[0]

HONEST = {
    "ana": '''    words = re.findall(r"[a-z']+", text.lower())
    counts = Counter(words)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return ranked[:k]
''',
    "ben": '''    freq = {}
    for token in text.lower().split():
        token = token.strip(".,;:!?\\"()")
        if token:
            freq[token] = freq.get(token, 0) + 1
    result = list(freq.items())
    result.sort(key=lambda pair: pair[0])
    result.sort(key=lambda pair: pair[1], reverse=True)
    return result[:k]
''',
    "cleo": '''    import heapq
    tally = Counter(w for w in re.split(r"[^a-z']+", text.lower()) if w)
    return heapq.nsmallest(k, tally.items(), key=lambda wc: (-wc[1], wc[0]))
''',
    "dev": '''    from collections import defaultdict
    seen = defaultdict(int)
    i = 0
    lowered = text.lower()
    while i < len(lowered):
        if lowered[i].isalpha() or lowered[i] == "'":
            j = i
            while j < len(lowered) and (lowered[j].isalpha() or lowered[j] == "'"):
                j += 1
            seen[lowered[i:j]] += 1
            i = j
        else:
            i += 1
    best = sorted(seen, key=lambda w: (-seen[w], w))
    return [(w, seen[w]) for w in best[:k]]
''',
    "eve": '''    table = Counter()
    for line in text.splitlines():
        table.update(re.findall(r"[a-z']+", line.lower()))
    groups = {}
    for word, n in table.items():
        groups.setdefault(n, []).append(word)
    out = []
    for n in sorted(groups, reverse=True):
        out += [(word, n) for word in sorted(groups[n])]
    return out[:k]
''',
}
# Two planted pairs: the second of each is the first with its variables renamed and independent
# lines reordered.
ORIGINAL_1 = '''    cleaned = []
    for raw in text.lower().split():
        word = "".join(ch for ch in raw if ch.isalpha() or ch == "'")
        if len(word) > 0:
            cleaned.append(word)
    counter = {}
    for word in cleaned:
        if word not in counter:
            counter[word] = 0
        counter[word] += 1
    by_word = sorted(counter.items())
    by_count = sorted(by_word, key=lambda entry: entry[1], reverse=True)
    limit = min(k, len(by_count))
    return by_count[:limit]
'''
COPY_1 = '''    tokens = []
    table = {}
    for piece in text.lower().split():
        w = "".join(c for c in piece if c.isalpha() or c == "'")
        if len(w) > 0:
            tokens.append(w)
    for w in tokens:
        if w not in table:
            table[w] = 0
        table[w] += 1
    alpha = sorted(table.items())
    limit = min(k, len(alpha))
    ordered = sorted(alpha, key=lambda e: e[1], reverse=True)
    return ordered[:limit]
'''
ORIGINAL_2 = '''    pattern = re.compile(r"[a-z']+")
    found = pattern.findall(text.lower())
    histogram = Counter()
    for item in found:
        histogram[item] += 1
    pairs = [(word, histogram[word]) for word in histogram]
    pairs.sort(key=lambda p: (0 - p[1], p[0]))
    answer = []
    for word, number in pairs:
        if len(answer) == k:
            break
        answer.append((word, number))
    return answer
'''
COPY_2 = '''    rx = re.compile(r"[a-z']+")
    hist = Counter()
    items = rx.findall(text.lower())
    for it in items:
        hist[it] += 1
    combos = [(w, hist[w]) for w in hist]
    combos.sort(key=lambda q: (0 - q[1], q[0]))
    res = []
    for w, num in combos:
        if len(res) == k:
            break
        res.append((w, num))
    return res
'''
PLANTED = {"fay": ORIGINAL_1, "gus": COPY_1, "hal": ORIGINAL_2, "ivy": COPY_2}


def answers() -> dict[str, str]:
    got = {s: HEAD + body for s, body in {**HONEST, **PLANTED}.items()}
    for code in got.values():  # every answer is a working solution
        namespace = {}
        exec(code, namespace)
        assert namespace["top_words"]("b a b, c a b!", 2) == [("b", 3), ("a", 2)]
    return got


def test_planted_copies_rank_on_top():
    pairs = similarity.compare("00_setup", STUB, answers())
    top = {frozenset((p.a, p.b)) for p in pairs[:2]}
    assert top == {frozenset(("fay", "gus")), frozenset(("hal", "ivy"))}, [(p.a, p.b, round(p.score, 2)) for p in pairs[:5]]
    honest = [p.score for p in pairs if frozenset((p.a, p.b)) not in top]
    assert min(p.score for p in pairs[:2]) >= similarity.THRESHOLD > max(honest)


def test_the_shared_stub_alone_is_not_similar():
    stub_only = {s: STUB + "\n# my notes\nprint('hi')\n" for s in ("a", "b", "c")}
    assert all(p.score == 0 for p in similarity.compare("00_setup", STUB, stub_only))


def test_side_by_side_pages_escape_student_code(tmp_path):
    course = tmp_path / "course"
    hostile = "</pre><script>alert(1)</script>\n"
    for student, code in answers().items():
        if student in ("fay", "gus"):
            code += f"    # {hostile}"
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
        path = CourseFolder(course).submission(student, "00_setup")
        path.parent.mkdir(parents=True)
        path.write_text(json.dumps(nb))
    pairs = similarity.write(course, tmp_path / "pages")
    flagged = [p for p in pairs if p.page]
    assert {frozenset((p.a, p.b)) for p in flagged} == {frozenset(("fay", "gus")), frozenset(("hal", "ivy"))}
    page = (tmp_path / "pages" / next(p.page for p in flagged if "fay" in (p.a, p.b))).read_text()
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    table = "\n".join(similarity.markdown(pairs))
    assert table.index("fay") < table.index("ana") and "similarity/00_setup-1.html" in table


def test_hostile_submissions_do_not_stop_the_comparison(tmp_path):
    course = tmp_path / "course"
    folder = CourseFolder(course)
    notebooks = {
        "deep": b"[" * 100_000,                                   # nesting no parser should follow
        "odd": json.dumps({"cells": [{"cell_type": "code", "source": [1, None]}, "x", {"cell_type": "code",
                                                                                      "source": 7}]}).encode(),
        "binary": bytes(range(256)) * 10,
        "untokenizable": json.dumps(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
            "def f(:\n  '''unterminated\n\x00" + HEAD)])).encode(),
        **{s: json.dumps(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(HEAD + PLANTED[s])])).encode()
           for s in ("fay", "gus")},
    }
    for student, data in notebooks.items():
        path = folder.submission(student, "00_setup")
        path.parent.mkdir(parents=True)
        path.write_bytes(data)
    secret = tmp_path / "secret.txt"
    secret.write_text("not a notebook")
    link = folder.submission("linker", "00_setup")
    link.parent.mkdir(parents=True)
    link.symlink_to(secret)
    pairs = similarity.write(course, tmp_path / "pages")
    assert (pairs[0].a, pairs[0].b) == ("fay", "gus") and pairs[0].page
    assert all("linker" not in (p.a, p.b) for p in pairs)
