"""The checks that test cells run: friendly to a student, hard to fool from the same kernel.

A test cell looks like this:

    from llmcourse.checks import exercise
    with exercise("stable softmax") as check:
        out = softmax(torch.tensor([[1.0, 2.0, 3.0]]))
        check.shape(out, (1, 3))
        check.close(out, [[0.0900, 0.2447, 0.6652]], atol=1e-4, what="softmax of [1, 2, 3]")

Each check prints a line (✓ or ✗, and in words what was expected and what came back); a failed
check does not stop the later ones. At the end of the block any failure raises ChecksFailed (an
AssertionError), which is what nbgrader counts as a failed test cell; IPython shows it as one line,
"N of M checks failed", under the ✗ lines, with no traceback (they already say what is wrong). An
error the student's code raises keeps its traceback, without this module's frames.

Why "hard to fool": student code runs in the same Python process, before the tests. So the
comparisons here never call functions a student can replace (torch.allclose, numpy.testing, a
returned object's __eq__): values are copied out through methods of torch's and NumPy's C types,
which Python code cannot patch, and compared with functions captured when this module was
first imported (the notebook's setup cell imports it before any student code runs). If the
functions tests usually rely on, or IPython's error reporting, have been replaced, every check
fails and says so.

When graded, none of that decides a score: the grader trusts nothing this process says about
itself. With LLMCOURSE_RECORD_CHECKS=1 (the grader's kernel) each check, as it is made, hands the
grader one data-only message (JSON: numbers, strings, lists) holding only the value it looked at:
no description, kind, tolerance, expected value or verdict. The grader pairs the values, in order,
with the checks of its trusted run of the reference solution (autograder/reference.py, where the
checks record everything), compares them outside the student's process and needs exactly the
reference's number of values (autograder/verdict.py). A kernel can claim any values, as a function
can return any values; `check.matches_solution(value)` is a check whose expected value exists only
in the reference, so hidden tests use it: no claim passes it without computing the answer.
"""

import builtins
import json
import math
import os
import random
import sys
import warnings
import zlib

import numpy as np
import torch

from . import mode
from .check_records import MIME, RECORD_ENV, REFERENCE, VALUES

# --- references captured at import, before any student code has run -----------------------
_Tensor, _Parameter, _TensorBase = torch.Tensor, torch.nn.Parameter, torch._C.TensorBase
_ndarray = np.ndarray
_float64 = torch.float64
_isfinite, _abs, _subtract, _argmax = np.isfinite, np.abs, np.subtract, np.argmax
_array, _unravel = np.array, np.unravel_index
_type, _len, _isinstance, _print, _repr = builtins.type, builtins.len, builtins.isinstance, builtins.print, builtins.repr
_exact_scalars = (bool, int, float)
_dumps = json.dumps

_MODE = os.environ.get(RECORD_ENV, "")  # read once, before any student code runs
_RECORDING = _MODE in (VALUES, REFERENCE)  # each check hands its value to the grader
_REFERENCE = _MODE == REFERENCE  # the trusted run: each check hands over everything
MAX_VALUES = 200_000  # numbers one check may hand the grader

# What the tests of other courses typically lean on; replacing any of these is tampering.
_WATCHED = {
    "torch.allclose": (torch, "allclose"),
    "torch.equal": (torch, "equal"),
    "torch.isclose": (torch, "isclose"),
    "torch.testing.assert_close": (torch.testing, "assert_close"),
    "torch.Tensor.__eq__": (torch.Tensor, "__eq__"),
    "numpy.allclose": (np, "allclose"),
    "numpy.array_equal": (np, "array_equal"),
    "numpy.testing.assert_allclose": (np.testing, "assert_allclose"),
    "numpy.testing.assert_array_equal": (np.testing, "assert_array_equal"),
    "builtins.isinstance": (builtins, "isinstance"),
    "builtins.print": (builtins, "print"),
    "builtins.AssertionError": (builtins, "AssertionError"),
    "math.isclose": (math, "isclose"),
}
_ORIGINAL = {name: getattr(owner, attr) for name, (owner, attr) in _WATCHED.items()}
_IPYTHON_HOOKS = ("showtraceback", "_showtraceback", "run_cell", "run_cell_async")


def _shell():
    ipython = sys.modules.get("IPython")
    return ipython.get_ipython() if ipython else None


