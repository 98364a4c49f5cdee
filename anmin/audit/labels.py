"""What the audit viewer shows instead of codes and ids: a Chinese label per action code and a
readable name for each object (a case's number, an officer's name and badge), looked up in bulk.

An action code without a label is shown as the code; an object whose type is not listed, or which
no longer exists, is shown by its type alone — never by its internal id. Objects that are persons
(citizens, parties, applicants) are shown by their type only: the trail's reader needs to know
that a person's record was touched, not who the person is.
"""

from django.apps import apps
from django.utils.translation import gettext_lazy as _

ACTION_LABELS = {
    # 身份鉴别
    "auth.login": _("登录"),
    "auth.login_failed": _("登录失败"),
    "auth.logout": _("退出登录"),
    "auth.session_expired": _("会话超时"),
    "auth.locked": _("账号锁定"),
    "auth.throttled": _("登录限速"),
    "auth.challenge_required": _("需要验证码"),
    "auth.challenge_failed": _("验证码错误"),
    "auth.recovery_code_used": _("使用恢复码"),
    "account.created": _("创建账号"),
    "account.deleted": _("删除账号"),
    "account.changed": _("修改账号"),
    "account.role_changed": _("变更角色"),
    "account.enabled": _("启用账号"),
    "account.disabled": _("停用账号"),
    "account.password_set": _("管理员设置密码"),
    "account.password_changed": _("修改密码"),
    "account.totp_enrolled": _("绑定动态口令"),
    "account.totp_reset": _("重置动态口令"),
    "token.issued": _("签发令牌"),
    "token.revoked": _("吊销令牌"),
    "token.restored": _("恢复令牌"),
    "keys.rotate": _("轮换数据密钥"),
    # 审计
    "audit.purged": _("清理过期审计记录"),
    "audit.purge_refused": _("拒绝清理审计记录"),
    "export": _("导出"),
    "pii.reveal": _("显示个人信息"),
    # 接处警
    "incident.receive": _("接警"),
    "incident.merge_call": _("合并重复来电"),
    "incident.dispatch": _("派警"),
    "incident.reopen": _("重新开启警情"),
    "incident.cancel": _("撤销警情"),
    "incidents.category_model": _("训练类别推荐模型"),
    "addresses.load": _("导入标准地址库"),
    "assignment.en_route": _("出警"),
    "assignment.arrive": _("到场"),
    "assignment.handle": _("处置"),
    "assignment.resolve": _("处置完毕"),
    "assignment.feedback": _("处警反馈"),
    "unit.status": _("警力状态"),
    # 执法办案
    "case.accept": _("受案"),
    "case.add_person": _("添加涉案人员"),
    "case.helpers": _("设置协办人"),
    "case.upload": _("上传材料"),
    "case.review": _("案件评查"),
    "case.deliberation": _("集体议案"),
    "approval.request": _("提请审批"),
    "approval.decide": _("审批"),
    "clock.complete": _("办结时限"),
    "clock.extend": _("延长时限"),
    "clock.request_extension": _("申请延长时限"),
    "property.register": _("登记涉案财物"),
    "property.photo": _("上传财物照片"),
    "property.approval.request": _("财物处置申请"),
    "property.approval.decide": _("财物处置审批"),
    "inspection.dismiss": _("巡查忽略"),
    "review.rectified": _("评查整改"),
    "library.create": _("新建典型案例"),
    "library.edit": _("编辑典型案例"),
    "library.publish": _("发布典型案例"),
    "library.withdraw": _("撤回典型案例"),
    "supervision.calendar_load": _("导入节假日安排"),
    # 群众服务
    "citizen.sign_in": _("群众登录"),
    "citizen.verify": _("实名认证"),
    "citizen.identity_change.request": _("申请变更实名信息"),
    "citizen.identity_change.approve": _("同意变更实名信息"),
    "citizen.identity_change.reject": _("驳回变更实名信息"),
    "reports.accident.report": _("快处快赔上报"),
    "reports.accident.agree": _("事故当事人确认"),
    "reports.accident.decide": _("事故认定"),
    "reports.accident.request_decision": _("申请事故认定"),
    "reports.accident.resend_code": _("重发确认码"),
    "reports.missing.report": _("走失报告"),
    "reports.missing.status": _("走失处理"),
    "reports.online.submit": _("网上报警"),
    "reports.tip.submit": _("线索举报"),
    "reports.tip.close": _("线索办结"),
    "reports.message": _("群众留言"),
    "services.submit": _("提交办件"),
    "services.resubmit": _("补正办件"),
    "services.message": _("办件留言"),
    "services.file": _("上传办件材料"),
    "bookings.office_create": _("新建预约窗口"),
    "bookings.slots_create": _("开放预约时段"),
    "bookings.session_create": _("新建考试场次"),
    "bookings.book": _("预约"),
    "bookings.cancel": _("取消预约"),
    "bookings.mark": _("办理签到"),
    "bookings.applicant_register": _("约考登记"),
    "bookings.exam_request": _("申请约考"),
    "bookings.exam_cancel": _("取消约考"),
    "bookings.allocate": _("约考分配"),
    "bookings.results": _("录入考试成绩"),
    "feedback.open": _("发起回访"),
    "feedback.answer": _("回访评价"),
    "feedback.follow_up.open": _("发起整改"),
    "feedback.follow_up.close": _("整改完毕"),
    # 智慧平安社区
    "community.save": _("保存社区"),
    "community.grid_worker": _("登记网格员"),
    "community.building": _("登记楼栋"),
    "community.access_point": _("登记出入口设备"),
    "community.lead_source": _("登记线索来源系统"),
    "community.lead_receive": _("接收社区线索"),
    "community.lead_mark": _("标注社区线索"),
    # 矛盾纠纷与走访
    "dispute.create": _("登记矛盾纠纷"),
    "dispute.accept": _("受理纠纷"),
    "dispute.mediate": _("调解纠纷"),
    "dispute.agree": _("纠纷达成协议"),
    "dispute.transfer": _("移交纠纷"),
    "dispute.follow_up": _("纠纷回访"),
    "dispute.close": _("纠纷办结"),
    "dispute.escalate": _("纠纷风险升级"),
    "dispute.print_full": _("打印调解协议书签署本"),
    "visit.plan": _("制定走访计划"),
    "visit.log": _("登记走访"),
    "visit.task": _("走访转待办"),
    "visit.task_done": _("完成走访待办"),
    # 警务站与检查站
    "posts.roster": _("排班"),
    "posts.shift.change": _("调班"),
    "posts.shift.on_duty": _("上岗"),
    "posts.shift.off_duty": _("下岗"),
    "posts.check": _("查控登记"),
    "posts.hit.handle": _("比中处置"),
    "posts.wanted.save": _("保存布控名单"),
    # 巡控
    "patrol.plan": _("生成巡逻方案"),
    # 走失与被拐
    "missing.open": _("登记走失人员"),
    "missing.clue": _("录入寻人线索"),
    "missing.found": _("确认已找到"),
    "missing.close": _("结束查找"),
    "missing.ring": _("寻人通知扩散"),
    "missing.broadcast_stop": _("停止寻人通知"),
    "missing.group_create": _("新建寻人协查工作群"),
    "missing.group_edit": _("修改寻人协查工作群"),
    "missing.group_clue": _("工作群成员回复线索"),
    "missing.pfif_import": _("导入 PFIF"),
}

