"""Staff screens of upstream transfers: upload an export, follow its progress, read and download its report."""

from __future__ import annotations

import csv
import io

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from yihaotong.core.api import paginate
from yihaotong.core.errors import DomainError, NotPermitted

from . import actions as A
from .models import BatchState, ImportBatch, Platform, RowResult, Transfer
from .rows import COLUMNS, MAX_BYTES
from .selectors import report_errors


class ImportForm(forms.Form):
    platform = forms.ChoiceField(label=gettext_lazy("Upstream platform"))
    file = forms.FileField(label=gettext_lazy("Export file (.xlsx or .csv)"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["platform"].choices = [
            (p.code, p.name) for p in Platform.objects.filter(is_active=True).order_by("code")
        ]

    def clean_file(self):
        f = self.cleaned_data["file"]
        if f.size > MAX_BYTES:
            raise forms.ValidationError(_("The file is too large (at most %(n)s MB).") % {"n": MAX_BYTES // 2**20})
        return f


_ZH_HEADER = {f: zh for f, zh, _en in COLUMNS}


def _column(field: str) -> str:
    """A field as the file names it: its Chinese column header in Chinese, the field otherwise."""
    if get_language().startswith("zh"):
        return _ZH_HEADER.get(field, field)
    return field


def _importer(request):
    try:
        A.check_can_import(request.user)
    except NotPermitted as exc:
        raise PermissionDenied(exc.localized()) from exc


def _batch(pk: int) -> ImportBatch:
    batch = ImportBatch.objects.select_related("platform", "uploaded_by").filter(pk=pk).first()
    if batch is None:
        raise Http404(_("No such import batch."))
    return batch


@login_required
@require_http_methods(["GET", "POST"])
def transfers(request):
    _importer(request)
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            batch = A.do_start_import(request.user, form.cleaned_data["platform"], upload.name, upload.read())
        except DomainError as exc:
            form.add_error(None, exc.localized())
            for name, errors in exc.localized_errors().items():
                for error in errors:
                    form.add_error(None, f"{name}: {error}")
        else:
            return redirect("channels:batch", batch.pk)
    qs = ImportBatch.objects.select_related("platform", "uploaded_by").order_by("-id")
    platform = request.GET.get("platform", "")
    if platform:
        qs = qs.filter(platform__code=platform)
    batches, meta = paginate(qs, request.GET.get("page"), 20)
    platforms = list(Platform.objects.order_by("code"))
    counts = {}
    for p in platforms:
        counts[p.pk] = Transfer.objects.filter(platform=p).count()
    context = {
        "form": form,
        "batches": batches,
        "meta": meta,
        "platforms": [(p, counts[p.pk]) for p in platforms],
        "platform": platform,
        "columns": COLUMNS,
    }
    return render(request, "channels/transfers.html", context, status=422 if form.errors else 200)


RESULT_FILTERS = [RowResult.REJECTED, RowResult.CONFLICT, RowResult.CREATED, RowResult.UPDATED, RowResult.UNCHANGED]


@login_required
@require_GET
def batch(request, pk: int):
    _importer(request)
    b = _batch(pk)
    result = request.GET.get("result", "")
    qs = b.rows.select_related("order").order_by("line")
    if result in RowResult.values:
        qs = qs.filter(result=result)
    else:
        result = ""
    rows, meta = paginate(qs, request.GET.get("page"), 100)
    for r in rows:
        r.messages = {_column(f): msgs for f, msgs in report_errors(r.errors).items()}
    context = {
        "batch": b,
        "rows": rows,
        "meta": meta,
        "result": result,
        "results": [(r.value, r.label) for r in RESULT_FILTERS],
        "running": b.state in (BatchState.QUEUED, BatchState.RUNNING),
    }
    return render(request, "channels/batch.html", context)


@login_required
@require_GET
def batch_progress(request, pk: int):
    _importer(request)
    b = _batch(pk)
    running = b.state in (BatchState.QUEUED, BatchState.RUNNING)
    response = render(request, "channels/_progress.html", {"batch": b, "running": running})
    if not running and request.headers.get("HX-Request"):
        response["HX-Refresh"] = "true"  # show the finished report
    return response


@login_required
@require_GET
def batch_report(request, pk: int):
    _importer(request)
    b = _batch(pk)
    out = io.StringIO()
    out.write("\ufeff")  # so that Excel reads the UTF-8
    w = csv.writer(out)
    w.writerow([_("Line"), _("Upstream id"), _("Result"), _("Order number"), _("Reasons")])
    labels = dict(RowResult.choices)
    for r in b.rows.select_related("order").order_by("line").iterator(chunk_size=2000):
        reasons = "; ".join(f"{_column(f)}: {m}" for f, msgs in report_errors(r.errors).items() for m in msgs)
        w.writerow(
            [r.line, r.upstream_id, str(labels.get(r.result, r.result)), r.order.number if r.order_id else "", reasons]
        )
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="transfer-batch-{b.pk}.csv"'
    return response
