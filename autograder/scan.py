"""A static scan of what a student wrote, for the instructor's manual review.

It proves nothing on its own (the jail and the checks are the protections); it points a human at
code that has no business in an exercise: patching test helpers or the interpreter, sys.modules
tricks, reading the grader's files, exiting early, reaching the network or other processes.

The scan reads code the way Python does, not line by line: each cell is turned into plain Python
by IPython's own input transformer (so `%magics` and `!shell` lines are seen as the calls they
become), parsed, and names are resolved through the notebook's imports. So `model.eval()` and
`torch.compile(model)` are method calls, not the builtins `eval` and `compile`; a word inside a
string or a comment is not code; and `import llmcourse.checks as c; c.Checks.close = ...` is
caught under its alias. A cell that does not parse (it would fail in the kernel too) falls back
to a token scan with strings and comments removed.
"""

import ast
import builtins
import io
import re
import tokenize
from dataclasses import dataclass

PATCHES = "patches a library or test helper"
CHECKS = "touches the test helpers"
BUILTINS = "touches builtins"
MODULES = "sys.modules trick"
EXITS = "exits the kernel"
IPYTHON = "hooks IPython"
STACK = "reads the call stack (hidden tests)"
FILES = "refers to grader files"
DYNAMIC = "dynamic code (may hide the above)"
PROCESSES = "network or processes"
EQUALITY = "defines custom equality"
REFERENCE = "uses the tests' reference parts (not the student's own code)"
UNPARSED = "does not parse as Python (scanned as tokens)"

# Code that can fake a test result: a submission with any of these has its points held (a manual
# score of 0 in the gradebook) until an instructor has looked at it (`python -m autograder
# release-hold`). The other rules only flag.
HOLD = {PATCHES, CHECKS, BUILTINS, MODULES, IPYTHON, STACK, DYNAMIC}

# Dotted names (after resolving imports) and what touching them means. A prefix matches itself
# and everything under it: "sys.modules" matches sys.modules["x"] and sys.modules.pop.
DOTTED = {
    "llmcourse.checks": CHECKS, "__main__": DYNAMIC,
    "builtins": BUILTINS,
    "sys.modules": MODULES, "sys.meta_path": MODULES, "sys.path_hooks": MODULES,
    "sys.path_importer_cache": MODULES, "importlib": MODULES,
    "sys.settrace": IPYTHON, "sys.setprofile": IPYTHON, "sys.displayhook": IPYTHON,
    "sys.excepthook": IPYTHON, "sys.addaudithook": IPYTHON, "sys.breakpointhook": IPYTHON,
    "IPython": IPYTHON, "threading.settrace": IPYTHON,
    "inspect.stack": STACK, "inspect.currentframe": STACK, "inspect.getsource": STACK,
    "inspect.getsourcelines": STACK, "inspect.getouterframes": STACK, "inspect.getframeinfo": STACK,
    "inspect.getinnerframes": STACK, "inspect.trace": STACK, "sys._getframe": STACK,
    "linecache": STACK, "traceback.extract_stack": STACK, "traceback.walk_stack": STACK,
    "gc.get_referrers": STACK, "gc.get_referents": STACK, "gc.get_objects": STACK,
    "types.FunctionType": DYNAMIC, "types.CodeType": DYNAMIC,
    "os._exit": EXITS, "os.kill": EXITS, "os.killpg": EXITS, "os.abort": EXITS, "sys.exit": EXITS,
    "signal": EXITS, "faulthandler": EXITS,
    "socket": PROCESSES, "urllib": PROCESSES, "requests": PROCESSES, "http": PROCESSES,
    "subprocess": PROCESSES, "multiprocessing": PROCESSES, "ctypes": PROCESSES, "pty": PROCESSES,
    "os.system": PROCESSES, "os.popen": PROCESSES, "os.fork": PROCESSES, "os.forkpty": PROCESSES,
    "os.execv": PROCESSES, "os.execve": PROCESSES, "os.execvp": PROCESSES, "os.execl": PROCESSES,
    "os.spawnv": PROCESSES, "os.posix_spawn": PROCESSES,
}
# Builtins by name, when the student has not defined a name of their own that shadows them.
BUILTIN_CALLS = {"eval": DYNAMIC, "exec": DYNAMIC, "compile": DYNAMIC, "globals": DYNAMIC,
                 "locals": DYNAMIC, "breakpoint": DYNAMIC, "__import__": MODULES,
                 "exit": EXITS, "quit": EXITS}
