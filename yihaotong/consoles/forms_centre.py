"""Forms of the centre's screens (dispatch, review, callback, supervision).

The forms only parse input; the actions decide. Field names follow the action arguments where they can, so
that an ``Invalid`` raised by an action lands on the field it names (see ``views_centre.ACTIONS`` for the
few renamed keys).
"""

from __future__ import annotations

from django import forms
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _

from yihaotong.directory.data.dispositions import DISPOSITION_REASONS
from yihaotong.directory.models import Category, Unit, UnitKind
from yihaotong.workorders.models import CallbackOutcome, Satisfaction

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"
YES_NO_UNKNOWN = [("", _("Not asked")), ("yes", _("Yes")), ("no", _("No"))]


def _yes_no(value: str) -> bool | None:
    return {"yes": True, "no": False}.get(value)


class CentreForm(forms.Form):
    """A form whose ids are unique per order, so that a list of orders can hold one form per row."""

    def __init__(self, *args, order_id: int | None = None, **kwargs):
        if order_id is not None:
            kwargs.setdefault("auto_id", f"id_{order_id}_%s")
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def focus_first_error(self) -> None:
        """Put the keyboard focus on the first field that has an error (after a failed submission)."""
        for name in self.fields:
            if name in self.errors:
                self.fields[name].widget.attrs["autofocus"] = True
                return


class ConfirmForm(CentreForm):
    """An action without input (accept): the form only carries errors."""


def leaf_category_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """Return the active leaf categories grouped by their top-level category (one query)."""
    active_children = Category.objects.filter(parent=OuterRef("pk"), is_active=True)
    leaves = (
        Category.objects.filter(is_active=True)
        .exclude(Exists(active_children))
        .select_related("parent__parent")
        .order_by("code")
    )
    groups: dict[str, list[tuple[str, str]]] = {}
    for cat in leaves:
        chain = [cat]
        while chain[-1].parent_id is not None and chain[-1].parent is not None:
            chain.append(chain[-1].parent)
        top = chain[-1]
        label = " / ".join(c.name for c in reversed(chain[:-1])) or cat.name
        groups.setdefault(f"{top.name}", []).append((cat.code, f"{label} ({cat.code})"))
    return list(groups.items())


