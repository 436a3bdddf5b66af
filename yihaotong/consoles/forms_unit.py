"""Forms of the handling unit's screens: the inbox, the unit panel of an order, the attachments panel.

The forms only parse what the user typed; every rule that matters (windows, maxima, who may) is checked
again by the action, which is the authority. Field names match the action's keyword arguments so that a
domain error naming a field lands on that field. Each form gets its own ``auto_id`` so that several forms
on one panel never share an element id while their field names stay plain.
"""

from __future__ import annotations

from django import forms
from django.core.validators import MaxValueValidator
from django.utils.translation import gettext_lazy as _

from yihaotong.workorders.actions import ALLOWED_ATTACHMENT_TYPES, MAX_ATTACHMENT_BYTES

REASON_ROWS = 2


class AssignmentForm(forms.Form):
    """A unit action about one assignment (派单记录) of the order."""

    action = ""
    assignment_id = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", f"unit-{self.action}-%s")
        super().__init__(*args, **kwargs)


class SignForm(AssignmentForm):
    action = "sign"


class ReturnForm(AssignmentForm):
    action = "return"
    reason = forms.CharField(
        label=_("Reason for the return"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": REASON_ROWS}),
        help_text=_("Say which unit is responsible, and why this one is not."),
    )


class RevealForm(AssignmentForm):
    action = "reveal"
    reason = forms.CharField(
        label=_("Reason for revealing"),
        max_length=500,
        help_text=_("Every reveal is logged with your name, the time and this reason."),
    )


CONTACT_METHODS = [
    ("phone", _("Phone call")),
    ("sms", _("Text message")),
    ("visit", _("Visit")),
    ("other", _("Other")),
]


class ContactLogForm(AssignmentForm):
    action = "contact"
    method = forms.ChoiceField(label=_("How"), choices=CONTACT_METHODS, initial="phone")
    note = forms.CharField(
        label=_("What came of it"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": REASON_ROWS})
    )


SOLVED_CHOICES = [("", _("Not known yet")), ("yes", _("Yes")), ("no", _("No"))]


def _solved(value: str) -> bool | None:
    return {"yes": True, "no": False}.get(value)


class ReplyForm(AssignmentForm):
    action = "reply"
    internal_notes = forms.CharField(
        label=_("Handling notes (internal)"),
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What was done, by whom, with what result. Only staff read this."),
    )
    public_text = forms.CharField(
        label=_("Reply to the requester"),
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What the requester reads after review. No names, ID numbers or phone numbers of others."),
    )
    requester_contacted = forms.BooleanField(label=_("The requester was contacted"), required=False)
    solved = forms.TypedChoiceField(
        label=_("Solved?"), choices=SOLVED_CHOICES, coerce=_solved, empty_value=None, required=False
    )


class ExtensionForm(AssignmentForm):
    action = "extension"
    working_days = forms.IntegerField(label=_("Extra working days"), min_value=1, initial=1)
    reason = forms.CharField(
        label=_("Reason for the extension"), max_length=2000, widget=forms.Textarea(attrs={"rows": REASON_ROWS})
    )

    def __init__(self, *args, remaining: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if remaining is not None:
            # The policy's maximum (extension_max_wd) less what earlier extensions used; the action checks it
            # again under the lock, this only says so before the round trip.
            field = self.fields["working_days"]
            field.max_value = remaining
            field.widget.attrs["max"] = remaining
            field.validators.append(MaxValueValidator(remaining))


class TerminationForm(AssignmentForm):
    action = "termination"
    reason = forms.CharField(
        label=_("Reason for termination"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": REASON_ROWS}),
        help_text=_("For example: the requester withdrew the request, or it cannot be handled by law."),
    )


class SubdispatchForm(AssignmentForm):
    action = "subdispatch"
    # Validated by the action (it must be an active sub-unit of the assignment's unit); the select lists them.
    sub_unit_id = forms.IntegerField(label=_("Sub-unit"), widget=forms.Select)
    instructions = forms.CharField(
        label=_("Instructions"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": REASON_ROWS})
    )

    def __init__(self, *args, sub_units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sub_unit_id"].widget.choices = [("", _("Choose a sub-unit"))] + [(u.pk, u.name) for u in sub_units]


UNIT_FORMS: dict[str, type[AssignmentForm]] = {
    f.action: f
    for f in [
        SignForm,
        ReturnForm,
        RevealForm,
        ContactLogForm,
        ReplyForm,
        ExtensionForm,
        TerminationForm,
        SubdispatchForm,
    ]
}

ATTACHMENT_ACCEPT = ",".join(
    [".jpg", ".jpeg", ".png", ".webp", ".pdf", ".txt", ".docx", ".xlsx", *sorted(ALLOWED_ATTACHMENT_TYPES)]
)


class AttachmentForm(forms.Form):
    file = forms.FileField(
        label=_("File"),
        help_text=_("JPEG, PNG, WebP, PDF, text, Word (.docx) or Excel (.xlsx); at most 10 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": ATTACHMENT_ACCEPT}),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "attachment-%s")
        super().__init__(*args, **kwargs)

    def clean_file(self):
        # The action refuses the same files; saying so here gives the message in the user's language.
        upload = self.cleaned_data["file"]
        content_type = getattr(upload, "content_type", "") or "application/octet-stream"
        if content_type not in ALLOWED_ATTACHMENT_TYPES:
            raise forms.ValidationError(
                _("Files of type %(type)s are not accepted: use JPEG, PNG, WebP, PDF, text, .docx or .xlsx."),
                params={"type": content_type},
                code="file_type",
            )
        if upload.size > MAX_ATTACHMENT_BYTES:
            raise forms.ValidationError(_("Files may be at most 10 MB."), code="file_size")
        return upload
