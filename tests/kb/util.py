"""Small articles written for the tests (our own text) and a helper that publishes them."""

from __future__ import annotations

from tests.factories import EDU
from yihaotong.kb import actions as A

MED = "QY-D-MED"


def article_input(**overrides) -> A.ArticleInput:
    data = dict(
        title="新生儿如何办理居民医保参保",
        category="HEA-03-02",
        content="新生儿出生后三个月内参保，自出生之日起享受居民医保待遇。家长可在天府市民云办理，也可到社区窗口办理。",
        material_type="guide",
        owner_unit=MED,
        issuing_unit="成都市青羊区医疗保障局",
        keywords="新生儿,参保",
        phrasings="孩子刚出生怎么买医保\n宝宝医保在哪里办",
        visibility="public",
    )
    data.update(overrides)
    return A.ArticleInput(**data)


def publish(cast, **overrides):
    """Create an article as the KB team and publish it; return it."""
    article = A.do_create_article(cast.kb_editor, article_input(**overrides))
    return A.do_publish_article(cast.kb_editor, article.pk)


SCHOOL = dict(
    title="小学一年级入学报名时间和材料",
    category="EDU-01-01",
    content="每年五月开放小学一年级网上报名。需准备户口簿、房产证明和儿童出生医学证明。报名结果在七月公布。",
    material_type="guide",
    owner_unit=EDU,
    keywords="小学入学,报名",
    phrasings="孩子上小学要准备什么",
)