def _ipython_hooks() -> dict:
    """The objects IPython reports errors through (an instance attribute wins over the class's,
    as ipykernel installs its own _showtraceback on the shell)."""
    shell = _shell()
    if shell is None:
        return {}
    return {name: vars(shell).get(name, getattr(_type(shell), name, None)) for name in _IPYTHON_HOOKS}


_ORIGINAL_HOOKS = _ipython_hooks()


def tampering() -> list[str]:
    """What has been replaced since import: test helpers, these checks, or IPython's error
    reporting."""
    found = [name for name, (owner, attr) in _WATCHED.items()
             if getattr(owner, attr, None) is not _ORIGINAL[name]]
    found += [f"llmcourse.checks.{cls.__name__}" for cls, attrs in _OWN.items() if dict(vars(cls)) != attrs]
    shell = _shell()
    if shell is not None:
        if getattr(shell, "custom_exceptions", ()):
            found.append("IPython error handling (set_custom_exc)")
        now = _ipython_hooks()
        found += [f"IPython's {name}" for name, original in _ORIGINAL_HOOKS.items()
                  if now.get(name) is not original]
    return found


# --- turning a value into a plain float64 array, without calling anything patchable ----------
class _Unusable(Exception):
    pass


def _as_array(value, name: str) -> np.ndarray:
    kind = _type(value)
    if kind is _Tensor or kind is _Parameter:
        plain = _TensorBase.to(_TensorBase.cpu(_TensorBase.detach(value)), _float64)
        return _array(_TensorBase.numpy(plain), dtype=np.float64, copy=True)
    if kind is _ndarray:
        if value.dtype.kind not in "biuf":
            raise _Unusable(f"{name} is an array of {value.dtype}, not numbers")
        return _array(value, dtype=np.float64, copy=True)
    if kind in _exact_scalars:
        return _array(float(value), dtype=np.float64)
    if kind is list or kind is tuple:
        return _array([_as_array(v, name) for v in value], dtype=np.float64)
    raise _Unusable(f"{name} should be a torch.Tensor or a number, but it is a {kind.__name__}")


def _fmt(a: np.ndarray) -> str:
    text = np.array2string(a, precision=4, threshold=12, edgeitems=2, suppress_small=True)
    return " ".join(text.split())


def _shape_of(value):
    kind = _type(value)
    if kind is _Tensor or kind is _Parameter:
        return tuple(_TensorBase.size(value))
    if kind is _ndarray:
        return tuple(value.shape)
    return None


# --- the comparisons: the same functions judge in the kernel and, on recorded data, in the grader --
def _index(flat, shape) -> tuple:
    return tuple(int(i) for i in _unravel(flat, shape)) if len(shape) else ()


def compare_arrays(got: np.ndarray, want: np.ndarray, atol: float, rtol: float) -> tuple[bool, str]:
    """(same shape and |got - want| <= atol + rtol * |want| everywhere, why not in words). Where
    `want` is not finite only the same infinity matches (a NaN matches nothing): the tolerance of
    an infinite expected value would be infinite and let anything through."""
    if got.shape != want.shape:
        return False, f"expected shape {want.shape}, got {got.shape}"
    want_finite = _isfinite(want)
    bad_values = ~_isfinite(got) & want_finite
    if bad_values.any():
        where = _index(_argmax(bad_values), got.shape)
        return False, (f"your result has {got[where]} at index {where} (expected {want[where]:.6g}): "
                       "look for an overflow or a 0/0")
    with np.errstate(invalid="ignore", over="ignore"):  # inf - inf, nan
        odd = ~want_finite & ~(got == want)
        err = _array(_abs(_subtract(got, want)), dtype=np.float64)  # stays an array when 0-d
    if odd.any():
        where = _index(_argmax(odd), got.shape)
        return False, f"at index {where} expected {want[where]}, got {got[where]:.6g}"
    err[~want_finite] = 0.0  # the same infinity: matched above
    limit = atol + rtol * _abs(np.where(want_finite, want, 0.0))
    over = ~(err <= limit)
    if not over.any():
        return True, ""
    where = _index(_argmax(over), got.shape)
    why = (f"at index {where} expected {want[where]:.6g}, got {got[where]:.6g} "
           f"(max abs difference {err.max():.3g}, tolerance {atol:g})")
    if got.size <= 12:
        why += f"\n      expected {_fmt(want)}\n      got      {_fmt(got)}"
    return False, why


