"""Wrong answers to lesson 04's exercises that its tests must catch."""

from mutation import Mutant

SMOOTHED = "probs = (counts[prev, nxt] + k) / (row_totals[prev] + k * vocab_size)"
SHIFT = "predictions = logits[:, :-1, :].float()  # the last position predicts nothing\n" \
        "    targets = labels[:, 1:]  # the first token is never a target"
SELECT = "selected = (torch.rand(input_ids.shape, generator=generator) < mlm_probability) & eligible"
TOP_P = "drop_sorted = mass_before >= top_p"
RANDOM_IDS = "random_ids = torch.randint(vocab_size, input_ids.shape, generator=generator)"
BERT_SUM = "h = self.token(input_ids) + self.position(positions) + self.segment(segments)"
BERT_UNTIED = (  # from the output bias in __init__ to the logits in forward
    'self.bias = nn.Parameter(torch.zeros(cfg.vocab_size))\n'
    '        ### END SOLUTION\n'
    "        self.apply(init_weights)  # small normal weights (BERT's), zero biases, identity LayerNorms\n"
    '\n'
    '    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None,\n'
    '                token_type_ids: torch.Tensor | None = None, predict_at: torch.Tensor | None = None,\n'
    '                output_attentions: bool = False) -> Output:\n'
    '        """input_ids: [B, T] int64, T <= cfg.max_len. attention_mask: [B, T], 1 = real token,\n'
    '        0 = padding, or None. token_type_ids: [B, T] segment ids, or None (all 0). predict_at:\n'
    '        bool [B, T], or None. Returns Output(last_hidden_state [B, T, D], attentions,\n'
    '        logits [B, T, V], or [N, V] at predict_at\'s N True positions)."""\n'
    '        ### BEGIN SOLUTION\n'
    '        T = input_ids.shape[1]\n'
    '        positions = torch.arange(T, device=input_ids.device)\n'
    '        segments = torch.zeros_like(input_ids) if token_type_ids is None else token_type_ids\n'
    '        h = self.token(input_ids) + self.position(positions) + self.segment(segments)\n'
    '        h = self.drop(self.emb_norm(h))\n'
    '        allowed = None if attention_mask is None else attention_mask.bool()[:, None, None, :]\n'
    '        attentions = []\n'
    '        for block in self.blocks:\n'
    '            h, weights = block(h, allowed, need_weights=output_attentions)\n'
    '            if output_attentions:\n'
    '                attentions.append(weights)\n'
    '        scored = h if predict_at is None else h[predict_at]  # only the positions asked for\n'
    '        logits = self.transform(scored) @ self.token.weight.T + self.bias')
UNTIED = (  # from the final LayerNorm in __init__ to the logits in forward
    'self.final_norm = nn.LayerNorm(cfg.d_model, eps=cfg.ln_eps)\n'
    '        ### END SOLUTION\n'
    "        self.apply(init_weights)  # small normal weights (GPT-2's), identity LayerNorms\n"
    '\n'
    '    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None,\n'
    '                output_attentions: bool = False) -> Output:\n'
    '        """input_ids: [B, T] int64, T <= cfg.max_len. attention_mask: [B, T], 1 = real token,\n'
    '        0 = padding, or None. Returns Output(last_hidden_state [B, T, D], attentions, logits [B, T, V])."""\n'
    '        ### BEGIN SOLUTION\n'
    '        T = input_ids.shape[1]\n'
    '        h = self.drop(self.token(input_ids) + self.position(torch.arange(T, device=input_ids.device)))\n'
    '        allowed = None if attention_mask is None else attention_mask.bool()[:, None, None, :]\n'
    '        attentions = []\n'
    '        for block in self.blocks:\n'
    '            h, weights = block(h, allowed, need_weights=output_attentions)\n'
    '            if output_attentions:\n'
    '                attentions.append(weights)\n'
    '        h = self.final_norm(h)\n'
    '        return Output(last_hidden_state=h, attentions=attentions, logits=h @ self.token.weight.T)')

