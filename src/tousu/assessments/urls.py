from django.urls import path

from tousu.assessments import views

app_name = "assessments"
urlpatterns = [
    path("complaints/<str:tracking_number>/similar/", views.similar_panel, name="similar"),
    path("complaints/<str:tracking_number>/reference-case/", views.mark_reference, name="mark_reference"),
]
