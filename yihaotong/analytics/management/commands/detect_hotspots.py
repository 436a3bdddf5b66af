"""Run the hot-spot detection now (the worker runs it every hour)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from yihaotong.analytics.actions import do_detect_hotspots


class Command(BaseCommand):
    help = "Look for rising clusters of similar requests; raise or update alerts."

    def handle(self, *args, **opts):
        alerts = do_detect_hotspots()
        for a in alerts:
            self.stdout.write(f"{a.pk}: {a.label} ({a.count}, ×{a.growth})")
        self.stdout.write(f"{len(alerts)} alerts")
