"""Lesson 04's pretraining recipe: the reviews it reads, its WordPiece tokenizer, and its training
loop (AdamW, warm-up then cosine, random windows of a token stream, a live loss curve, checkpoints
to continue from, snapshots for lesson 05).

Lesson 04 calls these with its own losses (the student's causal_lm_loss and mask_tokens);
llmcourse.prerequisites calls the same ones when a later lesson finds no model from lesson 04.
`sizes` is a lesson's sizes (lesson.sizes): batch_size, warmup_steps, log_every, eval_every,
plot_every and snapshot_at are read from it.
"""

import math
import re
import time

import torch
from tqdm.auto import tqdm

from .paths import artifacts_dir
from .training import LossPlot, Throughput, autocast, maybe_compile

SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]  # ids 0..4, in this order


def clean(text: str) -> str:
    """The review without the HTML line breaks of the original web site."""
    return re.sub(r"<br\s*/?>", " ", text)


def pretraining_texts(imdb, sizes) -> tuple[list[str], list[str]]:
    """(texts to pretrain on, held-out texts): sizes.val_reviews unlabelled reviews held out, the
    next sizes.unlabeled_reviews, then sizes.train_reviews of the labelled training split."""
    def take(split, n, skip=0):
        rows = split.shuffle(seed=0)
        end = len(rows) if n is None else min(len(rows), skip + n)
        return [clean(t) for t in rows.select(range(skip, end))["text"]]

    val_texts = take(imdb["unsupervised"], sizes.val_reviews)
    train_texts = (take(imdb["unsupervised"], sizes.unlabeled_reviews, skip=sizes.val_reviews)
                   + take(imdb["train"], sizes.train_reviews))
    return train_texts, val_texts


def wordpiece_tokenizer(texts: list[str], vocab_size: int, max_len: int):
    """A BERT-style WordPiece tokenizer trained on `texts` (lower case, [CLS] a [SEP] b [SEP]),
    wrapped as a Hugging Face PreTrainedTokenizerFast: it pads, truncates, saves, and
    AutoTokenizer reloads it. The special tokens get ids 0..4 in the order of SPECIALS."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    wordpiece = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    wordpiece.normalizer = normalizers.BertNormalizer(lowercase=True)  # lower case, strip accents
    wordpiece.pre_tokenizer = pre_tokenizers.BertPreTokenizer()  # split on spaces and punctuation first
    wordpiece.decoder = decoders.WordPiece()  # glue "##" pieces back together when decoding
    trainer = trainers.WordPieceTrainer(vocab_size=vocab_size, special_tokens=SPECIALS, min_frequency=2)
    wordpiece.train_from_iterator(texts, trainer)
    # [CLS] text [SEP] for one text, [CLS] a [SEP] b [SEP] for a pair: what BERT expects
    wordpiece.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", 2), ("[SEP]", 3)])
    return PreTrainedTokenizerFast(
        tokenizer_object=wordpiece, model_max_length=max_len, pad_token="[PAD]", unk_token="[UNK]",
        cls_token="[CLS]", sep_token="[SEP]", mask_token="[MASK]")


def token_stream(tokenizer, texts: list[str], chunk: int = 5000) -> torch.Tensor:
    """All texts as one 1-D int64 tensor, each followed by [SEP].

    A chunk of texts at a time (each chunk in parallel, in Rust): the tokenizer keeps the tokens,
    offsets and masks of every text it encodes, gigabytes for all 75,000 reviews at once."""
    import numpy as np

    backend, sep = tokenizer.backend_tokenizer, tokenizer.sep_token_id
    parts = [np.zeros(0, dtype=np.int64)]
    for start in tqdm(range(0, len(texts), chunk), desc="tokenizing", disable=len(texts) <= chunk):
        encodings = backend.encode_batch(texts[start:start + chunk], add_special_tokens=False)
        parts.append(np.concatenate([np.array(e.ids + [sep], dtype=np.int64) for e in encodings]))
    return torch.from_numpy(np.concatenate(parts))


def to_blocks(stream: torch.Tensor, length: int) -> torch.Tensor:
    """The stream cut into consecutive blocks of `length` tokens (the rest dropped): [n, length]."""
    n = len(stream) // length
    return stream[: n * length].view(n, length)


def lr_factor(step: int, progress: float, warmup_steps: int) -> float:
    """Linear warm-up over the first steps, then a cosine from 1 down to 0.1 as progress goes 0 -> 1."""
    if step < warmup_steps:
        return (step + 1) / warmup_steps
    return 0.1 + 0.45 * (1 + math.cos(math.pi * min(progress, 1.0)))


def windows(stream: torch.Tensor, length: int, n: int, generator: torch.Generator) -> torch.Tensor:
    """n random windows of `length` consecutive tokens of a 1-D stream: an [n, length] tensor."""
    starts = torch.randint(len(stream) - length + 1, (n,), generator=generator)
    return stream[starts[:, None] + torch.arange(length)]


@torch.no_grad()
def evaluate(model, batches, loss_fn, device: torch.device, per_batch: bool = False):
    """Mean loss over fixed validation batches, in eval mode (no dropout); or the list of each
    batch's loss."""
    model.eval()
    losses = []
    for inputs, labels in batches:
        with autocast(device):
            losses.append(loss_fn(model, inputs.to(device), labels.to(device)).item())
    model.train()
    return losses if per_batch else sum(losses) / len(losses)


