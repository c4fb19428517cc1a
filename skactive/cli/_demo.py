# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""The demo: every sampler (TypiClust, Coreset, Random, the budget switch and
uncertainty sampling) on scikit-learn's digits, from a cold start, in rounds of
labels; a LogisticRegression scored on a held-out split."""

import io
import math
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from skactive.cli._io import (
    Destination,
    InputError,
    check_destination,
    write_output,
)
from skactive.cli._samplers import command_samplers
from skactive.evaluation import budget_curve

# The samplers compared, by display name: TypiClust, Coreset, Random, then others
# (those that read labels get them from budget_curve).
STRATEGIES = dict(command_samplers())


def run_demo(n_seeds=5, step=10, max_labels=150, test_size=0.3):
    """Run the learning-curve experiment.

    Parameters
    ----------
    n_seeds : int, default=5
        Repetitions; seed ``s`` sets both the train/test split and the samplers.
    step : int, default=10
        Labels added per round, from a cold start.
    max_labels : int, default=150
        Labels after the last round.
    test_size : float, default=0.3
        Held-out share of the digits, stratified.

    Returns
    -------
    results : dict
        ``"n_labels"``: the label counts after each round, and for each strategy
        name an array of test accuracies of shape (n_seeds, n_rounds), plus
        ``"seconds"``: total query time per strategy.
    """
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    n_labels = np.arange(step, max_labels + 1, step)
    acc = {name: np.empty((n_seeds, len(n_labels))) for name in STRATEGIES}
    seconds = dict.fromkeys(STRATEGIES, 0.0)
    for seed in range(n_seeds):
        X_tr, X_te, y_tr, y_te = train_test_split(
            X, y, test_size=test_size, stratify=y, random_state=seed
        )
        for name, cls in STRATEGIES.items():
            sampler = cls(random_state=seed)
            curve, spent = budget_curve(sampler, X_tr, y_tr, X_te, y_te, n_labels)
            acc[name][seed] = curve
            seconds[name] += spent
    return {"n_labels": n_labels, **acc, "seconds": seconds}


def format_table(results):
    """The mean accuracy (and standard deviation over seeds) as a text table."""
    names = list(STRATEGIES)
    lines = ["labels  " + "".join(f"{name:>17}" for name in names)]
    for r, n in enumerate(results["n_labels"]):
        acc = [100 * results[name][:, r] for name in names]
        cells = "".join(f"{a.mean():10.1f} ± {a.std():4.1f}" for a in acc)
        lines.append(f"{n:>6}  {cells}")
    return "\n".join(lines)


def pool_size(test_size=0.3):
    """The number of digits the samplers pick from (the training split)."""
    n_samples = len(load_digits().target)
    return n_samples - math.ceil(test_size * n_samples)


def check_plot_path(path):
    """Check, before the run, that matplotlib can write a figure to ``path``.

    Returns
    -------
    destination : Destination
        The checked destination, for :func:`plot_results`.

    Raises
    ------
    ImportError
        When matplotlib is missing.
    ValueError
        When matplotlib does not know the format.
    InputError
        When the file cannot be written (its folder is missing, it is a folder).
    """
    from matplotlib.backend_bases import FigureCanvasBase

    destination = check_destination(path, "--plot")
    formats = FigureCanvasBase.get_supported_filetypes()
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix not in formats:
        known = ", ".join(f".{f}" for f in sorted(formats))
        raise ValueError(
            f"--plot {path}: unknown format {suffix or '(no extension)'!r}; "
            f"use one of {known}"
        )
    return destination


def plot_results(results, path):
    """Write the learning curves (mean and ± one standard deviation) to ``path``.

    ``path`` is a file name or a :class:`~skactive.cli._io.Destination` from
    :func:`check_plot_path`; the file is replaced atomically.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from skactive.plotting import BudgetCurveDisplay

    scores = {name: 100 * results[name] for name in STRATEGIES}
    n_seeds = results[next(iter(STRATEGIES))].shape[0]
    fig, ax = plt.subplots(figsize=(6, 4))
    BudgetCurveDisplay(results["n_labels"], scores, "test accuracy (%)").plot(
        ax=ax, title=f"digits, LogisticRegression, mean over {n_seeds} seeds"
    )
    fig.tight_layout()
    if not isinstance(path, Destination):
        path = check_destination(path, "--plot")
    suffix = Path(path.target).suffix.lower().lstrip(".")
    buffer = io.BytesIO()
    fig.savefig(buffer, format=suffix, dpi=120)
    plt.close(fig)
    write_output(buffer.getvalue(), path)


def run_demo_command(args):
    """Run ``skactive demo`` with parsed arguments; returns the exit status.

    Every argument is checked before the experiment runs.
    """

    def fail(message):
        print(f"skactive demo: error: {message}", file=sys.stderr)
        return 2

    if args.max_labels < args.step:
        return fail("--max-labels must be at least --step")
    if args.max_labels > pool_size():
        return fail(
            f"--max-labels {args.max_labels} is larger than the training pool "
            f"({pool_size()} digits)"
        )
    plot = None
    if not args.no_plot:
        try:
            plot = check_plot_path(args.plot)
        except ImportError:
            print(
                "No plot: matplotlib is missing (pip install 'skactive[matplotlib]').",
                file=sys.stderr,
            )
        except (ValueError, InputError) as exc:
            return fail(str(exc))
    t0 = time.perf_counter()
    results = run_demo(n_seeds=args.seeds, step=args.step, max_labels=args.max_labels)
    print(f"Test accuracy (%) on digits, mean ± std over {args.seeds} seeds:")
    print(format_table(results))
    query_times = ", ".join(f"{k} {v:.1f} s" for k, v in results["seconds"].items())
    print(f"Query time, all rounds and seeds: {query_times}")
    if plot is not None:
        try:
            plot_results(results, plot)
        except (OSError, InputError) as exc:
            return fail(str(exc))
        print(f"Learning curves written to {args.plot}")
    print(f"Done in {time.perf_counter() - t0:.1f} s.")
    return 0
