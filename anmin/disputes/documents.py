"""The 人民调解协议书 of a dispute settled at the station: A4, Chinese (Noto Sans CJK embedded through
the platform's CJK PDF, `lang` zh-CN), the parties, the facts, the terms and room to sign.

The copy stored and downloaded shows the parties masked: a PDF travels (mail, print rooms) and is
no place for a full ID number. The copy with full names for the parties to sign is produced only by
the audited `PrintAgreementForSigning`."""

from django.utils import timezone

from anmin.core.pii import mask_id_number, mask_name, mask_phone
from anmin.disputes.models import Dispute
from anmin.property.labels import CjkPdf, _fit, find_cjk_font

MARGIN = 20.0
WIDTH = 210.0 - 2 * MARGIN


def _date(dt) -> str:
    return timezone.localtime(dt).strftime("%Y年%m月%d日")


def agreement_pdf(dispute: Dispute, *, masked: bool = True) -> bytes:
    """The 调解协议书 as PDF bytes; parties masked unless `masked` is False (the audited signing copy)."""
    pdf = CjkPdf(orientation="P", unit="mm", format="A4")
    pdf.set_lang("zh-CN")
    title = "人民调解协议书"
    pdf.set_title(f"{title} {dispute.number}")
    pdf.set_creator("安民 智慧公安一体化平台")
    pdf.add_cjk_fonts(find_cjk_font())
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_auto_page_break(True, margin=MARGIN)
    pdf.add_page()
    pdf.set_font("cjk", size=18)
    pdf.cell(WIDTH, 12, title, align="C")
    pdf.ln(12)
    pdf.set_font("cjk", size=10)
    pdf.cell(WIDTH, 6, f"编号：{dispute.number}　　调解单位：{dispute.station.name}", align="C")
    pdf.ln(10)

    def heading(text: str) -> None:
        pdf.set_font("cjk", size=12)
        pdf.cell(WIDTH, 8, text)
        pdf.ln(8)

    def paragraph(text: str) -> None:
        pdf.set_font("cjk", size=10.5)
        for line in _fit(pdf, text or "—", WIDTH, 60):
            pdf.cell(WIDTH, 6.5, line)
            pdf.ln(6.5)

    heading("一、当事人")
    for party in dispute.parties.all():
        name = mask_name(party.name) if masked else party.name
        id_number = mask_id_number(party.id_number) if masked else party.id_number
        phone = mask_phone(party.phone) if masked else party.phone
        parts = [f"{party.get_role_display()}：{name}"]
        if id_number:
            parts.append(f"身份证号码：{id_number}")
        if phone:
            parts.append(f"联系电话：{phone}")
        paragraph("，".join(parts))
    pdf.ln(2)
    heading("二、纠纷主要事实")
    paragraph(f"纠纷类型：{dispute.get_kind_display()}；地点：{dispute.address}；排查时间：{_date(dispute.found_at)}。")
    paragraph(dispute.description)
    pdf.ln(2)
    heading("三、调解经过")
    sessions = list(dispute.sessions.all())
    for session in sessions:
        paragraph(f"{_date(session.held_at)}，调解人{session.mediator}：{session.result}")
    if not sessions:
        paragraph("—")
    pdf.ln(2)
    heading("四、经调解，当事人自愿达成如下协议")
    paragraph(dispute.agreement)
    pdf.ln(2)
    heading("五、履行方式与期限")
    paragraph(
        "当事人应按上述协议内容自觉履行。本协议经双方签字（盖章）后生效，具有法律约束力（《中华人民共和国人民调解法》第三十一条）。"
    )
    pdf.ln(10)
    pdf.set_font("cjk", size=10.5)
    for party in dispute.parties.all():
        name = mask_name(party.name) if masked else party.name
        pdf.cell(WIDTH / 2, 8, f"{party.get_role_display()}（签名）：{name}")
        pdf.ln(10)
    pdf.cell(WIDTH / 2, 8, "调解人（签名）：")
    pdf.ln(10)
    agreed = _date(dispute.agreed_at) if dispute.agreed_at else ""
    pdf.cell(WIDTH, 8, f"{dispute.station.name}　　{agreed}", align="R")
    if masked:
        pdf.ln(12)
        pdf.set_font("cjk", size=8)
        pdf.set_text_color(110, 110, 110)
        pdf.cell(WIDTH, 5, "本件为存档副本，当事人个人信息已脱敏；签署用全名本须经审计的打印操作生成。", align="C")
    return bytes(pdf.output())
