"""Chinese text for simulated cases: places, reports in residents' words, and the staff's notes.

A report is assembled from interchangeable parts (where, when, what, why it matters, what is asked),
with the problem taken from the category's own keywords, so a text classifier meets varied wording and
the ambiguity real reports have (盲道 belongs to two categories) rather than one fixed sentence each.
Place names are invented per community and stable for a seed, so re-reports of one problem name the
same estate and road in other words.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from civicgrid.demo import people
from civicgrid.domain.catalogue import Category, CategoryKind, Datatype


def _words(text: str) -> tuple[str, ...]:
    """Phrase lists are written space-separated: Chinese phrases hold no spaces, and it keeps them short."""
    return tuple(text.split())


_STEMS = _words(
    "金桂 银杏 文昌 瑞祥 阳光 幸福 和平 光明 富康 花园 紫荆 玉兰 枫林 海棠 青年 育才 振兴 永安 宏达 凤凰"
)
_ESTATE_KINDS = _words("小区 花园 家园 新村 苑 嘉园 公寓 名都")
_ROAD_KINDS = _words("路 街 大道 南路 北路")
_LANDMARKS = _words("菜市场 超市 小学 幼儿园 卫生服务站 公园 广场 公交站 加油站 农贸市场")
_SPOTS = _words("东门 西门 南门 北门 门口 对面 附近 旁边 路口 停车场 大门外")
_IN_ESTATE = _words("楼下 单元门口 楼后 楼前空地 旁边的小路上 东侧 西侧")
_IN_VILLAGE = _words("门前 院外 屋后 附近")


@dataclass(frozen=True)
class Place:
    """Where a report says the problem is: an estate (or village quarter), its road and a landmark."""

    community: str
    estate: str
    road: str
    landmark: str
    village: bool = False

    def phrase(self, rng: random.Random) -> str:
        """A way a resident would name this spot; varies between reports of the same place."""
        roll = rng.random()
        if roll < 0.45 and self.village:
            return f"{self.estate}{rng.randint(1, 120)}号{rng.choice(_IN_VILLAGE)}"
        if roll < 0.45:
            return f"{self.estate}{rng.randint(1, 32)}号楼{rng.choice(_IN_ESTATE)}"
        if roll < 0.65:
            return f"{self.estate}{rng.choice(_SPOTS)}"
        if roll < 0.85:
            return f"{self.road}{self.landmark}{rng.choice(_SPOTS)}"
        return f"{self.road}{rng.randint(1, 299)}号{rng.choice(('门前', '附近', '路段'))}"

    def address(self) -> str:
        """The address field: community, road and estate."""
        return f"{self.community}{self.road}{self.estate}"


def places_for(community_code: str, community_name: str, seed: int, estates: int = 6) -> list[Place]:
    """The invented estates of one community, the same for the same code, name and seed."""
    rng = random.Random(f"{seed}:{community_code}")
    stem = community_name.removesuffix("社区").removesuffix("村") or rng.choice(_STEMS)
    village = community_name.endswith("村")
    roads = [f"{rng.choice(_STEMS)}{rng.choice(_ROAD_KINDS)}" for _ in range(3)]
    found = []
    for i in range(estates):
        if village:
            estate = (
                community_name if i == 0 else f"{community_name}{rng.choice('东西南北前后')}{'街队'[i % 2]}"
            )
        else:
            estate = f"{stem if i == 0 else rng.choice(_STEMS)}{rng.choice(_ESTATE_KINDS)}"
        landmark = f"{rng.choice((stem, *_STEMS))}{rng.choice(_LANDMARKS)}"
        found.append(Place(community_name or f"{stem}社区", estate, roads[i % 3], landmark, village))
    return found


# Problem words: a keyword that already names a fault is used as it is; a bare noun gets a fault.
_FAULT_MARKS = _words(
    "了 坏 缺 破 松 不 歪 倒了 倒塌 脱 堵 漏 没 无 乱 违 偷 噪 吵 臭 扰 占 被 积 塌 泄 爆 冒 "
    "困 欠 拖 停 断 跑 纠 污 烧 差 慢 压低 温低 很多 坠 脏 黄 浑 味 拉 斜 闪 下沉 外溢 隐患 异响 过期 堆"
)
_FAULTS = {
    CategoryKind.COMPONENT: _words("坏了 损坏了 出了问题 有故障 破损严重 坏了好几天"),
    CategoryKind.EVENT: _words("的问题 问题 问题很突出 问题一直没解决 问题比较严重"),
}
# The staples of the hotline, in the words callers use, beside the catalogue's keywords.
_EXTRA = {
    "H0201": _words(
        "物业收费不合理 物业不管小区卫生 门禁坏了物业一直不修 物业私自涨停车费 物业人员态度恶劣 "
        "小区路灯坏了物业不管 物业不公示维修基金使用情况"
    ),
    "H0301": _words(
        "楼上装修从早吵到晚 广场舞音响声音太大 楼下商铺喇叭循环播放 邻居家半夜大声喧哗 KTV唱到凌晨"
    ),
    "E0502": _words("门口商户把货摆到人行道上 饭店在门外摆桌子 水果店占用人行道摆摊 修车铺在路边经营"),
    "E0501": _words("路边有人摆地摊卖菜 流动摊贩堵在路口 三轮车卖水果占道"),
    "E0101": _words("垃圾堆在路边好几天没人清运 绿化带里全是垃圾 垃圾满地苍蝇很多"),
    "E0503": _words("车辆长期停在人行道上 有车堵住了小区出入口 一辆车停在消防通道好几天"),
    "C0303": _words("垃圾站太臭了 垃圾房满了没人清运 大件垃圾堆在垃圾站旁边"),
    "H0105": _words("家里暖气不热室温只有十几度 供暖以后暖气一直是凉的 整栋楼暖气都不热"),
    "H0101": _words("家里突然停水没有通知 高层水压太低用不了 一直停水到现在还没来"),
    "E0406": _words("下雨后路面积水很深车辆熄火 桥下积水过不去 小区门口积水半米深"),
    "E0403": _words("楼道里闻到很大的燃气味 厨房有煤气味怀疑漏气 路边燃气管道被挖破了"),
    "H0401": _words("公司拖欠工资三个月不发 工地老板拖欠农民工工资 辞职后公司一直不结工资"),
    "E0301": _words("工地晚上十点以后还在施工 半夜打桩声音很大 工地机器声吵得睡不着"),
    "H0305": _words("饭店油烟直接排到居民楼 烧烤店油烟呛人 楼下餐馆排烟口正对窗户"),
    "C0104": _words("整条路的路灯都不亮 路灯白天一直亮着 路灯坏了晚上黑漆漆的"),
    "C0205": _words("路面有个大坑 人行道地砖松动踩上去溅水 路面塌了一块很危险"),
}
_IMPACT = {
    CategoryKind.COMPONENT: _words(
        "行人经过很危险 晚上看不清容易摔倒 已经好几天了没人修 老人孩子路过很不安全 "
        "车辆经过都得绕行 存在安全隐患"
    ),
    CategoryKind.EVENT: _words(
        "严重影响居民正常生活 附近居民意见很大 已经持续很长时间了 多次反映都没有解决 周边居民都很困扰 "
        "给大家带来很大不便"
    ),
}
# Why it matters, for groups of categories where the general words would ring false.
_IMPACT_OF = {
    ("H0301", "E0301", "H0302", "E0106"): _words("影响休息 晚上根本睡不着 家里老人孩子都休息不好"),
    ("H0303", "H0305", "E0104", "H0304", "E0101", "C0303"): _words("味道很大，窗户都不敢开 呛得人喘不过气"),
    ("E0502", "E0501", "E0503", "E0504", "E0103", "H0507"): _words("行人只能走到机动车道上 出行很不方便"),
    ("H0101", "H0102", "H0103", "H0104", "H0105", "H0106"): _words(
        "家里老人孩子没法正常生活 生活受到很大影响"
    ),
    ("H0401", "H0402", "E0602", "E0605", "E0604", "H0503"): _words(
        "合法权益受到侵害 多次协商无果 找了好几次都推脱"
    ),
}
_URGENT_IMPACT = _words("情况很紧急 现场很危险 随时可能出事 请马上派人到现场看看")
_WHEN = {
    "day": _words("今天上午 今天下午 刚才 中午"),
    "evening": _words("今天晚上 每天晚上 傍晚 晚上"),
    "night": _words("现在 半夜 凌晨 深夜"),
    "any": _words("最近 这几天 近期 一个多星期了 从上个月开始 这段时间 连续几天"),
}
_ASK = _words(
    "请尽快处理 希望有关部门管一管 请相关部门尽快核实处理 麻烦派人来看看 希望尽快解决 请给予答复 请协调解决"
)
_ASK_REPAIR = _words("请尽快派人维修 请尽快修复 希望尽快更换")
_OPENERS = {
    "hotline": _words("市民来电反映： 来电人反映： 市民来电称，"),
    "patrol": _words("网格员巡查发现： 巡查发现"),
}
_PERSONAL_OPENERS = ("", *_words("反映 投诉 我要反映 本人反映 最近 近期"))
_PATROL_DONE = {
    CategoryKind.COMPONENT: _words("已拍照上报 需相关部门维修 已设置临时警示"),
    CategoryKind.EVENT: _words("已拍照取证 已现场劝导 需相关部门处置 劝导无效，提请处置"),
}
_COMPANIES = _words("科技有限公司 商贸有限公司 建材有限公司 食品有限公司 物流有限公司 机械制造有限公司")


def problem(rng: random.Random, category: Category) -> str:
    """What is wrong, in the category's words."""
    extra = _EXTRA.get(category.code, ())
    if extra and rng.random() < 0.45:
        return rng.choice(extra)
    word = rng.choice(category.keywords_zh) if rng.random() < 0.9 else category.name_zh
    if any(mark in word for mark in _FAULT_MARKS):
        return word
    return word + rng.choice(_FAULTS[category.kind])


