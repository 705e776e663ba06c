"""The reference data every deployment starts with: organisations and the category catalogue.

Categories follow GB/T 30428 (部件 components and 事件 events, each a 大类 major class holding 小类 leaf
classes) extended with the common themes of the 12345 hotline. The data lives in ``civicgrid/data/*.json``
so a deployment can review and adapt it without touching code; reading it needs only the stdlib.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Any, TypeVar

from civicgrid.domain.errors import N_, DomainError, NotFound


class Urgency(StrEnum):
    NORMAL = "normal"
    URGENT = "urgent"
    EMERGENCY = "emergency"


class LimitClass(StrEnum):
    """Default time limit: emergency 2 h and utility 24 h natural; ordinary 7 and complex 15 working days."""

    EMERGENCY = "emergency"
    UTILITY = "utility"
    ORDINARY = "ordinary"
    COMPLEX = "complex"


class OrgKind(StrEnum):
    DEPARTMENT = "department"
    UTILITY = "utility"


class CategoryKind(StrEnum):
    EVENT = "event"
    COMPONENT = "component"


class Datatype(StrEnum):
    """Open311 attribute datatypes."""

    STRING = "string"
    NUMBER = "number"
    DATETIME = "datetime"
    TEXT = "text"
    SINGLEVALUELIST = "singlevaluelist"
    MULTIVALUELIST = "multivaluelist"


LIST_DATATYPES = frozenset({Datatype.SINGLEVALUELIST, Datatype.MULTIVALUELIST})
UTILITY_KINDS = ("water", "power", "gas", "heating", "telecom")
_Coded = TypeVar("_Coded", "Organisation", "MajorCategory", "Category")


class CatalogueInvalid(DomainError):
    code = "catalogue_invalid"
    message = N_("The category catalogue is invalid: {detail}.")


class UnknownCategory(NotFound):
    code = "unknown_category"
    message = N_("Unknown category: {code}.")


class UnknownOrganisation(NotFound):
    code = "unknown_organisation"
    message = N_("Unknown organisation: {code}.")


class UnknownMajorCategory(NotFound):
    code = "unknown_major_category"
    message = N_("Unknown major category: {code}.")


@dataclass(frozen=True, slots=True)
class Organisation:
    """A functional department (职能部门) or a utility service unit (民生服务单位)."""

    code: str
    kind: OrgKind
    name_zh: str
    short_name_zh: str
    name_en: str
    short_name_en: str
    utility: str | None = None  # one of UTILITY_KINDS for a utility, None for a department


@dataclass(frozen=True, slots=True)
class AttributeValue:
    key: str
    name_zh: str
    name_en: str


@dataclass(frozen=True, slots=True)
class CategoryAttribute:
    """An Open311 service attribute: an extra question asked when a case of this category is reported."""

    code: str
    datatype: Datatype
    required: bool
    order: int
    description_zh: str
    description_en: str
    values: tuple[AttributeValue, ...] = ()


@dataclass(frozen=True, slots=True)
class MajorCategory:
    """A 大类: a group of leaf categories of one kind."""

    code: str
    name_zh: str
    name_en: str
    kind: CategoryKind


@dataclass(frozen=True, slots=True)
class Category:
    """A 小类, the unit a case is classified, routed and timed by; an Open311 service."""

    code: str
    major: str
    kind: CategoryKind
    name_zh: str
    name_en: str
    description_zh: str
    description_en: str
    keywords_zh: tuple[str, ...]
    keywords_en: tuple[str, ...]
    department: str  # code of the default organisation: a department or a utility unit
    urgency: Urgency
    limit_class: LimitClass
    anonymous_allowed: bool
    attributes: tuple[CategoryAttribute, ...] = ()

    @property
    def has_metadata(self) -> bool:
        """Whether Open311 clients must fetch a service definition (it has attributes)."""
        return bool(self.attributes)


@dataclass(frozen=True)
class Catalogue:
    """Organisations, major and leaf categories, with lookups by code and free-text search."""

    organisations: tuple[Organisation, ...]
    majors: tuple[MajorCategory, ...]
    categories: tuple[Category, ...]
    _orgs: dict[str, Organisation] = field(init=False, repr=False, compare=False)
    _majors: dict[str, MajorCategory] = field(init=False, repr=False, compare=False)
    _cats: dict[str, Category] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Lookups are built once; duplicates keep the first entry and are reported by check().
        object.__setattr__(self, "_orgs", _first_by_code(self.organisations))
        object.__setattr__(self, "_majors", _first_by_code(self.majors))
        object.__setattr__(self, "_cats", _first_by_code(self.categories))

    @property
    def departments(self) -> tuple[Organisation, ...]:
        """The functional departments, in catalogue order."""
        return tuple(o for o in self.organisations if o.kind is OrgKind.DEPARTMENT)

    @property
    def utilities(self) -> tuple[Organisation, ...]:
        """The utility service units, in catalogue order."""
        return tuple(o for o in self.organisations if o.kind is OrgKind.UTILITY)

    def organisation(self, code: str) -> Organisation:
        """The organisation with this code; UnknownOrganisation if there is none."""
        try:
            return self._orgs[code]
        except KeyError:
            raise UnknownOrganisation(code=code) from None

    def utility_unit(self, utility: str) -> Organisation:
        """The utility unit serving ``utility`` ('water', 'power', 'gas', 'heating' or 'telecom')."""
        for org in self.utilities:
            if org.utility == utility:
                return org
        raise UnknownOrganisation(code=utility)

    def major(self, code: str) -> MajorCategory:
        """The major category with this code; UnknownMajorCategory if there is none."""
        try:
            return self._majors[code]
        except KeyError:
            raise UnknownMajorCategory(code=code) from None

    def category(self, code: str) -> Category:
        """The leaf category with this code; UnknownCategory if there is none."""
        try:
            return self._cats[code]
        except KeyError:
            raise UnknownCategory(code=code) from None

    def get_category(self, code: str) -> Category | None:
        """The leaf category with this code, or None."""
        return self._cats.get(code)

    def categories_in(self, major: str) -> tuple[Category, ...]:
        """The leaf categories of one major category, in catalogue order."""
        return tuple(c for c in self.categories if c.major == major)

    def search(self, text: str) -> list[Category]:
        """Leaf categories whose names or keywords match ``text`` (Chinese or English), best first."""
        terms = _terms(text)
        if not terms:
            return []
        scored = [(sum(_score(c, t) for t in terms), c) for c in self.categories]
        ranked = sorted((sc for sc in scored if sc[0] > 0), key=lambda sc: (-sc[0], sc[1].code))
        return [c for _, c in ranked]

    def check(self) -> list[str]:
        """Problems in the data, one English line each (for maintainers and tests); empty when sound."""
        problems: list[str] = []
        for what, codes in (
            ("organisation", [o.code for o in self.organisations]),
            ("major category", [m.code for m in self.majors]),
            ("category", [c.code for c in self.categories]),
        ):
            problems += [f"duplicate {what} code {code!r}" for code, n in Counter(codes).items() if n > 1]
        for org in self.organisations:
            if (org.kind is OrgKind.UTILITY) != (org.utility in UTILITY_KINDS):
                problems.append(
                    f"organisation {org.code}: utility {org.utility!r} does not fit kind {org.kind}"
                )
        served = Counter(o.utility for o in self.utilities)
        problems += [f"utility {u!r} is served by {n} units" for u, n in served.items() if n > 1]
        for cat in self.categories:
            problems += [f"category {cat.code}: {p}" for p in self._category_problems(cat)]
        used = {c.major for c in self.categories}
        problems += [f"major category {m.code} has no categories" for m in self.majors if m.code not in used]
        return problems

    def _category_problems(self, cat: Category) -> list[str]:
        problems: list[str] = []
        major = self._majors.get(cat.major)
        if major is None:
            problems.append(f"unknown major category {cat.major!r}")
        elif major.kind is not cat.kind:
            problems.append(f"kind {cat.kind} differs from its major category's {major.kind}")
        if cat.department not in self._orgs:
            problems.append(f"unknown department {cat.department!r}")
        # An emergency that waits on a 24-hour or working-day clock would defeat the 2-hour rule.
        if cat.urgency is Urgency.EMERGENCY and cat.limit_class is not LimitClass.EMERGENCY:
            problems.append(f"emergency urgency with limit class {cat.limit_class}")
        if not cat.keywords_zh:
            problems.append("no Chinese keywords")
        codes = Counter(a.code for a in cat.attributes)
        problems += [f"duplicate attribute code {c!r}" for c, n in codes.items() if n > 1]
        orders = Counter(a.order for a in cat.attributes)
        problems += [f"attribute order {o} used {n} times" for o, n in orders.items() if n > 1]
        for attr in cat.attributes:
            problems += [f"attribute {attr.code}: {p}" for p in _attribute_problems(attr)]
        return problems


def _attribute_problems(attr: CategoryAttribute) -> list[str]:
    problems: list[str] = []
    if attr.order < 1:
        problems.append("order must be a positive integer")  # Open311 requires it
    if (attr.datatype in LIST_DATATYPES) != bool(attr.values):
        problems.append(f"datatype {attr.datatype} with {len(attr.values)} values")
    keys = Counter(v.key for v in attr.values)
    problems += [f"duplicate value key {k!r}" for k, n in keys.items() if n > 1]
    return problems


# -- search ------------------------------------------------------------------------------------------


def _terms(text: str) -> list[str]:
    # The whole phrase counts, and so does each word of it: "manhole covers" and "井盖 丢失" both work.
    phrase = " ".join(text.casefold().split())
    if not phrase:
        return []
    words = [w for w in phrase.split(" ") if len(w) >= (3 if w.isascii() else 1)]
    return [phrase, *words] if len(words) > 1 else [phrase]


def _contains(haystack: str, needle: str) -> bool:
    # English matches at word starts only, so "bus" does not find "abuse"; Chinese has no word breaks.
    if needle.isascii():
        return f" {needle}" in f" {haystack}"
    return needle in haystack


def _score(cat: Category, term: str) -> int:
    score = 0
    for name in (cat.name_zh.casefold(), cat.name_en.casefold()):
        if term == name:
            score += 100
        elif _contains(name, term):
            score += 60
        elif len(name) >= 2 and _contains(term, name):
            score += 40  # a sentence that names the category: "我家门口井盖丢了"
    for keyword in (*cat.keywords_zh, *cat.keywords_en):
        kw = keyword.casefold()
        if term == kw:
            score += 50
        elif _contains(kw, term):
            score += 20
        elif len(kw) >= 2 and _contains(term, kw):
            score += 15
    return score


# -- loading -----------------------------------------------------------------------------------------


@cache
def load_catalogue() -> Catalogue:
    """The catalogue shipped with civicgrid: ``civicgrid/data/organisations.json`` and ``categories.json``."""
    data = resources.files("civicgrid.data")
    orgs = json.loads((data / "organisations.json").read_text(encoding="utf-8"))
    cats = json.loads((data / "categories.json").read_text(encoding="utf-8"))
    return parse_catalogue(orgs, cats)


def parse_catalogue(organisations: Any, categories: Any) -> Catalogue:
    """Build a Catalogue from the decoded JSON documents; CatalogueInvalid if a field is missing or wrong."""
    try:
        return Catalogue(
            organisations=tuple(_organisation(o) for o in organisations["organisations"]),
            majors=tuple(
                MajorCategory(m["code"], m["name_zh"], m["name_en"], CategoryKind(m["kind"]))
                for m in categories["majors"]
            ),
            categories=tuple(_category(c) for c in categories["categories"]),
        )
    except KeyError as exc:
        raise CatalogueInvalid(detail=f"missing field {exc}") from exc
    except (TypeError, ValueError) as exc:
        raise CatalogueInvalid(detail=str(exc)) from exc


def _organisation(o: dict[str, Any]) -> Organisation:
    return Organisation(
        code=o["code"],
        kind=OrgKind(o["kind"]),
        name_zh=o["name_zh"],
        short_name_zh=o["short_name_zh"],
        name_en=o["name_en"],
        short_name_en=o["short_name_en"],
        utility=o.get("utility"),
    )


def category_from_dict(c: dict[str, Any]) -> Category:
    """One category from its JSON document (or a stored row with the same keys)."""
    try:
        return _category(c)
    except KeyError as exc:
        raise CatalogueInvalid(detail=f"missing field {exc}") from exc


def _category(c: dict[str, Any]) -> Category:
    return Category(
        code=c["code"],
        major=c["major"],
        kind=CategoryKind(c["kind"]),
        name_zh=c["name_zh"],
        name_en=c["name_en"],
        description_zh=c["description_zh"],
        description_en=c["description_en"],
        keywords_zh=tuple(c["keywords_zh"]),
        keywords_en=tuple(c.get("keywords_en", ())),
        department=c["department"],
        urgency=Urgency(c["urgency"]),
        limit_class=LimitClass(c["limit_class"]),
        anonymous_allowed=bool(c["anonymous_allowed"]),
        attributes=tuple(_attribute(a) for a in c.get("attributes", ())),
    )


def _attribute(a: dict[str, Any]) -> CategoryAttribute:
    return CategoryAttribute(
        code=a["code"],
        datatype=Datatype(a["datatype"]),
        required=bool(a["required"]),
        order=int(a["order"]),
        description_zh=a["description_zh"],
        description_en=a["description_en"],
        values=tuple(AttributeValue(v["key"], v["name_zh"], v["name_en"]) for v in a.get("values", ())),
    )


def _first_by_code(items: Iterable[_Coded]) -> dict[str, _Coded]:
    found: dict[str, _Coded] = {}
    for item in items:
        found.setdefault(item.code, item)
    return found
