"""Compare bpe.py (from scratch) with Hugging Face `tokenizers` on IMDb.

    python check.py          # training/encoding/decoding comparisons + tie-break evidence (~2 min on 2 cores)
    python check.py --full   # also: 12,000 random tiny corpora, and every Unicode code point
                             # through both pre-tokenizers (~1 min more)
"""
import json
import random
import sys
import time
import unicodedata
from collections import Counter

import pandas as pd
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

import bpe

DATA = "data/imdb/plain_text/{}-00000-of-00001.parquet"
train_texts = pd.read_parquet(DATA.format("train")).text.tolist()
test_texts = pd.read_parquet(DATA.format("test")).text.tolist()
unsup_texts = pd.read_parquet(DATA.format("unsupervised")).text.tolist()
failures = []
T0 = time.perf_counter()


def section(title):
    print(f"\n[{time.perf_counter() - T0:5.1f}s] == {title} ==")


def library_train(texts, vocab_size, special_tokens=(), min_frequency=0):
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, min_frequency=min_frequency, show_progress=False,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), special_tokens=list(special_tokens))
    tok.train_from_iterator(texts, trainer)
    return tok


def library_vocab_merges(tok):
    vocab = sorted(tok.get_vocab(), key=tok.get_vocab().get)          # id order
    merges = [tuple(m) for m in json.loads(tok.to_str())["model"]["merges"]]
    return vocab, merges


def compare_training(name, texts, vocab_size, special_tokens=(), min_frequency=0, quiet=False):
    t0 = time.perf_counter()
    vocab, merges = bpe.train(texts, vocab_size, special_tokens, min_frequency)
    t_scratch = time.perf_counter() - t0
    t0 = time.perf_counter()
    tok = library_train(texts, vocab_size, special_tokens, min_frequency)
    t_lib = time.perf_counter() - t0
    lib_vocab, lib_merges = library_vocab_merges(tok)
    ours = [(vocab[a], vocab[b]) for a, b in merges]
    ok = vocab == lib_vocab and ours == lib_merges and sorted(set(vocab)) == sorted(vocab)
    if not quiet or not ok:
        print(f"  {'OK ' if ok else 'MISMATCH'} {name:<22} vocab={vocab_size:<5} specials={len(special_tokens)} "
              f"min_freq={min_frequency:<3} -> {len(vocab)} tokens, {len(merges)} merges | "
              f"scratch {t_scratch:5.2f}s  library {t_lib:5.2f}s")
    if not ok:
        failures.append(name)
        k = next((i for i, (x, y) in enumerate(zip(ours, lib_merges)) if x != y), None)
        print("     first differing merge:", k, ours[k] if k is not None else None,
              lib_merges[k] if k is not None else None, "| sizes", len(ours), len(lib_merges))
    return vocab, merges, tok


section("1. training: vocabulary (in id order) and merges (in order)")
for name, texts in [("train[:200]", train_texts[:200]), ("train[:2000]", train_texts[:2000]),
                    ("unsupervised[:2000]", unsup_texts[:2000]), ("train[:5000]", train_texts[:5000])]:
    for vocab_size in (300, 500, 1000):
        compare_training(name, texts, vocab_size)
compare_training("train[:5000]", train_texts[:5000], 2000)
compare_training("train[:2000]", train_texts[:2000], 1000, ["<|endoftext|>", "<pad>"])
compare_training("train[:200]", train_texts[:200], 1000, ["<pad>"], min_frequency=150)  # stops early
compare_training("train[:200]", train_texts[:200], 100, ["<pad>"])  # smaller than the alphabet
compare_training("train[:500]+<|eot|>", [t + "<|endoftext|>" for t in train_texts[:500]], 600,
                 ["<|endoftext|>"])  # special token INSIDE training text: not split out by trainer

section("2. timing: 2,000 train reviews, vocab 1000 (best of 3)")
times = []
for _ in range(3):
    t0 = time.perf_counter()
    bpe.train(train_texts[:2000], 1000)
    times.append(time.perf_counter() - t0)
