"""Rebuild the knowledge-base search index from the database, in this process and in every other one."""

import json
import time

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Rebuild the knowledge-base search index from the database (every server process follows)."

    def handle(self, *args, **options):
        from yihaotong.kb.actions import do_request_reindex
        from yihaotong.kb.search import build_index

        version = do_request_reindex()
        started = time.perf_counter()
        index = build_index()
        took = time.perf_counter() - started
        self.stdout.write(json.dumps({"articles": len(index), "version": version, "build_s": round(took, 3)}))
