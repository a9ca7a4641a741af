from django.apps import AppConfig


class LessonsConfig(AppConfig):
    name = "lessons"
    verbose_name = "Course"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Cache invalidation, not domain logic: any save of content (studio, import,
        # admin) moves the content version that keys the shared page cache.
        from lessons import page_cache

        page_cache.connect_receivers()
