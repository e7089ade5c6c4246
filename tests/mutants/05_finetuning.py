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
]
