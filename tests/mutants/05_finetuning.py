"""Wrong answers to lesson 05's exercises that its tests must catch."""

from mutation import Mutant

LABELS = 'labels = torch.tensor([ex["label"] for ex in examples], dtype=torch.long)'
CLS = "pooled = hidden[:, 0]"
MEAN = "pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1)"
F1_COUNTS = ("    tp = ((predicted == 1) & (labels == 1)).sum().item()\n"
             "    fp = ((predicted == 1) & (labels == 0)).sum().item()\n"
             "    fn = ((predicted == 0) & (labels == 1)).sum().item()")

MUTANTS = [
    # collate
    Mutant("collate", "padding attended to: the mask is 1 everywhere, padding included",
           "attention_mask = torch.zeros((len(examples), longest), dtype=torch.long)",
           "attention_mask = torch.ones((len(examples), longest), dtype=torch.long)"),
    Mutant("collate", "labels misaligned with inputs: labels taken from the examples sorted by length",
           LABELS,
           'labels = torch.tensor([ex["label"] for ex in sorted(examples, key=lambda ex: len(ex["input_ids"]), '
           'reverse=True)], dtype=torch.long)'),
    Mutant("collate", "mask from the ids (input_ids != pad_id): a real token equal to pad_id is masked",
           LABELS, "attention_mask = (input_ids != pad_id).long()\n    " + LABELS),
    Mutant("collate", "pads with 0 whatever pad_id is",
           "input_ids = torch.full((len(examples), longest), pad_id, dtype=torch.long)",
           "input_ids = torch.full((len(examples), longest), 0, dtype=torch.long)"),
    Mutant("collate", "labels as floats: cross_entropy wants class indices",
           LABELS, 'labels = torch.tensor([ex["label"] for ex in examples], dtype=torch.float)'),
    # classifier head
    Mutant("classifier_head", "pools the last position instead of [CLS] (the first)",
           CLS, "pooled = hidden[:, -1]"),
    Mutant("classifier_head", "mean pooling averages the padding too",
           MEAN, "pooled = hidden.mean(dim=1)"),
    Mutant("classifier_head", "dropout created but never applied",
           "return self.linear(self.dropout(pooled))", "return self.linear(pooled)"),
    Mutant("classifier_head", "dropout after the linear layer (on the logits) instead of before it",
           "return self.linear(self.dropout(pooled))", "return self.dropout(self.linear(pooled))"),
    Mutant("classifier_head", "[CLS] taken as hidden[:, :1].squeeze(): a batch of one loses its batch dimension",
           CLS, "pooled = hidden[:, :1].squeeze()"),
    Mutant("classifier_head", "accepts any pooling name silently (falls back to mean)",
           'if pooling not in ("cls", "mean"):\n            raise ValueError(f"pooling must be \'cls\' or \'mean\', got {pooling!r}")\n        ',
           ""),
    # train_one_epoch
    Mutant("train_one_epoch", "scheduler never stepped: the learning rate stays at its first value",
           "        scheduler.step()\n", ""),
    Mutant("train_one_epoch", "never switches to training mode (dropout stays off)",
           "model.train()  # dropout on", "pass"),
    Mutant("train_one_epoch", "no gradient clipping",
           "torch.nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm)", "pass"),
    Mutant("train_one_epoch", "never clears the gradients: they add up across batches",
           "        optimizer.zero_grad()\n", ""),
    Mutant("train_one_epoch", "returns the last batch's loss instead of the mean",
           "return total / n_batches", "return loss.item()"),
    # evaluate
    Mutant("evaluate", "model left in training mode during evaluation (dropout on)",
           "model.eval()  # dropout off", "pass"),
    Mutant("evaluate", "F1 computed on the wrong class (negative = 0 as the detected class)",
           F1_COUNTS,
           "    tp = ((predicted == 0) & (labels == 0)).sum().item()\n"
           "    fp = ((predicted == 0) & (labels == 1)).sum().item()\n"
           "    fn = ((predicted == 1) & (labels == 0)).sum().item()"),
    Mutant("evaluate", "gradients recorded during evaluation (no torch.no_grad() or inference_mode())",
           "with torch.inference_mode():", "with torch.enable_grad():"),
    Mutant("evaluate", "F1 by precision/recall with no guard: divides by zero without positive predictions",
           "f1 = 2 * tp / (2 * tp + fp + fn) if tp > 0 else 0.0",
           "precision, recall = tp / (tp + fp), tp / (tp + fn)\n"
           "    f1 = 2 * precision * recall / (precision + recall)"),
    Mutant("evaluate", "squeezes each batch's logits: a last batch of one review becomes [2], not [1, 2]",
           "all_logits.append(logits.float().cpu())", "all_logits.append(logits.float().cpu().squeeze())"),
    # most_confident_mistakes
    Mutant("most_confident_mistakes", "least confident mistakes first",
           "descending=True", "descending=False"),
    Mutant("most_confident_mistakes", "ranks all reviews, correct ones included",
           "wrong = (predicted != labels).nonzero(as_tuple=True)[0]",
           "wrong = torch.arange(len(labels))"),
    Mutant("most_confident_mistakes", "nonzero().squeeze(): a single mistake becomes a 0-d tensor",
           "wrong = (predicted != labels).nonzero(as_tuple=True)[0]",
           "wrong = (predicted != labels).nonzero().squeeze()"),
    Mutant("most_confident_mistakes", "confidence as the largest logit rather than a probability",
           "confidence, predicted = logits.float().softmax(dim=-1).max(dim=-1)",
           "confidence, predicted = logits.float().max(dim=-1)"),
    # checks that teach (issue 32): the boundaries the statements state
    Mutant("evaluate", "logits collected in the model's dtype, not float32",
           "all_logits.append(logits.float().cpu())", "all_logits.append(logits.cpu())", only="test_evaluate"),
    Mutant("most_confident_mistakes", "k at least the number of mistakes: returns them unsorted, in index order",
           "    return wrong[order[:k]]",
           "    if k >= len(wrong):  # every mistake is wanted: nothing to choose\n"
           "        return wrong\n"
           "    return wrong[order[:k]]", only="test_most_confident_mistakes"),
]

