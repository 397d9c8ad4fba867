from django.urls import path

from tousu.complaints.views import public

app_name = "public"
urlpatterns = [
    path("", public.submit, name="submit"),
    path("submitted/<str:tracking_number>/", public.submitted, name="submitted"),
    path("lookup/", public.lookup, name="lookup"),
]
