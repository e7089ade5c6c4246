"""Wrong answers to lesson 06's exercises that its tests must catch, and right ones written
another way that they must pass."""

from mutation import Mutant

PICK = "best = min(pair_counts, key=lambda pair: (-pair_counts[pair], pair))  # most frequent, then smallest"
RANKED = "pair = min(zip(word_ids, word_ids[1:]), key=lambda p: rank.get(p, len(rank)))"
LEFT_PAD = ("    ids = torch.tensor([[pad_id] * (longest - len(p)) + list(p) for p in prompts], device=device)\n"
            "    mask = torch.tensor([[0] * (longest - len(p)) + [1] * len(p) for p in prompts], device=device)\n")

MUTANTS = [
    # train_bpe
    Mutant("train_bpe", "ties go to the largest (left id, right id)", PICK,
           "best = max(pair_counts, key=lambda pair: (pair_counts[pair], pair))", visible=True,
           only="test_train_bpe"),
    Mutant("train_bpe", "special tokens after the 256 bytes instead of before them",
           "vocab = list(special_tokens) + sorted(BYTE_TO_CHAR.values())",
           "vocab = sorted(BYTE_TO_CHAR.values()) + list(special_tokens)"),
    Mutant("train_bpe", "each distinct word counted once, whatever its frequency",
           "for pair in zip(word, word[1:]):\n            pair_counts[pair] += counts[i]",
           "for pair in zip(word, word[1:]):\n            pair_counts[pair] += 1"),
    Mutant("train_bpe", "one merge too many (<= vocab_size)", "while len(vocab) < vocab_size and pair_counts:",
           "while len(vocab) <= vocab_size and pair_counts:", visible=True, only="test_train_bpe"),
    # bpe_codec
    Mutant("bpe_codec", "merges applied to the leftmost mergeable pair, not the earliest learned", RANKED,
           "pair = next((p for p in zip(word_ids, word_ids[1:]) if p in rank), None)"),
    Mutant("bpe_codec", "each token decoded on its own: a character split over tokens is lost",
           "    data = bytes(CHAR_TO_BYTE[c] for i in ids for c in vocab[i])\n"
           "    return data.decode(\"utf-8\", errors=\"replace\")",
           "    return \"\".join(bytes(CHAR_TO_BYTE[c] for c in vocab[i]).decode(\"utf-8\", errors=\"replace\") for i in ids)",
           visible=True),
    Mutant("bpe_codec", "invalid UTF-8 raises instead of decoding to U+FFFD", 'errors="replace"', 'errors="strict"'),
    # gpt2_weights
    Mutant("gpt2_weights", "query/key/value weights not transposed (Conv1D is [in, out])",
           'out[f"{ours}attn.{name}.weight"] = w.t()', 'out[f"{ours}attn.{name}.weight"] = w', visible=True),
    Mutant("gpt2_weights", "fused QKV split in the wrong order (key first)", "for name, w, b in zip(QKV, weights, biases):",
           'for name, w, b in zip(("key", "query", "value"), weights, biases):', visible=True),
    Mutant("gpt2_weights", "export without lm_head: the head is not tied in GPT-2's state dict",
           ',\n           "lm_head.weight": state["embeddings.token.weight"]}  # tied: the same matrix', "}"),
    Mutant("gpt2_weights", "export does not transpose the fused QKV weight",
           'torch.cat([state[f"{ours}attn.{n}.weight"].t() for n in QKV], dim=1)',
           'torch.cat([state[f"{ours}attn.{n}.weight"] for n in QKV], dim=1)'),
    Mutant("gpt2_weights", "export leaves the output projections untransposed",
           'out[f"{theirs}{t}.weight"] = state[f"{ours}{o}.weight"].t()',
           'out[f"{theirs}{t}.weight"] = state[f"{ours}{o}.weight"]'),
    # gpt_forward
    Mutant("gpt_forward", "cache appended on the heads dimension instead of time",
           "k = torch.cat([cache[i][0], k], dim=2)", "k = torch.cat([cache[i][0], k], dim=1)", visible=True),
    Mutant("gpt_forward", "positions restart at 0 for the new tokens when the cache is used",
           "positions = (attention_mask.long().cumsum(dim=1) - 1).clamp(min=0)[:, past:]",
           "positions = torch.arange(T, device=device)[None, :].expand(B, T)", visible=True),
    Mutant("gpt_forward", "positions from the index, ignoring left padding",
           "positions = (attention_mask.long().cumsum(dim=1) - 1).clamp(min=0)[:, past:]",
           "positions = past + torch.arange(T, device=device)[None, :].expand(B, T)"),
    Mutant("gpt_forward", "the causal mask is not shifted by the cache length",
           "query_at = past + torch.arange(T, device=device)[:, None]",
           "query_at = torch.arange(T, device=device)[:, None]", visible=True),
    # generate
    Mutant("generate", "right padding: the short prompts' next tokens come after their padding", LEFT_PAD,
           "    ids = torch.tensor([list(p) + [pad_id] * (longest - len(p)) for p in prompts], device=device)\n"
           "    mask = torch.tensor([[1] * len(p) + [0] * (longest - len(p)) for p in prompts], device=device)\n"),
    Mutant("generate", "the end token is dropped from the output", "row[:row.index(eos_id) + 1]",
           "row[:row.index(eos_id)]"),
    Mutant("generate", "eos_id ignored: rows run to max_new_tokens",
           "    return [row[:row.index(eos_id) + 1] if eos_id in row else row for row in rows]",
           "    return rows"),
    Mutant("generate", "a prompt that exactly fills max_len is refused (>= instead of >)",
           "if longest + max_new_tokens > model.cfg.max_len:", "if longest + max_new_tokens >= model.cfg.max_len:"),
    Mutant("generate", "the cached path feeds the whole sequence again each step",
           "        step_input = token[:, None]\n", "        step_input = ids\n", visible=True),
    # prompt_masked_loss
    Mutant("prompt_masked_loss", "prompt tokens left in the loss", "    targets[in_prompt] = -100\n", "",
           visible=True),
    Mutant("prompt_masked_loss", "off by one: the first response token is not scored",
           "index = torch.arange(1, T, device=input_ids.device)[None, :]",
           "index = torch.arange(0, T - 1, device=input_ids.device)[None, :]", visible=True),
    Mutant("prompt_masked_loss", "padding counted in the loss",
           "    if attention_mask is not None:\n        targets[attention_mask[:, 1:] == 0] = -100\n", ""),
    Mutant("prompt_masked_loss", "a sum instead of the mean", "ignore_index=-100)",
           "ignore_index=-100, reduction=\"sum\")", visible=True),
    # checks that teach (issue 32): boundaries the statements state; one mistake, one exercise
    Mutant("train_bpe", "special tokens not counted in vocab_size: 2 specials make 2 extra merges",
           "while len(vocab) < vocab_size and pair_counts:",
           "while len(vocab) - len(special_tokens) < vocab_size and pair_counts:", only="test_train_bpe"),
    Mutant("gpt_forward", "padding positions may attend to nothing (the statement's self-attention rule left out)",
           "    allowed = allowed | (key_at == query_at)  # padding attends to itself: no empty softmax\n", ""),
]

