"""Demo data of third-party review and publication (our own fictional people and text), written through the
actions: a panel roster of five, a subsidy complaint dissatisfied twice and a requester who called more than
thirty times (candidates), a concluded session with its rectification and published summary, a planned
session, and a few published cases and drafts."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from yihaotong.core.errors import DomainError

PANEL = [
    # username, display name, panel type, organisation
    ("panel", "市民代表 蒲玉珍", "citizen", "草市街街道居民"),
    ("panel-npc", "人大代表 向德厚", "npc", "区人大常委会"),
    ("panel-cppcc", "政协委员 岳文澜", "cppcc", "区政协"),
    ("panel-media", "媒体代表 骆一鸣", "media", "区融媒体中心"),
    ("panel-legal", "法律顾问 蔺思远", "legal", "蜀锦律师事务所"),
]


def _users(password: str):
    from yihaotong.accounts import roles as R
    from yihaotong.accounts.actions import do_create_user
    from yihaotong.accounts.models import User

    hashed = make_password(password)
    out = []
    for username, name, _type, _org in PANEL:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = do_create_user(
                username=username, password=None, roles=[R.PANEL_MEMBER], display_name=name, is_staff=True
            )
            User.objects.filter(pk=user.pk).update(password=hashed)
        out.append(user)
    return out


def subsidy_unit():
    """The lead unit the dispatch catalogue names for 创业扶持 (LAB-03-02) or the nearest category above it."""
    from yihaotong.directory.actions import current_catalogue
    from yihaotong.directory.models import CatalogueEntry, Category

    cat = Category.objects.select_related("parent__parent").get(code="LAB-03-02")
    version = current_catalogue()
    while cat is not None:
        entry = CatalogueEntry.objects.filter(version=version, category=cat).select_related("lead_unit").first()
        if entry is not None:
            return entry.lead_unit
        cat = cat.parent
    raise LookupError("no catalogue entry for LAB-03-02")


def _subsidy_order(users: dict, now: datetime, *, subject: str, text: str, name: str, phone: str, rounds: int):
    """A 创业补贴 complaint handled by the unit the catalogue names, with ``rounds`` dissatisfied callbacks."""
    from yihaotong.accounts.models import User
    from yihaotong.workorders import actions as A

    unit = subsidy_unit()
    handler = User.objects.get(username=f"h-{unit.code}")
    t = now - timedelta(days=40)
    order, _code = A.do_create_order(
        users["operator"],
        A.OrderInput(
            channel="call",
            request_type="complaint",
            urgency="normal",
            category="LAB-03-02",
            subject=subject,
            text=text,
            address="草市街道",
            street="510105002",
            requester_name=name,
            requester_phone=phone,
            source="96963",
        ),
        now=t,
    )
    A.do_dispatch_order(users["dispatcher"], order.pk, lead_unit_id=unit.pk, now=t + timedelta(hours=1))
    A.do_sign_assignment(handler, order.pk, now=t + timedelta(hours=3))
    step = t + timedelta(days=2)
    for i in range(rounds + 1):
        A.do_reply_order(
            handler,
            order.pk,
            internal_notes="已核查申请材料，正在走审批流程。" if i == 0 else "再次核查，补贴审批仍在进行。",
            public_text="您的创业补贴申请已受理，正在审核，审核通过后按规定发放。",
            requester_contacted=True,
            now=step,
        )
        A.do_review_reply(users["reviewer"], order.pk, approve=True, now=step + timedelta(hours=2))
        if i == rounds:
            break
        A.do_record_callback(
            users["callback"],
            order.pk,
            outcome="reached",
            contacted=True,
            solved=False,
            satisfaction="dissatisfied",
            reason=f"第{i + 1}次回访：补贴仍未到账，也没人说明原因。",
            now=step + timedelta(hours=20),
        )
        step += timedelta(days=5)
    return order


def seed_feedback_demo(users: dict, now: datetime | None = None, *, password: str, quiet: bool = True) -> dict:
    from yihaotong.workorders.actions import do_record_repeat_contact

    from . import actions as FA
    from .models import Publication, ReviewSession

    now = now or timezone.now()
    if ReviewSession.objects.exists():
        return {}
    counts = {"panel": 0, "sessions": 0, "published": 0}
    try:
        with transaction.atomic():
            panel = _users(password)
            sup, rev = users["supervisor"], users["reviewer"]
            seats = [
                FA.do_save_panel_member(sup, u.pk, panel_type=p[2], organisation=p[3], now=now)
                for u, p in zip(panel, PANEL, strict=True)
            ]
            counts["panel"] = len(seats)
            twice = _subsidy_order(
                users,
                now,
                subject="一次性创业补贴申请半年没有结果",
                text="我叫卢永康，电话13547810236，去年在草市街开了一家小面馆，按规定申请一次性创业补贴，"
                "材料交了半年，一直说在审核，钱没到账也没人说明原因。",
                name="卢永康",
                phone="13547810236",
                rounds=2,
            )
            caller = _subsidy_order(
                users,
                now,
                subject="创业担保贷款贴息一直没有兑现",
                text="我姓聂，开了一家打印店，创业担保贷款的贴息申请一直没有兑现，打了很多次电话都说在走流程。",
                name="聂红梅",
                phone="18980012345",
                rounds=0,
            )
            for k in range(31):
                do_record_repeat_contact(
                    users["operator"], caller.pk, note="再次来电催办", now=now - timedelta(days=30 - k)
                )
            past = FA.do_create_session(
                sup,
                title="2026年第三季度第三方评议",
                held_on=(now - timedelta(days=10)).date(),
                location="区政务服务中心三楼",
                now=now,
            )
            case = FA.do_add_case(sup, past.pk, order_id=twice.pk, now=now)
            FA.do_set_panel(sup, past.pk, member_ids=[s.pk for s in seats], now=now)
            FA.do_open_session(sup, past.pk, now=now)
            verdicts = [
                ("partly", 3, ""),
                ("not_fulfilled", 2, "审核拖延且未告知进度"),
                ("not_fulfilled", 2, "应主动说明原因"),
                ("partly", 3, ""),
                ("not_fulfilled", 1, "程序不透明"),
            ]
            for seat, (verdict, score, comment) in zip(seats, verdicts, strict=True):
                FA.do_score_case(seat.user, case.pk, verdict=verdict, score=score, comment=comment, now=now)
            FA.do_record_outcome(
                sup,
                case.pk,
                outcome="not_endorsed",
                note="评议团多数认为承办单位未及时告知审核进度。",
                rectification_required="十个工作日内完成审核，书面告知申请人结果，并公开补贴审核时限。",
                deadline=(now + timedelta(days=14)).date(),
                now=now,
            )
            FA.do_conclude_session(sup, past.pk, now=now)
            summary = FA.do_draft_review_summary(sup, past.pk, now=now)
            FA.do_publish(sup, summary.pk, now=now)
            FA.do_create_session(
                sup,
                title="2026年第四季度第三方评议",
                held_on=(now + timedelta(days=20)).date(),
                location="区政务服务中心三楼",
                now=now,
            )
            counts["sessions"] = 2
            published = 0
            for order in FA.publishable_orders().order_by("-closed_at")[:6]:
                pub = FA.do_draft_case(rev, order.pk, now=now)
                if published < 4 and not FA.leftovers("\n".join([pub.title, pub.question, pub.answer])):
                    FA.do_publish(rev, pub.pk, now=now)
                    published += 1
            counts["published"] = Publication.objects.filter(state="published").count()
    except DomainError as exc:
        if not quiet:
            print(f"  skipped the review demo: {exc}")
    return counts
