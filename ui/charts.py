"""Plotly chart builders shared by the pages (the browser renders the text, so CJK needs no font file)."""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

TEMPLATE = "plotly_white"
PALETTE = px.colors.qualitative.Set2


def palette(n: int) -> list[str]:
    """Distinct colours for ``n`` series: Set2 up to 8, the colour-blind-safe set up to 11, then 24."""
    if n <= len(PALETTE):
        return PALETTE
    if n <= len(px.colors.qualitative.Safe):
        return px.colors.qualitative.Safe
    return px.colors.qualitative.Dark24


def style(fig: go.Figure, height: int = 360) -> go.Figure:
    fig.update_layout(
        template=TEMPLATE,
        height=height,
        margin=dict(l=10, r=10, t=40, b=10),
        legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0),
    )
    return fig


def bar(
    df: pd.DataFrame, x: str, y: str, title: str = "", color: str | None = None, horizontal=False, **kw
) -> go.Figure:
    if horizontal:
        fig = px.bar(df, x=y, y=x, color=color, orientation="h", title=title, color_discrete_sequence=PALETTE, **kw)
        fig.update_yaxes(autorange="reversed")
    else:
        fig = px.bar(df, x=x, y=y, color=color, title=title, color_discrete_sequence=PALETTE, **kw)
    return style(fig)


def histogram(values: pd.Series, title: str = "", nbins: int | None = None, xlabel: str = "") -> go.Figure:
    fig = px.histogram(
        values.to_frame(name=xlabel or "value"),
        x=xlabel or "value",
        nbins=nbins,
        title=title,
        color_discrete_sequence=PALETTE,
    )
    fig.update_layout(bargap=0.1)
    return style(fig)


# --------------------------------------------------------------------------- layout helpers
def legend_below(fig: go.Figure, x_title: bool = True) -> go.Figure:
    """Legend in a row under the x axis (and its title), so it covers neither the axis nor the title."""
    fig.update_layout(
        legend=dict(orientation="h", yanchor="top", y=-0.32 if x_title else -0.18, x=0, title_text=""),
        margin=dict(b=110 if x_title else 70),
    )
    fig.update_layout(height=(fig.layout.height or 360) + 40)
    return fig


def date_axis(fig: go.Figure, language: str, axis: str = "xaxis") -> go.Figure:
    """Dates written in the UI language: days (3月8日 / Mar 8) when the ticks are days or weeks apart,
    months with their year (2024年3月 / Mar 2024) when they are months apart."""
    zh = language == "zh"
    week = 7 * 24 * 3600 * 1000
    stops = [
        dict(dtickrange=[None, 5 * week], value="%-m月%-d日" if zh else "%b %-d"),
        dict(dtickrange=[5 * week, None], value="%Y年%-m月" if zh else "%b %Y"),
    ]
    hover = "%Y年%-m月%-d日" if zh else "%b %-d, %Y"
    fig.update_layout({axis: dict(tickformatstops=stops, hoverformat=hover)})
    return fig


def count_ticks(max_count: float) -> dict:
    """Whole-number ticks for a count axis: 1-2-5 steps, about four of them (no 25.7 / 51.4)."""
    import math

    top = max(float(max_count), 1.0)
    raw = top / 4
    mag = 10 ** math.floor(math.log10(raw)) if raw >= 1 else 1
    step = next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw)
    step = max(1, int(step))
    return dict(tick0=0, dtick=step, range=[0, math.ceil(top / step) * step * 1.05], tickformat=",d")


def trend_with_counts(x, means, counts, mean_name: str, count_name: str, title: str, language: str) -> go.Figure:
    """A mean-score line over light count bars: the bars sit on the left axis behind the line, the
    score (0-1) on the right axis in quarter steps; dates in the UI language."""
    fig = go.Figure()
    fig.add_bar(x=x, y=counts, name=count_name, marker_color="#d9d9d9", opacity=0.6, yaxis="y")
    fig.add_scatter(
        x=x, y=means, mode="lines+markers", name=mean_name, line=dict(color=PALETTE[0], width=2.5), yaxis="y2"
    )
    fig.update_layout(
        title=title,
        yaxis=dict(title=count_name, showgrid=False, **count_ticks(max(counts) if len(counts) else 1)),
        yaxis2=dict(
            title=mean_name, overlaying="y", side="right", range=[0, 1], tick0=0, dtick=0.25, tickmode="linear"
        ),
        bargap=0.15,
    )
    date_axis(fig, language)
    return legend_below(style(fig, height=360), x_title=False)


def funnel(steps: list[tuple[str, int]], title: str) -> go.Figure:
    """Rows left after each cleaning step that changed them, with the count on each bar."""
    fig = go.Figure(
        go.Funnel(
            y=[label for label, _ in steps],
            x=[n for _, n in steps],
            textinfo="value+percent initial",
            marker=dict(color=PALETTE[0]),
        )
    )
    fig.update_layout(title=title)
    return style(fig, height=max(220, 60 * len(steps) + 100))
