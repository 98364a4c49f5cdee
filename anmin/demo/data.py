"""Static facts of the demo city: branches and stations, posts, roads, places, call mix, names.

Divisions and seats follow GB/T 2260 (衡水 1311xx, seats at approximate WGS-84 centres). Each 派出所
is named after a real 乡镇/街道 and carries its statistical code (the address library's divisions
file lists them); where it sits, and the street and place names, are approximations, good enough for
a demo, not for navigation.
"""

from dataclasses import dataclass

from anmin.dispatch.models import FeedbackResult
from anmin.geo.models import AreaType
from anmin.incidents.models import IncidentClass
from anmin.org.models import Officer, Role

DEMO_PASSWORD = "anmin2026"  # noqa: S105 - the published password of the demo logins, not a secret
BUREAU_DIVISION = "131100"
BUREAU_SEAT = (37.739, 115.670)
TAOCHENG_DIVISION = "131102"
TAOCHENG_CENTRE = (37.735, 115.675)

INCIDENTS_PER_DAY = 550
BATCH = 2000
#: The city is 衡水's real county outlines; a branch with no outline in the file gets its share of the
#: convex hull of the seats grown by this many degrees (0.08° gives about Hengshui's real area).
CITY_BUFFER_DEG = 0.08
#: km per degree at the city's latitude (~37.8°N). An equirectangular distance is within 1-2 % of
#: the great circle over a 100 km city, and it is what the grid and the planner call 100,000s of times.
KM_PER_DEG_LAT = 110.95
KM_PER_DEG_LON = 87.96

# --- Static facts ------------------------------------------------------------------------------


@dataclass(frozen=True)
class StationSpec:
    """A 派出所: named after the 乡镇/街道 it serves (its statistical code in `town`, 9 digits, as in
    GB/T 2260's extension by the statistics bureau), and where it sits relative to the branch seat."""

    name: str
    bearing: float  # degrees clockwise from north
    km: float
    cars: int = 1
    urban: bool = False  # a 桃城 urban station: parent of the 城区警务站
    town: str = ""


@dataclass(frozen=True)
class BranchSpec:
    """A 分局 or 县(市)公安局 and its 派出所."""

    division: str
    name: str
    short_name: str
    region: str  # the district or county as written in an address
    lat: float
    lon: float
    stations: tuple[StationSpec, ...]
    traffic_brigade: bool = False


