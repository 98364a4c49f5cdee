from django.conf import settings


def anmin(request):
    """Template context every page needs: site name and map settings."""
    return {
        "SITE_NAME": settings.SITE_NAME,
        "TILE_URL": settings.TILE_URL,
        "TILE_COORDS": settings.TILE_COORDS,
    }
