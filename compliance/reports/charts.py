"""The 12-month trend charts: Altair specifications rendered to inline SVG by vl-convert (no
browser, no network), so the HTML stays self-contained and WeasyPrint draws the same vectors."""
from __future__ import annotations

from html import escape

from compliance.reports.categories import SEVERITY_ORDER
from compliance.reports.render import shown_values

SEVERITY_COLOURS = ("#7a1a14", "#c0392b", "#d68910", "#2874a6", "#7f8c8d")
FONT = "DejaVu Sans"


def _svg(chart, label: str) -> str:
    import vl_convert

    svg = vl_convert.vegalite_to_svg(chart.to_json())
    # The chart is one image to assistive technology; its numbers are in the table beside it.
    return svg.replace("<svg ", f'<svg role="img" aria-label="{escape(label)}" ', 1)


def trend_charts(months: list[str], counts: list[dict], evaluated: set[str]) -> dict[str, str]:
    """{"severity": svg, "category": svg} for flag counts per month (rows: month, severity,
    category, flags). Every month keeps its place on the axis; one never evaluated stays empty
    rather than being drawn as zero."""
    import altair as alt

    # Vega draws these labels outside the templates, so they are made `shown` here.
    rows = [shown_values(row) for row in counts if row["month"] in evaluated]
    axis_month = alt.X("month:O", title=None, sort=months, scale=alt.Scale(domain=months),
                       axis=alt.Axis(labelAngle=-45))
    by_severity = alt.Chart(
        alt.Data(values=rows), title="Flags per month, by severity",
        description="Stacked bars of flags per month by severity",
    ).mark_bar().encode(
        x=axis_month,
        y=alt.Y("sum(flags):Q", title="Flags"),
        color=alt.Color("severity:N", title="Severity",
                        scale=alt.Scale(domain=list(SEVERITY_ORDER), range=list(SEVERITY_COLOURS))),
        order=alt.Order("severity_rank:Q"),
    ).transform_calculate(
        severity_rank=f"indexof({list(SEVERITY_ORDER)!r}, datum.severity)",
    ).properties(width=540, height=170)

    categories = sorted({row["category"] for row in rows})
    base = alt.Chart(
        alt.Data(values=rows), title="Flags per month, by category",
        description="Heat map of flags per month and category",
    ).transform_aggregate(
        flags="sum(flags)", groupby=["month", "category"],
    ).transform_joinaggregate(
        most="max(flags)",
    ).encode(
        x=axis_month,
        y=alt.Y("category:N", title=None, sort=categories),
    )
    heat = base.mark_rect().encode(
        # From zero: a gradient needs two ends even when every cell holds the same count.
        color=alt.Color("flags:Q", title="Flags", scale=alt.Scale(scheme="oranges", domainMin=0)))
    # Dark cells get white figures so that every label keeps its contrast.
    labels = base.mark_text(fontSize=10).encode(
        # Compact (31.3k, 1M) so that every label fits its cell; the table gives exact figures.
        text=alt.Text("flags:Q", format=".3~s"),
        color=alt.condition("datum.flags > 0.6 * datum.most", alt.value("white"), alt.value("black")))
    # Tall enough for the colour legend's gradient and its labels even with one category.
    by_category = (heat + labels).properties(width=540, height=max(18 * len(categories), 80))

    return {
        "severity": _svg(by_severity.configure(font=FONT).configure_view(stroke=None),
                         "Flags per month, by severity"),
        "category": _svg(by_category.configure(font=FONT).configure_view(stroke=None),
                         "Flags per month, by category"),
    }
