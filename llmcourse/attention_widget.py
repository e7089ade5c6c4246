"""Attention heatmaps: a figure function, and a widget with controls around it.

    from llmcourse.attention_widget import AttentionWidget
    AttentionWidget(out.attentions, tokens)            # as the last line of a cell, or
    display(AttentionWidget(out.attentions, tokens))   # anywhere (inside an if, a loop)

`attentions` is what a model returns: a list with one [B, H, T, T] tensor per layer (the
course's models with output_attentions=True, or a Hugging Face model's `outputs.attentions`
when it was loaded with eager attention). A single [B, H, T, T], [H, T, T] or [T, T] tensor is
one layer, a 5-D tensor [L, B, H, T, T] all layers. Rows are queries, columns are keys: row i shows where token i looks.

The widget draws with matplotlib into a PNG (an ipywidgets Image), so it needs no front-end
extension; the same PNG is attached to its output as a static fallback, which is what a
notebook exported to HTML, or viewed on GitHub, shows.
"""

import html
import warnings
from base64 import b64encode

import numpy as np
import torch
from matplotlib.figure import Figure

from .figures import png

SPECIAL_TOKENS = frozenset({"[CLS]", "[SEP]", "[PAD]", "[MASK]", "<s>", "</s>", "<pad>",
                            "<mask>", "<|endoftext|>", "<bos>", "<eos>"})
VIEWS = ("head", "grid", "mean")
# One colour map for the heatmap and the text view, so that one rule reads both: white for no
# attention, darker orange for more. Attention weights are often small and spread (a row over
# 128 keys averages 0.008), so a fixed 0-1 scale paints a nearly white square; the scale in use
# is always written on the colour bar.
CMAP = "Oranges"
MORE = "darker = more attention"
QUERY_COLOUR = "#1f77b4"  # the chosen query's outline: blue, which no shade of the map is
SCALES = {"max": "0 to the largest weight shown", "row": "each row ÷ its own maximum",
          "0-1": "fixed 0 to 1"}


class AttentionInputError(ValueError):
    """The attention weights, tokens or mask handed to the widget do not fit together."""


# --- from whatever the caller has to one clean array ----------------------------------------
def _to_numpy(x, what: str) -> np.ndarray:
    if isinstance(x, torch.Tensor):
        return x.detach().float().cpu().numpy()
    if isinstance(x, np.ndarray):
        return x.astype(np.float64)
    raise AttentionInputError(f"{what} should be a torch.Tensor or a NumPy array, got a {type(x).__name__}")


def attention_stack(attentions, batch_index: int = 0) -> np.ndarray:
    """The weights of one example as an array [layers, heads, T, T]."""
    missing = (attentions is None or (isinstance(attentions, (list, tuple)) and
               (len(attentions) == 0 or any(a is None for a in attentions))))
    if missing:
        raise AttentionInputError(
            "No attention weights were given (attentions is empty or None). A Hugging Face model "
            "returns none under its default SDPA attention: load it with "
            "attn_implementation='eager' (llmcourse.pretrained.load_pretrained(attentions=True)) "
            "and call it with output_attentions=True. The course's models need "
            "output_attentions=True.")
    if isinstance(attentions, (list, tuple)):
        layers = [_to_numpy(a, f"attentions[{i}]") for i, a in enumerate(attentions)]
        shapes = {a.shape for a in layers}
        if len(shapes) > 1:
            raise AttentionInputError(f"the layers' attention tensors differ in shape: {sorted(shapes)}")
        stack = np.stack(layers)  # [L, (B,) (H,) T, T]
    else:
        stack = _to_numpy(attentions, "attentions")
        stack = stack if stack.ndim == 5 else stack[None]  # [L, B, H, T, T] or one layer
    if stack.ndim == 3:  # [L, T, T]: one head
        stack = stack[:, None]
    if stack.ndim == 5:  # [L, B, H, T, T]: pick the example
        if not -stack.shape[1] <= batch_index < stack.shape[1]:
            raise AttentionInputError(f"batch_index {batch_index} is out of range for a batch of {stack.shape[1]}")
        stack = stack[:, batch_index]
    if stack.ndim != 4 or stack.shape[-1] != stack.shape[-2]:
        raise AttentionInputError(
            f"expected attention weights shaped [batch, heads, T, T] per layer, got a layer of shape "
            f"{tuple(stack.shape[1:])}")
    _check_rows(stack)
    return stack


