"""The ``kuailive`` command line.

::

    kuailive sample   --out DIR [--scale S] [--seed N]      write a synthetic KuaiLive twin
    kuailive validate --data-dir DIR                        check a folder against the schema
    kuailive run      [--data-dir DIR] [--chapters ...] [-p NAME VALUE ...]
                                                            execute chapters with papermill
    kuailive build                                          render executed chapters to HTML
    kuailive book     [--data-dir DIR] [--scale S] [--seed N] [--engine duckdb|spark]
                                                            all of it: data, run, build
    kuailive export   [--data-dir DIR] --out OUT [--format parquet|csv] [--engine E]
                                                            cleaned tables, data model,
                                                            interactions, data dictionary

Errors about the input (a missing file, a renamed column, a failing chapter) are printed as one
paragraph and exit with status 2; nothing here prints a raw traceback for them.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time

from kuailive_analysis.app.commands import parser

MESSAGE_MAX_CHARS = 1000
"""Longest error message printed (characters); the messages quote excerpts, this is a guard."""


def _one_line(err: BaseException) -> str:
    """The message of ``err`` ending with exactly one period (no doubled ``..``)."""
    text = str(err).strip() or type(err).__name__
    if isinstance(err, OSError) and err.strerror:
        where = err.filename if err.filename is not None else ""
        text = f"{err.strerror}: {where}" if where else err.strerror
    text = text.rstrip(".").rstrip()
    if len(text) > MESSAGE_MAX_CHARS:  # a last guard: no message floods the terminal
        from kuailive_analysis.core.faults import excerpt

        text = excerpt(text, MESSAGE_MAX_CHARS)
    return text + "."


def _silence_stderr() -> None:
    """Send the rest of stderr (papermill / jupyter-client / asyncio shutdown noise after an
    interrupt) to /dev/null; the one line has been printed already."""
    try:
        sys.stderr.flush()
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        sys.stderr = open(os.devnull, "w")  # noqa: SIM115 (lives until exit)
    except OSError:
        pass


_STARTED = time.time()


def _stop_children() -> None:
    """End the processes this command started (a papermill kernel) after an interrupt, so
    none outlives it or prints on the terminal afterwards."""
    try:
        import psutil  # installed with ipykernel; without it the kernel ends by itself
    except ImportError:
        return
    try:
        children = [
            c for c in psutil.Process().children(recursive=True) if c.create_time() >= _STARTED
        ]
        for child in children:
            child.terminate()
        _, alive = psutil.wait_procs(children, timeout=3)
        for child in alive:
            child.kill()
    except psutil.Error:
        pass


def _exit_interrupted(signum, frame) -> None:  # noqa: ARG001 (signal handler signature)
    """SIGINT before the command has started (while importing): nothing to clean up."""
    os.write(2, b"interrupted\n")
    os._exit(130)


_AS_COMMAND = False
"""True when running as the ``kuailive`` command (:func:`entry`), not called in-process: then
stderr is closed after the one-line error, so nothing (an engine's "Exception ignored" at
exit) follows it."""

_SIGNALLED: list[int] = []
"""Signals received while the command ran (set by :func:`_interrupt`)."""


def _interrupt(signum, frame) -> None:  # noqa: ARG001 (signal handler signature)
    """Ctrl-C or SIGTERM while a command runs: remember it and raise KeyboardInterrupt, so the
    command unwinds (temporary folders removed, kernels ended). A library that turns the
    KeyboardInterrupt into its own error (DuckDB: "Query interrupted") is still recognised as
    an interrupt, because the signal was recorded first."""
    _SIGNALLED.append(signum)
    if len(_SIGNALLED) == 1:
        raise KeyboardInterrupt


def _install(handler) -> dict:
    """Install ``handler`` for SIGINT and SIGTERM (main thread only); the previous handlers."""
    if threading.current_thread() is not threading.main_thread():
        return {}
    old = {}
    for sig in (signal.SIGINT, signal.SIGTERM):
        old[sig] = signal.getsignal(sig)
        signal.signal(sig, handler)
    return old


def _check_twin_args(args) -> None:
    """Scale and seed of the twin, checked before any work (``sample``, ``run``, ``book``)."""
    if getattr(args, "scale", None) is None or getattr(args, "seed", None) is None:
        return
    from kuailive_analysis.twin import check_scale_seed

    check_scale_seed(args.scale, args.seed)


def main(argv: list[str] | None = None) -> int:
    """Run one command. Input errors print one line ``kuailive CMD: error: ...`` and return 2;
    environment errors (permissions, a full disk) return 1; Ctrl-C or SIGTERM prints
    ``interrupted`` once and returns 130. ``--debug`` re-raises instead, for the traceback."""
    global _STARTED
    _STARTED = time.time() - 1  # children started by this call (create_time has 10 ms steps)
    _SIGNALLED.clear()
    previous = _install(_exit_interrupted)
    try:
        return _main(argv)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def entry() -> None:
    """The ``kuailive`` console script: :func:`main`, then exit. After an interrupt the process
    exits at once (``os._exit``) instead of waiting for worker threads that are still tearing
    down a killed kernel: the clean-up has been done and "interrupted" printed."""
    global _AS_COMMAND
    _AS_COMMAND = True
    code = main()
    if code == 130:
        sys.stdout.flush()
        os._exit(130)
    sys.exit(code)


def _quiet_after_error() -> None:
    if _AS_COMMAND:
        _silence_stderr()


def _interrupted(debug: bool) -> int:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C during cleanup: no noise
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    print("interrupted", file=sys.stderr, flush=True)
    if not debug:
        _silence_stderr()
    _stop_children()
    return 130


def _main(argv: list[str] | None) -> int:
    args = parser().parse_args(argv)
    debug = getattr(args, "debug", False)
    if debug:  # engines (Spark's JVM) and kernels keep their own logs on the terminal
        os.environ["KUAILIVE_DEBUG"] = "1"
    prefix = f"kuailive {args.command}: error:"
    from kuailive_analysis.app.chapters import BookError
    from kuailive_analysis.core.faults import EnvironmentFault, is_disk_full

    try:
        from kuailive_analysis.data.io import DataError
    except ImportError:  # data layer not importable: report book errors only
        DataError = BookError  # noqa: N806

    try:
        _check_twin_args(args)
        _install(_interrupt)  # clean up on Ctrl-C / SIGTERM
        return args.func(args)
    except KeyboardInterrupt:
        if debug:
            _interrupted(True)
            raise
        return _interrupted(False)
    except Exception as err:
        if _SIGNALLED:  # e.g. DuckDB's "Query interrupted" after our KeyboardInterrupt
            if debug:
                _interrupted(True)
                raise
            return _interrupted(False)
        if debug:
            raise
        twin = sys.modules.get("kuailive_analysis.twin")  # imported by the commands that use it
        if isinstance(err, (DataError, BookError, twin.TwinError if twin else DataError)):
            code = 2
        elif isinstance(err, EnvironmentFault):
            code = 1  # the environment, named by the step (a full disk: folder and space)
        elif is_disk_full(err):  # a step that did not name its folder: say what we know
            where = getattr(err, "filename", None)
            print(
                f"{prefix} No space left on device"
                + (f" writing {where}" if where else " (rerun with --debug to see where)")
                + ". Free some space or use a larger folder.",
                file=sys.stderr,
                flush=True,
            )
            _quiet_after_error()
            return 1
        elif isinstance(err, OSError):
            code = 1  # the environment: permissions, a busy file
        else:
            code = 1
            print(
                f"{prefix} {type(err).__name__}: {_one_line(err)[:-1]} (rerun with --debug for "
                "the traceback).",
                file=sys.stderr,
                flush=True,
            )
            _quiet_after_error()
            return code
        print(f"{prefix} {_one_line(err)}", file=sys.stderr, flush=True)
        _quiet_after_error()  # no "Exception ignored ..." noise from engines closing at exit
        return code


if __name__ == "__main__":
    entry()
