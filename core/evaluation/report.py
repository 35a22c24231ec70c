"""The evaluation's outputs: a plain-text table, a CSV file and a plot of metric vs shots."""

from __future__ import annotations

import csv
import math
from pathlib import Path

from phototag.core.atomic import replacing
from phototag.core.evaluation.harness import METRICS, Report, Row

TITLES = {"top1": "top-1", "map": "mAP", "micro_f1": "micro-F1", "macro_f1": "macro-F1"}
CSV_NAME = "phototag-eval.csv"
PLOT_NAME = "phototag-eval.png"


def shown_metrics(report: Report) -> list[str]:
    """top-1 only means something when every photo has exactly one label."""
    return list(METRICS) if report.single_label else [m for m in METRICS if m != "top1"]


def primary_metric(report: Report) -> str:
    return "top1" if report.single_label else "map"


def _cell(mean: float, std: float) -> str:
    return "-" if math.isnan(mean) else f"{mean:.3f}±{std:.3f}"


def table(report: Report) -> str:
    metrics = shown_metrics(report)
    header = ["method", "shots", *(TITLES[m] for m in metrics), "fit ms/label", "score s/100k"]
    lines = [header]
    for row in report.rows:
        lines.append(
            [
                row.method,
                str(row.shots),
                *(_cell(row.mean[m], row.std[m]) for m in metrics),
                f"{row.fit_ms_per_label:.2f}",
                f"{row.score_s_per_100k:.3f}",
            ]
        )
    lines.append(["chance", "", *(f"{report.chance[m]:.3f}" for m in metrics), "", ""])
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    text = [
        f"{report.photos} photos, {report.labels} labels "
        f"({'single' if report.single_label else 'multi'}-label), "
        f"{report.rows[0].seeds if report.rows else 0} seeds per shot count"
    ]
    text += [
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in lines
    ]
    text += _continual_lines(report)
    return "\n".join(text)


def _continual_lines(report: Report) -> list[str]:
    rows = [r for r in report.rows if r.old_label_map_change is not None]
    if not rows:
        return []
    lines = [
        "",
        f"continual ({report.continual_shots} shots, labels in {report.groups} groups): change of "
        "the earlier labels' mAP once the later ones are learnt (0 = no forgetting)",
    ]
    width = max(len(r.method) for r in rows)
    lines += [f"{r.method.ljust(width)}  {r.old_label_map_change:+.4f}" for r in rows]
    return lines


def records(report: Report) -> list[dict]:
    return [_record(row) for row in report.rows]


def _record(row: Row) -> dict:
    record: dict = {"method": row.method, "shots": row.shots, "seeds": row.seeds}
    for metric in METRICS:
        record[metric] = _number(row.mean[metric])
        record[f"{metric}_std"] = _number(row.std[metric])
    record["fit_ms_per_label"] = row.fit_ms_per_label
    record["score_s_per_100k_per_label"] = row.score_s_per_100k
    record["old_label_map_change"] = row.old_label_map_change
    return record


def json_record(report: Report) -> dict:
    return {
        "photos": report.photos,
        "labels": report.labels,
        "single_label": report.single_label,
        "meaningless": report.meaningless,
        "chance": report.chance,
        "continual": {"shots": report.continual_shots, "groups": report.groups},
        "rows": records(report),
    }


def _number(value: float) -> float | None:
    return None if math.isnan(value) else value


def write_csv(report: Report, path: Path) -> None:
    rows = records(report)
    with replacing(path) as temporary, temporary.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        for row in rows:
            writer.writerow({k: "" if v is None else v for k, v in row.items()})


def write_plot(report: Report, path: Path, title: str) -> None:
    """One panel per shown metric, one line per method (mean ± std over seeds), chance dashed."""
    # A Figure of its own renders with the Agg backend and touches no global pyplot state.
    from matplotlib.figure import Figure
    from matplotlib.ticker import ScalarFormatter

    metrics = [primary_metric(report), "macro_f1"]
    figure = Figure(figsize=(6 * len(metrics), 4.5))
    axes = figure.subplots(1, len(metrics))
    methods = list(dict.fromkeys(r.method for r in report.rows))
    for axis, metric in zip(axes, metrics, strict=True):
        for method in methods:
            rows = [r for r in report.rows if r.method == method]
            shots = [r.shots for r in rows]
            mean = [r.mean[metric] for r in rows]
            std = [r.std[metric] for r in rows]
            (line,) = axis.plot(shots, mean, marker="o", label=method)
            lower = [m - s for m, s in zip(mean, std, strict=True)]
            upper = [m + s for m, s in zip(mean, std, strict=True)]
            axis.fill_between(shots, lower, upper, color=line.get_color(), alpha=0.12)
        axis.axhline(report.chance[metric], color="grey", linestyle="--", label="chance")
        axis.set_xscale("log", base=2)
        axis.set_xticks(sorted({r.shots for r in report.rows}))
        axis.get_xaxis().set_major_formatter(ScalarFormatter())
        axis.set_xlabel("examples per label (shots)")
        axis.set_ylabel(TITLES[metric])
        axis.grid(alpha=0.3)
    axes[0].legend(fontsize="small")
    figure.suptitle(title)
    figure.tight_layout()
    with replacing(path) as temporary:
        figure.savefig(temporary, format="png", dpi=100)