def _check_rows(stack: np.ndarray) -> None:
    if not np.isfinite(stack).all():
        raise AttentionInputError(
            "the attention weights contain NaN or inf: a query whose every key is masked gives "
            "softmax of all -inf = 0/0. Keep at least one key per query (or zero such rows).")
    sums = stack.sum(-1)
    empty = np.abs(sums) < 1e-6  # a fully masked query row set to zeros is fine
    bad = ~empty & (np.abs(sums - 1) > 1e-3)
    if bad.any():
        layer, head, query = np.argwhere(bad)[0]
        raise AttentionInputError(
            f"each row of attention weights should sum to 1 over the keys, but layer {layer}, head "
            f"{head}, query {query} sums to {sums[layer, head, query]:.4f}. Pass the weights after "
            "the softmax (not the scores), shaped [..., queries, keys].")


def prepare(attentions, tokens, *, batch_index: int = 0, attention_mask=None,
            hide_special: bool = False, special_tokens=SPECIAL_TOKENS, max_tokens: int | None = 64):
    """Validated weights [L, H, t, t] and their t token labels, with padding (from the mask),
    special tokens (if asked) and everything past max_tokens (None: no limit) cropped away."""
    weights, shown, _ = _select(attentions, tokens, batch_index=batch_index, attention_mask=attention_mask,
                                hide_special=hide_special, special_tokens=special_tokens, max_tokens=max_tokens)
    return weights, shown


def _select(attentions, tokens, *, batch_index, attention_mask, hide_special, special_tokens, max_tokens):
    """prepare()'s weights and tokens, and the positions in the whole input of the tokens kept."""
    stack = attention_stack(attentions, batch_index)
    if isinstance(tokens, str) or not hasattr(tokens, "__len__"):
        raise AttentionInputError(
            "tokens should be a list of token strings, e.g. tokenizer.convert_ids_to_tokens(ids)")
    tokens = [str(t) for t in tokens]
    T = stack.shape[-1]
    if len(tokens) != T:
        raise AttentionInputError(
            f"{len(tokens)} tokens but the attention weights are {T} × {T}: pass the tokens of the "
            f"same (padded) sequence, example {batch_index} of the batch")
    keep = np.ones(T, dtype=bool)
    if attention_mask is not None:
        mask = _to_numpy(attention_mask, "attention_mask")
        mask = mask[batch_index] if mask.ndim == 2 else mask
        if mask.shape != (T,):
            raise AttentionInputError(f"attention_mask has {mask.shape[-1]} positions, the weights {T}")
        keep &= mask > 0
    if hide_special:
        keep &= np.array([t not in special_tokens for t in tokens])
    index = np.flatnonzero(keep)
    if len(index) == 0:
        raise AttentionInputError("no tokens left to show after removing padding and special tokens")
    if max_tokens is not None and len(index) > max_tokens:
        warnings.warn(f"showing the first {max_tokens} of {len(index)} tokens; pass max_tokens= to "
                      "show more (the labels get hard to read)", stacklevel=3)
        index = index[:max_tokens]
    return stack[:, :, index][:, :, :, index], [tokens[i] for i in index], index


def nearest(position: int, kept: np.ndarray) -> int:
    """Where the token at `position` of the whole input is among the kept positions; if it was
    cropped away, the kept token nearest to it (the earlier one on a tie)."""
    return int(np.argmin(np.abs(np.asarray(kept) - position)))


# --- drawing --------------------------------------------------------------------------------
def _scaled(weights: np.ndarray, scale: str) -> tuple[np.ndarray, float, str]:
    """(what to paint, the top of the colour scale, the colour bar's label) for one scale."""
    if scale == "row":
        top = weights.max(axis=-1, keepdims=True)
        return weights / np.where(top > 0, top, 1.0), 1.0, "weight ÷ its row's maximum"
    if scale == "0-1":
        return weights, 1.0, "attention weight (fixed scale 0 to 1)"
    top = float(weights.max()) or 1.0
    return weights, top, f"attention weight (scale 0 to {top:.3g}, the largest shown)"


