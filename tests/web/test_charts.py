"""The chart helpers: colours agree with their legend, text is escaped, empty data says so."""

from __future__ import annotations

import re

from cirx.web import charts


def legend_bands(maximum: int) -> list[tuple[int, int, str]]:
    """(first, last, colour) per band of the legend ``scale_legend`` prints for counts up to ``maximum``."""
    html = charts.scale_legend(maximum, "incidents")
    bands = []
    for colour, label in re.findall(r'background:(#[0-9a-f]+)"></span>([^<]+)</li>', html):
        numbers = [int(n) for n in re.findall(r"\d+", label)]
        if label in ("none", "(none)"):
            bands.append((1, 0, colour))  # holds no value
        else:
            bands.append((numbers[0], numbers[-1], colour))
    return bands


def test_every_value_gets_the_colour_of_the_legend_band_it_falls_in() -> None:
    for maximum in (1, 5, 7, 10, 397):
        bands = legend_bands(maximum)
        assert len(bands) == len(charts.SEQUENTIAL)
        for value in range(maximum + 1):
            colour = charts.shade(value, maximum)
            if value == 0:
                assert colour == bands[0][2]
                continue
            holding = [c for first, last, c in bands[1:] if first <= value <= last]
            assert holding == [colour], (maximum, value)


def test_labels_are_escaped_and_empty_charts_say_so() -> None:
    rows = [{"name": "<script>alert(1)</script>", "n": 3}]
    html = charts.bar_chart("c", "Title & more", rows, label="name", value="n", x_label="x", y_label="y",
                            csv_url="/?csv=c")
    assert "<script>" not in html and "&lt;script&gt;" in html and "Title &amp; more" in html
    assert 'href="/?csv=c"' in html
    empty = charts.stacked_columns("e", "Empty", [], x="year", series="type", value="n", x_label="Year",
                                   y_label="Incidents", csv_url=None)
    assert "No incidents match these filters." in empty


def test_a_matrix_links_cells_and_has_headers() -> None:
    rows = [{"a": "RU", "b": "UA", "n": 5}, {"a": "CN", "b": "US", "n": 2}]
    html = charts.matrix("m", "Dyads", rows, row="a", column="b", value="n", row_label="Initiator",
                         column_label="Receiver", csv_url=None, href="/dyads?initiator={row}&receiver={column}")
    assert '<th scope="row">RU</th>' in html and '<th scope="col">UA</th>' in html
    assert 'href="/dyads?initiator=RU&amp;receiver=UA"' in html