def describe(
    rng: random.Random,
    category: Category,
    place: Place,
    *,
    band: str,
    source: str,
    urgent: bool,
    personal: bool = False,
) -> str:
    """A report as a resident writes it, a 12345 operator records it, or a grid worker files it."""
    where, what = place.phrase(rng), problem(rng, category)
    when = rng.choice(_WHEN[band] if rng.random() < 0.5 else _WHEN["any"])
    impacts = next((v for k, v in _IMPACT_OF.items() if category.code in k), None)
    alarm = urgent and not personal and rng.random() < (0.3 if impacts else 0.7)
    impact = rng.choice(_URGENT_IMPACT if alarm else impacts or _IMPACT[category.kind])
    repair = category.kind is CategoryKind.COMPONENT and rng.random() < 0.4
    ask = rng.choice(_ASK_REPAIR if repair else _ASK)
    if source == "patrol":
        return f"{rng.choice(_OPENERS['patrol'])}{where}{what}，{rng.choice(_PATROL_DONE[category.kind])}。"
    form = rng.randrange(5)
    if personal:  # about an employer, a shop or an office, not a spot on the map
        body = f"{rng.choice(_PERSONAL_OPENERS)}{what}，{impact}，{ask}。"
    elif form == 0:
        body = f"{where}{what}，{impact}，{ask}。"
    elif form == 1:
        body = f"{when}{where}{what}，{impact}。{ask}。"
    elif form == 2:
        body = f"反映{where}{what}，{rng.choice(_WHEN['any'])}一直这样，{ask}。"
    elif form == 3:
        body = (
            f"{'其' if source == 'hotline' else '本人'}住在{place.estate}，{where}{what}，{impact}，{ask}。"
        )
    else:
        body = f"{what}！地点：{where}。{impact}，{ask}。"
    if source == "hotline":
        return rng.choice(_OPENERS["hotline"]) + body
    if source == "enterprise":
        return f"{rng.choice(_STEMS)}{rng.choice(_COMPANIES)}反映：{body}"
    return body


