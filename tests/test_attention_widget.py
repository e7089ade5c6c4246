"""The attention heatmap: validation messages, cropping, views, controls, PNG output."""

import io
import warnings

import numpy as np
import pytest
import torch
from matplotlib.image import imread

from llmcourse.attention_widget import AttentionInputError, AttentionWidget, attention_figure, prepare, top_keys
from llmcourse.models import Encoder, TransformerConfig

TOKENS = ["[CLS]", "the", "cat", "sat", "[SEP]", "[PAD]"]


def weights(layers=2, batch=2, heads=3, T=6, seed=0):
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(batch, heads, T, T, generator=g).softmax(-1) for _ in range(layers)]


def png_pixels(data: bytes) -> np.ndarray:
    return imread(io.BytesIO(data), format="png")


def test_accepts_the_course_models_attentions():
    model = Encoder(TransformerConfig.bert_like(50, d_model=16, n_heads=2, n_layers=3, d_ff=32)).eval()
    mask = torch.tensor([[1, 1, 1, 1, 1, 0]])
    out = model(torch.randint(5, 50, (1, 6)), attention_mask=mask, output_attentions=True)
    w = AttentionWidget(out.attentions, TOKENS, attention_mask=mask)
    assert w.weights.shape == (3, 2, 5, 5)
    assert w.tokens == TOKENS[:5], "padding should be cropped using the attention mask"


@pytest.mark.parametrize("empty", [None, [], (), (None, None)])
def test_empty_attentions_say_to_use_eager(empty):
    with pytest.raises(AttentionInputError, match="eager"):
        AttentionWidget(empty, TOKENS)


def test_token_count_mismatch_is_reported():
    with pytest.raises(AttentionInputError, match="5 tokens but the attention weights are 6"):
        AttentionWidget(weights(), TOKENS[:5])


def test_scores_instead_of_weights_are_rejected():
    scores = [torch.randn(1, 2, 6, 6)]
    with pytest.raises(AttentionInputError, match="sum to 1"):
        AttentionWidget(scores, TOKENS)


def test_nan_rows_are_explained():
    w = weights(layers=1, batch=1)
    w[0][0, 0, 2] = float("nan")
    with pytest.raises(AttentionInputError, match="NaN"):
        AttentionWidget(w, TOKENS)


def test_single_tensor_shapes_and_batch_index():
    w = weights(layers=1, batch=2)[0]
    assert prepare(w, TOKENS)[0].shape == (1, 3, 6, 6)
    assert prepare(w[1], TOKENS)[0].shape == (1, 3, 6, 6)
    assert prepare(w[1, 0], TOKENS)[0].shape == (1, 1, 6, 6)
    picked, _ = prepare(w, TOKENS, batch_index=1)
    assert np.allclose(picked[0], w[1].numpy())
    with pytest.raises(AttentionInputError, match="batch_index"):
        prepare(torch.stack([w, w]), TOKENS, batch_index=5)


def test_hide_special_tokens_and_max_tokens():
    kept, tokens = prepare(weights(), TOKENS, hide_special=True)
    assert tokens == ["the", "cat", "sat"] and kept.shape[-1] == 3
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _, tokens = prepare(weights(T=6), TOKENS, max_tokens=4)
    assert tokens == TOKENS[:4] and any("first 4 of 6" in str(c.message) for c in caught)
    with pytest.raises(AttentionInputError, match="no tokens left"):
        prepare(weights(), ["[CLS]"] * 6, hide_special=True)


def test_bad_choices_are_named():
    with pytest.raises(AttentionInputError, match="layer 7 does not exist"):
        attention_figure(weights(), TOKENS, layer=7)
    with pytest.raises(AttentionInputError, match="head should be"):
        attention_figure(weights(), TOKENS, head=9)
    with pytest.raises(AttentionInputError, match="view should be"):
        attention_figure(weights(), TOKENS, view="3d")


def test_top_keys_reads_the_chosen_row():
    w = np.zeros((1, 2, 3, 3))
    w[0, 1, 2] = [0.1, 0.7, 0.2]
    w[0, 0, 2] = [0.5, 0.3, 0.2]
    assert [j for j, _, _ in top_keys(w, ["a", "b", "c"], 0, 1, 2, k=2)] == [1, 2]
    assert top_keys(w, ["a", "b", "c"], 0, "mean", 2, k=1)[0][:2] == (1, "b")  # means 0.3, 0.5, 0.2


def test_views_draw_different_pictures():
    w = AttentionWidget(weights(), TOKENS)
    pictures = {}
    for view in ("head", "grid", "mean"):
        w.view = view
        pictures[view] = png_pixels(w.png())
        assert pictures[view].shape[0] > 100
    assert pictures["head"].shape != pictures["grid"].shape


def test_controls_change_the_image_and_readout():
    w = AttentionWidget(weights(), TOKENS)
    box = w.widget()
    layer, head, query, hide = box.children[0].children
    image, readout = box.children[2], box.children[3]
    before, text = image.value, readout.value
    layer.value = 1
    assert image.value != before and "layer 1" in readout.value
    head.value = "mean"
    assert "mean of heads" in readout.value
    query.value = 3
    assert "'sat' (#3)" in readout.value and readout.value != text
    hide.value = True
    assert w.tokens == ["the", "cat", "sat"] and len(query.options) == 3