# the whole body of the solution's collate, replaced by each rewrite below
COLLATE_BODY = ("    longest = max(len(ex[\"input_ids\"]) for ex in examples)\n"
                "    input_ids = torch.full((len(examples), longest), pad_id, dtype=torch.long)\n"
                "    attention_mask = torch.zeros((len(examples), longest), dtype=torch.long)\n"
                "    for i, ex in enumerate(examples):\n"
                "        n = len(ex[\"input_ids\"])\n"
                "        input_ids[i, :n] = torch.tensor(ex[\"input_ids\"], dtype=torch.long)\n"
                "        attention_mask[i, :n] = 1\n"
                "    " + LABELS + "\n")

EQUIVALENTS = [
    # collate
    Mutant("collate", "pad_sequence for the ids, the mask from the lengths, labels without an explicit dtype",
           COLLATE_BODY,
           "    from torch.nn.utils.rnn import pad_sequence\n"
           "    rows = [torch.tensor(ex[\"input_ids\"], dtype=torch.long) for ex in examples]\n"
           "    input_ids = pad_sequence(rows, batch_first=True, padding_value=pad_id)\n"
           "    lengths = torch.tensor([len(r) for r in rows])\n"
           "    attention_mask = (torch.arange(input_ids.shape[1])[None, :] < lengths[:, None]).long()\n"
           "    labels = torch.tensor([int(ex[\"label\"]) for ex in examples])\n"),
    Mutant("collate", "a loop that pads Python lists, one tensor made at the end of each",
           COLLATE_BODY,
           "    longest = 0\n"
           "    for ex in examples:\n"
           "        longest = max(longest, len(ex[\"input_ids\"]))\n"
           "    ids, mask, ys = [], [], []\n"
           "    for ex in examples:\n"
           "        missing = longest - len(ex[\"input_ids\"])\n"
           "        ids.append(list(ex[\"input_ids\"]) + [pad_id] * missing)\n"
           "        mask.append([1] * len(ex[\"input_ids\"]) + [0] * missing)\n"
           "        ys.append(ex[\"label\"])\n"
           "    input_ids = torch.tensor(ids, dtype=torch.long)\n"
           "    attention_mask = torch.tensor(mask, dtype=torch.long)\n"
           "    labels = torch.LongTensor(ys)\n"),
    # classifier head
    Mutant("classifier_head", "the linear layer created before the dropout, the pooling checked last",
           "        if pooling not in (\"cls\", \"mean\"):\n"
           "            raise ValueError(f\"pooling must be 'cls' or 'mean', got {pooling!r}\")\n"
           "        self.pooling = pooling\n"
           "        self.dropout = nn.Dropout(dropout)\n"
           "        self.linear = nn.Linear(d_model, n_classes)\n",
           "        self.linear = nn.Linear(in_features=d_model, out_features=n_classes)\n"
           "        self.dropout = nn.Dropout(p=dropout)\n"
           "        if pooling == \"cls\" or pooling == \"mean\":\n"
           "            self.pooling = pooling\n"
           "        else:\n"
           "            raise ValueError(\"unknown pooling \" + str(pooling))\n"),
    Mutant("classifier_head", "mean pooling as an einsum with normalised mask weights; [CLS] as hidden[:, 0, :]; "
           "functional dropout with the module's p",
           "        if self.pooling == \"cls\":\n"
           "            pooled = hidden[:, 0]\n"
           "        else:\n"
           "            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)\n"
           "            " + MEAN + "\n"
           "        return self.linear(self.dropout(pooled))\n",
           "        if self.pooling == \"mean\":\n"
           "            weights = attention_mask.to(hidden.dtype)\n"
           "            weights = weights / weights.sum(dim=1, keepdim=True).clamp(min=1)\n"
           "            pooled = torch.einsum(\"bt,btd->bd\", weights, hidden)\n"
           "        else:\n"
           "            pooled = hidden[:, 0, :]\n"
           "        pooled = torch.nn.functional.dropout(pooled, p=self.dropout.p, training=self.training)\n"
           "        return self.linear(pooled)\n"),
    # train_one_epoch
    Mutant("train_one_epoch", "zero_grad(set_to_none=True) before the forward pass, a summed loss divided by "
           "the batch size, the batch moved as a dict, the losses averaged as a tensor",
           "    total, n_batches = 0.0, 0\n"
           "    for batch in loader:\n"
           "        input_ids = batch[\"input_ids\"].to(device)\n"
           "        attention_mask = batch[\"attention_mask\"].to(device)\n"
           "        labels = batch[\"labels\"].to(device)\n"
           "        with autocast(device):\n"
           "            logits = model(input_ids, attention_mask)\n"
           "        loss = F.cross_entropy(logits.float(), labels)\n"
           "        optimizer.zero_grad()\n"
           "        loss.backward()\n"
           "        torch.nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm)\n"
           "        optimizer.step()\n"
           "        scheduler.step()\n"
           "        total += loss.item()\n"
           "        n_batches += 1\n"
           "    return total / n_batches\n",
           "    losses = []\n"
           "    for batch in loader:\n"
           "        batch = {name: t.to(device) for name, t in batch.items()}\n"
           "        optimizer.zero_grad(set_to_none=True)\n"
           "        with autocast(device):\n"
           "            logits = model(batch[\"input_ids\"], batch[\"attention_mask\"])\n"
           "        loss = F.cross_entropy(logits.float(), batch[\"labels\"], reduction=\"sum\") / len(batch[\"labels\"])\n"
           "        losses.append(loss.detach())\n"
           "        loss.backward()\n"
           "        torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=max_grad_norm)\n"
           "        optimizer.step()\n"
           "        scheduler.step()\n"
           "    return torch.stack(losses).mean().item()\n"),
    Mutant("train_one_epoch", "the gradient norm clipped by hand (no epsilon, only when it is over the limit)",
           "        torch.nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm)\n",
           "        grads = [p.grad for p in model.parameters() if p.grad is not None]\n"
           "        norm = torch.sqrt(sum((g.float() ** 2).sum() for g in grads))\n"
           "        if norm > max_grad_norm:\n"
           "            for g in grads:\n"
           "                g.mul_(max_grad_norm / norm)\n"),
    # evaluate
    Mutant("evaluate", "counts accumulated batch by batch under torch.no_grad(), F1 from precision and recall "
           "with guards, accuracy as correct / total",
           "    with torch.inference_mode():\n"
           "        for batch in loader:\n"
           "            with autocast(device):\n"
           "                logits = model(batch[\"input_ids\"].to(device), batch[\"attention_mask\"].to(device))\n"
           "            all_logits.append(logits.float().cpu())\n"
           "            all_labels.append(batch[\"labels\"].cpu())\n"
           "    logits, labels = torch.cat(all_logits), torch.cat(all_labels)\n"
           "    predicted = logits.argmax(dim=-1)\n"
           "    accuracy = (predicted == labels).float().mean().item()\n"
           + F1_COUNTS + "\n"
           "    f1 = 2 * tp / (2 * tp + fp + fn) if tp > 0 else 0.0\n",
           "    correct = total = tp = fp = fn = 0\n"
           "    with torch.no_grad():\n"
           "        for batch in loader:\n"
           "            y = batch[\"labels\"].to(device)\n"
           "            with autocast(device):\n"
           "                out = model(batch[\"input_ids\"].to(device), batch[\"attention_mask\"].to(device))\n"
           "            out = out.float()\n"
           "            pred = out.argmax(dim=-1)\n"
           "            correct += int((pred == y).sum())\n"
           "            total += len(y)\n"
           "            tp += int(((pred == 1) & (y == 1)).sum())\n"
           "            fp += int(((pred == 1) & (y != 1)).sum())\n"
           "            fn += int(((pred != 1) & (y == 1)).sum())\n"
           "            all_logits.append(out.cpu())\n"
           "            all_labels.append(y.cpu())\n"
           "    logits, labels = torch.cat(all_logits, dim=0), torch.cat(all_labels, dim=0)\n"
           "    accuracy = correct / total\n"
           "    precision = tp / (tp + fp) if tp + fp > 0 else 0.0\n"
           "    recall = tp / (tp + fn) if tp + fn > 0 else 0.0\n"
           "    f1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0\n"),
    # most_confident_mistakes
    Mutant("most_confident_mistakes", "topk over the mistakes' probabilities of the predicted class (gather)",
           "    confidence, predicted = logits.float().softmax(dim=-1).max(dim=-1)\n"
           "    wrong = (predicted != labels).nonzero(as_tuple=True)[0]\n"
           "    order = torch.argsort(confidence[wrong], descending=True, stable=True)\n"
           "    return wrong[order[:k]]\n",
           "    probs = torch.softmax(logits.float(), dim=1)\n"
           "    predicted = probs.argmax(dim=1)\n"
           "    confidence = probs.gather(1, predicted.unsqueeze(1)).squeeze(1)\n"
           "    wrong = torch.where(predicted != labels)[0]\n"
           "    return wrong[confidence[wrong].topk(min(k, len(wrong))).indices]\n"),
]
