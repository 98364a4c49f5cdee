"""Map layers every map draws under its own markers: county boundaries and station jurisdictions."""

from django.contrib.auth.decorators import login_required
from django.http import JsonResponse


@login_required
def layers(request):
    return JsonResponse({"counties": [], "jurisdictions": []})