BRANCHES: tuple[BranchSpec, ...] = (
    BranchSpec(
        "131102",
        "衡水市公安局桃城分局",
        "桃城分局",
        "桃城区",
        *TAOCHENG_CENTRE,
        (
            StationSpec("河西", 270, 1.6, 2, True, town="131102001"),
            StationSpec("河东", 90, 2.0, 2, True, town="131102002"),
            StationSpec("中华大街", 180, 1.3, 2, True, town="131102004"),
            StationSpec("路北", 0, 1.8, 2, True, town="131102003"),
            StationSpec("高新", 300, 5.5, 2, True, town="131171400"),
            StationSpec("魏家屯", 225, 5.0, 2, True, town="131172101"),
            StationSpec("郑家河沿", 15, 9, town="131102100"),
            StationSpec("赵家圈", 55, 8, town="131102101"),
            StationSpec("邓庄", 95, 8, town="131102102"),
            StationSpec("大麻森", 135, 12, town="131171201"),
            StationSpec("何家庄", 175, 8, town="131102200"),
            StationSpec("彭杜村", 330, 10, town="131172203"),
        ),
        traffic_brigade=True,
    ),
    BranchSpec(
        "131103",
        "衡水市公安局冀州分局",
        "冀州分局",
        "冀州区",
        37.551,
        115.579,
        (
            StationSpec("冀州镇", 0, 0, 2, town="131103100"),
            StationSpec("官道李", 305, 6, town="131103102"),
            StationSpec("南午村", 200, 6, town="131103103"),
            StationSpec("周村", 160, 6, town="131103104"),
            StationSpec("码头李", 255, 5.5, town="131103105"),
            StationSpec("西王", 340, 7, town="131103106"),
        ),
        traffic_brigade=True,
    ),
    BranchSpec(
        "131121",
        "枣强县公安局",
        "枣强县局",
        "枣强县",
        37.514,
        115.724,
        (
            StationSpec("枣强镇", 0, 0, 2, town="131121100"),
            StationSpec("大营", 170, 8, town="131121102"),
            StationSpec("恩察", 60, 8, town="131121101"),
            StationSpec("嘉会", 220, 8, town="131121103"),
            StationSpec("肖张", 120, 9, town="131121105"),
        ),
    ),
    BranchSpec(
        "131122",
        "武邑县公安局",
        "武邑县局",
        "武邑县",
        37.802,
        115.887,
        (
            StationSpec("武邑镇", 0, 0, 2, town="131122100"),
            StationSpec("清凉店", 20, 9, town="131122101"),
            StationSpec("审坡", 160, 9, town="131122102"),
            StationSpec("赵桥", 100, 8, town="131122103"),
        ),
    ),
    BranchSpec(
        "131123",
        "武强县公安局",
        "武强县局",
        "武强县",
        38.041,
        115.982,
        (
            StationSpec("武强镇", 0, 0, 2, town="131123100"),
            StationSpec("街关", 55, 5.5, town="131123101"),
            StationSpec("周窝", 200, 8, town="131123102"),
            StationSpec("豆村", 290, 8, town="131123104"),
        ),
    ),
    BranchSpec(
        "131124",
        "饶阳县公安局",
        "饶阳县局",
        "饶阳县",
        38.235,
        115.726,
        (
            StationSpec("饶阳镇", 0, 0, 2, town="131124100"),
            StationSpec("大尹村", 150, 9, town="131124101"),
            StationSpec("五公", 210, 8, town="131124102"),
            StationSpec("王同岳", 100, 9, town="131124104"),
        ),
    ),
    BranchSpec(
        "131125",
        "安平县公安局",
        "安平县局",
        "安平县",
        38.234,
        115.519,
        (
            StationSpec("安平镇", 0, 0, 2, town="131125100"),
            StationSpec("马店", 200, 8, town="131125101"),
            StationSpec("南王庄", 250, 6, town="131125102"),
            StationSpec("大子文", 120, 7, town="131125103"),
        ),
    ),
    BranchSpec(
        "131126",
        "故城县公安局",
        "故城县局",
        "故城县",
        37.347,
        115.966,
        (
            StationSpec("郑口", 0, 0, 2, town="131126100"),
            StationSpec("故城镇", 80, 7, town="131126103"),
            StationSpec("青罕", 270, 8, town="131126102"),
            StationSpec("武官寨", 20, 9, town="131126104"),
            StationSpec("建国", 320, 9, town="131126107"),
        ),
    ),
    BranchSpec(
        "131127",
        "景县公安局",
        "景县局",
        "景县",
        37.692,
        116.270,
        (
            StationSpec("景州", 0, 0, 2, town="131127100"),
            StationSpec("龙华", 200, 10, town="131127101"),
            StationSpec("广川", 250, 9, town="131127102"),
            StationSpec("王瞳", 40, 6, town="131127103"),
            StationSpec("安陵", 150, 7, town="131127105"),
        ),
    ),
    BranchSpec(
        "131128",
        "阜城县公安局",
        "阜城县局",
        "阜城县",
        37.863,
        116.144,
        (
            StationSpec("阜城镇", 0, 0, 2, town="131128100"),
            StationSpec("古城", 300, 8, town="131128101"),
            StationSpec("码头", 60, 6, town="131128102"),
            StationSpec("霞口", 150, 7, town="131128103"),
        ),
    ),
    BranchSpec(
        "131182",
        "深州市公安局",
        "深州市局",
        "深州市",
        38.001,
        115.560,
        (
            StationSpec("深州镇", 0, 0, 2, town="131182101"),
            StationSpec("唐奉", 90, 8, town="131182100"),
            StationSpec("辰时", 170, 9, town="131182102"),
            StationSpec("榆科", 250, 7, town="131182103"),
            StationSpec("前磨头", 320, 8, town="131182106"),
        ),
        traffic_brigade=True,
    ),
)

