"""What answer cells may not do, checked twice: statically in the grader, at run time in the child.

* :func:`scan` reads an answer cell's source (an AST walk, no execution) and reports uses of
  forbidden names: another AD library (``torch``, ``jax``, ...) in every exercise, and per exercise
  the shortcut it asks you not to take (``autodiff.graph.topological_order`` in "write your own
  topological sort"). It resolves ``import ... as`` aliases, including the template's own imports.
  It also lists constructs worth a human look (``eval``, ``exec``, ``__import__``), which do not
  cost points.
* :func:`install_guard` runs inside the batch grader's child process, before any student code. It
  adds a PEP 578 audit hook that refuses: importing forbidden modules or ``ctypes``/``cffi``;
  creating processes; signalling other processes; opening sockets; writing, renaming or deleting
  files outside the child's working directory; and replacing a function's ``__code__`` or
  defaults (so the hook itself cannot be rewritten).

Both raise the bar; neither is a sandbox. A determined student can hide a name from the AST scan
(``getattr(globals()["a" + "d"], ...)``), and audit hooks can be bypassed by native code or
interpreter bugs. The grader's correctness does not rest on them: expected values never enter the
student's process. For high stakes, run the grader in a throwaway container or VM.

>>> scan("import torch\\nx = ad.graph.topological_order(y)", ["autodiff.graph"], {"ad": "autodiff"})
['line 1: imports torch (another AD library)', 'line 2: uses autodiff.graph.topological_order']
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Mapping, Sequence

__all__ = ["AD_LIBRARIES", "strip_magics", "import_aliases", "imported_modules", "scan", "review", "install_guard"]

#: Modules no answer may import: other automatic differentiation libraries, and native-code
#: escape hatches that would defeat the run-time guard.
AD_LIBRARIES: tuple[str, ...] = (
    "torch", "jax", "jaxlib", "tensorflow", "keras", "autograd", "micrograd", "tinygrad", "mygrad",
    "minitorch", "theano", "mxnet", "paddle", "flax", "chainer",
)
NATIVE_ESCAPES: tuple[str, ...] = ("ctypes", "_ctypes", "cffi")

_MAGIC = re.compile(r"^(\s*)(%%?|!)")


def strip_magics(source: str) -> str:
    """Replace IPython magics and shell escapes (``%time``, ``%%timeit``, ``!ls``) by ``pass``.

    The batch grader runs plain Python; a magic is not part of any answer.

    >>> strip_magics("%matplotlib inline\\nx = 1\\n    !ls")
    'pass  # IPython magic removed\\nx = 1\\n    pass  # IPython magic removed'
    """
    lines = []
    for line in source.splitlines():
        match = _MAGIC.match(line)
        lines.append(f"{match.group(1)}pass  # IPython magic removed" if match else line)
    return "\n".join(lines)


def import_aliases(sources: Iterable[str]) -> dict[str, str]:
    """The names bound by top-level imports in ``sources``: ``{"ad": "autodiff", "np": "numpy"}``.

    >>> import_aliases(["import autodiff as ad\\nfrom autodiff.graph import trace as t\\nimport os.path"])
    {'ad': 'autodiff', 't': 'autodiff.graph.trace', 'os': 'os'}
    """
    aliases: dict[str, str] = {}
    for node in _top_level(sources):
        aliases.update(_bindings(node))
    return aliases


def imported_modules(sources: Iterable[str]) -> list[str]:
    """Modules imported at the top level of ``sources``, in order (the child imports them early).

    >>> imported_modules(["import math\\nimport autodiff as ad\\nfrom autodiff.grading import check"])
    ['math', 'autodiff', 'autodiff.grading']
    """
    found: list[str] = []
    for node in _top_level(sources):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names = [node.module]
        else:
            continue
        found += [n for n in names if n not in found]
    return found


def _parse(source: str) -> ast.Module | None:
    """The cell's syntax tree, magics removed; ``None`` if it does not parse (running it will say so)."""
    try:
        return ast.parse(strip_magics(source))
    except SyntaxError:
        return None


def _top_level(sources: Iterable[str]) -> Iterable[ast.stmt]:
    for source in sources:
        tree = _parse(source)
        if tree is not None:
            yield from tree.body


