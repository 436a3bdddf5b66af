"""Same-matter detection at intake (domain.md §3, outcome 3: 重复诉求 is attached to the open order).

While the operator types, ``find_same_matter`` lists the open orders that may be the same matter: similar
text, the same street or address, the same caller. The operator decides whether to attach; nothing here
writes.

The scoring is pure (``text_features``, ``similarity``, ``score_pair``, ``rank_matters``: no ORM, no
Django import at module level), so ``bench/duplicates.py`` runs it without a database. The two database
functions import the ORM when called.

Bounded work: the database narrows the candidates first (open, created within ``days``, and the same
street, the same phone or one of the query's three most specific words), at most ``MAX_CANDIDATES`` rows,
newest first; only those are scored in Python.
"""

from __future__ import annotations

import math
import operator
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from yihaotong.core.analysis import tokens
from yihaotong.core.text import normalise_phone

from .data.gazetteer import DISTRICT_LEVEL_NAMES
from .gazetteer import OURS, find_places, fold, match_address, street_for_text

MAX_CANDIDATES = 300
BIGRAM_WEIGHT = 0.6  # the rest is the word (rjieba token) cosine
STREET_BOOST = 0.10
ADDRESS_BOOST = 0.15
CALLER_BOOST = 0.15
MIN_SCORE = 0.3
FEATURE_CHARS = 1000  # a matter is stated at the start; longer letters are compared on their first 1,000 characters

# Words that most hotline messages use: they say nothing about which matter it is.
_STOPWORDS = """
    的 了 着 过 在 是 我 我们 我家 你 你们 您 他 她 它 他们 她们 有 和 与 及 或 也 都 就 还 又 很 太 更 最 被 把
    给 对 从 到 向 于 为 让 这 那 这个 那个 这些 那些 这里 那里 这边 那边 一个 一些 一下 没有 不 没 要 想 会 请
    请问 希望 能 能否 是否 可以 可否 怎么 怎么办 如何 什么 为什么 吗 呢 吧 啊 呀 哦 嗯 已经 一直 现在 目前 今天
    昨天 每天 经常 非常 特别 真的 问题 情况 反映 投诉 咨询 举报 建议 求助 相关 部门 政府 有关 处理 解决 尽快
    帮助 帮忙 居民 市民 群众 附近 周边 里面 上面 下面 地方 时候 谢谢 感谢 你好 您好 号 栋 单元 室 小区
    街道 社区 成都 成都市 青羊 青羊区 四川 四川省 几天 好几天 没人 很多 好多 一次 多次 几次 还是 但是 因为 所以
    如果 而且 并且 然后 之后 以后 以前 时间 工作 人员 工作人员 师傅 老人 孩子 家里 大家 自己 别人
"""
STOPWORDS = frozenset(_STOPWORDS.split())

_DISTRICT_PREFIX = re.compile("|".join(sorted(map(re.escape, DISTRICT_LEVEL_NAMES), key=len, reverse=True)))
_NOT_WORD = re.compile(r"[^0-9a-z\u4e00-\u9fff]+")


# --- pure scoring --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TextFeatures:
    bigrams: Counter
    bigram_norm: float
    words: Counter
    word_norm: float


@dataclass(frozen=True, slots=True)
class Matter:
    """What intake knows about one request: enough to compare two of them."""

    text: str
    subject: str = ""
    address: str = ""
    street_code: str | None = None
    phone: str = ""


@dataclass(frozen=True, slots=True)
class Candidate:
    order_id: int
    number: str
    subject: str
    state: str
    score: float
    reasons: list[str] = field(default_factory=list)
    created_at: datetime | None = None
    street_code: str | None = None


def _content_words(text: str) -> list[str]:
    return [t for t in tokens(text) if t not in STOPWORDS and not t.isdigit()]


def text_features(text: str | None) -> TextFeatures:
    """Return the character bigrams and the words (rjieba) of ``text``, without stop words and numbers."""
    words = _content_words(fold(text[:FEATURE_CHARS] if text else ""))
    joined = "".join(words)
    bigrams = Counter(map(operator.add, joined, joined[1:])) if len(joined) > 1 else Counter(joined)
    counted = Counter(words)
    return TextFeatures(
        bigrams=bigrams,
        bigram_norm=math.sqrt(sum(v * v for v in bigrams.values())),
        words=counted,
        word_norm=math.sqrt(sum(v * v for v in counted.values())),
    )


def _cosine(a: Counter, na: float, b: Counter, nb: float) -> float:
    if not na or not nb:
        return 0.0
    if len(a) > len(b):
        a, b = b, a
    return sum(v * b[k] for k, v in a.items() if k in b) / (na * nb)


def feature_similarity(a: TextFeatures, b: TextFeatures) -> float:
    """Return the similarity (0..1) of two texts' features: weighted bigram and word cosines."""
    bigram = _cosine(a.bigrams, a.bigram_norm, b.bigrams, b.bigram_norm)
    word = _cosine(a.words, a.word_norm, b.words, b.word_norm)
    return min(1.0, BIGRAM_WEIGHT * bigram + (1 - BIGRAM_WEIGHT) * word)


def similarity(a: str | None, b: str | None) -> float:
    """Return how alike two texts are, 0 (nothing in common) to 1 (the same words)."""
    return feature_similarity(text_features(a), text_features(b))


def address_key(address: str | None) -> str:
    """Return a comparable form of an address: the place and house number when the gazetteer reads them,
    else the folded text without district names, spaces and punctuation."""
    if not address:
        return ""
    for hit in find_places(address):
        if hit.place.kind in OURS and hit.house_number:
            return f"{hit.place.name}|{_NOT_WORD.sub('', fold(hit.house_number))}"
    return _NOT_WORD.sub("", _DISTRICT_PREFIX.sub("", fold(address)))


