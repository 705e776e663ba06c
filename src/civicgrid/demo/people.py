"""The demo district's grid workers: one full-time worker per grid and 1,100 professional ones.

Everything is drawn from one seeded ``random.Random``, so the same seed gives the same people, names
and phone numbers on every machine. The names and numbers are invented; any likeness is chance.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from itertools import accumulate

from civicgrid.domain.catalogue import Organisation
from civicgrid.domain.errors import DomainError
from civicgrid.i18n import N_

PROFESSIONAL_COUNT = 1100
MAX_GRIDS_PER_PROFESSIONAL = 6


class WorkerKind(StrEnum):
    FULLTIME = "fulltime"  # 专职网格员
    PROFESSIONAL = "professional"  # 专业网格员, staff of a department or a utility


class NoGridsOrOrganisations(DomainError):
    code = "demo_people_without_grids"
    message = N_("Demo workers need at least one grid and one organisation.")


@dataclass(frozen=True, slots=True)
class WorkerSpec:
    """A grid worker to create in the demo district."""

    code: str
    name: str
    phone: str
    kind: WorkerKind
    org_code: str | None  # None for a full-time worker
    grid_codes: tuple[str, ...]


# The demo district's head count per organisation, used as weights when the organisations or the total
# differ: police and urban management walk the streets, the letters-and-visits bureau mostly works from
# its office. An organisation not listed here weighs in at DEFAULT_WEIGHT.
ORG_WEIGHTS: dict[str, int] = {
    "police": 190, "chengguan": 170, "market": 95, "governance": 60, "housing": 55, "emergency": 50,
    "environment": 45, "health": 45, "civil_affairs": 40, "fire": 40, "hrss": 30, "transport": 30,
    "education": 25, "planning": 25, "water_affairs": 25, "petitions": 10,
    "power_supply": 45, "water_supply": 35, "gas_supply": 35, "heating_supply": 25, "telecom": 25,
}  # fmt: skip
DEFAULT_WEIGHT = 25

# The hundred commonest surnames with their approximate share of the population (per ten thousand).
_SURNAME_TABLE = (
    "王710 李700 张670 刘540 陈450 杨310 黄220 赵200 吴200 周190 徐130 孙130 马110 朱110 胡100 郭97 何90 "
    "高90 林90 罗86 郑80 梁70 谢60 宋60 唐60 许50 韩50 冯50 邓50 曹50 彭50 曾46 肖45 田44 董44 袁42 潘41 "
    "于40 蒋39 蔡38 余38 杜37 叶37 程36 苏35 魏35 吕34 丁33 任32 沈31 姚30 卢30 姜29 崔28 钟28 谭27 陆26 "
    "汪26 范25 金25 石24 廖23 贾23 夏22 韦22 付22 方21 白21 邹20 孟20 熊20 秦19 邱19 江19 尹18 薛17 闫17 "
    "段17 雷16 侯16 龙16 史15 陶15 黎15 贺14 顾14 毛14 郝14 龚13 邵13 万13 钱13 严12 覃12 武12 戴12 莫12 "
    "孔11 向11 汤11"
)
_SURNAMES = _SURNAME_TABLE.split()
SURNAMES = tuple(s[0] for s in _SURNAMES)
_SURNAME_CUM_WEIGHTS = tuple(accumulate(int(s[1:]) for s in _SURNAMES))
MALE_CHARS = "伟强磊军洋勇杰涛明超斌鹏辉刚健峰波宇浩凯俊帅亮建国志文华飞鑫晨博昊然轩东海林兵振雷"
FEMALE_CHARS = "芳娜敏静丽艳娟霞秀燕玲婷雪慧莹琳颖倩晶洁欣怡佳萍红梅丹蕾雯璐瑶悦琪"
# Number segments that mainland operators actually issue, so the numbers look right to a local eye.
_PHONE_SEGMENTS = (
    "130 131 132 133 134 135 136 137 138 139 147 150 151 152 153 155 156 157 158 159 "
    "166 173 175 176 177 178 180 181 182 183 184 185 186 187 188 189 191 198 199"
)
PHONE_PREFIXES = tuple(_PHONE_SEGMENTS.split())


def generate_people(
    grid_codes: Sequence[str],
    organisations: Sequence[Organisation],
    seed: int = 7,
    *,
    professional_count: int = PROFESSIONAL_COUNT,
) -> list[WorkerSpec]:
    """Full-time workers (one per grid, in grid order) then professional workers, deterministic per seed."""
    grids = list(dict.fromkeys(grid_codes))  # a repeated grid must not get two full-time workers
    if not grids or not organisations:
        raise NoGridsOrOrganisations()
    rng = random.Random(seed)
    phones: set[str] = set()
    people = [
        WorkerSpec(f"F{i:04d}", random_name(rng), _phone(rng, phones), WorkerKind.FULLTIME, None, (grid,))
        for i, grid in enumerate(grids, start=1)
    ]
    number = 0
    for org, count in zip(organisations, _shares(organisations, professional_count), strict=True):
        for patch in _patches(len(grids), count):
            number += 1
            people.append(
                WorkerSpec(
                    f"P{number:04d}",
                    random_name(rng),
                    _phone(rng, phones),
                    WorkerKind.PROFESSIONAL,
                    org.code,
                    tuple(grids[i] for i in patch),
                )
            )
    return people


def _shares(organisations: Sequence[Organisation], total: int) -> list[int]:
    """Split ``total`` by ORG_WEIGHTS with the largest-remainder method, so the parts add up exactly."""
    weights = [ORG_WEIGHTS.get(o.code, DEFAULT_WEIGHT) for o in organisations]
    exact = [total * w / sum(weights) for w in weights]
    shares = [int(x) for x in exact]
    by_remainder = sorted(range(len(exact)), key=lambda i: (shares[i] - exact[i], i))
    for i in by_remainder[: total - sum(shares)]:
        shares[i] += 1
    return shares


def _patches(grid_count: int, workers: int) -> list[range]:
    """Runs of neighbouring grid indexes, one per worker, that tile the district when they can."""
    # Grid codes come in map order, so consecutive indexes are neighbours in the same community.
    # Each worker takes an equal slice; slices longer than the cap are cut short (those departments
    # cannot cover every grid), and when workers outnumber grids several share one grid.
    if workers < 1:
        return []
    step = grid_count / workers
    patches = []
    for k in range(workers):
        start = int(k * step)
        length = min(max(int((k + 1) * step) - start, 1), MAX_GRIDS_PER_PROFESSIONAL)
        patches.append(range(start, min(start + length, grid_count)))
    return patches


def random_name(rng: random.Random) -> str:
    surname = rng.choices(SURNAMES, cum_weights=_SURNAME_CUM_WEIGHTS)[0]
    chars = MALE_CHARS if rng.random() < 0.5 else FEMALE_CHARS
    # About one in five people of working age has a single-character given name.
    if rng.random() < 0.2:
        return surname + rng.choice(chars)
    return surname + "".join(rng.sample(chars, 2))


def _phone(rng: random.Random, taken: set[str]) -> str:
    while True:
        phone = rng.choice(PHONE_PREFIXES) + f"{rng.randrange(100_000_000):08d}"
        if phone not in taken:
            taken.add(phone)
            return phone
