"""The admin of django-tasks-db's task results in Chinese (installed by anmin.core.tasksdb)."""

from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_tasks_db.admin import DBTaskResultAdmin

#: What our tasks are called (their module path → name); a task not listed shows its function name.
TASK_NAMES = {
    "anmin.supervision.tasks.scan_clocks": _("办案时限扫描"),
}
#: Queue names (settings.TASKS) as an administrator reads them.
QUEUE_NAMES = {"default": _("默认队列")}
#: Backend aliases (settings.TASKS) likewise.
BACKEND_NAMES = {"default": _("默认")}


def task_name(task_path: str) -> str:
    return str(TASK_NAMES.get(task_path) or task_path.rsplit(".", 1)[-1])


def queue_label(queue_name: str) -> str:
    return str(QUEUE_NAMES.get(queue_name, queue_name))


def task_result_label(result) -> str:
    return gettext("%(task)s（%(at)s 排队）") % {
        "task": task_name(result.task_path),
        "at": timezone.localtime(result.enqueued_at).strftime("%Y-%m-%d %H:%M:%S") if result.enqueued_at else "—",
    }


class QueueFilter(admin.SimpleListFilter):
    title = _("队列")
    parameter_name = "queue_name"

    def lookups(self, request, model_admin):
        names = model_admin.get_queryset(request).order_by().values_list("queue_name", flat=True).distinct()
        return [(name, queue_label(name)) for name in sorted(names)]

    def queryset(self, request, queryset):
        return queryset.filter(queue_name=self.value()) if self.value() else queryset


class TaskResultAdmin(DBTaskResultAdmin):
    """The library's admin (read-only, newest first) with Chinese column names and values."""

    list_display = ("enqueued_at", "task", "status", "started_at", "finished_at", "priority", "queue")
    list_display_links = ("enqueued_at", "task")
    list_filter = ("status", "priority", QueueFilter)

    def get_readonly_fields(self, request, obj=None) -> list[str]:
        fields = super().get_readonly_fields(request, obj)
        fields[fields.index("queue_name")] = "queue"
        fields[fields.index("backend_name")] = "backend"
        fields.remove("id")  # an internal id (a UUID) tells the administrator nothing
        return fields

    @admin.display(description=_("任务"))
    def task(self, obj) -> str:
        return task_name(obj.task_path)

    @admin.display(description=_("队列"), ordering="queue_name")
    def queue(self, obj) -> str:
        return queue_label(obj.queue_name)

    @admin.display(description=_("后端"))
    def backend(self, obj) -> str:
        return str(BACKEND_NAMES.get(obj.backend_name, obj.backend_name))

    @admin.display(description=_("出错位置"))
    def formatted_traceback(self, obj) -> str:
        return super().formatted_traceback(obj)

    @admin.display(description=_("计划执行时间"))
    def display_run_after(self, obj):
        return super().display_run_after(obj)
