"""Byte-level BPE (GPT-2 style) from scratch, matching Hugging Face `tokenizers`.

Vocabulary ids: special tokens first, then the 256 byte characters sorted by
code point, then one new token per merge, in the order the merges were learned.
"""
import heapq
from collections import Counter, defaultdict

import regex  # the standard `re` module has no \p{L} (letter) / \p{N} (number) classes

GPT2_SPLIT = regex.compile(
    r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+""")


def bytes_to_unicode():
    """GPT-2's table: every byte 0..255 gets a visible character ('Ġ' for space)."""
    visible = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1),
               *range(ord("®"), ord("ÿ") + 1)]
    table = {b: chr(b) for b in visible}
    for n, b in enumerate(b for b in range(256) if b not in table):
        table[b] = chr(256 + n)  # the 68 invisible bytes go to chr(256), chr(257), ...
    return table


BYTE_TO_CHAR = bytes_to_unicode()
CHAR_TO_BYTE = {c: b for b, c in BYTE_TO_CHAR.items()}


def to_byte_chars(word):
    """Write a word's UTF-8 bytes as characters of the 256-character alphabet."""
    return "".join(BYTE_TO_CHAR[b] for b in word.encode("utf-8"))


def pretokenize(text):
    """Split text into words with the GPT-2 regex, in the byte alphabet."""
    return [to_byte_chars(word) for word in GPT2_SPLIT.findall(text)]


def merge_pair(ids, pair, new_id):
    """Replace each occurrence of `pair` in `ids`, left to right, by `new_id`."""
    out, i = [], 0
    while i < len(ids):
        if i + 1 < len(ids) and (ids[i], ids[i + 1]) == pair:
            out.append(new_id)
            i += 2
        else:
            out.append(ids[i])
            i += 1
    return out


def train(texts, vocab_size, special_tokens=(), min_frequency=0):
    """Learn merges until the vocabulary has `vocab_size` tokens. Returns (vocab, merges)."""
    vocab = list(special_tokens) + sorted(BYTE_TO_CHAR.values())  # sorted by code point
    token_id = {tok: i for i, tok in enumerate(vocab)}
    word_counts = Counter(w for text in texts for w in GPT2_SPLIT.findall(text))
    words = [[token_id[ch] for ch in to_byte_chars(w)] for w in word_counts]  # distinct words
    counts = list(word_counts.values())

    pair_counts = Counter()        # pair -> number of occurrences in the corpus
    where = defaultdict(set)       # pair -> indices of the words that (may) contain it
    for i, w in enumerate(words):
        for pair in zip(w, w[1:]):
            pair_counts[pair] += counts[i]
            where[pair].add(i)
    # Max-heap via negated counts. Ties: the smallest (left id, right id) wins.
    heap = [(-c, pair) for pair, c in pair_counts.items()]
    heapq.heapify(heap)

    merges = []
    while len(vocab) < vocab_size and heap:
        neg_count, pair = heapq.heappop(heap)
        if -neg_count != pair_counts[pair]:  # stale entry: the count changed since the push
            if pair_counts[pair] > 0:
                heapq.heappush(heap, (-pair_counts[pair], pair))
            continue
        if -neg_count < max(1, min_frequency):
            break
        new_token = vocab[pair[0]] + vocab[pair[1]]
        if new_token not in token_id:  # (if two merges ever spell the same string, reuse its id)
            token_id[new_token] = len(vocab)
            vocab.append(new_token)
        new_id = token_id[new_token]
        merges.append(pair)
        changed = []
        for i in where[pair]:  # update only the words that contain the pair
            old, new = words[i], merge_pair(words[i], pair, new_id)
            if new == old:
                continue
            changed.append(i)
            for p in zip(old, old[1:]):
                pair_counts[p] -= counts[i]
            for p in zip(new, new[1:]):
                pair_counts[p] += counts[i]
                where[p].add(i)
            words[i] = new
        # Only pairs that contain the new token can have gained occurrences: (re)push them.
        for p in {p for i in changed for p in zip(words[i], words[i][1:]) if new_id in p}:
            heapq.heappush(heap, (-pair_counts[p], p))
    return vocab, merges


class BPETokenizer:
    def __init__(self, vocab, merges, special_tokens=()):
        self.vocab = vocab
        self.token_id = {tok: i for i, tok in enumerate(vocab)}
        self.rank = {pair: r for r, pair in enumerate(merges)}  # lower rank = learned earlier
        self.special = set(special_tokens)
        longest_first = sorted(self.special, key=len, reverse=True)
        self.special_split = regex.compile("(" + "|".join(map(regex.escape, longest_first)) + ")")

    def encode_word(self, word):
        ids = [self.token_id[ch] for ch in word]
        while len(ids) > 1:  # apply the earliest-learned merge present, until none applies
            pair = min(zip(ids, ids[1:]), key=lambda p: self.rank.get(p, float("inf")))
            if pair not in self.rank:
                break
            ids = merge_pair(ids, pair, self.token_id[self.vocab[pair[0]] + self.vocab[pair[1]]])
        return ids

    def encode(self, text):
        ids = []
        for chunk in self.special_split.split(text) if self.special else [text]:
            if chunk in self.special:
                ids.append(self.token_id[chunk])
            else:
                for word in pretokenize(chunk):
                    ids.extend(self.encode_word(word))
        return ids

    def decode(self, ids):
        data = b"".join(self.vocab[i].encode("utf-8") if self.vocab[i] in self.special
                        else bytes(CHAR_TO_BYTE[c] for c in self.vocab[i]) for i in ids)
        return data.decode("utf-8", errors="replace")
