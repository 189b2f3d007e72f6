from django.apps import AppConfig


class IncubatorConfig(AppConfig):
    name = "nbopen.incubator"
    label = "incubator"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from nbopen.incubator import report
        from nbopen.programs.report import register_section

        register_section(report.SECTION, report.section)  # the operators' city report
