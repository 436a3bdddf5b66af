"""Routing models from the district's closed orders: training through the real actions, versions, activation
and rollback, the per-process cache, corrupt blobs, ``suggest`` and its fallbacks, the weekly task."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command

from tests.factories import CAOSHI, CM, EDU, T0, cast_for_module, drive, new_order
from yihaotong.audit.models import ConfigChange
from yihaotong.core.analysis import tokens
from yihaotong.core.errors import Invalid, NotFound, NotPermitted
from yihaotong.routing import loader
from yihaotong.routing.actions import do_activate_router_model, do_train_router_models
from yihaotong.routing.loader import active_models, invalidate_models, sign_blob
from yihaotong.routing.models import RouterModel
from yihaotong.routing.selectors import training_examples
from yihaotong.routing.suggest import MAX_INPUT_CHARS, Suggestion, suggest
from yihaotong.workorders import actions as A

from .synthetic import requests

PER_MATTER = 15  # closed orders per matter (3 matters)
RARE = 3
REDISPATCHED = 5  # rubbish orders first sent to the education bureau, returned, then handled by CM


@pytest.fixture(scope="module")
def _world(django_db_setup, django_db_blocker):
    """The cast plus 53 closed orders (45 + 5 redispatched + 3 rare), built once for the module, rolled back after."""
    with cast_for_module(django_db_blocker) as cast:
        ids = {"closed": [], "redispatched": [], "open": []}
        for r in requests(PER_MATTER):
            order = new_order(
                cast, subject=r["subject"], text=r["text"], category=r["category"], request_type=r["request_type"]
            )
            drive(cast, order, "closed", lead=r["lead"])
            ids["closed"].append(order.pk)
        for r in requests(REDISPATCHED)[REDISPATCHED : 2 * REDISPATCHED]:  # the rubbish ones
            order = new_order(cast, subject=r["subject"], text=r["text"], category=r["category"])
            drive(cast, order, "dispatched", lead=EDU)
            app = A.do_request_return(cast.edu, order.pk, reason="不属于教育局职责", now=T0)
            A.do_decide_return(cast.dispatcher, app.pk, approve=True, note="改派综合执法局", now=T0)
            drive(cast, order, "closed", lead=CM)
            ids["redispatched"].append(order.pk)
        for i in range(RARE):  # a category too rare to learn (fewer than router_min_class_examples = 5)
            order = new_order(cast, subject="旅游团购物投诉", text=f"导游强制购物（{i}）", category="CUL-01")
            drive(cast, order, "closed", lead=CM)
            ids["closed"].append(order.pk)
        still_open = new_order(cast, subject="未办结的工单", text="垃圾没人清运", category="CMG-02")
        drive(cast, still_open, "in_progress", lead=CM)
        ids["open"].append(still_open.pk)
        yield cast, ids


@pytest.fixture
def world(_world, db):
    invalidate_models()
    yield _world
    invalidate_models()


def train(**kw):
    kw.setdefault("min_orders", 30)
    return do_train_router_models(None, **kw)


# --- training data --------------------------------------------------------------------------------------------


def test_training_examples_come_from_closed_orders_with_the_final_unit(world):
    cast, ids = world
    examples = {e.order_id: e for e in training_examples()}
    assert set(examples) == set(ids["closed"]) | set(ids["redispatched"])  # the open order is not used
    for pk in ids["redispatched"]:
        # The first dispatch went to the education bureau; the unit that handled it to the end is the label.
        assert examples[pk].unit == CM
        assert examples[pk].category == "CMG-02"
    e = examples[ids["closed"][0]]
    assert e.text.startswith("咨询小学入学报名\n") and e.unit == EDU and e.request_type == "consult"


def test_confidential_orders_are_not_training_data(world):
    cast, _ = world
    secret = new_order(cast, subject="保密的入学问题", text="不希望被他人看到的诉求", is_confidential=True)
    drive(cast, secret, "closed", lead=EDU)
    assert secret.pk not in {e.order_id for e in training_examples()}


# --- training, versions, activation ------------------------------------------------------------------------------


def test_train_stores_a_version_per_run_and_activates_it(world):
    report = train()
    assert report.version == 1 and report.activated
    rows = {r.kind: r for r in RouterModel.objects.all()}
    assert set(rows) == {"request_type", "category", "unit"}
    unit = rows["unit"]
    assert unit.version == 1 and unit.is_active and unit.activated_at is not None
    assert unit.n_train == 53 and unit.metrics["class_counts"] == {CAOSHI: 15, CM: 23, EDU: 15}
    assert unit.size == len(bytes(unit.blob)) > 0 and unit.checksum == sign_blob(bytes(unit.blob))
    assert rows["request_type"].metrics["class_counts"] == {"complaint": 38, "consult": 15}
    # The rare category (3 orders) is left out of the category model, and said so.
    assert rows["category"].n_train == 50 and rows["category"].metrics["dropped_classes"] == {"CUL-01": 3}
    assert {"holdout", "c", "temperature", "train_s", "config"} <= set(rows["category"].metrics)
    assert train().version == 2
    assert set(RouterModel.objects.filter(is_active=True).values_list("version", flat=True)) == {2}


def test_too_little_history_says_so_and_keeps_the_fallback(world):
    report = train(min_orders=1000)
    assert report.version is None and not report.activated
    assert all(not r.trained and "too little history" in r.message for r in report.results)
    assert "catalogue" in report.messages[0]
    assert not RouterModel.objects.exists()
    assert suggest("孩子入学报名要什么材料").sources["category"] == "catalogue"


def test_a_kind_with_one_class_left_is_not_trained(world):
    (result,) = train(min_orders=10, min_class_examples=16, kinds=["unit"]).results
    assert not result.trained and "at least 2 classes" in result.message  # only CM (23 orders) is left


def test_activate_rolls_back_and_forward_and_is_audited(world):
    cast, _ = world
    train()
    train()
    rows = do_activate_router_model(cast.sysadmin, 1)
    assert {r.kind for r in rows} == {"request_type", "category", "unit"}
    assert set(RouterModel.objects.filter(is_active=True).values_list("version", flat=True)) == {1}
    change = ConfigChange.objects.filter(model="routing.routermodel").latest("id")
    assert change.summary == "activate routing models v1" and change.actor == cast.sysadmin
    do_activate_router_model(cast.sysadmin, 2)
    assert set(RouterModel.objects.filter(is_active=True).values_list("version", flat=True)) == {2}
    with pytest.raises(NotFound):
        do_activate_router_model(cast.sysadmin, 99)
    with pytest.raises(NotPermitted):
        do_activate_router_model(cast.dispatcher, 1)
    with pytest.raises(NotPermitted):
        do_train_router_models(cast.operator)
    with pytest.raises(Invalid):
        do_train_router_models(None, activate="sometimes")


def test_a_version_without_some_kind_leaves_that_kind_on_the_fallback(world):
    cast, _ = world
    train()
    train(kinds=["request_type"])  # v2 has no category or unit model
    s = suggest("垃圾桶满了没人清运，很臭", address="草市街1号")
    assert s.sources == {"request_type": "model v2", "category": "catalogue", "unit": "catalogue"}
    do_activate_router_model(cast.sysadmin, 1)
    invalidate_models()
    assert suggest("垃圾桶满了没人清运").sources["unit"] == "model v1"


def test_guarded_activation_keeps_a_clearly_worse_model_inactive(world):
    train()
    RouterModel.objects.filter(kind="category").update(metrics={"holdout": {"macro_f1": 2.0}})  # unbeatable
    report = train()
    assert report.version == 2 and not report.activated and "NOT activated" in report.messages[0]
    assert set(RouterModel.objects.filter(is_active=True).values_list("version", flat=True)) == {1}
    assert train(activate="always").activated
    assert not train(activate="never").activated


# --- the process cache ---------------------------------------------------------------------------------------------


def test_every_process_reloads_when_the_active_version_changes(world, monkeypatch, django_capture_on_commit_callbacks):
    cast, _ = world
    train()
    train()
    assert {m.version for m in active_models().values()} == {2}
    # Another process activates v1: this one does not hear of it (no on-commit here) until its next check.
    do_activate_router_model(cast.sysadmin, 1)
    assert {m.version for m in active_models().values()} == {2}
    monkeypatch.setattr(loader, "CHECK_SECONDS", 0.0)
    assert {m.version for m in active_models().values()} == {1}
    monkeypatch.setattr(loader, "CHECK_SECONDS", 30.0)
    first = active_models()["category"]
    assert active_models()["category"] is first  # cached: no reload without a change
    # In the activating process, the cache is dropped on commit.
    with django_capture_on_commit_callbacks(execute=True):
        do_activate_router_model(cast.sysadmin, 2)
    assert {m.version for m in active_models().values()} == {2}


# --- a missing or corrupt model ------------------------------------------------------------------------------------


def test_a_corrupt_blob_falls_back_to_the_catalogue_with_the_reason(world):
    train()
    RouterModel.objects.filter(kind="category").update(blob=b"not a model at all")
    invalidate_models()
    s = suggest("工地夜间施工，打桩到凌晨", address="草市街1号")
    assert s.sources["category"] == "catalogue" and s.category[0].code == "URB-01-01"
    assert s.sources["unit"] == "model v1"
    assert any("category model v1 not loaded (checksum mismatch" in n for n in s.notes)
    status = loader.model_status()
    assert status["category"]["loaded"] is False and "checksum" in status["category"]["error"]
    assert status["unit"]["loaded"] is True


def test_a_signed_but_unreadable_blob_falls_back_too(world):
    train()
    RouterModel.objects.filter(kind="unit").update(blob=b"garbage", checksum=sign_blob(b"garbage"))
    invalidate_models()
    s = suggest("垃圾桶满了没人清运")
    assert s.sources["unit"] == "catalogue" and s.unit[0].code == CM
    assert any("unit model v1 not loaded (cannot load the model" in n for n in s.notes)


# --- suggest ------------------------------------------------------------------------------------------------


def test_suggest_with_models(world):
    train()
    s = suggest("孩子九月上小学，入学报名需要准备哪些材料？", subject="入学咨询", address="草市街8号")
    assert s.source == "model v1" and s.model_version == 1 and not s.empty
    assert s.sources == {"request_type": "model v1", "category": "model v1", "unit": "model v1"}
    assert s.category[0].code == "EDU-01" and s.category[0].name == "义务教育入学"
    assert s.unit[0].code == EDU and s.unit[0].name == "成都市青羊区教育局"
    assert s.request_type[0].code == "consult" and s.request_type[0].name == "咨询"
    # The words that drove the category are words of the input.
    assert s.category[0].words and set(s.category[0].words) <= set(
        tokens("入学咨询\n孩子九月上小学，入学报名需要准备哪些材料？")
    )
    assert 0 < s.category[0].confidence <= 1 and len(s.category) == 3
    assert s.accept_threshold == 0.8
    assert s.street["code"] == CAOSHI


def test_suggest_before_any_model_uses_the_catalogue_and_rules(world):
    s = suggest("工地夜间施工噪音扰民，打桩到凌晨两点", address="少城街道宽窄巷子")
    assert s.source == "catalogue" and s.model_version is None
    assert s.category[0].code == "URB-01-01" and "夜间施工" in s.category[0].words
    assert s.unit[0].code == "QY-D-HOUSE"
    assert all(c.confidence <= 0.6 for c in s.category + s.unit)  # keyword hints never reach one-key accept
    assert s.request_type[0].code == "complaint" and s.sources["request_type"] == "rules"


def test_catalogue_by_territory_leads_to_the_street_of_the_address(world):
    s = suggest("小区里广场舞音响太吵", address="草市街1号")
    assert s.category[0].code == "ENV-02-01"
    assert s.unit[0].code == CAOSHI and s.street["code"] == CAOSHI
    unknown = suggest("小区里广场舞音响太吵", address="")
    assert unknown.category[0].code == "ENV-02-01"
    assert CAOSHI not in [u.code for u in unknown.unit]
    assert any("属地管理" in n for n in unknown.notes)


def test_urgency_hint_and_emergency_service_in_the_suggestion(world):
    s = suggest("楼道里有很浓的煤气味", subject="燃气泄漏")
    assert s.urgency["level"] == "critical" and s.urgency["services"] == ["119"]
    assert suggest("请问社保怎么交").urgency["level"] == ""


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n\t ",
        "！！！？？？。。。，，，",
        "😀😡🙏🔥",
        "x" * 50_000,
        "噪" * 50_000,
        "我家樓下著火了，濃煙很大，請快來",
        "There is a strong smell of gas in my building",
        "\x00\ufffd\u200b",
    ],
)
def test_suggest_never_raises_on_bad_input(world, text):
    train()
    s = suggest(text, subject=text[:300], address=text[:500])
    assert isinstance(s, Suggestion)
    if not text.strip() or text.startswith(("！", "😀", "\x00")):
        assert s.empty and s.notes and s.category == s.unit == s.request_type == []
    json.dumps(s.as_dict(), ensure_ascii=False)


def test_suggest_caps_long_input_and_reads_traditional_text(world):
    s = suggest("我家樓下著火了，濃煙很大")
    assert s.urgency["level"] == "critical"
    assert len("x" * MAX_INPUT_CHARS) == MAX_INPUT_CHARS


def test_sensitive_kinds_are_flagged_when_the_check_is_installed(world):
    s = suggest("我的电话是13800001234，身份证号不便透露")
    assert "phone" in s.sensitive


# --- commands and the weekly task ------------------------------------------------------------------------------


def test_train_router_management_command(world):
    out = io.StringIO()
    call_command("train_router", min_orders=1000, stdout=out)
    assert "too little history" in out.getvalue()
    out = io.StringIO()
    call_command("train_router", min_orders=30, json=True, stdout=out)
    report = json.loads(out.getvalue())
    assert report["version"] == 1 and report["activated"] and report["kinds"]["unit"]["trained"]


def test_the_weekly_training_task_is_periodic(world):
    from datetime import datetime

    from huey.contrib.djhuey import HUEY

    from yihaotong.routing.tasks import train_router_weekly

    sunday, monday = datetime(2026, 3, 15, 3, 30), datetime(2026, 3, 16, 3, 30)
    names = {type(t).__name__ for t in HUEY.read_periodic(sunday)}
    assert train_router_weekly.task_class.__name__ in names
    assert train_router_weekly.task_class.__name__ not in {type(t).__name__ for t in HUEY.read_periodic(monday)}
    result = train_router_weekly.call_local()  # policy minimum (200 orders): too little history here
    assert result["version"] is None and "too little history" in result["kinds"]["category"]["message"]


# --- the admin --------------------------------------------------------------------------------------------------


@pytest.fixture
def admin_client(world):
    from django.test import Client

    cast, _ = world
    cast.sysadmin.is_staff = cast.sysadmin.is_superuser = True
    cast.sysadmin.save()
    c = Client(HTTP_ACCEPT_LANGUAGE="en")  # the admin's messages in English (Chinese is the default)
    c.force_login(cast.sysadmin)
    return c


def test_admin_lists_models_says_when_the_fallback_is_in_use_and_rolls_back(world, admin_client):
    from django.urls import reverse

    url = reverse("admin:routing_routermodel_changelist")
    body = admin_client.get(url).content.decode()
    assert "No active category model" in body
    train()
    train()
    RouterModel.objects.filter(kind="category", version=2).update(blob=b"broken")
    invalidate_models()
    body = admin_client.get(url).content.decode()
    assert "load error: checksum mismatch" in body and "cannot be loaded" in body
    assert admin_client.get(reverse("admin:routing_routermodel_add")).status_code == 403  # read-only
    ids = list(RouterModel.objects.filter(version=1).values_list("pk", flat=True))
    resp = admin_client.post(url, {"action": "activate_version", "_selected_action": ids}, follow=True)
    assert "Version 1 is active" in resp.content.decode()
    assert set(RouterModel.objects.filter(is_active=True).values_list("version", flat=True)) == {1}
    both = list(RouterModel.objects.values_list("pk", flat=True))
    resp = admin_client.post(url, {"action": "activate_version", "_selected_action": both}, follow=True)
    assert "exactly one version" in resp.content.decode()
