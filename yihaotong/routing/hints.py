"""Rule-based routing hints: urgency, request type before a model exists, and the catalogue keyword matcher.

Pure: no ORM. The keyword lists below are written by us for this project (domain.md §3: urgency 紧急 covers
life, property, public safety and utilities outages; emergencies are transferred to 110 / 119 / 120 / 122).
They raise hints for the operator, never decide: a caller who says "上次的煤气味已经没有了" still gets the
gas hint, and the operator reads on.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from yihaotong.core.analysis import normalise, tokens

# --- urgency ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UrgencyRule:
    kind: str
    level: str  # "critical" (life or property at risk) or "urgent" (utilities, public safety)
    services: tuple[str, ...]  # emergency numbers to offer
    words: tuple[str, ...]


URGENCY_RULES: tuple[UrgencyRule, ...] = (
    UrgencyRule(
        "gas_leak",
        "critical",
        ("119",),
        (
            "燃气泄漏",
            "煤气泄漏",
            "天然气泄漏",
            "煤气洩漏",
            "燃气洩漏",
            "漏气",
            "煤气味",
            "燃气味",
            "天然气味",
            "闻到煤气",
            "闻到燃气",
        ),
    ),
    # 著火: the traditional spelling, which folding keeps (著 is also a simplified character).
    UrgencyRule(
        "fire", "critical", ("119",), ("着火", "著火", "失火", "火灾", "起火", "冒烟", "烧起来", "火情", "浓烟")
    ),
    UrgencyRule(
        "person_in_danger",
        "critical",
        ("120", "110"),
        ("跳楼", "轻生", "自杀", "晕倒", "昏倒", "昏迷", "不省人事", "溺水", "落水", "呼吸困难", "大出血"),
    ),
    UrgencyRule("trapped", "critical", ("119",), ("被困", "困在电梯", "电梯困人", "关在电梯")),
    UrgencyRule("violence", "critical", ("110",), ("持刀", "砍人", "抢劫", "斗殴", "打人", "绑架", "正在打架")),
    UrgencyRule("traffic_accident", "urgent", ("122", "120"), ("车祸", "交通事故", "撞车", "追尾", "被车撞")),
    UrgencyRule(
        "flooding",
        "urgent",
        (),
        ("水淹", "内涝", "爆管", "水管爆裂", "管道爆裂", "淹水", "倒灌", "进水了", "漫进", "冒水"),
    ),
    UrgencyRule(
        "utility_outage",
        "urgent",
        (),
        ("停水", "停电", "停气", "断水", "断电", "没水了", "没电了", "电梯停运"),
    ),
    UrgencyRule(
        "structural_danger",
        "urgent",
        (),
        ("塌陷", "坍塌", "垮塌", "倒塌", "掉落", "高空坠物", "墙体开裂", "井盖缺失", "电线掉落", "漏电"),
    ),
)

_LEVEL_RANK = {"": 0, "urgent": 1, "critical": 2}


@dataclass(frozen=True)
class UrgencyHint:
    level: str = ""  # "" (no hint), "urgent" or "critical"
    services: tuple[str, ...] = ()
    reasons: tuple[dict, ...] = ()  # {"kind": ..., "words": [...]}

    def as_dict(self) -> dict:
        return {"level": self.level, "services": list(self.services), "reasons": [dict(r) for r in self.reasons]}


def urgency_hint(text: str, rules: Iterable[UrgencyRule] = URGENCY_RULES) -> UrgencyHint:
    """Return the urgency that the words of ``text`` suggest, with the emergency services to offer."""
    folded = normalise(text)
    if not folded:
        return UrgencyHint()
    level, services, reasons = "", [], []
    for rule in rules:
        found = [w for w in rule.words if w in folded]
        if not found:
            continue
        reasons.append({"kind": rule.kind, "words": found})
        if _LEVEL_RANK[rule.level] > _LEVEL_RANK[level]:
            level = rule.level
        services.extend(s for s in rule.services if s not in services)
    return UrgencyHint(level=level, services=tuple(services), reasons=tuple(reasons))


# --- request type before a model exists -----------------------------------------------------------------------

# (request type code, words). Checked in order; the first rules are the more specific intents.
REQUEST_TYPE_RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("report", ("举报", "检举", "揭发")),
    ("praise", ("表扬", "感谢", "点赞", "锦旗", "致谢", "谢谢你们")),
    ("complaint", ("投诉", "扰民", "太吵", "吵得", "不作为", "乱收费", "态度恶劣", "严重影响")),
    ("suggest", ("建议", "希望增设", "建言", "提议", "能否增加", "可否增设")),
    ("help", ("求助", "帮忙", "救助", "帮帮", "怎么办")),
    ("consult", ("请问", "咨询", "如何办理", "怎么办理", "需要什么材料", "在哪里办", "是否可以", "能不能")),
)

# A keyword hint is a hint: its confidence never reaches the one-key accept threshold.
RULE_CONFIDENCE_CAP = 0.6


def request_type_hints(text: str, k: int = 3) -> list[tuple[str, float, list[str]]]:
    """Return up to ``k`` (request type code, confidence, words) from the keyword rules, best first."""
    folded = normalise(text)
    scored = []
    for code, words in REQUEST_TYPE_RULES:
        found = [w for w in words if w in folded]
        if found:
            scored.append((code, sum(len(w) for w in found), found))
    return _normalised(scored, k)


def _normalised(scored: list[tuple[str, float, list[str]]], k: int) -> list[tuple[str, float, list[str]]]:
    """Turn keyword scores into shares of the best ``k`` scores, capped at RULE_CONFIDENCE_CAP."""
    scored = sorted(scored, key=lambda s: (-s[1], s[0]))[:k]
    total = sum(s[1] for s in scored)
    return [(code, round(RULE_CONFIDENCE_CAP * score / total, 4), words) for code, score, words in scored if total]


# --- the dispatch catalogue -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CatalogueItem:
    """A category as the catalogue routes it: its keywords and its lead unit (None: the street leads)."""

    category: str
    category_name: str
    lead_unit: str | None
    by_territory: bool
    keywords: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class CatalogueMatch:
    item: CatalogueItem
    score: float
    words: tuple[str, ...]


def split_keywords(*texts: str) -> tuple[str, ...]:
    """Return the distinct comma-separated keywords of ``texts`` (ASCII or full-width commas, 、 or ；)."""
    out: list[str] = []
    for text in texts:
        for raw in (text or "").replace("，", ",").replace("、", ",").replace("；", ",").replace(";", ",").split(","):
            word = normalise(raw)
            if word and word not in out:
                out.append(word)
    return tuple(out)


def match_catalogue(text: str, items: Sequence[CatalogueItem], k: int = 3) -> list[CatalogueMatch]:
    """Return the ``k`` categories whose keywords best match ``text``.

    A keyword found as a substring scores its length (longer keywords are more specific); found as a whole
    rjieba word it scores one more. Ties go to the more specific (deeper, longer-coded) category.
    """
    folded = normalise(text)
    if not folded:
        return []
    words = set(tokens(folded))
    matches = []
    for item in items:
        found = [w for w in item.keywords if w in folded]
        if not found:
            continue
        score = sum(len(w) + (1 if w in words else 0) for w in found)
        matches.append(CatalogueMatch(item, float(score), tuple(found)))
    matches.sort(key=lambda m: (-m.score, -len(m.item.category), m.item.category))
    return matches[:k]


def catalogue_confidences(matches: Sequence[CatalogueMatch]) -> list[float]:
    """Return the confidence shown for each match: its share of the matched scores, capped (a hint)."""
    total = sum(m.score for m in matches)
    return [round(RULE_CONFIDENCE_CAP * m.score / total, 4) if total else 0.0 for m in matches]
