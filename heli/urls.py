from django.contrib.auth import views as auth_views
from django.urls import include, path

from heli.accounts import language
from heli.accounts.views import LoginView, login_code

urlpatterns = [
    path("login/", LoginView.as_view(), name="login"),
    path("login/code/", login_code, name="login_code"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/setlang/", language.set_language, name="set_language"),
    path("", include("heli.public.urls")),
    path("", include("heli.control.urls")),
]