def mean_and_margin(losses) -> tuple[float, float]:
    """Mean of equal-sized batches' losses and its 95% margin (2 standard errors): how much the
    number depends on which reviews were held out."""
    t = torch.tensor(losses, dtype=torch.float64)
    return t.mean().item(), (2 * t.std() / math.sqrt(len(t))).item() if len(t) > 1 else 0.0


def checkpoint_path(name: str):
    return artifacts_dir() / "checkpoints" / f"{name}.pt"


def saved_run(model, name: str):
    """The checkpoint of `name` if `model` holds exactly the weights it saved (the training cell
    runs again on the model it trained), else None (a new model starts from step 0)."""
    path = checkpoint_path(name)
    if not path.exists():
        return None
    saved = torch.load(path, map_location="cpu", weights_only=True)
    mine = model.state_dict()
    same = saved["model"].keys() == mine.keys() and all(
        saved["model"][k].shape == v.shape and torch.equal(saved["model"][k], v.cpu()) for k, v in mine.items())
    return saved if same else None


def pretrain(model, stream, length, make_batch, loss_fn, val_batches, *, name, lr, betas, weight_decay,
             steps, seconds, title, sizes, device, seed=0, snapshots=None):
    """Train `model` on random batches of windows of `length` tokens of `stream`, for `steps`
    more steps or `seconds` seconds, whichever comes first, then save a checkpoint under `name`.
    Called again on the same model, it continues from that checkpoint (optimizer state, step,
    curve) with a warm restart of the learning rate at lr / 2.
    make_batch(rows) -> (inputs, labels) on the CPU; loss_fn(model, inputs, labels) -> a 0-d tensor.
    snapshots: a list, or None. If a list, a CPU copy of the weights is appended to it, as
    (tokens seen, state_dict): in a first run before the first step and each time the run passes
    one of the fractions sizes.snapshot_at of its budget; at the end of every run (lesson 05
    fine-tunes from each). Returns a dict of final numbers."""
    model.to(device).train()
    net = maybe_compile(model, device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, betas=betas, weight_decay=weight_decay)
    saved = saved_run(model, name)
    first_step, runs, history = 0, 0, {}
    if saved is not None:
        optimizer.load_state_dict(saved["optimizer"])
        first_step, runs, history = saved["step"], saved["runs"], saved["history"]
        print(f"continuing {name} from its checkpoint: run {runs + 1}, from step {first_step:,} "
              f"({first_step * sizes.batch_size * length:,} tokens seen)")
    peak = lr if runs == 0 else lr / 2
    picker = torch.Generator().manual_seed(seed + runs)
    plot, meter = LossPlot(title, every=sizes.plot_every), Throughput(device)
    plot.series = {key: (list(xs), list(ys)) for key, (xs, ys) in history.items()}  # the curve so far

    def step_on(net, inputs, labels):
        with autocast(device):
            loss = loss_fn(net, inputs, labels)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        return loss

    def keep():
        if snapshots is not None:
            tokens = step * sizes.batch_size * length
            snapshots.append((tokens, {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}))

    step, done_here, recent = first_step, 0, []
    if runs == 0:
        plot.add(0, val=evaluate(model, val_batches, loss_fn, device))
        keep()
    due = sorted(sizes.snapshot_at) if runs == 0 else []
    start = time.perf_counter()
    bar = tqdm(total=steps, desc=f"{title}, run {runs + 1}")
    while done_here < steps:
        progress = max(done_here / steps, (time.perf_counter() - start) / seconds)
        if progress >= 1:
            break
        while due and progress >= due[0]:
            due.pop(0)
            keep()
        for group in optimizer.param_groups:
            group["lr"] = peak * lr_factor(done_here, progress, sizes.warmup_steps)
        rows = windows(stream, length, sizes.batch_size, picker)
        inputs, labels = (t.to(device, non_blocking=True) for t in make_batch(rows))
        loss = step_on(net, inputs, labels)
        step, done_here = step + 1, done_here + 1
        meter.add(inputs.numel())
        recent.append(loss.detach())
        if step % sizes.log_every == 0:
            train_loss = torch.stack(recent).float().mean().item()  # one GPU sync per log
            recent = []
            val = evaluate(model, val_batches, loss_fn, device) if step % sizes.eval_every == 0 else None
            plot.add(step, train=train_loss, val=val)
            bar.set_postfix(loss=f"{train_loss:.3f}")
        bar.update(1)
    bar.close()
    seconds_used = time.perf_counter() - start
    val_loss = evaluate(model, val_batches, loss_fn, device)
    train_loss = torch.stack(recent).float().mean().item() if recent else plot.series["train"][1][-1]
    plot.add(step, val=val_loss)
    plot.done()
    keep()
    path = checkpoint_path(name)
    path.parent.mkdir(exist_ok=True)
    torch.save({"model": {k: v.detach().cpu() for k, v in model.state_dict().items()},
                "optimizer": optimizer.state_dict(), "step": step, "runs": runs + 1,
                "history": {key: (list(xs), list(ys)) for key, (xs, ys) in plot.series.items()}}, path)
    numbers = dict(steps=step, train_tokens_seen=step * sizes.batch_size * length, train_loss=train_loss,
                   val_loss=val_loss, tokens_per_s=meter.per_second(), seconds=seconds_used)
    print(f"{title}: {done_here} steps in {seconds_used:.0f} s ({step:,} in all, "
          f"{numbers['train_tokens_seen']:,} tokens), {numbers['tokens_per_s']:,.0f} tokens/s; train loss "
          f"{train_loss:.3f}, validation loss {val_loss:.3f}; checkpoint: {path.relative_to(artifacts_dir())}")
    return numbers


def save_snapshots(snapshots, folder) -> int:
    """Write (tokens seen, state dict under MaskedLM's names) pairs to folder/snapshots/ as
    tokens-<11 digits>.safetensors, replacing earlier ones (lesson 05 fine-tunes from each)."""
    import shutil

    from safetensors.torch import save_file

    snapshot_dir = folder / "snapshots"
    shutil.rmtree(snapshot_dir, ignore_errors=True)
    snapshot_dir.mkdir(parents=True)
    for tokens, state in snapshots:
        save_file(state, str(snapshot_dir / f"tokens-{tokens:011d}.safetensors"))
    return len(snapshots)
