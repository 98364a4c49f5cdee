"""What happens to the public's reports, announced after commit for the apps above to act on.

The reports app knows nothing of those apps: the missing-person case workflow listens to
`missing_reported` and opens its case; reports never imports it.
"""

from django.dispatch import Signal

#: A family reported someone missing through the portal. kwargs: report (MissingPersonReport).
missing_reported = Signal()
