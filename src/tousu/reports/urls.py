from django.urls import path

from tousu.reports import views

app_name = "reports"
urlpatterns = [
    path("reports/", views.review, name="report"),
    path("reports/print/", views.review_print, name="print"),
    path("reports/review.xlsx", views.review_xlsx, name="xlsx"),
    path("reports/complaints/", views.complaints, name="complaints"),
    path("dashboard/", views.dashboard, name="dashboard"),
]
