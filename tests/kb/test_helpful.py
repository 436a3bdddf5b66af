"""Readers' "was this helpful?" votes (the public portal calls do_record_helpful_vote)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from tests.kb.util import SCHOOL, article_input, publish
from yihaotong.core.errors import Conflict, Invalid, NotFound
from yihaotong.kb import actions as A
from yihaotong.kb.models import HelpfulVote
from yihaotong.kb.selectors import helpful_counts


def test_a_reader_votes_once_and_may_change_their_mind(cast):
    article = publish(cast)
    anon = AnonymousUser()
    A.do_record_helpful_vote(anon, article.pk, helpful=True, voter="s:abc")
    A.do_record_helpful_vote(anon, article.pk, helpful=True, voter="s:def")
    assert helpful_counts([article.pk]) == {article.pk: (2, 0)}
    vote = A.do_record_helpful_vote(anon, article.pk, helpful=False, voter="s:abc", comment="电话打不通")
    assert vote.comment == "电话打不通" and vote.updated_at >= vote.at
    assert HelpfulVote.objects.filter(article=article).count() == 2
    assert helpful_counts([article.pk]) == {article.pk: (1, 1)}


def test_a_signed_in_user_votes_as_themselves(cast):
    article = publish(cast)
    vote = A.do_record_helpful_vote(cast.operator, article.pk, helpful=True)
    assert vote.voter == f"user:{cast.operator.pk}"


def test_the_public_votes_only_on_published_public_articles(cast):
    anon = AnonymousUser()
    internal = publish(cast, **{**SCHOOL, "visibility": "internal"})
    with pytest.raises(NotFound):
        A.do_record_helpful_vote(anon, internal.pk, helpful=True, voter="s:1")
    draft = A.do_create_article(cast.kb_editor, article_input(title="尚未发布的草稿"))
    with pytest.raises(NotFound):
        A.do_record_helpful_vote(anon, draft.pk, helpful=True, voter="s:1")
    with pytest.raises(Conflict):  # the KB team reads drafts, but a draft takes no votes
        A.do_record_helpful_vote(cast.kb_editor, draft.pk, helpful=True)


def test_bad_votes_are_refused_with_reasons(cast):
    article = publish(cast)
    anon = AnonymousUser()
    with pytest.raises(Invalid) as e:
        A.do_record_helpful_vote(anon, article.pk, helpful=True)
    assert "voter" in e.value.errors
    with pytest.raises(Invalid) as e:
        A.do_record_helpful_vote(anon, article.pk, helpful="yes", voter="s:1")
    assert "helpful" in e.value.errors
    with pytest.raises(Invalid) as e:
        A.do_record_helpful_vote(anon, article.pk, helpful=True, voter="s:1", comment="长" * 501)
    assert "comment" in e.value.errors
    assert not HelpfulVote.objects.exists()
