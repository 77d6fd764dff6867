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
from collections.abc import Callable
from pathlib import Path
from typing import Any

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



@main.command(context_settings=CONTEXT, epilog="""\b
Examples:
  accord run
  accord run configs/no_deal.yaml --trials 200000 --seed 7 --set guarantees.us.binding=0.9
  accord run configs/plan_28_points.yaml --sampler sobol --trials 65536 --format png,pdf
  accord run -n 1000000 -j 2 --set run.detail_trials=200000   # deal-breaker tables from 200k trials
  accord run --from outputs/plan_28_points/20261125T101500Z-1a2b3c4d/manifest.json
  accord run --json | jq '.headline'
""")
@click.argument("config", required=False)
@click.option("--trials", "-n", type=TRIALS, help="Monte Carlo trials [default: the config's run.trials].")
@click.option("--seed", "-s", type=click.IntRange(min=0), help="Master seed [default: the config's run.seed].")
@click.option("--sampler", type=click.Choice(["mc", "lhs", "sobol"]), help="Sampler [default: the config's run.sampler].")
@set_option
@click.option("--out", "-o", type=click.Path(file_okay=False), help="Write the run directory here instead of outputs/<config>/<run-id>/.")
@click.option("--format", "formats", default="png", show_default=True, help="Figure formats, comma-separated: png,svg,pdf.")
@click.option("--from", "from_manifest", type=click.Path(dir_okay=False), help="Re-run exactly from a run's manifest.json.")
@click.option("--workers", "-j", type=click.IntRange(min=1),
              help="Processes for the chunks of a large run [default: all cores; results do not depend on it].")
@yes_option
@json_option
@quiet_option
@handle_errors
def run(config: str | None, trials: int | None, seed: int | None, sampler: str | None, overrides: tuple[str, ...],
        out: str | None, formats: str, from_manifest: str | None, workers: int | None, yes: bool, as_json: bool,
        quiet: bool) -> None:
    """Run a config (default: configs/plan_28_points.yaml) and write a run directory.

    The run directory holds report.html (the brief as one self-contained page to open in a browser or print),
    manifest.json (resolved config with sources, seed, sampler, trials, versions, git commit, command line,
    timings), summary.md (the brief in Markdown), result.json, tables/*.csv and figures/*.
    """
    from scenarios import runs

    o = Out(as_json, quiet)
    fmts = _formats(formats)
    if from_manifest:
        if config or overrides:
            raise click.UsageError("--from re-runs a manifest as it is; give no CONFIG or --set with it")
        cfg, settings = runs.config_from_manifest(Path(from_manifest))
        trials = trials or settings["trials"]
        seed = settings["seed"] if seed is None else seed
        sampler = sampler or settings["sampler"]
    else:
        cfg = load_config(resolve_config_path(config), overrides)
    n = trials or cfg.model.run.trials
    guard_work(cfg, n, seed, sampler, workers, yes, quiet)
    bar = progress_bar(n, f"{cfg.stem}:", quiet)
    done = runs.run_and_write(cfg, trials=trials, seed=seed, sampler=sampler, out=Path(out) if out else None,
                              formats=fmts, progress=bar, workers=workers)
    if as_json:
        o.json(done.json())
    o.say(done.text())


def _formats(text: str) -> list[str]:
    from scenarios.results import FIGURE_FORMATS

    fmts = [f.strip().lower() for f in text.split(",") if f.strip()]
    bad = [f for f in fmts if f not in FIGURE_FORMATS]
    if bad or not fmts:
        raise click.BadParameter(f"{', '.join(bad) or text!r} not allowed; allowed: {', '.join(FIGURE_FORMATS)}",
                                 param_hint="--format")
    return fmts


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
    info = runs.describe_config(cfg)
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



# ------------------------------------------------------------------------------------ clean (issue 16)


@main.command(context_settings=CONTEXT, epilog="""\b
Examples:
  accord clean                 stale temporaries under outputs/
  accord clean runs/ --dry-run what would go, from runs/ (where --out put runs)
""")
@click.argument("dirs", nargs=-1, type=click.Path(file_okay=False))
@click.option("--dry-run", is_flag=True, help="List what would be removed; remove nothing.")
@json_option
@quiet_option
def clean(dirs: tuple[str, ...], dry_run: bool, as_json: bool, quiet: bool) -> None:
    """Remove the temporary directories that killed runs left behind (hidden .NAME.accord-tmp-* siblings of
    run directories) under outputs/, or under DIRS. A temporary directory still being written (its process
    holds its lock) is left alone. Runs also clean their own output directory's stale temporaries."""
    from scenarios.engine import bytes_text
    from scenarios.results import clean as clean_dirs

    roots = [Path(d) for d in dirs] or [Path("outputs")]
    for root in roots:
        if root.exists() and not root.is_dir():
            raise click.BadParameter(f"{root} is not a directory", param_hint="DIRS")
    stale, busy = clean_dirs([r for r in roots if r.is_dir()], dry_run=dry_run)
    o = Out(as_json, quiet)
    if as_json:
        o.json({"removed" if not dry_run else "would_remove": [str(p) for p, _ in stale],
                "bytes": sum(n for _, n in stale), "in_use": [str(p) for p in busy]})
    for p, n in stale:
        o.say(f"{'would remove' if dry_run else 'removed'} {p}  ({bytes_text(n)})")
    verb = "would remove" if dry_run else "removed"
    o.say(f"{verb} {len(stale)} stale temporary director{'y' if len(stale) == 1 else 'ies'} "
          f"({bytes_text(sum(n for _, n in stale))}) under {', '.join(map(str, roots))}"
          + (f"; {len(busy)} still being written, left alone" if busy else ""))


