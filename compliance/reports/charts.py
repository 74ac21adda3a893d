"""The 12-month trend charts: Altair specifications rendered to inline SVG by vl-convert (no
browser, no network), so the HTML stays self-contained and WeasyPrint draws the same vectors.

Categories are drawn as small multiples, one panel per category under its plain name, each on its
own scale and every bar labelled with its count: one category with 42 flags no longer washes out
the others' 1 to 3. A dashed line marks each change of the policy in force (a new version, the
end of an agreement) at the start of the month it took effect.
"""
from __future__ import annotations

from html import escape

from compliance.reports.categories import SEVERITY_ORDER, category_order, plain_name
from compliance.reports.render import shown_values

SEVERITY_COLOURS = ("#7a1a14", "#c0392b", "#d68910", "#2874a6", "#7f8c8d")
FONT = "DejaVu Sans"
CHANGE_COLOUR = "#1b4f72"
PANEL_COLUMNS, PANEL_WIDTH, PANEL_HEIGHT, PANEL_TITLE_CHARACTERS = 2, 290, 28, 52
# "Sep" under every bar; the caption gives the years.
MONTH_LABEL = ("['Jan','Feb','Mar','Apr','May','Jun','Jul','Aug','Sep','Oct','Nov','Dec']"
               "[toNumber(slice(datum.value, 5, 7)) - 1]")


def _svg(chart, label: str) -> str:
    import vl_convert

    svg = vl_convert.vegalite_to_svg(chart.to_json())
    # The chart is one image to assistive technology; its numbers are in the table beside it.
    return svg.replace("<svg ", f'<svg role="img" aria-label="{escape(label)}" ', 1)


def _month_axis(alt, months: list[str], *, labels: bool = True, **extra):
    axis = (alt.Axis(labelExpr=MONTH_LABEL, labelAngle=0, labelFontSize=9, ticks=False)
            if labels else alt.Axis(labels=False, ticks=False, title=None))
    return alt.X("month:O", title=None, sort=months, scale=alt.Scale(domain=months), axis=axis, **extra)


def _change_marks(alt, months: list[str], changes: list[dict], *, labelled: bool):
    """Dashed rules at the left edge of each month in which the policy changed; with `labelled`,
    the change's title beside it, on the side of the line with more room."""
    rows = [shown_values({"month": c["month"], "title": f"{c['title']} ({c['day']})",
                          "late": months.index(c["month"]) >= len(months) / 2})
            for c in changes if c["month"] in months]
    if not rows:
        return []
    marks = [alt.Chart(alt.Data(values=rows)).encode(x=_month_axis(alt, months, bandPosition=0))
             .mark_rule(color=CHANGE_COLOUR, strokeDash=[4, 3], strokeWidth=1.2)]
    if labelled:
        for late, align, dx in ((False, "left", 4), (True, "right", -4)):
            side = [row for row in rows if row["late"] is late]
            if side:
                marks.append(alt.Chart(alt.Data(values=side))
                             .encode(x=_month_axis(alt, months, bandPosition=0), text="title:N", y=alt.value(0))
                             .mark_text(align=align, baseline="top", dx=dx, dy=2, fontSize=9, color=CHANGE_COLOUR))
    return marks


def _panel_title(text: str) -> list[str]:
    import textwrap

    return textwrap.wrap(shown_values(text), PANEL_TITLE_CHARACTERS) or [""]


def trend_charts(months: list[str], counts: list[dict], evaluated: set[str],
                 changes: list[dict]) -> dict[str, str]:
    """{"severity": svg, "category": svg} for flag counts per month (`counts` rows: month,
    severity, category, flags) and the policy `changes` in the window ({month, day, title}). Every
    month keeps its place on the axis; one never evaluated stays empty rather than drawn as zero."""
    import altair as alt

    # Vega draws these labels outside the templates, so they are made `shown` here.
    rows = [shown_values(row) for row in counts if row["month"] in evaluated]
    by_severity = alt.layer(
        alt.Chart(alt.Data(values=rows)).mark_bar().encode(
            x=_month_axis(alt, months),
            y=alt.Y("sum(flags):Q", title="Flags"),
            color=alt.Color("severity:N", title="Severity",
                            scale=alt.Scale(domain=list(SEVERITY_ORDER), range=list(SEVERITY_COLOURS)),
                            legend=alt.Legend(orient="bottom", direction="horizontal")),
            order=alt.Order("severity_rank:Q"),
        ).transform_calculate(severity_rank=f"indexof({list(SEVERITY_ORDER)!r}, datum.severity)"),
        *_change_marks(alt, months, changes, labelled=True),
    ).properties(width=540, height=170, title="Flags per month, by severity")

    per: dict[tuple[str, str], int] = {}
    for row in counts:
        if row["month"] in evaluated:
            per[(row["category"], row["month"])] = per.get((row["category"], row["month"]), 0) + row["flags"]
    panels = []
    shown_categories = category_order({category for category, _ in per})
    for index, category in enumerate(shown_categories):
        # The months are named under the bottom panel of each column only: the panels above share
        # its axis.
        bottom = index >= len(shown_categories) - PANEL_COLUMNS
        # Every evaluated month, zero included: a 0 was checked, an empty place was not.
        values = [{"month": m, "flags": per.get((category, m), 0)} for m in months if m in evaluated]
        base = alt.Chart(alt.Data(values=values)).encode(
            x=_month_axis(alt, months, labels=bottom),
            y=alt.Y("flags:Q", axis=None, scale=alt.Scale(domainMin=0, nice=False)))
        panels.append(alt.layer(
            base.mark_bar(color="#c0392b"),
            base.mark_text(baseline="bottom", dy=-1, fontSize=8.5).encode(
                # Compact (31.3k, 1M) so that every label fits its bar; the table gives exact figures.
                text=alt.Text("flags:Q", format=".3~s")),
            *_change_marks(alt, months, changes, labelled=False),
        ).properties(width=PANEL_WIDTH, height=PANEL_HEIGHT, title=alt.TitleParams(
            _panel_title(plain_name(category)), anchor="start", fontSize=10, fontWeight="normal")))
    by_category = (alt.concat(*panels, columns=PANEL_COLUMNS, spacing=10) if panels
                   else alt.Chart(alt.Data(values=[{"note": "No flags in the window"}]))
                   .mark_text().encode(text="note:N").properties(width=540, height=40))
    by_category = by_category.properties(title="Flags per month, by category (each on its own scale)")

    return {
        "severity": _svg(by_severity.configure(font=FONT).configure_view(stroke=None),
                         "Flags per month, by severity"),
        "category": _svg(by_category.configure(font=FONT).configure_view(stroke=None),
                         "Flags per month, by category, each category on its own scale"),
    }
