"""Forms of the feedback screens: they parse input; the actions decide (field names follow the actions)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from yihaotong.directory.models import Unit, UnitKind

from .models import CaseReason, Outcome, PanelType, PublicationState, RectificationState, SessionState, Verdict


class FeedbackForm(forms.Form):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class SessionForm(FeedbackForm):
    title = forms.CharField(label=_("Title"), max_length=200)
    held_on = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    location = forms.CharField(label=_("Location"), max_length=200, required=False)


class SessionFilterForm(forms.Form):
    state = forms.ChoiceField(label=_("State"), required=False, choices=[("", _("All")), *SessionState.choices])


class CandidateFilterForm(forms.Form):
    q = forms.CharField(label=_("Order number or subject"), required=False)
    reason = forms.ChoiceField(
        label=_("Why"),
        required=False,
        choices=[
            ("", _("All")),
            (CaseReason.DISSATISFIED, CaseReason.DISSATISFIED.label),
            (CaseReason.REPEATED, CaseReason.REPEATED.label),
        ],
    )


class AddCaseForm(FeedbackForm):
    number = forms.CharField(label=_("Order number"), max_length=24)


class PanelForm(FeedbackForm):
    members = forms.MultipleChoiceField(label=_("Panel"), required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, roster=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["members"].choices = [
            (
                str(m.pk),
                f"{m.user.display_name or m.user.username} · {m.get_panel_type_display()}"
                + (f" · {m.organisation}" if m.organisation else ""),
            )
            for m in roster
        ]


class RosterForm(FeedbackForm):
    user = forms.TypedChoiceField(label=_("User (role panel member)"), coerce=int)
    panel_type = forms.ChoiceField(label=_("Panel type"), choices=PanelType.choices)
    organisation = forms.CharField(label=_("Organisation"), max_length=120, required=False)

    def __init__(self, *args, users=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].choices = [(u.pk, u.display_name or u.username) for u in users]


class ScoreForm(FeedbackForm):
    verdict = forms.ChoiceField(
        label=_("Did the units do their duty?"), choices=Verdict.choices, widget=forms.RadioSelect
    )
    score = forms.TypedChoiceField(
        label=_("Score"),
        choices=[(str(i), str(i)) for i in range(5, 0, -1)],
        coerce=int,
        help_text=_("5 excellent … 1 poor"),
    )
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required when the units did not do their duty."),
    )


class OutcomeForm(FeedbackForm):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=Outcome.choices, widget=forms.RadioSelect)
    note = forms.CharField(label=_("Panel's conclusion"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    rectification_required = forms.CharField(
        label=_("Rectification required"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when not endorsed."),
    )
    unit = forms.TypedChoiceField(label=_("Unit that rectifies"), coerce=int, required=False, empty_value=None)
    deadline = forms.DateField(
        label=_("Rectification deadline"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, case_id: int | None = None, unit_choices=None, **kwargs):
        if case_id is not None:
            kwargs.setdefault("auto_id", f"id_case{case_id}_%s")
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [
            ("", _("The lead unit")),
            *(unit_choices if unit_choices is not None else unit_options()),
        ]


def unit_options() -> list[tuple[int, str]]:
    """Units that can be asked to rectify (one query; a page with several outcome forms reads it once)."""
    units = Unit.objects.filter(is_active=True, kind__in=[UnitKind.DEPARTMENT, UnitKind.STREET]).order_by("code")
    return [(u.pk, u.name) for u in units.only("pk", "name")]


class RectFilterForm(forms.Form):
    state = forms.ChoiceField(label=_("State"), required=False, choices=[("", _("All")), *RectificationState.choices])
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)


class RectReplyForm(FeedbackForm):
    reply = forms.CharField(label=_("What the unit rectified"), widget=forms.Textarea(attrs={"rows": 4}))


class RectDecideForm(FeedbackForm):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("accept", _("Accept the rectification")), ("send_back", _("Send back to the unit"))],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when sending back."),
    )


class PublicationFilterForm(forms.Form):
    tab = forms.ChoiceField(
        required=False,
        choices=[("candidates", _("To draft")), *PublicationState.choices],
    )
    q = forms.CharField(label=_("Search"), required=False)


class PublicationForm(FeedbackForm):
    title = forms.CharField(label=_("Title"), max_length=200)
    question = forms.CharField(label=_("Question"), required=False, widget=forms.Textarea(attrs={"rows": 5}))
    answer = forms.CharField(label=_("Reply or summary"), widget=forms.Textarea(attrs={"rows": 8}))


class ReasonForm(FeedbackForm):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class PolicyForm(FeedbackForm):
    satisfaction_scale = forms.ChoiceField(
        label=_("Callback satisfaction scale"),
        choices=[("3", _("3 levels (satisfied / basically / dissatisfied)")), ("5", _("National 5-level scale"))],
    )
    callback_fallback = forms.ChoiceField(
        label=_("When callbacks fail"),
        choices=[("sms", _("Invite the requester by SMS to rate online")), ("none", _("Close without rating"))],
    )
