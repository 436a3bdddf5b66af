"""Generate a monthly report (月报) and optionally write its workbook."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from yihaotong.analytics.actions import do_generate_monthly_report
from yihaotong.analytics.report import workbook
from yihaotong.core.errors import DomainError


class Command(BaseCommand):
    help = "Generate the report of MONTH (YYYY-MM; default: the previous month) from the rollups."

    def add_arguments(self, parser):
        parser.add_argument("month", nargs="?", default="")
        parser.add_argument("--xlsx", help="also write the workbook to this path")

    def handle(self, *args, **opts):
        month = opts["month"] or (timezone.localdate().replace(day=1) - timezone.timedelta(days=1)).strftime("%Y-%m")
        try:
            report = do_generate_monthly_report(None, month)
        except DomainError as exc:
            raise CommandError(f"{exc.message} {exc.errors or ''}".strip()) from exc
        d = report.data
        figures = {f["code"]: f["value"] for f in d["indicators"]}
        self.stdout.write(
            f"report {d['month']}: {int(figures.get('created') or 0)} orders, "
            f"{len(d['units'])} units, {len(d['hotspots'])} hot spots"
        )
        if opts["xlsx"]:
            with open(opts["xlsx"], "wb") as f:
                f.write(workbook(report))
            self.stdout.write(f"workbook written to {opts['xlsx']}")