MUTANTS = [
    # --- 4.1 bigram perplexity
    Mutant("bigram", "add-k in the numerator only: rows no longer sum to 1",
           SMOOTHED, "probs = (counts[prev, nxt] + k) / (row_totals[prev] + k)"),
    Mutant("bigram", "averages over all N test tokens instead of the N - 1 transitions",
           "return math.exp(-probs.log().mean().item())",
           "return math.exp(-probs.log().sum().item() / len(test_ids))"),
    Mutant("bigram", "counts the pairs backwards (next -> previous)",
           "pairs = train_ids[:-1] * vocab_size + train_ids[1:]",
           "pairs = train_ids[1:] * vocab_size + train_ids[:-1]"),
    Mutant("bigram", "always add-one smoothing: ignores the k argument",
           SMOOTHED, "probs = (counts[prev, nxt] + 1) / (row_totals[prev] + vocab_size)"),
    Mutant("bigram", "returns the average negative log-likelihood, not its exponential",
           "return math.exp(-probs.log().mean().item())", "return -probs.log().mean().item()"),
    # --- 4.2 causal-LM loss
    Mutant("clm_loss", "unshifted labels: each position 'predicts' the token it already sees",
           SHIFT, "predictions = logits.float()\n    targets = labels"),
    Mutant("clm_loss", "shifted the wrong way: position t predicts token t - 1",
           SHIFT, "predictions = logits[:, 1:, :].float()\n    targets = labels[:, :-1]"),
    Mutant("clm_loss", "the mean counts the ignored positions (as zero loss)",
           "ignore_index=-100)", "ignore_index=-100, reduction=\"sum\") / targets.numel()"),
    Mutant("clm_loss", "softmax in the logits' own dtype: bfloat16 precision and a bfloat16 result",
           "predictions = logits[:, :-1, :].float()", "predictions = logits[:, :-1, :]"),
    # --- 4.3 MLM masking
    Mutant("mlm_mask", "masks special tokens too ([CLS], [SEP], padding can be selected)",
           SELECT, "selected = torch.rand(input_ids.shape, generator=generator) < mlm_probability"),
    Mutant("mlm_mask", "100% [MASK]: no random or kept tokens among the selected",
           "to_mask = selected & (roll < 0.8)", "to_mask = selected"),
    Mutant("mlm_mask", "labels everywhere: the loss would cover unmasked positions too",
           "labels = input_ids.masked_fill(~selected, -100)", "labels = input_ids.clone()"),
    Mutant("mlm_mask", "ignores the generator: the same seed gives different masks",
           SELECT, "selected = (torch.rand(input_ids.shape) < mlm_probability) & eligible"),
    Mutant("mlm_mask", "random replacement for 10% of the remaining 20%: 80/2/18 instead of 80/10/10",
           "to_random = selected & (roll >= 0.8) & (roll < 0.9)",
           "to_random = selected & (roll >= 0.8) & (roll < 0.82)"),
    Mutant("mlm_mask", "hard-codes 15%: ignores mlm_probability",
           SELECT, "selected = (torch.rand(input_ids.shape, generator=generator) < 0.15) & eligible"),
    Mutant("mlm_mask", "selects exactly round(15%) of each sequence's eligible tokens, not each token independently",
           SELECT, "scores = torch.rand(input_ids.shape, generator=generator).masked_fill(~eligible, 2.0)\n"
           "    k = (eligible.sum(dim=1, keepdim=True) * mlm_probability).round().long()\n"
           "    selected = (scores.argsort(dim=1).argsort(dim=1) < k) & eligible"),
    Mutant("mlm_mask", "modifies input_ids in place",
           "inputs = input_ids.clone()", "inputs = input_ids"),
    Mutant("mlm_mask", "random replacements drawn from the batch's own tokens, not uniformly from the vocabulary",
           RANDOM_IDS, "random_ids = input_ids.flatten()[torch.randint(input_ids.numel(), input_ids.shape, "
           "generator=generator)]"),
    Mutant("mlm_mask", "random replacements skip the special ids: drawn from [len(special_ids), vocab_size)",
           RANDOM_IDS, "random_ids = torch.randint(len(special), vocab_size, input_ids.shape, generator=generator)"),
    # --- 4.4 NSP pairs
    Mutant("nsp", "labels swapped: the random sentence gets IsNext",
           "if label == 1:", "if label == 0:"),
    Mutant("nsp", "NotNext drawn from the whole corpus: can be a's own document, or a itself",
           "others = [s for e, doc in enumerate(documents) if e != d for s in doc]",
           "others = [s for doc in documents for s in doc]"),
    Mutant("nsp", "labels not shuffled: all NotNext first, then all IsNext, whatever the seed",
           "rng.shuffle(labels)", "labels.sort()"),
    Mutant("nsp", "a coin flip per example: labels are not balanced",
           "rng.shuffle(labels)", "labels = [rng.randint(0, 1) for _ in positions]"),
    Mutant("nsp", "NotNext: a random other document, then a random sentence of it (short documents over-drawn)",
           "others = [s for e, doc in enumerate(documents) if e != d for s in doc]\n            b = rng.choice(others)",
           "other_docs = [doc for e, doc in enumerate(documents) if e != d]\n"
           "            b = rng.choice(rng.choice(other_docs))"),
    Mutant("nsp", "labels alternate from a random start: balanced and seed-dependent, but only two patterns",
           "rng.shuffle(labels)",
           "start = rng.randint(0, 1)\n    labels = [(i + start) % 2 for i in range(len(positions))]"),
    # --- 4.5 assembling the BERT
    Mutant("assemble_bert", "no segment embeddings: the segment table exists but is never added",
           BERT_SUM, "h = self.token(input_ids) + self.position(positions)", visible=True, only="test_assemble_bert"),
    Mutant("assemble_bert", "token_type_ids ignored: every token in segment 0, so pairs look like one sentence",
           "segments = torch.zeros_like(input_ids) if token_type_ids is None else token_type_ids",
           "segments = torch.zeros_like(input_ids)", only="test_assemble_bert"),
    Mutant("assemble_bert", "no position embeddings: bidirectional attention then sees a bag of tokens",
           BERT_SUM, "h = self.token(input_ids) + self.segment(segments)", visible=True, only="test_assemble_bert"),
    Mutant("assemble_bert", "pre-norm blocks (GPT-2's) in a post-norm BERT",
           "Block(cfg) for _", 'Block(TransformerConfig(**{**vars(cfg), "pre_norm": True})) for _',
           visible=True, only="test_assemble_bert"),
    Mutant("assemble_bert", "the causal mask left on: each token sees only its left context",
           "Block(cfg) for _", 'Block(TransformerConfig(**{**vars(cfg), "causal": True})) for _',
           visible=True, only="test_assemble_bert"),
    Mutant("assemble_bert", "an untied output layer: a fresh D x V Linear instead of the token embedding",
           BERT_UNTIED, BERT_UNTIED.replace("cfg.vocab_size))", "cfg.vocab_size))\n        self.head = nn.Linear(cfg.d_model, cfg.vocab_size, bias=False)", 1)
           .replace("@ self.token.weight.T", "@ self.head.weight.T"),
           visible=True, only="test_assemble_bert"),
    Mutant("assemble_bert", "a head without its transform: the logits read the hidden states directly",
           "self.transform(scored) @", "scored @", visible=True, only="test_assemble_bert"),
    Mutant("assemble_bert", "no embedding LayerNorm: the blocks get the raw sum of the embeddings",
           "h = self.drop(self.emb_norm(h))", "h = self.drop(h)", visible=True, only="test_assemble_bert"),
    Mutant("assemble_bert", "the attention mask ignored: real tokens attend to the padding",
           "allowed = None if attention_mask is None else attention_mask.bool()[:, None, None, :]",
           "allowed = None", only="test_assemble_bert"),
    Mutant("assemble_bert", "padding read from the ids (input_ids != pad_id), not from attention_mask",
           "attention_mask.bool()[:, None, None, :]", "(input_ids != self.cfg.pad_id)[:, None, None, :]",
           only="test_assemble_bert"),
    Mutant("assemble_bert", "the output layer reads a detached embedding: the logits never train it",
           "@ self.token.weight.T", "@ self.token.weight.detach().T", only="test_assemble_bert"),
    Mutant("assemble_bert", "dropout before the embedding LayerNorm instead of after it",
           "h = self.drop(self.emb_norm(h))", "h = self.emb_norm(self.drop(h))", only="test_assemble_bert"),
    # --- 4.6 assembling the GPT
    Mutant("assemble_gpt", "no position embeddings: the model sees a bag of tokens (bar the causal mask)",
           "h = self.drop(self.token(input_ids) + self.position(torch.arange(T, device=input_ids.device)))",
           "h = self.drop(self.token(input_ids))", visible=True, only="test_assemble_gpt"),
    Mutant("assemble_gpt", "an untied output layer: a separate D x V matrix",
           UNTIED, UNTIED.replace("eps=cfg.ln_eps)", "eps=cfg.ln_eps)\n        self.head = nn.Linear(cfg.d_model, cfg.vocab_size, bias=False)")
           .replace("h @ self.token.weight.T", "self.head(h)"), visible=True, only="test_assemble_gpt"),
    Mutant("assemble_gpt", "the output layer reads a detached embedding: the logits never train it",
           "logits=h @ self.token.weight.T)", "logits=h @ self.token.weight.detach().T)", only="test_assemble_gpt"),
    Mutant("assemble_gpt", "blocks applied in reverse order",
           "for block in self.blocks:", "for block in reversed(self.blocks):", visible=True, only="test_assemble_gpt"),
    Mutant("assemble_gpt", "no final LayerNorm",
           "h = self.final_norm(h)", "h = h", visible=True, only="test_assemble_gpt"),
    Mutant("assemble_gpt", "logits from the hidden state before the final LayerNorm",
           "h = self.final_norm(h)\n        return Output(last_hidden_state=h, attentions=attentions, logits=h @ self.token.weight.T)",
           "return Output(last_hidden_state=self.final_norm(h), attentions=attentions, logits=h @ self.token.weight.T)",
           visible=True, only="test_assemble_gpt"),
    Mutant("assemble_gpt", "the attention mask inverted: real tokens may attend only to padding",
           "attention_mask.bool()[:, None, None, :]", "~attention_mask.bool()[:, None, None, :]",
           only="test_assemble_gpt"),
    Mutant("assemble_gpt", "output_attentions ignored: no attention weights for the heatmaps",
           "if output_attentions:\n                attentions.append(weights)", "pass", only="test_assemble_gpt"),
    Mutant("assemble_gpt", "padding read from the ids (input_ids != pad_id), not from attention_mask",
           "attention_mask.bool()[:, None, None, :]", "(input_ids != self.cfg.pad_id)[:, None, None, :]",
           only="test_assemble_gpt"),
    Mutant("assemble_gpt", "no dropout on the embeddings (invisible with dropout 0 or in eval mode)",
           "h = self.drop(self.token(input_ids) + self.position(torch.arange(T, device=input_ids.device)))",
           "h = self.token(input_ids) + self.position(torch.arange(T, device=input_ids.device))",
           only="test_assemble_gpt"),
    Mutant("assemble_gpt", "dropout on the token embeddings only, before the positions are added",
           "h = self.drop(self.token(input_ids) + self.position(torch.arange(T, device=input_ids.device)))",
           "h = self.drop(self.token(input_ids)) + self.position(torch.arange(T, device=input_ids.device))",
           only="test_assemble_gpt"),
    # --- 4.7 sampling
    Mutant("sampling", "top-p keeps the wrong side: the tail instead of the nucleus",
           TOP_P, "drop_sorted = mass_before < top_p"),
    Mutant("sampling", "top-p drops the token that crosses p (the nucleus is then too small)",
           "mass_before = probs.cumsum(dim=-1) - probs", "mass_before = probs.cumsum(dim=-1)"),
    Mutant("sampling", "top-p measured on the probabilities before temperature",
           "probs = sorted_scores.softmax(dim=-1)", "probs = (sorted_scores * temperature).softmax(dim=-1)"),
    Mutant("sampling", "top-k keeps the k smallest logits",
           "kth_best = scores.topk(min(top_k, scores.shape[-1]), dim=-1).values[:, -1:]\n"
           "        scores = scores.masked_fill(scores < kth_best, float(\"-inf\"))",
           "kth_best = scores.topk(min(top_k, scores.shape[-1]), dim=-1, largest=False).values[:, -1:]\n"
           "        scores = scores.masked_fill(scores > kth_best, float(\"-inf\"))"),
    Mutant("sampling", "temperature applied after the softmax (it then changes nothing)",
           "probs = filter_logits(logits, temperature, top_k, top_p).softmax(dim=-1)",
           "probs = filter_logits(logits, 1.0, top_k, top_p).softmax(dim=-1) / temperature"),
    Mutant("sampling", "ignores the generator when sampling",
           "return torch.multinomial(probs, 1, generator=generator).squeeze(-1)",
           "return torch.multinomial(probs, 1).squeeze(-1)"),
    Mutant("sampling", "squeeze() instead of squeeze(-1): a batch of one row gives a 0-d tensor",
           "return torch.multinomial(probs, 1, generator=generator).squeeze(-1)",
           "return torch.multinomial(probs, 1, generator=generator).squeeze()"),
    # checks that teach (issue 32): the boundaries the statements state
    Mutant("assemble_bert", "refuses a sequence of exactly max_len tokens (>= where the docstring says T <= max_len)",
           "        T = input_ids.shape[1]\n        positions",
           "        T = input_ids.shape[1]\n"
           "        if T >= self.cfg.max_len:\n"
           "            raise ValueError(f\"{T} tokens do not fit in max_len={self.cfg.max_len}\")\n"
           "        positions", only="test_assemble_bert"),
    Mutant("assemble_gpt", "refuses a sequence of exactly max_len tokens (>= where the docstring says T <= max_len)",
           "        T = input_ids.shape[1]\n        h = self.drop(",
           "        T = input_ids.shape[1]\n"
           "        if T >= self.cfg.max_len:\n"
           "            raise ValueError(f\"{T} tokens do not fit in max_len={self.cfg.max_len}\")\n"
           "        h = self.drop(", only="test_assemble_gpt"),
    Mutant("sampling", "top-k clamped to V - 1: k >= V drops the least likely token instead of keeping all",
           "min(top_k, scores.shape[-1])", "min(top_k, scores.shape[-1] - 1)", only="test_filter_logits"),
    Mutant("mlm_mask", "takes the special tokens to be the first ids of the vocabulary (all up to the largest one)",
           "eligible = ~torch.isin(input_ids, special)", "eligible = input_ids > special.max()",
           only="test_mlm_mask_rules"),
]