class ClassifyForm(CentreForm):
    category = forms.ChoiceField(label=_("Category"))

    def __init__(self, *args, categories=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", "—"), *(categories or [])]


class AnswerForm(CentreForm):
    answer = forms.CharField(
        label=_("Answer to the requester"), widget=forms.Textarea(attrs={"rows": 3}), max_length=4000
    )
    article_ref = forms.CharField(
        label=_("Knowledge-base article"),
        required=False,
        max_length=64,
        help_text=_("The article the answer comes from, if any."),
    )


def disposition_choices() -> list[tuple[str, str]]:
    return [(d["code"], d["name"]) for d in DISPOSITION_REASONS]


class RejectForm(CentreForm):
    disposition_reason = forms.ChoiceField(label=_("Disposition reason"))
    reason = forms.CharField(
        label=_("Note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("What the requester was told about the right channel."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["disposition_reason"].choices = [("", "—"), *disposition_choices()]


class MergeForm(CentreForm):
    master_number = forms.CharField(
        label=_("Master order number"), max_length=24, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )
    reason = forms.CharField(label=_("Note"), required=False, max_length=500)

    def clean_master_number(self) -> str:
        return self.cleaned_data["master_number"].strip().upper()


def dispatch_unit_choices() -> list[tuple[str, list[tuple[int, str]]]]:
    """Return the units the centre dispatches to, grouped by kind (one query)."""
    kinds = [UnitKind.DEPARTMENT, UnitKind.STREET, UnitKind.EXTERNAL]
    labels = dict(UnitKind.choices)
    groups: dict[str, list[tuple[int, str]]] = {}
    for unit in Unit.objects.filter(kind__in=kinds, is_active=True).order_by("kind", "sort", "code"):
        groups.setdefault(str(labels[unit.kind]), []).append((unit.pk, unit.name))
    return list(groups.items())


class DispatchForm(CentreForm):
    lead_unit_id = forms.TypedChoiceField(label=_("Lead unit"), coerce=int)
    support_unit_ids = forms.TypedMultipleChoiceField(
        label=_("Supporting units"),
        coerce=int,
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 5}),
        help_text=_("Hold Ctrl to choose several."),
    )
    handle_due = forms.DateTimeField(
        label=_("Handling deadline"),
        required=False,
        input_formats=[DATETIME_LOCAL, "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
        help_text=_("Required when life or property is at risk; otherwise the time-limit rule decides."),
    )
    instructions = forms.CharField(
        label=_("Instructions to the units"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    designated = forms.BooleanField(
        label=_("Designated by the centre (may not be returned twice)"),
        required=False,
    )

    def __init__(self, *args, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        units = units or []
        self.fields["lead_unit_id"].choices = [("", "—"), *units]
        self.fields["support_unit_ids"].choices = units


class ReviewForm(CentreForm):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("approve", _("Approve")), ("send_back", _("Send back"))],
        widget=forms.HiddenInput,
    )
    comment = forms.CharField(
        label=_("Review comments"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when sending the reply back."),
    )


class DecideForm(CentreForm):
    application = forms.IntegerField(widget=forms.HiddenInput)
    decision = forms.ChoiceField(
        label=_("Decision"), choices=[("approve", _("Approve")), ("refuse", _("Refuse"))], widget=forms.HiddenInput
    )
    note = forms.CharField(
        label=_("Decision note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when refusing a return or a termination."),
    )


class CallbackForm(CentreForm):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=CallbackOutcome.choices, widget=forms.RadioSelect)
    contacted = forms.TypedChoiceField(
        label=_("Did the unit contact the requester?"),
        choices=YES_NO_UNKNOWN,
        coerce=_yes_no,
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
    )
    solved = forms.TypedChoiceField(
        label=_("Was the matter solved?"),
        choices=YES_NO_UNKNOWN,
        coerce=_yes_no,
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
    )
    satisfaction = forms.ChoiceField(
        label=_("Satisfaction"),
        choices=[("", _("Not given")), *Satisfaction.choices],
        required=False,
        widget=forms.RadioSelect,
    )
    score5 = forms.TypedChoiceField(
        label=_("National 5-level score"),
        choices=[("", "—"), *[(str(i), str(i)) for i in range(5, 0, -1)]],
        coerce=int,
        empty_value=None,
        required=False,
        help_text=_("Instead of the 3 levels: 4–5 satisfied, 3 basically satisfied, 1–2 dissatisfied."),
    )
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when the requester is dissatisfied: the order goes back to the unit for redo."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Policy "satisfaction_scale": the 3 levels (满意 / 基本满意 / 不满意) or the national 5-level scale.
        from yihaotong.directory.policy import get_policy

        if str(get_policy().get("satisfaction_scale", "3")) == "5":
            del self.fields["satisfaction"]
            self.fields["score5"].help_text = _("5 very satisfied … 1 very dissatisfied (the national scale).")
        else:
            del self.fields["score5"]


CALLBACK_DUE = [("", _("Any time")), ("overdue", _("Overdue")), ("today", _("Due today"))]


class CallbackFilterForm(forms.Form):
    """The callback desk's filters (GET)."""

    q = forms.CharField(label=_("Order number or subject"), required=False)
    due = forms.ChoiceField(label=_("Callback due"), required=False, choices=CALLBACK_DUE)
    unit = forms.CharField(label=_("Lead unit"), required=False)
    redo = forms.ChoiceField(
        label=_("Redo rounds"),
        required=False,
        choices=[("", _("Any")), ("0", _("First callback")), ("1", _("After redo"))],
    )


class ReasonForm(CentreForm):
    """Close without callback, redo: one reason field (the action says when it is required)."""

    reason = forms.CharField(label=_("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class RedoForm(CentreForm):
    reason = forms.CharField(label=_("Reason for redo"), widget=forms.Textarea(attrs={"rows": 2}))


class SuperviseForm(CentreForm):
    note = forms.CharField(
        label=_("Note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Optional for a reminder; required for supervision and escalation."),
    )


class QueueFilterForm(forms.Form):
    """The dispatch queue's filters (GET)."""

    q = forms.CharField(label=_("Search"), required=False)
    request_type = forms.CharField(label=_("Request type"), required=False)
    urgency = forms.CharField(label=_("Urgency"), required=False)
    street = forms.CharField(label=_("Street"), required=False)
    sort = forms.ChoiceField(
        label=_("Sort"),
        required=False,
        choices=[("oldest", _("Oldest first")), ("urgency", _("Urgency first"))],
    )
