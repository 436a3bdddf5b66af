"""Public portal pages (no account). Writes go through the domain actions; this module only renders."""

from django.shortcuts import render
from django.views.decorators.http import require_GET


@require_GET
def home(request):
    return render(request, "portal/home.html")
