"""accord: model peace settlements from config files.

The face of the tool: click commands parse options, call scenarios, print results and map errors to exit
codes (0 success, 1 model or runtime failure, 2 bad usage or config). Nothing else prints.
"""

from __future__ import annotations

import functools
import json
import os
import sys
import time
import types
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

if __name__ == "__main__":  # `python -m cli`: the commands' module (cli_commands.py) imports this one as `cli`
    sys.modules.setdefault("cli", sys.modules[__name__])

# accord runs in parallel over processes (--workers, sweep workers); a multi-threaded BLAS in each of them
# would oversubscribe the cores (a 2-worker sweep went from 1.72x to 1.36x on 2 cores) and gains nothing in
# one process (the models' matrix products are small). Set before numpy is imported; the user's own
# setting wins. Child processes (fork, forkserver) inherit it.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
# pydantic looks for plugins (observability hooks accord does not use) by scanning the entry points of every
# installed distribution when it builds its first model: ~0.15-0.3 s of each start (issue 17). The user's own
# setting wins.
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")


def _no_pydantic_plugins() -> None:
    """With plugins off, pydantic's plugin loader (pydantic.plugin._loader) is a module whose get_plugins()
    returns none, as the real one does then; the real one imports importlib.metadata (and the email package) to
    read entry points: ~0.03 s of every start that validates a config (issue 17). Any other name is read from the
    real module, loaded on first use; plugins turned on by the user load as pydantic loads them."""
    name = "pydantic.plugin._loader"
    if os.environ.get("PYDANTIC_DISABLE_PLUGINS") not in ("__all__", "1", "true") or name in sys.modules:
        return
    stand_in = types.ModuleType(name)
    stand_in.get_plugins = lambda: ()  # type: ignore[attr-defined]

    def real(attr: str) -> Any:
        if attr.startswith("__"):  # what the import system asks of any module (__path__, ...): not the loader's
            raise AttributeError(attr)
        import importlib.machinery
        import importlib.util

        import pydantic.plugin

        spec = importlib.machinery.PathFinder.find_spec(name, list(pydantic.plugin.__path__))
        if spec is None or spec.loader is None:
            raise AttributeError(attr)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return getattr(module, attr)

    stand_in.__getattr__ = real  # type: ignore[attr-defined]  # PEP 562: names the stand-in does not define
    sys.modules[name] = stand_in


_no_pydantic_plugins()


def _keep_freed_memory() -> None:
    """Let glibc keep freed memory for reuse instead of returning it to the system after every chunk.

    By default glibc trims the heap above twice its largest recent allocation, so each chunk of a run
    page-faults its ~100 MB of temporaries in again; page faults are slow (in virtual machines especially):
    a 1M-trial coalition run spent about 10% of its time there. With arrays up to 32 MiB taken from the
    heap and the heap not trimmed, the pages are reused; the peak memory is unchanged (it is what one chunk
    needs). Environment variables for child processes (glibc reads them at start), mallopt for this one.
    Only on glibc, and only when the user has set none of these variables (their settings win)."""
    names = {"MALLOC_MMAP_THRESHOLD_": -3, "MALLOC_TRIM_THRESHOLD_": -1}  # mallopt's M_MMAP_/M_TRIM_THRESHOLD
    if not sys.platform.startswith("linux") or any(name in os.environ for name in names):
        return
    values = {"MALLOC_MMAP_THRESHOLD_": 32 * 2**20, "MALLOC_TRIM_THRESHOLD_": 2**31 - 1}
    try:
        import ctypes

        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # not glibc (e.g. musl): leave the allocator as it is
        return
    for name, param in names.items():
        if mallopt(param, values[name]) == 1:  # 1 = accepted
            os.environ[name] = str(values[name])


_keep_freed_memory()

# ------------------------------------------------------------------- fast start (issue 17)
# Commands that only read configs (list, show, validate, report) import the scenario modules for their
# schemas, and those import scipy and networkx at the top for the models (~1.5 s on a 2-core VM). For these
# commands the packages are stand-ins that import the real module on first use, which they never make.
LIGHT_COMMANDS = ("list", "show", "validate", "report")
HEAVY_MODULES = ("scipy.special", "scipy.stats", "scipy.optimize", "scipy.linalg", "scipy.interpolate", "networkx",
                 "model.coalition", "model.forces", "model.guarantees", "model.bargaining", "model.negotiation",
                 "model.power", "model.prim", "model.war", "model.lanchester_fit", "model.terms", "scenarios.backtest")


