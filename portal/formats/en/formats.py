"""English dates and times, one format for each: "5 Dec 2026" and "5 Dec 2026, 12:15".

Django's own English formats differ between the long and the short forms ("Dec. 5, 2026,
12:15 p.m." beside "12/05/2026 12:16 p.m."), so a page that uses both shows two styles, and
"12/05" reads as 12 May to most of the world. The day-month-year order and the 24-hour clock
are those of the Chinese pages; input formats stay Django's (ISO dates are always accepted).
"""

DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j M Y, H:i"
TIME_FORMAT = "H:i"
SHORT_DATE_FORMAT = "j M Y"
SHORT_DATETIME_FORMAT = "j M Y, H:i"
MONTH_DAY_FORMAT = "j F"
YEAR_MONTH_FORMAT = "F Y"
