"""This month's spending in the two pilot villages, as their accountants record it since the county
set its rules (县级设置): through the real operations, so the tiers, the vouchers and the warnings
apply as they would to anyone's entries.

- 中洞村: a 12,000-yuan pump repair (经营支出, 维修费, paid by bank, its invoice photographed) that the
  secretary approved and that waits for the town (its tier); office supplies (管理费用, 办公费, 380
  yuan in cash, with its receipt) that counted at the secretary's approval; the village office's
  electricity (管理费用, 水电费, 1,260 yuan in cash) waiting for the town, with the cash warning.
- 八维村: a repair of the PV array's inverter (经营支出, 维修费, 15,800 yuan) waiting for 多祝镇.
- 墩头村民小组 (中洞村's first group, 组账村代记): its fish pond's lease (村集体收入, 3,600 yuan) and the
  repair of its farm track (公益支出, 2,400 yuan), both counted, read by the group's leader.
"""

import io
import random

from PIL import Image, ImageDraw
from sqlalchemy import select

from coopapp.extensions import db
from coopapp.ledger import operations as ledger
from coopapp.models import Area, Project, User
from coopapp.vouchers import operations as vouchers

from .places import BAWEI, ZHONGDONG

# 中洞村's first village group, 墩头村民小组, whose books the village accountant keeps (组账村代记); its
# leader (`zhongdong.dongtou`, role group_leader) reads them.
DONGTOU = f"{ZHONGDONG}001"
# (village, group or None, project type, kind, yuan, category, payment method, payee, note); each
# with a photo of its receipt.
SPENDING = (
    (
        ZHONGDONG,
        None,
        "beekeeping",
        "operating_expense",
        12_000,
        "维修费",
        "bank",
        "惠东县高潭镇机电维修部",
        "摇蜜机、抽水泵维修",
    ),
    (ZHONGDONG, None, "beekeeping", "admin_expense", 380, "办公费", "cash", "高潭镇文具店", "账本、票据夹等办公用品"),
    (ZHONGDONG, None, "beekeeping", "admin_expense", 1_260, "水电费", "cash", "惠东县供电局", "村委会办公用电电费"),
    (
        BAWEI,
        None,
        "photovoltaic",
        "operating_expense",
        15_800,
        "维修费",
        "bank",
        "惠州市光能电力工程有限公司",
        "光伏逆变器更换",
    ),
    (ZHONGDONG, DONGTOU, "beekeeping", "welfare_expense", 2_400, "维修费", "bank", "墩头组施工队", "墩头组机耕路修补"),
)
# 墩头组's own income this month: the lease of its fish pond (in its books; no spending fields).
GROUP_INCOME = (ZHONGDONG, DONGTOU, "beekeeping", "collective_income", 3_600, "墩头组鱼塘年度发包收入")


def record_this_months_spending(staff: dict[str, tuple[User, User]], villages: dict[str, Area]) -> None:
    """Each of SPENDING entered with its receipt photo, and GROUP_INCOME; each submitted and approved
    by the village's secretary (the county's tiers then send some on to the town)."""
    period = ledger.current_period()
    for code, group, project_type, kind, yuan, category, method, payee, note in SPENDING:
        project = _project(villages[code], project_type)
        data = ledger.EntryInput(
            project_id=project.id,
            period=period,
            kind=kind,
            amount_fen=yuan * 100,
            entry_date=ledger.today(),
            note=note,
            group=group,
            category=category,
            payment_method=method,
            payee=payee,
        )
        _approved(staff[code], data, receipt=(receipt_photo(note, yuan), f"{category}发票.jpg"))
    code, group, project_type, kind, yuan, note = GROUP_INCOME
    project = _project(villages[code], project_type)
    data = ledger.EntryInput(project.id, period, kind, yuan * 100, ledger.today(), note=note, group=group)
    _approved(staff[code], data)


def _approved(staff: tuple[User, User], data: ledger.EntryInput, receipt: tuple[bytes, str] | None = None) -> None:
    """`data` entered by the village's accountant (with its receipt photo, if any), submitted and
    approved by its secretary."""
    accountant, secretary = staff
    if receipt is None:
        entry = ledger.create_entry(accountant, data)
    else:
        photo, name = receipt
        entry = vouchers.create_entry_with_voucher(accountant, data, vouchers.prepare_upload(photo), name)
    ledger.submit_entry(accountant, entry)
    ledger.approve_entry(secretary, entry)


def _project(village: Area, project_type: str) -> Project:
    return db.session.scalars(
        select(Project).where(Project.village_id == village.id, Project.type == project_type).order_by(Project.id)
    ).first()


def receipt_photo(seed: str, yuan: int) -> bytes:
    """A made-up photo of a paper receipt (a JPEG as a phone takes it): ruled lines, a red stamp."""
    rng = random.Random(f"demo:receipt:{seed}")
    image = Image.new("RGB", (720, 960), (236, 232, 222))
    draw = ImageDraw.Draw(image)
    draw.rectangle((40, 40, 680, 920), fill=(252, 251, 246), outline=(120, 120, 120), width=3)
    for y in range(160, 860, 56):
        draw.line((70, y, 650, y), fill=(170, 170, 200), width=2)
        draw.line((90, y - 30, 90 + rng.randrange(200, 520), y - 30), fill=(40, 40, 60), width=6)
    draw.text((90, 90), f"No. {rng.randrange(10**7, 10**8)}", fill=(30, 30, 30))
    draw.text((470, 820), f"{yuan:,}.00", fill=(30, 30, 30))
    draw.ellipse((460, 640, 640, 820), outline=(200, 30, 30), width=8)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=80)
    return out.getvalue()
