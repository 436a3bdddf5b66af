from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

app_name = "consoles"

urlpatterns = [
    path("", views.home, name="home"),
    path(
        "login/",
        auth_views.LoginView.as_view(template_name="consoles/login.html", redirect_authenticated_user=True),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(next_page="consoles:login"), name="logout"),
    path("orders/", views.orders, name="orders"),
    path("orders/<int:pk>/", views.order_detail, name="order"),
]

# Each area of the consoles keeps its routes in its own module (intake desk; centre: dispatch, review,
# callbacks, supervision; units: inbox and unit actions). A module that does not exist yet adds nothing.
for _module in ("desk", "centre", "unit", "kb"):
    try:
        _mod = __import__(f"yihaotong.consoles.urls_{_module}", fromlist=["urlpatterns"])
    except ModuleNotFoundError as _exc:
        if _exc.name != f"yihaotong.consoles.urls_{_module}":
            raise
    else:
        urlpatterns += _mod.urlpatterns