def _panel(ax, weights, tokens, title, scale, labels=True, query=None):
    painted, top, _ = _scaled(weights, scale)
    image = ax.imshow(painted, cmap=CMAP, vmin=0.0, vmax=top)
    ax.set_title(title, fontsize=10)
    if labels:
        ticks = range(len(tokens))
        ax.set_xticks(ticks, tokens, rotation=90, fontsize=8)
        ax.set_yticks(ticks, tokens, fontsize=8)
        ax.set_xlabel("key (attended to)")
        ax.set_ylabel("query (attending)")
    else:
        ax.set_xticks([])
        ax.set_yticks([])
    if query is not None:  # outline the row the readout describes
        ax.add_patch(_row_box(query, len(tokens)))
    return image


def _row_box(row, width):
    from matplotlib.patches import Rectangle
    return Rectangle((-0.5, row - 0.5), width, 1, fill=False, edgecolor=QUERY_COLOUR, linewidth=2)


def attention_figure(attentions, tokens, *, layer: int = 0, head=0, view: str = "head",
                     batch_index: int = 0, attention_mask=None, hide_special: bool = False,
                     special_tokens=SPECIAL_TOKENS, max_tokens: int = 64, query: int | None = None,
                     scale: str = "max", title: str | None = None) -> Figure:
    """A matplotlib Figure of the attention of one layer.

    view "head": one head (head=int) or the mean over heads (head="mean"), with token labels
    and a colour bar; view "grid": every head of the layer side by side, and their mean; view
    "mean": the mean. scale: one of SCALES ("max", "row" or "0-1"), named on the colour bar.
    """
    weights, tokens = prepare(attentions, tokens, batch_index=batch_index,
                              attention_mask=attention_mask, hide_special=hide_special,
                              special_tokens=special_tokens, max_tokens=max_tokens)
    return _draw(weights, tokens, layer=layer, head=head, view=view, query=query, scale=scale,
                 title=title, renormalised_note=hide_special)


def _check_choice(weights, layer, head, view, scale="max"):
    L, H = weights.shape[:2]
    if view not in VIEWS:
        raise AttentionInputError(f"view should be one of {VIEWS}, got {view!r}")
    if scale not in SCALES:
        raise AttentionInputError(f"scale should be one of {tuple(SCALES)}, got {scale!r}")
    if not -L <= layer < L:
        raise AttentionInputError(f"layer {layer} does not exist: the model has {L} layers (0 to {L - 1})")
    if head != "mean" and not (isinstance(head, (int, np.integer)) and -H <= head < H):
        raise AttentionInputError(f"head should be 0 to {H - 1} or 'mean', got {head!r}")


