"""简要警情 for the demo city: varied descriptions composed from templates, seeded.

A handful of fixed sentences per category (data.DESCRIPTIONS) would let any classifier score a
meaningless 100 %. Real summaries are written by many call-takers, in many words, and categories
share most of their vocabulary: the same places, times and people, and verbs that could mean
several things (争执, 推搡, 拿走, 不见了, 受伤). So a description here is put together from

* an opening, a time, a place, a person — all shared by every category;
* the category's own core — one of several phrasings, each with synonyms; cores of related
  categories overlap on purpose (被打伤 / 被打 / 被砍伤, 被偷 / 被抢 / 被夺, 追尾 / 追尾后赔偿);
* now and then a vague core shared by a whole family of categories (与人发生冲突, 东西不见了,
  家人联系不上), which no model can place better than "one of these";
* now and then a detail that points elsewhere (对方喝了酒, 有人受了轻伤, 车堵在路上).

`narrative(code, key, seed)` is a pure function of its arguments, so the demo city is the same every
time it is built, and a benchmark can draw a different set of descriptions with another seed.
"""

import re
import zlib
from functools import cache

from anmin.demo.data import DESCRIPTIONS

OPENINGS = (
    "报警称", "报警人称", "来电称", "群众报警称", "一男子报警称", "一女子报警称", "报警人来电反映",
    "有群众反映", "", "",
)  # fmt: skip
TIMES = ("", "", "", "刚才", "今晚", "凌晨", "十分钟前", "半小时前", "今天下午", "今天上午", "昨晚", "中午", "傍晚")
PLACES = (
    "小区门口", "家中", "楼下", "饭店内", "超市门口", "十字路口", "公园里", "出租屋内", "菜市场", "学校附近",
    "工地上", "停车场", "KTV门口", "网吧里", "医院门口", "村口", "加油站旁", "商场里", "公司楼下", "路边",
    "广场上", "烧烤摊前", "小区楼道里", "宾馆里", "火车站附近", "农贸市场", "地下车库", "村委会门口",
)  # fmt: skip
PEOPLE = (
    "一名男子", "两名男子", "一名女子", "几个年轻人", "对方", "陌生人", "邻居", "朋友", "同事", "一名醉酒男子",
    "一名中年男子", "一名外地人", "司机", "老乡", "隔壁店主",
)  # fmt: skip
FAMILY = ("丈夫", "妻子", "儿子", "女儿", "父亲", "母亲", "儿媳", "哥哥", "前夫", "女婿", "老伴", "弟弟")
DETAILS = (
    "对方喝了酒", "对方有三四个人", "有人受了轻伤", "孩子在旁边哭", "已经打过一次电话", "对方骑电动车",
    "对方开一辆白色轿车", "周围很多人", "手机快没电了", "对方还拿着东西", "说话有些语无伦次", "车堵在路上",
    "对方说要报复", "家里还有老人",
)  # fmt: skip
ENDINGS = (
    "请求民警到场处理", "请民警尽快过来", "现在情绪比较激动", "对方还在现场", "对方已经离开", "具体情况说不清楚",
    "现场有人围观", "要求出警", "现在很害怕", "希望警察帮忙",
)  # fmt: skip

