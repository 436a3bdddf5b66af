"""The intake desk's knowledge-base pane: search as the operator types, flags, open in place (logged),
one-click direct answer (contact + "used" record in one transaction), empty states, denial, query counts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import cast_for_module
from tests.kb.util import SCHOOL, publish
from yihaotong.intake.models import Contact
from yihaotong.kb.models import ArticleUsage, SearchLog
from yihaotong.kb.search import invalidate_index
from yihaotong.worktime.calendar import TZ

PANE = "consoles:desk_kb"
DESK = "consoles:desk"


@pytest.fixture(scope="module")
def _module_cast(django_db_setup, django_db_blocker):
    with cast_for_module(django_db_blocker) as c:
        yield c


@pytest.fixture
def cast(_module_cast, db):
    return _module_cast


@pytest.fixture(autouse=True)
def _fresh_index(settings):
    # Each test's articles are rolled back afterwards: an index built in one test must not serve the next.
    settings.KB_INDEX_POLL_SECONDS = 0
    invalidate_index()
    yield
    invalidate_index()


@pytest.fixture
def medical(cast):
    return publish(cast)  # 新生儿如何办理居民医保参保 (public)


def _today():
    return timezone.localdate(timezone=TZ)


def _desk_form(**overrides) -> dict:
    data = {
        "channel": "call",
        "phone": "13900005678",
        "name": "张先生",
        "address": "",
        "summary": "孩子刚出生怎么买医保",
        "text": "",
        "request_type": "",
        "urgency": "normal",
        "answer_text": "",
        "article_ref": "",
        "attach_number": "",
        "disposition_reason": "",
        "q": "",
        "kb_search": "",
    }
    data.update(overrides)
    return data


def _pane(client, **params):
    return client.post(reverse(PANE), _desk_form(**params), HTTP_HX_REQUEST="true")


# --- search ---------------------------------------------------------------------------------------------


def test_nothing_typed_asks_to_type_and_logs_nothing(client, cast, medical):
    client.force_login(cast.operator)
    page = _pane(client, summary="").content.decode()
    assert 'data-testid="kb-type-to-search"' in page and "<html" not in page
    assert not SearchLog.objects.exists()


def test_the_summary_finds_the_article_with_highlight_and_flags(client, cast, medical):
    client.force_login(cast.operator)
    response = _pane(client, summary="宝宝医保在哪里办")
    page = response.content.decode()
    assert response.status_code == 200 and "<html" not in page
    assert 'data-testid="kb-results"' in page
    assert f'hx-post="{reverse("consoles:desk_kb_article", args=[medical.pk])}"' in page
    assert "<mark>" in page and medical.ref in page
    assert f'value="answer:{medical.pk}"' in page
    assert "公开" in page or "Public" in page
    log = SearchLog.objects.get()
    assert (log.channel, log.query, log.actor) == ("desk", "宝宝医保在哪里办", cast.operator)
    assert log.top_article_ids == [medical.pk]
    assert f'name="kb_search" value="{log.pk}"' in page


def test_the_search_box_wins_over_the_summary_and_get_works_too(client, cast, medical):
    school = publish(cast, **SCHOOL)
    client.force_login(cast.operator)
    page = client.get(reverse(PANE), {"q": "小学入学报名", "summary": "宝宝医保"}).content.decode()
    assert school.title in page.replace("<mark>", "").replace("</mark>", "")
    assert f"answer:{medical.pk}" not in page
    assert not SearchLog.objects.exists()  # a GET writes nothing


def test_full_text_is_searched_when_there_is_no_summary(client, cast, medical):
    client.force_login(cast.operator)
    page = _pane(client, summary="", text="我家宝宝上周出生，想问新生儿医保怎么参保").content.decode()
    assert f'value="answer:{medical.pk}"' in page


def test_no_matching_article_says_so(client, cast, medical):
    client.force_login(cast.operator)
    page = _pane(client, summary="楼上深夜噪音扰民").content.decode()
    assert 'data-testid="kb-no-match"' in page and "楼上深夜噪音扰民" in page
    assert SearchLog.objects.get().result_count == 0


def test_internal_expired_and_overdue_articles_are_flagged(client, cast):
    today = _today()
    expired = publish(
        cast,
        title="2025年度城乡居民医保集中缴费期",
        content="2025年度城乡居民医保集中缴费期为上一年九月至十二月。",
        keywords="集中缴费",
        phrasings="",
        effective_from=today - timedelta(days=400),
        expires_on=today - timedelta(days=1),
    )
    overdue = publish(
        cast,
        title="居民医保缴费标准",
        content="居民医保个人缴费标准每年公布一次，缴费后次年享受待遇。",
        keywords="缴费标准",
        phrasings="",
        visibility="internal",
        next_review_on=today - timedelta(days=30),
    )
    client.force_login(cast.operator)
    page = _pane(client, summary="居民医保缴费").content.decode()
    assert 'data-testid="kb-expired"' in page and 'data-testid="kb-review-overdue"' in page
    assert 'class="badge internal"' in page and 'class="badge public"' in page
    assert f'value="answer:{overdue.pk}"' in page  # overdue for review, still in force
    assert f'value="answer:{expired.pk}"' not in page  # expired: no one-click answer


# --- open in place --------------------------------------------------------------------------------------


def test_opening_an_article_shows_it_in_place_and_logs_the_open(client, cast, medical):
    client.force_login(cast.operator)
    _pane(client, summary="宝宝医保")
    search = SearchLog.objects.get()
    response = client.post(
        reverse("consoles:desk_kb_article", args=[medical.pk]),
        _desk_form(kb_search=str(search.pk)),
        HTTP_HX_REQUEST="true",
    )
    page = response.content.decode()
    assert response.status_code == 200 and "<html" not in page
    assert 'data-testid="kb-article"' in page and medical.title in page and "天府市民云" in page
    assert f'value="answer:{medical.pk}"' in page and "data-kb-back" in page
    usage = ArticleUsage.objects.get()
    assert (usage.kind, usage.article, usage.actor, usage.search) == ("opened", medical, cast.operator, search)


def test_opening_with_someone_elses_search_logs_the_open_without_it(client, cast, medical):
    client.force_login(cast.dispatcher)
    _pane(client, summary="宝宝医保")
    client.force_login(cast.operator)
    response = client.post(
        reverse("consoles:desk_kb_article", args=[medical.pk]),
        _desk_form(kb_search=str(SearchLog.objects.get().pk)),
    )
    assert response.status_code == 200
    assert ArticleUsage.objects.get().search is None


def test_opening_an_unknown_or_unpublished_article_is_404(client, cast, medical):
    from yihaotong.kb import actions as A
    from yihaotong.kb.models import Article

    draft = A.do_create_article(cast.kb_editor, A.ArticleInput(**{**_article_fields(medical), "title": "草稿条目"}))
    client.force_login(cast.operator)
    url = reverse("consoles:desk_kb_article", args=[draft.pk])
    assert client.post(url, _desk_form()).status_code == 404
    missing = Article.objects.order_by("-pk").first().pk + 100
    assert client.post(reverse("consoles:desk_kb_article", args=[missing]), _desk_form()).status_code == 404
    assert not ArticleUsage.objects.exists()


def _article_fields(article) -> dict:
    return dict(
        category=article.category.code,
        content=article.content,
        material_type=article.material_type,
        owner_unit=article.owner_unit.code,
    )


# --- one-click answer -----------------------------------------------------------------------------------


def test_one_click_answer_records_the_contact_and_the_article_used(client, cast, medical):
    client.force_login(cast.operator)
    _pane(client, summary="宝宝医保在哪里办")
    search = SearchLog.objects.get()
    response = client.post(
        reverse(DESK),
        {**_desk_form(summary="宝宝医保在哪里办", kb_search=str(search.pk)), "outcome": f"answer:{medical.pk}"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    contact = Contact.objects.get()
    assert (contact.outcome, contact.article_ref, contact.summary) == ("direct_answer", medical.ref, "宝宝医保在哪里办")
    assert contact.operator == cast.operator and contact.order is None
    usage = ArticleUsage.objects.get()
    assert (usage.kind, usage.article, usage.search, usage.reference) == (
        "used",
        medical,
        search,
        f"contact:{contact.pk}",
    )
    page = response.content.decode()
    assert medical.ref in page  # the confirmation names the article
    assert 'value="宝宝医保在哪里办"' not in page  # the form is empty for the next call


def test_one_click_answer_without_a_summary_takes_the_question_searched(client, cast, medical):
    client.force_login(cast.operator)
    form = _desk_form(summary="", q="新生儿医保")
    client.post(reverse(DESK), {**form, "outcome": f"answer:{medical.pk}"}, HTTP_HX_REQUEST="true")
    assert Contact.objects.get().summary == "新生儿医保"
    client.post(reverse(DESK), {**_desk_form(summary=""), "outcome": f"answer:{medical.pk}"}, HTTP_HX_REQUEST="true")
    assert Contact.objects.latest("id").summary == medical.title


def test_answering_with_an_expired_or_unknown_article_writes_nothing(client, cast, medical):
    today = _today()
    expired = publish(
        cast,
        title="已经失效的条目",
        content="这条规定已经失效。",
        keywords="",
        phrasings="",
        effective_from=today - timedelta(days=400),
        expires_on=today - timedelta(days=1),
    )
    client.force_login(cast.operator)
    for arg in (expired.pk, medical.pk + 1000, "x"):
        response = client.post(reverse(DESK), {**_desk_form(), "outcome": f"answer:{arg}"}, HTTP_HX_REQUEST="true")
        page = response.content.decode()
        assert response.status_code == 200 and "field-error" in page
        assert 'value="孩子刚出生怎么买医保"' in page  # what the operator typed is kept
    assert not Contact.objects.exists() and not ArticleUsage.objects.exists()


# --- denial and query counts ------------------------------------------------------------------------------


def test_the_pane_is_for_the_desk_roles_only(client, cast, medical):
    pane, article = reverse(PANE), reverse("consoles:desk_kb_article", args=[medical.pk])
    assert client.post(pane, _desk_form()).status_code == 302  # to the login page
    assert client.post(article, _desk_form()).status_code == 302
    for user in (cast.edu, cast.reviewer, cast.kb_editor):
        client.force_login(user)
        assert client.post(pane, _desk_form()).status_code == 403
        assert client.get(pane, {"q": "医保"}).status_code == 403
        assert client.post(article, _desk_form()).status_code == 403
        response = client.post(reverse(DESK), {**_desk_form(), "outcome": f"answer:{medical.pk}"})
        assert response.status_code == 403
    client.force_login(cast.operator)
    assert client.get(article).status_code == 405  # opening writes a usage row: POST only
    assert not SearchLog.objects.exists() and not ArticleUsage.objects.exists() and not Contact.objects.exists()


@pytest.mark.parametrize("n", [1, 5])
def test_search_query_count_is_constant(client, cast, django_assert_num_queries, n):
    for i in range(n):
        publish(cast, title=f"居民医保参保办理第{i}问", keywords="", phrasings="")
    client.force_login(cast.operator)
    _pane(client, summary="居民医保参保")  # builds this process's index
    # session, user, roles, the index version poll, the log row: none per article
    with django_assert_num_queries(5):
        page = _pane(client, summary="居民医保参保").content.decode()
    assert page.count('name="outcome" value="answer:') == n


def test_open_query_count(client, cast, medical, django_assert_num_queries):
    client.force_login(cast.operator)
    url = reverse("consoles:desk_kb_article", args=[medical.pk])
    client.post(url, _desk_form())
    # session, user, roles, the article (with category and unit), the usage action (savepoint, its own
    # visibility check, the row, release)
    with django_assert_num_queries(8):
        assert client.post(url, _desk_form()).status_code == 200