#: The 32 城区警务站: four rings of eight at these radii (km) around 桃城, innermost first, each
#: ring clockwise from north (rings 2 and 4 from 22.5°), named after what lies near that point.
STREET_POST_RINGS = (1.0, 2.0, 3.5, 5.0)
STREET_POST_NAMES = (
    "人民广场", "人民公园", "哈励逊", "滏阳河", "怡然城", "育才", "老白干", "市政府",
    "大庆路", "火车站", "汽车站", "和平路", "体育中心", "自强路", "康宁街", "前进街",
    "北环路", "东明街", "桃城街", "宝云塔", "南环路", "植物园", "西环路", "衡水学院",
    "工业新区", "东外环", "复兴街", "南外环", "滨湖新区", "问津街", "高新区", "北站",
)  # fmt: skip

#: 9 路面检查站 on the outer ring, on the roads into 桃城: (name, bearing°, km).
CHECKPOINTS = (
    ("106国道北检查站", 10, 9.0),
    ("衡武路检查站", 45, 9.0),
    ("307国道东检查站", 85, 9.5),
    ("衡德路检查站", 120, 9.0),
    ("大广高速衡水南出口检查站", 160, 9.5),
    ("106国道南检查站", 195, 8.5),
    ("307国道西检查站", 265, 9.0),
    ("衡深路检查站", 300, 9.5),
    ("大广高速衡水北出口检查站", 340, 9.5),
)

#: 特警驻点 and how many SWAT teams each holds.
SWAT_POSTS = (
    ("特警支队驻地", 37.745, 115.672, 2),
    ("火车站特警驻点", 37.745, 115.697, 2),
    ("人民广场特警驻点", 37.737, 115.676, 1),
    ("衡水湖特警驻点", 37.676, 115.650, 1),
)

#: The urban street grid of 桃城 (approximate): east–west roads by latitude, north–south by longitude.
EW_ROADS = (("大庆路", 37.754), ("人民路", 37.740), ("胜利路", 37.728), ("和平路", 37.716))
NS_ROADS = (("育才街", 115.655), ("中华大街", 115.670), ("红旗大街", 115.685), ("永兴路", 115.700))
#: Traffic posts holding a second rider (the busiest of the 16 key intersections).
BUSY_INTERSECTIONS = {("人民路", "中华大街"), ("人民路", "红旗大街"), ("胜利路", "中华大街"), ("胜利路", "永兴路")}

#: 巡线 of the 巡警支队: name and polyline [(lat, lon), …].
PATROL_LINES = (
    ("人民路巡线", ((37.740, 115.635), (37.740, 115.660), (37.740, 115.685), (37.741, 115.715))),
    ("胜利路巡线", ((37.728, 115.640), (37.728, 115.665), (37.727, 115.690), (37.727, 115.712))),
    ("大庆路巡线", ((37.754, 115.640), (37.754, 115.670), (37.754, 115.700))),
    ("中华大街巡线", ((37.770, 115.670), (37.750, 115.670), (37.728, 115.670), (37.705, 115.671))),
    ("红旗大街巡线", ((37.765, 115.685), (37.740, 115.685), (37.716, 115.686), (37.700, 115.688))),
    ("滏阳河沿线巡线", ((37.758, 115.660), (37.745, 115.678), (37.730, 115.693), (37.712, 115.706))),
)

PATROL_CARS_ON_LINES = 21  # plus one at each of the 9 checkpoints: 30 patrol cars

URBAN_STREETS = (
    "人民路", "胜利路", "和平路", "大庆路", "中华大街", "红旗大街", "育才街", "永兴路", "新华路",
    "前进街", "榕花街", "自强路", "站前路", "滏阳路", "康宁街", "光华路", "问津街", "复兴街",
)  # fmt: skip
COUNTY_STREETS = (
    "建设路", "解放路", "团结路", "光明街", "文化路", "振兴街", "朝阳路", "府前街", "迎宾大道",
    "长安路", "育英街", "幸福路",
)  # fmt: skip