# Each category's cores. {p} a person, {f} a family member, {place} a place; [a|b] a choice.
CORES: dict[str, tuple[str, ...]] = {
    "0101": (
        "发现一人倒在血泊中，已经没有呼吸",
        "{p}持刀把人[捅死|杀害]了",
        "有人被杀，凶手已经跑了",
        "家里有人死亡，[怀疑|疑似]被人杀害",
        "与{p}发生冲突后对方被打死了",
    ),
    "0102": (
        "有人故意[点火|纵火]烧房子",
        "{p}往门口泼汽油点燃",
        "有人[纵火|放火]，火势不小",
        "仓库被人故意点着了",
        "{p}扬言要烧了[他家|店铺]，已经点了火",
    ),
    "0103": (
        "听到一声巨响，[疑似|好像是]爆炸",
        "{place}发生爆炸，有人受伤",
        "有人扬言要引爆煤气罐",
        "{place}炸了，玻璃都碎了",
    ),
    "0104": (
        "{p}往水[里|缸里]投放不明药物",
        "家里饭菜被人下毒，有人中毒",
        "鱼塘被人投毒，鱼大量死亡",
        "井里被人[投毒|倒了农药]",
    ),
    "0105": ("被{p}强行[侵害|性侵]", "女儿被人性侵", "被陌生男子拖进屋内强奸", "{p}对其实施[强奸|猥亵侵害]"),
    "0106": (
        "被{p}持刀抢走[手机|钱包]和现金",
        "被人抢劫，对方拿刀威胁",
        "{p}拦路抢钱，抢完骑车跑了",
        "被人打了一顿，[钱包|手机]被抢走",
        "{p}持[刀|棍子]逼其交出钱财",
    ),
    "0107": (
        "孩子被人强行带走，对方索要赎金",
        "家人被人绑走，对方打电话要钱",
        "{f}被人控制，对方要求转账赎人",
        "{f}被[几个人|陌生人]拉上车带走了",
    ),
    "0108": (
        "被{p}用刀砍伤，伤势[严重|很重]",
        "{p}持械伤人，伤者[昏迷|昏迷不醒]",
        "被人打成重伤，已送医抢救",
        "{p}捅了人，伤者流了很多血",
    ),
    "0109": (
        "被{p}打伤，[脸上|面部]出血",
        "与{p}冲突中被打伤[手臂|胳膊]",
        "被人用酒瓶砸伤头部",
        "打架[时|中]受了伤，伤口流血",
        "被{p}[踹伤|打伤]了腿，需要去医院",
    ),
    "0110": (
        "[电动车|自行车]被[偷|盗]了",
        "手机被[偷|盗]",
        "店里收银台的钱被偷",
        "放在车筐里的包被人拿走了",
        "{place}丢了钱包，怀疑被偷",
        "晾在外面的衣服被人偷走",
    ),
    "0111": (
        "家里被撬门入室，丢了现金和首饰",
        "回家发现窗户被撬，屋里被翻乱",
        "家中进了小偷，[丢了|少了]东西",
        "门锁被撬坏，屋里的[现金|金首饰]不见了",
    ),
    "0112": (
        "停在路边的[汽车|轿车]被偷了",
        "小轿车不见了，怀疑被盗",
        "停车场的货车被人开走",
        "[面包车|三轮车]被人偷开走了",
    ),
    "0113": (
        "被人以介绍工作为名骗走押金",
        "买了假保健品被骗",
        "被人以借钱为由骗走现金",
        "被{p}以中奖为由骗了钱",
        "被{p}骗走[几千块|一万多元]",
    ),
    "0114": (
        "接到冒充客服的电话被骗转账",
        "网上刷单被骗[了好几次|转账多次]",
        "被冒充公检法的人骗走存款",
        "网上投资理财被骗",
        "[微信|网上]认识的人让其转账后联系不上",
    ),
    "0115": ("走路时挎包被骑车人抢走", "手机被人一把夺走跑了", "金项链被人从脖子上拽走", "包被{p}抢[走|夺]后逃跑"),
    "0116": ("出租屋内有人吸毒", "{place}有人疑似贩卖毒品", "发现有人在车里吸食冰毒", "{p}[吸毒|贩毒]，屋里有针管"),
    "0119": ("有人伪造证件", "有人在网上散布其隐私敲诈", "{p}威胁要报复其家人", "发现有人非法持有枪支"),
    "0201": (
        "与{p}发生争执后被打了一拳",
        "被{p}[殴打|打了]",
        "因琐事被{p}推搡殴打",
        "被{p}打了几巴掌",
        "{p}动手打人",
        "与{p}[吵架|争吵]后被对方打了",
    ),
    "0202": (
        "两伙人[互殴|打起来了]，约十余人",
        "一群人拿着棍棒打群架",
        "{place}几十人聚集斗殴",
        "两帮人持械[斗殴|互殴]",
    ),
    "0203": ("棋牌室内有人聚众赌博", "{place}有人打麻将赌钱", "有人开设赌场", "{p}在屋里[赌博|推牌九]，赌资很大"),
    "0204": ("有人在医院大声喧哗闹事", "{p}在商场扰乱秩序", "有人在车站拦车扰乱秩序", "{p}在[政府|银行]门口闹事"),
    "0205": (
        "有人无故追逐拦截他人",
        "{p}随意殴打路人、起哄闹事",
        "几个年轻人强拿硬要、辱骂路人",
        "{p}[拦路|故意]挑衅滋事",
    ),
    "0206": (
        "楼上深夜装修噪音扰民",
        "广场舞音响声音太大",
        "KTV噪音太大影响休息",
        "邻居家狗一直叫，[太吵了|吵得睡不着]",
        "{place}[音响|喇叭]声音太大扰民",
    ),
    "0207": ("有醉酒男子在路边砸车", "{p}喝多了在饭店闹事", "醉汉在{place}撒酒疯", "{p}[酒后|醉酒]滋事，砸东西"),
    "0209": ("有人乱停车堵塞消防通道", "有人在楼道焚烧杂物", "有人偷拍他人", "有人在网上发布谣言"),
    "0301": (
        "两车相撞，有人受伤",
        "电动车与轿车相撞，骑车人受伤倒地",
        "行人被车撞倒，腿部流血",
        "车祸，[有人|一人]受伤流血",
    ),
    "0302": (
        "两车剐蹭，无人受伤",
        "车辆追尾，双方对责任有争议",
        "倒车时碰到路边停放车辆",
        "[轿车|货车]撞上护栏，车损了，人没事",
    ),
    "0303": ("路口车辆拥堵严重", "信号灯坏了，路口堵车", "学校门口接送车辆堵塞道路", "[高速口|桥上]堵了很长时间"),
    "0304": ("有车辆占用应急车道", "有货车违规停放挡住视线", "有人开车逆行", "有车辆乱停在路口"),
    "0305": ("前方车辆行驶不稳，疑似酒驾", "{p}喝完酒开车走了", "有人醉酒驾驶", "{p}酒后[驾车|开车]"),
    "0401": ("居民楼冒出浓烟，[疑似|好像]着火", "路边车辆自燃", "{place}着火了，火势很大", "厨房起火"),
    "0402": (
        "楼道内电动车充电存在隐患",
        "有人焚烧秸秆",
        "{place}私拉电线，担心着火",
        "{place}堆放[易燃物|煤气罐]，有隐患",
    ),
    "0501": (
        "家中老人走失",
        "孩子在商场走丢了",
        "{f}外出未归，电话联系不上",
        "患有老年痴呆的{f}走失",
        "{f}[一直没回家|找不到了]",
    ),
    "0502": ("有人欲跳楼轻生", "路边有人晕倒", "有人被困电梯", "有人落水", "{p}[想不开|要自杀]"),
    "0503": (
        "独居老人多日未出门",
        "残疾人在路边需要帮助",
        "孤寡老人生病无人照顾",
        "{place}有[流浪老人|残疾人]需要救助",
    ),
    "0509": (
        "钥匙锁在车内",
        "手机遗失在出租车上",
        "捡到一个钱包",
        "车被别人的车堵住出不去",
        "家里门打不开",
        "[身份证|包]丢了，想找回来",
    ),
    "0601": (
        "与{f}吵架，情绪激动",
        "夫妻吵架，对方摔砸东西",
        "与{f}因赡养老人发生争执",
        "与{f}因家务琐事发生口角，被推搡",
        "{f}[喝醉|发脾气]后在家吵闹",
    ),
    "0602": (
        "与邻居因漏水发生纠纷",
        "与邻居因停车位发生争执",
        "邻居在楼道堆放杂物引发争执",
        "与邻居因宅基地吵了起来",
        "与邻居因[装修|种树]闹矛盾",
    ),
    "0603": (
        "对方欠款不还",
        "商家拒不退款",
        "与房东因押金发生纠纷",
        "与{p}因货款发生争执",
        "{p}借钱不还，[要账|催款]时吵了起来",
    ),
    "0604": ("老板拖欠工资", "公司拒发加班费，多名员工聚集", "工地包工头不给结工钱", "[厂里|饭店]欠了几个月工资不给"),
    "0605": (
        "剐蹭后对方拒绝赔偿",
        "停车场收费发生纠纷",
        "与出租车司机因车费发生争执",
        "追尾后双方因赔偿吵了起来",
        "车被碰了，与{p}[协商|谈]赔偿谈不拢",
    ),
    "0701": ("有人出售假币", "某处有人非法集资", "发现有人收购银行卡", "{place}有人贩卖假烟"),
    "0702": ("洗浴中心存在卖淫嫖娼", "出租屋内有人赌博", "足疗店有色情服务", "{place}[宾馆|发廊]有人招嫖"),
    "0801": ("咨询户口迁移需要的材料", "咨询身份证补办", "咨询交通违法处理流程", "询问如何办理居住证"),
    "0802": ("路上井盖缺失", "流浪犬在小区内伤人", "路灯坏了", "有人在路边摆摊占道"),
}