def _bindings(node: ast.AST) -> dict[str, str]:
    found: dict[str, str] = {}
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.asname:
                found[alias.asname] = alias.name
            else:
                top = alias.name.split(".")[0]
                found[top] = top
    elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
        for alias in node.names:
            if alias.name != "*":
                found[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return found


def _matches(dotted: str, forbidden: str) -> bool:
    if dotted == forbidden or dotted.startswith(forbidden + "."):
        return True
    # `g = autodiff.graph` then `g.topological_order`: flag the module itself when the forbidden
    # name lives inside it, unless it is a bare top-level package (``autodiff`` alone is fine).
    return "." in dotted and forbidden.startswith(dotted + ".")


def _is_getattr(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "getattr"
        and len(node.args) >= 2
        and isinstance(node.args[1], ast.Constant)
        and isinstance(node.args[1].value, str)
    )


def _dotted(node: ast.AST, aliases: Mapping[str, str]) -> str | None:
    parts: list[str] = []
    while True:
        if isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        elif _is_getattr(node):
            parts.append(node.args[1].value)  # type: ignore[attr-defined]
            node = node.args[0]  # type: ignore[attr-defined]
        elif isinstance(node, ast.Name):
            root = aliases.get(node.id)
            if root is None:
                return None
            return ".".join([root, *reversed(parts)])
        else:
            return None


def scan(
    source: str,
    forbidden: Sequence[str],
    template_aliases: Mapping[str, str] | None = None,
    allowed: Sequence[str] = (),
) -> list[str]:
    """Findings (``"line 3: uses autodiff.graph.topological_order"``) for one answer cell.

    ``forbidden`` holds dotted names the exercise rules out, on top of :data:`AD_LIBRARIES` and
    ``ctypes``/``cffi``, which every exercise rules out; names under an ``allowed`` prefix are fine
    (``allowed=["autodiff.grading"]`` with ``forbidden=["autodiff"]``). A cell that does not parse has no findings
    (running it will report the ``SyntaxError``). Defining a function whose name happens to equal a
    forbidden attribute is fine: only imports and references through an imported name count.

    >>> scan("def topological_order(root):\\n    return []", ["autodiff.graph.topological_order"], {})
    []
    >>> scan("from autodiff import graph as g\\ng.topological_order(r)", ["autodiff.graph.topological_order"])
    ['line 1: imports autodiff.graph', 'line 2: uses autodiff.graph.topological_order']
    """
    tree = _parse(source)
    if tree is None:
        return []
    aliases = dict(template_aliases or {})
    for node in tree.body:
        aliases.update(_bindings(node))
    rules = [(name, "") for name in forbidden] + [
        (name, " (another AD library)") for name in AD_LIBRARIES
    ] + [(name, " (native code is not allowed)") for name in NATIVE_ESCAPES]
    findings: list[str] = []

    def flag(line: int, verb: str, dotted: str) -> bool:
        if any(dotted == a or dotted.startswith(a + ".") for a in allowed):
            return False
        for name, why in rules:
            if _matches(dotted, name):
                finding = f"line {line}: {verb} {dotted}{why}"
                if finding not in findings:
                    findings.append(finding)
                return True
        return False

    inner: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                flag(node.lineno, "imports", alias.name)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            if not flag(node.lineno, "imports", node.module):
                for alias in node.names:
                    flag(node.lineno, "imports", f"{node.module}.{alias.name}")
        elif isinstance(node, ast.Call) and _is_dynamic_import(node):
            flag(node.lineno, "imports", node.args[0].value)  # type: ignore[attr-defined]
        if isinstance(node, ast.Attribute):
            inner.add(id(node.value))
        elif _is_getattr(node):
            inner.add(id(node.args[0]))  # type: ignore[attr-defined]
    # Only the outermost expression of each attribute chain: `ad.graph.topological_order`.
    for node in ast.walk(tree):
        if id(node) in inner or isinstance(getattr(node, "ctx", None), ast.Store):
            continue
        if isinstance(node, (ast.Attribute, ast.Name)) or _is_getattr(node):
            dotted = _dotted(node, aliases)
            if dotted is not None:
                flag(node.lineno, "uses", dotted)  # type: ignore[attr-defined]
    return findings


def _is_dynamic_import(node: ast.Call) -> bool:
    func = node.func
    name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
    return (
        name in ("__import__", "import_module")
        and bool(node.args)
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
    )


_REVIEW_CALLS = {"eval", "exec", "compile", "__import__", "import_module", "globals", "vars", "setattr"}


def review(source: str) -> list[str]:
    """Constructs that do not cost points but deserve a human look in the report.

    >>> review("f = eval('lambda x: x')")
    ['line 1: calls eval']
    """
    tree = _parse(source)
    if tree is None:
        return []
    notes = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            if name in _REVIEW_CALLS:
                notes.append(f"line {node.lineno}: calls {name}")
    return sorted(set(notes), key=lambda n: (int(n.split(":")[0].split()[1]), n))


# The guard is compiled from source so that everything it uses is a constant of its own code or a
# default argument bound at creation: no closure cells or globals a student could rebind. (Replacing
# a function's __code__ or defaults is itself refused by the guard.)
_GUARD_SOURCE = """
def normalize(path, _type=type, _decode=bytes.decode, _split=str.split, _startswith=str.startswith,
              _join=str.join, _getcwd=getcwd, _str=str, _bytes=bytes, _PermissionError=PermissionError):
    if _type(path) is _bytes:
        path = _decode(path, "utf-8", "surrogateescape")
    if _type(path) is not _str:
        raise _PermissionError("the grader only allows str or bytes paths in answers")
    if not _startswith(path, "/"):
        path = _getcwd() + "/" + path
    parts = []
    for part in _split(path, "/"):
        if part == "" or part == ".":
            continue
        if part == "..":
            if parts:
                parts.pop()
        else:
            parts.append(part)
    return "/" + _join("/", parts)


def inside(path, folder, _startswith=str.startswith):
    return path == folder or _startswith(path, folder + "/")


def readable(path, _workdir={workdir!r}, _hidden_dirs={hidden_dirs!r}, _outputs={outputs!r},
             _pid=str(getpid()), _split=str.split, _lower=str.lower, _endswith=str.endswith,
             _rpartition=str.rpartition, _inside=inside, _len=len, _PermissionError=PermissionError):
    # Other students' notebooks, the solutions, the grader's reports and scratch files, and the
    # memory and command lines of other processes are none of an answer's business.
    if _endswith(_lower(path), ".ipynb"):
        raise _PermissionError("the grader does not allow answers to open notebooks")
    parts = _split(path, "/")
    if _len(parts) > 2 and parts[1] == "proc" and parts[2] not in ("self", "thread-self", _pid) and \\
            parts[2][:1] in "0123456789":
        raise _PermissionError("the grader does not allow answers to look at other processes")
    if not _inside(path, _workdir):
        for folder in _hidden_dirs:
            if _inside(path, folder):
                raise _PermissionError("the grader does not allow answers to open " + path)
    if _outputs and _rpartition(path, "/")[0] == _outputs:
        raise _PermissionError("the grader does not allow answers to open its reports")


def guard(event, args, _workdir={workdir!r}, _blocked_imports={blocked!r}, _getpid=getpid,
          _fspath_types=(str, bytes), _type=type, _len=len, _split=str.split, _startswith=str.startswith,
          _int=int, _WRITE=write_flags, _normalize=normalize, _inside=inside, _readable=readable,
          _PermissionError=PermissionError, _ImportError=ImportError):
    if event == "import":
        name = args[0]
        if _type(name) is str and _split(name, ".")[0] in _blocked_imports:
            raise _ImportError("the grader does not allow importing " + name + " in answers")
        return
    if event == "open":
        path, flags = args[0], args[2]
        if _type(path) is _int:
            return
        normal = _normalize(path)
        _readable(normal)
        if _type(flags) is _int and not (flags & _WRITE):
            return
        paths = (normal,)
    elif event in ("os.remove", "os.rmdir", "os.mkdir", "os.chmod", "os.chown", "os.truncate",
                   "os.utime", "os.rename", "os.link", "os.symlink", "shutil.rmtree",
                   "shutil.copyfile", "shutil.copymode", "shutil.copystat", "shutil.move",
                   "os.chflags", "os.lchflags", "os.lchown", "os.mkfifo", "os.mknod"):
        if event in ("os.symlink", "os.link"):
            raise _PermissionError("the grader does not allow " + event + " in answers")
        for a in args:
            if a is not None and _type(a) not in _fspath_types and _type(a) is not _int:
                raise _PermissionError("the grader only allows " + event + " on str paths")
            if _type(a) is _int and event not in ("os.chmod", "os.chown", "os.mkdir", "os.mkfifo",
                                                  "os.mknod", "os.utime", "os.truncate"):
                raise _PermissionError("the grader does not allow " + event + " with a directory fd")
        paths = tuple(_normalize(a) for a in args if _type(a) in _fspath_types)
        for normal in paths:
            _readable(normal)
    elif event in ("os.fork", "os.forkpty", "os.exec", "os.posix_spawn", "os.spawn", "os.system",
                   "subprocess.Popen", "pty.spawn", "os.startfile", "resource.setrlimit",
                   "resource.prlimit", "os.setns", "os.unshare"):
        raise _PermissionError("the grader does not allow " + event + " in answers")
    elif event in ("os.kill", "os.killpg", "signal.pthread_kill"):
        if event == "signal.pthread_kill" or args[0] != _getpid():
            raise _PermissionError("the grader does not allow signalling other processes")
        return
    elif event == "object.__setattr__":
        if _len(args) > 1 and args[1] in ("__code__", "__defaults__", "__kwdefaults__"):
            raise _PermissionError("the grader does not allow replacing " + args[1])
        return
    elif _startswith(event, "socket.") or _startswith(event, "ctypes.") or event == "urllib.Request":
        raise _PermissionError("the grader does not allow " + event + " in answers")
    else:
        return
    for normal in paths:
        if not _inside(normal, _workdir):
            raise _PermissionError("the grader only allows writing inside the working directory, not " + normal)
"""


def install_guard(
    workdir: str,
    blocked_imports: Sequence[str] = (),
    hidden_dirs: Sequence[str] = (),
    outputs_dir: str | None = None,
) -> None:
    """Add the audit hook described in the module docstring (for the child process only).

    ``workdir`` is the only directory the student's code may write to; ``blocked_imports`` adds
    top-level module names to :data:`AD_LIBRARIES` and the native-code modules. Nothing under
    ``hidden_dirs`` (the grader's scratch space, where other students' processes work) may be
    opened, except inside ``workdir``; neither may the reports in ``outputs_dir``, any notebook,
    or another process's files under ``/proc``. A hook cannot be removed, so the example runs in a
    separate interpreter:

    >>> import subprocess, sys, tempfile
    >>> program = ("import os, sys; from autodiff.grading.policy import install_guard\\n"
    ...            "install_guard(sys.argv[1])\\n"
    ...            "open(os.path.join(sys.argv[1], 'ok.txt'), 'w').close()\\n"
    ...            "try:\\n    os.kill(os.getppid(), 0)\\nexcept PermissionError as e:\\n    print(e)")
    >>> subprocess.run([sys.executable, "-c", program, tempfile.mkdtemp()], capture_output=True, text=True).stdout
    'the grader does not allow signalling other processes\\n'
    """
    import os
    import sys

    real = os.path.realpath
    blocked = frozenset([*AD_LIBRARIES, *NATIVE_ESCAPES, *blocked_imports])
    scope = {
        "__builtins__": __builtins__,
        "getpid": os.getpid,
        "getcwd": os.getcwd,
        "write_flags": os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC,
    }
    source = _GUARD_SOURCE.format(
        workdir=real(workdir),
        blocked=blocked,
        hidden_dirs=tuple(sorted({d for folder in hidden_dirs for d in (os.path.abspath(folder), real(folder))})),
        outputs=real(outputs_dir) if outputs_dir else "",
    )
    exec(compile(source, "<autodiff/grading/policy.py: guard>", "exec"), scope)
    sys.addaudithook(scope["guard"])
