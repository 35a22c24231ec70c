"""Every labelling method on synthetic label clusters, through the `phototag eval` harness.

Label clusters on the unit hypersphere (core/evaluation/synthetic.py) with controllable spread,
co-occurrence and class imbalance; no encoder, so it runs anywhere in a minute or two. It shows
that each method works and how they compare on clean clusters, NOT how accurate they are on
photos: that comes from `phototag eval DATASET` with real weights. Run:
    .venv/bin/python bench/fewshot_synthetic.py [--spread 1.5] [--out DIR]
Writes fewshot-synthetic.csv and fewshot-synthetic.png in --out (default: the current folder).
"""

from __future__ import annotations

import argparse
from dataclasses import fields
from pathlib import Path

from phototag.core.evaluation import report
from phototag.core.evaluation.approaches import select_approaches
from phototag.core.evaluation.harness import evaluate
from phototag.core.evaluation.run import parse_shots
from phototag.core.evaluation.synthetic import SyntheticSpec, make_synthetic


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    defaults = SyntheticSpec()
    for spec_field in fields(SyntheticSpec):
        option = "--" + spec_field.name.replace("_", "-")
        default = getattr(defaults, spec_field.name)
        parser.add_argument(option, type=type(default), default=default)
    parser.add_argument("--shots", default="1,2,4,8,16")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--prompts", action="store_true", help="give every head the text prior")
    parser.add_argument("--out", type=Path, default=Path("."))
    return parser.parse_args()


def main() -> None:
    args = arguments()
    spec = SyntheticSpec(**{f.name: getattr(args, f.name) for f in fields(SyntheticSpec)})
    data = make_synthetic(spec)
    result = evaluate(
        data, select_approaches(data, None), parse_shots(args.shots), args.seeds,
        prompts=args.prompts,
    )  # fmt: skip
    print(f"synthetic: {spec}")
    print(report.table(result))
    args.out.mkdir(parents=True, exist_ok=True)
    report.write_csv(result, args.out / "fewshot-synthetic.csv")
    report.write_plot(result, args.out / "fewshot-synthetic.png", "synthetic label clusters")
    print(f"wrote {args.out / 'fewshot-synthetic.csv'} and {args.out / 'fewshot-synthetic.png'}")


if __name__ == "__main__":
    main()
