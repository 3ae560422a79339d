"""The report as one self-contained HTML page: inline SVG plots (matplotlib), inline CSS, no
script and nothing fetched, so it opens offline and can be mailed as one file.

The plot functions return matplotlib figures, so notebooks can show the same pictures.
"""

from __future__ import annotations

import html
import io
import math

import numpy as np
import pandas as pd

from slant.inference import prevalence as pv

MAX_GROUPS_PLOTTED = 8
MAX_PAIRS_PLOTTED = 10
MAX_ROWS_SHOWN = 2000
RC = {"text.parse_math": False, "svg.hashsalt": "slant-report", "svg.fonttype": "path", "font.size": 9,
      "axes.spines.top": False, "axes.spines.right": False}


def _figure(**options):
    """A figure outside pyplot: nothing global is touched (no backend switch, no open windows),
    and a notebook still shows it with `display(figure)`."""
    from matplotlib.figure import Figure

    return Figure(**options)


def _rc():
    import matplotlib

    return matplotlib.rc_context(RC)


def _top_groups(frame: pd.DataFrame, limit: int = MAX_GROUPS_PLOTTED) -> list[str]:
    """The largest groups (by units), in the table's order."""
    sizes = frame.groupby("group", sort=False)["n"].first()
    keep = set(sizes.sort_values(ascending=False, kind="stable").index[:limit])
    return [g for g in sizes.index if g in keep]


def _colours(n: int):
    import matplotlib

    cmap = matplotlib.colormaps["tab10"]
    return [cmap(i % 10) for i in range(n)]


def plot_prevalence(frame: pd.DataFrame):
    """Each technique's prevalence per group: corrected estimate with its 95 % interval (filled),
    or the raw share with its sampling interval (hollow) where the technique is not corrected."""
    groups = _top_groups(frame)
    techniques = list(dict.fromkeys(frame["technique"]))
    with _rc():
        figure = _figure(figsize=(8.5, 0.42 * len(techniques) + 1.6))
        ax = figure.subplots()
        height = 0.8 / max(len(groups), 1)
        for k, (group, colour) in enumerate(zip(groups, _colours(len(groups)))):
            rows = frame[frame["group"] == group].set_index("technique").reindex(techniques)
            y = np.arange(len(techniques)) - 0.4 + height * (k + 0.5)
            ok = (rows["status"] == pv.CORRECTED).to_numpy()
            est = rows["estimate"].to_numpy(float)
            ax.errorbar(est[ok] * 100, y[ok], xerr=_err(est[ok], rows["ci_low"].to_numpy(float)[ok],
                                                       rows["ci_high"].to_numpy(float)[ok]),
                        fmt="o", color=colour, markersize=5, capsize=2, linewidth=1.2, label=group)
            raw = rows["raw_share"].to_numpy(float)
            ax.errorbar(raw[~ok] * 100, y[~ok], xerr=_err(raw[~ok], rows["raw_ci_low"].to_numpy(float)[~ok],
                                                         rows["raw_ci_high"].to_numpy(float)[~ok]),
                        fmt="o", markerfacecolor="white", color=colour, markersize=5, capsize=2, linewidth=0.8,
                        linestyle="none", alpha=0.8)
        ax.set_yticks(np.arange(len(techniques)))
        ax.set_yticklabels([t + ("" if _corrected(frame, t) else "  (raw)") for t in techniques])
        ax.invert_yaxis()
        ax.set_xlabel("prevalence, % of units (95 % interval); hollow = raw share, not corrected")
        ax.set_xlim(left=0)
        ax.grid(axis="x", color="#ddd", linewidth=0.6)
        if groups:
            ax.legend(loc="lower right", fontsize=8, frameon=False)
        figure.tight_layout()
    return figure


def _corrected(frame: pd.DataFrame, technique: str) -> bool:
    return bool((frame.loc[frame["technique"] == technique, "status"] == pv.CORRECTED).any())


def _err(center, low, high):
    return np.vstack([np.clip(center - low, 0, None), np.clip(high - center, 0, None)]) * 100


