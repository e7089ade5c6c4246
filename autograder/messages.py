"""What of a submission's own text may reach a student's feedback page.

Feedback is the grader's verdict (autograder/verdict.py), written in the lesson's own words: the
exercise names and check descriptions read here from the solution's test cells. Some text still
comes from the student's side: an f-string description's values, the reason a `true`/`raises`
check gives, an error's first line. Code a student wrote can read the running test cell (hidden
part included) and put it into such text, plainly, in pieces or encoded; so that text is shown
only if it holds no piece of a hidden test (any 16 characters of it, spaces ignored, apart from
the descriptions, which are the lesson's words) and no long unbroken run of letters and digits
(an encoding).
"""

import ast
import functools
import re

import nbformat

from .course import solution_notebook

HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS(.*?)### END HIDDEN TESTS", re.S)
CHECK_METHODS = {"shape", "dtype", "close", "equal", "true", "raises", "avoids", "matches_solution"}
# what the checks print when a call gives no `what=` (llmcourse/checks.py)
DEFAULT_WHATS = {"shape": r"has shape (\(.{0,60}\))", "dtype": r"has dtype ([\w.]{1,40})",
                 "close": r"values match the reference", "equal": r"value is as expected",
                 "raises": r"raises (\w+(?: or \w+)*)", "avoids": r"does not call ([\w., ]{1,300})"}
POSITIONAL_WHAT = {"shape": 2, "dtype": 2, "equal": 2, "true": 1}  # what= given without its name
NGRAM = 16
NAMES = re.compile(r"[\w.]{1,60}(, [\w.]{1,60}){0,8}")  # library names a default description lists
ENCODED = re.compile(r"[A-Za-z0-9+/=_\-]{32,}")
LINE_LIMIT = 200
WHY_LINES = 4


@functools.lru_cache(maxsize=None)
def vocabulary(lesson: str) -> "Vocabulary":
    return Vocabulary(nbformat.read(solution_notebook(lesson), as_version=4).cells)


class Vocabulary:
    """The exercise names and check descriptions a lesson's test cells can print, and pieces of
    its hidden tests, read from the solution notebook (the grader's side, never the kernel's)."""

    def __init__(self, cells):
        self.whats: dict[str, list[tuple[re.Pattern, bool]]] = {}
        self.descriptions: set[str] = set()
        hidden_text = []
        for cell in cells:
            meta = cell.metadata.get("nbgrader", {})
            if cell.cell_type != "code" or not meta.get("grade") or meta.get("solution"):
                continue
            hidden_text += HIDDEN.findall(cell.source)
            self.whats[meta["grade_id"]] = self._descriptions(cell.source)
        hidden = "".join(hidden_text)
        for description in self.descriptions:  # the lesson's own words, shown in every verdict
            hidden = hidden.replace(description, " ")
        squeezed = _squeeze(hidden)
        self.hidden = {squeezed[i:i + NGRAM] for i in range(len(squeezed) - NGRAM + 1)}

    def _descriptions(self, source: str) -> list[tuple[re.Pattern, bool]]:
        try:
            tree = ast.parse(source)
        except SyntaxError:
            return []
        hidden_from = next((i + 1 for i, line in enumerate(source.splitlines())
                            if "### BEGIN HIDDEN TESTS" in line), None)
        strings = [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
        found = []
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in CHECK_METHODS):
                continue
            hidden = hidden_from is not None and node.lineno > hidden_from
            what = next((k.value for k in node.keywords if k.arg == "what"), None)
            position = POSITIONAL_WHAT.get(node.func.attr)
            if what is None and position is not None and len(node.args) > position:
                what = node.args[position]
            if isinstance(what, ast.Constant) and isinstance(what.value, str):
                self.descriptions.add(what.value)
            for pattern in _patterns(what, node.func.attr, strings):
                found.append((re.compile(pattern), hidden))
        return found

    def allows(self, grade_id: str, what: str) -> tuple[bool, bool]:
        """(a description this cell can print, it belongs to a hidden check). The description's
        fixed words come from the lesson; what fills its blanks (an f-string's values, a default
        description's arguments) was printed by the kernel and must be safe."""
        for pattern, hidden in self.whats.get(grade_id, []):
            match = pattern.fullmatch(what)
            if match and all(self.safe(blank) or NAMES.fullmatch(blank) for blank in match.groups() if blank):
                return True, hidden
        return False, False

    def safe(self, line: str) -> bool:
        squeezed = _squeeze(line)
        return (len(line) <= LINE_LIMIT and not ENCODED.search(line)
                and not any(squeezed[i:i + NGRAM] in self.hidden for i in range(len(squeezed) - NGRAM + 1)))


def _squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _patterns(what, method: str, strings: list[str]) -> list[str]:
    if what is None:
        return [DEFAULT_WHATS[method]]
    if isinstance(what, ast.Constant) and isinstance(what.value, str):
        return [re.escape(what.value)]
    if isinstance(what, ast.JoinedStr):
        return ["".join(re.escape(part.value) if isinstance(part, ast.Constant) else "(.{0,60}?)"
                        for part in what.values)]
    return [re.escape(s) for s in strings if len(s) >= 3]  # a name: one of the cell's strings


def error_text(vocab: Vocabulary, ename: str, evalue: str) -> str:
    """An error as feedback may show it: its type, and its first line if that is safe."""
    name = ename if re.fullmatch(r"[A-Za-z_][\w.]{0,60}", ename or "") else "an error"
    first = (evalue or "").splitlines()[0] if evalue else ""
    return f"{name}: {first}" if first and vocab.safe(first) else name