#: Places call-takers type in: (name, address, lat, lon).
PLACES = (
    ("衡水湖", "桃城区滨湖新区衡水湖景区", 37.650, 115.635),
    ("人民公园", "桃城区人民东路", 37.737, 115.684),
    ("衡水火车站", "桃城区站前路", 37.744, 115.698),
    ("衡水北站", "桃城区北环路", 37.785, 115.665),
    ("衡水汽车客运站", "桃城区胜利东路", 37.726, 115.703),
    ("衡水市人民医院", "桃城区人民西路", 37.735, 115.665),
    ("哈励逊国际和平医院", "桃城区人民东路", 37.734, 115.688),
    ("衡水市中医医院", "桃城区中华大街", 37.742, 115.676),
    ("怡然城", "桃城区胜利西路", 37.730, 115.672),
    ("宝云塔", "桃城区旧城", 37.716, 115.703),
    ("衡水学院", "桃城区和平西路", 37.757, 115.648),
    ("衡水中学", "桃城区人民东路", 37.748, 115.690),
    ("桃城区政府", "桃城区人民路", 37.735, 115.675),
    ("衡水市政府", "桃城区人民西路", 37.739, 115.670),
    ("衡水市体育中心", "桃城区育才南大街", 37.722, 115.655),
    ("滏阳河景观带", "桃城区滏阳河沿岸", 37.725, 115.690),
    ("人民商场", "桃城区人民路", 37.739, 115.680),
    ("衡水老白干酒厂", "桃城区人民西路", 37.731, 115.661),
    ("衡水植物园", "桃城区南外环", 37.705, 115.650),
    ("康宁小区", "桃城区康宁街", 37.744, 115.665),
    ("阳光花园小区", "桃城区红旗大街", 37.731, 115.692),
    ("育才小区", "桃城区育才街", 37.726, 115.662),
    ("和平小区", "桃城区和平路", 37.718, 115.684),
    ("滨湖花园", "桃城区滨湖新区", 37.700, 115.640),
    ("高新区管委会", "桃城区高新区", 37.760, 115.630),
    ("冀州区政府", "冀州区冀州镇", 37.552, 115.580),
    ("冀州古城遗址", "冀州区冀州镇", 37.559, 115.568),
    ("枣强县政府", "枣强县枣强镇", 37.512, 115.726),
    ("大营皮毛交易市场", "枣强县大营镇", 37.440, 115.740),
    ("武邑县政府", "武邑县武邑镇", 37.803, 115.886),
    ("武强县政府", "武强县武强镇", 38.040, 115.981),
    ("武强年画博物馆", "武强县武强镇", 38.043, 115.975),
    ("饶阳县政府", "饶阳县饶阳镇", 38.235, 115.727),
    ("安平县政府", "安平县安平镇", 38.233, 115.520),
    ("安平丝网国际交易中心", "安平县安平镇", 38.226, 115.530),
    ("故城县政府", "故城县郑口镇", 37.348, 115.967),
    ("故城运河公园", "故城县郑口镇", 37.350, 115.975),
    ("景县政府", "景县景州镇", 37.693, 116.269),
    ("景州塔", "景县景州镇", 37.690, 116.275),
    ("阜城县政府", "阜城县阜城镇", 37.864, 116.145),
    ("深州市政府", "深州市深州镇", 38.001, 115.561),
    ("深州蜜桃园", "深州市深州镇", 38.015, 115.575),
)


@dataclass(frozen=True)
class LoginSpec:
    """A demo login: the username is the key that finds the officer again on the next run."""

    username: str
    role: Role
    org: str  # key into the builder's organization map ("" for none)
    rank: str
    note: str = ""
    #: Opens the Django admin. No demo login is a superuser: a superuser would bypass the separation
    #: of the system, security and audit administrators (三权分立), whose admin rights follow their role.
    staff: bool = False


LOGINS: tuple[LoginSpec, ...] = (
    LoginSpec("admin", Role.ADMIN, "bureau", Officer.Rank.INSPECTOR_1, staff=True),
    LoginSpec("dispatcher", Role.DISPATCHER, "command", Officer.Rank.SERGEANT_1),
    LoginSpec("leader", Role.LEADER, "bureau", Officer.Rank.SUPERINTENDENT_3),
    LoginSpec("legal", Role.LEGAL, "bureau", Officer.Rank.INSPECTOR_3),
    LoginSpec("stats", Role.STATISTICIAN, "bureau", Officer.Rank.SERGEANT_2),
    LoginSpec("station", Role.STATION, "station:河西", Officer.Rank.INSPECTOR_3),
    LoginSpec("patrol", Role.PATROL, "patrol", Officer.Rank.SERGEANT_2),
    LoginSpec("traffic", Role.TRAFFIC, "traffic:131102", Officer.Rank.SERGEANT_3),
    LoginSpec("jizhou", Role.STATION, "station:冀州镇", Officer.Rank.INSPECTOR_3, note="外单位"),
    # The security and audit administrators belong to no unit: a unit would give them its incidents
    # and cases to read, and their duty is the accounts and the trail, not the police work.
    LoginSpec("secadmin", Role.SECURITY_ADMIN, "", Officer.Rank.INSPECTOR_2, staff=True),
    LoginSpec("auditor", Role.AUDITOR, "", Officer.Rank.INSPECTOR_2),
)
#: The usernames of the demo logins: a production server refuses to start while one of them still
#: opens with DEMO_PASSWORD (anmin.core.duties.startup_problems).
DEMO_USERNAMES = frozenset(spec.username for spec in LOGINS)