def score_pair(
    query: Matter,
    other: Matter,
    *,
    query_features: TextFeatures | None = None,
    other_features: TextFeatures | None = None,
    query_address: str | None = None,
) -> tuple[float, list[str]]:
    """Return the same-matter score (0..1) of ``other`` for ``query`` and the reasons for it."""
    qf = query_features or text_features(f"{query.subject} {query.text}")
    of = other_features or text_features(f"{other.subject} {other.text}")
    sim = feature_similarity(qf, of)
    score = sim
    reasons = [f"similar text {sim:.2f}"]
    if query.street_code and query.street_code == other.street_code:
        score += STREET_BOOST
        reasons.append("same street")
    q_key = address_key(query.address) if query_address is None else query_address
    if len(q_key) >= 4 and q_key == address_key(other.address):
        score += ADDRESS_BOOST
        reasons.append("same address")
    q_phone = normalise_phone(query.phone)
    if len(q_phone) >= 5 and q_phone == normalise_phone(other.phone):
        score += CALLER_BOOST
        reasons.append("same caller")
    return round(min(score, 1.0), 4), reasons


def rank_matters(
    query: Matter, others: Iterable[tuple[object, Matter]], *, limit: int = 5, min_score: float = MIN_SCORE
) -> list[tuple[object, float, list[str]]]:
    """Score ``others`` ((key, matter) pairs, newest first) against ``query``; return the best ``limit`` of
    those scoring at least ``min_score``, best first (ties: the order given)."""
    qf = text_features(f"{query.subject} {query.text}")
    q_address = address_key(query.address)
    scored = []
    for position, (key, other) in enumerate(others):
        score, reasons = score_pair(query, other, query_features=qf, query_address=q_address)
        if score >= min_score:
            scored.append((-score, position, key, reasons))
    scored.sort(key=lambda row: (row[0], row[1]))
    return [(key, -neg, reasons) for neg, _pos, key, reasons in scored[:limit]]


def specific_words(subject: str, text: str, n: int = 3) -> list[str]:
    """Return up to ``n`` words that best tell this matter apart: from the subject first, longest first."""
    seen: dict[str, tuple[int, int, int]] = {}
    for source, part in enumerate((subject, text)):
        for position, word in enumerate(_content_words(fold(part))):
            if len(word) < 2 or word in seen:
                continue
            seen[word] = (source, -len(word), position)
    return sorted(seen, key=seen.__getitem__)[:n]


# --- database ------------------------------------------------------------------------------------------


def _street_of(address: str, subject: str, text: str) -> str | None:
    found = match_address(address) if address else None
    if found is None or found.street_code is None:
        found = street_for_text(f"{subject} {text}")
    return found.street_code if found.confidence >= 0.5 else None


def find_same_matter(
    actor,
    *,
    text: str,
    subject: str = "",
    address: str = "",
    street_code: str | None = None,
    phone: str = "",
    now: datetime,
    limit: int = 5,
    days: int = 30,
    min_score: float = MIN_SCORE,
    exclude_ids: Sequence[int] = (),
) -> list[Candidate]:
    """Return the open orders visible to ``actor`` that may be the same matter, best first.

    ``street_code`` defaults to the gazetteer's reading of ``address`` (or of the text). Orders created more
    than ``days`` before ``now`` are not considered; ``exclude_ids`` leaves orders out (the order itself).
    """
    from django.db.models import Q

    from yihaotong.workorders import states as S
    from yihaotong.workorders.access import visible_orders

    if street_code is None:
        street_code = _street_of(address, subject, text)
    phone = normalise_phone(phone)
    narrow = Q()
    if street_code:
        narrow |= Q(street__code=street_code)
    if len(phone) >= 5:
        narrow |= Q(requester_phone=phone)
    for word in specific_words(subject, text):
        narrow |= Q(subject__icontains=word) | Q(text__icontains=word)
    if not narrow:
        return []
    rows = list(
        visible_orders(actor)
        .filter(narrow, state__in=S.OPEN_STATES, created_at__gte=now - timedelta(days=days), created_at__lte=now)
        .exclude(pk__in=list(exclude_ids))
        .select_related("street")
        .only("id", "number", "subject", "text", "state", "address", "requester_phone", "created_at", "street__code")
        .order_by("-created_at", "-id")[:MAX_CANDIDATES]
    )
    query = Matter(text=text, subject=subject, address=address, street_code=street_code, phone=phone)
    others = (
        (
            order,
            Matter(
                text=order.text,
                subject=order.subject,
                address=order.address,
                street_code=order.street.code if order.street_id else None,
                phone=order.requester_phone,
            ),
        )
        for order in rows
    )
    return [
        Candidate(
            order_id=order.pk,
            number=order.number,
            subject=order.subject,
            state=order.state,
            score=score,
            reasons=reasons,
            created_at=order.created_at,
            street_code=order.street.code if order.street_id else None,
        )
        for order, score, reasons in rank_matters(query, others, limit=limit, min_score=min_score)
    ]


def count_repeat_contacts(phone: str, *, days: int = 365, now: datetime | None = None) -> int:
    """Return how many contacts (every outcome, this one included once recorded) came from ``phone`` in the
    last ``days`` days; 0 for an empty or too short number."""
    from django.utils import timezone

    from yihaotong.intake.models import Contact

    number = normalise_phone(phone)
    if len(number) < 5:
        return 0
    now = now or timezone.now()
    return Contact.objects.filter(
        phone=number, received_at__gte=now - timedelta(days=days), received_at__lte=now
    ).count()