def same_plain(a, b) -> bool:
    """Equality of plain values (None, bool, int, float, str, lists and tuples of them): types must
    match, except that 3 == 3.0. Works on the values and on their recorded form alike."""
    if _type(a) is not _type(b):
        return (_type(a) in _exact_scalars and _type(b) in _exact_scalars
                and bool not in (_type(a), _type(b)) and float(a) == float(b))
    if _type(a) in (list, tuple):
        return _len(a) == _len(b) and all(same_plain(x, y) for x, y in zip(a, b))
    if _type(a) is dict:  # a recorded tuple or list: {"tuple": [...]}
        return a.keys() == b.keys() and all(same_plain(a[k], b[k]) for k in a)
    if _type(a) in (*_exact_scalars, str, type(None)):
        return a == b  # builtin types: their __eq__ cannot be replaced
    return False


# --- what a check hands the grader: data only (JSON), never an object ------------------------
def _array_data(value, name: str) -> dict:
    """{"shape", "values"} of a number array, or {"unusable": why}."""
    try:
        a = _as_array(value, name)
    except _Unusable as e:
        return {"unusable": str(e)}
    if a.size > MAX_VALUES:
        return {"unusable": f"{name} has {a.size} numbers, more than the {MAX_VALUES} a check compares"}
    return {"shape": list(a.shape), "values": a.ravel().tolist()}


def _plain_data(value, depth: int = 0):
    kind = _type(value)
    if value is None or kind in (bool, int, float):
        return value
    if kind is str:
        return value[:10_000]
    if kind in (list, tuple) and depth < 20 and _len(value) <= MAX_VALUES:
        return {kind.__name__: [_plain_data(v, depth + 1) for v in value]}
    return {"unusable": f"a {kind.__name__}"}


def array_from(data) -> np.ndarray:
    """The array a check recorded (raises _Unusable, with the reason, for anything else)."""
    if _type(data) is not dict or "values" not in data:
        raise _Unusable(data.get("unusable", "no value") if _type(data) is dict else "no value")
    return np.array(data["values"], dtype=np.float64).reshape(data["shape"])


def judge(kind: str, value, expected, atol: float, rtol: float) -> tuple[bool, str]:
    """Compare a recorded value with a recorded expected value as the check `kind` does: the
    grader's verdict, outside the student's process."""
    if kind == "close":
        try:
            want = array_from(expected)
            got = array_from(value)
        except (_Unusable, ValueError, TypeError) as e:
            return False, str(e) if _type(e) is _Unusable else "the value could not be read"
        return compare_arrays(got, want, atol, rtol)
    ok = same_plain(value, expected)
    return ok, "" if ok else f"expected {_short_repr(expected)}, got {_short_repr(value)}"


