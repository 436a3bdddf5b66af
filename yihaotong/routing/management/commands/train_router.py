"""``manage.py train_router``: train the routing models on the closed orders (same as ``yihaotong train-router``)."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from yihaotong.core.errors import DomainError
from yihaotong.routing.actions import KINDS, do_train_router_models


class Command(BaseCommand):
    help = "Train the request-type, category and unit suggestion models from the district's closed orders."

    def add_arguments(self, parser):
        parser.add_argument("--kinds", default=",".join(KINDS), help="comma-separated: request_type,category,unit")
        parser.add_argument("--min-orders", type=int, help="usable closed orders needed per kind (policy default)")
        parser.add_argument(
            "--activate",
            choices=["auto", "always", "never"],
            default="auto",
            help="auto: activate unless clearly worse than the active models (default)",
        )
        parser.add_argument("--json", action="store_true", help="print the report as JSON")

    def handle(self, *args, **options):
        kinds = [k.strip() for k in options["kinds"].split(",") if k.strip()]
        unknown = [k for k in kinds if k not in KINDS]
        if unknown:
            raise CommandError(f"unknown kinds {unknown}; known: {', '.join(KINDS)}")
        try:
            report = do_train_router_models(
                None, kinds=kinds, min_orders=options["min_orders"], activate=options["activate"]
            )
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
            return
        for result in report.results:
            self.stdout.write(("✓ " if result.trained else "· ") + result.message)
        for message in report.messages:
            self.stdout.write(message)