# ------------------------------------------------------------------------------- analysis commands


def out_option(fn: Callable) -> Callable:
    return click.option("--out", "-o", type=click.Path(file_okay=False),
                        help="Write the report directory here instead of outputs/<command>/<id>/.")(fn)


def emit_report(report: Any, as_json: bool, quiet: bool, out: str | None, formats: str = "png") -> None:
    """Write a Report's directory, then print its text (or JSON with the directory)."""
    from scenarios.results import write_report

    where = write_report(report, Path(out) if out else None, formats=_formats(formats))
    o = Out(as_json, quiet)
    if as_json:
        o.json({**report.data, "report_dir": str(where), "report": str(where / "report.html")})
    o.say(report.text)
    o.say(f"written to {where}/")


@main.group(context_settings=CONTEXT)
def calibrate() -> None:
    """Fit model weights or coefficients to historical data.

    \b
    Examples:
      accord calibrate guarantees
      accord calibrate guarantees --link probit --penalty firth --json
      accord calibrate lanchester tests/data/lanchester_square_2pct.csv
      accord calibrate battles
    """


# ------------------------------------------------------------------ calibrate guarantees (the alliance record)


@calibrate.command("guarantees", context_settings=CONTEXT, epilog="""\b
Examples:
  accord calibrate guarantees                # the shipped Berkemeier & Fuhrmann (2018) file, coding llm
  accord calibrate guarantees configs/reference/alliances_berkemeier_fuhrmann_2018.csv --coding bf --folds 5
  accord calibrate guarantees configs/reference/alliances_leeds_anac_2005.csv --link probit --json
  accord calibrate guarantees configs/reference/guarantees.csv   # accord's own table of tested guarantees
Tables are recognised by their columns: Berkemeier & Fuhrmann (2018), Leeds & Anac (2005) or accord's
guarantees.csv. Under --coding a Berkemeier & Fuhrmann row is a case when it is coded honoured or violated.
""")
@click.argument("table", required=False, type=click.Path(dir_okay=False))
@click.option("--coding", type=click.Choice(["llm", "bf"]), default=None,
              help="Berkemeier & Fuhrmann's coding: Leeds, Long & Mitchell's rules (llm, the default) or the "
                   "authors' (bf). Only that table has two codings; for another table it is an error.")
@click.option("--folds", type=click.IntRange(min=2), help="Grouped K-fold cross-validation by war.")
@click.option("--seed", "-s", type=click.IntRange(min=0), default=0, show_default=True,
              help="Seed of the fold assignment (with --folds).")
@click.option("--link", type=click.Choice(["logit", "probit"]), default="probit", show_default=True,
              help="P(honour) as the normal (probit: the scenario's link) or the logistic CDF of the linear index.")
@click.option("--penalty", type=click.Choice(["none", "ridge", "firth"]), default="ridge", show_default=True,
              help="Penalised likelihood for small or separated tables.")
@click.option("--ridge", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Ridge strength (with --penalty ridge): a N(0, 1/ridge) prior on each slope. Default: N(0, 1) on "
                   "the logit scale, i.e. 2.56 for probit (1.6^2, Amemiya 1981) and 1 for logit.")
@out_option
@json_option
@quiet_option
@handle_errors
def calibrate_guarantees(table: str | None, coding: str | None, folds: int | None, seed: int, link: str,
                         penalty: str, ridge: float | None, out: str | None, as_json: bool, quiet: bool) -> None:
    """How often were alliance commitments honoured when invoked? Reference-class rates (overall, by era, by
    commitment type, with Wilson intervals and counts), a penalised logit or probit fit on the record's
    covariates with standard errors, optional grouped cross-validation by war, and what a config can use."""
    from scenarios import guarantee_record

    path = Path(table) if table else _shipped("configs/reference/alliances_berkemeier_fuhrmann_2018.csv")
    report = guarantee_record.calibrate(path, coding=coding, folds=folds, seed=seed, link=link, penalty=penalty,
                                        ridge=ridge)
    emit_report(report, as_json, quiet, out)


@calibrate.command("lanchester", context_settings=CONTEXT, epilog="""\b
Examples:
  accord calibrate lanchester tests/data/lanchester_square_2pct.csv
  accord calibrate lanchester battle.csv --laws square,linear --json
  accord calibrate lanchester battle.csv --fix-initial --errors additive   (the fit before issue 19)
CSV columns: day, attacker, defender [, attacker_reinforcement, defender_reinforcement];
a blank attacker or defender cell means that side was not counted that day.
""")
@click.argument("data", type=click.Path(dir_okay=False))
@click.option("--laws", default="square,linear,mixed", show_default=True, help="Laws to fit, comma-separated.")
@click.option("--confidence", type=click.FloatRange(0.5, 0.999), default=0.95, show_default=True)
@click.option("--errors", type=click.Choice(["multiplicative", "additive"]), default="multiplicative",
              show_default=True,
              help="multiplicative: log residuals, one relative error for both sides (counts err in proportion "
                   "to their size); additive: residuals in troops.")
@click.option("--fix-initial", is_flag=True,
              help="Take the first day's counts as exact initial strengths instead of estimating them.")
@click.option("--intervals", type=click.Choice(["wald", "profile"]), default="wald", show_default=True,
              help="wald: linearised (delta method) on the log scale; profile: profile likelihood (slower).")
