from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    PHONE = "phone", _("Phone")
    WEB = "web", _("Online service / web form")
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")
    WECHAT = "wechat", _("WeChat")
    SOCIAL = "social", _("Social media (Weibo, Douyin …)")
    APP_REVIEW = "app_review", _("App-store review")
    ONSITE = "onsite", _("On site (store, branch, counter)")
    LETTER = "letter", _("Letter")
    REGULATOR = "regulator", _("Regulator (12315, consumer association …)")
    PARTNER = "partner", _("Transferred by a partner")


class Demand(models.TextChoices):
    REFUND = "refund", _("Refund")
    REPLACEMENT = "replacement", _("Replacement")
    REPAIR = "repair", _("Repair")
    COMPENSATION = "compensation", _("Compensation")
    APOLOGY = "apology", _("Apology")
    EXPLANATION = "explanation", _("Explanation")
    OTHER = "other", _("Other")


class CustomerLevel(models.TextChoices):
    REGULAR = "regular", _("Regular")
    VIP = "vip", _("VIP")
    KEY_ACCOUNT = "key_account", _("Key account")


class Status(models.TextChoices):
    RECEIVED = "received", _("Received")  # recorded, nobody has told the customer yet
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")  # the customer was told it was received
    INVESTIGATING = "investigating", _("Investigating")
    SOLUTION_PROPOSED = "solution_proposed", _("Solution proposed")  # waiting for approval
    APPROVED = "approved", _("Approved")  # the solution may be carried out
    CARRIED_OUT = "carried_out", _("Carried out")
    CUSTOMER_FEEDBACK = "customer_feedback", _("Customer feedback")  # waiting for the customer's answer
    CLOSED = "closed", _("Closed")
    ARCHIVED = "archived", _("Archived")  # kept for the retention period, read-only


# Statuses in which nobody handles the complaint any more: not re-assessed, not transferred.
ENDED = (Status.CLOSED, Status.ARCHIVED)


class EventKind(models.TextChoices):
    RECORDED = "recorded", _("Recorded")
    IMPORTED = "imported", _("Imported")
    ATTACHMENT_ADDED = "attachment_added", _("Attachment added")
    NOTE = "note", _("Note")
    CONTACT = "contact", _("Contact with the customer")
    FIELDS_CHANGED = "fields_changed", _("Fields changed")
    STATUS_CHANGED = "status_changed", _("Status changed")
    TRANSFERRED = "transferred", _("Transferred")
    PUBLIC_VIEWED = "public_viewed", _("Looked up by the customer")
    ASSESSED = "assessed", _("Risk assessed")
    RISK_OVERRIDDEN = "risk_overridden", _("Risk level overridden")
    PAUSED = "paused", _("Waiting for the customer")
    RESUMED = "resumed", _("Clock resumed")
    DEADLINE_WARNING = "deadline_warning", _("Deadline warning")
    ESCALATED = "escalated", _("Escalated")
    DEADLINE_EXTENDED = "deadline_extended", _("Deadline extended")
    SOLUTION_PROPOSED = "solution_proposed", _("Solution proposed")
    APPROVAL = "approval", _("Approval decision")
    ROOT_CAUSE = "root_cause", _("Root cause recorded")
    EMERGENCY = "emergency", _("Emergency plan")
    SURVEY_SENT = "survey_sent", _("Satisfaction survey sent")
    SURVEY_ANSWERED = "survey_answered", _("Satisfaction survey answered")
    PERSONAL_DATA_VIEWED = "personal_data_viewed", _("Full record with personal data viewed")
    ANONYMISED = "anonymised", _("Personal data anonymised (retention)")
    INCIDENT = "incident", _("Mass incident")
    POLICY_ACTIVATED = "policy_activated", _("Risk policy put in force")


class Source(models.TextChoices):
    API = "api", _("API")
    FORM = "form", _("Agent entry form")
    IMPORT = "import", _("Bulk import")
    PUBLIC = "public", _("Public submission page")
    EMAIL = "email", _("Email intake")
    DEMO = "demo", _("Demo data")


# Chinese labels accepted in imports and forms, mapped to the code names.
CHANNEL_ALIASES = {
    "电话": "phone", "热线": "phone", "400热线": "phone", "网站": "web", "在线客服": "web", "网页": "web",
    "在线": "web", "官网": "web", "邮件": "email", "电子邮件": "email", "邮箱": "email", "短信": "sms",
    "微信": "wechat", "公众号": "wechat", "微博": "social", "抖音": "social", "社交媒体": "social",
    "小红书": "social", "黑猫投诉": "social", "应用商店": "app_review", "应用评论": "app_review",
    "现场": "onsite", "门店": "onsite", "网点": "onsite", "柜台": "onsite", "信函": "letter", "来信": "letter",
    "12315": "regulator", "监管": "regulator", "监管转办": "regulator", "消协": "regulator",
    "消费者协会": "regulator", "12345": "regulator", "合作方": "partner", "合作方转办": "partner",
}
DEMAND_ALIASES = {
    "退款": "refund", "退费": "refund", "退货退款": "refund", "换货": "replacement", "更换": "replacement",
    "维修": "repair", "返修": "repair", "赔偿": "compensation", "补偿": "compensation", "道歉": "apology",
    "解释": "explanation", "说明": "explanation", "其他": "other", "其它": "other",
}
CUSTOMER_LEVEL_ALIASES = {"普通": "regular", "普通客户": "regular", "vip": "vip", "VIP": "vip",
                          "贵宾": "vip", "大客户": "key_account", "重点客户": "key_account"}
