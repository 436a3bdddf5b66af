"""Gazetteer of 青羊区 (Qingyang District, Chengdu): streets, communities, roads and landmarks.

Written for this project from public, general knowledge of the district; no file of ``shared/data`` was
copied. The street offices and their communities are not repeated here: they come from
``directory/data/units.py`` (``STREETS``), and the demo roads from ``directory/data/demo_text.py``
(``ROADS``), so that there is one list of each.

APPROXIMATE: a road or landmark is mapped to the ONE street office it is mostly in. Long roads cross street
boundaries (they are listed in ``LONG_ROADS`` and matched with a lower confidence); the mapping of the
smaller roads follows their neighbourhood and has not been checked against the district's official
boundary register. The router only suggests a street; the dispatcher decides (domain.md §6).

Pure data, no ORM.
"""

from __future__ import annotations

from yihaotong.directory.data.demo_text import ROADS as DEMO_ROADS
from yihaotong.directory.data.units import STREETS

__all__ = [
    "DISTRICT_CODE",
    "DISTRICT_NAME",
    "DISTRICT_LEVEL_NAMES",
    "IN_DISTRICT_NAMES",
    "STREETS",
    "STREET_EXTRA_ALIASES",
    "PLACES",
    "PLACE_ALIASES",
    "LONG_ROADS",
    "OTHER_AREAS",
    "OUTSIDE_PLACES",
]

DISTRICT_CODE = "510105"
DISTRICT_NAME = "青羊区"

# Names above the street level: they say nothing about the street and are skipped when matching.
# (Longer names that start with them, such as 四川博物院 or 青羊宫, are matched first.)
DISTRICT_LEVEL_NAMES = ("中华人民共和国", "中国", "四川省", "四川", "成都市", "成都", "青羊区", "青羊")

# Naming the district itself: an address that says 青羊区 is ours even if it also names another area.
IN_DISTRICT_NAMES = frozenset({"青羊区", "青羊"})

# Street aliases beyond the generated ones (XX街道, XX街道办, XX街道办事处, XX街办 and the bare XX).
STREET_EXTRA_ALIASES: dict[str, tuple[str, ...]] = {
    "510105002": ("草市街道", "草市街办", "草市街办事处"),
}

# Kinds of place: "road" (a road, street or lane, followed by a house number in addresses) or "landmark"
# (a park, museum, hospital, scenic spot, residential area).
_ROAD_SUFFIXES = ("路", "街", "巷", "大道", "段")


def _kind(name: str) -> str:
    return "road" if name.endswith(_ROAD_SUFFIXES) else "landmark"


# fmt: off
_EXTRA_PLACES: list[tuple[str, str, str]] = [
    # 草市街
    ("太升北路", "510105002", "road"), ("太升路", "510105002", "road"), ("玉龙街", "510105002", "road"),
    ("提督街", "510105002", "road"), ("顺城大街", "510105002", "road"), ("文殊院街", "510105002", "road"),
    ("骡马市", "510105002", "landmark"), ("文殊院", "510105002", "landmark"), ("文殊坊", "510105002", "landmark"),
    ("成都市第三人民医院", "510105002", "landmark"),
    # 西御河
    ("东城根上街", "510105003", "road"), ("东城根中街", "510105003", "road"), ("东城根下街", "510105003", "road"),
    ("东城根南街", "510105003", "road"), ("八宝街", "510105003", "road"), ("方池街", "510105003", "road"),
    ("西顺城街", "510105003", "road"), ("西华门街", "510105003", "road"), ("东御街", "510105003", "road"),
    # 少城
    ("宽巷子", "510105005", "landmark"), ("窄巷子", "510105005", "landmark"), ("井巷子", "510105005", "landmark"),
    ("长顺中街", "510105005", "road"), ("长顺下街", "510105005", "road"), ("实业街", "510105005", "road"),
    ("槐树街", "510105005", "road"), ("栅子街", "510105005", "road"), ("红墙巷", "510105005", "road"),
    ("通惠门路", "510105005", "road"), ("东胜街", "510105005", "road"), ("西胜街", "510105005", "road"),
    ("仁厚街", "510105005", "road"), ("吉祥街", "510105005", "road"), ("多子巷", "510105005", "road"),
    ("蜀华街", "510105005", "road"),
    # 草堂
    ("浣花南路", "510105007", "road"), ("草堂路", "510105007", "road"), ("浣花溪", "510105007", "landmark"),
    ("百花潭", "510105007", "landmark"), ("四川省人民医院", "510105007", "landmark"),
    # 府南
    ("清江中路", "510105008", "road"), ("清江西路", "510105008", "road"), ("石人北路", "510105008", "road"),
    ("光华村", "510105008", "landmark"), ("府南新区", "510105008", "landmark"), ("青羊小区", "510105008", "landmark"),
    ("西南财经大学光华校区", "510105008", "landmark"),
    # 光华
    ("光华北一路", "510105009", "road"), ("光华北二路", "510105009", "road"), ("光华北四路", "510105009", "road"),
    ("光华北五路", "510105009", "road"), ("光华东一路", "510105009", "road"), ("光华东二路", "510105009", "road"),
    ("光华大道", "510105009", "road"), ("光华公园", "510105009", "landmark"),
    # 金沙
    ("金沙遗址", "510105011", "landmark"),
    # 康河
    ("成都市妇女儿童中心医院", "510105019", "landmark"),
]
# fmt: on