@out_option
@json_option
@quiet_option
@handle_errors
def calibrate_lanchester(data: str, laws: str, confidence: float, errors: str, fix_initial: bool, intervals: str,
                         out: str | None, as_json: bool, quiet: bool) -> None:
    """Fit Lanchester laws to a battle's daily strengths: fire-effectiveness coefficients and initial strengths
    with intervals, the law with the lowest AIC, observed against fitted strengths.

    By default the first day's counts are observations like the others (the initial strengths are estimated),
    errors are relative (counts err in proportion to their size), the AIC counts every estimated parameter
    (alpha, beta, both initial strengths, sigma) and the 95% intervals are Wald intervals on the log scale,
    which covered the truth in 94.8-97.0% of 1,000 simulated battles (model/lanchester_fit.py)."""
    from scenarios import lanchester

    allowed = ("square", "linear", "mixed")
    chosen = tuple(x.strip() for x in laws.split(",") if x.strip())
    if not chosen or any(x not in allowed for x in chosen):
        raise click.BadParameter(f"{laws!r}: allowed laws are {', '.join(allowed)}", param_hint="--laws")
    report = lanchester.calibrate_lanchester(Path(data), laws=chosen, confidence=confidence, errors=errors,
                                             fix_initial=fix_initial, intervals=intervals)
    emit_report(report, as_json, quiet, out)


# ---------------------------------------------------------------------------------------------- backtest
# One group, one subcommand per kind (scenarios/backtest.py: KINDS). A kind's subcommand takes
# @backtest_options plus its own options and calls backtest.run(kind, train, test, folds, seed, options).


@main.group(context_settings=CONTEXT)
def backtest() -> None:
    """Score an outside-view model on cases it was not fitted to: fit on one table, predict another (or
    cross-validate by war), against the training table's base rate (Brier, log loss, AUC, n).

    \b
    Examples:
      accord backtest guarantees --train configs/reference/alliances_berkemeier_fuhrmann_2018.csv --folds 5
      accord backtest guarantees --train configs/reference/alliances_berkemeier_fuhrmann_2018.csv \\
          --test configs/reference/alliances_leeds_anac_2005.csv --json
    """


def backtest_options(fn: Callable) -> Callable:
    """--train, --test, --folds, --seed, --out, --json, --quiet: what every backtest kind takes."""
    for option in reversed([
        click.option("--train", "train", required=True, type=click.Path(dir_okay=False),
                     help="The table the model is fitted on."),
        click.option("--test", "test", type=click.Path(dir_okay=False),
                     help="The table whose cases are predicted and scored."),
        click.option("--folds", type=click.IntRange(min=2),
                     help="Instead of --test: grouped K-fold cross-validation on the training table (wars kept whole)."),
        click.option("--seed", "-s", type=click.IntRange(min=0), default=0, show_default=True,
                     help="Seed of the fold assignment (with --folds)."),
        out_option, json_option, quiet_option,
    ]):
        fn = option(fn)
    return fn


def _backtest_mode(test: str | None, folds: int | None) -> None:
    if (test is None) == (folds is None):
        raise click.UsageError("give --test B.csv or --folds K (one of them)")


@backtest.command("guarantees", context_settings=CONTEXT, epilog="""\b
Examples:
  accord backtest guarantees --train configs/reference/alliances_berkemeier_fuhrmann_2018.csv --folds 5
  accord backtest guarantees --train configs/reference/alliances_berkemeier_fuhrmann_2018.csv \\
      --test configs/reference/alliances_leeds_anac_2005.csv --out runs/bt
  accord backtest guarantees --train A.csv --test B.csv --coding bf --json | jq '.model.brier, .base_rate.brier'
Either table may be in either published format (Berkemeier & Fuhrmann 2018, Leeds & Anac 2005) or accord's
guarantees.csv; the model uses the covariates both tables code.
""")
@backtest_options
@click.option("--coding", type=click.Choice(["llm", "bf"]), default=None,
              help="Berkemeier & Fuhrmann's coding (which rows are invocations, and their outcome; default llm). "
                   "An error when neither table is Berkemeier & Fuhrmann's.")
@click.option("--link", type=click.Choice(["logit", "probit"]), default="probit", show_default=True,
              help="P(honour) as the normal (probit: the scenario's link) or the logistic CDF of the linear index.")
@click.option("--ridge", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Ridge strength: a N(0, 1/ridge) prior on each slope. Default: N(0, 1) on the logit scale, i.e. "
                   "2.56 for probit (1.6^2, Amemiya 1981) and 1 for logit.")
@handle_errors
def backtest_guarantees(train: str, test: str | None, folds: int | None, seed: int, out: str | None, as_json: bool,
                        quiet: bool, coding: str | None, link: str, ridge: float | None) -> None:
    """P(honour) of invoked alliance commitments from the record's covariates (era, commitment type,
    multilateral, ...), scored against the base rate of the training table."""
    from scenarios import backtest as B

    _backtest_mode(test, folds)
    report = B.run("guarantees", Path(train), Path(test) if test else None, folds, seed,
                   {"coding": coding, "link": link, "penalty": "ridge", "ridge": ridge})
    emit_report(report, as_json, quiet, out)


@backtest.command("responses", context_settings=CONTEXT, epilog="""\b
Examples:
  accord backtest responses configs/coalition/plan_28_points.yaml configs/coalition/counterproposal.yaml \\
      configs/coalition/no_deal.yaml
  accord backtest responses configs/coalition/*.yaml -n 2000 --json | jq '.n_matched, .missed'
  accord backtest responses configs/coalition/*.yaml --set coalition.sigma=0.05
Each CONFIG is one option, named by its file's stem (plan_28_points, counterproposal, no_deal): a coalition view
or a settlement config. The table's columns: id, date, actor, option, response (accept / conditional / reject),
sign (+1 / 0 / -1), what_was_said, source, url (configs/reference/README.md). Responses to an option given no
config are listed, not scored; an actor or option the configs do not know is an error.
""")
@click.argument("configs", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--responses", "table", type=click.Path(dir_okay=False),
              help="The responses table  [default: configs/reference/responses.csv]")
