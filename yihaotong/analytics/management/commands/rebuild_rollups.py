"""Rebuild the analytics rollup buckets from the event log and the contacts."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand

from yihaotong.analytics import rollup
from yihaotong.analytics.models import Bucket


class Command(BaseCommand):
    help = "Empty the rollup buckets and roll every event and contact up again (or, with --catch-up, only new ones)."

    def add_arguments(self, parser):
        parser.add_argument("--catch-up", action="store_true", help="only roll up what is new since the last run")
        parser.add_argument("--batch", type=int, default=rollup.BATCH)

    def handle(self, *args, **opts):
        t = time.perf_counter()
        if opts["catch_up"]:
            n = rollup.roll_up(batch=opts["batch"])
        else:
            n = rollup.rebuild(batch=opts["batch"])
        self.stdout.write(
            f"{n} rows rolled up into {Bucket.objects.count()} buckets in {time.perf_counter() - t:.1f} s"
        )
