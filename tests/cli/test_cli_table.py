"""The CLI's human tables: one line per row whatever the values hold, and columns that line
up on a terminal with wide and combining characters."""

from __future__ import annotations

import pytest

from ironriver.cli_support import cell_text, count_text, display_width, table


def _lines(capsys: pytest.CaptureFixture[str], rows: list[list[str]]) -> list[str]:
    table(rows, ["name", "dataset"])
    return capsys.readouterr().out.splitlines()


def test_a_value_with_a_line_break_or_a_control_stays_on_its_row(
    capsys: pytest.CaptureFixture[str],
) -> None:
    lines = _lines(capsys, [["Calle 5\nCol. Centro\tCP 80000", "mx"], ["Ana\x1b[2J", "us"]])
    assert lines[2:] == [
        "Calle 5\\nCol. Centro\\tCP 80000  mx     ",
        "Ana\\x1b[2J                      us     ",
    ]


def test_a_bidirectional_override_is_shown_not_obeyed(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """U+202E would show "ZERO\u202eSOLRAC" as "ZEROCARLOS": escaped, the cell reads as the
    text search and matching see."""
    [_, _, row] = _lines(capsys, [["ZERO\u202eSOLRAC", "mx"]])
    assert row.startswith("ZERO\\u202eSOLRAC") and "\u202e" not in row
    assert cell_text("José Pérez") == "José Pérez"  # printable text is left alone


def test_columns_line_up_with_wide_and_combining_characters(
    capsys: pytest.CaptureFixture[str],
) -> None:
    nfd = "Jose\u0301"  # José with a combining accent: four columns
    lines = _lines(capsys, [["李小龙", "cn"], [nfd, "mx"], ["ＡＢ１２", "fw"]])
    # the widest name, ＡＢ１２, takes 8 columns: every dataset starts at column 10
    assert [
        display_width(line[: line.rindex(d)]) for line, d in zip(lines[2:], "cmf", strict=True)
    ] == [
        10,
        10,
        10,
    ]
    assert display_width("李小龙") == 6 and display_width(nfd) == 4
    assert display_width("\u200bAna") == 3


def test_direction_marks_and_line_separators_are_shown_escaped() -> None:
    assert cell_text("Ana\u2028López\u200f") == "Ana\\u2028López\\u200f"
    assert display_width("Pé\u00adrez") == 6  # a soft hyphen takes a column


def test_a_column_of_numbers_is_aligned_right_and_digits_as_text_left(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Counts line up by their last digit (spreadsheets' and analysts' tools' way); a serial
    or a plate is text even when all digits, and stays left as every text."""
    table(
        [
            ["dealer_sales", count_text(8596), "004512", 0.5],
            ["plate_reads", count_text(242008), "77", ""],
        ],
        ["ledger", "rows", "serial", "share"],
    )
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        "ledger           rows  serial  share",
        "------------  -------  ------  -----",
        "dealer_sales    8,596  004512    0.5",
        "plate_reads   242,008  77           ",
    ]
    assert count_text(8596) == "8,596" and count_text("n/a") == "n/a"
