"""The PDFs a quick accident ends with: the 协议书 (both parties agreed on liability) and the
简易程序道路交通事故认定书 (an officer decided it online). A4, Noto Sans CJK embedded (the
property labels' font helper), a QR code of the 快处编号 so an insurer's clerk can look it up."""

from django.utils import timezone

from anmin.property.labels import CjkPdf, _draw_qr, _fit, find_cjk_font
from anmin.reports.models import AccidentParty, Liability, QuickAccident

MARGIN = 18.0
WIDTH = 210.0 - 2 * MARGIN


def _local(dt) -> str:
    return timezone.localtime(dt).strftime("%Y年%m月%d日 %H:%M")


class _Doc:
    def __init__(self, title: str):
        font = find_cjk_font()
        self.pdf = CjkPdf(orientation="P", unit="mm", format="A4")
        self.pdf.set_lang("zh-CN")
        self.pdf.set_title(title)
        self.pdf.set_creator("安民 智慧公安一体化平台")
        self.pdf.add_cjk_fonts(font)
        self.pdf.set_margins(MARGIN, MARGIN, MARGIN)
        self.pdf.set_auto_page_break(True, margin=MARGIN)
        self.pdf.add_page()

    def title(self, text: str, number: str) -> None:
        pdf = self.pdf
        _draw_qr(pdf, number, 210 - MARGIN - 26, MARGIN - 4, 26)
        pdf.set_font("cjk", size=18)
        pdf.set_xy(MARGIN, MARGIN + 4)
        pdf.cell(WIDTH - 28, 10, text, align="C")
        pdf.set_font("cjk", size=10)
        pdf.set_xy(MARGIN, MARGIN + 15)
        pdf.cell(WIDTH - 28, 6, f"编号：{number}", align="C")
        pdf.set_y(MARGIN + 26)

    def row(self, label: str, value: str) -> None:
        pdf = self.pdf
        pdf.set_font("cjk", size=10.5)
        lines = _fit(pdf, value or "—", WIDTH - 32, 12) or ["—"]
        height = 7 * len(lines)
        if pdf.get_y() + height > 297 - MARGIN:
            pdf.add_page()
        y = pdf.get_y()
        pdf.set_fill_color(242, 244, 248)
        pdf.rect(MARGIN, y, 32, height, style="DF")
        pdf.rect(MARGIN + 32, y, WIDTH - 32, height)
        pdf.text(MARGIN + 2, y + 4.8, label)
        for n, line in enumerate(lines):
            pdf.text(MARGIN + 34, y + 4.8 + 7 * n, line)
        pdf.set_y(y + height)

    def heading(self, text: str) -> None:
        self.pdf.ln(3)
        self.pdf.set_font("cjk", size=12)
        self.pdf.cell(WIDTH, 8, text)
        self.pdf.ln(8)

    def paragraph(self, text: str, size: float = 10) -> None:
        self.pdf.set_font("cjk", size=size)
        for line in _fit(self.pdf, text, WIDTH, 40):
            self.pdf.cell(WIDTH, 6, line)
            self.pdf.ln(6)

    def output(self) -> bytes:
        return bytes(self.pdf.output())


def _common(doc: _Doc, accident: QuickAccident) -> None:
    doc.row("事故时间", _local(accident.occurred_at))
    doc.row("事故地点", f"{accident.address}（北纬 {accident.lat:.5f}，东经 {accident.lon:.5f}）")
    doc.row("责任交警单位", accident.traffic_unit.name)
    doc.row("现场照片", f"{accident.photos.count()} 张（已上传至系统存档）")
    doc.row("事故经过", accident.description)
    liability = Liability(accident.liability)
    for party in accident.parties.all():
        doc.heading(f"{party.get_role_display()}当事人")
        doc.row("姓名", party.name)
        doc.row("联系电话", party.phone)
        doc.row("驾驶证号", party.licence_number)
        doc.row("号牌号码", party.plate)
        doc.row("保险公司", party.insurer)
        doc.row("保单号", party.policy_number)
        doc.row("承担责任", liability.of(party.role))


def agreement_pdf(accident: QuickAccident) -> bytes:
    """道路交通事故自行协商协议书."""
    doc = _Doc("道路交通事故自行协商协议书")
    doc.title("道路交通事故自行协商协议书", accident.number)
    _common(doc, accident)
    doc.heading("协商结果")
    doc.paragraph(
        f"经双方当事人自行协商，对事故事实及成因无争议，同意按“{Liability(accident.liability).label}”划分责任，"
        "并由各自保险公司依法理赔。本协议依据《中华人民共和国道路交通安全法》第七十条订立。"
    )
    for party in accident.parties.all():
        how = "本人提交" if party.role == AccidentParty.Role.A else "手机短信验证码确认"
        confirmed = _local(party.confirmed_at) if party.confirmed_at else "—"
        doc.paragraph(f"{party.get_role_display()}确认：{party.name}  {confirmed}（{how}）")
    doc.paragraph(f"生成时间：{_local(timezone.now())}", size=9)
    return doc.output()


def decision_pdf(accident: QuickAccident) -> bytes:
    """简易程序道路交通事故认定书 (《道路交通事故处理程序规定》 简易程序)."""
    doc = _Doc("简易程序道路交通事故认定书")
    doc.title("简易程序道路交通事故认定书", accident.number)
    _common(doc, accident)
    doc.heading("事故事实及责任认定")
    doc.paragraph(accident.decision_facts)
    doc.paragraph(f"责任划分：{Liability(accident.liability).label}")
    doc.paragraph(
        "当事人对事故认定有异议或者调解不成的，可以依法向人民法院提起民事诉讼。"
        "依据《中华人民共和国道路交通安全法》及《道路交通事故处理程序规定》简易程序作出。"
    )
    officer = accident.decided_by
    name = (officer.full_name or officer.username) if officer else "—"
    badge = officer.badge_number if officer else ""
    doc.paragraph(f"交通警察：{name}（警号 {badge or '—'}）  {accident.traffic_unit.name}")
    doc.paragraph(f"认定时间：{_local(accident.decided_at)}")
    return doc.output()