EQUIVALENTS = [
    Mutant("train_bpe", "the best pair picked with max() over (count, negated ids)", PICK,
           "best = max(pair_counts, key=lambda pair: (pair_counts[pair], -pair[0], -pair[1]))"),
    Mutant("bpe_codec", "the earliest merge found by sorting the word's pairs by rank", RANKED,
           "pair = sorted(zip(word_ids, word_ids[1:]), key=lambda p: rank.get(p, float('inf')))[0]"),
    Mutant("gpt2_weights", "the fused QKV split with torch.split into widths D",
           'weights = sd[f"{theirs}attn.c_attn.weight"].chunk(3, dim=1)  # [D, 3D] -> 3 x [D, D]',
           'weights = torch.split(sd[f"{theirs}attn.c_attn.weight"], sd["wte.weight"].shape[1], dim=1)'),
    Mutant("gpt_forward", "the mask built with tril(diagonal=past) and no contiguous copies",
           "    allowed = (key_at <= query_at) & attention_mask.bool()[:, None, None, :]  # [B, 1, T, T_past + T]\n",
           "    allowed = torch.ones(T, past + T, dtype=torch.bool, device=device).tril(diagonal=past) "
           "& attention_mask.bool()[:, None, None, :]\n"),
    Mutant("prompt_masked_loss", "log_softmax and gather, averaged by hand",
           "    return F.cross_entropy(logits[:, :-1].reshape(-1, V).float(), targets.reshape(-1), ignore_index=-100)",
           "    scored = targets != -100\n"
           "    logp = logits[:, :-1].float().log_softmax(dim=-1)\n"
           "    picked = logp.gather(-1, targets.clamp(min=0)[..., None])[..., 0]\n"
           "    return -(picked * scored).sum() / scored.sum()"),
]