def _draw(weights, tokens, *, layer, head, view, query, scale, title, renormalised_note):
    _check_choice(weights, layer, head, view, scale)
    if view == "mean":
        view, head = "head", "mean"
    n = len(tokens)
    name = title or "attention"
    note = " (special tokens hidden: rows no longer sum to 1)" if renormalised_note else ""
    if view == "head":
        side = min(11.0, 3.0 + 0.28 * n)
        fig = Figure(figsize=(side + 1.2, side), layout="tight")
        ax = fig.add_subplot()
        grid = weights[layer].mean(0) if head == "mean" else weights[layer, head]
        label = "mean of heads" if head == "mean" else f"head {head}"
        image = _panel(ax, grid, tokens, f"{name}: layer {layer}, {label}{note}", scale, query=query)
        fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label=_scaled(grid, scale)[2])
    else:
        H = weights.shape[1]
        cols = min(4, H + 1)
        rows = -(-(H + 1) // cols)
        cell = 2.6 if n <= 24 else 3.2
        fig = Figure(figsize=(cols * cell, rows * cell + 0.6), layout="constrained")
        panels = [(weights[layer, h], f"head {h}") for h in range(H)]
        panels.append((weights[layer].mean(0), "mean"))
        if scale == "max":  # one scale for all panels, so that they compare
            scale_all = float(weights[layer].max()) or 1.0
            panels = [(grid / scale_all, label) for grid, label in panels]
        for i, (grid, label) in enumerate(panels):
            ax = fig.add_subplot(rows, cols, i + 1)
            image = _panel(ax, grid, tokens, label, "0-1" if scale == "max" else scale, labels=False, query=query)
        bar = (f"attention weight ÷ {scale_all:.3g} (the largest shown)" if scale == "max"
               else _scaled(panels[0][0], scale)[2])
        fig.suptitle(f"{name}: layer {layer}, all heads{note}")
        fig.colorbar(image, ax=fig.axes, fraction=0.02, pad=0.02, label=bar)
    return fig


def top_keys(weights: np.ndarray, tokens, layer: int, head, query: int, k: int = 3):
    """The k keys that query token `query` attends to most: [(position, token, weight)]."""
    row = weights[layer].mean(0)[query] if head == "mean" else weights[layer, head, query]
    best = np.argsort(-row, kind="stable")[:k]
    return [(int(j), tokens[j], float(row[j])) for j in best]


class HighlightedText(str):
    """HTML that a notebook shows as HTML: display(highlighted_text(...)) in a lesson cell."""

    def _repr_html_(self) -> str:
        return str(self)


def highlighted_text(tokens, values, *, query: int | None = None, caption: str = "") -> HighlightedText:
    """HTML: the tokens as running text, each on the heatmap's colour for its value (scaled to
    the largest: darker = more), the query token outlined; WordPiece "##" pieces join the piece
    before them. Hovering a token shows its value. For long inputs, where a heatmap's labels are
    unreadable."""
    from matplotlib import colormaps

    values = np.asarray(values, dtype=np.float64)
    top = values.max() if values.size and values.max() > 0 else 1.0
    cmap = colormaps[CMAP]
    pieces = []
    for i, (token, value) in enumerate(zip(tokens, values)):
        glued = token.startswith("##") and len(token) > 2
        text = html.escape(token[2:] if glued else token, quote=False)
        red, green, blue, _ = (round(255 * c) for c in cmap(max(value, 0.0) / top))
        ink = "white" if 0.299 * red + 0.587 * green + 0.114 * blue < 128 else "black"  # readable on it
        style = f"background: rgb({red}, {green}, {blue}); color: {ink}; border-radius: 2px"
        if i == query:
            style += f"; outline: 2px solid {QUERY_COLOUR}"
        pieces.append(("" if glued or not pieces else " ") + f'<span style="{style}" title="{value:.4f}">{text}</span>')
    head = f"<div><b>{html.escape(caption, quote=False)}</b></div>" if caption else ""
    return HighlightedText(f'<div style="line-height: 1.9; max-width: 60em">{head}{"".join(pieces)}</div>')


# --- the widget -----------------------------------------------------------------------------
class AttentionWidget:
    """Attention heatmap with controls: layer, head (or mean), view, query, colour scale, hide
    special tokens; under it, the whole input as text highlighted by the query's attention.

    Shows itself when it is the last expression of a cell; `save(path)` writes the current view
    as a PNG. Validation happens here, at construction, so mistakes surface immediately.
    """

    def __init__(self, attentions, tokens, *, batch_index: int = 0, attention_mask=None,
                 layer: int = 0, head=0, view: str = "head", query: int | None = None,
                 hide_special: bool = False, special_tokens=SPECIAL_TOKENS, max_tokens: int = 64,
                 scale: str = "max", title: str | None = None):
        self._options = dict(batch_index=batch_index, attention_mask=attention_mask,
                             special_tokens=special_tokens)
        self._syncing = False  # set while the widget moves its own query control
        self._source, self._max_tokens = (attentions, tokens), max_tokens
        self.scale, self.title = scale, title
        self._hide_special = hide_special
        self._prepare(hide_special)
        L, H = self.weights.shape[:2]
        _check_choice(self.weights, layer, head, view, scale)
        self.layer, self.head, self.view = layer % L, head if head == "mean" else head % H, view
        self.query = query if query is not None else 0
        self._box = None

    def _prepare(self, hide_special: bool) -> None:
        """The heatmap's (cropped to max_tokens) and the text view's (whole input) weights; the
        positions in the whole input of the heatmap's tokens (to follow the query across crops)."""
        self.weights, self.tokens, self._positions = _select(*self._source, hide_special=hide_special,
                                                             max_tokens=self._max_tokens, **self._options)
        self._all_weights, self._all_tokens = prepare(*self._source, hide_special=hide_special,
                                                      max_tokens=None, **self._options)

    # state -> picture
    def figure(self) -> Figure:
        return _draw(self.weights, self.tokens, layer=self.layer, head=self.head, view=self.view,
                     query=self.query, scale=self.scale, title=self.title,
                     renormalised_note=self._hide_special)

    def text_view(self) -> str:
        """The whole input (not cropped to max_tokens) as HTML, each token highlighted by how
        much the query attends to it (this layer; this head, or the mean in the mean/grid views)."""
        head, q, where = self._shown()
        grid = self._all_weights[self.layer]
        row = grid.mean(0)[q] if head == "mean" else grid[head, q]
        return highlighted_text(self._all_tokens, row, query=q,
                                caption=f"where {self.tokens[q]} (#{q}) looks, layer {self.layer}, {where} "
                                        f"({MORE}, as in the heatmap; hover a token for its weight)")

    def png(self) -> bytes:
        return png(self.figure())

    def save(self, path) -> None:
        self.figure().savefig(path, format="png", dpi=120)

    def _shown(self):
        """(head or "mean", query index, its name in words) that the readout and text view describe."""
        head = "mean" if self.view in ("mean", "grid") else self.head
        return head, min(self.query, len(self.tokens) - 1), "mean of heads" if head == "mean" else f"head {head}"

    def readout(self, k: int = 3) -> str:
        head, q, where = self._shown()
        best = top_keys(self.weights, self.tokens, self.layer, head, q, k)
        parts = ", ".join(f"{tok!r} (#{j}) {w:.2f}" for j, tok, w in best)
        return f"query {self.tokens[q]!r} (#{q}), layer {self.layer}, {where} attends most to: {parts}"

    # the interactive part
    def widget(self):
        """The ipywidgets box (built once)."""
        if self._box is None:
            self._box = self._build()
        return self._box

    def _build(self):
        import ipywidgets as w
        L, H = self.weights.shape[:2]
        layer = w.Dropdown(options=list(range(L)), value=self.layer, description="layer",
                           layout=w.Layout(width="140px"))
        head = w.Dropdown(options=[*range(H), "mean"], value=self.head, description="head",
                          layout=w.Layout(width="140px"))
        view = w.ToggleButtons(options=list(VIEWS), value=self.view, description="view",
                               style={"button_width": "60px"})
        query = w.Dropdown(options=[(f"{i}: {t}", i) for i, t in enumerate(self.tokens)],
                           value=min(self.query, len(self.tokens) - 1), description="query",
                           layout=w.Layout(width="220px"))
        hide = w.Checkbox(value=self._hide_special, description="hide special tokens", indent=False)
        scale = w.ToggleButtons(options=[(name, name) for name in SCALES], value=self.scale,
                                description="colour", tooltips=list(SCALES.values()),
                                style={"button_width": "60px"})
        image = w.Image(value=self.png(), format="png")
        text = w.HTML(value=f"<code>{html.escape(self.readout(), quote=False)}</code>")
        passage = w.HTML(value=self.text_view())

        def update(_=None):
            if self._syncing:  # the query control moved by the code below, not by the student
                return
            if hide.value != self._hide_special:  # re-crop from the original weights
                chosen = self._positions[min(query.value or 0, len(self.tokens) - 1)]
                try:
                    self._prepare(hide.value)
                except AttentionInputError as e:  # e.g. nothing but special tokens
                    hide.value = self._hide_special
                    text.value = f"<b>{html.escape(str(e), quote=False)}</b>"
                    return
                self._hide_special = hide.value
                self._syncing = True  # new options would reset the query to 0: keep the chosen token
                try:
                    query.options = [(f"{i}: {t}", i) for i, t in enumerate(self.tokens)]
                    query.value = nearest(chosen, self._positions)
                finally:
                    self._syncing = False
            self.layer, self.head, self.view, self.scale = layer.value, head.value, view.value, scale.value
            self.query = query.value if query.value is not None else 0
            image.value = self.png()
            text.value = f"<code>{html.escape(self.readout(), quote=False)}</code>"
            passage.value = self.text_view()

        for control in (layer, head, view, query, hide, scale):
            control.observe(update, names="value")
        controls = w.HBox([layer, head, query, hide])
        return w.VBox([controls, w.HBox([view, scale]), image, text, passage])

    def _repr_mimebundle_(self, include=None, exclude=None):
        data = dict(self.widget()._repr_mimebundle_(include=include, exclude=exclude))
        # Static fallback: front ends without the live widget (nbconvert HTML, GitHub) show this.
        data["image/png"] = b64encode(self.png()).decode("ascii")
        data["text/plain"] = self.readout()
        return data