t0 = time.perf_counter()
words = Counter(w for t in train_texts[:2000] for w in bpe.GPT2_SPLIT.findall(t))
print(f"  scratch: best {min(times):.2f}s, all {['%.2f' % t for t in times]} "
      f"(of which regex word counting {time.perf_counter() - t0:.2f}s; {len(words)} distinct words)")

section("3. encode/decode on held-out text (test split)")
specials = ["<|endoftext|>", "<pad>"]
vocab, merges, tok = compare_training("train[:2000]", train_texts[:2000], 1000, specials, quiet=True)
ours = bpe.BPETokenizer(vocab, merges, specials)
tricky = ["", " ", "Hello world", "  two  spaces  ", "tab\there\nnewline\r\n", "café naïve Ünïcödé",
          "emoji 😀👍🏽 family 👨‍👩‍👧", "<br /><br />This movie was... 10/10!!!", "I'm sure they'd've LOVED it",
          "日本語のテキスト 中文 한국어", "x² ½ ٣ ⅷ", "nbsp\u00a0and\u3000ideographic space\u2028",
          "<|endoftext|>next doc<pad><pad>", "a<|endoftext|>b", "trailing space ", "'s 'S 'll'd",
          "\x00\x01 control \x7f", "zero\u200bwidth"]
n_ids = n_bad = n_round = n_dec = 0
for text in test_texts[:500] + tricky:
    ids = ours.encode(text)
    n_ids += len(ids)
    if ids != tok.encode(text).ids:
        n_bad += 1
        if n_bad <= 3:
            print("  ids differ for", repr(text[:60]), ids[:20], tok.encode(text).ids[:20])
    n_round += ours.decode(ids) != text
    n_dec += ours.decode(ids) != tok.decode(ids, skip_special_tokens=False)
total = 500 + len(tricky)
print(f"  {'OK ' if n_bad == 0 else 'MISMATCH'} encode ids equal for {total - n_bad}/{total} texts ({n_ids} ids)")
print(f"  {'OK ' if n_round == 0 else 'MISMATCH'} decode(encode(x)) == x for {total - n_round}/{total}")
print(f"  {'OK ' if n_dec == 0 else 'MISMATCH'} decode == library decode(skip_special_tokens=False) "
      f"for {total - n_dec}/{total}")
rng = random.Random(0)
junk = [[rng.randrange(2, len(vocab)) for _ in range(rng.randint(1, 12))] for _ in range(2000)]
n_junk = sum(ours.decode(ids) != tok.decode(ids) for ids in junk)
print(f"  {'OK ' if n_junk == 0 else 'MISMATCH'} decode of 2000 random id lists (invalid UTF-8 -> U+FFFD) "
      f"equal for {2000 - n_junk}/2000")
failures += ["encode"] * (n_bad > 0) + ["roundtrip"] * (n_round > 0) + ["decode"] * (n_dec + n_junk > 0)

section("4. tie-breaking: which rule does the library use? (naive trainer, recounts every step)")


def naive_train(texts, vocab_size, pick, alphabet, reference):
    """Slow BPE; stops at the first merge that differs from `reference`."""
    vocab = list(alphabet)
    tid = {t: i for i, t in enumerate(vocab)}
    words = [([tid[c] for c in w], n) for w, n in Counter(
        w for t in texts for w in bpe.pretokenize(t)).items()]
    merges, ties = [], 0
    while len(vocab) < vocab_size:
        counts = Counter()
        for w, n in words:
            for p in zip(w, w[1:]):
                counts[p] += n
        if not counts:
            break
        best = max(counts.values())
        tied = [p for p, c in counts.items() if c == best]
        ties += len(tied) > 1
        pair = pick(tied, vocab)
        tid[vocab[pair[0]] + vocab[pair[1]]] = len(vocab)
        vocab.append(vocab[pair[0]] + vocab[pair[1]])
        merges.append((vocab[pair[0]], vocab[pair[1]]))
        if len(merges) > len(reference) or merges[-1] != reference[len(merges) - 1]:
            break
        words = [(bpe.merge_pair(w, pair, len(vocab) - 1), n) for w, n in words]
    return vocab, merges, ties


