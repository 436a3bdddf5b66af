"""Calendar endpoints (read): the holidays and make-up working days of a year."""

from __future__ import annotations

from datetime import date

from ninja import Router, Schema

from yihaotong.core.errors import NotFound

from .models import CalendarDay, CalendarYear

router = Router()


class DayOut(Schema):
    date: date
    kind: str
    name: str


class YearOut(Schema):
    year: int
    source: str
    notice: str
    days: list[DayOut]


@router.get("/years", response=list[int], summary="Years with calendar data")
def years(request):
    return list(CalendarYear.objects.order_by("year").values_list("year", flat=True))


@router.get("/{int:year}", response=YearOut, summary="Holidays and make-up working days of a year")
def year(request, year: int):
    row = CalendarYear.objects.filter(year=year).first()
    if row is None:
        raise NotFound(f"No calendar for {year}.")
    days = CalendarDay.objects.filter(date__year=year).order_by("date")
    return {
        "year": row.year,
        "source": row.source,
        "notice": row.notice,
        "days": [{"date": d.date, "kind": d.kind, "name": d.name} for d in days],
    }
