import os

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Serve Anmin (HTTP and WebSocket) with uvicorn, a production-grade ASGI server."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument(
            "--workers",
            type=int,
            default=1,
            help="worker processes; more than one needs REDIS_URL so all workers share the live channel",
        )
        parser.add_argument(
            "--threads",
            type=int,
            default=None,
            help=f"request threads per worker (default SERVE_THREADS, now {settings.SERVE_THREADS})",
        )

    def handle(self, *args, host, port, workers, threads, **options):
        import uvicorn

        if not (settings.DEBUG or settings.SECRET_KEY_FROM_ENV):
            raise CommandError("SECRET_KEY is required unless DEBUG=true (make demo sets DEBUG=true)")
        if not 0 < port < 65536:
            raise CommandError(f"--port must be between 1 and 65535, got {port}")
        if workers < 1:
            raise CommandError("--workers must be at least 1")
        if workers > 1 and not settings.REDIS_URL:
            raise CommandError("--workers > 1 needs REDIS_URL: the in-memory channel layer lives in one process")
        if threads is not None and not 0 < threads <= 256:
            raise CommandError(f"--threads must be between 1 and 256, got {threads}")
        # The arguments first (a typo is answered at once), then what the deployment lacks.
        from anmin.core.duties import startup_problems

        if problems := startup_problems():
            raise CommandError("refusing to serve in production:\n- " + "\n- ".join(problems))
        if threads is not None:
            # Read by anmin.asgi: in this process through settings, in worker processes through
            # the environment they inherit.
            settings.SERVE_THREADS = threads
            os.environ["SERVE_THREADS"] = str(threads)
        self.stdout.write(f"Anmin serving on http://{host}:{port}/ (Ctrl+C to stop)")
        uvicorn.run(
            "anmin.asgi:application",
            host=host,
            port=port,
            workers=workers,
            log_level=os.environ.get("LOG_LEVEL", "warning").lower(),
            access_log=False,
            ws="websockets-sansio",
            lifespan="off",
        )
