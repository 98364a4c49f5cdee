"""The `anmin` console command: Django's management commands under one name.

anmin demo [--no-serve]     migrate, load the demo city if empty, serve, print the demo logins
anmin serve [--host --port] production ASGI server (HTTP + WebSocket)
anmin token create USERNAME print a new API token (`anmin token revoke PREFIX` revokes one)
anmin keys init|status|rotate development key files / values per key / re-encrypt with the new key
anmin audit verify|anchor|purge  check the keyed chain and its anchors / anchor the head / purge ≥ 180 days
anmin backup / anmin restore PATH  encrypted backup with a manifest / checked restore, then verify
anmin bench NAME [--json]   benchmarks (dispatch, api, deadlines, stats, portal, soak, categories…);
                            non-zero exit when a target is missed or a request failed
anmin categories train|suggest TEXT|evaluate  category suggestions from the description: train the
                            model on closed incidents / try one text / top-1 and top-3 on held-out calls
anmin migrate / createsuperuser / … any Django management command
"""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "anmin.settings")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(["anmin", *(sys.argv[1:] if argv is None else argv)])
    except ImproperlyConfigured as exc:  # a bad environment variable: say which, no traceback
        sys.stderr.write(f"anmin: configuration error: {exc}\n")
        sys.exit(2)


if __name__ == "__main__":
    main()
