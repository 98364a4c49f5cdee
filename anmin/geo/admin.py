from django.contrib import admin

from anmin.geo.models import ArrivalTarget, GridCell, PatrolLine, Place, Post


@admin.register(ArrivalTarget)
class ArrivalTargetAdmin(admin.ModelAdmin):
    list_display = ("area_type", "minutes")


@admin.register(GridCell)
class GridCellAdmin(admin.ModelAdmin):
    list_display = ("h3", "jurisdiction", "area_type", "target_minutes")
    list_filter = ("area_type", "jurisdiction__parent")
    search_fields = ("h3", "jurisdiction__name")
    autocomplete_fields = ("jurisdiction",)
    list_editable = ("area_type", "target_minutes")
    list_select_related = ("jurisdiction",)


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "organization", "lat", "lon")
    list_filter = ("kind",)
    search_fields = ("name",)
    autocomplete_fields = ("organization",)


@admin.register(PatrolLine)
class PatrolLineAdmin(admin.ModelAdmin):
    list_display = ("name", "organization")
    autocomplete_fields = ("organization",)


@admin.register(Place)
class PlaceAdmin(admin.ModelAdmin):
    list_display = ("name", "address", "lat", "lon")
    search_fields = ("name", "address")