class _Deferred(types.ModuleType):
    """A module stand-in: the first attribute it lacks imports the real module (which then replaces it in
    sys.modules and on its parent package); every later lookup is forwarded to the real module."""

    def __init__(self, name: str, spec: Any) -> None:
        super().__init__(name)
        self.__spec__ = spec  # what `import name` reads of a module already in sys.modules

    def __getattr__(self, attr: str) -> Any:
        real = self.__dict__.get("_real")
        if real is None:
            import importlib

            name = self.__name__
            if sys.modules.get(name) is self:
                del sys.modules[name]
            real = importlib.import_module(name)
            parent, _, child = name.rpartition(".")
            if parent in sys.modules:
                setattr(sys.modules[parent], child, real)
            self.__dict__["_real"] = real
        return getattr(real, attr)


def _find_spec(name: str) -> Any:
    """A module's spec, found without importing its parent packages (importlib.util.find_spec imports them:
    finding scipy.special that way imported scipy, ~0.15 s of every light command's start)."""
    import importlib.machinery
    import importlib.util

    parent = name.rpartition(".")[0]
    if not parent or parent in sys.modules:
        return importlib.util.find_spec(name)
    outer = _find_spec(parent)
    if outer is None or not outer.submodule_search_locations:
        return None
    return importlib.machinery.PathFinder.find_spec(name, list(outer.submodule_search_locations))


def defer_heavy_imports(names: tuple[str, ...] = HEAVY_MODULES) -> None:
    """Put a `_Deferred` stand-in in sys.modules for each module of ``names`` not imported yet."""
    for name in names:
        if name in sys.modules:
            continue
        try:
            spec = _find_spec(name)
        except (ImportError, ValueError):
            continue
        if spec is None:
            continue
        sys.modules[name] = module = _Deferred(name, spec)
        parent, _, child = name.rpartition(".")
        if parent in sys.modules:
            setattr(sys.modules[parent], child, module)


import click

HERE = Path(__file__).resolve().parent
DEFAULT_CONFIG = "configs/plan_28_points.yaml"
CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 110}


# ---------------------------------------------------------------------------------------- plumbing
# Errors, the command classes, pipes, signals, work estimates. Every command made with @main.command (or a
# group of main's) is an AccordCommand: its errors become one line `accord: error: ...` and an exit code, with
# no decorator to remember; click's own usage errors get the same one-line form (AccordGroup.main).

MAX_TRIALS = 1_000_000_000  # scenarios.config.MAX_TRIALS (tests/test_hostile_input.py checks they agree)
TRIALS = click.IntRange(1, MAX_TRIALS)
MAX_SECONDS = 15 * 60  # a run estimated longer asks for --yes (ACCORD_MAX_SECONDS changes it)
MEMORY_SHARE = 0.8  # ... and so does one estimated to need more than this share of the available memory
ESTIMATE_ABOVE_TRIALS = 250_000  # below this many trials in all, no pilot (nothing here takes minutes)


class Out:
    """Where output goes: JSON to stdout for scripts, words to stdout (or stderr with --json), progress to
    stderr only on a terminal."""

    def __init__(self, as_json: bool = False, quiet: bool = False):
        self.as_json, self.quiet = as_json, quiet

    def say(self, text: str = "") -> None:
        if self.quiet:
            return
        click.echo(text, err=self.as_json)

    def note(self, text: str) -> None:
        if not self.quiet:
            click.echo(text, err=True)

    def json(self, obj: Any) -> None:
        click.echo(json.dumps(obj, indent=2, default=_json_default))


def _json_default(o: Any) -> Any:
    if hasattr(o, "item"):
        return o.item()
    if hasattr(o, "tolist"):
        return o.tolist()
    return str(o)


