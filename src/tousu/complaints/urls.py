from django.urls import path

from tousu.complaints.views import imports, staff

app_name = "complaints"
urlpatterns = [
    path("", staff.complaint_list, name="list"),
    path("new/", staff.complaint_new, name="new"),
    path("new/preview/", staff.risk_preview, name="risk_preview"),
    path("export.xlsx", staff.complaint_export, name="export"),
    path("bulk-assign/", staff.bulk_assign, name="bulk_assign"),
    path("saved-filters/", staff.saved_filter_add, name="saved_filter_add"),
    path("saved-filters/<int:filter_id>/delete/", staff.saved_filter_delete, name="saved_filter_delete"),
    path("import/", imports.import_upload, name="import"),
    path("import/<int:job_id>/", imports.import_job, name="import_job"),
    path("<str:tracking_number>/", staff.complaint_detail, name="detail"),
    path("<str:tracking_number>/attachments/", staff.attachment_add, name="attachment_add"),
    path("<str:tracking_number>/attachments/<int:attachment_id>/", staff.attachment_download,
         name="attachment_download"),
    path("<str:tracking_number>/contacts/", staff.contact_add, name="contact_add"),
    path("<str:tracking_number>/risk-override/", staff.risk_override, name="risk_override"),
]