class Checks:
    """The `check` object of an exercise block; each method records one check. Its attributes
    cannot be replaced (a test's verdict lives here)."""

    __slots__ = ("name", "passed", "failed", "later")

    def __init__(self, name: str):
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "passed", [])
        object.__setattr__(self, "failed", [])
        object.__setattr__(self, "later", [])  # judged only by the grader (matches_solution)

    def __setattr__(self, name, value):
        raise AttributeError(f"the checks' {name!r} cannot be replaced")

    __delattr__ = __setattr__

    def _record(self, ok: bool | None, what: str, why: str = "", *, kind: str = "plain", value=None,
                expected=True, atol: float = 0.0, rtol: float = 0.0):
        """Print the check's line and keep it; hand the grader `value` (data, see _array_data and
        _plain_data) and, in the trusted reference run only, the rest: `expected` is what the grader
        compares with, `ok` the verdict here (None: only the grader judges)."""
        if _REFERENCE:
            _publish({"exercise": self.name, "kind": kind, "what": what, "value": value, "expected": expected,
                      "atol": atol, "rtol": rtol, "ok": ok, "line": _line()})
        elif _RECORDING:
            _publish({"value": value})
        if ok is None:
            self.later.append(what)
            _print(f"  · {what} (compared with the reference solution when graded)")
        elif ok:
            self.passed.append(what)
            _print(f"  ✓ {what}")
        else:
            self.failed.append(f"{what}: {why}" if why else what)
            _print(f"  ✗ {what}" + (f"\n      {why}" if why else ""))
        return ok

    def shape(self, value, shape, what: str | None = None) -> bool:
        """value is a tensor (or ndarray) of exactly this shape."""
        shape = tuple(shape)
        what = what or f"has shape {shape}"
        got = _shape_of(value)
        data = dict(value=_plain_data(got), expected=_plain_data(shape))
        if got is None:
            return self._record(False, what, f"expected a torch.Tensor, got a {_type(value).__name__}", **data)
        return self._record(got == shape, what, f"expected shape {shape}, got {got}", **data)

    def dtype(self, value, dtype, what: str | None = None) -> bool:
        what = what or f"has dtype {dtype}"
        kind = _type(value)
        if kind is not _Tensor and kind is not _Parameter:
            return self._record(False, what, f"expected a torch.Tensor, got a {kind.__name__}",
                                value=None, expected=str(dtype))
        got = _TensorBase.dtype.__get__(value)
        return self._record(got == dtype, what, f"expected {dtype}, got {got}", value=str(got), expected=str(dtype))

    def close(self, actual, expected, *, atol: float = 1e-6, rtol: float = 1e-5,
              what: str = "values match the reference") -> bool:
        """Same shape and |actual - expected| <= atol + rtol * |expected| everywhere."""
        data = dict(kind="close", value=_array_data(actual, "your result") if _RECORDING else None,
                    expected=_array_data(expected, "the reference") if _REFERENCE else None, atol=atol, rtol=rtol)
        try:
            got, want = _as_array(actual, "your result"), _as_array(expected, "the reference")
        except _Unusable as e:
            return self._record(False, what, str(e), **data)
        ok, why = compare_arrays(got, want, atol, rtol)
        return self._record(ok, what, why, **data)

    def equal(self, actual, expected, what: str = "value is as expected") -> bool:
        """Exact equality of plain Python values (int, str, bool, tuples/lists of them) or of
        tensors / arrays element-wise."""
        if _shape_of(expected) is not None or _shape_of(actual) is not None:
            return self.close(actual, expected, atol=0.0, rtol=0.0, what=what)
        ok = same_plain(actual, expected)
        return self._record(ok, what, f"expected {_repr(expected)}, got {_short_repr(actual)}",
                            value=_plain_data(actual), expected=_plain_data(expected))

    def matches_solution(self, value, *, atol: float = 1e-6, rtol: float = 1e-5, what: str) -> None:
        """`value` (a tensor, array, float, or plain value) equals what the reference solution
        gives for the same inputs: within atol + rtol * |expected| for tensors, arrays, floats and
        lists of numbers holding a float; exactly for other plain values (ints included: a count
        is right or wrong). The expected value is never in the notebook: the grader computes it
        from the solution, so this check is judged only when graded (hidden tests use it)."""
        numeric = _shape_of(value) is not None or _type(value) is float or _holds_float(value)
        data = _array_data(value, "your result") if numeric else _plain_data(value)
        self._record(None, what, kind="close" if numeric else "plain", value=data, expected=data,
                     atol=atol, rtol=rtol)

    def true(self, condition, what: str, why_not: str = "") -> bool:
        """condition is exactly True (a Python bool or a one-element bool tensor)."""
        kind = _type(condition)
        if kind is _Tensor and _TensorBase.numel(condition) == 1:
            condition = _TensorBase.item(_TensorBase.cpu(condition))
            condition = condition if _type(condition) is bool else None
        elif kind is np.bool_:
            condition = bool(condition)
        elif kind is not bool:
            condition = None
        if condition is None:
            return self._record(False, what, f"expected True or False, got a {kind.__name__}", value=None)
        return self._record(condition is True, what, why_not, value=condition)

    def raises(self, error, fn, *args, what: str | None = None, **kwargs) -> bool:
        """fn(*args, **kwargs) raises `error` (an exception class or a tuple of them)."""
        names = error.__name__ if _isinstance(error, _type) else " or ".join(e.__name__ for e in error)
        what = what or f"raises {names}"
        try:
            fn(*args, **kwargs)
        except error:
            return self._record(True, what, value=True)
        except NotImplementedError:
            raise
        except Exception as e:  # a different error
            return self._record(False, what, f"expected {names}, got {_type(e).__name__}: {e}", value=False)
        return self._record(False, what, f"expected {names}, but nothing was raised", value=False)

    def avoids(self, forbidden, fn, *args, what: str | None = None, **kwargs) -> bool:
        """fn(*args, **kwargs) runs without calling any of the named library functions, e.g.
        ["torch.softmax", "torch.Tensor.softmax"]: an exercise that asks you to build something
        from primitives should not hand the work to the library version."""
        what = what or f"does not call {', '.join(forbidden)}"
        saved = []
        for name in forbidden:
            owner_name, attr = name.rsplit(".", 1)
            owner = _resolve(owner_name)
            saved.append((owner, attr, getattr(owner, attr)))
            setattr(owner, attr, _refuse(name))
        try:
            fn(*args, **kwargs)
        except _ForbiddenCall as e:
            return self._record(False, what, f"your code calls {e}; build it from the primitives "
                                "the exercise names instead", value=False)
        finally:
            for owner, attr, original in reversed(saved):
                setattr(owner, attr, original)
        return self._record(True, what, value=True)


