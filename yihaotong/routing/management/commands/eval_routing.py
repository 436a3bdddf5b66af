"""``manage.py eval_routing``: the same evaluation as ``yihaotong eval-routing`` (no database needed)."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from yihaotong.routing.ml import evaluate_files


class Command(BaseCommand):
    help = "Train the production routing pipeline on TRAIN.csv only, predict TEST.csv, print the figures as JSON."
    requires_system_checks: list = []
    requires_migrations_checks = False

    def add_arguments(self, parser):
        add_eval_arguments(parser)

    def handle(self, *args, **options):
        try:
            result = evaluate_files(options["train"], options["test"], options["text_columns"], options["label_column"])
        except (OSError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(json.dumps(result))


def add_eval_arguments(parser) -> None:
    parser.add_argument("--train", required=True, metavar="TRAIN.csv")
    parser.add_argument("--test", required=True, metavar="TEST.csv")
    parser.add_argument("--text-columns", required=True, metavar="COL[,COL…]", help="joined by a new line")
    parser.add_argument("--label-column", required=True, metavar="COL")
    parser.add_argument("--json", action="store_true", help="print one JSON object (the only output format)")
