"""accord's commands that run the models or analyses (run, sweep, compare, sensitivity, calibrate, backtest, ...).

They are registered on ``cli.main`` when this module is imported, which cli.py does only when one of them is
asked for (``cli.AccordGroup.get_command``): `accord validate`, `show`, `list` and `report` do not build them
(click's commands and options were a twentieth of a start, issue 17). ``accord --help`` lists them from
``cli.LAZY_COMMANDS`` (tests/test_cli.py checks it against these commands). The plumbing (errors, options,
loading configs, work estimates) is cli.py's.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from cli import (
    CONTEXT,
    HERE,
    TRIALS,
    Out,
    guard_work,
    handle_errors,
    json_option,
    load_config,
    main,
    progress_bar,
    quiet_option,
    resolve_config_path,
    set_option,
    yes_option,
)

# ---------------------------------------------------------------------------------------------- run


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


def _renamed_n(value: str | None) -> None:
    """`accord sensitivity --n` was the base sample, beside `-n` (trials): a trap; it is --base-samples now."""
    if value is not None:
        raise click.BadParameter("renamed --base-samples (SALib's base sample N); -n is --trials, the trials per "
                                 "evaluation", param_hint="--n")


def _shipped(rel: str) -> Path:
    p = Path(rel)
    return p if p.exists() else HERE / rel
