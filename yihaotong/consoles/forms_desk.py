"""The intake desk form: one contact, and the inputs of whichever outcome the operator chooses.

The form checks what the operator can fix on the spot (required fields per outcome, with messages in the
operator's language); the intake actions check everything again under their transaction.
"""

from __future__ import annotations

from django import forms
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from yihaotong.directory.data.dispositions import DISPOSITION_REASONS, EMERGENCY_SERVICES
from yihaotong.directory.models import RequestType, Urgency
from yihaotong.workorders.models import Channel

# The outcome buttons post ``outcome`` = one of these (emergency and attach carry their argument after ":").
ANSWER = "answer"
CREATE = "create"
ATTACH = "attach"
EMERGENCY = "emergency"
DISPOSE = "dispose"
OUTCOMES = (ANSWER, CREATE, ATTACH, EMERGENCY, DISPOSE)

SERVICE_CODES = tuple(code for code, _name in EMERGENCY_SERVICES)
REASONS = {d["code"]: d for d in DISPOSITION_REASONS}


def parse_outcome(value: str | None) -> tuple[str, str]:
    """Split a button value (``emergency:120``, ``attach:17``, ``create``) into (outcome, argument)."""
    outcome, _sep, arg = (value or "").partition(":")
    outcome = outcome.strip()
    return (outcome if outcome in OUTCOMES else "", arg.strip())


class DeskForm(forms.Form):
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices, initial=Channel.CALL)
    phone = forms.CharField(label=_("Phone"), max_length=32, required=False)
    name = forms.CharField(label=_("Name"), max_length=64, required=False)
    is_anonymous = forms.BooleanField(label=_("Anonymous"), required=False)
    address = forms.CharField(label=_("Address"), max_length=255, required=False)
    summary = forms.CharField(label=_("Summary"), max_length=200, required=False)
    text = forms.CharField(label=_("Full text"), required=False, widget=forms.Textarea(attrs={"rows": 5}))
    # Choices are loaded once per form (one query each), by code.
    request_type = forms.ChoiceField(label=_("Request type"), required=False)
    urgency = forms.ChoiceField(label=_("Urgency"), required=False)
    # Direct answer (the knowledge-base pane).
    answer_text = forms.CharField(label=_("Answer given"), required=False, widget=forms.Textarea(attrs={"rows": 4}))
    article_ref = forms.CharField(label=_("Article reference"), max_length=64, required=False)
    # Attach: the order number typed (a candidate's button posts the order's id instead).
    attach_number = forms.CharField(label=_("Order number"), max_length=24, required=False)
    # Disposition.
    disposition_reason = forms.ChoiceField(
        label=_("Reason"),
        required=False,
        choices=[("", _("Disposition reason…"))] + [(d["code"], d["name"]) for d in DISPOSITION_REASONS],
    )

    def __init__(self, *args, outcome: str = "", outcome_arg: str = "", focus: bool = True, **kwargs):
        kwargs.setdefault("initial", {"channel": Channel.CALL, "urgency": "normal"})
        super().__init__(*args, **kwargs)
        self.outcome = outcome
        self.outcome_arg = outcome_arg
        self.fields["channel"].widget = forms.RadioSelect(choices=Channel.choices)
        english = (get_language() or "").startswith("en")

        def named(rows):
            return [(code, (english and name_en) or name) for code, name, name_en in rows]

        self.fields["request_type"].choices = [("", "—")] + named(
            RequestType.objects.values_list("code", "name", "name_en")
        )
        self.fields["urgency"].choices = named(Urgency.objects.values_list("code", "name", "name_en"))
        # The live panes: the caller's history follows the phone, the street follows the address, the
        # same-matter candidates follow summary, text, address and phone (debounced; see desk/page.html).
        self.fields["phone"].widget.attrs.update(
            {
                "autocomplete": "off",
                "inputmode": "tel",
                "class": "phone",
                "hx-get": reverse("consoles:desk_history"),
                "hx-trigger": "input changed delay:300ms",
                "hx-target": "#history-pane",
                "hx-sync": "this:replace",
            }
        )
        self.fields["name"].widget.attrs.update({"autocomplete": "off"})
        self.fields["address"].widget.attrs.update(
            {
                "autocomplete": "off",
                "hx-get": reverse("consoles:desk_street"),
                "hx-trigger": "input changed delay:300ms",
                "hx-target": "#street-slot",
                "hx-sync": "this:replace",
            }
        )
        self.fields["summary"].widget.attrs.update({"autocomplete": "off", "maxlength": "200"})
        self.fields["article_ref"].widget.attrs.update({"autocomplete": "off"})
        self.fields["attach_number"].widget.attrs.update({"autocomplete": "off", "placeholder": "QY…"})
        self.fields["answer_text"].widget.attrs.update(
            {"placeholder": _("What you told the caller (or the knowledge-base answer used)")}
        )
        # The phone is the first thing a caller says (``focus=False``: a result panel takes the focus).
        if focus:
            self.fields["phone"].widget.attrs["autofocus"] = True

    def full_clean(self):
        super().full_clean()
        self.place_focus()

    def place_focus(self) -> None:
        """Put the focus on the first field to fix (call again after adding the action's errors)."""
        first = next((name for name in self.fields if name in (self._errors or {})), None)
        if first is not None:
            for field in self.fields.values():
                field.widget.attrs.pop("autofocus", None)
            self.fields[first].widget.attrs["autofocus"] = True

    def clean(self):
        data = super().clean()
        outcome = self.outcome
        if not outcome:
            raise forms.ValidationError(_("Choose an outcome: one of the buttons below (Alt+1 … Alt+5)."))
        summary = (data.get("summary") or "").strip()
        # The knowledge-base pane's one-click answer (``answer:<article id>``) takes the question searched,
        # or the article's title, as the summary when none was typed.
        kb_answer = outcome == ANSWER and bool(self.outcome_arg)
        if outcome != EMERGENCY and not summary and not kb_answer:
            self.add_error("summary", _("Write a one-line summary of the matter."))
        if outcome == CREATE:
            if not data.get("request_type"):
                self.add_error("request_type", _("A work order needs a request type."))
            if not data.get("is_anonymous") and not (data.get("phone") or "").strip():
                self.add_error("phone", _("A work order needs the caller's phone, unless the caller is anonymous."))
        elif outcome == ANSWER and not kb_answer:
            if not (data.get("answer_text") or "").strip() and not (data.get("article_ref") or "").strip():
                self.add_error("answer_text", _("Write the answer given, or name the knowledge-base article used."))
        elif outcome == ATTACH:
            if not self.outcome_arg and not (data.get("attach_number") or "").strip():
                self.add_error(
                    "attach_number", _("Type the number of the open order, or use a candidate's attach button.")
                )
        elif outcome == EMERGENCY:
            if self.outcome_arg not in SERVICE_CODES:
                raise forms.ValidationError(_("Choose 110, 119, 120 or 122."))
        elif outcome == DISPOSE and not data.get("disposition_reason"):
            self.add_error("disposition_reason", _("Choose a reason from the list."))
        return data