def plot_time_series(frame: pd.DataFrame, by: list[str]):
    """Prevalence per period, one line per group (`by`: the table's group columns), with the
    95 % interval as a band; techniques that are not corrected show their raw share (dashed)."""
    from slant.inference.report import NO_DATE

    frame = frame[frame["period"] != NO_DATE].copy()
    frame["series"] = frame[by].astype(str).agg(" / ".join, axis=1) if by else "all"
    frame["when"] = pd.to_datetime(frame["period"], format="mixed")
    sizes = frame.groupby("series")["n"].sum().sort_values(ascending=False, kind="stable")
    series = [s for s in dict.fromkeys(frame["series"]) if s in set(sizes.index[:MAX_GROUPS_PLOTTED])]
    shown = frame.groupby("technique", sort=False).apply(
        lambda part: bool((part["status"] == pv.CORRECTED).any() or (part["raw_share"] > 0).any()), include_groups=False)
    techniques = [t for t in dict.fromkeys(frame["technique"]) if shown[t]]  # never flagged, not corrected: left out
    cols = 4
    rows = max(1, math.ceil(len(techniques) / cols))
    with _rc():
        figure = _figure(figsize=(12, 2.3 * rows + 0.6))
        axes = figure.subplots(rows, cols, squeeze=False, sharex=True)
        for ax, technique in zip(axes.flat, techniques):
            part = frame[frame["technique"] == technique]
            corrected = bool((part["status"] == pv.CORRECTED).any())
            for name, colour in zip(series, _colours(len(series))):
                line = part[part["series"] == name].sort_values("when")
                if corrected:
                    ax.fill_between(line["when"], line["ci_low"] * 100, line["ci_high"] * 100, color=colour,
                                    alpha=0.2, linewidth=0)
                    ax.plot(line["when"], line["estimate"] * 100, marker="o", markersize=2.5, color=colour,
                            linewidth=1.2, label=name)
                else:
                    ax.fill_between(line["when"], line["raw_ci_low"] * 100, line["raw_ci_high"] * 100,
                                    color=colour, alpha=0.08, linewidth=0)
                    ax.plot(line["when"], line["raw_share"] * 100, linestyle="--", marker="o", markersize=2,
                            color=colour, linewidth=0.9, label=name)
            ax.set_title(technique + ("" if corrected else " (raw)"), fontsize=8)
            ax.set_ylim(bottom=0)
            ax.tick_params(labelsize=7)
            for tick in ax.get_xticklabels():
                tick.set_rotation(30)
                tick.set_horizontalalignment("right")
        for ax in list(axes.flat)[len(techniques):]:
            ax.axis("off")
        if series and techniques:
            handles, labels = axes.flat[0].get_legend_handles_labels()
            figure.legend(handles, labels, loc="upper center", ncol=min(len(series), 4), fontsize=8, frameon=False)
        figure.supylabel("prevalence, % (band: 95 % interval)", fontsize=8)
        figure.tight_layout(rect=(0, 0, 1, 0.97 if series else 1))
    return figure


def plot_differences(differences: pd.DataFrame):
    """Corrected differences between groups with 95 % intervals; a filled red mark where the
    interval excludes zero. Techniques that are not corrected are left out."""
    frame = differences[differences["status"] == pv.CORRECTED]
    pairs = list(dict.fromkeys(zip(frame["group_a"], frame["group_b"])))[:MAX_PAIRS_PLOTTED]
    techniques = list(dict.fromkeys(frame["technique"]))
    cols = min(len(pairs), 2) or 1
    rows = max(1, math.ceil(len(pairs) / cols))
    with _rc():
        figure = _figure(figsize=(6.2 * cols, 0.32 * len(techniques) * rows + 1.2 * rows))
        axes = figure.subplots(rows, cols, squeeze=False)
        for ax, (a, b) in zip(axes.flat, pairs):
            part = frame[(frame["group_a"] == a) & (frame["group_b"] == b)].set_index("technique").reindex(techniques)
            y = np.arange(len(techniques))
            diff = part["difference"].to_numpy(float) * 100
            low, high = part["ci_low"].to_numpy(float) * 100, part["ci_high"].to_numpy(float) * 100
            marked = part["excludes_zero"].fillna(False).to_numpy(bool)
            ax.axvline(0, color="#888", linewidth=0.8)
            ax.hlines(y, low, high, color=np.where(marked, "#c0392b", "#7f8c8d"), linewidth=1.6)
            ax.scatter(diff[~marked], y[~marked], color="white", edgecolor="#7f8c8d", zorder=3, s=22)
            ax.scatter(diff[marked], y[marked], color="#c0392b", marker="D", zorder=3, s=28,
                       label="interval excludes 0")
            ax.set_yticks(y)
            ax.set_yticklabels(techniques, fontsize=7)
            ax.invert_yaxis()
            ax.set_title(f"{a} minus {b}", fontsize=8)
            ax.set_xlabel("difference in prevalence, percentage points", fontsize=7)
            ax.grid(axis="x", color="#eee", linewidth=0.6)
        for ax in list(axes.flat)[len(pairs):]:
            ax.axis("off")
        figure.tight_layout()
    return figure


