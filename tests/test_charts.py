"""Chart builders: legends clear of axes and titles, readable ticks, dates in the UI language, a funnel of real steps."""

from __future__ import annotations

import pandas as pd

from recsys_core.data.cleaning import clean
from ui import charts
from ui.data_page import funnel_steps


def test_count_ticks_are_whole_1_2_5_steps():
    assert charts.count_ticks(90)["dtick"] == 50  # 90 / 4 = 22.5 -> 50: ticks 0, 50, 100
    assert charts.count_ticks(77.1)["dtick"] == 20
    assert charts.count_ticks(8)["dtick"] == 2
    assert charts.count_ticks(0)["dtick"] == 1


def test_weekly_trend_line_is_drawn_over_the_bars_with_quarter_ticks_and_chinese_dates():
    weeks = pd.to_datetime(["2024-01-01", "2024-01-08", "2024-01-15"])
    fig = charts.trend_with_counts(weeks, [0.5, 0.7, 0.6], [30, 90, 40], "平均情感分", "短评数", "每周情感", "zh")
    bar, line = fig.data
    assert bar.type == "bar" and bar.yaxis == "y" and line.type == "scatter" and line.yaxis == "y2"
    assert fig.layout.yaxis2.overlaying == "y" and fig.layout.yaxis2.dtick == 0.25
    assert list(fig.layout.yaxis2.range) == [0, 1] and fig.layout.yaxis.dtick == 50
    assert [s.value for s in fig.layout.xaxis.tickformatstops] == ["%-m月%-d日", "%Y年%-m月"]
    assert fig.layout.legend.y < 0  # under the plot, not over the title
    en = charts.trend_with_counts(weeks, [0.5, 0.7, 0.6], [30, 90, 40], "Mean", "Reviews", "Weekly", "en")
    assert [s.value for s in en.layout.xaxis.tickformatstops] == ["%b %-d", "%b %Y"]


def test_legend_below_clears_the_x_axis_title():
    fig = charts.legend_below(charts.style(_fig()))
    assert fig.layout.legend.orientation == "h" and fig.layout.legend.yanchor == "top"
    assert fig.layout.legend.y <= -0.3 and fig.layout.margin.b >= 100


def _fig():
    import plotly.graph_objects as go

    f = go.Figure()
    f.add_scatter(x=[1, 2], y=[3, 4], name="a")
    return f


def test_funnel_shows_only_steps_that_removed_rows_with_counts():
    raw = pd.DataFrame(
        {"user_id": ["1", "1", "2", None], "item_id": ["a", "a", "b", "c"], "rating": ["4", "4", "x", "3"]}
    )
    _, report = clean(raw)
    steps = funnel_steps(report, {"input": "输入", "exact_duplicates": "完全重复", "missing_ids": "缺失 ID"})
    assert steps[0] == ("输入", 4)
    dropped = [s for s in report.steps if s.rows_out != s.rows_in]
    assert len(steps) == 1 + len(dropped) < 1 + len(report.steps)
    assert steps[1] == ("完全重复 (−1)", 3)
    assert steps[-1][1] == report.rows_out


def test_nine_models_get_nine_colours():
    for n in (4, 9, 18):
        assert len(set(charts.palette(n)[:n])) == n