# Attribute names that only interpreter-level tricks use, on whatever object.
ATTRIBUTES = {"f_back": STACK, "f_globals": STACK, "f_locals": STACK, "f_code": STACK,
              "tb_frame": STACK, "gi_frame": STACK, "cr_frame": STACK, "history_manager": STACK,
              "__globals__": DYNAMIC, "__code__": DYNAMIC, "__closure__": DYNAMIC,
              "__subclasses__": DYNAMIC, "__builtins__": BUILTINS,
              "run_cell": IPYTHON, "run_cell_async": IPYTHON, "set_custom_exc": IPYTHON,
              "showtraceback": IPYTHON, "_showtraceback": IPYTHON, "input_transformers_post": IPYTHON,
              "input_transformers_cleanup": IPYTHON, "ast_transformers": IPYTHON,
              "input_transformer_manager": IPYTHON, "register_magic_function": IPYTHON,
              "displayhook": IPYTHON, "display_pub": IPYTHON}
# Bare names that reach IPython's input history (the source of the running test cell) or the
# interpreter's builtins.
NAMES = {"_ih": STACK, "_oh": STACK, "In": STACK, "Out": STACK, "_i": STACK, "_ii": STACK,
         "_iii": STACK, "__builtins__": BUILTINS, "__import__": MODULES, "__loader__": MODULES}
HISTORY_NAME = re.compile(r"_i{1,3}\d+|_\d+")
EQUALITY_METHODS = {"__eq__", "__ne__", "__bool__", "__float__", "__int__", "__index__", "__len__",
                    "__array__", "__array_ufunc__", "__array_function__", "__torch_function__",
                    "__instancecheck__", "__subclasscheck__"}
# Library settings that are written as attributes but are configuration, not patching.
SETTINGS = ("torch.backends.", "matplotlib.rcParams", "matplotlib.pyplot.rcParams", "os.environ",
            "numpy.set_printoptions", "warnings.filters", "logging.")
# IPython magics: those that run code from elsewhere are held, shell ones flagged.
CODE_MAGICS = {"run", "load", "load_ext", "reload_ext", "writefile", "file", "python", "python2",
               "python3", "pypy", "script", "macro", "alias", "debug", "pdb", "store", "autoawait"}
SHELL_MAGICS = {"system", "sx", "sh", "bash", "perl", "ruby", "pip", "conda", "cd", "env"}
PYTHON_BODY_MAGICS = {"time", "timeit", "capture", "prun"}  # %%time etc. run their body as Python
IPYTHON_CALLS = {"run_line_magic", "run_cell_magic", "system", "getoutput"}
GRADER_FILES = re.compile(r"gradebook|solutions/|autograded|submitted/|\.db\b|/work/|nbgrader")
# what a test cell imports, so a test cell copied elsewhere to try it is not held
ALLOWED_IMPORTS = {("llmcourse.checks", "exercise"), ("llmcourse.checks", "with_reference_parts"),
                   ("llmcourse.checks", "seed_parameters")}
_BUILTIN_NAMES = set(dir(builtins))


@dataclass
class Flag:
    cell: int        # index of the cell in the submitted notebook
    rule: str
    line: str        # the offending line, quoted in the report

    @property
    def hold(self) -> bool:
        return self.rule in HOLD

    def __str__(self):
        return f"cell {self.cell + 1}: {self.rule}: {self.line}"  # numbered from 1, as JupyterLab does