# Every road and landmark: (name, street code, kind). The demo roads first, then ours.
PLACES: list[tuple[str, str, str]] = [(name, code, _kind(name)) for name, code in DEMO_ROADS] + _EXTRA_PLACES

# Other names of a place in PLACES: alias → the name in PLACES.
PLACE_ALIASES: dict[str, str] = {
    "杜甫草堂博物馆": "杜甫草堂",
    "草堂寺": "杜甫草堂",
    "四川省博物馆": "四川博物院",
    "省博物馆": "四川博物院",
    "省医院": "四川省人民医院",
    "市三医院": "成都市第三人民医院",
    "市妇儿中心": "成都市妇女儿童中心医院",
    "西南财大光华校区": "西南财经大学光华校区",
}

# Long roads that cross street boundaries: the street given is where the road mostly runs.
LONG_ROADS = frozenset(
    {"青羊大道", "光华大道", "日月大道", "腾飞大道", "成飞大道", "一环路西二段", "顺城大街", "清江东路"}
)

# Administrative areas that are not 青羊区: naming one (without naming 青羊区) puts an address outside.
# fmt: off
_CHENGDU_AREAS = (
    "锦江区", "金牛区", "武侯区", "成华区", "龙泉驿区", "青白江区", "新都区", "温江区", "双流区", "郫都区",
    "新津区", "高新区", "高新西区", "天府新区", "东部新区", "简阳市", "都江堰市", "彭州市", "邛崃市", "崇州市",
    "金堂县", "大邑县", "蒲江县", "双流县", "郫县", "温江县", "新津县",
)
_SICHUAN_CITIES = (
    "自贡市", "攀枝花市", "泸州市", "德阳市", "绵阳市", "广元市", "遂宁市", "内江市", "乐山市", "南充市",
    "眉山市", "宜宾市", "广安市", "达州市", "雅安市", "巴中市", "资阳市",
)
_OTHER_PROVINCES = (
    "北京市", "天津市", "上海市", "重庆市", "河北省", "山西省", "辽宁省", "吉林省", "黑龙江省", "江苏省",
    "浙江省", "安徽省", "福建省", "江西省", "山东省", "河南省", "湖北省", "湖南省", "广东省", "海南省",
    "贵州省", "云南省", "陕西省", "甘肃省", "青海省", "台湾省", "内蒙古自治区", "广西壮族自治区",
    "西藏自治区", "宁夏回族自治区", "新疆维吾尔自治区", "香港特别行政区", "澳门特别行政区",
)
# fmt: on
OTHER_AREAS: tuple[str, ...] = _CHENGDU_AREAS + _SICHUAN_CITIES + _OTHER_PROVINCES

# Well-known places of Chengdu that are NOT in 青羊区: name → where they are.
OUTSIDE_PLACES: dict[str, str] = {
    "春熙路": "锦江区",
    "太古里": "锦江区",
    "大慈寺": "锦江区",
    "九眼桥": "锦江区",
    "合江亭": "锦江区",
    "总府路": "锦江区",
    "红星路": "锦江区",
    "武侯祠": "武侯区",
    "锦里古街": "武侯区",
    "望江楼": "武侯区",
    "东郊记忆": "成华区",
    "大熊猫繁育研究基地": "成华区",
    "熊猫基地": "成华区",
    "昭觉寺": "成华区",
    "建设路": "成华区",
    "成都东站": "成华区",
    "火车北站": "金牛区",
    "欢乐谷": "金牛区",
    "环球中心": "高新区",
    "天府软件园": "高新区",
    "双流机场": "双流区",
    "宝光寺": "新都区",
    "都江堰": "都江堰市",
    "青城山": "都江堰市",
}