@click.option("--trials", "-n", type=click.IntRange(100, 1_000_000), help="Monte Carlo trials per config  "
                                                                         "[default: 4,000]")
@click.option("--seed", "-s", type=click.IntRange(min=0), help="Master seed [default: each config's run.seed].")
@click.option("--workers", "-j", type=click.IntRange(min=1), default=1, show_default=True,
              help="Processes per config run (the numbers do not depend on it).")
@set_option
@out_option
@json_option
@quiet_option
@handle_errors
def backtest_responses(configs: tuple[str, ...], table: str | None, trials: int | None, seed: int | None,
                       workers: int, overrides: tuple[str, ...], out: str | None, as_json: bool, quiet: bool) -> None:
    """The coalition model against what the parties said: for each public response (configs/reference/
    responses.csv), the model's P(accept) for that actor and option, with its Monte Carlo error and its spread
    over the assumptions, and whether its side of 1/2 is the side the party took."""
    from scenarios import backtest as B

    report = B.responses([Path(c) for c in configs], Path(table) if table else None, trials, seed, workers,
                         tuple(overrides))
    emit_report(report, as_json, quiet, out)


# ------------------------------------------------------------------------------------------ end of backtest


# ---------------------------------------------------------------- durability (issue 14): calibrate durability


@calibrate.command("durability", context_settings=CONTEXT, epilog="""\b
Examples:
  accord calibrate durability configs/reference/peace_agreements_ucdp_v22.1_1975_2011.csv
  accord calibrate durability configs/reference/cow_interstate_wars_v4.0.csv
  accord calibrate durability agreements.csv --covariates full,commission,ceasefire --baseline weibull --json
  accord calibrate durability configs/reference/peace_agreements_ucdp_v22.1_1975_2011.csv --penalty 0.1
Tables: a UCDP peace-agreement file (pa_date, ended, duration, provisions), a COW inter-state war file (one
row per state per war: pairs of states and their recurrences are derived), or any CSV with a duration in
years (years) and an event flag (event: 1 ended, 0 censored).
""")
@click.argument("table", type=click.Path(dir_okay=False))
@click.option("--covariates", help="Comma-separated covariates [default: fixed in advance from theory, never "
                                   "selected on the record; UCDP peacekeeping,commission; COW decisive,post1945].")
@click.option("--baseline", type=click.Choice(["piecewise", "weibull"]), default="piecewise", show_default=True,
              help="Baseline hazard: piecewise-constant (Friedman 1982) or Weibull.")
@click.option("--penalty", type=click.FloatRange(min=0), help="Ridge penalty on the standardised coefficients "
                                                             "[default: 0, unpenalised: honest intervals; with a "
                                                             "penalty they are labelled penalised].")
@out_option
@json_option
@quiet_option
@handle_errors
def calibrate_durability(table: str, covariates: str | None, baseline: str, penalty: float | None, out: str | None,
                         as_json: bool, quiet: bool) -> None:
    """How long peace lasted on the record: Kaplan-Meier by provision, a proportional-hazards model with a
    duration-dependent baseline (hazard ratios with cluster-robust intervals, a Cox check, the shape of the
    hazard), and survival at 1, 2, 5 and 10 years with intervals; a figure of the curves."""
    from scenarios import durability

    names = [c.strip() for c in covariates.split(",") if c.strip()] if covariates is not None else None
    emit_report(durability.calibrate(Path(table), names, baseline, penalty), as_json, quiet, out)


@backtest.command("durability", context_settings=CONTEXT, epilog="""\b
Examples:
  accord backtest durability --train train.csv --test test.csv
  accord backtest durability --train configs/reference/peace_agreements_ucdp_v22.1_1975_2011.csv --folds 5
  accord backtest durability --train A.csv --test B.csv --horizons 1,2,5,10 --json | jq '.model.brier'
  accord backtest durability --train configs/reference/peace_agreements_ucdp_v22.1_1975_2011.csv --split-year 2000
Tables as for `accord calibrate durability` (UCDP agreements, COW wars, or years + event); both of one kind.
""")
@backtest_options
@click.option("--split-year", type=int, help="Instead of --test or --folds: fit on the spells of --train that began "
                                             "before this year, predict those that began in it or later.")
@click.option("--horizons", default="1,2,5", show_default=True, help="Years at which to score, comma-separated.")
@click.option("--covariates", help="Comma-separated covariates [default: the dataset's, fixed in advance].")
@click.option("--baseline", type=click.Choice(["piecewise", "weibull"]), default="piecewise", show_default=True)
@click.option("--penalty", type=click.FloatRange(min=0), help="Ridge penalty [default: 0, unpenalised].")
@handle_errors
def backtest_durability(train: str, test: str | None, folds: int | None, seed: int, out: str | None, as_json: bool,
                        quiet: bool, split_year: int | None, horizons: str, covariates: str | None, baseline: str,
                        penalty: float | None) -> None:
    """Predict how long each test spell of peace lasts (survival at each horizon) and score the model and the
    training table's Kaplan-Meier curve alike: concordance index, and IPCW Brier scores (Graf et al. 1999)."""
    from scenarios import backtest as B

    if sum(x is not None for x in (test, folds, split_year)) != 1:
        raise click.UsageError("give --test B.csv, --folds K or --split-year Y (one of them)")
    try:
        hs = [float(h) for h in horizons.split(",") if h.strip()]
    except ValueError:
        raise click.BadParameter(f"{horizons!r} is not a comma-separated list of years", param_hint="--horizons") from None
    if not hs or any(h <= 0 for h in hs):
        raise click.BadParameter("horizons must be positive numbers of years", param_hint="--horizons")
    names = [c.strip() for c in covariates.split(",") if c.strip()] if covariates is not None else None
    from scenarios import durability

    if split_year is not None:  # a time split of one table: not one of the framework's two modes
        report = durability.backtest(Path(train), None, None, hs, names, baseline, penalty, seed, split_year)
    else:
        report = B.run("durability", Path(train), Path(test) if test else None, folds, seed,
                       {"horizons": hs, "covariates": names, "baseline": baseline, "penalty": penalty})
    emit_report(report, as_json, quiet, out)


