"""Dates, times and numbers for people: in the request's language, with Babel (CLDR).

English keeps the dashboard's compact, unambiguous forms ("Mon 2026-03-02", "09:00",
"67 %"); every other language gets its own CLDR forms ("lun, 2 mar 2026", "viernes, 27 de
noviembre de 2026, 14:00", "0,512"). Times are always on the 24-hour clock. An instant is
shown in a course's time zone (``local_time``), never the server's.
"""

from __future__ import annotations

from datetime import date, datetime, time, tzinfo
from typing import Literal
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime, format_skeleton, get_day_names
from babel.numbers import format_decimal, format_percent
from flask import Flask

from .i18n import current_language, ngettext

#: How a moment is shown: "time" 09:00, "time_seconds" 09:00:00, "date" Mon 2026-03-02,
#: "datetime" 2026-03-02 09:00, "datetime_seconds" 2026-03-02 09:00:00, "weekday_datetime"
#: Mon 2026-03-02 09:00, "day_datetime" Monday 2026-03-02 09:00, "day_month" 02 Mar (chart
#: and table columns).
Style = Literal["time", "time_seconds", "date", "datetime", "datetime_seconds",
                "weekday_datetime", "day_datetime", "day_month"]

#: English patterns (CLDR pattern syntax): the dashboard's own forms.
_ENGLISH: dict[str, str] = {
    "time": "HH:mm", "time_seconds": "HH:mm:ss", "date": "EEE yyyy-MM-dd",
    "datetime": "yyyy-MM-dd HH:mm", "datetime_seconds": "yyyy-MM-dd HH:mm:ss",
    "weekday_datetime": "EEE yyyy-MM-dd HH:mm",
    "day_datetime": "EEEE yyyy-MM-dd HH:mm", "day_month": "dd MMM",
}
#: Other languages: the date part as a CLDR skeleton ("full": the locale's full date), and
#: whether a 24-hour time follows, joined as the locale joins a date and a time.
_CLDR: dict[str, tuple[str | None, str | None]] = {
    "time": (None, "Hm"), "time_seconds": (None, "Hms"), "date": ("yMMMEd", None),
    "datetime": ("yMMMd", "Hm"), "datetime_seconds": ("yMMMd", "Hms"),
    "weekday_datetime": ("yMMMEd", "Hm"),
    "day_datetime": ("full", "Hm"), "day_month": ("MMMd", None),
}
#: Decimals of a distance or threshold shown to teachers.
DISTANCE_DIGITS = 3
THRESHOLD_DIGITS = 2


def moment(value: datetime, style: Style = "datetime", zone: tzinfo | None = None) -> str:
    """``value`` written in the request's language; an aware ``value`` is first converted
    to ``zone`` (default: as it is)."""
    language = current_language()
    if zone is not None and value.tzinfo is not None:
        value = value.astimezone(zone)
    if language == "en":
        return format_datetime(value, _ENGLISH[style], locale="en")
    date_part, time_part = _CLDR[style]
    if date_part == "full":
        day = format_date(value, "full", locale=language)
    else:
        day = format_skeleton(date_part, value, locale=language) if date_part else ""
    clock = format_skeleton(time_part, value, locale=language) if time_part else ""
    if day and clock:
        pattern = str(Locale.parse(language).datetime_formats["medium"])
        return pattern.replace("{1}", day).replace("{0}", clock)
    return day or clock


def format_day(day: date) -> str:
    """A calendar day: 2026-03-02 in English, the language's medium date elsewhere."""
    language = current_language()
    if language == "en":
        return format_date(day, "yyyy-MM-dd", locale="en")
    return format_skeleton("yMMMd", datetime.combine(day, time()), locale=language)


def local_time(value: datetime | None, zone: str, style: Style = "datetime") -> str:
    """``value`` (an aware UTC instant) as wall-clock time in IANA ``zone``; "" for None."""
    if value is None:
        return ""
    return moment(value, style, ZoneInfo(zone))


def as_written(value: datetime | None, style: Style = "datetime") -> str:
    """``value`` as it is (already local, or named as UTC next to it); "" for None."""
    return "" if value is None else moment(value, style)


def weekday_name(index: int) -> str:
    """The weekday ``index`` (0 = Monday), capitalised as a label."""
    name = str(get_day_names("wide", context="stand-alone", locale=current_language())[index])
    return name[:1].upper() + name[1:]


def weekday_names() -> list[str]:
    return [weekday_name(i) for i in range(7)]


def percent(share: float | None, empty: str = "—") -> str:
    """``share`` (0-1) as a whole percentage ("67 %"); ``empty`` for None."""
    if share is None:
        return empty
    language = current_language()
    return format_percent(share, "#,##0 %" if language == "en" else None, locale=language)


def number(value: float | None, digits: int = 0, empty: str = "—") -> str:
    """``value`` with ``digits`` decimals, in the language's digits and separators."""
    if value is None:
        return empty
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(value, pattern, locale=current_language())


def decimal(value: float) -> str:
    """``value`` with as many decimals as it has (up to three), in the language's digits."""
    return format_decimal(value, locale=current_language())


#: Decimal units of file sizes (1 MB = 1,000,000 bytes), as ``attendance.sizes``.
_SIZE_UNITS = ((1_000_000_000, "GB"), (1_000_000, "MB"), (1_000, "kB"))


def file_size(size: int) -> str:
    """``size`` bytes in the largest fitting decimal unit, rounded down to one decimal
    ("15.7 MB"; "15,7 MB" in Spanish)."""
    for factor, unit in _SIZE_UNITS:
        if size >= factor:
            value = int(size * 10 // factor) / 10
            return f"{format_decimal(value, '#,##0.#', locale=current_language())} {unit}"
    return ngettext("%(num)d byte", "%(num)d bytes", size)


def register_filters(app: Flask) -> None:
    app.add_template_filter(local_time, "local_time")
    app.add_template_filter(as_written, "as_written")
    app.add_template_filter(weekday_name, "weekday_name")
    app.add_template_filter(percent, "percent")
    app.add_template_filter(number, "number")
    app.add_template_filter(decimal, "decimal")
    app.add_template_filter(file_size, "file_size")
