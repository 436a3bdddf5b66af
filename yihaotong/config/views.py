from django.db import connection
from django.http import HttpResponseRedirect, JsonResponse
from django.views.decorators.http import require_GET


@require_GET
def healthz(request):
    with connection.cursor() as cur:
        cur.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


@require_GET
def home(request):
    # The staff consoles arrive with their own issue; until then staff land in the admin and the API docs.
    return HttpResponseRedirect("/admin/")
