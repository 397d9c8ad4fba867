from django.contrib import admin


class ReadOnly(admin.ModelAdmin):
    """For records that change only through Tousu's actions (which keep the history): shown, never edited."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
