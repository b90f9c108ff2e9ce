"""The student's process: runs one exercise's program and reports what happened, as plain data.

The batch grader starts one such process per exercise and submission, either by ``fork`` from a
pre-warmed *zygote* (``python -I -m autodiff.grading.child --serve``, the default on Linux: numpy
and the package are imported once, not once per exercise) or as a fresh interpreter
(``python -I -m autodiff.grading.child JOB.json``). Either way :func:`execute` then, before any
student code runs:

1. sets resource limits: address space (``--memory``), CPU seconds, file size, open files, no
   new processes or threads, no core files;
2. caps what ``print`` can write (the rest is dropped, and the process goes on);
3. imports the template's modules and the chapter's drivers, and installs the audit-hook guard of
   :mod:`autodiff.grading.policy`;
4. creates a fresh ``__main__`` module as the namespace, like a new kernel.

It runs the cells one by one under an alarm (a cell that loops is interrupted and recorded), then
the drivers of the exercise's cases, writing one JSON line per event to the results file: cell
started, done or failed; case outcome (see :func:`autodiff.grading.verdict.run_case`). The student's
code can write to that file too; it gains nothing, because only values compared in the grader can
pass, and for the first line with a given token only.
"""

from __future__ import annotations

import builtins
import importlib
import importlib.util
import io
import json
import os
import signal
import sys
import time
import types
from typing import Any

__all__ = ["execute", "serve", "main"]

#: Where the results file is in the child (the runner puts it there).
RESULTS_FD = 3


class _Budget:
    """Bytes left for the student's stdout and stderr together."""

    def __init__(self, limit: int) -> None:
        self.left = limit
        self.truncated = False


class _CappedWriter(io.TextIOBase):
    """A text stream that writes to ``fd`` until the shared budget is spent, then drops the rest."""

    def __init__(self, fd: int, budget: _Budget) -> None:
        self._fd = fd
        self._budget = budget

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self._fd

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        budget = self._budget
        if budget.left > 0:
            chunk = text[: budget.left]
            budget.left -= len(chunk)
            data = chunk.encode("utf-8", "replace")
            if budget.left <= 0:
                data += b"\n[output truncated by the grader]\n"
                budget.truncated = True
            try:
                os.write(self._fd, data)
            except OSError:
                pass
        return len(text)

    def flush(self) -> None:
        return None


def _report(fd: int, event: dict[str, Any]) -> None:
    line = json.dumps(event, allow_nan=True, separators=(",", ":")) + "\n"
    try:
        os.write(fd, line.encode("utf-8", "surrogatepass"))
    except OSError:  # the student closed or filled it; nothing more can be reported
        pass


def _set_limits(limits: dict[str, Any]) -> None:
    try:
        import resource
    except ImportError:  # pragma: no cover - not POSIX: only the parent's wall clock applies
        return

    def cap(which: int, value: int) -> None:
        try:
            resource.setrlimit(which, (value, value))
        except (ValueError, OSError):
            soft, hard = resource.getrlimit(which)
            if hard == resource.RLIM_INFINITY or value <= hard:
                resource.setrlimit(which, (value, hard))

    in_use = _address_space_mb()
    if in_use is not None and in_use + 32 > int(limits["memory_mb"]):
        raise MemoryError(
            f"the memory limit ({limits['memory_mb']} MB) leaves no room: the interpreter, numpy and the "
            f"package already take {in_use} MB of address space; raise --memory"
        )
    cap(resource.RLIMIT_AS, int(limits["memory_mb"]) * 1024 * 1024)
    cap(resource.RLIMIT_CPU, int(limits["cpu_seconds"]))
    cap(resource.RLIMIT_FSIZE, int(limits["file_bytes"]))
    cap(resource.RLIMIT_NOFILE, int(limits["open_files"]))
    cap(resource.RLIMIT_CORE, 0)
    if hasattr(resource, "RLIMIT_NPROC"):
        cap(resource.RLIMIT_NPROC, 0)  # no fork, no threads: nothing can outlive the deadline
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a too-large write fails instead of killing