def _printable(text: str) -> str:
    """One terminal-safe line: control characters shown as escapes (scenarios.config.printable, without
    importing pydantic for a usage error)."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


def fail(message: str, code: int = 2) -> None:
    try:
        for line in message.splitlines():
            click.echo(f"accord: error: {_printable(line)}", err=True)
    except OSError as exc:  # stderr's reader has gone: the exit code still tells
        if not _closed_pipe(exc):
            raise
    sys.exit(code)


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread so that cleanup runs (temporary directories, worker processes)."""


def _on_sigterm(signum: int, frame: Any) -> None:
    raise Terminated()


def _catch_sigterm() -> Callable[[], None]:
    """Turn SIGTERM into Terminated for this invocation; returns what restores the previous handler."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    try:
        previous = signal.signal(signal.SIGTERM, _on_sigterm)
    except (ValueError, OSError):
        return lambda: None
    return lambda: signal.signal(signal.SIGTERM, previous)


def _stream_gone(stream: Any) -> bool:
    """Whether a standard stream's reader has gone (a closed pipe: `accord show | head -1`)."""
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, ValueError):
        return False
    try:
        import select

        poller = select.poll()
        poller.register(fd, select.POLLOUT)
        return any(ev & (select.POLLERR | select.POLLHUP) for _, ev in poller.poll(0))
    except (ImportError, AttributeError, OSError, ValueError):
        return True  # cannot tell: a broken pipe on a standard stream is by far the likeliest


def _closed_pipe(exc: BaseException) -> bool:
    import errno

    return isinstance(exc, OSError) and exc.errno == errno.EPIPE and (
        _stream_gone(sys.stdout) or _stream_gone(sys.stderr))


def _quiet_exit() -> None:
    """The reader of our output has gone: stop quietly with 0, as `head`-friendly tools do. What is still
    buffered goes to /dev/null, so that flushing it at exit cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        for stream in (sys.stdout, sys.stderr):
            try:
                os.dup2(devnull, stream.fileno())
            except (AttributeError, OSError, ValueError):
                pass
    except OSError:
        pass
    sys.exit(0)


class _NotRaised(Exception):
    """Stands for an error class whose module was never imported (so nothing raised it)."""


def _error_class(module: str, name: str) -> type[BaseException]:
    """A typed error of a layer, looked up when an error is being handled: a command that never imported the
    module (`accord list` does not import the engine and NumPy; issue 17) cannot have raised it."""
    return getattr(sys.modules.get(module), name, _NotRaised)


def _guarded(name: str, call: Callable[[], Any]) -> Any:
    """Run a command, turning the layers' typed errors into one clear line each and the right exit code;
    never a traceback."""
    from scenarios.configfile import ConfigError

    try:
        return call()
    except ConfigError as exc:
        fail(exc.text(), 2)
    except _error_class("scenarios.results", "RunDirError") as exc:
        fail(str(exc), getattr(exc, "exit_code", 2))
    except _error_class("scenarios.engine", "ModelError") as exc:
        fail(str(exc), 1)
    except KeyboardInterrupt as exc:
        what = "terminated" if isinstance(exc, Terminated) else "interrupted"
        if name == "sweep":
            click.echo(f"accord: {what}; the finished points are kept: accord sweep --resume DIR", err=True)
        else:
            click.echo(f"accord: {what}; nothing was written", err=True)
        sys.exit(143 if isinstance(exc, Terminated) else 130)
    except (click.exceptions.Exit, click.ClickException, SystemExit):
        raise
    except OSError as exc:
        if _closed_pipe(exc):
            _quiet_exit()
        if os.environ.get("ACCORD_DEBUG"):
            raise
        fail(f"{exc.strerror or exc}{f': {exc.filename}' if exc.filename else ''} ({type(exc).__name__})", 1)
    except MemoryError:
        fail("out of memory; lower --trials or run.chunk_size, or use fewer --workers", 1)
    except Exception as exc:  # an accord bug: say so plainly, keep the traceback for whoever debugs it
        if os.environ.get("ACCORD_DEBUG"):
            raise
        fail(f"internal error: {type(exc).__name__}: {exc} (set ACCORD_DEBUG=1 for the traceback)", 1)


def handle_errors(fn: Callable) -> Callable:
    """The same translation as every AccordCommand gets, for a function called outside one."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return _guarded(fn.__name__, lambda: fn(*args, **kwargs))

    return wrapper


