"""The report mix: which sources and categories come in, by band of the day and by season."""

from __future__ import annotations

from civicgrid.domain.case_types import Source
from civicgrid.domain.catalogue import Category, CategoryKind

SOURCES = (Source.WEB, Source.HOTLINE, Source.PATROL, Source.OPEN311, Source.ENTERPRISE)
# Per band (day 07-18, evening 18-23, night): grid workers patrol and firms call in office hours.
SOURCE_WEIGHTS = {"day": (33, 37, 19, 5, 7), "evening": (45, 50, 1, 5, 1), "night": (35, 60, 0.5, 4, 0.5)}

# Relative frequency of each category (1.0 unless listed): the 12345 staples come up again and again.
_FREQUENT = {
    "H0201": 12, "H0301": 9, "E0101": 7, "E0502": 6, "E0503": 6, "E0501": 5, "H0101": 4, "H0105": 4,
    "E0301": 4, "E0602": 4, "C0303": 3, "H0103": 3, "H0305": 3, "C0104": 3, "C0205": 3, "H0401": 3,
    "H0203": 3, "H0202": 3, "E0103": 3, "E0201": 3, "E0504": 3, "E0605": 2, "H0404": 2, "H0508": 2,
    "H0106": 2, "H0604": 2, "H0601": 2, "H0603": 2, "H0501": 1.5, "E0406": 1, "H0503": 1,
    "E0407": 0.6, "E0402": 0.3, "E0409": 0.3, "H0511": 0.3, "E0408": 0.15, "E0401": 0.1, "E0404": 0.1,
    "E0403": 0.08, "H0510": 0.05,
}  # fmt: skip
_WINTER, _SUMMER = (11, 12, 1, 2, 3), (6, 7, 8)
# (months, factor in them, factor elsewhere): heating, snow and flooding follow the weather.
_SEASONS = {
    "H0105": (_WINTER, 5.0, 0.1), "E0404": (_WINTER, 4.0, 0.3), "E0407": ((12, 1, 2), 6.0, 0.0),
    "E0406": (_SUMMER, 6.0, 0.3), "H0511": (_SUMMER, 6.0, 0.2), "E0405": (_SUMMER, 2.0, 1.0),
    "C0102": (_SUMMER, 2.0, 1.0), "H0301": (_SUMMER, 1.6, 1.0), "E0106": (_SUMMER, 3.0, 0.5),
    "H0408": (_SUMMER, 2.0, 1.0), "H0103": (_SUMMER, 1.8, 1.0), "H0101": (_SUMMER, 1.5, 1.0),
    "H0404": ((5, 6, 7, 8), 3.0, 0.5), "H0401": ((12, 1), 3.0, 1.0), "E0104": ((4, 10, 11), 2.5, 1.0),
    "C0401": ((4, 5, 7, 8), 2.0, 1.0), "E0302": ((3, 4, 5), 2.0, 1.0),
}  # fmt: skip
# (day, evening, night) factors: noise and barbecues are evening matters, offices close at night.
_BANDS = {"H0301": (1.0, 3.0, 2.5), "E0301": (1.0, 2.0, 3.0), "E0106": (0.5, 3.0, 1.5),
          "H0305": (1.0, 1.5, 0.5), "H0501": (1.0, 1.5, 2.0)}  # fmt: skip
_OFFICE = (1.0, 0.4, 0.1)
_OFFICE_MAJORS = frozenset({"H04", "E06"})
_PATROL_MAJORS = frozenset({"E01", "E02", "E03", "E05"})
_PATROL_CODES = frozenset({"H0202", "H0204", "H0305", "H0506", "H0507", "H0508", "H0509", "E0406", "E0407"})
_ENTERPRISE_MAJORS = frozenset({"E06", "H01"})
_ENTERPRISE_CODES = frozenset({"H0401", "H0402", "H0403", "H0505", "H0206", "H0302", "H0306", "H0506"})
# Matters about one person, not a place: nobody nearby reports them again.
PERSONAL = frozenset({"H0401", "H0402", "H0403", "H0404", "H0405", "H0407", "H0410", "H0411", "E0602",
                      "E0605", "H0503", "H0505", "H0602", "H0502"})  # fmt: skip


def category_fits(category: Category, group: str) -> bool:
    if group == "patrol":
        return (
            category.kind is CategoryKind.COMPONENT
            or category.major in _PATROL_MAJORS
            or (category.code in _PATROL_CODES)
        )
    if group == "firm":
        return category.major in _ENTERPRISE_MAJORS or category.code in _ENTERPRISE_CODES
    return True


def category_weight(category: Category, month: int, band: str) -> float:
    weight = float(_FREQUENT.get(category.code, 1.0))
    season = _SEASONS.get(category.code)
    if season is not None:
        months, inside, outside = season
        weight *= inside if month in months else outside
    bands = _BANDS.get(category.code, _OFFICE if category.major in _OFFICE_MAJORS else (1.0, 1.0, 1.0))
    return weight * bands[("day", "evening", "night").index(band)]