def _holds_float(value, depth: int = 0) -> bool:
    """A list or tuple of numbers, one of them a float (compared within a tolerance)."""
    if _type(value) not in (list, tuple) or depth > 20:
        return False
    kinds = [_type(v) for v in value]
    return all(k in (int, float) or _holds_float(v, depth + 1) for k, v in zip(kinds, value)) \
        and any(k is float or _holds_float(v, depth + 1) for k, v in zip(kinds, value))


def _line() -> int | None:
    """The line of the test cell that made the check (the grader tells visible from hidden checks
    by it, in its reference run)."""
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename == __file__:
        frame = frame.f_back
    return frame.f_lineno if frame is not None else None


class _ForbiddenCall(Exception):
    pass


def _refuse(name):
    def refuse(*args, **kwargs):
        raise _ForbiddenCall(name)
    return refuse


def _resolve(dotted: str):
    import importlib
    parts = dotted.split(".")
    obj = importlib.import_module(parts[0])
    for part in parts[1:]:
        obj = getattr(obj, part)
    return obj


def _short_repr(value) -> str:
    text = object.__repr__(value) if _type(value) not in (*_exact_scalars, str, list, tuple, dict, type(None)) \
        else _repr(value)
    return text if _len(text) < 200 else text[:200] + "..."


def _publish(message: dict) -> None:
    """Hand one check's message to the grader: a display output of its own type, which
    autograder/grading_execute.py takes out of the notebook before anything is scored."""
    from IPython.display import publish_display_data

    publish_display_data({MIME: _dumps(message, allow_nan=True)})


def _error_words(error) -> str:
    """An error's message for the student's own notebook (an error whose str() fails says so)."""
    try:
        return str(error)
    except Exception:
        return "(its message could not be shown)"


class _Seeded:
    """Every test block starts from the same random state (seeded by its name), so the student's
    run and the grader's reference run see the same inputs; the notebook's own state comes back
    afterwards."""

    def __init__(self, name: str):
        self.seed = zlib.crc32(name.encode())

    def __enter__(self):
        self.saved = (torch.random.get_rng_state(), np.random.get_state(), random.getstate())
        torch.manual_seed(self.seed)
        np.random.seed(self.seed)
        random.seed(self.seed)

    def __exit__(self, *exc):
        torch_state, np_state, py_state = self.saved
        torch.random.set_rng_state(torch_state)
        np.random.set_state(np_state)
        random.setstate(py_state)


class ChecksFailed(AssertionError):
    """A test block with a failed check. The cell must end in an error (nbgrader scores it 0), but
    its traceback would only point into this module and repeat the ✗ lines printed above it: IPython
    shows what `_render_traceback_` returns instead, the one summary line."""

    def _render_traceback_(self) -> list[str]:
        return [_error_words(self)]


def _ours(tb) -> bool:
    return tb.tb_frame.f_code.co_filename == __file__


def _without_our_frames(tb):
    """The traceback `tb` with this module's frames left out (check.raises / check.avoids call the
    student's function from here): what is left is the test cell and the student's own code."""
    while tb is not None and _ours(tb):
        tb = tb.tb_next
    node = tb
    while node is not None:
        after = node.tb_next
        while after is not None and _ours(after):
            after = after.tb_next
        node.tb_next = after
        node = after
    return tb