# ------------------------------------------------------------------------- end of durability (issue 14)


# ---------------------------------------------------------------------- battles (issue 19): the CDB90 record


@calibrate.command("battles", context_settings=CONTEXT, epilog="""\b
Examples:
  accord calibrate battles
  accord calibrate battles configs/reference/battles_cdb90.csv --folds 10 --out runs/calb
  accord calibrate battles --json | jq '.win.log_ratio, .defence_multiplier.fortified'
The table is CDB90's wide layout (STRA, STRD, WINA, POST1 at least; AEROA, WOFD1, KMDA and the active periods'
dates when present). Draws (WINA 0) and unknown outcomes (-9) are left out of the fits and counted.
""")
@click.argument("table", required=False, type=click.Path(dir_okay=False))
@click.option("--ridge", type=click.FloatRange(min=0, min_open=True), default=1.0, show_default=True,
              help="Ridge strength: a N(0, 1/ridge) prior on each slope.")
@click.option("--folds", type=click.IntRange(min=2), default=5, show_default=True,
              help="Folds of the cross-validation grouped by war.")
@click.option("--seed", "-s", type=click.IntRange(min=0), default=0, show_default=True,
              help="Seed of the fold assignment.")
@out_option
@json_option
@quiet_option
@handle_errors
def calibrate_battles(table: str | None, ridge: float, folds: int, seed: int, out: str | None, as_json: bool,
                      quiet: bool) -> None:
    """How do battles go on the record (CAA Database of Battles, CDB90)? The attacker's win rate by force-ratio
    band and defender posture (counts, Wilson intervals); the fitted relations the war model reads (who wins,
    on the log force ratio, posture and air superiority; how far a won battle advances, on the defender's
    density) with standard errors and held-out scores; a figure of P(attacker wins) against the force ratio
    with the record's binned rates on top."""
    from scenarios import battles

    path = Path(table) if table else _shipped("configs/reference/battles_cdb90.csv")
    emit_report(battles.calibrate(path, ridge=ridge, folds=folds, seed=seed), as_json, quiet, out)


@backtest.command("battles", context_settings=CONTEXT, epilog="""\b
Examples:
  accord backtest battles --train A.csv --test B.csv
  accord backtest battles --train configs/reference/battles_cdb90.csv --folds 5
  accord backtest battles --train A.csv --test B.csv --json | jq '.model.brier, .base_rate.brier'
Both tables in CDB90's wide layout; every decided battle of the test table is predicted (draws and unknown
outcomes are left out, counted).
""")
@backtest_options
@click.option("--ridge", type=click.FloatRange(min=0, min_open=True), default=1.0, show_default=True,
              help="Ridge strength: a N(0, 1/ridge) prior on each slope.")
@handle_errors
def backtest_battles(train: str, test: str | None, folds: int | None, seed: int, out: str | None, as_json: bool,
                     quiet: bool, ridge: float) -> None:
    """P(attacker wins) of decided land battles from the relation the war model reads (log force ratio,
    posture, air superiority), scored against the base rate of the training table."""
    from scenarios import backtest as B

    _backtest_mode(test, folds)
    report = B.run("battles", Path(train), Path(test) if test else None, folds, seed, {"ridge": ridge})
    emit_report(report, as_json, quiet, out)


# ------------------------------------------------------------------------------- end of battles (issue 19)


@main.command(context_settings=CONTEXT, epilog="""\b
Examples:
  accord amend configs/coalition/plan_28_points.yaml
  accord amend configs/plan_28_points.yaml --penalties 0,0.2 --trials 1000 --json
""")
@click.argument("config")
@click.option("--penalties", default="0,0.1,0.3,1", show_default=True,
              help="Costs per unit of change (L1 over the negotiable dimensions), comma-separated.")
@click.option("--trials", "-n", type=click.IntRange(10, 1_000_000), default=2000, show_default=True)
@click.option("--seed", "-s", type=click.IntRange(min=0), help="Seed [default: the config's run.seed].")
@set_option
@out_option
@json_option
@quiet_option
@handle_errors
def amend(config: str, penalties: str, trials: int, seed: int | None, overrides: tuple[str, ...], out: str | None,
          as_json: bool, quiet: bool) -> None:
    """Search plan variants over the config's negotiable dimensions for the largest P(adopted) per unit of
    change, and write a table of proposed amendments."""
    from scenarios import coalition

    try:
        pens = tuple(float(x) for x in penalties.split(",") if x.strip())
    except ValueError:
        raise click.BadParameter(f"{penalties!r} is not a comma-separated list of numbers", param_hint="--penalties") from None
    if not pens or any(p < 0 for p in pens):
        raise click.BadParameter("penalties must be numbers >= 0", param_hint="--penalties")
    cfg = load_config(config, overrides)
    emit_report(coalition.amend(cfg, penalties=pens, trials=trials, seed=seed), as_json, quiet, out)


# ----------------------------------------------------------------------------- forecast (issue 18)


