"""The demo articles: at least 200, all valid, loaded through the actions, found by the questions they answer."""

from __future__ import annotations

from yihaotong.kb.actions import clean_article_input
from yihaotong.kb.demo import read_demo_articles, seed_kb_demo
from yihaotong.kb.models import Article
from yihaotong.kb.search import search_articles


def test_demo_articles_are_valid_and_searchable(cast):
    articles = read_demo_articles()
    assert len(articles) >= 200 and len({a.title for a in articles}) == len(articles)
    for data in articles:
        assert not clean_article_input(data).errors, (data.title, clean_article_input(data).errors)
    assert seed_kb_demo(cast.kb_editor) == len(articles)
    assert seed_kb_demo(cast.kb_editor) == 0  # loading again adds nothing
    assert Article.objects.filter(state="published").count() == len(articles)
    for question, title in [
        ("孩子刚出生怎么买医保", "新生儿医保怎么办理"),
        ("家里闻到煤气味", "燃气泄漏怎么处理"),
        ("辞职了公积金能取吗", "离职后公积金怎么处理"),
        ("身份证掉了", "身份证丢了怎么补办"),
    ]:
        assert search_articles(question, actor=cast.operator).hits[0].title == title, question