def _address_space_mb() -> int | None:
    """This process's virtual memory size in MB (Linux), the quantity RLIMIT_AS bounds."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) // 1024
    except (OSError, ValueError):
        pass
    return None


def _load_chapter(job: dict[str, Any]) -> Any:
    name, path = job["checks_module"], job.get("checks_path")
    if name in sys.modules:
        module = sys.modules[name]
    elif path and not name.startswith("autodiff."):
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
        sys.modules[name] = module
        spec.loader.exec_module(module)  # type: ignore[union-attr]
    else:
        module = importlib.import_module(name)
    from autodiff.grading.registry import Chapter

    chapters = [v for v in vars(module).values() if isinstance(v, Chapter)]
    if len(chapters) != 1:
        raise RuntimeError(f"{name} defines {len(chapters)} chapters, expected 1")
    return chapters[0]


def preload(modules: list[str]) -> None:
    """Import the template's modules now, before the guard and the limits (trusted code)."""
    os.environ.setdefault("MPLBACKEND", "Agg")
    for name in modules:
        try:
            importlib.import_module(name)
        except BaseException:  # noqa: BLE001 - the cell will report it when it runs
            pass


def _tripwire(dotted: str) -> Any:
    def forbidden(*args: Any, **kwargs: Any) -> Any:
        raise PermissionError(f"{dotted} may not be used in this exercise")

    return forbidden


class _Tripwires:
    """Forbidden callables (``autodiff.graph.topological_order``), swapped for ones that raise.

    Armed while the student's code runs (answer cells and the checks' cases) and disarmed for the
    notebook's own cells, which may demonstrate the very function an exercise asks students to
    rebuild without. Arming also swaps any name in the namespace bound to the real function (an
    import cell's ``from autodiff.functional import vjp``), so an earlier import is no way around it.
    """

    def __init__(self, names: list[str]) -> None:
        self.swaps: list[tuple[Any, str, Any, Any]] = []  # (owner, attribute, real, tripwire)
        for dotted in names:
            parts = dotted.split(".")
            for cut in range(len(parts) - 1, 0, -1):
                try:
                    owner: Any = importlib.import_module(".".join(parts[:cut]))
                except ImportError:
                    continue
                try:
                    for attr in parts[cut:-1]:
                        owner = getattr(owner, attr)
                    if hasattr(owner, parts[-1]):
                        self.swaps.append((owner, parts[-1], getattr(owner, parts[-1]), _tripwire(dotted)))
                except (AttributeError, TypeError):
                    pass
                break

    def _swap(self, ns: dict[str, Any], armed: bool) -> None:
        for owner, attr, real, wire in self.swaps:
            old, new = (real, wire) if armed else (wire, real)
            try:
                setattr(owner, attr, new)
            except (AttributeError, TypeError):
                pass
            for name, value in list(ns.items()):
                if value is old:
                    ns[name] = new

    def arm(self, ns: dict[str, Any]) -> None:
        self._swap(ns, armed=True)

    def disarm(self, ns: dict[str, Any]) -> None:
        self._swap(ns, armed=False)


