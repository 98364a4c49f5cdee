"""django-tasks-db (the queue of the clock scan) as the admin shows it, in Chinese.

The library names its admin section "Tasks Database Backend" in a plain string, gives its model no
`__str__` (Django's default is "DBTaskResult object (…)"), and labels some columns in plain strings;
its model and field names are translatable and get their Chinese from anmin/locale/zh_Hans. This
app config replaces the library's in INSTALLED_APPS (Django's way of renaming a third-party app)
and, once the admin has registered the library's ModelAdmin, swaps in anmin.core.tasksdb_admin's.
"""

from django.utils.translation import gettext_lazy as _
from django_tasks_db.apps import TasksAppConfig


class TasksDatabaseConfig(TasksAppConfig):
    verbose_name = _("后台任务")

    def ready(self) -> None:
        super().ready()
        from django.contrib import admin
        from django_tasks_db.models import DBTaskResult

        from anmin.core.tasksdb_admin import TaskResultAdmin, task_result_label

        # The model has no __str__ of its own: its title in the admin (breadcrumbs, the change page)
        # would be Django's English default.
        DBTaskResult.__str__ = task_result_label
        # The admin app, listed first, has registered the library's ModelAdmin by now.
        if admin.site.is_registered(DBTaskResult):
            admin.site.unregister(DBTaskResult)
        admin.site.register(DBTaskResult, TaskResultAdmin)
