"""`yihaotong seed-demo`: the demo data every screen shows, on a fresh database."""

from __future__ import annotations

import pytest


@pytest.mark.django_db(transaction=True)
def test_seed_demo_gives_every_role_something_to_show():
    from django.core.cache import cache

    from yihaotong.demo import seed_demo
    from yihaotong.intake.models import Contact
    from yihaotong.kb.models import Article, ArticleUsage
    from yihaotong.portal.views import popular_articles
    from yihaotong.workorders.models import WorkOrder

    seed_demo(orders=40, days=30, seed=7, quiet=True)
    states = set(WorkOrder.objects.values_list("state", flat=True))
    assert {"pending_dispatch", "in_progress", "closed"} <= states
    # Direct answers name real published articles and are counted as the desk counts them.
    answers = list(Contact.objects.filter(outcome="direct_answer").values_list("pk", "article_ref"))
    assert len(answers) == 48
    ids = {int(ref.removeprefix("KB-")) for _pk, ref in answers}
    assert ids <= set(Article.objects.filter(state="published").values_list("pk", flat=True))
    used = set(ArticleUsage.objects.filter(kind="used").values_list("reference", flat=True))
    assert used == {f"contact:{pk}" for pk, _ref in answers}
    cache.delete("portal:popular-articles")
    assert len(popular_articles()) == 8  # the portal's 热门问题
