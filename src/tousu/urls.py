from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from tousu.api import api
from tousu.complaints.views.home import home
from tousu.workflow.views import survey

urlpatterns = [
    path("", home, name="home"),
    path("api/", api.urls),
    path("admin/", admin.site.urls),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("complaints/", include("tousu.complaints.urls")),
    path("public/", include("tousu.complaints.public_urls")),
    path("survey/<str:token>/", survey, name="survey"),
    path("", include("tousu.workflow.urls")),
    path("", include("tousu.assessments.urls")),
    path("", include("tousu.reports.urls")),
]