#: Object types the viewer names, with the label of the type and the fields naming one object.
#: (None: the type's label only — the object is a person.)
OBJECT_TYPES = {
    "incidents.incident": (_("警情"), ("number",)),
    "cases.case": (_("案件"), ("number",)),
    "cases.approvalrequest": (_("审批"), ("title",)),
    "cases.caseperson": (_("涉案人员"), None),
    "org.officer": (_("民警"), ("full_name", "badge_number")),
    "org.organization": (_("单位"), ("name",)),
    "org.apitoken": (_("API 令牌"), ("prefix",)),
    "dispatch.unit": (_("警力"), ("callsign",)),
    "property.seizeditem": (_("涉案财物"), ("number", "name")),
    "reports.accidentreport": (_("快处快赔"), ("number",)),
    "reports.missingreport": (_("走失报告"), ("number",)),
    "reports.onlinereport": (_("网上报警"), ("number",)),
    "reports.tip": (_("线索举报"), ("number",)),
    "services.application": (_("办件"), ("number",)),
    "library.typicalcase": (_("典型案例"), ("title",)),
    "communities.community": (_("社区"), ("name",)),
    "disputes.dispute": (_("矛盾纠纷"), ("number",)),
    "missing.missingcase": (_("走失人员"), ("number",)),
    "missing.group": (_("寻人协查工作群"), ("name",)),
    "bookings.office": (_("预约窗口"), ("name",)),
    "bookings.booking": (_("预约"), None),
    "bookings.applicant": (_("约考人"), None),
    "citizens.citizen": (_("群众"), None),
    "feedback.survey": (_("回访"), None),
    "core.auditentry": (_("审计记录"), None),
}


def action_label(code: str) -> str:
    return str(ACTION_LABELS.get(code, code))


def object_type_label(object_type: str) -> str:
    known = OBJECT_TYPES.get(object_type)
    if known is not None:
        return str(known[0])
    try:
        return str(apps.get_model(object_type)._meta.verbose_name)
    except (LookupError, ValueError):
        return object_type or "—"


def _name_of(obj, fields) -> str:
    parts = [str(getattr(obj, name, "") or "") for name in fields]
    parts = [part for part in parts if part]
    if len(parts) == 2:
        return f"{parts[0]}（{parts[1]}）"
    return parts[0] if parts else ""


def object_labels(entries) -> dict[tuple[str, str], str]:
    """{(object_type, object_id): "案件 A2026…"} for the entries, one query per object type."""
    wanted: dict[str, set[str]] = {}
    for entry in entries:
        if entry.object_type and entry.object_id:
            wanted.setdefault(entry.object_type, set()).add(entry.object_id)
    labels = {}
    for object_type, ids in wanted.items():
        type_label = object_type_label(object_type)
        known = OBJECT_TYPES.get(object_type)
        names: dict[str, str] = {}
        if known is not None and known[1]:
            model = apps.get_model(object_type)
            numeric = [int(i) for i in ids if i.isdigit() and len(i) < 19]
            fields = [f for f in known[1] if any(f == field.name for field in model._meta.concrete_fields)]
            if numeric and fields:
                for obj in model.objects.filter(pk__in=numeric).only("pk", *fields):
                    names[str(obj.pk)] = _name_of(obj, fields)
        for object_id in ids:
            name = names.get(object_id)
            labels[(object_type, object_id)] = f"{type_label} {name}" if name else type_label
    return labels
