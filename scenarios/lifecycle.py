"""Worker processes die with accord (issue 16): the initializer of every process pool accord starts.

Kept apart from scenarios/engine.py and free of heavy imports (numpy, pydantic): a worker runs its initializer
before it takes its first task, so an import here would delay every worker, and on a queue of short tasks let
the first worker ready take them all.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time


def die_with_parent(parent_pid: int | None = None, main_pid: int | None = None) -> None:
    """Process-pool initializer: the worker dies with its parent, however the parent dies.

    A parent killed by SIGTERM or SIGKILL runs no cleanup, and its workers, re-parented, would otherwise
    compute on (or block on a dead pipe) indefinitely. On Linux the kernel sends the worker SIGKILL when its
    parent exits (``prctl(PR_SET_PDEATHSIG)``); everywhere, a watchdog thread exits when the parent changes.
    ``parent_pid``: the parent expected (a fork pool's creator), so that a parent already gone is caught too.
    ``main_pid``: the accord process, for workers whose parent is a fork server: that server outlives accord
    (each worker holds the pipe whose end would tell it to stop), so the watchdog watches accord itself.
    SIGTERM gets its default action back (the CLI turns it into an exception, for cleanup in the main process)."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    parent = os.getppid()
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL))  # 1 = PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    if parent_pid is not None and parent != parent_pid:  # the parent died before the line above took effect
        os._exit(1)

    def gone(pid: int) -> bool:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        except OSError:
            return False
        return False

    def watch() -> None:
        while os.getppid() == parent and not (main_pid is not None and gone(main_pid)):
            time.sleep(0.5)
        os._exit(1)

    if main_pid is not None and gone(main_pid):
        os._exit(1)
    threading.Thread(target=watch, name="accord-watch-parent", daemon=True).start()