def svg(figure) -> str:
    """A figure as an inline <svg> element (no XML prolog, no external references)."""
    buffer = io.StringIO()
    with _rc():
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    text = buffer.getvalue()
    return text[text.index("<svg"):].replace("<svg", '<svg role="img"', 1)


# -- the page ----------------------------------------------------------------------------------
CSS = """
body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:0 auto;max-width:1200px;padding:1.5em;color:#222}
h1{font-size:1.5em}h2{font-size:1.15em;margin-top:2em;border-bottom:1px solid #ddd}
.notes{background:#fff7e0;border-left:4px solid #e0a800;padding:.6em 1em}.notes li{margin:.2em 0}
figure{margin:1em 0}figure svg{max-width:100%;height:auto}figcaption{color:#555;font-size:.9em}
table{border-collapse:collapse;font-size:.85em;margin:.5em 0}th,td{padding:.2em .6em;border-bottom:1px solid #eee;text-align:right}
th{background:#f5f5f5;position:sticky;top:0}td.t,th.t{text-align:left}tr.raw td{color:#888}
tr.mark td{background:#fdecea}.small{color:#666;font-size:.9em}code{background:#f3f3f3;padding:0 .2em}
"""


def _e(value) -> str:
    return html.escape(str(value), quote=True)


def _pct(value) -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value * 100:.1f}"


def _status(row) -> str:
    """The status, plus why a corrected estimate sits at a bound (its note says more)."""
    note = row.note if isinstance(row.note, str) else ""
    if row.status == pv.CORRECTED and "clipped to 0" in note:
        return "corrected, clipped to 0 (fewer flags than false positives)"
    if row.status == pv.CORRECTED and "clipped to 1" in note:
        return "corrected, clipped to 1"
    return row.status


def _prevalence_table(frame: pd.DataFrame, by: list[str]) -> str:
    head = ["group", "technique", "n", "flagged", "raw %", "raw 95 %", "corrected %", "95 % interval", "status"]
    lines = ["<table><thead><tr>" + "".join(f'<th class="{"t" if h in ("group", "technique", "status") else ""}">'
                                            f"{_e(h)}</th>" for h in head) + "</tr></thead><tbody>"]
    for row in frame.head(MAX_ROWS_SHOWN).itertuples(index=False):
        ok = row.status == pv.CORRECTED
        cells = [f'<td class="t">{_e(row.group)}</td>', f'<td class="t">{_e(row.technique)}</td>',
                 f"<td>{row.n:,}</td>", f"<td>{row.flagged:,}</td>", f"<td>{_pct(row.raw_share)}</td>",
                 f"<td>{_pct(row.raw_ci_low)}&ndash;{_pct(row.raw_ci_high)}</td>",
                 f"<td>{_pct(row.estimate) if ok else ''}</td>",
                 f"<td>{(_pct(row.ci_low) + '&ndash;' + _pct(row.ci_high)) if ok else ''}</td>",
                 f'<td class="t" title="{_e(row.note)}">{_e(_status(row))}</td>']
        lines.append(f'<tr class="{"" if ok else "raw"}">' + "".join(cells) + "</tr>")
    lines.append("</tbody></table>")
    if len(frame) > MAX_ROWS_SHOWN:
        lines.append(f'<p class="small">First {MAX_ROWS_SHOWN:,} of {len(frame):,} rows; all are in the CSV.</p>')
    return "".join(lines)


def _differences_table(frame: pd.DataFrame) -> str:
    frame = frame[frame["status"] == pv.CORRECTED]
    head = ["group a", "group b", "technique", "a − b (points)", "95 % interval", "excludes 0"]
    lines = ["<table><thead><tr>" + "".join(f'<th class="{"t" if i < 3 else ""}">{_e(h)}</th>'
                                            for i, h in enumerate(head)) + "</tr></thead><tbody>"]
    for row in frame.head(MAX_ROWS_SHOWN).itertuples(index=False):
        lines.append(f'<tr class="{"mark" if row.excludes_zero else ""}"><td class="t">{_e(row.group_a)}</td>'
                     f'<td class="t">{_e(row.group_b)}</td><td class="t">{_e(row.technique)}</td>'
                     f"<td>{_pct(row.difference)}</td><td>{_pct(row.ci_low)}&ndash;{_pct(row.ci_high)}</td>"
                     f"<td>{'yes' if row.excludes_zero else ''}</td></tr>")
    lines.append("</tbody></table>")
    return "".join(lines)