@main.command(context_settings=CONTEXT, epilog="""\b
Examples:
  accord forecast configs/games/emission_standards.csv
  accord forecast actors.csv --rounds 20 --rule per_pair --json
  accord forecast configs/plan_28_points.yaml --dimension territory
  accord forecast configs/coalition/counterproposal.yaml -d nato_membership -n 5000 --salience share
  accord forecast configs/plan_28_points.yaml -d territory --rule per_pair --no-variants
\b
A CSV has the columns actor, capability, position, salience (salience on 0-1 or 0-100): one issue, one run.
A config (coalition or settlement) gives the actors of coalition.actors: positions (ideal points) and
saliences on the --dimension, capabilities from each actor's `capability`, all drawn per trial; an optional
`negotiation:` block sets rule, compromise, salience, rounds, q_status_quo and trials (options here win).
The forecast's end is compared with the options' plan positions on the dimension (--option, repeatable;
default the three shipped options: configs/coalition/{plan_28_points,counterproposal,no_deal}.yaml).
The output says when nobody challenges anybody and when the process has not settled by the last round,
and (--variants, the default) how the forecast moves under the structural choices.
""")
@click.argument("source", type=click.Path(dir_okay=False))
@click.option("--dimension", "-d", help="Issue dimension of a config, e.g. territory (a config only).")
@click.option("--rounds", type=click.IntRange(1, 1000), help="Rounds at most  [default: 10, or negotiation.rounds]")
@click.option("--rule", type=click.Choice(["all_pairs", "per_pair"]),
              help="Normalisation of P_ij: over all pairs (reproduces Scholz et al.'s Table 2) or per pair (their "
                   "eq. 31 as printed)  [default: all_pairs]")
@click.option("--compromise", type=click.Choice(["lowest_weighted", "least_move"]),
              help="Which compromise an actor takes: as Scholz et al.'s program, or the least move  "
                   "[default: lowest_weighted]")
@click.option("--salience", type=click.Choice(["relative", "share"]),
              help="A config's salience weights as the model's salience: relative to the actor's most salient "
                   "dimension, or their share  [default: relative] (a config only)")
@click.option("--trials", "-n", type=click.IntRange(10, 200_000),
              help="Monte Carlo trials  [default: 2,000, or negotiation.trials] (a config only)")
@click.option("--seed", "-s", type=click.IntRange(min=0), help="Seed  [default: the config's run.seed] (a config only)")
@click.option("--option", "options", multiple=True, type=click.Path(dir_okay=False),
              help="A config whose plan position is compared with the forecast (repeatable; a config only).")
@click.option("--variants/--no-variants", default=True, show_default=True,
              help="Rerun the same trials under every rule x salience reading x compromise rule and print the table "
                   "of structural variants (a config; a CSV always lists its four rule x compromise variants).")
@set_option
@out_option
@json_option
@quiet_option
@handle_errors
def forecast(source: str, dimension: str | None, rounds: int | None, rule: str | None, compromise: str | None,
             salience: str | None, trials: int | None, seed: int | None, options: tuple[str, ...], variants: bool,
             overrides: tuple[str, ...], out: str | None, as_json: bool, quiet: bool) -> None:
    """Expected-utility negotiation forecast (Bueno de Mesquita, as specified by Scholz, Calbert & Smith
    2011) on one issue dimension, round by round: from an actors CSV (one deterministic run), or from a
    coalition or settlement config (the distribution over trials of the forecast per round, who challenges
    whom in round 1, and where the forecast ends against the options' terms)."""
    from scenarios import games

    if Path(source).suffix.lower() == ".csv":
        config_only = {"--dimension": dimension, "--salience": salience, "--trials": trials, "--seed": seed,
                       "--option": options, "--set": overrides}
        given = [k for k, v in config_only.items() if v not in (None, ())]
        if given:
            raise click.UsageError(f"{', '.join(given)}: only with a config; a CSV holds one issue and one run")
        report = games.forecast(Path(source), rounds=rounds or 10, rule=rule or "all_pairs",
                                compromise=compromise or "lowest_weighted")
    else:
        report = games.forecast_config(Path(source), dimension, overrides=overrides, trials=trials, seed=seed,
                                       rounds=rounds, rule=rule, compromise=compromise, salience=salience,
                                       options=[Path(o) for o in options] or None, variants=variants)
    emit_report(report, as_json, quiet, out)


# ----------------------------------------------------------------------------- end of forecast (issue 18)


@main.command(context_settings=CONTEXT, epilog="""\b
Examples:
  accord power configs/games/un_security_council.yaml
  accord power my_council.yaml --method monte_carlo --samples 500000 --json
""")
@click.argument("game", type=click.Path(dir_okay=False))
@click.option("--method", type=click.Choice(["auto", "exact", "monte_carlo"]), default="auto", show_default=True)
@click.option("--samples", type=click.IntRange(100, 100_000_000), default=200_000, show_default=True,
              help="Permutations sampled (Monte Carlo only).")
@click.option("--seed", "-s", type=click.IntRange(min=0), default=0, show_default=True)
@out_option
@json_option
@quiet_option
@handle_errors
def power(game: str, method: str, samples: int, seed: int, out: str | None, as_json: bool, quiet: bool) -> None:
    """Shapley-Shubik and Banzhaf power indices of a weighted voting game with a quota and veto members."""
    from scenarios import games

    emit_report(games.power(Path(game), method=method, samples=samples, seed=seed), as_json, quiet, out)



