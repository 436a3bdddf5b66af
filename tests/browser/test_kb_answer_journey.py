"""In a real browser: a call answered from the knowledge base. The operator types the caller's question on the
intake desk, the knowledge-base pane shows the matching article, the operator opens it in place with the
keyboard and answers the caller with one click; the contact is recorded as a direct answer naming the article,
and the knowledge base logs the search, the open and the use. In Chinese and in English."""

from __future__ import annotations

import pytest
from django.utils import translation
from playwright.sync_api import expect

from tests.factories import build_cast
from tests.kb.util import SCHOOL, publish
from yihaotong.intake.models import Contact
from yihaotong.kb.models import ArticleUsage, SearchLog
from yihaotong.kb.search import invalidate_index

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "browser-test-pass-1"


def tr(language: str, msgid: str) -> str:
    """The text the page shows for ``msgid`` in ``language`` (from the compiled catalogue)."""
    with translation.override(language):
        return translation.gettext(msgid)


@pytest.fixture
def people(settings):
    settings.KB_INDEX_POLL_SECONDS = 0  # the live server's thread sees the article published below at once
    invalidate_index()
    cast = build_cast()
    cast.operator.set_password(PASSWORD)
    cast.operator.save()
    yield cast
    invalidate_index()


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_operator_answers_a_call_from_the_knowledge_base(people, open_session, language):
    article = publish(people)  # 新生儿如何办理居民医保参保: our own text, published through the kb actions
    other = publish(people, **SCHOOL)  # 小学一年级入学报名时间和材料: must not match the caller's question
    operator = open_session("operator", language=language, journey=f"kb-answer-{language}")
    page = operator.go("/desk/")
    assert page.locator("html").get_attribute("lang") == language
    pane = page.locator("#kb-results")
    expect(pane.locator("[data-testid=kb-type-to-search]")).to_be_visible()
    operator.shot("desk")

    # The caller asks; the operator types the question as the summary: the pane searches as they type.
    page.fill("#id_phone", "13900002222")
    page.locator("#id_summary").press_sequentially("宝宝医保在哪里办", delay=20)
    hit = pane.locator(f"li[data-article='{article.pk}']")
    expect(hit).to_be_visible()
    expect(hit.locator("mark").first).to_be_visible()  # the matched words are highlighted
    expect(pane.locator(f"li[data-article='{other.pk}']")).to_have_count(0)
    expect(hit).to_contain_text(tr(language, "Public"))
    operator.shot("kb-results")

    # Keyboard: from the pane's search box, Down reaches the first article, Enter opens it in place.
    page.focus("#kb-q")
    page.keyboard.press("ArrowDown")
    expect(hit.locator(".kb-open")).to_be_focused()
    page.keyboard.press("Enter")
    opened = pane.locator("[data-testid=kb-article]")
    expect(opened).to_be_visible()
    expect(opened).to_contain_text("天府市民云")
    expect(opened.locator("h3")).to_have_text(article.title)
    operator.shot("kb-article")

    # One click answers the caller with this article.
    opened.locator("[data-testid=kb-answer]").click()
    expect(page.locator(".desk-messages")).to_contain_text(
        tr(language, "Direct answer recorded with article %(ref)s “%(title)s”.")
        % {"ref": article.ref, "title": article.title}
    )
    expect(page.locator("#id_summary")).to_have_value("")  # ready for the next call
    operator.shot("answered")

    contact = Contact.objects.get()
    assert (contact.outcome, contact.article_ref, contact.summary) == ("direct_answer", article.ref, "宝宝医保在哪里办")
    assert contact.phone == "13900002222" and contact.operator == people.operator and contact.order is None
    used = ArticleUsage.objects.get(kind="used")
    assert used.article == article and used.reference == f"contact:{contact.pk}"
    assert used.search is not None and used.search.channel == "desk" and article.pk in used.search.top_article_ids
    opened_row = ArticleUsage.objects.get(kind="opened")
    assert opened_row.article == article and opened_row.search == used.search
    assert SearchLog.objects.filter(actor=people.operator, channel="desk").exists()