def answers(rng: random.Random, category: Category) -> dict[str, object]:
    """Answers to the category's Open311 questions: every required one, and optional choices half the time."""
    found: dict[str, object] = {}
    for attr in category.attributes:
        if attr.datatype is Datatype.SINGLEVALUELIST and (attr.required or rng.random() < 0.5):
            found[attr.code] = rng.choice(attr.values).key
        elif attr.datatype is Datatype.MULTIVALUELIST and (attr.required or rng.random() < 0.5):
            found[attr.code] = sorted(v.key for v in rng.sample(attr.values, min(2, len(attr.values))))
        elif attr.required:  # a merchant or an employer: the only free-text questions that must be answered
            found[attr.code] = f"{rng.choice(_STEMS)}{rng.choice(_COMPANIES)}"
    return found


def person_name(rng: random.Random, formal: bool = True) -> str:
    """A Chinese name; a caller who gives only a surname is recorded as 王先生 or 李女士."""
    name = people.random_name(rng)  # the demo people's name model, so residents and staff look alike
    return name if formal else name[0] + rng.choice(("先生", "女士"))


def mobile(rng: random.Random) -> str:
    """A mainland mobile number in a segment operators really issue."""
    return rng.choice(people.PHONE_PREFIXES) + f"{rng.randrange(100_000_000):08d}"