#: Vague cores shared by a family of categories: what a caller says before the call-taker asks more.
VAGUE: tuple[tuple[frozenset[str], tuple[str, ...]], ...] = (
    (
        frozenset({"0109", "0201", "0205", "0207", "0601", "0602"}),
        ("与{p}发生冲突", "与人起了争执，对方动了手", "有人在{place}[推搡|拉扯]", "和{p}闹起来了"),
    ),
    (
        frozenset({"0601", "0602", "0603", "0604", "0605"}),
        ("与{p}发生纠纷，双方争执不下", "因琐事吵了起来", "[双方|两家]发生口角，需要调解"),
    ),
    (
        frozenset({"0110", "0111", "0112", "0115", "0106", "0509"}),
        ("东西不见了，怀疑被人拿走", "丢了东西，[着急|找不到]", "{place}的东西被人拿了"),
    ),
    (frozenset({"0501", "0502", "0503", "0509"}), ("需要帮助", "家人联系不上，很着急", "{place}有人需要帮助")),
    (frozenset({"0301", "0302", "0303", "0304", "0605"}), ("路口出了点事，车堵着", "{place}车出事了", "和车有关的事")),
    (frozenset({"0113", "0114", "0603"}), ("被人骗了钱", "钱要不回来了", "转了钱，对方不认了")),
    (frozenset({"0204", "0206", "0209", "0802"}), ("有人在{place}吵闹，影响休息", "{place}很乱，没人管", "有人扰民")),
    (frozenset({"0102", "0401", "0402"}), ("{place}冒烟了", "闻到烧焦的味道", "{place}有火光")),
)
#: How often a description is only vague, or carries a detail that could point elsewhere.
VAGUE_SHARE = 0.12
DETAIL_SHARE = 0.35
#: The fixed sentences of data.DESCRIPTIONS are one more core now and then, without their opening.
FIXED_SHARE = 0.1

