from django.apps import AppConfig


class StandardsConfig(AppConfig):
    name = "nbopen.standards"
    label = "standards"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from nbopen.programs.report import register_section
        from nbopen.standards import report

        register_section(report.SECTION, report.section)  # the operators' city report
