"""Lesson 05's classifier saved and read back for lessons 06 and 07 (llmcourse/sentiment.py)."""

import pytest
import torch
import torch.nn as nn
from tokenizers import Tokenizer, models, pre_tokenizers
from transformers import PreTrainedTokenizerFast

from llmcourse.models import Encoder, TransformerConfig
from llmcourse.sentiment import SentimentScorer, save_sentiment_classifier

WORDS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "good", "bad", "movie", "a", "very"]


def tiny_tokenizer():
    model = models.WordLevel({w: i for i, w in enumerate(WORDS)}, unk_token="[UNK]")
    tok = Tokenizer(model)
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    return PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="[PAD]", unk_token="[UNK]")


@pytest.mark.parametrize("pooling", ["cls", "mean"])
def test_scores_equal_the_classifier_that_was_saved(tmp_path, pooling):
    torch.manual_seed(0)
    encoder = Encoder(TransformerConfig.bert_like(len(WORDS), d_model=16, n_heads=2, n_layers=1, d_ff=32,
                                                  max_len=16)).eval()
    linear = nn.Linear(16, 2)
    tokenizer = tiny_tokenizer()
    save_sentiment_classifier(tmp_path / "clf", encoder, linear, pooling, tokenizer, max_len=8)
    scorer = SentimentScorer(tmp_path / "clf")
    texts = ["a very good movie", "bad", "a movie<br />very very bad movie a good"]  # the last is cut at 8 tokens
    got = scorer(texts, batch_size=2)  # two batches, padded differently
    want = []
    for text in texts:
        ids = torch.tensor([tokenizer(text.replace("<br />", " "))["input_ids"][:8]])
        with torch.no_grad():
            hidden = encoder(ids).last_hidden_state
            pooled = hidden[:, 0] if pooling == "cls" else hidden.mean(dim=1)
            want.append(linear(pooled).softmax(dim=-1)[0, 1])
    assert got.shape == (3,)
    torch.testing.assert_close(got, torch.stack(want), atol=1e-5, rtol=1e-5)
    assert scorer([]).shape == (0,)
    logits = scorer.logits(texts, batch_size=3)  # lesson 07's teacher: the scores before the softmax
    assert logits.shape == (3, 2) and scorer.logits([]).shape == (0, 2)
    torch.testing.assert_close(logits.softmax(dim=-1)[:, 1], got, atol=1e-5, rtol=1e-5)


def test_missing_classifier_says_which_lesson_to_run(tmp_path):
    with pytest.raises(FileNotFoundError, match="run lesson 05"):
        SentimentScorer(tmp_path / "nothing")


def test_unknown_pooling_is_refused(tmp_path):
    encoder = Encoder(TransformerConfig.bert_like(len(WORDS), d_model=8, n_heads=2, n_layers=1, d_ff=16, max_len=8))
    with pytest.raises(ValueError, match="pooling"):
        save_sentiment_classifier(tmp_path, encoder, nn.Linear(8, 2), "max", tiny_tokenizer(), 8)