# Category weights (per 10,000 calls), after the usual mix of a prefecture-level 110 centre:
# 求助 and 纠纷 are half of all calls, 八类严重暴力 a handful a month.
CATEGORY_WEIGHTS = {
    "0101": 0.3, "0102": 0.4, "0103": 0.1, "0104": 0.1, "0105": 0.6, "0106": 1.0, "0107": 0.2, "0108": 0.8,
    "0109": 40, "0110": 160, "0111": 40, "0112": 20, "0113": 60, "0114": 90, "0115": 8, "0116": 4, "0119": 20,
    "0201": 450, "0202": 30, "0203": 60, "0204": 120, "0205": 80, "0206": 400, "0207": 250, "0209": 200,
    "0301": 250, "0302": 900, "0303": 250, "0304": 200, "0305": 80,
    "0401": 60, "0402": 60,
    "0501": 350, "0502": 800, "0503": 300, "0509": 1250,
    "0601": 700, "0602": 600, "0603": 450, "0604": 250, "0605": 400,
    "0701": 150, "0702": 80,
    "0801": 500, "0802": 300,
}  # fmt: skip
#: Calls that bring a SWAT team besides the first unit: the 八类严重暴力 and 聚众斗殴.
SWAT_CATEGORIES = {"0101", "0102", "0103", "0104", "0105", "0106", "0107", "0108", "0202"}
HIGH_PRIORITY = {"0109", "0115", "0202", "0301", "0305", "0401", "0501", "0502"}

#: Relative call volume by local hour: quiet before dawn, a peak in the evening.
HOURLY_WEIGHTS = (
    0.55, 0.42, 0.32, 0.26, 0.24, 0.28, 0.45, 0.70, 0.90, 1.00, 1.05, 1.10,
    1.05, 1.00, 1.00, 1.05, 1.10, 1.20, 1.35, 1.50, 1.55, 1.45, 1.15, 0.80,
)  # fmt: skip

#: Where calls come from: share of incidents by (branch group, area type). 桃城's urban core,
#: a fifteenth of the cells, takes a third of the calls.
LOCATION_SHARES = (
    ("taocheng", AreaType.URBAN, 0.32),
    ("taocheng", AreaType.SUBURBAN, 0.10),
    ("county", AreaType.URBAN, 0.20),
    ("county", AreaType.SUBURBAN, 0.10),
    ("any", AreaType.RURAL, 0.28),
)
PLACE_SHARE = 0.08  # calls that name a landmark rather than a street address
LATE_SHARE = 0.07  # arrivals drawn after the target; queueing for a busy unit adds ~3 % more

#: Minutes on scene by class (min, max).
HANDLING_MINUTES = {
    IncidentClass.CRIMINAL: (30, 70),
    IncidentClass.PUBLIC_ORDER: (15, 50),
    IncidentClass.TRAFFIC: (15, 45),
    IncidentClass.FIRE: (20, 55),
    IncidentClass.HELP: (10, 45),
    IncidentClass.DISPUTE: (15, 60),
    IncidentClass.REPORT: (10, 30),
    IncidentClass.OTHER: (5, 20),
}

