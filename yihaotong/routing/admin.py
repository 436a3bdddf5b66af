"""Admin: the stored routing models (read-only, with activate / roll back) and the suggestion decisions."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from yihaotong.core.admin_mixins import ReadOnlyAdmin
from yihaotong.core.errors import DomainError

from .actions import do_activate_router_model
from .loader import active_models
from .models import ModelKind, RouterModel, SuggestionDecision


@admin.register(RouterModel)
class RouterModelAdmin(ReadOnlyAdmin):
    list_display = ["version", "kind", "is_active", "status", "n_train", "holdout_f1", "size", "created_at"]
    list_filter = ["kind", "is_active"]
    exclude = ["blob"]
    readonly_fields = ["status"]
    actions = ["activate_version"]

    def get_queryset(self, request):
        return super().get_queryset(request).defer("blob")

    @admin.display(description=_("hold-out macro-F1"))
    def holdout_f1(self, obj: RouterModel):
        return (obj.metrics or {}).get("holdout", {}).get("macro_f1", "—")

    @admin.display(description=_("status in this process"))
    def status(self, obj: RouterModel) -> str:
        if not obj.is_active:
            return "—"
        loaded = active_models().get(obj.kind)
        if loaded is None or loaded.model_id != obj.pk:
            return str(_("active; not loaded yet"))
        if loaded.ok:
            return str(_("in use"))
        return str(_("load error: %(error)s (catalogue fallback in use)") % {"error": loaded.error})

    def changelist_view(self, request, extra_context=None):
        models = active_models(refresh=True)
        for kind in ModelKind.values:
            loaded = models.get(kind)
            if loaded is None:
                messages.warning(request, _("No active %(kind)s model: suggestions use the fallback.") % {"kind": kind})
            elif not loaded.ok:
                messages.error(
                    request,
                    _("The %(kind)s model v%(version)s cannot be loaded (%(error)s): suggestions use the fallback.")
                    % {"kind": kind, "version": loaded.version, "error": loaded.error},
                )
        return super().changelist_view(request, extra_context)

    @admin.action(description=_("Activate (roll back to) this version"))
    def activate_version(self, request, queryset):
        versions = sorted(set(queryset.values_list("version", flat=True)))
        if len(versions) != 1:
            self.message_user(request, _("Select the models of exactly one version."), messages.ERROR)
            return
        try:
            rows = do_activate_router_model(request.user, versions[0])
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return
        kinds = ", ".join(sorted(r.kind for r in rows))
        self.message_user(request, _("Version %(v)s is active (%(kinds)s).") % {"v": versions[0], "kinds": kinds})


@admin.register(SuggestionDecision)
class SuggestionDecisionAdmin(ReadOnlyAdmin):
    list_display = ["at", "order", "field", "suggested", "chosen", "accepted", "confidence", "source", "actor"]
    list_filter = ["field", "accepted", "source"]
    search_fields = ["order__number"]
    list_select_related = ["order", "actor"]
    date_hierarchy = "at"