texts, vocab_size = train_texts[:300], 600
lib_vocab, lib_merges = library_vocab_merges(library_train(texts, vocab_size))
by_codepoint = sorted(bpe.BYTE_TO_CHAR.values())
by_byte = [bpe.BYTE_TO_CHAR[b] for b in range(256)]
rules = [
    ("smallest (left id, right id), bytes by code point", lambda t, v: min(t), by_codepoint),
    ("largest (left id, right id)", lambda t, v: max(t), by_codepoint),
    ("smallest (left str, right str) lexicographic", lambda t, v: min(t, key=lambda p: (v[p[0]], v[p[1]])),
     by_codepoint),
    ("smallest merged string", lambda t, v: min(t, key=lambda p: v[p[0]] + v[p[1]]), by_codepoint),
    ("first pair seen in the corpus (Counter order)", lambda t, v: t[0], by_codepoint),
    ("smallest (left id, right id), bytes by byte value", lambda t, v: min(t), by_byte),
]
for name, pick, alphabet in rules:
    vocab, merges, ties = naive_train(texts, vocab_size, pick, alphabet, lib_merges)
    same = merges == lib_merges
    k = next((i for i, (x, y) in enumerate(zip(merges + [None], lib_merges + [None])) if x != y), None)
    print(f"  {'MATCH   ' if same else 'differs '} {name:<50} "
          + (f"merges decided by a tie: {ties}/{len(merges)}" if same else
             f"first difference at merge {k}: {(merges + [None])[k]} vs library {(lib_merges + [None])[k]}")
          + ("" if vocab == lib_vocab else "; ids differ"))
    if name.startswith("smallest (left id, right id), bytes by code point") and not (same and vocab == lib_vocab):
        failures.append("naive reference")

if "--full" in sys.argv:
    section("5. random tiny corpora (letters only, heavy ties, vocab up to exhaustion)")
    rng = random.Random(1)
    bad = dup = 0
    for trial in range(12000):
        alpha = rng.choice(["ab", "abc", "aab", "abcab"])
        ws = ["".join(rng.choice(alpha) for _ in range(rng.randint(2, 14))) for _ in range(rng.randint(2, 8))]
        texts = [w for w in ws for _ in range(rng.randint(1, 6))]
        vocab, merges = bpe.train(texts, 256 + 200)
        lib_vocab, lib_merges = library_vocab_merges(library_train(texts, 256 + 200))
        bad += vocab != lib_vocab or [(vocab[a], vocab[b]) for a, b in merges] != lib_merges
        dup += len(lib_merges) + 256 != len(lib_vocab)
    print(f"  {'OK ' if bad == 0 else 'MISMATCH'} {12000 - bad}/12000 equal; "
          f"corpora where two merges produced the same string: {dup}")
    failures += ["random"] * (bad > 0)

    section("6. pre-tokenizer on every code point: bpe.GPT2_SPLIT vs the library's ByteLevel")
    pt = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    differ = []
    for cp in range(0x110000):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        c = chr(cp)
        s = f"a{c}b {c}{c}1 {c}  {c}\n{c}'s{c}"
        if [w for w, _ in pt.pre_tokenize_str(s)] != bpe.pretokenize(s):
            differ.append(cp)
    cats = Counter(unicodedata.category(chr(cp)) for cp in differ)
    print(f"  {len(differ)} code points split differently; their category in Python's Unicode "
          f"{unicodedata.unidata_version} tables: {dict(cats)}")
    print("  (i.e. only characters assigned after Unicode 14: `regex` knows them as letters, the "
          "library's Oniguruma does not)" if set(cats) <= {"Cn"} else "  UNEXPECTED categories")

section("done")
print("ALL OK" if not failures else f"FAILURES: {failures}")
