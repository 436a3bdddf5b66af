from __future__ import annotations

from django import forms
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from yihaotong.directory.models import RequestType
from yihaotong.notifications.phones import mobile_or_none
from yihaotong.workorders.models import Satisfaction


def request_type_choices():
    english = (get_language() or "").startswith("en")
    return [
        (rt.code, (rt.name_en if english and rt.name_en else rt.name))
        for rt in RequestType.objects.order_by("sort", "code")
    ]


class SubmitForm(forms.Form):
    request_type = forms.ChoiceField(label=_("Type of request"), choices=())
    subject = forms.CharField(label=_("Subject"), max_length=200)
    text = forms.CharField(
        label=_("What happened"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("When and where, what you ask for. At most 4000 characters."),
    )
    address = forms.CharField(label=_("Address"), max_length=255, required=False)
    name = forms.CharField(label=_("Your name"), max_length=64, required=False)
    anonymous = forms.BooleanField(label=_("Submit anonymously (your name is not recorded)"), required=False)
    phone = forms.CharField(
        label=_("Mobile phone"),
        max_length=20,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "inputmode": "tel"}),
        help_text=_("We send a verification code, then the order number and query code to this phone."),
    )
    code = forms.CharField(
        label=_("Verification code"),
        max_length=6,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "pattern": "[0-9]*"}),
    )
    consent_publish = forms.BooleanField(
        label=_("The reply may be published without my personal details"), required=False
    )
    confidential = forms.BooleanField(
        label=_("Keep my identity confidential (whistle-blowing)"),
        required=False,
        help_text=_("Your name and phone are not shown to the unit you report on or the handling unit."),
    )
    same_matter = forms.ChoiceField(choices=[("", ""), ("same", "same"), ("new", "new")], required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["request_type"].choices = request_type_choices()
        # While the citizen types, the public KB answers that may already help appear below (htmx).
        suggest = {
            "hx-get": reverse("portal:kb_suggest"),
            "hx-trigger": "input changed delay:500ms",
            "hx-include": "#id_subject, #id_text",
            "hx-target": "#kb-hits",
            "hx-sync": "#kb-hits:replace",
        }
        self.fields["subject"].widget.attrs.update(suggest)
        self.fields["text"].widget.attrs.update(suggest)

    def clean_phone(self):
        mobile = mobile_or_none(self.cleaned_data["phone"])
        if mobile is None:
            raise forms.ValidationError(_("Enter an 11-digit mobile number."))
        return mobile

    def clean(self):
        data = super().clean()
        if not data.get("anonymous") and not (data.get("name") or "").strip():
            self.add_error("name", _("Enter your name or choose to submit anonymously."))
        return data


class TrackForm(forms.Form):
    number = forms.CharField(
        label=_("Order number"), max_length=24, widget=forms.TextInput(attrs={"autocapitalize": "characters"})
    )
    code = forms.CharField(label=_("Query code"), max_length=12, widget=forms.TextInput(attrs={"inputmode": "numeric"}))


class RateForm(forms.Form):
    satisfaction = forms.ChoiceField(
        label=_("How satisfied are you with the result?"), choices=Satisfaction.choices, widget=forms.RadioSelect
    )
    reason = forms.CharField(
        label=_("Reason"), max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def clean(self):
        data = super().clean()
        if data.get("satisfaction") == Satisfaction.DISSATISFIED and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Tell us why you are not satisfied; the unit will handle it again."))
        return data