@main.command(context_settings=CONTEXT, epilog="""\b
Examples:
  accord sweep configs/plan_28_points.yaml --grid forces.ukraine_cap=400000:900000:6 -n 20000
  accord sweep configs/plan_28_points.yaml --grid forces.ukraine_cap=4e5:9e5:6 \\
      --grid guarantees.us.binding=0.1:0.9:5 --workers 2
  accord sweep configs/no_deal.yaml --values forces.aid_eur_bn_per_year=20,36,50
  accord sweep configs/plan_28_points.yaml --lhs 200 --range forces.ukraine_cap=4e5:9e5 --range guarantees.us.binding=0:1
  accord sweep configs/plan_28_points.yaml --grid guarantees.us.binding=0:1:11 --dask-local 2
  accord sweep --resume outputs/plan_28_points/sweep-20261125T101500Z-1a2b3c4d
  accord sweep configs/plan_28_points.yaml --compare configs/counterproposal.yaml --lhs 40 \\
      --range settlement.cost_challenger=0.05:0.4 -n 4000
""")
@click.argument("config", required=False)
@click.option("--grid", multiple=True, metavar="KEY=LO:HI:N", help="Linear grid (KEY=log:LO:HI:N for log spacing); repeatable.")
@click.option("--values", "values_", multiple=True, metavar="KEY=A,B,C", help="Listed values; repeatable.")
@click.option("--lhs", type=click.IntRange(1, 1_000_000), help="Latin hypercube of N points over the --range keys.")
@click.option("--range", "ranges", multiple=True, metavar="KEY=LO:HI", help="A range for --lhs; repeatable.")
@click.option("--trials", "-n", type=TRIALS, help="Trials per point [default: the config's run.trials].")
@click.option("--seed", "-s", type=click.IntRange(min=0), help="Sweep seed; each point's seed is derived from it.")
@click.option("--sampler", type=click.Choice(["mc", "lhs", "sobol"]))
@set_option
@click.option("--workers", "-j", type=click.IntRange(min=1), help="Local worker processes [default: all cores].")
@click.option("--scheduler", metavar="tcp://HOST:PORT", help="Run the points on a Dask cluster.")
@click.option("--dask-local", type=click.IntRange(min=1), metavar="N", help="Start a local Dask cluster of N workers.")
@click.option("--resume", "resume_dir", type=click.Path(file_okay=False), help="Finish an interrupted sweep.")
@click.option("--out", "-o", type=click.Path(file_okay=False), help="Sweep directory [default: outputs/<config>/sweep-<id>/].")
@click.option("--format", "formats", default="png", show_default=True, help="Figure formats: png,svg,pdf.")
@click.option("--compare", "compare_with", multiple=True, type=click.Path(dir_okay=False), metavar="CONFIG",
              help="Also run this option at every point, in lockstep with CONFIG (repeatable): points.csv gets each "
                   "metric per option, the share of draws each beats the first, its mean regret and the best option.")
@yes_option
@json_option
@quiet_option
@handle_errors
def sweep(config: str | None, grid: tuple[str, ...], values_: tuple[str, ...], lhs: int | None, ranges: tuple[str, ...],
          trials: int | None, seed: int | None, sampler: str | None, overrides: tuple[str, ...], workers: int | None,
          scheduler: str | None, dask_local: int | None, resume_dir: str | None, out: str | None, formats: str,
          compare_with: tuple[str, ...], yes: bool, as_json: bool, quiet: bool) -> None:
    """Run a config over a grid or a sample of parameter values, in parallel, resumably.

    Each point is a full run of the config's scenario; points.csv holds the swept values and every headline
    metric with its standard error. Results are identical whatever the executor or number of workers.
    """
    from scenarios import sweep as S

    if scheduler and dask_local:
        raise click.UsageError("give --scheduler or --dask-local, not both")
    o = Out(as_json, quiet)
    if resume_dir:
        if config or grid or values_ or lhs or ranges or compare_with:
            raise click.UsageError("--resume continues a sweep as it was defined; give no CONFIG or axes with it")
        outcome = S.resume(Path(resume_dir), workers, scheduler, dask_local, progress=False if quiet else None)
    else:
        if not (grid or values_ or lhs):
            raise click.UsageError("give at least one of --grid, --values or --lhs (see --help)")
        axes = S.parse_axes(list(grid), list(values_), lhs, list(ranges))
        cfg_path = resolve_config_path(config)
        cfg = load_config(cfg_path, overrides)
        guard_work(cfg, trials or cfg.model.run.trials, seed, sampler, workers or dask_local, yes, quiet,
                   evaluations=axes.size() * (1 + len(compare_with)), what="sweep")
        outcome = S.run_sweep(cfg_path, list(overrides), axes, trials, seed, sampler, workers, scheduler, dask_local,
                              Path(out) if out else None, progress=False if quiet else None,
                              formats=tuple(_formats(formats)), compare_with=[Path(p) for p in compare_with])
    if as_json:
        o.json(outcome.json())
    o.say(outcome.text())
    if outcome.n_failed:
        sys.exit(1)


@main.command(context_settings=CONTEXT, epilog="""\b
Examples:
  accord sensitivity configs/plan_28_points.yaml --method morris
  accord sensitivity configs/guarantees/plan_28_points.yaml --method sobol --base-samples 256 -n 2000 \\
      --params guarantees.us.binding,guarantee.rho
""")
@click.argument("config", required=False)
@click.option("--method", type=click.Choice(["sobol", "morris"]), default="sobol", show_default=True)
@click.option("--params", help="Comma-separated parameter paths [default: every uncertain parameter].")
@click.option("--base-samples", "n_base", type=click.IntRange(4, 1_000_000), default=128, show_default=True, metavar="N",
              help="SALib's base sample N (Sobol: N(2D+2) evaluations; Morris: N trajectories). Not --trials.")
