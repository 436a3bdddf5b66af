"""Forms of the knowledge-base console (they only parse; the actions validate and write)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from yihaotong.directory.models import Category, Unit, UnitKind
from yihaotong.kb.actions import ArticleInput
from yihaotong.kb.models import MaterialType, Visibility


def leaf_category_choices() -> list[tuple[str, str]]:
    parents = set(Category.objects.exclude(parent=None).values_list("parent_id", flat=True))
    cats = Category.objects.filter(is_active=True).select_related("parent__parent").order_by("code")
    return [("", "—")] + [
        (c.code, f"{c.code} {c.parent.name if c.parent else ''} / {c.name}") for c in cats if c.pk not in parents
    ]


def unit_choices() -> list[tuple[str, str]]:
    units = Unit.objects.filter(is_active=True, kind__in=[UnitKind.CENTRE, UnitKind.DEPARTMENT, UnitKind.STREET])
    return [("", "—")] + [(u.code, u.name) for u in units]


class ArticleForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=128)
    category = forms.ChoiceField(label=_("Category"))
    material_type = forms.ChoiceField(label=_("Material type"), choices=MaterialType.choices)
    owner_unit = forms.ChoiceField(label=_("Owner unit"))
    issuing_unit = forms.CharField(label=_("Issuing unit"), max_length=128, required=False)
    visibility = forms.ChoiceField(label=_("Visibility"), choices=Visibility.choices)
    content = forms.CharField(
        label=_("Content"), widget=forms.Textarea(attrs={"rows": 12}), help_text=_("Plain text or simple HTML.")
    )
    keywords = forms.CharField(
        label=_("Keywords"), required=False, help_text=_("Comma-separated, each at most 20 characters.")
    )
    phrasings = forms.CharField(
        label=_("Alternative phrasings"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Other ways callers ask this question, one a line."),
    )
    effective_from = forms.DateField(
        label=_("Effective from"), required=False, widget=forms.DateInput({"type": "date"})
    )
    expires_on = forms.DateField(label=_("Expires on"), required=False, widget=forms.DateInput({"type": "date"}))
    next_review_on = forms.DateField(
        label=_("Next review on"), required=False, widget=forms.DateInput({"type": "date"})
    )
    expected_revision = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = leaf_category_choices()
        self.fields["owner_unit"].choices = unit_choices()

    def to_input(self) -> ArticleInput:
        d = self.cleaned_data
        return ArticleInput(
            title=d["title"],
            category=d["category"],
            content=d["content"],
            material_type=d["material_type"],
            owner_unit=d["owner_unit"],
            issuing_unit=d.get("issuing_unit") or "",
            keywords=d.get("keywords") or "",
            phrasings=d.get("phrasings") or "",
            visibility=d["visibility"],
            effective_from=d.get("effective_from"),
            expires_on=d.get("expires_on"),
            next_review_on=d.get("next_review_on"),
        )

    @staticmethod
    def initial_of(article) -> dict:
        return {
            "title": article.title,
            "category": article.category.code,
            "material_type": article.material_type,
            "owner_unit": article.owner_unit.code,
            "issuing_unit": article.issuing_unit,
            "visibility": article.visibility,
            "content": article.content,
            "keywords": article.keywords,
            "phrasings": article.phrasings,
            "effective_from": article.effective_from,
            "expires_on": article.expires_on,
            "next_review_on": article.next_review_on,
            "expected_revision": article.revision,
        }


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=255, required=False)


class ImportForm(forms.Form):
    file = forms.FileField(label=_("File (xlsx or CSV)"))
    publish = forms.BooleanField(label=_("Publish the imported articles at once"), required=False)
