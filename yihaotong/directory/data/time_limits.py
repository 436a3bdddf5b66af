"""Default time limits (办理时限) and policy settings.

Defaults follow the Sichuan province 2025 rules that apply to Chengdu (domain.md §5). They are seed
values only: administrators edit them in the directory, code must never treat them as constants.

Rule lookup (see ``TimeLimitRule``): the most specific active rule wins, so the urgency-only rules
below override the per-type rules for urgent and critical orders.
Units: "wd" working days, "h" clock hours, "min" clock minutes; ``handle_value`` None means the
dispatcher sets the deadline when dispatching (``handle_unit`` is then "").
"""

from __future__ import annotations

BASIS = "四川省 2025 默认时限（可编辑）"


def _rule(request_type, urgency, sign_value, sign_unit, handle_value, handle_unit):
    return {
        "request_type": request_type,
        "urgency": urgency,
        "sign_value": sign_value,
        "sign_unit": sign_unit,
        "handle_value": handle_value,
        "handle_unit": handle_unit,
        "basis": BASIS,
    }


TIME_LIMITS = [
    # Per request type (any urgency not covered by an urgency rule).
    _rule("consult", None, 1, "wd", 3, "wd"),
    _rule("help", None, 1, "wd", 7, "wd"),
    _rule("suggest", None, 1, "wd", 7, "wd"),
    _rule("complaint", None, 1, "wd", 15, "wd"),
    _rule("report", None, 1, "wd", 15, "wd"),
    _rule("praise", None, 1, "wd", 7, "wd"),
    _rule("other", None, 1, "wd", 7, "wd"),
    # Per urgency, any request type: clock time, not working time.
    _rule(None, "urgent", 30, "min", 24, "h"),  # utilities outage, public safety
    _rule(None, "critical", 15, "min", None, ""),  # life or property at risk: dispatcher sets the deadline
]

POLICY_DEFAULTS = {
    # A unit may return (退单) an assignment within this many working days of dispatch.
    "return_window_wd": 2,
    # An extension (延期) may add at most this many working days to the deadline.
    "extension_max_wd": 10,
    # The centre calls the requester back within this many working days after the reply is approved.
    "callback_wd": 1,
    # A closed order may be reopened for redo (重办) within this many calendar days of closing.
    "redo_window_days": 30,
    # At most this many redo rounds after dissatisfied callbacks; then third-party review is suggested.
    "redo_max_rounds": 2,
    # Yellow warning for hour/minute limits when this fraction of the limit remains.
    "yellow_hour_fraction": 0.25,
    # Yellow warning for working-day limits when this many working days remain.
    "yellow_working_days": 1,
    # When the clock starts: "dispatch" (派单) or "sign" (签收).
    "clock_start": "dispatch",
    # Working-day counting starts on the "same_day" or the "next_day" (next working day).
    "count_from": "next_day",
    # Order states in which the deadline clock is paused (none by default).
    "pause_states": [],
    # Callback attempts before the callback is recorded as "could not contact".
    "callback_max_attempts": 3,
    # An order becomes a third-party review candidate after this many dissatisfied callbacks.
    "review_candidate_dissatisfied": 2,
    # ... or after this many contacts by the requester about the same matter.
    "review_candidate_contacts": 10,
    # Satisfaction rate weights (满意率 = 满意 + 0.9 × 基本满意 by default).
    "satisfaction_weights": {"satisfied": 1.0, "basically": 0.9, "dissatisfied": 0.0},
    # Centre roles that may see whistle-blowing (举报) and confidential orders; other centre staff may not.
    "confidential_roles": ["dispatcher", "reviewer", "supervisor", "callback_agent", "sysadmin"],
    # A unit is reminded of a third-party review rectification this many days before its deadline (0: never).
    "rectification_warning_days": 3,
    # A caller with this many contacts is flagged as a frequent caller at the intake desk.
    "frequent_caller_contacts": 5,
    # Routing suggestions (docs/decisions/0007): the dispatcher screen offers one-key accept from this
    # confidence up (only a trained model's calibrated confidence can reach it; keyword hints stay below 0.6).
    "router_accept_threshold": 0.8,
    # A routing model of a kind is trained only from this many usable closed orders; below, the catalogue.
    "router_min_orders": 200,
    # Categories / units / request types with fewer closed orders than this are left out of training.
    "router_min_class_examples": 5,
    # Training reads at most this many of the newest closed orders.
    "router_train_max_orders": 50000,
    # The weekly retraining does not activate a model whose hold-out macro-F1 is this much below the active one.
    "router_max_f1_drop": 0.05,
}
