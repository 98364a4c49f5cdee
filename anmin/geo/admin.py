from django.contrib import admin
from django.db.models.functions import Length

from anmin.geo.models import ArrivalTarget, GridCell, PatrolLine, Place, Post


@admin.register(ArrivalTarget)
class ArrivalTargetAdmin(admin.ModelAdmin):
    list_display = ("area_type", "minutes")


@admin.register(GridCell)
class GridCellAdmin(admin.ModelAdmin):
    # The name first: the H3 index stays as the technical column an administrator may need to
    # match a cell with another system.
    list_display = ("name", "jurisdiction", "area_type", "target_minutes", "h3")
    list_display_links = ("name",)
    list_filter = ("area_type", "jurisdiction__parent")
    search_fields = ("name", "h3", "jurisdiction__name")
    readonly_fields = ("name",)
    # 第2网格 before 第10网格: by station, then by the name's length, then the name.
    ordering = ("jurisdiction__code", Length("name"), "name")
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
