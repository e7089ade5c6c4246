"""Pieces every training loop in the course shares: mixed precision, compilation, a live loss
curve and a throughput meter. The loops themselves live in the lessons (some are exercises)."""

import contextlib
import time

import torch

from .figures import png
from . import mode


def autocast(device: torch.device, cpu: bool = False):
    """bfloat16 autocast on a CUDA GPU that supports it, nothing elsewhere.

    bf16 keeps float32's exponent range, so unlike float16 it needs no loss scaling. On most CPUs
    autocast would slow things down, so the CPU stays in float32, with two exceptions outside a
    test cell's checks (which must compute the same everywhere): a smoke test of full mode
    (LLMCOURSE_SMOKE=1), which must take the bf16 path a GPU would take, and `cpu=True` on a CPU
    with bf16 matrix units (AMX or AVX512-BF16), where a large model evaluates about 3x faster
    (lesson 05's experiment asks for it).
    """
    if device.type == "cuda" and torch.cuda.is_bf16_supported():
        return torch.autocast("cuda", dtype=torch.bfloat16)
    if device.type == "cpu" and not mode.in_check() and (mode.smoke() or (cpu and cpu_has_bf16())):
        return torch.autocast("cpu", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def cpu_has_bf16() -> bool:
    """Whether this CPU multiplies bf16 matrices natively (torch's own test; False if unknown)."""
    tests = [getattr(torch.cpu, name, None) for name in ("_is_amx_tile_supported", "_is_avx512_bf16_supported")]
    try:
        return any(test() for test in tests if test is not None)
    except Exception:  # a private torch API: if it changes, use float32
        return False


def maybe_compile(model: torch.nn.Module, device: torch.device, enabled: bool | None = None):
    """torch.compile on CUDA (where it pays for its compile time), the plain model elsewhere.
    Compilation is an optimisation, so it never stops a lesson: if it is unavailable (no C
    compiler, Windows) or fails on the first call (when torch.compile really compiles), the
    plain model is used from then on, and that is said once."""
    if enabled is None:
        enabled = device.type == "cuda"
    if not enabled:
        return model
    try:
        return _CompiledOrPlain(model, torch.compile(model))
    except Exception as e:
        print(f"torch.compile unavailable ({type(e).__name__}: {e}); running uncompiled")
        return model


class _CompiledOrPlain:
    """Calls the compiled model; if its first call fails, falls back to the plain model."""

    def __init__(self, model: torch.nn.Module, compiled):
        self.model, self.compiled, self.proven = model, compiled, False

    def __call__(self, *args, **kwargs):
        if self.compiled is None:
            return self.model(*args, **kwargs)
        if self.proven:
            return self.compiled(*args, **kwargs)
        try:
            out = self.compiled(*args, **kwargs)
        except Exception as e:
            print(f"torch.compile failed on the first call ({type(e).__name__}); running uncompiled")
            self.compiled = None
            return self.model(*args, **kwargs)
        self.proven = True
        return out


class Throughput:
    """Counts items (e.g. tokens) per second of wall time since start()."""

    def __init__(self, device: torch.device | None = None):
        self.device, self.items, self.start_time = device, 0, time.perf_counter()

    def add(self, n: int) -> None:
        self.items += int(n)

    def per_second(self) -> float:
        if self.device is not None and self.device.type == "cuda":
            torch.cuda.synchronize(self.device)  # GPU work is asynchronous
        return self.items / max(time.perf_counter() - self.start_time, 1e-9)


class LossPlot:
    """A loss curve that redraws in place in a notebook while a model trains.

    plot = LossPlot("pretraining the tiny GPT")
    plot.add(step, train=loss)           # every step or every few
    plot.add(step, val=val_loss)         # now and then
    plot.done()                          # final drawing

    Redraws at most every `every` seconds (drawing costs time too). Outside a notebook it draws
    nothing until done(); the figure is also available as .figure.
    """

    def __init__(self, title: str = "loss", every: float = 2.0, ylabel: str = "loss"):
        from matplotlib.figure import Figure

        self.title, self.every, self.ylabel = title, every, ylabel
        self.series: dict[str, tuple[list, list]] = {}
        self.figure = Figure(figsize=(7, 3.2))
        self._last_draw, self._handle = 0.0, None

    def add(self, step: int, **values: float) -> None:
        for name, value in values.items():
            if value is None:
                continue
            xs, ys = self.series.setdefault(name, ([], []))
            xs.append(step)
            ys.append(float(value))
        if time.perf_counter() - self._last_draw >= self.every:
            self._show()

    def done(self):
        self._show()
        return self.figure

    def _draw(self) -> None:
        self.figure.clear()
        ax = self.figure.add_subplot()
        for name, (xs, ys) in self.series.items():
            ax.plot(xs, ys, label=name, marker="o" if len(xs) < 30 else None, markersize=3)
        ax.set(title=self.title, xlabel="step", ylabel=self.ylabel)
        ax.grid(alpha=0.3)
        if self.series:
            ax.legend()
        self.figure.tight_layout()

    def _show(self) -> None:
        self._last_draw = time.perf_counter()
        self._draw()
        try:
            from IPython import get_ipython
            from IPython.display import Image, display
        except ImportError:
            return
        if get_ipython() is None:
            return
        image = Image(png(self.figure))
        if self._handle is None:
            self._handle = display(image, display_id=True)
        else:
            self._handle.update(image)