def _source(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(map(str, source)) if isinstance(source, list) else str(source)


def python_code(source: str) -> str:
    """A cell as the kernel runs it: IPython's magics and shell escapes become plain calls."""
    from IPython.core.inputtransformer2 import TransformerManager

    return TransformerManager().transform_cell(source)


def _parse(source: str) -> ast.Module | None:
    try:
        return ast.parse(python_code(source))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    except Exception:  # IPython's transformer gave up on something odd: treat as unparsable
        return None


def _dotted(node, aliases: dict[str, str]) -> str | None:
    """'torch.nn.functional.softmax' for F.softmax when F was imported as torch.nn.functional;
    None when the expression does not start at an imported module."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name) and node.id in aliases:
        return ".".join([aliases[node.id], *reversed(parts)])
    module = _looked_up(node, aliases)
    return ".".join([module, *reversed(parts)]) if module else None


def _looked_up(node, aliases: dict[str, str]) -> str | None:
    """'torch' for sys.modules['torch'] and sys.modules.get('torch'): a module looked up by a
    name written in the code is that module."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get" \
            and len(node.args) == 1 and not node.keywords:
        key, table = node.args[0], node.func.value
    elif isinstance(node, ast.Subscript):
        key, table = node.slice, node.value
    else:
        return None
    if isinstance(key, ast.Constant) and isinstance(key.value, str) and key.value \
            and _dotted(table, aliases) == "sys.modules":
        return key.value
    return None


def _matches(dotted: str, table: dict[str, str]) -> str | None:
    for prefix, rule in table.items():
        if dotted == prefix or dotted.startswith(prefix + "."):
            return rule
    return None


def _imports_and_definitions(trees: list[ast.Module]) -> tuple[dict[str, str], set[str]]:
    """Across the whole notebook: {local name: module path} for imports (and plain `m = torch`
    aliases), and the names the notebook defines itself (which shadow builtins)."""
    aliases, defined = {}, set()
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for a in node.names:
                    if a.asname:
                        aliases[a.asname] = a.name
                    else:
                        root = a.name.split(".")[0]
                        aliases[root] = root
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for a in node.names:
                    aliases[a.asname or a.name] = f"{node.module}.{a.name}"
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                defined.add(node.name)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                defined.add(node.id)
            elif isinstance(node, ast.arg):
                defined.add(node.arg)
    for _ in range(3):  # `t = torch` then `t.allclose = ...`: follow simple aliases
        for tree in trees:
            for node in ast.walk(tree):
                if isinstance(node, ast.Assign) and len(node.targets) == 1 \
                        and isinstance(node.targets[0], ast.Name):
                    target = _dotted(node.value, aliases)
                    if target:
                        aliases[node.targets[0].id] = target
    return aliases, defined


def _checks_names(trees: list[ast.Module]) -> set[str]:
    """Names that hold the checks' own objects: `exercise` (and whatever a test cell imports from
    llmcourse.checks) and each `with exercise(...) as check` target."""
    names = set()
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == "llmcourse.checks":
                names |= {a.asname or a.name for a in node.names}
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, (ast.With, ast.AsyncWith)):
                for item in node.items:
                    call = item.context_expr
                    if isinstance(call, ast.Call) and isinstance(call.func, ast.Name) \
                            and call.func.id in names and isinstance(item.optional_vars, ast.Name):
                        names.add(item.optional_vars.id)
    return names


def _bound_locally(function) -> set[str]:
    """The local names of a function or lambda: its arguments and what its own body assigns
    (not names declared global)."""
    args = function.args
    names = {a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg] if a}
    declared_global = set()
    body = function.body if isinstance(function.body, list) else [function.body]
    for statement in body:
        for node in ast.walk(statement):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
            elif isinstance(node, (ast.Global, ast.Nonlocal)):
                declared_global |= set(node.names)
    return names - declared_global


def _set_parents(tree: ast.AST) -> None:
    for node in ast.walk(tree):
        for child in ast.iter_child_nodes(node):
            child.parent = node


