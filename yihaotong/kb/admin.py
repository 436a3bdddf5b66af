"""Admin: articles and logs are shown read-only (they change through the actions, in the KB console);
synonyms and the user dictionary are saved through their actions, so the search index follows at once."""

from django.contrib import admin

from yihaotong.core.admin_mixins import ReadOnlyAdmin

from . import actions as A
from .models import (
    Article,
    ArticleRevision,
    ArticleUsage,
    DictionaryWord,
    GapMark,
    HelpfulVote,
    SearchLog,
    SynonymGroup,
)


class RevisionInline(admin.TabularInline):
    model = ArticleRevision
    extra = 0
    fields = ["number", "action", "state", "actor", "at", "note"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Article)
class ArticleAdmin(ReadOnlyAdmin):
    list_display = ["id", "title", "state", "category", "owner_unit", "material_type", "visibility", "updated_at"]
    list_filter = ["state", "material_type", "visibility"]
    search_fields = ["title", "keywords"]
    inlines = [RevisionInline]


@admin.register(SynonymGroup)
class SynonymGroupAdmin(admin.ModelAdmin):
    list_display = ["terms", "is_active", "note"]
    search_fields = ["terms"]

    def save_model(self, request, obj, form, change):
        saved = A.do_save_synonym_group(
            request.user, obj.terms, group_id=obj.pk if change else None, is_active=obj.is_active, note=obj.note
        )
        obj.pk = saved.pk

    def delete_model(self, request, obj):
        A.do_delete_synonym_group(request.user, obj.pk)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)


@admin.register(DictionaryWord)
class DictionaryWordAdmin(admin.ModelAdmin):
    list_display = ["word", "is_active", "note"]
    search_fields = ["word"]

    def save_model(self, request, obj, form, change):
        saved = A.do_save_dictionary_word(request.user, obj.word, is_active=obj.is_active, note=obj.note)
        obj.pk = saved.pk

    def delete_model(self, request, obj):
        A.do_delete_dictionary_word(request.user, obj.pk)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)


@admin.register(SearchLog)
class SearchLogAdmin(ReadOnlyAdmin):
    list_display = ["at", "query", "channel", "actor", "result_count", "took_ms"]
    list_filter = ["channel"]
    search_fields = ["query"]


@admin.register(ArticleUsage)
class ArticleUsageAdmin(ReadOnlyAdmin):
    list_display = ["at", "article", "kind", "actor", "reference"]
    list_filter = ["kind"]


@admin.register(GapMark)
class GapMarkAdmin(ReadOnlyAdmin):
    list_display = ["at", "query", "state", "actor", "article"]
    list_filter = ["state"]
    search_fields = ["query"]


@admin.register(HelpfulVote)
class HelpfulVoteAdmin(ReadOnlyAdmin):
    list_display = ["updated_at", "article", "helpful", "channel", "comment"]
    list_filter = ["helpful", "channel"]
