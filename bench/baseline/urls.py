from django.db import connection
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.urls import path

PAGE = '<form method="post"><input type="hidden" name="csrfmiddlewaretoken" value="{}"><input name="v"></form>'


def form(request):
    """GET: the form with its CSRF token; POST: two inserts and a session write, then a redirect."""
    if request.method == "POST":
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO bench_baseline (v) VALUES (%s)", [request.POST.get("v", "")])
            cursor.execute("INSERT INTO bench_baseline (v) VALUES (%s)", [request.POST.get("v", "")])
        request.session["n"] = request.session.get("n", 0) + 1
        return HttpResponse(status=302, headers={"Location": "/"})
    request.session.setdefault("n", 0)
    return HttpResponse(PAGE.format(get_token(request)))


urlpatterns = [path("", form)]