@click.option("--n", "old_n", hidden=True, expose_value=False, callback=lambda ctx, param, value: _renamed_n(value))
@click.option("--trials", "-n", type=TRIALS, default=2000, show_default=True, help="Trials per evaluation.")
@click.option("--seed", "-s", type=click.IntRange(min=0))
@set_option
@out_option
@yes_option
@json_option
@quiet_option
@handle_errors
def sensitivity(config: str | None, method: str, params: str | None, n_base: int, trials: int, seed: int | None,
                overrides: tuple[str, ...], out: str | None, yes: bool, as_json: bool, quiet: bool) -> None:
    """Global sensitivity of every headline metric to the config's uncertain parameters (SALib): Sobol
    first-order and total indices or Morris screening, with confidence intervals."""
    from scenarios import analysis

    names = [p.strip() for p in params.split(",") if p.strip()] if params else None
    cfg = load_config(resolve_config_path(config), overrides)
    d = len(names) if names else len(cfg.uncertain())
    guard_work(cfg, trials, seed, None, None, yes, quiet, evaluations=n_base * (2 * d + 2 if method == "sobol" else d + 1),
               what="--base-samples/--trials")
    report = analysis.sensitivity(resolve_config_path(config), list(overrides), method, names, n_base, trials, seed)
    emit_report(report, as_json, quiet, out)


@main.command(context_settings=CONTEXT, epilog="""\b
Examples:
  accord discover outputs/plan_28_points/sweep-20261125T101500Z-1a2b3c4d --outcome p_holds_5y --below 0.5
  accord discover SWEEP_DIR --outcome p_adopted --above 0.3 --boxes 2 --json
""")
@click.argument("sweep_dir", type=click.Path(file_okay=False))
@click.option("--outcome", required=True, help="A headline metric in the sweep's points.csv.")
@click.option("--below", type=float, help="Cases of interest: outcome below this value.")
@click.option("--above", type=float, help="Cases of interest: outcome above this value.")
@click.option("--peel-alpha", type=click.FloatRange(0.01, 0.5), default=0.05, show_default=True)
@click.option("--mass-min", type=click.FloatRange(0.001, 0.5), default=0.05, show_default=True)
@click.option("--boxes", type=click.IntRange(1, 10), default=1, show_default=True)
@out_option
@json_option
@quiet_option
@handle_errors
def discover(sweep_dir: str, outcome: str, below: float | None, above: float | None, peel_alpha: float,
             mass_min: float, boxes: int, out: str | None, as_json: bool, quiet: bool) -> None:
    """Scenario discovery by PRIM (Friedman & Fisher 1999; Bryant & Lempert 2010): which ranges of the swept
    parameters produce the outcome, with coverage, density and quasi-p-values."""
    from scenarios import analysis

    if (below is None) == (above is None):
        raise click.UsageError("give exactly one of --below X or --above X")
    report = analysis.discover(Path(sweep_dir), outcome, below, above, peel_alpha, mass_min, boxes)
    emit_report(report, as_json, quiet, out)



@main.command(context_settings=CONTEXT, epilog="""\b
Examples:
  accord compare configs/plan_28_points.yaml configs/counterproposal.yaml configs/no_deal.yaml
  accord compare configs/plan_28_points.yaml configs/counterproposal.yaml -n 50000 --json
  accord compare outputs/plan_28_points/<run-id> outputs/no_deal/<run-id>
""")
@click.argument("targets", nargs=-1, required=True)
@click.option("--trials", "-n", type=TRIALS, help="Trials per config [default: the first config's].")
@click.option("--seed", "-s", type=click.IntRange(min=0), help="Common seed [default: the first config's].")
@click.option("--sampler", type=click.Choice(["mc", "lhs", "sobol"]), default="mc", show_default=True,
              help="mc keys draws by parameter path, so shared parameters get identical draws.")
@click.option("--tie", type=click.FloatRange(0, 1, max_open=True), default=0.005, show_default=True,
              help="Win shares: probabilities whose per-draw values differ by at most this (absolute; 0.005 = "
                   "half a percentage point) are a tie, not a win.")
@click.option("--tie-relative", type=click.FloatRange(0, 1, max_open=True), default=0.01, show_default=True,
              help="Win shares: other units (years, km2) within this fraction of the larger value are a tie.")
@set_option
@out_option
@click.option("--format", "formats", default="png", show_default=True, help="Figure formats: png,svg,pdf.")
@yes_option
@json_option
@quiet_option
@handle_errors
def compare(targets: tuple[str, ...], trials: int | None, seed: int | None, sampler: str, tie: float,
            tie_relative: float, overrides: tuple[str, ...], out: str | None, formats: str, yes: bool, as_json: bool,
            quiet: bool) -> None:
    """Compare configs or run directories side by side: each headline metric (each probability beside its
    reference class's rate), the difference from the first with its 95% interval, an overlay of survival curves
    and outcomes. Configs run with common random numbers and get win shares and regret per draw; run directories
    are read (their own trials, seed and units) and differenced as independent estimates."""
    from scenarios import compare as CMP

    configs = [t for t in targets if not (Path(t).is_dir() or Path(t).name == "manifest.json")]
    if configs:
        first = load_config(configs[0], overrides)
        guard_work(first, trials or first.model.run.trials, seed, sampler, 1, yes, quiet, evaluations=len(configs))
    report = CMP.compare(list(targets), trials, seed, sampler, list(overrides), tie, tie_relative)
    emit_report(report, as_json, quiet, out, formats)


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


def _renamed_n(value: str | None) -> None:
    """`accord sensitivity --n` was the base sample, beside `-n` (trials): a trap; it is --base-samples now."""
    if value is not None:
        raise click.BadParameter("renamed --base-samples (SALib's base sample N); -n is --trials, the trials per "
                                 "evaluation", param_hint="--n")


def _shipped(rel: str) -> Path:
    p = Path(rel)
    return p if p.exists() else HERE / rel

if __name__ == "__main__":  # pragma: no cover
    main()
