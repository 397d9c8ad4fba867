"""Column headers: the API field names, plus the Chinese (and a few English) headers exports use."""

import re

CANONICAL = (
    "text", "channel", "received_at", "customer_name", "phone", "email", "customer_level", "company",
    "demand", "product", "order_no", "lot", "quantity_delivered", "quantity_defective", "amount",
    "region", "external_id",
)

ALIASES: dict[str, tuple[str, ...]] = {
    "text": ("投诉内容", "内容", "投诉描述", "问题描述", "描述", "诉求内容", "投诉详情", "详情", "content",
             "complaint", "narrative"),
    "channel": ("渠道", "投诉渠道", "来源", "来源渠道", "source"),
    "received_at": ("投诉时间", "受理时间", "时间", "日期", "投诉日期", "来电时间", "发布时间", "date", "time"),
    "customer_name": ("客户姓名", "姓名", "客户", "客户名称", "投诉人", "name", "customer"),
    "phone": ("联系电话", "电话", "手机", "手机号", "手机号码", "联系方式", "mobile"),
    "email": ("邮箱", "电子邮件", "邮件", "电子邮箱", "e-mail"),
    "customer_level": ("客户等级", "客户级别", "会员等级", "level"),
    "company": ("公司", "单位", "客户公司", "客户单位"),
    "demand": ("诉求", "核心诉求", "客户诉求", "投诉诉求"),
    "product": ("产品", "产品型号", "型号", "商品", "产品名称", "sku", "model"),
    "order_no": ("订单号", "订单编号", "合同号", "order", "order_number"),
    "lot": ("批次", "批号", "生产批次", "批次号", "batch"),
    "quantity_delivered": ("交货数量", "发货数量", "到货数量", "交付数量"),
    "quantity_defective": ("不良数量", "不良数", "缺陷数量"),
    "amount": ("金额", "涉及金额", "涉案金额", "投诉金额"),
    "region": ("地区", "区域", "省份", "城市", "所在地区"),
    "external_id": ("编号", "工单号", "外部编号", "原始编号", "投诉编号", "id", "ticket_id"),
}

_SPACES = re.compile(r"[\s　_\-（）()]")


def _key(header: str) -> str:
    return _SPACES.sub("", header).lower()


_LOOKUP: dict[str, str] = {}
for _name in CANONICAL:
    _LOOKUP[_key(_name)] = _name
for _name, _aliases in ALIASES.items():
    for _alias in _aliases:
        _LOOKUP.setdefault(_key(_alias), _name)


def canonical_name(header: object) -> str | None:
    if header is None:
        return None
    return _LOOKUP.get(_key(str(header)))


def map_headers(headers: list[object]) -> tuple[dict[int, str], list[str]]:
    """Column index → field name for known headers (first one wins), and the headers left unused."""
    mapping: dict[int, str] = {}
    ignored: list[str] = []
    taken: set[str] = set()
    for index, header in enumerate(headers):
        name = canonical_name(header)
        if name is None or name in taken:
            if header not in (None, ""):
                ignored.append(str(header))
            continue
        mapping[index] = name
        taken.add(name)
    return mapping, ignored
