# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""The ``skactive`` command line: arguments, and dispatch to the commands."""

import argparse
import sys

# Nothing heavy at import: the console script imports this module before main()
# can catch a Ctrl-C, so numpy, scikit-learn and the samplers load inside main().
from skactive.cli._header import HEADER_RULE


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be a positive integer, got {text!r}"
        ) from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def _version():
    """The installed distribution's version, else the package's own."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("skactive")
    except PackageNotFoundError:
        import skactive

        return getattr(skactive, "__version__", "unknown")


def build_parser():
    from skactive.cli._select import DEFAULT_METHOD, METHODS

    parser = argparse.ArgumentParser(
        prog="skactive",
        description="Active learning on a budget, the scikit-learn way.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    demo = sub.add_parser(
        "demo",
        help="TypiClust vs Coreset vs Random on the digits data set",
        description=(
            "Cold start on scikit-learn's digits, rounds of labels picked by "
            "TypiClust, Coreset and Random; a LogisticRegression trained on the picks "
            "is scored on a held-out split. Prints the mean accuracy over seeds and "
            "writes the learning curves to a PNG."
        ),
    )
    demo.add_argument(
        "--seeds", type=_positive_int, default=5, help="repetitions (default: 5)"
    )
    demo.add_argument(
        "--step", type=_positive_int, default=10, help="labels per round (default: 10)"
    )
    demo.add_argument(
        "--max-labels",
        type=_positive_int,
        default=150,
        help="labels after the last round, at most the training pool (default: 150)",
    )
    demo.add_argument(
        "--plot",
        default="skactive_demo.png",
        metavar="PATH",
        help=(
            "where to write the learning curves, in a format matplotlib writes "
            "(.png, .pdf, .svg, ...) (default: skactive_demo.png)"
        ),
    )
    demo.add_argument("--no-plot", action="store_true", help="print the table only")

    select = sub.add_parser(
        "select",
        help="pick the rows to label from a file of features",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=(
            "Fit a sampler on the rows of FEATURES and write the rows to label next\n"
            "as CSV (rank, row, id with --id-column, score and, for TypiClust,\n"
            "cluster); rows are numbered from 0 in file order, a header line is not\n"
            "a row. Progress goes to standard error.\n\n"
            "Tables (.csv, .tsv) are UTF-8 (Excel's 'CSV UTF-8' too), quoted or not.\n"
            + _wrap(HEADER_RULE)
            + "\nThe progress line says how many rows and feature columns were read\n"
            "and whether a header was taken."
        ),
    )
    select.add_argument(
        "features",
        help=(
            "features, one row per point: .npy, .npz, .csv, .tsv, .parquet; or, for "
            "pools larger than memory (pip install 'skactive[dask]'), a folder: a "
            "zarr store, or .npy shards whose rows are numbered in file-name order"
        ),
    )
    select.add_argument(
        "--budget", type=_positive_int, required=True, help="how many rows to pick"
    )
    select.add_argument(
        "--method",
        choices=list(METHODS),
        default=DEFAULT_METHOD,
        help="selection strategy (default: typiclust, for low budgets)",
    )
    select.add_argument(
        "--labeled",
        metavar="FILE",
        help=(
            "rows labeled already: a text file with one row id per line (with "
            "--id-column, the ids of that column), or a .npy of booleans (a mask, "
            "one per row) or of integer row numbers; an integer .npy of 0s and 1s "
            "as long as the pool is refused as ambiguous"
        ),
    )
    select.add_argument(
        "--labels",
        metavar="FILE",
        help=(
            "labels of the rows labeled already, for the methods that fit a model "
            "(uncertainty, budgetswitch): a CSV or TSV of 'row id, label' per line "
            "(an 'id,label' header is fine); these rows count as labeled, and "
            "--labeled rows without a label as pending"
        ),
    )
    select.add_argument(
        "--output",
        "-o",
        metavar="FILE",
        help=(
            "CSV to write (default or '-': standard output); a file is replaced "
            "atomically (keeping its mode; a new one gets the umask's), a symbolic "
            "link's target is replaced, a device or FIFO is written in place; never "
            "an input file"
        ),
    )
    select.add_argument(
        "--key", help="array to read from an .npz or a zarr group holding several"
    )
    select.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help=(
            "for a zarr store or a folder of shards: the dask scheduler to run on "
            "(tcp://host:8786), 'local' (a LocalCluster started for the run, a "
            "worker process per core, at most one per 256 MiB of pool) or 'threads' "
            "(dask's threaded scheduler in "
            "this process); default: threads for a pool of up to 2 GiB, local above"
        ),
    )
    header = select.add_mutually_exclusive_group()
    header.add_argument(
        "--header",
        action="store_true",
        default=None,
        help="the table's first line is a header (column names)",
    )
    header.add_argument(
        "--no-header",
        dest="header",
        action="store_false",
        help="the table's first line is data",
    )
    select.add_argument(
        "--id-column",
        metavar="NAME",
        help=(
            "a column of row ids (by name, or by number from 0 without a header): "
            "not a feature, reported as 'id' in the output and used by --labeled"
        ),
    )
    select.add_argument("--random-state", type=int, default=0, help="seed (default: 0)")
    select.add_argument(
        "--quiet",
        "-q",
        action="store_true",
        help=(
            "no progress lines and no scikit-learn or numpy warnings (errors, and "
            "the warning about a column that looks like an index, still print)"
        ),
    )
    return parser


def _wrap(text, width=76):
    import textwrap

    return "\n".join(textwrap.wrap(text, width))


def main(argv=None):
    """Run the ``skactive`` command line, as the console script does.

    Parameters
    ----------
    argv : list of str, default=None
        The arguments after the program name; None reads ``sys.argv[1:]``.

    Returns
    -------
    status : int
        The exit status: 0 on success, 1 when ``skactive select`` fails on its
        input, 2 for a bad argument, 130 when interrupted. ``--help`` and
        ``--version`` exit through :class:`SystemExit`, as argparse does.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from skactive.cli import main
    >>> path = os.path.join(tempfile.mkdtemp(), "pool.npy")
    >>> np.save(path, np.random.RandomState(0).normal(size=(50, 3)))
    >>> main(["select", path, "--budget", "2", "--method", "random", "--quiet"])
    ... # doctest: +ELLIPSIS
    rank,row,score
    0,...,
    1,...,
    0
    """
    try:
        args = build_parser().parse_args(argv)
        if args.command == "select":
            from skactive.cli._select import run_select

            return run_select(args)
        from skactive.cli._demo import run_demo_command

        return run_demo_command(args)
    except KeyboardInterrupt:
        print("skactive: interrupted", file=sys.stderr)
        return 130