class exercise:
    """`with exercise("name") as check:` collects checks and fails the cell if any failed."""

    def __init__(self, name: str):
        self.checks = Checks(name)
        self._seeded = _Seeded(name)
        # nbgrader fails a test cell that writes to stderr, so a harmless library warning raised
        # while checking would cost points: warnings are collected and printed as notes instead.
        self._warnings = warnings.catch_warnings(record=True)

    def __enter__(self) -> Checks:
        _print(f"{self.checks.name}:")
        _refuse_if_tampered()
        self._caught = self._warnings.__enter__()
        warnings.simplefilter("always")
        mode._checks_running += 1
        self._seeded.__enter__()
        return self.checks

    def __exit__(self, kind, error, tb):
        c = self.checks
        if hasattr(self, "_caught"):  # (not when __enter__ itself was replaced: refused below)
            self._seeded.__exit__()
            mode._checks_running -= 1
            self._warnings.__exit__(None, None, None)
        _refuse_if_tampered()  # the code these checks called may have replaced something
        for w in {str(w.message): w for w in self._caught}.values():
            _print(f"  note: {w.category.__name__}: {w.message}")
        if kind is not None:
            if kind is NotImplementedError:
                _print(f"  ✗ not written yet: fill in the cell marked YOUR CODE HERE ({_error_words(error)})")
            else:
                _print(f"  ✗ your code raised {kind.__name__}: {_error_words(error)}")
            error.__traceback__ = _without_our_frames(tb)
            return False  # re-raised: the student sees where in their code
        total = _len(c.passed) + _len(c.failed)
        if c.failed:
            raise ChecksFailed(f"{c.name}: {_len(c.failed)} of {total} checks failed")
        later = f" ({_len(c.later)} more judged by the grader)" if c.later else ""
        _print(f"  all {total} checks passed{later}")
        return False


def _refuse_if_tampered():
    changed = tampering()
    if changed:
        shell = _shell()
        if shell is not None:
            shell.custom_exceptions = ()  # make sure the failure below is reported
        raise AssertionError(
            "The test environment was modified by code in this notebook: " + ", ".join(changed)
            + ".\nTests cannot run; remove the code that replaces these functions and run the "
            "notebook again from the top.")


_OWN = {cls: dict(vars(cls)) for cls in (Checks, exercise, ChecksFailed)}  # as defined, before any student code


# --- the same weights for the student's module and the solution's ------------------------------
def seed_parameters(module: torch.nn.Module, seed: int = 0, scale: float = 0.5) -> torch.nn.Module:
    """Give every parameter of `module` values drawn from a generator seeded by `seed` and the
    parameter's name (normal, times `scale`). Two modules whose parameters have the same names and
    shapes then hold the same weights, whatever order their __init__ created them in: so a test
    can compare a student's module with the solution's by value."""
    with torch.no_grad():
        for name, p in module.named_parameters():
            g = torch.Generator().manual_seed(seed * 1_000_003 + zlib.crc32(name.encode()))
            p.copy_(torch.randn(p.shape, generator=g) * scale)
    return module


# --- one mistake costs one exercise -----------------------------------------------------------
class _ReferenceFeedForward(torch.nn.Module):
    """The feed-forward sub-layer as lesson 03 specifies it, around the student's own layers."""

    def __init__(self, ffn):
        super().__init__()
        self.up, self.down, self.drop = ffn.up, ffn.down, ffn.drop

    def forward(self, x):
        return self.drop(self.down(torch.nn.functional.gelu(self.up(x))))


def with_reference_parts(block):
    """`block` (a lesson-03 encoder or decoder block) with torch's LayerNorm and the reference
    feed-forward in place of the student's, holding the same parameters. A test of how a block
    wires its parts then does not depend on the earlier exercises: a LayerNorm mistake costs the
    LayerNorm exercise only."""
    for name in ("norm1", "norm2"):
        theirs = getattr(block, name)
        ours = torch.nn.LayerNorm(theirs.weight.shape[0], eps=theirs.eps)
        ours.load_state_dict(theirs.state_dict())
        setattr(block, name, ours)
    block.ffn = _ReferenceFeedForward(block.ffn)
    return block