_PIECE = re.compile(r"\[([^\]]*)\]|\{(p|f|place)\}")
_OPENING = re.compile(r"^(报警称|举报)")
_SLOTS = {"p": PEOPLE, "f": FAMILY, "place": PLACES}
_MASK = (1 << 64) - 1

Template = tuple[str | tuple[str, ...], ...]


def _compile(template: str) -> Template:
    """A template as its pieces: text, or a tuple to choose one from ([a|b] or a slot)."""
    pieces: list[str | tuple[str, ...]] = []
    at = 0
    for m in _PIECE.finditer(template):
        pieces.append(template[at : m.start()])
        pieces.append(tuple(m.group(1).split("|")) if m.group(1) is not None else _SLOTS[m.group(2)])
        at = m.end()
    pieces.append(template[at:])
    return tuple(p for p in pieces if p)


class _Draws:
    """SplitMix64: a few random draws from one 64-bit seed. A random.Random per description costs
    5 µs to seed, which the archive's hundreds of thousands of descriptions would feel."""

    def __init__(self, seed: int):
        self.state = seed & _MASK

    def next(self) -> int:
        self.state = (self.state + 0x9E3779B97F4A7C15) & _MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
        return z ^ (z >> 31)

    def random(self) -> float:
        return (self.next() >> 11) / 9007199254740992  # 2**53

    def choice(self, items):
        return items[self.next() % len(items)]


@cache
def _cores(code: str) -> tuple[tuple[Template, ...], tuple[Template, ...], tuple[Template, ...]]:
    """The category's own cores, its vague cores, its fixed sentences — compiled once."""
    own = tuple(_compile(t) for t in CORES.get(code, ("需要警察帮助",)))
    vague = tuple(_compile(t) for codes, cores in VAGUE if code in codes for t in cores)
    fixed = tuple(_compile(_OPENING.sub("", t)) for t in DESCRIPTIONS.get(code, ()))
    return own, vague, fixed


def _fill(template: Template, draws: _Draws) -> str:
    return "".join(p if isinstance(p, str) else draws.choice(p) for p in template)


def narrative(code: str, key: int | str, seed: int = 0) -> str:
    """A 110 summary for a call of category `code`; the same (code, key, seed), the same text."""
    number = zlib.crc32(key.encode()) if isinstance(key, str) else int(key)
    draws = _Draws(zlib.crc32(code.encode()) * 0x100000001B3 ^ number * 1_000_003 ^ seed * 0x2545F4914F6CDD1D)
    own, vague, fixed = _cores(code)
    roll = draws.random()
    if vague and roll < VAGUE_SHARE:
        core = draws.choice(vague)
    elif fixed and roll > 1 - FIXED_SHARE:
        core = draws.choice(fixed)
    else:
        core = draws.choice(own)
    when = draws.choice(TIMES)
    where = "" if (PLACES in core or draws.random() < 0.3) else "在" + draws.choice(PLACES)
    parts = [draws.choice(OPENINGS) + when + where + _fill(core, draws)]
    if draws.random() < DETAIL_SHARE:
        parts.append(draws.choice(DETAILS))
    if draws.random() < 0.5:
        parts.append(draws.choice(ENDINGS))
    return "，".join(parts) + ("。" if draws.random() < 0.5 else "")