def _param_key(exc: click.ClickException) -> str:
    param, hint = getattr(exc, "param", None), getattr(exc, "param_hint", None)
    if hint:
        hints = [hint] if isinstance(hint, str) else list(hint)
        return "/".join(h.strip("'\"") for h in hints)
    if isinstance(param, click.Option):
        longs = [o for o in param.opts if o.startswith("--")]
        return (longs or param.opts)[0]
    if isinstance(param, click.Parameter):
        return param.human_readable_name.upper() if isinstance(param, click.Argument) else param.human_readable_name
    return ""


def _sentence(text: str) -> str:
    return " ".join(str(text).split()).rstrip(".")


def usage_line(exc: click.ClickException) -> str:
    """A click usage error as accord's one line: ``KEY: what is wrong; what is allowed``."""
    ctx = getattr(exc, "ctx", None)
    see = f"see '{ctx.command_path if ctx else 'accord'} --help'"
    if isinstance(exc, click.NoSuchOption):
        close = sorted(exc.possibilities or [])
        hint = f" (did you mean {' or '.join(close)}?)" if close else ""
        return f"{exc.option_name}: unknown option{hint}; {see}"
    if isinstance(exc, click.BadOptionUsage):
        msg = _sentence(exc.message)
        if "requires an argument" in msg or "requires" in msg and "arguments" in msg:
            msg = "needs a value"
        return f"{exc.option_name}: {msg}; {see}"
    if isinstance(exc, click.MissingParameter):
        what = "argument" if isinstance(exc.param, click.Argument) else "option"
        return f"{_param_key(exc) or 'a parameter'}: missing; this {what} is required; {see}"
    if isinstance(exc, click.BadParameter):
        key = _param_key(exc)
        return f"{key + ': ' if key else ''}{_sentence(exc.message)}; {see}"
    if isinstance(exc, click.UsageError):
        msg = _sentence(exc.message)
        return f"{msg[:1].lower()}{msg[1:]}; {see}"
    return _sentence(exc.format_message())


class AccordCommand(click.Command):
    """A command whose errors are accord's: one line each, exit codes 1 (model/runtime) and 2 (usage/config),
    never a traceback; an --out that cannot be written fails before any compute."""

    def invoke(self, ctx: click.Context) -> Any:
        def call() -> Any:
            _refuse_special_files(ctx.params)
            out = ctx.params.get("out")
            if out and self._out_is_a_directory():
                from scenarios.results import check_writable

                check_writable(Path(out), unique=False)
            return super(AccordCommand, self).invoke(ctx)

        return _guarded(self.name or "", call)

    def _out_is_a_directory(self) -> bool:
        """Whether --out names a directory to be made (a run or report directory), as opposed to a file."""
        param = next((p for p in self.params if p.name == "out"), None)
        return param is not None and isinstance(param.type, click.Path) and not param.type.file_okay


def _refuse_special_files(params: dict[str, Any]) -> None:
    """A path given to any command that names a device, pipe or socket (/dev/zero, a FIFO) is refused before
    anything opens it: reading one never ends (or blocks until a writer comes)."""
    import stat

    from scenarios.configfile import ConfigError

    for value in params.values():
        for v in value if isinstance(value, (tuple, list)) else (value,):
            if not isinstance(v, (str, Path)) or not str(v) or len(str(v)) > 4096:
                continue
            try:
                mode = os.stat(v).st_mode
            except (OSError, ValueError):
                continue
            if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
                raise ConfigError("is not a regular file (a device, pipe or socket); give a file", str(v))


_NO_ARGS = getattr(click.exceptions, "NoArgsIsHelpError", ())  # click >= 8.2: a bare group asks for its help


