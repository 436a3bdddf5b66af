"""Demo data: the directory, one user per role, and a few hundred orders in every state over the last
90 days, all driven through the same actions as the API (so every event and clock is real).

All people and cases are fictional; the text is ours (directory/data/demo_text.py).
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from yihaotong.accounts import roles as R
from yihaotong.accounts.actions import do_create_user, do_ensure_role_groups, do_issue_token
from yihaotong.accounts.models import User
from yihaotong.core.errors import DomainError
from yihaotong.directory.actions import current_catalogue, do_seed_directory
from yihaotong.directory.data import demo_text as T
from yihaotong.directory.models import CatalogueEntry, Category, Unit, UnitKind
from yihaotong.intake import actions as IA
from yihaotong.workorders import actions as A
from yihaotong.workorders.models import WorkOrder
from yihaotong.worktime.actions import do_seed_calendar_from_package
from yihaotong.worktime.calendar import CalendarMissing
from yihaotong.worktime.loader import get_calendar

DEMO_PASSWORD = "yihaotong-demo"  # noqa: S105 - printed on purpose: demo accounts only

STAFF = [
    # username, display name, roles, unit code (None: the centre)
    ("operator", "话务员 周晓琳", [R.OPERATOR], "QY-CENTRE"),
    ("dispatcher", "派单员 高建平", [R.DISPATCHER], "QY-CENTRE"),
    ("reviewer", "审核员 孔维", [R.REVIEWER], "QY-CENTRE"),
    ("callback", "回访员 冉小雨", [R.CALLBACK_AGENT], "QY-CENTRE"),
    ("supervisor", "督办员 邱明", [R.SUPERVISOR], "QY-CENTRE"),
    ("kbeditor", "知识库管理员 苗芸", [R.KB_EDITOR], "QY-CENTRE"),
    ("leader", "分管领导 龚正", [R.LEADER], "QY-CENTRE"),
    ("panel", "市民代表 蒲玉珍", [R.PANEL_MEMBER], None),
    ("handler", "承办人 殷鹏（区教育局）", [R.HANDLER], "QY-D-EDU"),
    ("unitadmin", "联络员 谭丽（草市街街道）", [R.UNIT_ADMIN, R.HANDLER], "510105002"),
    ("admin", "系统管理员", [R.SYSADMIN], "QY-CENTRE"),
]


def demo_is_loaded() -> bool:
    return User.objects.filter(username="operator").exists() and WorkOrder.objects.exists()


def print_logins() -> None:
    print(f"\nDemo logins (password for all: {DEMO_PASSWORD})")
    print(f"{'username':<12} {'roles':<28} name")
    for username, name, roles, _unit in STAFF:
        print(f"{username:<12} {','.join(roles):<28} {name}")
    print("Every handling unit also has a handler 'h-<unit code>', e.g. h-QY-D-CM, h-510105005.")
    print("Public portal (no login): /portal/ — submit, track, rate, knowledge base. SMS codes and notices go to")
    print("var/sms.jsonl unless SMS_GATEWAY_URL is set (try `yihaotong fake-sms-gateway`).")
    print("Admin site: /admin/ (user 'admin'); API docs: /api/v1/docs\n")


def _ensure_users(reset_passwords: bool) -> dict[str, User]:
    from django.contrib.auth.hashers import make_password

    do_ensure_role_groups()
    # Hash the shared demo password once (PBKDF2 is slow on purpose); every demo account gets the hash.
    hashed = make_password(DEMO_PASSWORD)
    units = {u.code: u for u in Unit.objects.all()}
    users = {}
    for username, name, roles, unit_code in STAFF:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = do_create_user(
                username=username,
                password=None,
                roles=roles,
                unit=units.get(unit_code or ""),
                display_name=name,
                is_staff=True,
                is_superuser=(username == "admin"),
            )
            User.objects.filter(pk=user.pk).update(password=hashed)
        elif reset_passwords:
            User.objects.filter(pk=user.pk).update(password=hashed)
        users[username] = user
    # One handler per handling unit, so that every unit can sign and reply in the demo.
    existing = set(User.objects.filter(username__startswith="h-").values_list("username", flat=True))
    for unit in Unit.objects.filter(
        kind__in=[UnitKind.DEPARTMENT, UnitKind.STREET, UnitKind.SUBUNIT, UnitKind.COMMUNITY]
    ):
        username = f"h-{unit.code}"
        if username not in existing:
            do_create_user(
                username=username,
                password=None,
                roles=[R.HANDLER, R.UNIT_ADMIN],
                unit=unit,
                display_name=f"{unit.short_name or unit.name}承办人",
                is_staff=True,
            )
    User.objects.filter(username__startswith="h-").exclude(password=hashed).update(password=hashed)
    if not User.objects.filter(username="integration").exists():
        svc = do_create_user(
            username="integration", password=None, roles=[R.INTEGRATION], display_name="市级平台接口", is_service=True
        )
        _token, raw = do_issue_token(user=svc, name="demo")
        print(f"API token of the service account 'integration' (shown once): {raw}")
    return users


def _route(category: Category, street: Unit | None, entries: dict[int, CatalogueEntry]) -> tuple[Unit, list[Unit]]:
    node = category
    while node is not None:
        entry = entries.get(node.pk)
        if entry is not None:
            lead = entry.lead_unit if (entry.lead_unit_id and not entry.by_territory) else street
            if lead is None:
                lead = entry.lead_unit or Unit.objects.filter(kind=UnitKind.STREET).first()
            supports = [u for u in entry.support_units.all() if u.pk != lead.pk]
            return lead, supports[:1]
        node = node.parent
    return street or Unit.objects.filter(kind=UnitKind.STREET).first(), []


class _Clock:
    """Advances demo time without passing the real present."""

    def __init__(self, start: datetime, limit: datetime, rng: random.Random):
        self.t = start
        self.limit = limit
        self.rng = rng

    def step(self, lo_minutes: float, hi_minutes: float) -> datetime | None:
        self.t = self.t + timedelta(minutes=self.rng.uniform(lo_minutes, hi_minutes))
        return self.t if self.t < self.limit else None


def seed_demo(
    *,
    orders: int = 400,
    days: int = 90,
    seed: int = 7,
    quiet: bool = True,
    reset_passwords: bool = False,
    now: datetime | None = None,
) -> dict[str, int]:
    """Load everything the demo needs; return counts. Orders are created only if none exist yet."""
    now = now or timezone.now()
    do_seed_calendar_from_package()
    counts = do_seed_directory()
    users = _ensure_users(reset_passwords)
    # Knowledge-base articles (our own text), published by the KB editor; those already there are kept.
    from yihaotong.kb.demo import seed_kb_demo

    counts["kb_articles"] = seed_kb_demo(users["kbeditor"])
    if WorkOrder.objects.exists():
        if not quiet:
            print_logins()
        return counts
    cal = get_calendar()
    try:
        cal.add_working_days(now, 25)
    except CalendarMissing as exc:
        if not quiet:
            print(f"Note: {exc.message} Demo orders near the year's end may stay open without deadlines.")
    rng = random.Random(seed)
    streets = list(Unit.objects.filter(kind=UnitKind.STREET))
    streets_by_code = {s.code: s for s in streets}
    version = current_catalogue()
    entries = {
        e.category_id: e
        for e in CatalogueEntry.objects.filter(version=version)
        .select_related("lead_unit")
        .prefetch_related("support_units")
    }
    cats = {c.code: c for c in Category.objects.select_related("parent__parent")}
    handlers = {u.unit_id: u for u in User.objects.filter(username__startswith="h-")}
    stats = {"orders": 0, "contacts": 0, "skipped": 0}
    start = now - timedelta(days=days)
    for i in range(orders):
        created = start + timedelta(seconds=rng.uniform(0, days * 86400 - 3600))
        local = timezone.localtime(created)
        created = created.replace(hour=rng.randint(0, 23)) if local.hour < 7 else created
        try:
            with transaction.atomic():
                _one_order(i, created, now, rng, users, handlers, streets, streets_by_code, entries, cats)
            stats["orders"] += 1
        except (DomainError, CalendarMissing) as exc:
            stats["skipped"] += 1
            if not quiet:
                print(f"  skipped one demo order: {exc}")
    # Direct answers at intake (about 65 % of contacts in the seed's district), from published articles as
    # the desk records them (the contact names the article, a usage row refers to the contact); a few
    # articles answer most calls, as in a real hotline.
    from yihaotong.kb import actions as KA
    from yihaotong.kb.models import Article, ArticleState, UsageKind

    answers = list(Article.objects.filter(state=ArticleState.PUBLISHED).order_by("pk").values_list("pk", "title"))
    rng.shuffle(answers)
    weights = [1 / (rank + 1) for rank in range(len(answers))]
    for _ in range(int(orders * 1.2)):
        when = start + timedelta(seconds=rng.uniform(0, days * 86400))
        if answers:
            article_id, summary = rng.choices(answers, weights=weights)[0]
        else:
            article_id, summary = None, rng.choice(T.ORDER_TEMPLATES)["subject"]
        contact = IA.do_answer_contact(
            users["operator"],
            IA.ContactInput(
                channel="call", summary=summary[:200], phone=_phone(rng), name=_name(rng), request_type="consult"
            ),
            answer_text="已按知识库条目答复来电人。",
            article_ref=f"KB-{article_id}" if article_id else "",
            now=when,
        )
        if article_id:
            KA.do_record_usage(
                users["operator"], article_id, UsageKind.USED, reference=f"contact:{contact.pk}", now=when
            )
        stats["contacts"] += 1
    A.do_sweep_warnings(now=now)
    from yihaotong.analytics.demo import seed_analytics_demo

    seed_analytics_demo(users["operator"], now, quiet=quiet)
    from yihaotong.feedback.demo import seed_feedback_demo

    counts.update(seed_feedback_demo(users, now, password=DEMO_PASSWORD, quiet=quiet))
    from yihaotong.channels.demo import seed_channels_demo

    counts.update(seed_channels_demo(now))
    counts.update(stats)
    if not quiet:
        print(f"Demo data: {stats['orders']} orders, {stats['contacts']} direct answers.")
        print_logins()
    return counts


def _name(rng) -> str:
    return rng.choice(T.SURNAMES) + rng.choice(T.GIVEN_NAMES)


def _phone(rng) -> str:
    return rng.choice(T.PHONE_PREFIXES) + f"{rng.randint(0, 9999):04d}"


def _place(rng, hint: str) -> tuple[str, str]:
    road, street_code = rng.choice(T.ROADS)
    pattern = rng.choice(T.PLACE_PATTERNS.get(hint, ["{road}"]))
    return pattern.format(road=road, no=rng.randint(1, 199)), street_code


# Where demo orders end up, roughly: most are closed; every state is represented.
OUTCOMES = [
    ("closed", 46),
    ("pending_callback", 6),
    ("replied", 5),
    ("in_progress", 12),
    ("dispatched", 6),
    ("pending_dispatch", 4),
    ("submitted", 3),
    ("answered", 4),
    ("rejected", 3),
    ("merged", 2),
    ("terminated", 2),
    ("returned", 3),
    ("redo", 4),
]


def order_due_after(order_id: int, when: datetime) -> bool:
    due = WorkOrder.objects.filter(pk=order_id).values_list("handle_due", flat=True).first()
    return due is not None and due > when


# How recent (days) most orders that stay in an open state are.
RECENT_DAYS = {
    "submitted": 1,
    "pending_dispatch": 1,
    "dispatched": 1.5,
    "in_progress": 14,
    "replied": 4,
    "pending_callback": 3,
}
OPEN_TARGETS = set(RECENT_DAYS)


def _one_order(i, created, now, rng, users, handlers, streets, streets_by_code, entries, cats):
    t = rng.choice(T.ORDER_TEMPLATES)
    place, street_code = _place(rng, t["address_hint"])
    target = rng.choices([o for o, _ in OUTCOMES], weights=[w for _, w in OUTCOMES])[0]
    if target in OPEN_TARGETS and rng.random() < 0.85:
        # Most open orders are recent, as on a real platform; a few old ones show what overdue looks like.
        created = now - timedelta(days=rng.uniform(0.05, RECENT_DAYS[target]))
    age = (now - created).total_seconds() / 86400
    if age < 2 and target in ("closed", "redo", "terminated"):
        target = "in_progress"
    anonymous = rng.random() < 0.08
    channel = rng.choices(["transfer", "call", "web", "letter"], weights=[80, 10, 8, 2])[0]
    actor = users["operator"]
    accepted = target != "submitted"
    data = A.OrderInput(
        channel=channel,
        request_type=t["request_type"],
        urgency=t["urgency"],
        category=t["category"],
        subject=t["subject"],
        text=t["text"].format(place=place),
        address=place,
        street=street_code,
        requester_name="" if anonymous else _name(rng),
        requester_phone="" if anonymous else _phone(rng),
        is_anonymous=anonymous,
        reply_wanted=not anonymous,
        consent_publish=rng.random() < 0.3,
        source={"transfer": "市长公开电话", "web": "网络理政平台", "call": "96963", "letter": "书记信箱"}[channel],
    )
    order, _code = A.do_create_order(actor, data, accepted=accepted, now=created)
    if target == "submitted":
        return
    clock = _Clock(created, now, rng)
    if target == "answered":
        A.do_answer_order(
            actor, order.pk, answer=t["reply"], article_ref=f"KB-{rng.randint(1, 200)}", now=clock.step(5, 30) or now
        )
        return
    if target == "rejected":
        A.do_reject_order(
            actor,
            order.pk,
            disposition_reason="outside_district" if rng.random() < 0.5 else "litigation",
            reason="已告知来电人正确渠道",
            now=clock.step(5, 30) or now,
        )
        return
    if target == "merged":
        master = (
            WorkOrder.objects.filter(
                state__in=["in_progress", "dispatched", "pending_dispatch"], created_at__lt=created
            )
            .order_by("-created_at")
            .first()
        )
        if master is not None:
            A.do_merge_order(
                users["dispatcher"],
                order.pk,
                master_id=master.pk,
                reason="同一事项重复反映",
                now=clock.step(5, 60) or now,
            )
            return
    if target == "pending_dispatch":
        return
    street = streets_by_code.get(street_code) or rng.choice(streets)
    lead, supports = _route(order.category, street, entries)
    when = clock.step(5, 120)
    if when is None:
        return
    handle_due = when + timedelta(hours=24) if t["urgency"] == "critical" else None
    A.do_dispatch_order(
        users["dispatcher"],
        order.pk,
        lead_unit_id=lead.pk,
        support_unit_ids=[s.pk for s in supports],
        handle_due=handle_due,
        now=when,
    )
    handler = handlers[lead.pk]
    if target == "returned":
        when = clock.step(30, 600)
        if when is None:
            return
        app = A.do_request_return(handler, order.pk, reason="该事项不属于本单位职责，建议改派属地街道。", now=when)
        when = clock.step(10, 120)
        if when is not None:
            A.do_decide_return(users["dispatcher"], app.pk, approve=True, note="同意改派", now=when)
        return
    if target == "dispatched":
        return
    when = clock.step(20, 60 * 20 if rng.random() < 0.9 else 60 * 40)
    if when is None:
        return
    A.do_sign_assignment(handler, order.pk, now=when)
    for s in supports:
        w = clock.step(10, 240)
        if w is None:
            return
        A.do_sign_assignment(handlers[s.pk], order.pk, now=w)
        w = clock.step(60, 60 * 24)
        if w is None:
            return
        A.do_reply_order(handlers[s.pk], order.pk, internal_notes="协办意见：已配合现场核查。", now=w)
    if rng.random() < 0.15:
        w = clock.step(60, 60 * 24)
        if w is None:
            return
        A.do_supervise_order(users["supervisor"], order.pk, level="remind", note="请加快办理", now=w)
    if rng.random() < 0.08 and order_due_after(order.pk, clock.t + timedelta(days=1)):
        w = clock.step(60, 60 * 24)
        if w is None:
            return
        app = A.do_request_extension(
            handler, order.pk, working_days=rng.randint(2, 5), reason="需协调多个部门现场会商", now=w
        )
        w = clock.step(30, 300)
        if w is None:
            return
        A.do_decide_extension(users["reviewer"], app.pk, approve=rng.random() < 0.8, note="", now=w)
    if target == "terminated":
        w = clock.step(60, 60 * 48)
        if w is None:
            return
        app = A.do_request_termination(handler, order.pk, reason="诉求人明确表示不再需要办理。", now=w)
        w = clock.step(30, 300)
        if w is not None:
            A.do_decide_termination(users["reviewer"], app.pk, approve=True, note="同意终止", now=w)
        return
    if target == "in_progress":
        return
    # Most replies come in 1–5 working days; some late ones make overdue history.
    w = clock.step(60 * 8, 60 * 24 * rng.choice([2, 4, 6, 12, 25]))
    if w is None:
        return
    A.do_log_contact(handler, order.pk, note="电话联系诉求人，说明办理情况。", now=w - timedelta(minutes=30))
    A.do_reply_order(
        handler,
        order.pk,
        internal_notes="已现场核查并处理。",
        public_text=t["reply"],
        requester_contacted=True,
        solved=True,
        now=w,
    )
    if target == "replied":
        return
    if rng.random() < 0.1:
        w = clock.step(30, 600)
        if w is None:
            return
        A.do_review_reply(users["reviewer"], order.pk, approve=False, comment="答复未说明处理依据，请补充。", now=w)
        w = clock.step(60, 60 * 24)
        if w is None:
            return
        A.do_reply_order(
            handler,
            order.pk,
            internal_notes="补充了处理依据。",
            public_text=t["reply"],
            requester_contacted=True,
            solved=True,
            now=w,
        )
    w = clock.step(30, 600)
    if w is None:
        return
    A.do_review_reply(users["reviewer"], order.pk, approve=True, now=w)
    if target == "pending_callback":
        return
    w = clock.step(60, 60 * 20)
    if w is None:
        return
    if not order.reply_wanted and not WorkOrder.objects.get(pk=order.pk).requester_phone:
        A.do_close_order(users["callback"], order.pk, reason="匿名诉求，无需回访", now=w)
        return
    if target == "redo":
        A.do_record_callback(
            users["callback"],
            order.pk,
            outcome="reached",
            contacted=True,
            solved=False,
            satisfaction="dissatisfied",
            reason="问题仍未解决，噪音依旧",
            now=w,
        )
        return
    if rng.random() < 0.1:
        A.do_record_callback(users["callback"], order.pk, outcome="no_answer", now=w)
        w = clock.step(60, 600)
        if w is None:
            return
    sat = rng.choices(["satisfied", "basically", "dissatisfied"], weights=[78, 12, 10])[0]
    A.do_record_callback(
        users["callback"],
        order.pk,
        outcome="reached",
        contacted=True,
        solved=sat != "dissatisfied",
        satisfaction=sat,
        reason="办理结果未达预期" if sat == "dissatisfied" else "",
        now=w,
    )
    if sat == "dissatisfied":
        # The redo round: the unit replies again and the requester is called back once more.
        w = clock.step(60 * 8, 60 * 24 * 3)
        if w is None:
            return
        A.do_reply_order(
            handler,
            order.pk,
            internal_notes="重办：再次现场处理。",
            public_text=t["reply"],
            requester_contacted=True,
            solved=True,
            now=w,
        )
        w = clock.step(30, 600)
        if w is None:
            return
        A.do_review_reply(users["reviewer"], order.pk, approve=True, now=w)
        w = clock.step(60, 60 * 20)
        if w is None:
            return
        A.do_record_callback(
            users["callback"], order.pk, outcome="reached", contacted=True, solved=True, satisfaction="basically", now=w
        )
