# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""The ``skactive`` command line (also ``python -m skactive``)."""

import argparse
import sys
import time


def _positive_int(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def build_parser():
    parser = argparse.ArgumentParser(
        prog="skactive",
        description="Active learning on a budget, the scikit-learn way.",
    )
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
        default=60,
        help="labels after the last round (default: 60)",
    )
    demo.add_argument(
        "--plot",
        default="skactive_demo.png",
        metavar="PATH",
        help="where to write the learning curves (default: skactive_demo.png)",
    )
    demo.add_argument("--no-plot", action="store_true", help="print the table only")

    select = sub.add_parser(
        "select",
        help="pick the rows to label from a file of features",
        description=(
            "Fit a sampler on the rows of FEATURES and write the rows to label next "
            "as CSV (rank, row, score and, for TypiClust, cluster), rows numbered "
            "from 0 in file order. Progress goes to standard error."
        ),
    )
    select.add_argument(
        "features", help="features, one row per point: .npy, .npz, .csv, .tsv, .parquet"
    )
    select.add_argument(
        "--budget", type=_positive_int, required=True, help="how many rows to pick"
    )
    select.add_argument(
        "--method",
        choices=["typiclust", "coreset", "random"],
        default="typiclust",
        help="selection strategy (default: typiclust, for low budgets)",
    )
    select.add_argument(
        "--labeled",
        metavar="FILE",
        help="rows labeled already: row ids, one per line, or a boolean .npy mask",
    )
    select.add_argument(
        "--output", "-o", metavar="FILE", help="CSV to write (default: standard output)"
    )
    select.add_argument("--key", help="array to read from an .npz holding several")
    select.add_argument("--random-state", type=int, default=0, help="seed (default: 0)")
    select.add_argument("--quiet", "-q", action="store_true", help="no progress output")
    return parser


def _demo(args):
    from skactive._demo import format_table, plot_results, run_demo

    if args.max_labels < args.step:
        print("skactive demo: --max-labels must be at least --step", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    results = run_demo(n_seeds=args.seeds, step=args.step, max_labels=args.max_labels)
    print(f"Test accuracy (%) on digits, mean ± std over {args.seeds} seeds:")
    print(format_table(results))
    query_times = ", ".join(f"{k} {v:.1f} s" for k, v in results["seconds"].items())
    print(f"Query time, all rounds and seeds: {query_times}")
    if not args.no_plot:
        try:
            plot_results(results, args.plot)
        except ImportError:
            print(
                "No plot: matplotlib is missing (pip install 'skactive[matplotlib]').",
                file=sys.stderr,
            )
        else:
            print(f"Learning curves written to {args.plot}")
    print(f"Done in {time.perf_counter() - t0:.1f} s.")
    return 0


def main(argv=None):
    """Run the command line; returns the exit status."""
    args = build_parser().parse_args(argv)
    if args.command == "select":
        from skactive._select import run_select

        return run_select(args)
    return _demo(args)


if __name__ == "__main__":
    sys.exit(main())