class AccordGroup(click.Group):
    """accord's command group: its commands are AccordCommands (subgroups AccordGroups); unknown commands get
    a "did you mean"; click's usage errors, a closed pipe and SIGTERM are handled as accord's own."""

    command_class = AccordCommand
    group_class = type  # subgroups are AccordGroups too
    lazy_commands: Mapping[str, str] = types.MappingProxyType({})  # name -> first sentence of its help, of the
    lazy_module = ""  # commands registered on first use by importing this module
    _listing = False

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(self.commands) | set(self.lazy_commands))

    def get_command(self, ctx: click.Context, cmd_name: str) -> Any:
        """A command by name; a lazy one is registered (its module imported) when asked for, except while the
        help lists the commands: then it stands in as its name and first sentence (what the listing shows)."""
        cmd = self.commands.get(cmd_name)
        if cmd is None and cmd_name in self.lazy_commands:
            if self._listing:
                return click.Command(cmd_name, help=self.lazy_commands[cmd_name])
            _import_beside(self.lazy_module)
            cmd = self.commands.get(cmd_name)
        return cmd

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        self._listing = True
        try:
            super().format_commands(ctx, formatter)
        finally:
            self._listing = False

    def resolve_command(self, ctx: click.Context, args: list[str]) -> Any:
        name = click.utils.make_str(args[0])
        if self.get_command(ctx, name) is None and not ctx.resilient_parsing and not name.startswith("-"):
            import difflib

            names = self.list_commands(ctx)
            close = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            shown = name if len(name) <= 40 else name[:37] + "..."
            raise click.UsageError(f"unknown command '{shown}'{hint}; allowed: {', '.join(names)}", ctx)
        return super().resolve_command(ctx, args)

    def main(self, args: Any = None, prog_name: str | None = None, complete_var: str | None = None,
             standalone_mode: bool = True, **extra: Any) -> Any:
        prog_name = prog_name or "accord"  # also under `python -m cli`
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        restore = _catch_sigterm()
        code = 0
        try:
            rv = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
            code = rv if isinstance(rv, int) and not isinstance(rv, bool) else 0
            sys.stdout.flush()
        except _NO_ARGS as exc:
            click.echo(exc.ctx.get_help())  # a bare `accord` (or `accord calibrate`) asks for help
        except click.ClickException as exc:
            code = exc.exit_code if isinstance(exc, click.UsageError) else 2
            try:
                click.echo(f"accord: error: {_printable(usage_line(exc))}", err=True)
            except OSError:
                pass
        except click.exceptions.Abort as exc:  # an interrupt outside a command (while parsing)
            terminated = isinstance(exc.__context__, Terminated) or isinstance(exc.__cause__, Terminated)
            click.echo(f"accord: {'terminated' if terminated else 'interrupted'}", err=True)
            code = 143 if terminated else 130
        except OSError as exc:
            if not _closed_pipe(exc):
                raise
            _quiet_exit()
        finally:
            restore()
        sys.exit(code)


