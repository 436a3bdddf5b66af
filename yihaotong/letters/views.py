from django.http import HttpResponse


def letter_list(request):
    return HttpResponse("")