DESCRIPTIONS = {
    "0101": ["报警称小区内发现一人倒地，身上有刀伤，疑似被人杀害", "报警称两人争执后一方持刀致对方死亡"],
    "0102": ["报警称有人故意点燃其家门口柴草堆", "报警称有人向店铺内泼洒汽油后点火"],
    "0103": ["报警称附近传出爆炸声，有人员受伤"],
    "0104": ["报警称家中饮用水被人投放不明物质，家人出现中毒症状"],
    "0105": ["报警称其在回家路上被陌生男子强行侵害"],
    "0106": ["报警称被两名男子持刀抢走手机和现金", "报警称在路边被人抢劫，嫌疑人骑电动车逃离"],
    "0107": ["报警称其孩子被人强行带走，对方索要赎金"],
    "0108": ["报警称有人持械伤人，伤者伤势严重已送医"],
    "0109": ["报警称与人发生冲突被打伤，面部出血", "报警称饭店内有人打架，一人头部受伤"],
    "0110": ["报警称停放在楼下的电动车被盗", "报警称在超市购物时手机被盗", "报警称店内收银台现金被盗"],
    "0111": ["报警称家中被撬门入室，丢失现金和首饰", "报警称回家发现窗户被撬，屋内被翻动"],
    "0112": ["报警称停在路边的小型轿车被盗"],
    "0113": ["报警称被人以介绍工作为名骗走押金", "报警称购买的所谓保健品系骗局"],
    "0114": ["报警称接到冒充客服电话，被骗转账两万元", "报警称网上刷单被骗，已转账多次", "报警称被冒充公检法人员诈骗"],
    "0115": ["报警称走路时挎包被骑车人抢走"],
    "0116": ["报警称出租屋内有人疑似吸毒"],
    "0119": ["报警称发现有人伪造证件", "报警称有人在网上散布其隐私并敲诈"],
    "0201": [
        "报警称因琐事与邻居发生争执被对方殴打",
        "报警称在饭店被醉酒男子打了一拳",
        "报警称排队时与人口角后被推搡殴打",
    ],
    "0202": ["报警称烧烤摊前两伙人互殴，约十余人"],
    "0203": ["报警称某棋牌室内有人聚众赌博"],
    "0204": ["报警称有人在商场内大声喧哗、扰乱秩序", "报警称有人在医院挂号处滋事"],
    "0205": ["报警称有人在广场上无故追逐拦截他人"],
    "0206": ["报警称楼上深夜装修噪音扰民", "报警称广场舞音响声音过大", "报警称KTV噪音扰民"],
    "0207": ["报警称有醉酒男子在路边砸车", "报警称饭店内醉酒人员闹事"],
    "0209": ["报警称有人在小区内乱停车堵塞消防通道", "报警称有人在楼道内焚烧杂物"],
    "0301": ["报警称路口两车相撞，有人受伤", "报警称电动车与轿车相撞，骑车人受伤倒地"],
    "0302": ["报警称两车剐蹭，无人员受伤", "报警称车辆追尾，双方对责任有争议", "报警称倒车时碰到路边停放车辆"],
    "0303": ["报警称路口车辆拥堵严重，信号灯故障", "报警称学校门口接送车辆堵塞道路"],
    "0304": ["报警称有车辆长时间占用应急车道", "报警称有非机动车逆行扰乱交通", "报警称有货车违规停放阻挡视线"],
    "0305": ["报警称前方车辆行驶轨迹异常，疑似酒驾", "报警称饭店门口有人酒后驾车离开"],
    "0401": ["报警称居民楼内冒出浓烟，疑似着火", "报警称路边车辆自燃"],
    "0402": ["报警称小区电动车在楼道内充电存在隐患", "报警称有人在麦田边焚烧秸秆"],
    "0501": ["报警称家中患有老年痴呆的老人走失", "报警称孩子在商场走失", "报警称家人外出未归，电话联系不上"],
    "0502": ["报警称有人欲跳楼轻生", "报警称路边有人晕倒，需要帮助", "报警称有人被困电梯"],
    "0503": ["报警称独居老人多日未出门，邻居担心", "报警称有残疾人在路边需要帮助"],
    "0509": ["报警称钥匙锁在车内，孩子在车里", "报警称手机遗失在出租车上", "报警称捡到他人钱包"],
    "0601": ["报警称夫妻吵架，情绪激动", "报警称与家人因赡养老人问题发生争执", "报警称与儿子发生争吵，对方摔砸物品"],
    "0602": ["报警称与邻居因漏水问题发生纠纷", "报警称与邻居因停车位发生争执", "报警称邻居在楼道堆放杂物引发争执"],
    "0603": ["报警称对方欠款不还", "报警称购买商品后商家拒不退款", "报警称与房东因押金发生纠纷"],
    "0604": ["报警称工地老板拖欠工资", "报警称公司拒发加班费，多名员工聚集"],
    "0605": ["报警称剐蹭后对方拒绝赔偿", "报警称停车场收费发生纠纷"],
    "0701": ["报警称发现有人疑似在出售假币", "报警称某处有人从事非法集资"],
    "0702": ["举报某洗浴中心存在卖淫嫖娼行为", "举报某出租屋内有人赌博"],
    "0801": ["咨询办理户口迁移需要的材料", "咨询身份证补办事宜", "咨询交通违法处理流程"],
    "0802": ["报警称路上有井盖缺失", "报警称有流浪犬在小区内伤人", "报警称路灯损坏，夜间无照明"],
}

