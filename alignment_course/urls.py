from django.contrib import admin
from django.urls import include, path

from lessons.views import accounts

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/signup/", accounts.signup, name="signup"),
    path("accounts/login/", accounts.LoginView.as_view(), name="login"),
    path("accounts/delete/", accounts.delete_account, name="delete_account"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("lessons.urls")),
]