# -- the staff's notes -------------------------------------------------------------------------------

NOTES = {
    "reject": _words(
        "不属于本区管辖范围，已告知来电人向属地反映 诉求内容不清且无法联系诉求人核实 "
        "属于司法程序处理事项，已告知通过法律途径解决 咨询类问题，已当场答复"
    ),
    "return": _words(
        "经核实不属于本单位职责 地址不在本网格范围内 该事项应由产权单位负责 派遣部门有误，请重新派遣"
    ),
    "extension": _words(
        "需协调多个部门联合处置 涉及维修资金申请，审批需要时间 需等待材料到货后施工 需要委托第三方检测"
    ),
    "suspension": _words(
        "等待天气好转后施工 已进入司法程序，等待法院判决 需待上级部门政策明确 涉及产权纠纷，等待确权"
    ),
    "rework": _words("经回访核实问题仍未解决 现场照片与诉求不符，请重新处置 处置不彻底，请返工"),
    "escalate": _words("涉及多个部门，网格内无法解决 问题复杂，需社区协调 需街道吹哨、部门报到联合处置"),
    "supervise": _words(
        "该件即将超期，请加快办理并及时反馈 群众多次来电催办，请高度重视 请于规定时间内反馈办理进展"
    ),
    "comment": _words("已联系诉求人，约定上门查看 已到现场初步核实 已协调物业配合处置 正在联系相关责任单位"),
    "reopen": _words("市民对处理结果不满意，要求重新办理 回访不满意，问题未实际解决，重办"),
    "invalid_callback": _words("电话无人接听 号码停机 市民拒绝回访 多次拨打均未接通"),
    "satisfied": _words("市民对处理结果表示满意 问题已解决，感谢 处理及时，很满意"),
    "basically_satisfied": _words("基本解决，希望长效管理 问题基本解决，但处理速度有点慢"),
    "unsatisfied": _words("问题仍然存在 处理速度太慢，问题没有实际解决 只是口头答复，没有实际处理"),
}
_DONE = {
    "chengguan": _words("已责令当事人整改，现已清理完毕 已安排环卫人员清运 已更换损坏设施 已依法拆除"),
    "police": _words("已出警处置，现场秩序恢复正常 已对当事人进行批评教育 已联系车主挪车"),
    "housing": _words("已督促物业整改到位 已协调施工单位修复 已安排专业人员检测，无安全隐患"),
    "market": _words("已约谈商户，双方达成和解 已现场检查并责令整改 已立案调查"),
    "environment": _words("已现场监测，督促企业整改 已责令停止排放"),
    "hrss": _words("已协调企业支付拖欠工资 已向诉求人解释相关政策"),
}
_DONE_ANY = _words(
    "已到现场处置完毕 问题已解决，已回复诉求人 已协调相关单位处理完毕 已向诉求人做好解释工作 "
    "已派维修人员修复，现已恢复正常"
)


def note(rng: random.Random, kind: str) -> str:
    """A note for one kind of step: reject, return, extension, suspension, rework, escalate, ..."""
    return rng.choice(NOTES[kind])


def report_note(rng: random.Random, org_code: str) -> str:
    """What the handling unit reports back."""
    done = _DONE.get(org_code, ())
    return rng.choice(done if done and rng.random() < 0.6 else _DONE_ANY)