class _CellScan(ast.NodeVisitor):
    def __init__(self, aliases: dict[str, str], defined: set[str], checks_names: frozenset = frozenset()):
        self.aliases, self.defined, self.checks_names = aliases, defined, checks_names
        self.found: list[tuple[int, str]] = []  # (line number, rule)
        self.magic_bodies: list[str] = []
        # one entry per enclosing function, lambda or class (code that runs when called): the
        # names it binds itself
        self.locals: list[set[str]] = []

    def flag(self, node, rule: str):
        self.found.append((getattr(node, "lineno", 1), rule))

    # --- imports -----------------------------------------------------------------------------
    def visit_Import(self, node):
        for a in node.names:
            rule = _matches(a.name, DOTTED)
            if rule:
                self.flag(node, rule)

    def visit_ImportFrom(self, node):
        module = node.module or ""
        for a in node.names:
            full = f"{module}.{a.name}" if module else a.name
            if (module, a.name) in ALLOWED_IMPORTS:
                continue
            rule = _matches(full, DOTTED) or _matches(module, DOTTED)
            if rule:
                self.flag(node, rule)

    # --- names and attributes ----------------------------------------------------------------
    def visit_Name(self, node):
        if node.id == "with_reference_parts" and isinstance(node.ctx, ast.Load):
            self.flag(node, REFERENCE)
        elif node.id in self.checks_names and not any(node.id in names for names in self.locals) \
                and not self._uses_checks_as_a_test_does(node):
            self.flag(node, CHECKS)
        if node.id in NAMES or (HISTORY_NAME.fullmatch(node.id) and node.id not in self.defined):
            if isinstance(node.ctx, ast.Load) or node.id == "__builtins__":
                self.flag(node, NAMES.get(node.id, STACK))

    def visit_Attribute(self, node):
        dotted = _dotted(node, self.aliases)
        rule = _matches(dotted, DOTTED) if dotted else None
        if dotted == "sys.modules" and self._only_looks_up(node) or \
                dotted in ("sys.modules.get", "sys.modules.keys") and self._only_looks_up(node.value):
            rule = None  # what the looked-up module is used for is judged as that module
        if rule:
            self.flag(node, rule)
            return  # one flag for a.b.c, not three
        if node.attr in ATTRIBUTES:
            self.flag(node, ATTRIBUTES[node.attr])
        elif dotted and node.attr.startswith("_") and dotted.startswith("llmcourse."):
            self.flag(node, CHECKS)
        self.generic_visit(node)

    def visit_Compare(self, node):
        # `"google.colab" in sys.modules` only asks; anything else done with sys.modules is held
        if all(isinstance(op, (ast.In, ast.NotIn)) for op in node.ops) \
                and all(_dotted(c, self.aliases) == "sys.modules" for c in node.comparators):
            return self.visit(node.left)
        self.generic_visit(node)

    def visit_Subscript(self, node):
        if isinstance(node.value, ast.Attribute) and node.value.attr == "__dict__":
            self.flag(node, DYNAMIC)
        self._looked_up_module(node)
        self.generic_visit(node)

    # --- sys.modules: looking a module up by its name changes nothing; anything else can ------
    def _only_looks_up(self, node) -> bool:
        """`sys.modules['torch']` read, `sys.modules.get('torch')`, `.keys()`, `len(sys.modules)`.
        (Writing, deleting, popping, a key computed at run time, handing the table on: held.)"""
        parent = getattr(node, "parent", None)
        if isinstance(parent, ast.Subscript) and parent.value is node:
            return isinstance(parent.ctx, ast.Load) and _looked_up(parent, self.aliases) is not None
        if isinstance(parent, ast.Attribute) and parent.value is node and parent.attr in ("get", "keys"):
            call = getattr(parent, "parent", None)
            return isinstance(call, ast.Call) and call.func is parent and \
                (parent.attr == "keys" or _looked_up(call, self.aliases) is not None)
        return isinstance(parent, ast.Call) and isinstance(parent.func, ast.Name) and parent.func.id == "len"

    def _looked_up_module(self, node):
        module = _looked_up(node, self.aliases)
        rule = _matches(module, DOTTED) if module else None
        if rule:  # sys.modules['llmcourse.checks'] is the checks, as an import of them would be
            self.flag(node, rule)

    def _uses_checks_as_a_test_does(self, node) -> bool:
        """A test cell (or a copy a student runs to try it) only calls: `exercise("name")`,
        `with exercise(...) as check`, `check.close(...)`. Anything else done with these objects
        (an attribute written or read, the object passed on, its type taken, a function that
        reaches it while the tests run) can change what the checks report."""
        if self.locals or not isinstance(node.ctx, ast.Load):
            return isinstance(node.ctx, ast.Store) and isinstance(getattr(node, "parent", None), ast.withitem)
        parent = getattr(node, "parent", None)
        if isinstance(parent, ast.Call) and parent.func is node:
            return True  # exercise("softmax")
        if isinstance(parent, ast.Attribute) and not parent.attr.startswith("_") \
                and isinstance(parent.ctx, ast.Load):
            grand = getattr(parent, "parent", None)
            return isinstance(grand, ast.Call) and grand.func is parent  # check.close(...)
        return False

    def visit_FunctionDef(self, node):
        if node.name in EQUALITY_METHODS:
            self.flag(node, EQUALITY)
        self._nested(node)

    visit_AsyncFunctionDef = visit_FunctionDef

    def _nested(self, node):
        self.locals.append(_bound_locally(node) if not isinstance(node, ast.ClassDef) else set())
        self.generic_visit(node)
        self.locals.pop()

    visit_Lambda = visit_ClassDef = _nested

    # --- writes: assigning into a library is patching it ---------------------------------------
    def _check_target(self, target, node):
        if isinstance(target, (ast.Tuple, ast.List)):
            for t in target.elts:
                self._check_target(t, node)
            return
        if isinstance(target, ast.Starred):
            return self._check_target(target.value, node)
        base = target.value if isinstance(target, (ast.Attribute, ast.Subscript)) else None
        if base is None:
            return
        dotted = _dotted(target if isinstance(target, ast.Attribute) else base, self.aliases)
        if dotted and not dotted.startswith(SETTINGS):
            self.flag(node, PATCHES)
        elif isinstance(target, ast.Attribute) and target.attr.startswith("__") and target.attr.endswith("__") \
                and not (isinstance(base, ast.Name) and base.id == "self"):
            self.flag(node, PATCHES)  # type(x).__eq__ = ..., obj.__class__ = ...

    def visit_Assign(self, node):
        for t in node.targets:
            self._check_target(t, node)
        self.generic_visit(node)

    def visit_AugAssign(self, node):
        self._check_target(node.target, node)
        self.generic_visit(node)

    def visit_AnnAssign(self, node):
        self._check_target(node.target, node)
        self.generic_visit(node)

    def visit_Delete(self, node):
        for t in node.targets:
            self._check_target(t, node)
        self.generic_visit(node)

    # --- calls -------------------------------------------------------------------------------
    def visit_Call(self, node):
        self._looked_up_module(node)
        func = node.func
        if isinstance(func, ast.Name) and func.id not in self.defined:
            if func.id in BUILTIN_CALLS:
                self.flag(node, BUILTIN_CALLS[func.id])
            elif func.id == "vars" and (not node.args or self._library(node.args[0])):
                self.flag(node, DYNAMIC)  # vars() of a module is its namespace, open to writes
            elif func.id in ("setattr", "delattr") and node.args and self._library(node.args[0]):
                self.flag(node, PATCHES)
            elif func.id == "getattr" and len(node.args) >= 2 and self._library(node.args[0]) \
                    and not isinstance(node.args[1], ast.Constant):
                self.flag(node, DYNAMIC)
            elif func.id == "get_ipython":
                self.flag(node, IPYTHON)  # get_ipython() on its own: the shell object
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Call) \
                and isinstance(func.value.func, ast.Name) and func.value.func.id == "get_ipython":
            self._ipython_call(node, func.attr)
            for arg in node.args:
                self.visit(arg)
            return
        self.generic_visit(node)

    def _library(self, node) -> bool:
        """Is this expression a module (or something in one), or builtins, rather than the
        student's own object?"""
        return bool(_dotted(node, self.aliases)) or (isinstance(node, ast.Name) and node.id == "__builtins__")

    def _ipython_call(self, node, method: str):
        if method not in IPYTHON_CALLS:
            return self.flag(node, IPYTHON)
        if method in ("system", "getoutput"):
            return self.flag(node, PROCESSES)
        name = node.args[0].value if node.args and isinstance(node.args[0], ast.Constant) else None
        if not isinstance(name, str):
            return self.flag(node, DYNAMIC)
        if name in CODE_MAGICS:
            self.flag(node, DYNAMIC)
        elif name in SHELL_MAGICS or name.startswith("%"):
            self.flag(node, PROCESSES)
        elif method == "run_cell_magic" and name in PYTHON_BODY_MAGICS and len(node.args) >= 3 \
                and isinstance(node.args[2], ast.Constant) and isinstance(node.args[2].value, str):
            self.magic_bodies.append(node.args[2].value)

    # --- strings -------------------------------------------------------------------------------
    def visit_Constant(self, node):
        if isinstance(node.value, str) and GRADER_FILES.search(node.value):
            self.flag(node, FILES)