def test_display_bundle_has_static_fallback_and_save(tmp_path):
    w = AttentionWidget(weights(), TOKENS, layer=1, head=2)
    bundle = w._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert bundle["image/png"] and "attends most to" in bundle["text/plain"]
    w.save(tmp_path / "attention.png")
    assert png_pixels((tmp_path / "attention.png").read_bytes()).ndim == 3


def test_real_pretrained_attention():
    from llmcourse.pretrained import load_pretrained
    model, tokenizer = load_pretrained(attentions=True, verbose=False)
    batch = tokenizer(["the cat sat on the mat"], return_tensors="pt")
    with torch.no_grad():
        out = model(**batch, output_attentions=True)
    tokens = tokenizer.convert_ids_to_tokens(batch["input_ids"][0])
    w = AttentionWidget(out.attentions, tokens, attention_mask=batch["attention_mask"])
    assert w.weights.shape[:2] == (6, 12) and w.tokens[0] == "[CLS]"


def test_colour_scale_follows_what_is_shown_and_says_so():
    small = [torch.full((1, 2, 6, 6), 1 / 6)]  # spread weights: all 0.167
    fixed = attention_figure(small, TOKENS, scale="0-1")
    to_max = attention_figure(small, TOKENS, scale="max")
    per_row = attention_figure(small, TOKENS, scale="row")
    bar = {name: fig.axes[-1].get_ylabel() for name, fig in
           (("0-1", fixed), ("max", to_max), ("row", per_row))}
    assert "0 to 1" in bar["0-1"] and "0.167" in bar["max"] and "row" in bar["row"]
    # on the 0-1 scale the picture is dark; scaled to what is shown, it is not
    assert fixed.axes[0].images[0].get_clim() == (0.0, 1.0)
    assert to_max.axes[0].images[0].get_clim()[1] == pytest.approx(1 / 6)
    assert per_row.axes[0].images[0].get_array().max() == pytest.approx(1.0)
    with pytest.raises(AttentionInputError, match="scale should be one of"):
        attention_figure(small, TOKENS, scale="log")


def test_text_view_shows_the_whole_input_escaped_and_glued():
    from llmcourse.attention_widget import highlighted_text

    page = highlighted_text(["[CLS]", "<script>", "un", "##watch", "##able"], [0.1, 0.5, 0.2, 0.1, 0.1], query=0)
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert ">un</span><span" in page and ">watch</span><span" in page  # pieces of one word, no spaces
    assert page.count("outline") == 1
    long = [torch.full((1, 1, 80, 80), 1 / 80)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = AttentionWidget(long, [f"t{i}" for i in range(80)])
    assert len(w.tokens) == 64 and w.text_view().count("<span") == 80  # heatmap cropped, text not


def test_scale_control_redraws_and_the_text_view_follows_the_query():
    w = AttentionWidget(weights(), TOKENS)
    box = w.widget()
    view, scale = box.children[1].children
    image, passage = box.children[2], box.children[4]
    before = image.value
    scale.value = "row"
    assert image.value != before and w.scale == "row"
    query = box.children[0].children[2]
    text = passage.value
    query.value = 3
    assert passage.value != text and "sat (#3)" in passage.value


def luminance(rgb) -> float:
    red, green, blue = (float(c) for c in rgb[:3])
    return 0.299 * red + 0.587 * green + 0.114 * blue


def backgrounds(page: str) -> list[tuple[int, int, int]]:
    import re
    return [tuple(int(c) for c in m) for m in re.findall(r"background: rgb\((\d+), (\d+), (\d+)\)", page)]


def test_heatmap_and_text_view_read_by_the_same_rule():
    """The text view says "darker = more": so must the heatmap, in the same colours."""
    from matplotlib import colormaps

    from llmcourse.attention_widget import CMAP

    row = torch.tensor([0.05, 0.6, 0.1, 0.15, 0.05, 0.05])
    w = AttentionWidget([row.expand(1, 1, 6, 6).clone()], TOKENS, query=2)
    assert "darker = more" in w.text_view()
    image = w.figure().axes[0].images[0]
    painted = image.to_rgba(image.get_array())[2]  # the query's row, as drawn
    assert luminance(painted[1]) < luminance(painted[0]), "in the heatmap more attention is not darker"
    shades = backgrounds(w.text_view())
    assert len(shades) == 6 and luminance(shades[1]) < luminance(shades[0]) < 255
    top = tuple(round(255 * c) for c in colormaps[CMAP](1.0)[:3])
    assert shades[1] == top == tuple(round(255 * c) for c in painted[1][:3]), "the two views use other colours"
    assert "color: white" in w.text_view().split("</span>")[1]  # readable on the darkest shade


def test_hiding_special_tokens_keeps_the_chosen_query(monkeypatch):
    """The same token stays chosen when it is still shown; a hidden one gives way to its nearest."""
    monkeypatch.setattr(AttentionWidget, "png", lambda self: b"")  # pictures are not the point: 15 redraws
    w = AttentionWidget(weights(), TOKENS)
    box = w.widget()
    _, _, query, hide = box.children[0].children
    readout = box.children[3]
    # chosen among all six, then where it is among the shown "the cat sat" (positions 1-3)
    for chosen, hidden_query, name in [(3, 2, "sat"), (1, 0, "the"), (0, 0, "the"), (4, 2, "sat"), (5, 2, "sat")]:
        query.value = chosen
        hide.value = True
        assert (query.value, w.query) == (hidden_query, hidden_query), TOKENS[chosen]
        assert f"'{name}' (#{hidden_query})" in readout.value
        hide.value = False
        assert TOKENS[query.value] == name and w.query == query.value
