"""Hot-spot detection (预警提示): rising clusters of similar requests. Pure: no ORM, no clock.

Each request gives *keys*: its category at its place, and each salient word of its subject at its place
(and anywhere). A key rises when its count in the window is at least ``min_count`` and ``min_growth`` times
its usual level: the mean count per window over the baseline before it (plus one, so that a new subject
needs ``min_growth`` requests more than nothing). Rising keys whose requests mostly overlap are merged into
one cluster. A cluster is *seasonal* when the same key rose in the same window a year before.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from yihaotong.core.analysis import tokens

# Words that say nothing about the matter (requests are full of them).
STOPWORDS = frozenset(
    """
    关于 问题 反映 咨询 投诉 建议 请求 要求 希望 如何 怎么 什么 为什么 是否 能否 可以 不能
    没有 一直 我们 你们 他们 这个 那个 这些 已经 还是 就是 但是 因为 所以 相关 情况 处理 解决
    进行 政府 部门 领导 市民 居民 业主 本人 请问 申请 办理 有关 存在 严重 问题的 的问题 这样
    一下 现在 目前 今年 去年 工作 问下 你好 您好 谢谢 为何 为啥 怎样 何时 多久 国际 社区 小区
    街道 地方 有限公司 公司 项目 附近 一些 很多 不要 不让 需求 应该 能不能 不是 没人 无人 市民们
    群众 老百姓 涉嫌 二期 一期 三期 违规 时候 一年 多年
    """.split()  # noqa: SIM905 - a word list reads better as text
)
_HAN = re.compile(r"[\u4e00-\u9fff]")
# Names of provinces, cities, counties and districts (and pieces of them cut off by segmentation) are the
# place, not the matter: the place is a key of its own.
_ADMIN = re.compile(r"^[省市县区]|[省市县]$|区$")


@dataclass(frozen=True)
class Request:
    id: int
    at: datetime
    text: str  # the subject (a short summary of the matter)
    place: str = ""  # street code, or a place name found in the text
    category: str = ""


@dataclass
class Cluster:
    key: str
    label: str
    place: str
    category: str
    count: int
    baseline: float  # usual count per window
    growth: float
    seasonal: bool
    ids: list[int] = field(default_factory=list)  # the requests in the window, newest first
    terms: list[str] = field(default_factory=list)

    @property
    def score(self) -> float:
        return self.growth * math.log1p(self.count)


def salient_terms(text: str, limit: int = 6) -> list[str]:
    out: list[str] = []
    for t in tokens(text):
        if len(t) < 2 or t in STOPWORDS or not _HAN.search(t) or t in out or _ADMIN.search(t):
            continue
        out.append(t)
        if len(out) >= limit:
            break
    return out


def _keys(r: Request, terms: list[str]) -> list[str]:
    keys = []
    if r.category:
        keys.append(f"cat:{r.category}@{r.place}" if r.place else f"cat:{r.category}")
    for t in terms:
        keys.append(f"term:{t}@{r.place}" if r.place else f"term:{t}")
        if r.place:
            keys.append(f"term:{t}")
    return keys


def detect(
    requests: Iterable[Request],
    *,
    now: datetime,
    window_days: int = 7,
    baseline_days: int = 28,
    min_count: int = 5,
    min_growth: float = 2.0,
    max_clusters: int = 20,
    max_df: float = 0.05,
) -> list[Cluster]:
    """The rising clusters at ``now``, best first (score: growth × log(1 + count))."""
    w_start = now - timedelta(days=window_days)
    b_start = w_start - timedelta(days=baseline_days)
    y_end, y_start = now - timedelta(days=365), w_start - timedelta(days=365)
    yb_start = y_start - timedelta(days=baseline_days)
    in_window: dict[str, list[Request]] = defaultdict(list)
    base: Counter = Counter()
    year_ago: Counter = Counter()
    year_base: Counter = Counter()
    term_df: Counter = Counter()
    n_window = 0
    window_terms: dict[int, list[str]] = {}
    rows = [r for r in requests if yb_start <= r.at < now]
    for r in rows:
        terms = salient_terms(r.text)
        if w_start <= r.at < now:
            n_window += 1
            window_terms[r.id] = terms
            term_df.update(set(terms))
        for k in _keys(r, terms):
            if w_start <= r.at < now:
                in_window[k].append(r)
            elif b_start <= r.at < w_start:
                base[k] += 1
            elif y_start <= r.at < y_end:
                year_ago[k] += 1
            elif yb_start <= r.at < y_start:
                year_base[k] += 1
    # Words in more than max_df of the window's requests are the vocabulary of every request, not a matter.
    common = {t for t, df in term_df.items() if n_window and df / n_window > max_df and df >= 3 * min_count}
    windows = baseline_days / window_days
    candidates: list[Cluster] = []
    for k, reqs in in_window.items():
        count = len({r.id for r in reqs})
        if count < min_count:
            continue
        kind, rest = k.split(":", 1)
        name, _, place = rest.partition("@")
        if kind == "term" and name in common:
            continue
        usual = base[k] / windows
        growth = count / (usual + 1.0)
        if growth < min_growth:
            continue
        seasonal = year_ago[k] >= min_count and year_ago[k] / (year_base[k] / windows + 1.0) >= min_growth
        when = {r.id: r.at for r in reqs}
        ids = sorted(when, key=lambda i: (when[i], i), reverse=True)
        candidates.append(
            Cluster(
                key=k,
                label=name,
                place=place,
                category=name if kind == "cat" else "",
                count=count,
                baseline=round(usual, 2),
                growth=round(growth, 2),
                seasonal=seasonal,
                ids=ids,
                terms=[name] if kind == "term" else [],
            )
        )
    candidates.sort(key=lambda c: (-c.score, c.key))
    # Merge: a candidate whose requests are mostly those of a better one joins it (adds its words).
    clusters: list[Cluster] = []
    for c in candidates:
        ids = set(c.ids)
        for kept in clusters:
            kept_ids = set(kept.ids)
            if len(ids & kept_ids) >= 0.6 * min(len(ids), len(kept_ids)):
                if c.terms and c.terms[0] not in kept.terms:
                    kept.terms.append(c.terms[0])
                if not kept.category and c.category:
                    kept.category = c.category
                break
        else:
            clusters.append(c)
        if len(clusters) >= max_clusters:
            break
    for c in clusters:
        if c.terms:
            c.label = "·".join(c.terms[:3])
    return clusters[:max_clusters]
