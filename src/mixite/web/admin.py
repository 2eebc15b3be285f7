"""Django's admin: the EPCI administrator manages partners and accounts there."""

from __future__ import annotations

from django.contrib import admin

from mixite.web.models import AuditEvent, Partner, Profile, Upload

admin.site.site_header = "mixite — administration"
admin.site.site_title = "mixite"


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("name", "kind", "code")
    list_filter = ("kind",)


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("user", "role", "partner")
    list_filter = ("role",)


@admin.register(Upload)
class UploadAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("created", "partner", "original_name", "status")
    readonly_fields = ("report",)


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("at", "username", "role", "action", "target")
    list_filter = ("action", "role")

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