def _token_code(source: str) -> str:
    """The cell with strings and comments blanked out (for cells that do not parse)."""
    out = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type in (tokenize.STRING, tokenize.COMMENT):
                out.append((tok.start, '""'))
            elif tok.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
                                  tokenize.ENDMARKER):
                out.append((tok.start, tok.string))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass
    lines: dict[int, list[str]] = {}
    for (row, _), text in out:
        lines.setdefault(row, []).append(text)
    return "\n".join(" ".join(lines.get(r, [])) for r in range(1, max(lines, default=0) + 1))


_TOKEN_RULES = [(rule, re.compile(pattern)) for rule, pattern in [
    (PATCHES, r"\b(torch|np|numpy|math|builtins|checks|llmcourse)( \. \w+)+ =(?!=)"),
    (CHECKS, r"\bllmcourse \. checks\b|\b_ORIGINAL\b"),
    (BUILTINS, r"\bbuiltins\b|__builtins__"),
    (MODULES, r"\bsys \. modules\b|\bimportlib\b|__import__"),
    (IPYTHON, r"\bget_ipython\b|\bsettrace\b|\bsetprofile\b|\brun_cell\b"),
    (STACK, r"\binspect\b|_getframe|\bf_back\b|\b_ih\b|\bIn \["),
    (DYNAMIC, r"(?<!\. )\b(exec|eval|compile)\b \(|__dict__ \[|__globals__|__code__"),
    (EXITS, r"\bos \. _exit\b|\bsys \. exit\b|\bsignal\b"),
    (PROCESSES, r"\bsocket\b|\bsubprocess\b|\bctypes\b|\bos \. (system|popen)\b"),
]]


