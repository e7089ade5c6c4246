"""The reference models: shapes, masks, causality, the real-BERT reproduction, save/load."""

import pytest
import torch

from llmcourse.models import (GPT, Encoder, MaskedLM, TransformerConfig, WeightMappingError,
                              bert_weight_map, load_bert_weights, load_model, pretrained_encoder,
                              save_model)

SMALL = dict(d_model=32, n_heads=4, n_layers=2, d_ff=64, max_len=16, dropout=0.0)


def test_encoder_shapes_and_outputs():
    model = Encoder(TransformerConfig.bert_like(50, **SMALL)).eval()
    ids = torch.randint(0, 50, (3, 7))
    out = model(ids, output_attentions=True, output_hidden_states=True)
    assert out.last_hidden_state.shape == (3, 7, 32)
    assert len(out.hidden_states) == 3 and len(out.attentions) == 2
    assert out.attentions[0].shape == (3, 4, 7, 7)
    torch.testing.assert_close(out.attentions[1].sum(-1), torch.ones(3, 4, 7))


def test_padding_is_never_attended_and_does_not_change_real_tokens():
    model = Encoder(TransformerConfig.bert_like(50, **SMALL)).eval()
    ids = torch.randint(1, 50, (1, 5))
    padded = torch.cat([ids, torch.zeros(1, 3, dtype=torch.long)], dim=1)
    mask = torch.tensor([[1] * 5 + [0] * 3])
    alone = model(ids).last_hidden_state
    out = model(padded, mask, output_attentions=True)
    torch.testing.assert_close(out.last_hidden_state[:, :5], alone, atol=1e-5, rtol=1e-5)
    assert out.attentions[0][..., 5:].abs().max() == 0


def test_gpt_is_causal():
    model = GPT(TransformerConfig.gpt_like(50, **SMALL)).eval()
    ids = torch.randint(0, 50, (2, 9))
    full = model(ids, output_attentions=True)
    prefix = model(ids[:, :4])
    torch.testing.assert_close(full.logits[:, :4], prefix.logits, atol=1e-5, rtol=1e-5)
    assert full.attentions[0].triu(diagonal=1).abs().max() == 0
    assert full.logits.shape == (2, 9, 50)


def test_configs_are_checked():
    with pytest.raises(ValueError, match="divisible"):
        TransformerConfig(vocab_size=10, d_model=30, n_heads=4)
    with pytest.raises(ValueError, match="gpt_like"):
        GPT(TransformerConfig.bert_like(10, **SMALL))
    with pytest.raises(ValueError, match="bidirectional"):
        Encoder(TransformerConfig.gpt_like(10, **SMALL))
    with pytest.raises(ValueError, match="max_len"):
        Encoder(TransformerConfig.bert_like(10, **SMALL))(torch.zeros(1, 17, dtype=torch.long))


def test_output_layer_is_tied_to_the_embeddings():
    mlm = MaskedLM(TransformerConfig.bert_like(50, **SMALL))
    gpt = GPT(TransformerConfig.gpt_like(50, **SMALL))
    n_mlm = sum(p.numel() for p in mlm.parameters())
    assert n_mlm == mlm.encoder.num_parameters() + 32 * 32 + 32 + 2 * 32 + 50  # transform + LN + bias
    assert gpt.num_parameters() == sum(p.numel() for p in gpt.parameters())


def test_masked_lm_scores_only_the_positions_asked_for():
    mlm = MaskedLM(TransformerConfig.bert_like(50, **SMALL)).eval()
    ids = torch.randint(0, 50, (2, 6))
    at = torch.zeros(2, 6, dtype=torch.bool)
    at[0, 1] = at[1, 4] = at[1, 5] = True
    every = mlm(ids).logits
    some = mlm(ids, predict_at=at).logits
    assert some.shape == (3, 50)
    torch.testing.assert_close(some, every[at])


@pytest.mark.parametrize("kind", [MaskedLM, GPT])
def test_save_and_load_round_trip(tmp_path, kind):
    cfg = (TransformerConfig.gpt_like if kind is GPT else TransformerConfig.bert_like)(50, **SMALL)
    model = kind(cfg).eval()
    ids = torch.randint(0, 50, (2, 6))
    load_model(save_model(model, tmp_path / "m"))
    again = load_model(tmp_path / "m")
    assert type(again) is kind
    torch.testing.assert_close(again(ids).logits, model(ids).logits)
    with pytest.raises(FileNotFoundError, match="no saved model"):
        load_model(tmp_path / "nothing")


@pytest.fixture(scope="module")
def minilm():
    from llmcourse.pretrained import load_pretrained

    hf, tokenizer = load_pretrained(attentions=True, verbose=False)
    return hf, tokenizer


def test_reproduces_a_real_pretrained_bert(minilm):
    hf, tokenizer = minilm
    ours, _ = pretrained_encoder(verbose=False)
    batch = tokenizer(["A quiet, beautiful film.", "I want my two hours back!"], padding=True,
                      return_tensors="pt")
    with torch.no_grad():
        ref = hf(**batch, output_hidden_states=True, output_attentions=True)
        out = ours(batch["input_ids"], batch["attention_mask"], batch["token_type_ids"],
                   output_hidden_states=True, output_attentions=True)
    real = batch["attention_mask"].bool()
    for layer, (a, b) in enumerate(zip(ref.hidden_states, out.hidden_states)):
        assert (a - b)[real].abs().max() < 1e-4, f"hidden state {layer} differs"
    for a, b in zip(ref.attentions, out.attentions):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=0)


def test_a_wrong_weight_mapping_names_the_tensor(minilm):
    hf, _ = minilm
    from llmcourse.models import bert_config

    model = Encoder(bert_config(hf.config))
    swapped = bert_weight_map(6)
    swapped["encoder.layer.2.intermediate.dense.weight"] = "blocks.2.ff.down.weight"
    with pytest.raises(WeightMappingError, match="encoder.layer.2.intermediate.dense.weight"):
        load_bert_weights(model, hf.state_dict(), swapped)
    incomplete = bert_weight_map(6)
    del incomplete["embeddings.LayerNorm.bias"]
    with pytest.raises(WeightMappingError, match="got no pretrained weights"):
        load_bert_weights(model, hf.state_dict(), incomplete)