EQUIVALENTS = [
    # --- 4.1 bigram perplexity
    Mutant("bigram", "a dense V x V count table filled by index_put_ (accumulate), log-probabilities as a "
           "difference of logs, float() of the result",
           "# Count every pair (a, b) at once: encode it as the single integer a * V + b.\n"
           "    pairs = train_ids[:-1] * vocab_size + train_ids[1:]\n"
           "    counts = torch.bincount(pairs, minlength=vocab_size * vocab_size).view(vocab_size, vocab_size)\n"
           "    counts = counts.double()\n"
           "    row_totals = counts.sum(dim=1)\n"
           "    # Only the probabilities the test stream needs: no V x V probability table.\n"
           "    prev, nxt = test_ids[:-1], test_ids[1:]\n"
           "    probs = (counts[prev, nxt] + k) / (row_totals[prev] + k * vocab_size)\n"
           "    return math.exp(-probs.log().mean().item())\n",
           "counts = torch.zeros(vocab_size, vocab_size, dtype=torch.float64)\n"
           "    counts.index_put_((train_ids[:-1], train_ids[1:]), torch.ones(len(train_ids) - 1, dtype=torch.float64),\n"
           "                      accumulate=True)\n"
           "    row_totals = counts.sum(dim=1)\n"
           "    prev, nxt = test_ids[:-1], test_ids[1:]\n"
           "    log_probs = torch.log(counts[prev, nxt] + k) - torch.log(row_totals[prev] + k * vocab_size)\n"
           "    return float(torch.exp(-log_probs.mean()))\n"),
    # --- 4.2 causal-LM loss
    Mutant("clm_loss", "log_softmax + gather, then the mean over the scored positions (no cross_entropy)",
           "predictions = logits[:, :-1, :].float()  # the last position predicts nothing\n"
           "    targets = labels[:, 1:]  # the first token is never a target\n"
           "    return F.cross_entropy(predictions.reshape(-1, predictions.shape[-1]), targets.reshape(-1),\n"
           "                           ignore_index=-100)",
           "log_probs = torch.log_softmax(logits[:, :-1, :].float(), dim=-1)\n"
           "    targets = labels[:, 1:]\n"
           "    scored = targets != -100\n"
           "    picked = log_probs.gather(-1, targets.clamp(min=0).unsqueeze(-1)).squeeze(-1)\n"
           "    return -picked[scored].mean()"),
    # --- 4.3 MLM masking
    Mutant("mlm_mask", "Hugging Face's collator: Bernoulli draws in another order (80% of the selected "
           "-> [MASK], then half of the rest -> random), so other masks for the same seed",
           "special = torch.as_tensor(list(special_ids), dtype=input_ids.dtype, device=input_ids.device)\n"
           "    eligible = ~torch.isin(input_ids, special)\n"
           "    selected = (torch.rand(input_ids.shape, generator=generator) < mlm_probability) & eligible\n"
           "    labels = input_ids.masked_fill(~selected, -100)\n"
           "    # One roll per token decides its fate: [0, 0.8) mask, [0.8, 0.9) random, [0.9, 1) keep.\n"
           "    roll = torch.rand(input_ids.shape, generator=generator)\n"
           "    to_mask = selected & (roll < 0.8)\n"
           "    to_random = selected & (roll >= 0.8) & (roll < 0.9)\n"
           "    random_ids = torch.randint(vocab_size, input_ids.shape, generator=generator)\n"
           "    inputs = input_ids.clone()\n"
           "    inputs[to_mask] = mask_id\n"
           "    inputs[to_random] = random_ids[to_random]\n"
           "    return inputs, labels\n",
           "special = torch.as_tensor(list(special_ids), dtype=input_ids.dtype)\n"
           "    probability = torch.full(input_ids.shape, float(mlm_probability))\n"
           "    probability[torch.isin(input_ids, special)] = 0.0\n"
           "    selected = torch.bernoulli(probability, generator=generator).bool()\n"
           "    labels = input_ids.clone()\n"
           "    labels[~selected] = -100\n"
           "    inputs = input_ids.clone()\n"
           "    replaced = torch.bernoulli(torch.full(input_ids.shape, 0.8), generator=generator).bool() & selected\n"
           "    inputs[replaced] = mask_id\n"
           "    randomised = torch.bernoulli(torch.full(input_ids.shape, 0.5), generator=generator).bool() & selected & ~replaced\n"
           "    inputs[randomised] = torch.randint(vocab_size, input_ids.shape, generator=generator)[randomised]\n"
           "    return inputs, labels\n"),
    # --- 4.4 NSP pairs
    Mutant("nsp", "which examples are IsNext drawn with rng.sample, the NotNext sentence by an index into "
           "the other documents' sentences: other pairs for the same seed",
           "labels = [1] * (len(positions) // 2) + [0] * (len(positions) - len(positions) // 2)\n"
           "    rng.shuffle(labels)\n"
           "    examples = []\n"
           "    for (d, i), label in zip(positions, labels):\n"
           "        if label == 1:\n"
           "            b = documents[d][i + 1]\n"
           "        else:\n"
           "            others = [s for e, doc in enumerate(documents) if e != d for s in doc]\n"
           "            b = rng.choice(others)\n"
           "        examples.append((documents[d][i], b, label))\n"
           "    return examples\n",
           "is_next = set(rng.sample(range(len(positions)), len(positions) // 2))\n"
           "    examples = []\n"
           "    for n, (d, i) in enumerate(positions):\n"
           "        if n in is_next:\n"
           "            examples.append((documents[d][i], documents[d][i + 1], 1))\n"
           "        else:\n"
           "            pool = [(e, j) for e, doc in enumerate(documents) if e != d for j in range(len(doc))]\n"
           "            e, j = pool[rng.randrange(len(pool))]\n"
           "            examples.append((documents[d][i], documents[e][j], 0))\n"
           "    return examples\n"),
    # --- 4.5 MyBERT
    Mutant("assemble_bert", "submodules created in the reverse order (same names): other initial draws",
           "self.token = nn.Embedding(cfg.vocab_size, cfg.d_model)\n"
           "        self.position = nn.Embedding(cfg.max_len, cfg.d_model)\n"
           "        self.segment = nn.Embedding(cfg.n_segments, cfg.d_model)\n"
           "        self.emb_norm = nn.LayerNorm(cfg.d_model, eps=cfg.ln_eps)\n"
           "        self.drop = nn.Dropout(cfg.dropout)\n"
           "        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layers))\n"
           "        self.transform = nn.Sequential(nn.Linear(cfg.d_model, cfg.d_model), nn.GELU(approximate=cfg.gelu),\n"
           "                                       nn.LayerNorm(cfg.d_model, eps=cfg.ln_eps))\n"
           "        self.bias = nn.Parameter(torch.zeros(cfg.vocab_size))\n",
           "self.bias = nn.Parameter(torch.zeros(cfg.vocab_size))\n"
           "        self.transform = nn.Sequential(nn.Linear(cfg.d_model, cfg.d_model), nn.GELU(approximate=cfg.gelu),\n"
           "                                       nn.LayerNorm(cfg.d_model, eps=cfg.ln_eps))\n"
           "        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layers))\n"
           "        self.drop = nn.Dropout(cfg.dropout)\n"
           "        self.emb_norm = nn.LayerNorm(cfg.d_model, eps=cfg.ln_eps)\n"
           "        self.segment = nn.Embedding(cfg.n_segments, cfg.d_model)\n"
           "        self.position = nn.Embedding(cfg.max_len, cfg.d_model)\n"
           "        self.token = nn.Embedding(cfg.vocab_size, cfg.d_model)\n"),
    Mutant("assemble_bert", "embeddings summed in another order, positions broadcast from a [1, T] tensor",
           "h = self.token(input_ids) + self.position(positions) + self.segment(segments)",
           "h = self.segment(segments) + self.position(positions[None, :]) + self.token(input_ids)"),
    Mutant("assemble_bert", "the tied output layer as F.linear(x, token.weight, bias), every position "
           "scored first and the rows picked after",
           "scored = h if predict_at is None else h[predict_at]  # only the positions asked for\n"
           "        logits = self.transform(scored) @ self.token.weight.T + self.bias",
           "logits = F.linear(self.transform(h), self.token.weight, self.bias)\n"
           "        if predict_at is not None:\n"
           "            logits = logits[predict_at]"),
    # --- 4.6 MyGPT
    Mutant("assemble_gpt", "submodules created in the reverse order (same names): other initial draws",
           "self.token = nn.Embedding(cfg.vocab_size, cfg.d_model)\n"
           "        self.position = nn.Embedding(cfg.max_len, cfg.d_model)\n"
           "        self.drop = nn.Dropout(cfg.dropout)\n"
           "        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layers))\n"
           "        self.final_norm = nn.LayerNorm(cfg.d_model, eps=cfg.ln_eps)\n",
           "self.final_norm = nn.LayerNorm(cfg.d_model, eps=cfg.ln_eps)\n"
           "        self.blocks = nn.ModuleList([Block(cfg) for _ in range(cfg.n_layers)])\n"
           "        self.drop = nn.Dropout(cfg.dropout)\n"
           "        self.position = nn.Embedding(cfg.max_len, cfg.d_model)\n"
           "        self.token = nn.Embedding(cfg.vocab_size, cfg.d_model)\n"),
    Mutant("assemble_gpt", "positions added first and broadcast from a [1, T] tensor",
           "h = self.drop(self.token(input_ids) + self.position(torch.arange(T, device=input_ids.device)))",
           "h = self.drop(self.position(torch.arange(T, device=input_ids.device)[None, :]) + self.token(input_ids))"),
    Mutant("assemble_gpt", "the tied logits by F.linear instead of a matrix product",
           "logits=h @ self.token.weight.T)", "logits=F.linear(h, self.token.weight))"),
    # --- 4.7 sampling
    Mutant("sampling", "top-k by scattering the k best into a tensor of -inf, top-p as Hugging Face "
           "writes it (ascending sort, drop while the cumulative probability is <= 1 - p), softmax by torch.softmax",
           "kth_best = scores.topk(min(top_k, scores.shape[-1]), dim=-1).values[:, -1:]\n"
           "        scores = scores.masked_fill(scores < kth_best, float(\"-inf\"))\n"
           "    if top_p is not None:\n"
           "        sorted_scores, order = scores.sort(dim=-1, descending=True)\n"
           "        probs = sorted_scores.softmax(dim=-1)\n"
           "        mass_before = probs.cumsum(dim=-1) - probs  # probability of the tokens ranked above\n"
           "        drop_sorted = mass_before >= top_p\n"
           "        drop = torch.zeros_like(drop_sorted).scatter(-1, order, drop_sorted)  # back to vocab order\n",
           "best, where = scores.topk(min(top_k, scores.shape[-1]), dim=-1)\n"
           "        scores = torch.full_like(scores, float(\"-inf\")).scatter(-1, where, best)\n"
           "    if top_p is not None:\n"
           "        ascending, order = torch.sort(scores, dim=-1)\n"
           "        cumulative = torch.softmax(ascending, dim=-1).cumsum(dim=-1)\n"
           "        drop_sorted = cumulative <= 1 - top_p\n"
           "        drop_sorted[:, -1] = False  # the most probable token always stays\n"
           "        drop = drop_sorted.scatter(-1, order, drop_sorted)\n"),
]
