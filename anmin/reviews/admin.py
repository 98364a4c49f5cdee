from django.contrib import admin

from anmin.reviews.models import CaseReview, Deliberation, Rubric, RubricItem


class RubricItemInline(admin.TabularInline):
    model = RubricItem
    extra = 1


@admin.register(Rubric)
class RubricAdmin(admin.ModelAdmin):
    list_display = ("name", "full_score", "active")
    inlines = [RubricItemInline]


@admin.register(CaseReview)
class CaseReviewAdmin(admin.ModelAdmin):
    list_display = ("case", "score", "reviewer", "reviewed_at", "organization", "investigator")
    list_select_related = ("case", "reviewer", "organization", "investigator")

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


@admin.register(Deliberation)
class DeliberationAdmin(admin.ModelAdmin):
    list_display = ("case", "held_at", "chair")
    list_select_related = ("case", "chair")

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False
