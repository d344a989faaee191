"""Django's flush, in maintenance: it empties the history tables too (their triggers refuse
otherwise). The test runner flushes after every transactional (browser) test; on PostgreSQL
only the owner holds TRUNCATE, so the application's role cannot flush at all."""

from django.core.management.commands import flush

from heli.core.history import maintenance


class Command(flush.Command):
    def handle(self, **options) -> None:
        with maintenance(options["database"]):
            super().handle(**options)