def _import_beside(name: str) -> types.ModuleType:
    """Import a module of the CLI; an editable install made before it existed maps only the names it had then
    (cli, model, scenarios), so it is then loaded from beside this file."""
    import importlib

    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name != name or not (HERE / f"{name}.py").is_file():
            raise
    import importlib.util

    spec = importlib.util.spec_from_file_location(name, HERE / f"{name}.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)  # type: ignore[union-attr]
    except BaseException:
        del sys.modules[name]
        raise
    return module


def resolve_config_path(path: str | None) -> str:
    """A config path as given, or the default config (from the working directory, else the source tree)."""
    if path:
        return path
    if Path(DEFAULT_CONFIG).is_file():
        return DEFAULT_CONFIG
    return str(HERE / DEFAULT_CONFIG)


def progress_bar(total: int, label: str, quiet: bool):
    """A stderr progress bar (done, rate, time left) when stderr is a terminal, drawn at once and moved by
    every chunk; otherwise a no-op."""
    if quiet or not sys.stderr.isatty():
        return None
    bar = click.progressbar(length=total, label=label, file=sys.stderr, show_eta=True, show_percent=True,
                            item_show_func=lambda _: None)
    start = time.perf_counter()
    bar.__enter__()

    def update(n: int) -> None:
        bar.update(n)
        rate = bar.pos / max(time.perf_counter() - start, 1e-9)
        bar.label = f"{label} {bar.pos:,}/{total:,} ({rate:,.0f}/s)"
        if bar.pos >= total:
            bar.__exit__(None, None, None)

    return update


def set_option(fn: Callable) -> Callable:
    return click.option(
        "--set", "overrides", multiple=True, metavar="KEY=VALUE",
        help="Override a config value (repeatable). VALUE is YAML; list items by index or name, "
             "e.g. --set guarantees.us.binding=0.9 --set 'forces.ukraine_cap={dist: uniform, low: 5e5, high: 8e5}'.",
    )(fn)


def json_option(fn: Callable) -> Callable:
    return click.option("--json", "as_json", is_flag=True, help="Print a machine-readable result to stdout.")(fn)


def quiet_option(fn: Callable) -> Callable:
    return click.option("--quiet", "-q", is_flag=True, help="Silence everything on stderr but errors.")(fn)


def yes_option(fn: Callable) -> Callable:
    return click.option("--yes", "-y", is_flag=True,
                        help="Run even when the estimate (from a pilot chunk) says it takes more than 15 minutes or "
                             "most of the memory.")(fn)


def load_config(path: str, overrides: tuple[str, ...] = ()):
    from scenarios import config as C

    cfg = C.load(path, list(overrides))
    for note in cfg.notes:
        click.echo(f"accord: note: {_printable(note)}", err=True)
    return cfg


def _available_memory() -> int | None:
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def max_seconds() -> float:
    text = os.environ.get("ACCORD_MAX_SECONDS", "").strip()
    if not text:
        return MAX_SECONDS
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value < float("inf"):  # NaN fails too
        from scenarios.configfile import ConfigError

        raise ConfigError(f"got {text[:40]!r}; allowed: a number of seconds > 0", "environment", None, "ACCORD_MAX_SECONDS")
    return value


def guard_work(cfg: Any, trials: int, seed: int | None, sampler: str | None, workers: int | None, yes: bool,
               quiet: bool, evaluations: int = 1, what: str = "--trials") -> None:
    """Refuse, before the compute, work that would not finish in reasonable time or memory, unless --yes:
    estimated from pilot chunks of the config (scenarios.engine.estimate_work). Prints the estimate when the
    work is long. Below ESTIMATE_ABOVE_TRIALS trials in all, nothing is estimated."""
    if trials * evaluations < ESTIMATE_ABOVE_TRIALS:
        return
    from scenarios import engine
    from scenarios.configfile import ConfigError

    run = cfg.model.run
    n_workers = workers or engine.default_workers(trials * evaluations, run.chunk_size)
    est = engine.estimate_work(cfg, trials, run.seed if seed is None else seed, sampler or run.sampler, n_workers,
                               evaluations)
    limit = max_seconds()
    memory = _available_memory()
    too_slow = est.seconds > limit
    too_big = memory is not None and est.peak_bytes > MEMORY_SHARE * memory
    if (too_slow or too_big) and not yes:
        why = []
        if too_slow:
            why.append(f"more than {engine.duration_text(limit)}")
        if too_big:
            why.append(f"more than {MEMORY_SHARE:.0%} of the {engine.bytes_text(memory)} of memory available")
        raise ConfigError(f"estimated {est.text()}: {' and '.join(why)}; add --yes to run it anyway, or lower it",
                          None, None, what)
    if (too_slow or too_big or est.seconds > 60) and not quiet:
        click.echo(f"accord: note: estimated {est.text()}", err=True)


# ---------------------------------------------------------------------------------------- commands


@click.group(name="accord", cls=AccordGroup, context_settings=CONTEXT)
@click.version_option(package_name="accord", prog_name="accord")
@click.pass_context
def main(ctx: click.Context) -> None:
    """accord: model peace settlements: guarantee credibility, the military balance, coalition acceptance
    and whether a settlement holds, as parameterised Monte Carlo models run from YAML configs.

    \b
    Start with:
      accord list                       scenarios and shipped configs
      accord run                        the default config (configs/plan_28_points.yaml)
      accord show configs/no_deal.yaml  the resolved config with the source of every value
    """
    if ctx.invoked_subcommand in LIGHT_COMMANDS:  # fast start: these never call the models (issue 17)
        defer_heavy_imports()


# The commands that run models or analyses are in cli_commands.py, registered on main when one is asked for; the
# help's listing shows each as its name and the first sentence of its help, from here (tests/test_cli.py checks
# this table against the commands themselves).
LAZY_COMMANDS = {
    "amend": "Search plan variants over the config's negotiable dimensions for the largest P(adopted) per unit of "
             "change, and write a table of proposed amendments.",
    "backtest": "Score an outside-view model on cases it was not fitted to: fit on one table, predict another (or "
                "cross-validate by war), against the training table's base rate (Brier, log loss, AUC, n).",
    "calibrate": "Fit model weights or coefficients to historical data.",
    "clean": "Remove the temporary directories that killed runs left behind (hidden .NAME.accord-tmp-* siblings of "
             "run directories) under outputs/, or under DIRS.",
    "compare": "Compare configs or run directories side by side: each headline metric (each probability beside its "
               "reference class's rate), the difference from the first with its 95% interval, an overlay of "
               "survival curves and outcomes.",
    "discover": "Scenario discovery by PRIM (Friedman & Fisher 1999; Bryant & Lempert 2010): which ranges of the "
                "swept parameters produce the outcome, with coverage, density and quasi-p-values.",
    "forecast": "Expected-utility negotiation forecast (Bueno de Mesquita, as specified by Scholz, Calbert & Smith "
                "2011) on one issue dimension, round by round: from an actors CSV (one deterministic run), or from "
                "a coalition or settlement config (the distribution over trials of the forecast per round, who "
                "challenges whom in round 1, and where the forecast ends against the options' terms).",
    "power": "Shapley-Shubik and Banzhaf power indices of a weighted voting game with a quota and veto members.",
    "run": "Run a config (default: configs/plan_28_points.yaml) and write a run directory.",
    "sensitivity": "Global sensitivity of every headline metric to the config's uncertain parameters (SALib): Sobol "
                   "first-order and total indices or Morris screening, with confidence intervals.",
    "sweep": "Run a config over a grid or a sample of parameter values, in parallel, resumably.",
}
main.lazy_commands = LAZY_COMMANDS
main.lazy_module = "cli_commands"



@main.command(context_settings=CONTEXT, epilog="""\b
Examples:
  accord validate configs/*.yaml
  accord validate configs/no_deal.yaml --set forces.ukraine_cap=800000
""")
@click.argument("configs", nargs=-1, required=True)
@set_option
@json_option
@quiet_option
@handle_errors
def validate(configs: tuple[str, ...], overrides: tuple[str, ...], as_json: bool, quiet: bool) -> None:
    """Check configs without running them: exit 0 if all are valid, 2 otherwise (one line per error)."""
    from scenarios.config import ConfigError, is_fragment, validate_fragment

    o = Out(as_json, quiet)
    report: dict[str, Any] = {}
    for path in configs:
        try:
            if not overrides and Path(path).is_file() and _is_game(path):
                from scenarios import games

                game = games.read_game(Path(path))
                report[path] = {"valid": True, "game": True}
                o.say(f"ok  {path}  (voting game for `accord power`, {len(game['names'])} members)")
                continue
            if not overrides and Path(path).is_file() and is_fragment(path):
                _, n_params = validate_fragment(path)
                report[path] = {"valid": True, "fragment": True}
                o.say(f"ok  {path}  (fragment for other configs to extend; {n_params} values checked)")
                continue
            cfg = load_config(path, overrides)
            params = cfg.params()
            uncertain = sum(spec.uncertain for spec, _ in params.values())  # no distributions made: no NumPy
            report[path] = {"valid": True, "scenario": cfg.scenario, "uncertain_parameters": uncertain}
            o.say(f"ok  {path}  ({cfg.scenario}, {len(params)} parameters, {uncertain} uncertain)")
        except ConfigError as exc:
            report[path] = {"valid": False, "errors": exc.text().splitlines()}
            for line in exc.text().splitlines():
                click.echo(f"accord: error: {line}", err=True)
    if as_json:
        o.json(report)
    if not all(r["valid"] for r in report.values()):
        sys.exit(2)


@main.command(context_settings=CONTEXT, epilog="""\b
Examples:
  accord show configs/plan_28_points.yaml --set forces.ukraine_cap=800000
  accord show configs/no_deal.yaml --json | jq '.parameters'
""")
@click.argument("config", required=False)
@set_option
@json_option
@handle_errors
def show(config: str | None, overrides: tuple[str, ...], as_json: bool) -> None:
    """Print the resolved config: every parameter, its value or distribution, where it was set and its source."""
    from scenarios import runs

    cfg = load_config(resolve_config_path(config), overrides)
    info = runs.describe_config(cfg, specs=as_json)
    if as_json:
        Out(True).json(info)
        return
    click.echo(f"{cfg.path}  scenario: {cfg.scenario}  files: {', '.join(cfg.files)}")
    if cfg.model.title:
        click.echo(cfg.model.title)
    run = info["run"]
    click.echo(f"run: trials {run['trials']:,}, seed {run['seed']}, sampler {run['sampler']}")
    if cfg.overrides:
        click.echo("overrides: " + "  ".join(cfg.overrides))
    click.echo("")
    params = info["parameters"]
    read = any("read_by" in v for v in params.values())
    rows = [(k, v["value"], v.get("unit") or "-", v["set_at"], v.get("read_by", ""),
             v["source"] or "(no source: assumption?)") for k, v in params.items()]
    head = ("parameter", "value", "unit", "set at", "read by" if read else "", "source")
    width = [max(len(str(r[i])) for r in [*rows, head]) for i in range(5)]
    width[2] = min(width[2], 22)  # a few long units overflow rather than widen every line
    if read:
        click.echo("One world: each quantity once, with the models that read it (scenarios/world.py).")
    lines = []
    for row in [head, *rows]:
        cells = [f"{c:<{w}}" for c, w in zip(row[:5], width) if w]
        lines.append("  ".join(cells) + f"  {row[5]}")
    click.echo("\n".join(lines))  # one write: click.echo per line was a tenth of `accord show` (issue 17)


@main.command("list", context_settings=CONTEXT, epilog="""\b
Examples:
  accord list
  accord list --json | jq '.configs[].path'
""")
@json_option
@handle_errors
def list_(as_json: bool) -> None:
    """List the scenarios and the shipped configs, one line each."""
    from scenarios import runs

    info = runs.catalogue(HERE / "configs")
    if as_json:
        Out(True).json(info)
        return
    click.echo("scenarios:")
    for s in info["scenarios"]:
        click.echo(f"  {s['name']:<12} {s['summary']}")
    click.echo("configs:")
    width = max((len(c["path"]) for c in info["configs"]), default=10)
    for c in info["configs"]:
        click.echo(f"  {c['path']:<{width}}  {c['scenario'] or '?':<11} {c['title']}")



# ------------------------------------------------------------------------------- report (issue 17)


@main.command("report", context_settings=CONTEXT, epilog="""\b
Examples:
  accord report outputs/plan_28_points/20261125T101500Z-1a2b3c4d
  accord report runs/cmp --json | jq '.files'
""")
@click.argument("run_dir", type=click.Path(file_okay=False))
@json_option
@quiet_option
@handle_errors
def report_(run_dir: str, as_json: bool, quiet: bool) -> None:
    """Render report.html and the Markdown brief (summary.md or report.md) of a run, sweep or report directory
    again from what it holds: manifest, result.json, tables and figures. Nothing is re-run.

    report.html is one self-contained page (figures embedded, no network requests) to open in a browser, send
    or print to PDF; the Markdown brief embeds the figures with relative links.
    """
    from scenarios.report import REPORT_FILE, ReportError, regenerate

    try:
        written = regenerate(Path(run_dir))
    except ReportError as exc:
        fail(str(exc), 2)
    o = Out(as_json, quiet)
    if as_json:
        o.json({"run_dir": run_dir, "report": str(Path(run_dir) / REPORT_FILE), "files": [str(p) for p in written]})
    o.say(f"wrote {', '.join(p.name for p in written)} in {run_dir}/")
    o.say(f"open {Path(run_dir) / REPORT_FILE} in a browser")


def _is_game(path: str) -> bool:
    """A voting game (`accord power`): a mapping with members and a quota, no scenario."""
    from scenarios.configfile import ConfigError, compose_file

    try:
        head = compose_file(Path(path))[0]
    except ConfigError:
        return False
    return isinstance(head, dict) and "members" in head and "quota" in head and "scenario" not in head


def __getattr__(name: str) -> Any:
    """The names of cli_commands.py (``cli.run``, ``cli.sweep``, ``cli.emit_report``, ...), as this module had them
    before they moved: importing it registers its commands."""
    if name.startswith("__"):
        raise AttributeError(name)
    return getattr(_import_beside(main.lazy_module), name)


if __name__ == "__main__":  # pragma: no cover
    main()
