from django.conf import settings


def anmin(request):
    """Template context every page needs: site name and map settings."""
    return {
        "SITE_NAME": settings.SITE_NAME,
        "TILE_URL": settings.TILE_URL,
        "TILE_COORDS": settings.TILE_COORDS,
        # "lat,lon" with a dot whatever the language: page scripts read it from a data- attribute.
        "MAP_CENTRE": "{:.6f},{:.6f}".format(*settings.MAP_CENTRE),
        "MAP_ZOOM": settings.MAP_ZOOM,
    }