def _error_table(rows: list[dict]) -> str:
    head = ["technique", "tp", "fp", "fn", "tn", "tpr", "fpr", "tpr − fpr, 2.5 % quantile", "status"]
    lines = ["<table><thead><tr>" + "".join(f'<th class="{"t" if h in ("technique", "status") else ""}">{_e(h)}</th>'
                                            for h in head) + "</tr></thead><tbody>"]
    for row in rows:
        def cell(key, digits=3):
            value = row.get(key)
            if value is None:
                return ""
            return f"{round(value, digits) + 0.0:.{digits}f}" if isinstance(value, float) else f"{value:,}"

        lines.append(f'<tr class="{"" if row["status"] == pv.CORRECTED else "raw"}"><td class="t">'
                     f'{_e(row["technique"])}</td>' + "".join(f"<td>{cell(k)}</td>" for k in
                                                              ("tp", "fp", "fn", "tn", "tpr", "fpr", "separation_low"))
                     + f'<td class="t">{_e(row["status"])}</td></tr>')
    lines.append("</tbody></table>")
    return "".join(lines)


def render(report) -> str:
    """The whole page for a `report.Report`."""
    settings = report.settings
    by = settings["by"]
    overall = report.by_group if report.by_group is not None else report.prevalence
    parts = ["<h1>Slant report: prevalence of propaganda techniques</h1>",
             f'<p>{settings["documents"]:,} documents, {settings["sentences"]:,} sentences from '
             f'<code>{_e(settings["scores"])}</code>; unit: <b>{_e(settings["unit"])}</b>; groups by '
             f'<b>{_e(", ".join(by) or "none")}</b>'
             + (f'; periods: <b>{_e(settings["freq"])}</b> of <code>{_e(settings["time_field"])}</code>'
                if settings["time_field"] else "")
             + f'. Error rates: {_e(settings["error_rates"] or "none")}.</p>']
    if report.notes:
        parts.append('<ul class="notes">' + "".join(f"<li>{_e(n)}</li>" for n in report.notes) + "</ul>")
    parts.append(
        "<p class=small>Raw share: the share of units the model flags. Corrected: adjusted "
        "classify-and-count, (raw − fpr) / (tpr − fpr), with the model's held-out error rates; the 95 % "
        "interval carries both sampling (bootstrap over documents) and the uncertainty of tpr and fpr "
        "(Beta posteriors of the held-out counts). Techniques whose error rates are too uncertain are "
        "shown raw and marked so.</p>")
    parts.append("<h2>Prevalence per group</h2><figure>" + svg(plot_prevalence(overall))
                 + "<figcaption>Filled: corrected estimate and 95 % interval; hollow: raw share, not corrected."
                 + (f" The {MAX_GROUPS_PLOTTED} largest groups are drawn; all are in the table."
                    if overall["group"].nunique() > MAX_GROUPS_PLOTTED else "") + "</figcaption></figure>")
    if settings["time_field"]:
        parts.append("<h2>Over time</h2><figure>"
                     + svg(plot_time_series(report.prevalence, list(report.prevalence.columns[1 : 1 + len(by)])))
                     + "<figcaption>Lines: corrected estimate per period; bands: 95 % intervals; dashed: raw share "
                       "of a technique that is not corrected; techniques never flagged and not corrected are left "
                       "out.</figcaption></figure>")
    if len(report.differences) and (report.differences["status"] == pv.CORRECTED).any():
        parts.append("<h2>Differences between groups</h2><figure>" + svg(plot_differences(report.differences))
                     + "<figcaption>Red diamond: the 95 % interval of the difference excludes zero (one interval "
                       "at a time, not adjusted for the number of comparisons).</figcaption></figure>"
                     + _differences_table(report.differences))
    parts.append("<h2>Table</h2>" + _prevalence_table(overall, by))
    if report.by_group is not None:
        parts.append("<details><summary>per period</summary>" + _prevalence_table(report.prevalence, by)
                     + "</details>")
    parts.append("<h2>Error rates used</h2>" + _error_table(report.error_rates))
    return ("<!DOCTYPE html><html lang=en><head><meta charset=utf-8>"
            "<meta name=viewport content='width=device-width,initial-scale=1'>"
            "<title>Slant report</title><style>" + CSS + "</style></head><body>" + "".join(parts)
            + "</body></html>\n")


__all__ = ["render", "plot_prevalence", "plot_time_series", "plot_differences", "svg"]