RESULTS = {
    IncidentClass.CRIMINAL: (
        (FeedbackResult.CASE_ACCEPTED, "已受理为刑事案件，现场勘查完毕，移交刑侦部门"),
        (FeedbackResult.CASE_ACCEPTED, "已受案，调取周边监控，开展侦查"),
        (FeedbackResult.HANDLED, "嫌疑人已被控制，带回所内审查"),
    ),
    IncidentClass.PUBLIC_ORDER: (
        (FeedbackResult.HANDLED, "已现场制止，双方带回所内处理"),
        (FeedbackResult.CASE_ACCEPTED, "已受理为治安案件"),
        (FeedbackResult.MEDIATED, "经现场批评教育，双方和解"),
        (FeedbackResult.NOT_FOUND, "到场后未发现报警所述情况"),
    ),
    IncidentClass.TRAFFIC: (
        (FeedbackResult.HANDLED, "已疏导交通，双方协商处理完毕"),
        (FeedbackResult.REFERRED, "已移交交警大队事故处理中队"),
        (FeedbackResult.HANDLED, "已现场纠正违法行为并依法处罚"),
    ),
    IncidentClass.FIRE: (
        (FeedbackResult.REFERRED, "消防救援队已到场扑灭，无人员伤亡"),
        (FeedbackResult.HANDLED, "已排除隐患，告知业主注意安全"),
    ),
    IncidentClass.HELP: (
        (FeedbackResult.HANDLED, "已帮助报警人解决困难"),
        (FeedbackResult.HANDLED, "已将走失人员安全送回家中"),
        (FeedbackResult.REFERRED, "已联系 120 送医救治"),
    ),
    IncidentClass.DISPUTE: (
        (FeedbackResult.MEDIATED, "经现场调解，双方达成一致"),
        (FeedbackResult.MEDIATED, "已调解，双方同意自行协商"),
        (FeedbackResult.REFERRED, "属民事纠纷，已告知通过法律途径解决"),
    ),
    IncidentClass.REPORT: (
        (FeedbackResult.HANDLED, "已核查，线索移交相关部门"),
        (FeedbackResult.NOT_FOUND, "到场核查未发现违法行为"),
    ),
    IncidentClass.OTHER: (
        (FeedbackResult.HANDLED, "已答复报警人"),
        (FeedbackResult.REFERRED, "已通知相关部门处理"),
        (FeedbackResult.FALSE_ALARM, "经核实为误报"),
    ),
}
SWAT_RESULT = (FeedbackResult.HANDLED, "特警协助现场处置，现场已控制")

SURNAMES = (
    "王王王李李李张张张刘刘刘陈陈杨杨赵赵黄周吴徐孙马马胡朱郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施"
)
GIVEN_CHARS = (
    "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宁浩宇峰亮建国志海晓东文博凯俊振洋帅兵旭阳雷健林忠春永立新"
    "静丽敏燕娜婷艳雪霞芳颖慧佳丹玲红梅莉欣悦晶琳倩璐"
)
RANKS = (
    (Officer.Rank.CONSTABLE_2, 2),
    (Officer.Rank.CONSTABLE_1, 5),
    (Officer.Rank.SERGEANT_3, 4),
    (Officer.Rank.SERGEANT_2, 3),
    (Officer.Rank.SERGEANT_1, 2),
    (Officer.Rank.INSPECTOR_3, 1),
)


# --- Small geometry helpers ---------------------------------------------------------------------
