"""Every event kind the work-order actions write has a translated label (workorders/events.py).

The kinds are read from the code itself: each ``record_event(order, <kind>, …)`` (or ``_event``) and each
``_apply_transition(order, <name>, …)`` call in actions.py (a transition writes its ``event``), plus every
transition of the table. A kind built at run time must be one of the patterns listed here, so that a new
one fails this test until it has a label.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from django.utils import translation

from yihaotong.workorders import actions, states
from yihaotong.workorders import deadlines as D
from yihaotong.workorders.events import EVENT_LABELS, event_label
from yihaotong.workorders.models import ApplicationKind

CJK = re.compile(r"[\u4e00-\u9fff]")
# Kinds computed at run time, by the source of the expression (as ast.unparse prints it).
DYNAMIC = {
    "f'request_{kind}'": {f"request_{k}" for k in ApplicationKind.values},
    "f'warning_{level}'": {f"warning_{level}" for level in (D.YELLOW, D.RED)},
    "level": {str(level) for level in actions.SUPERVISION_ORDER},
    "t.event": set(),  # inside _apply_transition: the transitions' events, all counted below
    "kind": set(),  # inside record_event, which builds its event with _event: its callers are counted
}


def written_kinds() -> set[str]:
    tree = ast.parse(Path(actions.__file__).read_text(encoding="utf-8"))
    kinds: set[str] = {t.event for t in states.TRANSITIONS.values()}
    unknown = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and len(node.args) >= 2):
            continue
        arg = node.args[1]
        if node.func.id == "_apply_transition":
            assert isinstance(arg, ast.Constant), ast.unparse(node)
            kinds.add(states.TRANSITIONS[arg.value].event)
        elif node.func.id in ("record_event", "_event"):
            if isinstance(arg, ast.Constant):
                kinds.add(arg.value)
            elif ast.unparse(arg) in DYNAMIC:
                kinds |= DYNAMIC[ast.unparse(arg)]
            else:
                unknown.append(ast.unparse(node))
    assert not unknown, f"event kinds this test cannot read: {unknown}"
    return kinds


def test_every_event_kind_written_has_a_label():
    kinds = written_kinds()
    assert {"create", "dispatch", "approve_reply", "extension_approved", "warning_red", "escalate"} <= kinds
    missing = sorted(kinds - set(EVENT_LABELS))
    assert not missing, f"add labels to yihaotong/workorders/events.py for {missing}"


def test_labels_are_chinese_by_default_and_english_on_request():
    with translation.override("zh-hans"):
        untranslated = [
            kind for kind, label in EVENT_LABELS.items() if not any("\u4e00" <= c <= "\u9fff" for c in str(label))
        ]
        assert not untranslated, untranslated
        assert event_label("approve_reply") == "答复审核通过"
        assert event_label("extension_approved") == "同意延期"
    with translation.override("en"):
        assert event_label("approve_reply") == "Reply approved"
    assert event_label("some_future_kind") == "some_future_kind"  # an unknown kind shows its code
