"""The form an operator fills to record a letter as a contact (prefilled from the letter)."""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from yihaotong.directory.data.dispositions import DISPOSITION_REASONS
from yihaotong.directory.models import RequestType, Urgency

OUTCOME_CHOICES = [
    ("work_order", _("Create work order")),
    ("direct_answer", _("Direct answer")),
    ("disposition", _("Disposition")),
    ("attached", _("Attach to order")),
]
PHONE_IN_TEXT = re.compile(r"(?<!\d)(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})(?!\d)")


def phone_in(text: str) -> str:
    """The first mobile or landline number written in the letter, to prefill the phone."""
    match = PHONE_IN_TEXT.search(text or "")
    return match.group(1) if match else ""


class RecordForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=OUTCOME_CHOICES, widget=forms.RadioSelect)
    name = forms.CharField(label=_("Name"), max_length=64, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=32, required=False)
    is_anonymous = forms.BooleanField(label=_("Anonymous"), required=False)
    address = forms.CharField(label=_("Address"), max_length=255, required=False)
    summary = forms.CharField(label=_("Summary"), max_length=200)
    text = forms.CharField(label=_("Full text"), required=False, widget=forms.Textarea(attrs={"rows": 8}))
    request_type = forms.ChoiceField(label=_("Request type"), required=False)
    urgency = forms.ChoiceField(label=_("Urgency"), required=False)
    answer_text = forms.CharField(label=_("Answer given"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    order_number = forms.CharField(label=_("Order number"), max_length=24, required=False)
    disposition_reason = forms.ChoiceField(
        label=_("Disposition reason"),
        required=False,
        choices=[("", "—")] + [(d["code"], d["name"]) for d in DISPOSITION_REASONS],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        english = (get_language() or "").startswith("en")

        def named(rows):
            return [(code, (english and name_en) or name) for code, name, name_en in rows]

        self.fields["request_type"].choices = [("", "—")] + named(
            RequestType.objects.values_list("code", "name", "name_en")
        )
        self.fields["urgency"].choices = named(Urgency.objects.values_list("code", "name", "name_en"))
        for name in ("name", "phone", "address", "summary"):
            self.fields[name].widget.attrs["autocomplete"] = "off"

    @classmethod
    def for_letter(cls, letter) -> RecordForm:
        return cls(
            initial={
                "outcome": "work_order",
                "name": letter.sender_name,
                "phone": phone_in(letter.body_text),
                "summary": (letter.subject or letter.body_text.split("\n", 1)[0])[:200],
                "text": letter.body_text,
                "urgency": "normal",
            }
        )

    def clean(self):
        data = super().clean()
        outcome = data.get("outcome")
        if outcome == "work_order" and not data.get("request_type"):
            self.add_error("request_type", _("A work order needs a request type."))
        if outcome == "direct_answer" and not (data.get("answer_text") or "").strip():
            self.add_error("answer_text", _("Write the answer given to the sender."))
        if outcome == "disposition" and not data.get("disposition_reason"):
            self.add_error("disposition_reason", _("Choose a reason from the list."))
        if outcome == "attached" and not (data.get("order_number") or "").strip():
            self.add_error("order_number", _("Type the number of the open order."))
        return data


class DismissForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200)