def execute(job: dict[str, Any], results_fd: int = RESULTS_FD) -> None:
    """Run ``job`` in this process (already started with its output files in place); never returns.

    It ends the process with ``os._exit``, so it only ever runs in a child; the runner starts one
    (here, a fresh interpreter, which calls this function from :func:`main`):

    >>> from autodiff.grading.runner import Limits, Runner
    >>> job = {"cells": [{"key": "t0", "label": "cell 1", "answer": None, "source": "x = 1 / 0"}],
    ...        "cases": [], "checks_module": "autodiff.grading.ch05", "preload": []}
    >>> with Runner(Limits(timeout=20), mode="spawn") as runner:
    ...     events = runner.run(job).events
    >>> [e.get("state") for e in events if e["ev"] == "cell"], events[-1]["ev"]
    (['start', 'error'], 'end')
    """
    started = time.monotonic()
    try:
        os.chdir(job["workdir"])
        os.environ.update({"HOME": job["workdir"], "TMPDIR": job["workdir"]})
        from autodiff.grading.policy import install_guard
        from autodiff.grading.verdict import CaseTimeout, alarm, describe_exception, run_case

        preload(job.get("preload", []))
        chapter = _load_chapter(job)
        tripwires = _Tripwires(job.get("tripwires", []))
        _set_limits(job["limits"])
        budget = _Budget(int(job["limits"]["output_bytes"]))
        sys.stdout = _CappedWriter(1, budget)
        sys.stderr = _CappedWriter(2, budget)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        install_guard(job["workdir"], job.get("blocked_imports", []), job.get("hidden_dirs", []),
                      job.get("outputs_dir"))
    except BaseException as error:  # noqa: BLE001
        _report(results_fd, {"ev": "setup-error", "message": f"{type(error).__name__}: {error}"})
        os._exit(3)
    _report(results_fd, {"ev": "start"})

    main = types.ModuleType("__main__")
    main.__dict__["__builtins__"] = builtins
    sys.modules["__main__"] = main
    ns = main.__dict__
    soft_budget = float(job["limits"]["budget_seconds"])
    item_cap = float(job["limits"]["item_seconds"])

    def time_left() -> float:
        return soft_budget - (time.monotonic() - started)

    for cell in job["cells"]:
        key = cell["key"]
        left = time_left()
        if left <= 0:
            _report(results_fd, {"ev": "cell", "key": key, "state": "error", "kind": "timeout",
                                 "message": "not run: the exercise's time budget was spent"})
            continue
        _report(results_fd, {"ev": "cell", "key": key, "state": "start"})
        if cell.get("answer") is None:
            tripwires.disarm(ns)
        else:
            tripwires.arm(ns)
        try:
            code = compile(cell["source"], f"<{cell['label']}>", "exec")
            with alarm(min(item_cap, left)):
                exec(code, ns)
        except CaseTimeout:
            _report(results_fd, {"ev": "cell", "key": key, "state": "error", "kind": "timeout",
                                 "message": f"stopped after {min(item_cap, left):.1f} s"})
        except MemoryError as error:
            _report(results_fd, {"ev": "cell", "key": key, "state": "error", "kind": "memory",
                                 "message": describe_exception(error)})
        except BaseException as error:  # noqa: BLE001 - SystemExit and KeyboardInterrupt included
            _report(results_fd, {"ev": "cell", "key": key, "state": "error", "kind": "exception",
                                 "message": describe_exception(error)})
        else:
            _report(results_fd, {"ev": "cell", "key": key, "state": "done"})

    tripwires.arm(ns)
    for case in job["cases"]:
        left = time_left()
        if left <= 0:
            outcome = {"status": "timeout", "message": "not run: the exercise's time budget was spent"}
        else:
            driver = chapter.drivers.get(case["driver"])
            if driver is None:
                outcome = {"status": "error", "message": f"the grader has no driver {case['driver']!r}"}
            else:
                outcome = run_case(driver, ns, case["args"], timeout=min(item_cap, left))
        try:
            _report(results_fd, {"ev": "case", "t": case["token"], "outcome": outcome})
        except (TypeError, ValueError, RecursionError) as error:
            _report(results_fd, {"ev": "case", "t": case["token"],
                                 "outcome": {"status": "fail", "message": f"unreportable result: {error}"}})
    _report(results_fd, {"ev": "end", "truncated": budget.truncated})
    os._exit(0)


def _scrub_fds(keep: int) -> None:
    try:
        limit = os.sysconf("SC_OPEN_MAX")
    except (ValueError, OSError):  # pragma: no cover
        limit = 4096
    os.closerange(keep + 1, limit)


