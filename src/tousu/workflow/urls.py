from django.urls import path

from tousu.workflow import views

app_name = "workflow"
urlpatterns = [
    path("complaints/<str:tracking_number>/act/<str:action>/", views.act, name="act"),
    path("complaints/<str:tracking_number>/pause/", views.pause, name="pause"),
    path("complaints/<str:tracking_number>/resume/", views.resume, name="resume"),
    path("complaints/<str:tracking_number>/extend/<str:stage>/", views.extend, name="extend"),
    path("complaints/<str:tracking_number>/exclude-time/", views.exclude_time, name="exclude_time"),
    path("complaints/<str:tracking_number>/end-exclusion/", views.end_exclusion, name="end_exclusion"),
    path("complaints/<str:tracking_number>/expected-date/", views.expected_date, name="expected_date"),
    path("complaints/<str:tracking_number>/follow-ups/", views.follow_up, name="follow_up"),
    path("complaints/<str:tracking_number>/mediation/end/", views.mediation_end, name="mediation_end"),
    path("complaints/<str:tracking_number>/mediation/notice/", views.mediation_notice, name="mediation_notice"),
    path("complaints/<str:tracking_number>/time-bar/", views.time_bar, name="time_bar"),
    path("complaints/<str:tracking_number>/transfer/", views.transfer_view, name="transfer"),
    path("complaints/<str:tracking_number>/solutions/", views.propose, name="propose"),
    path("complaints/<str:tracking_number>/root-cause/", views.root_cause, name="root_cause"),
    path("solutions/<int:solution_id>/decision/", views.decide, name="decide"),
    path("emergencies/", views.emergency_list, name="emergency_list"),
    path("incidents/<int:incident_id>/close/", views.incident_close, name="incident_close"),
    path("emergencies/<int:plan_id>/", views.emergency_detail, name="emergency_detail"),
    path("emergencies/<int:plan_id>/<str:step>/", views.emergency_act, name="emergency_act"),
]
