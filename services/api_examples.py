"""Examples the OpenAPI schema shows for the catalogue and filing endpoints (services/api.py).

Kept out of the endpoints so that their code reads as what they do. The examples follow the
demo catalogue's food business licence; responses are shaped as the API gives them.
"""

GUIDE_EXAMPLE = {
    "code": "food-business-licence",
    "name": "食品经营许可",
    "name_en": "Food business licence",
    "display_name": "Food business licence",
    "theme": {"slug": "business", "name": "企业开办", "name_en": "Starting a business"},
    "audience": "both",
    "summary": "开办食品经营场所前须取得许可。",
    "fee": None,
    "statutory_limit_days": 20,
    "promised_limit_days": 10,
}

GUIDE_DETAIL_EXAMPLE = {
    **GUIDE_EXAMPLE,
    "legal_basis": "《中华人民共和国食品安全法》第三十五条",
    "conditions": "",
    "process": "",
    "fee_basis": "",
    "max_extension_days": 10,
    "acceptance_limit_days": 5,
    "joint_limit_days": 45,
    "rejection_ends_case": True,
    "materials": [
        {
            "code": "id_card",
            "name": "身份证明",
            "description": "",
            "is_required": True,
            "has_sample": False,
        }
    ],
    "form_fields": [
        {
            "name": "business_name",
            "label": "经营者名称",
            "help_text": "",
            "kind": "text",
            "is_required": True,
            "min_length": 2,
            "max_length": 40,
            "pattern": "",
            "choices": [],
        }
    ],
    "stages": [
        {
            "order": 1,
            "name": "审查",
            "name_en": "Review",
            "departments": [
                {
                    "department": {
                        "code": "market",
                        "name": "市场监督管理局",
                        "name_en": "Market Regulation",
                    },
                    "time_limit_days": 5,
                    "timeout_policy": "deemed_approval",
                }
            ],
        }
    ],
}

APPLICATION_EXAMPLE = {
    "id": 42,
    "tracking_number": "2026112300000042",
    "item": {"code": "food-business-licence", "name": "食品经营许可", "name_en": ""},
    "status": "in_review",
    "status_display": "Under review",
    "created_at": "2026-11-23T09:58:00+08:00",
    "submitted_at": "2026-11-23T10:00:00+08:00",
    "accepted_at": "2026-11-23T11:00:00+08:00",
    "due_at": "2026-12-21T11:00:00+08:00",
    "clock_stopped_at": None,
    "decided_at": None,
}
DRAFT_EXAMPLE = {
    **APPLICATION_EXAMPLE,
    "tracking_number": None,
    "status": "draft",
    "status_display": "Draft",
    "submitted_at": None,
    "accepted_at": None,
    "due_at": None,
    "answers": {"business_name": "张三便利店"},
    "form_fields": [
        {"name": "business_name", "label": "经营者名称", "kind": "text", "is_required": True}
    ],
    "materials": [{"code": "id_card", "name": "身份证明", "is_required": True}],
    "attachments": [],
    "missing": ["Attach “身份证明”."],
    "decision_reason": "",
    "timeline": [
        {
            "kind": "created",
            "kind_display": "Draft started",
            "department": None,
            "note": "",
            "created_at": "2026-11-23T09:58:00+08:00",
        }
    ],
}
WITHDRAWN_EXAMPLE = {**APPLICATION_EXAMPLE, "status": "withdrawn", "status_display": "Withdrawn"}

# What submitting an incomplete draft answers (400): everything missing, at once.
INCOMPLETE_RESPONSE = {"errors": ["Attach “身份证明”."], "fields": {}}

# Requests.
START_REQUEST = {"item": "food-business-licence"}
ANSWERS_REQUEST = {"answers": {"business_name": "张三便利店", "postcode": "230001"}}
WITHDRAW_REQUEST = {"reason": "不再需要"}