def _wait(pid: int, seconds: float) -> tuple[int, bool, int]:
    """Wait for ``pid`` at most ``seconds``, then kill its process group: (status, killed, max RSS in kB)."""
    deadline = time.monotonic() + seconds
    killed = False
    pidfd = None
    if hasattr(os, "pidfd_open"):
        try:
            pidfd = os.pidfd_open(pid)
        except OSError:
            pidfd = None
    if pidfd is not None:
        import select

        try:
            ready, _, _ = select.select([pidfd], [], [], max(seconds, 0.0))
        finally:
            os.close(pidfd)
        if not ready:
            killed = True
    else:
        pause = 0.001
        while True:
            reaped, status, usage = os.wait4(pid, os.WNOHANG)
            if reaped:
                return status, False, int(usage.ru_maxrss)
            if time.monotonic() >= deadline:
                killed = True
                break
            time.sleep(pause)
            pause = min(pause * 2, 0.02)
    if killed:
        try:
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    _, status, usage = os.wait4(pid, 0)
    return status, killed, int(usage.ru_maxrss)


def _child_setup(job: dict[str, Any]) -> None:
    """In a freshly forked child: new session, files in place, everything else closed."""
    os.setsid()
    signal.pthread_sigmask(signal.SIG_SETMASK, [])
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGPIPE, signal.SIGCHLD):
        signal.signal(signum, signal.SIG_DFL)
    null = os.open(os.devnull, os.O_RDONLY)
    output = os.open(job["output_path"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    results = os.open(job["results_path"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND, 0o600)
    os.dup2(null, 0)
    os.dup2(output, 1)
    os.dup2(output, 2)
    os.dup2(results, RESULTS_FD)
    _scrub_fds(RESULTS_FD)
    sys.stdin = open(0, closefd=False)  # noqa: SIM115


def serve(read_fd: int, write_fd: int) -> None:
    """The zygote: read jobs (JSON lines), fork a child for each, enforce its deadline, reply.

    Requests are ``{"op": "preload", "modules": [...], "chapters": [[module, path], ...]}`` (answered
    ``{"ok": true}``) and ``{"op": "run", "job": {...}}`` (answered ``{"pid": ...}`` at once, then
    ``{"status", "killed", "duration", "max_rss_kb"}`` when the child has ended or been killed).
    :class:`~autodiff.grading.runner.Runner` is its only client:

    >>> from autodiff.grading.runner import Limits, Runner
    >>> job = {"cells": [{"key": "t0", "label": "cell 1", "answer": None, "source": "while True: pass"}],
    ...        "cases": [], "checks_module": "autodiff.grading.ch05", "preload": []}
    >>> with Runner(Limits(timeout=0.5), mode="fork") as runner:
    ...     runner.run(job).events[-2]["kind"]
    'timeout'
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the grader stops us by closing the pipe
    reader = os.fdopen(read_fd, "rb")

    def reply(message: dict[str, Any]) -> None:
        os.write(write_fd, (json.dumps(message) + "\n").encode())

    import autodiff.grading.policy  # noqa: F401 - imported once here, not in every child
    import autodiff.grading.verdict  # noqa: F401

    for line in reader:
        request = json.loads(line)
        if request["op"] == "preload":
            preload(request["modules"])
            for name, path in request.get("chapters", []):
                try:
                    _load_chapter({"checks_module": name, "checks_path": path})
                except BaseException:  # noqa: BLE001 - the child will report it
                    pass
            reply({"ok": True})
            continue
        job = request["job"]
        start = time.monotonic()
        pid = os.fork()
        if pid == 0:  # the child
            try:
                os.close(write_fd)
                reader.close()
                _child_setup(job)
                execute(job)
            finally:
                os._exit(70)
        reply({"pid": pid})
        status, killed, rss = _wait(pid, float(job["deadline_seconds"]))
        reply({"status": status, "killed": killed, "duration": time.monotonic() - start, "max_rss_kb": rss})


def main(argv: list[str]) -> int:
    """Entry point of ``python -I -m autodiff.grading.child``: a job file, or ``--serve`` (zygote).

    >>> main([])
    2
    """
    if len(argv) == 3 and argv[0] == "--serve":
        serve(int(argv[1]), int(argv[2]))
        return 0
    if len(argv) == 1:
        with open(argv[0], encoding="utf-8") as handle:
            job = json.load(handle)
        os.remove(argv[0])
        execute(job, int(job.get("results_fd", RESULTS_FD)))
    print("usage: python -I -m autodiff.grading.child (JOB.json | --serve READ_FD WRITE_FD)", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
