"""Plotly chart builders shared by the pages (the browser renders the text, so CJK needs no font file)."""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

TEMPLATE = "plotly_white"
PALETTE = px.colors.qualitative.Set2


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