def _scan_tokens(source: str) -> list[tuple[int, str]]:
    found = [(1, UNPARSED)]
    for number, line in enumerate(_token_code(source).splitlines(), 1):
        for rule, regex in _TOKEN_RULES:
            if regex.search(line):
                found.append((number, rule))
    return found


def scan_cells(cells: list, skip_sources: set[str] = frozenset()) -> list[Flag]:
    """Flags for the code cells of a notebook. Cells whose source is in `skip_sources` (the
    course's own cells, e.g. the release's setup and test cells) are read for their imports but
    not flagged."""
    code = [(i, _source(c)) for i, c in enumerate(cells)
            if isinstance(c, dict) and c.get("cell_type") == "code"]
    trees = {i: _parse(source) for i, source in code}
    parsed = [t for t in trees.values() if t is not None]
    aliases, defined = _imports_and_definitions(parsed)
    # with_reference_parts has its own rule; seed_parameters only sets a module's weights
    checks_names = frozenset(_checks_names(parsed) - {"with_reference_parts", "seed_parameters"})
    flags = []
    for index, source in code:
        if source.strip() in skip_sources:
            continue
        flags += _scan_one(index, source, trees[index], aliases, defined, checks_names)
    return flags


def _scan_one(index, source, tree, aliases, defined, checks_names, depth=0) -> list[Flag]:
    if tree is None:
        found, lines = _scan_tokens(source), source.splitlines()
        bodies = []
    else:
        lines = python_code(source).splitlines()
        _set_parents(tree)
        visitor = _CellScan(aliases, defined, checks_names)
        visitor.visit(tree)
        found, bodies = visitor.found, visitor.magic_bodies
    flags, seen = [], set()
    for number, rule in found:
        if (number, rule) in seen:
            continue
        seen.add((number, rule))
        line = lines[number - 1] if 0 < number <= len(lines) else ""
        flags.append(Flag(index, rule, line.strip()[:160]))
    for body in bodies if depth < 3 else []:  # %%time / %%capture bodies are code too
        flags += _scan_one(index, body, _parse(body), aliases, defined, checks_names, depth + 1)
    return flags
