"""Demo catalogue and demo accounts: realistic enough to click through, never used in production.

`manage.py load_demo` calls `load_demo()`; it is idempotent, so `make run` runs it every time.
"""

from base64 import b32encode
from datetime import UTC, datetime, timedelta

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.enterprises import add_member
from accounts.identity import credit_code_check_character, resident_id_check_character
from accounts.models import Department, EnterpriseRole, Membership, Region, User
from accounts.two_factor import requires_two_factor
from approvals.letters import answer_letter, triage_letter
from approvals.models import CommonOpinion, Substitution
from approvals.routing import route_application
from approvals.substitutes import name_substitute
from approvals.substitutes import today as official_today
from disclosure.consultations import (
    Moderation,
    draft_consultation,
    moderate_comment,
    submit_comment,
)
from disclosure.models import Consultation, Publication
from instruments.models import IssuingOffice
from services.catalogue import freeze_definition
from services.letters import write_letter
from services.models import (
    FormField,
    ItemImplementation,
    Letter,
    Material,
    ReviewStage,
    ServiceItem,
    StageDepartment,
    Theme,
)
from services.parties import active_authorisations, authorise

DEMO_PASSWORD = "Portal-demo-2026"
# The demo applicants' addresses count as verified, so "Forgot your password?" can be tried
# (the code appears in the console, the demo's mail backend).
DEMO_EMAIL_VERIFIED_AT = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
# DEMO ONLY, published: the TOTP secret of every demo civil servant and administrator, so that
# anyone trying the demo can make the second-factor code (README, "Demo accounts").
DEMO_TOTP_KEY = b"portal-demo-totp-key"
DEMO_TOTP_SECRET = b32encode(DEMO_TOTP_KEY).decode("ascii")

THEMES = [
    ("business", "开办企业", "Business start-up"),
    ("housing", "住房与建设", "Housing and construction"),
    ("education", "教育", "Education"),
    ("transport", "交通出行", "Transport"),
    ("health", "医疗卫生", "Health"),
    ("social-security", "社会保障", "Social security"),
    ("residence", "户籍与居住", "Residence"),
    ("open-government", "政务公开", "Open government"),
]

DEPARTMENTS = [
    ("service-centre", "市政务服务中心", "Government Service Centre", True),
    ("market", "市市场监督管理局", "Administration for Market Regulation", False),
    ("tax", "市税务局", "Tax Bureau", False),
    ("police", "市公安局", "Public Security Bureau", False),
    ("hrss", "市人力资源和社会保障局", "Human Resources and Social Security Bureau", False),
    ("planning", "市自然资源和规划局", "Natural Resources and Planning Bureau", False),
    ("housing", "市住房和城乡建设局", "Housing and Urban-Rural Development Bureau", False),
    ("fire", "市消防救援支队", "Fire and Rescue Detachment", False),
    ("education", "市教育局", "Education Bureau", False),
    ("health", "市卫生健康委员会", "Health Commission", False),
    ("general-office", "市人民政府办公室", "General Office of the Municipal Government", False),
]

# The demo province, its two cities and a district of the first (GB/T 2260).
REGIONS = [
    ("340000", "安徽省", "Anhui Province", "province", None),
    ("340100", "合肥市", "Hefei", "city", "340000"),
    ("340104", "蜀山区", "Shushan District", "district", "340100"),
    ("340200", "芜湖市", "Wuhu", "city", "340000"),
]
FIRST_CITY, SECOND_CITY = "340100", "340200"

# The second city's departments: they review its implementations of the items below.
WUHU_DEPARTMENTS = [
    ("wuhu-service-centre", "芜湖市政务服务中心", "Wuhu Government Service Centre", True),
    ("wuhu-market", "芜湖市市场监督管理局", "Wuhu Administration for Market Regulation", False),
    ("wuhu-tax", "芜湖市税务局", "Wuhu Tax Bureau", False),
    ("wuhu-police", "芜湖市公安局", "Wuhu Public Security Bureau", False),
    (
        "wuhu-hrss",
        "芜湖市人力资源和社会保障局",
        "Wuhu Human Resources and Social Security Bureau",
        False,
    ),
]

# How Wuhu implements three of the standard items: its own departments and limits, and one
# local material (asked only there).
WUHU_IMPLEMENTATIONS = {
    "business-startup": {
        "promised": 2,
        "stages": [
            (
                "并联审查",
                "Parallel review",
                [("wuhu-market", 2), ("wuhu-tax", 2), ("wuhu-police", 2), ("wuhu-hrss", 2)],
            )
        ],
    },
    "food-business-licence": {
        "promised": 4,
        "stages": [("审查", "Review", [("wuhu-market", 4)])],
        "local_materials": [
            (
                "cold-chain-records",
                "冷链食品进货查验记录制度",
                "经营冷链食品的，提交进货查验和记录制度（芜湖市要求）。",
            ),
        ],
    },
    "residence-permit": {"promised": 7, "stages": [("审核", "Review", [("wuhu-police", 7)])]},
}

# The abbreviations that number each department's written instruments (instruments/numbering.py).
INSTRUMENT_PREFIXES = {
    "service-centre": "合政服受",
    "market": "合市监许",
    "tax": "合税许",
    "police": "合公许",
    "hrss": "合人社许",
    "planning": "合自规许",
    "housing": "合建许",
    "fire": "合消许",
    "education": "合教许",
    "health": "合卫许",
    "general-office": "合政办依申请",
    "wuhu-service-centre": "芜政服受",
    "wuhu-market": "芜市监许",
    "wuhu-tax": "芜税许",
    "wuhu-police": "芜公许",
    "wuhu-hrss": "芜人社许",
}

ID_MATERIAL = ("id-card", "申请人身份证", "正反面扫描件或照片。")

# Once-only: the same document asked by several items shares a type (Material.kind), so a
# file given for one item is offered again on another; and the account's data fills in the
# fields that ask for it (FormField.prefill_from).
DOCUMENT_TYPES = {
    "id-card": "id-card",
    "legal-rep-id": "id-card",
    "photo": "id-photo",
    "residence-proof": "residence-proof",
    "premises": "premises-proof",
}
PREFILL = {"current_address": "address"}
# Materials an e-certificate issued by the portal may stand for (电子证照免提交, issue 18 §8):
# (item, material) → the item whose valid e-certificate satisfies it.
SATISFIED_BY_CERTIFICATE = {("food-business-licence", "business-licence"): "business-startup"}

# code, name, name_en, theme, audience, summary, basis, conditions, process, fee, statutory, promised,
# max extension, fields, materials, stages[(name, name_en, [(department, days)])]
ITEMS = [
    {
        "code": "business-startup",
        "name": "企业开办（设立登记、发票申领、公章刻制、社保登记）",
        "name_en": "Business start-up (registration, invoices, company seal, social insurance)",
        "theme": "business",
        # Filed by a founder (a citizen such as 张三) or an existing enterprise; the licence is
        # the new company's, named in the form (issue 17 §1).
        "audience": "both",
        "subject_rule": "new_entity",
        "subject_name_field": "company_name",
        "summary": "一次申请，市场监管、税务、公安、人社四部门并联办理，免费刻制公章。",
        "legal_basis": "《中华人民共和国公司法》第二十九条；《中华人民共和国市场主体登记管理条例》第三条；"
        "《优化营商环境条例》第十九条。",
        "conditions": "申请人为拟设立的有限责任公司，名称已自主申报，住所真实有效。",
        "process": "1. 在线填写一张表单并上传材料；2. 市场监管、税务、公安、人社同时审查；"
        "3. 全部通过后领取营业执照、发票和公章，社保登记同步完成。",
        "fee": None,
        "statutory": 20,
        "promised": 3,
        "fields": [
            ("company_name", "公司名称", "text", True, {"min_length": 4, "max_length": 60}),
            ("registered_capital", "注册资本（万元）", "number", True, {}),
            ("business_scope", "经营范围", "long_text", True, {"max_length": 2000}),
            ("legal_representative", "法定代表人姓名", "text", True, {"max_length": 30}),
            ("address", "住所", "text", True, {"max_length": 200}),
            ("needs_invoices", "是否申领发票", "yes_no", True, {}),
        ],
        "materials": [
            ("articles", "公司章程", "全体股东签署的公司章程。", True, True),
            ("premises", "住所使用证明", "房屋产权证明或租赁合同。", True, False),
            ("legal-rep-id", "法定代表人身份证", "正反面扫描件。", True, False),
        ],
        "stages": [
            (
                "并联审查",
                "Parallel review",
                [("market", 3), ("tax", 3), ("police", 3), ("hrss", 3)],
            )
        ],
    },
    {
        "code": "food-business-licence",
        "name": "食品经营许可",
        "name_en": "Food business licence",
        "theme": "health",
        "audience": "enterprise",
        "summary": "从事食品销售和餐饮服务，应当依法取得食品经营许可。",
        "legal_basis": "《中华人民共和国食品安全法》第三十五条；《食品经营许可和备案管理办法》。",
        "conditions": "具有与经营的食品品种、数量相适应的经营场所，有食品安全管理人员和管理制度。",
        "process": "在线申请并上传材料，市场监管部门审查（必要时现场核查），作出准予或不予许可的决定。",
        "fee": None,
        "statutory": 10,
        "promised": 5,
        "fields": [
            ("premises_address", "经营场所地址", "text", True, {"max_length": 200}),
            ("category", "经营项目", "choice", True, {"choices": "食品销售\n餐饮服务\n单位食堂"}),
            ("area", "经营面积（平方米）", "number", True, {}),
            ("safety_manager", "食品安全管理人员", "text", True, {"max_length": 30}),
        ],
        "materials": [
            (
                "business-licence",
                "营业执照",
                "可选用本平台核发的企业开办电子证照，免于上传。",
                True,
                False,
            ),
            ("layout", "经营场所平面布局图", "标明设备设施位置。", True, True),
            ("safety-rules", "食品安全管理制度", "本店的食品安全管理制度文本。", True, False),
        ],
        "stages": [("审查", "Review", [("market", 5)])],
    },
    {
        "code": "construction-planning-permit",
        "name": "建设工程规划许可证核发",
        "name_en": "Construction project planning permit",
        "theme": "housing",
        "audience": "enterprise",
        "summary": "在城市规划区内进行建筑物、构筑物、道路、管线等工程建设的，应当申请建设工程规划许可证。",
        "legal_basis": "《中华人民共和国城乡规划法》第四十条。",
        "conditions": "已取得建设用地使用权，建设工程设计方案符合控制性详细规划和规划条件。",
        "process": "第一环节由自然资源和规划部门审查设计方案；通过后，第二环节由住建和消防部门并联审查。",
        "fee": None,
        "statutory": 20,
        "promised": 15,
        "fields": [
            ("project_name", "项目名称", "text", True, {"max_length": 100}),
            ("site", "建设地点", "text", True, {"max_length": 200}),
            ("floor_area", "总建筑面积（平方米）", "number", True, {}),
            (
                "land_certificate_no",
                "不动产权证书号",
                "text",
                True,
                {"pattern": r"[\w（）()\-]{6,40}", "pattern_message": "请填写证书上的编号。"},
            ),
        ],
        "materials": [
            ("land-certificate", "不动产权证书", "建设用地使用权证明。", True, False),
            ("design-plan", "建设工程设计方案", "总平面图及建筑单体方案。", True, False),
        ],
        "stages": [
            ("规划审查", "Planning review", [("planning", 8)]),
            ("专项审查", "Construction and fire review", [("housing", 5), ("fire", 5)]),
        ],
    },
    {
        "code": "residence-permit",
        "name": "居住证申领",
        "name_en": "Residence permit",
        "theme": "residence",
        "audience": "citizen",
        "summary": "离开常住户口所在地，到其他城市居住半年以上的公民，可以申领居住证。",
        "legal_basis": "《居住证暂行条例》第二条、第九条。",
        "conditions": "在本市居住半年以上，并有合法稳定就业、合法稳定住所或连续就读条件之一。",
        "process": "在线申请，公安部门审核，审核通过后可选择邮寄或到派出所领取。",
        "fee": None,
        "statutory": 15,
        "promised": 10,
        "fields": [
            ("current_address", "现居住地址", "text", True, {"max_length": 200}),
            ("moved_in_on", "入住日期", "date", True, {}),
            (
                "basis",
                "申领依据",
                "choice",
                True,
                {"choices": "合法稳定就业\n合法稳定住所\n连续就读"},
            ),
            ("employer", "工作单位或学校", "text", False, {"max_length": 100}),
        ],
        "materials": [
            ID_MATERIAL + (True, False),
            ("residence-proof", "居住证明", "房屋租赁合同或产权证明。", True, False),
            ("photo", "本人近期证件照", "白底，JPEG 或 PNG。", True, False),
        ],
        "stages": [("审核", "Review", [("police", 10)])],
    },
    {
        "code": "school-enrolment",
        "name": "义务教育阶段入学登记",
        "name_en": "Compulsory education school enrolment",
        "theme": "education",
        "audience": "citizen",
        "summary": "适龄儿童、少年由监护人为其办理小学或初中入学登记。",
        "legal_basis": "《中华人民共和国义务教育法》第十二条。",
        "conditions": "儿童年满六周岁，户籍或居住证在本学区。",
        "process": "监护人在线登记，教育部门审核学区资格并分配学校。",
        "fee": None,
        "statutory": 20,
        "promised": None,
        "fields": [
            ("child_name", "儿童姓名", "text", True, {"max_length": 30}),
            ("child_birth_date", "儿童出生日期", "date", True, {}),
            ("school_stage", "入学阶段", "choice", True, {"choices": "小学一年级\n初中一年级"}),
        ],
        "materials": [
            (
                "household-register",
                "户口簿或居住证",
                "户主页和本人页，或居住证正反面。",
                True,
                False,
            ),
        ],
        "stages": [("学区审核", "School district review", [("education", 10)])],
    },
    {
        "code": "medical-insurance-transfer",
        "name": "基本医疗保险关系转移接续",
        "name_en": "Transfer of basic medical insurance",
        "theme": "social-security",
        "audience": "citizen",
        "summary": "跨统筹地区流动就业的参保人员办理医保关系转移接续。",
        "legal_basis": "《中华人民共和国社会保险法》第三十二条。",
        "conditions": "在转出地已参加基本医疗保险，在本市已就业参保。",
        "process": "在线申请，人社和卫健部门并联核对缴费记录，完成转移接续。",
        "fee": None,
        "statutory": 15,
        "promised": 10,
        "fields": [
            ("previous_city", "转出地", "text", True, {"max_length": 50}),
            ("insured_since", "参保起始日期", "date", True, {}),
        ],
        "materials": [ID_MATERIAL + (True, False)],
        "stages": [("核对", "Record check", [("hrss", 5), ("health", 5)])],
    },
    {
        "code": "information-disclosure-request",
        "name": "政府信息公开申请",
        "name_en": "Government information disclosure request",
        "theme": "open-government",
        "audience": "both",
        "summary": "公民、法人或者其他组织可以向行政机关申请获取政府信息。",
        "legal_basis": "《中华人民共和国政府信息公开条例》第二十七条、第三十三条。",
        "conditions": "申请内容应当明确，包括所需政府信息的名称、文号或者便于查询的其他特征性描述。",
        "process": "在线提交申请，政府办公室在20个工作日内答复；需要延长的，经负责人同意可延长不超过20个工作日。",
        "fee": None,
        "statutory": 20,
        "promised": None,
        "max_extension": 20,
        "fields": [
            (
                "information",
                "所需政府信息的内容描述",
                "long_text",
                True,
                {"min_length": 10, "max_length": 2000},
            ),
            ("delivery", "获取方式", "choice", True, {"choices": "电子邮件\n邮寄\n当面领取"}),
        ],
        "materials": [],
        "stages": [("答复", "Reply", [("general-office", 20)])],
    },
]

SAMPLE_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def demo_resident_id(first_17: str) -> str:
    return first_17 + resident_id_check_character(first_17)


def demo_credit_code(first_17: str) -> str:
    return first_17 + credit_code_check_character(first_17)


def _user(username: str, **fields) -> User:
    user, created = User.objects.update_or_create(username=username, defaults=fields)
    if created or not user.check_password(DEMO_PASSWORD):
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    return user


def _load_regions() -> dict[str, Region]:
    regions = {}
    for code, name, name_en, level, parent in REGIONS:
        regions[code] = Region.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "name_en": name_en,
                "level": level,
                "parent": regions.get(parent),
            },
        )[0]
    return regions


def _load_stages(implementation: ItemImplementation, stages: list, departments: dict) -> None:
    for order, (name, name_en, members) in enumerate(stages, start=1):
        stage, _ = ReviewStage.objects.update_or_create(
            implementation=implementation,
            order=order,
            defaults={"name": name, "name_en": name_en},
        )
        for department_code, days in members:
            StageDepartment.objects.update_or_create(
                stage=stage,
                department=departments[department_code],
                # Reminded two working days ahead, or one for a limit of two days.
                defaults={"time_limit_days": days, "reminder_days": min(2, days - 1)},
            )


def _load_wuhu(region: Region, departments: dict) -> None:
    """The second city implements three items with its own departments (docs/catalogue.md)."""
    for code, spec in WUHU_IMPLEMENTATIONS.items():
        implementation, _ = ItemImplementation.objects.update_or_create(
            item=ServiceItem.objects.get(code=code),
            region=region,
            defaults={
                "promised_limit_days": spec["promised"],
                "is_published": True,
                "review_state": "published",
            },
        )
        _load_stages(implementation, spec["stages"], departments)
        for order, (material, name, description) in enumerate(spec.get("local_materials", [])):
            Material.objects.update_or_create(
                implementation=implementation,
                code=material,
                defaults={
                    "item": implementation.item,
                    "name": name,
                    "name_en": english(name),
                    "description": description,
                    "description_en": english(description),
                    "order": order,
                },
            )


def _publish_as_loaded() -> None:
    """The demo catalogue is published as it is loaded: each implementation's published version
    is its rows' definition (the same version again when nothing changed since the last load)."""
    for implementation in ItemImplementation.objects.filter(is_published=True).select_related(
        "item", "region"
    ):
        version = freeze_definition(implementation)
        if implementation.published_version_id != version.pk:
            implementation.published_version = version
            implementation.review_state = "published"
            implementation.save(update_fields=["published_version", "review_state", "updated_at"])


def _load_item(spec: dict, themes: dict, departments: dict, city: Region) -> ServiceItem:
    item, _ = ServiceItem.objects.update_or_create(
        code=spec["code"],
        defaults={
            "name": spec["name"],
            "name_en": spec["name_en"],
            "theme": themes[spec["theme"]],
            "audience": spec["audience"],
            "summary": spec["summary"],
            "summary_en": english(spec["summary"]),
            "legal_basis": spec["legal_basis"],
            "legal_basis_en": english(spec["legal_basis"]),
            "conditions": spec["conditions"],
            "conditions_en": english(spec["conditions"]),
            "process": spec["process"],
            "process_en": english(spec["process"]),
            "statutory_limit_days": spec["statutory"],
            "max_extension_days": spec.get("max_extension", 10),
            "subject_rule": spec.get("subject_rule", "filer"),
            "subject_name_field": spec.get("subject_name_field", ""),
        },
    )
    implementation, _ = ItemImplementation.objects.update_or_create(
        item=item,
        region=city,
        defaults={
            "fee": spec["fee"],
            "promised_limit_days": spec["promised"],
            "is_published": True,
            "review_state": "published",
        },
    )
    for order, (name, label, kind, required, rules) in enumerate(spec["fields"]):
        FormField.objects.update_or_create(
            item=item,
            name=name,
            defaults={
                "label": label,
                "label_en": english(label),
                "choices_en": "\n".join(
                    english(choice) for choice in rules.get("choices", "").splitlines()
                ),
                "kind": kind,
                "is_required": required,
                "order": order,
                "prefill_from": PREFILL.get(name, ""),
                **rules,
            },
        )
    for order, (code, name, description, required, has_sample) in enumerate(spec["materials"]):
        material, _ = Material.objects.update_or_create(
            item=item,
            code=code,
            defaults={
                "name": name,
                "name_en": english(name),
                "description": description,
                "description_en": english(description),
                "is_required": required,
                "order": order,
                "kind": DOCUMENT_TYPES.get(code, ""),
                "certificate_of": SATISFIED_BY_CERTIFICATE.get((spec["code"], code), ""),
            },
        )
        if has_sample and not material.sample:
            material.sample.save(f"{item.code}-{code}-sample.pdf", ContentFile(SAMPLE_PDF))
    _load_stages(implementation, spec["stages"], departments)
    return item


# Chinese catalogue text of the demo → its English, filled in by _load_item (issue 14 §16).
CATALOGUE_ENGLISH = {
    "户主页和本人页，或居住证正反面。": "The head-of-household page and your own page, or both sides of the residence permit.",
    "本店的食品安全管理制度文本。": "The text of the business's own food safety rules.",
    "冷链食品进货查验记录制度": "Cold-chain food intake inspection records",
    "经营冷链食品的，提交进货查验和记录制度（芜湖市要求）。": "For cold-chain food: how deliveries are inspected and recorded (required in Wuhu).",
    "一次申请，市场监管、税务、公安、人社四部门并联办理，免费刻制公章。": "One application: market regulation, tax, police and human resources review it in parallel; the company seal is made free of charge.",
    "《中华人民共和国公司法》第二十九条；《中华人民共和国市场主体登记管理条例》第三条；《优化营商环境条例》第十九条。": "Company Law of the PRC, Art. 29; Regulations on the Registration of Market Entities, Art. 3; Regulations on Optimising the Business Environment, Art. 19.",
    "申请人为拟设立的有限责任公司，名称已自主申报，住所真实有效。": "The applicant is a limited liability company being set up, whose name has been declared and whose address is real and valid.",
    "1. 在线填写一张表单并上传材料；2. 市场监管、税务、公安、人社同时审查；3. 全部通过后领取营业执照、发票和公章，社保登记同步完成。": "1. Fill in one form online and upload the materials; 2. market regulation, tax, police and human resources review at the same time; 3. once all approve, collect the business licence, invoices and seal; social insurance registration is done at the same time.",
    "公司名称": "Company name",
    "注册资本（万元）": "Registered capital (10,000 yuan)",
    "经营范围": "Business scope",
    "法定代表人姓名": "Name of the legal representative",
    "住所": "Registered address",
    "是否申领发票": "Apply for invoices?",
    "公司章程": "Articles of association",
    "全体股东签署的公司章程。": "The articles of association signed by every shareholder.",
    "住所使用证明": "Proof of the right to use the address",
    "房屋产权证明或租赁合同。": "Title deed or lease.",
    "法定代表人身份证": "ID card of the legal representative",
    "正反面扫描件。": "Scan of both sides.",
    "从事食品销售和餐饮服务，应当依法取得食品经营许可。": "Selling food or running catering services requires a food business licence.",
    "《中华人民共和国食品安全法》第三十五条；《食品经营许可和备案管理办法》。": "Food Safety Law of the PRC, Art. 35; Measures for Food Business Licensing and Filing.",
    "具有与经营的食品品种、数量相适应的经营场所，有食品安全管理人员和管理制度。": "Premises suited to the kinds and quantities of food handled, a food safety manager and food safety rules.",
    "在线申请并上传材料，市场监管部门审查（必要时现场核查），作出准予或不予许可的决定。": "Apply online with the materials; market regulation reviews them (inspecting the premises if needed) and grants or refuses the licence.",
    "经营场所地址": "Address of the premises",
    "经营项目": "Business activity",
    "食品销售": "Food sales",
    "餐饮服务": "Catering",
    "单位食堂": "Staff canteen",
    "经营面积（平方米）": "Floor area (m²)",
    "食品安全管理人员": "Food safety manager",
    "营业执照": "Business licence",
    "可选用本平台核发的企业开办电子证照，免于上传。": "The business start-up e-certificate issued by this portal may be used instead of an upload.",
    "经营场所平面布局图": "Floor plan of the premises",
    "标明设备设施位置。": "Showing where the equipment stands.",
    "食品安全管理制度": "Food safety rules",
    "在城市规划区内进行建筑物、构筑物、道路、管线等工程建设的，应当申请建设工程规划许可证。": "Building structures, roads or pipelines within the planned urban area requires a construction project planning permit.",
    "《中华人民共和国城乡规划法》第四十条。": "Urban and Rural Planning Law of the PRC, Art. 40.",
    "已取得建设用地使用权，建设工程设计方案符合控制性详细规划和规划条件。": "The right to use the construction land has been obtained, and the design complies with the detailed control plan and the planning conditions.",
    "第一环节由自然资源和规划部门审查设计方案；通过后，第二环节由住建和消防部门并联审查。": "First, natural resources and planning reviews the design; once it approves, housing and construction and the fire brigade review in parallel.",
    "项目名称": "Project name",
    "建设地点": "Site",
    "总建筑面积（平方米）": "Total floor area (m²)",
    "不动产权证书号": "Real estate title certificate number",
    "不动产权证书": "Real estate title certificate",
    "建设用地使用权证明。": "Proof of the right to use the construction land.",
    "建设工程设计方案": "Construction project design",
    "总平面图及建筑单体方案。": "Site plan and building designs.",
    "离开常住户口所在地，到其他城市居住半年以上的公民，可以申领居住证。": "Citizens who have lived in another city than that of their household registration for more than six months may apply for a residence permit.",
    "《居住证暂行条例》第二条、第九条。": "Interim Regulations on Residence Permits, Art. 2 and 9.",
    "在本市居住半年以上，并有合法稳定就业、合法稳定住所或连续就读条件之一。": "Living in the city for more than six months, with one of: stable lawful employment, a stable lawful residence, continuous study.",
    "在线申请，公安部门审核，审核通过后可选择邮寄或到派出所领取。": "Apply online; the police review the application; once approved, the permit is posted or collected at the police station.",
    "现居住地址": "Current address",
    "入住日期": "Moved in on",
    "申领依据": "Basis of the application",
    "合法稳定就业": "Stable lawful employment",
    "合法稳定住所": "Stable lawful residence",
    "连续就读": "Continuous study",
    "工作单位或学校": "Employer or school",
    "申请人身份证": "Applicant's ID card",
    "正反面扫描件或照片。": "Scan or photo of both sides.",
    "居住证明": "Proof of residence",
    "房屋租赁合同或产权证明。": "Lease or title deed.",
    "本人近期证件照": "Recent ID photo",
    "白底，JPEG 或 PNG。": "White background, JPEG or PNG.",
    "适龄儿童、少年由监护人为其办理小学或初中入学登记。": "Guardians register children of school age for primary or junior secondary school.",
    "《中华人民共和国义务教育法》第十二条。": "Compulsory Education Law of the PRC, Art. 12.",
    "儿童年满六周岁，户籍或居住证在本学区。": "The child is six or older, with household registration or a residence permit in the school district.",
    "监护人在线登记，教育部门审核学区资格并分配学校。": "The guardian registers online; education checks the school district and assigns a school.",
    "儿童姓名": "Child's name",
    "儿童出生日期": "Child's date of birth",
    "入学阶段": "School stage",
    "小学一年级": "Primary school, year 1",
    "初中一年级": "Junior secondary school, year 1",
    "户口簿或居住证": "Household register or residence permit",
    "跨统筹地区流动就业的参保人员办理医保关系转移接续。": "Insured people who move to work in another pooling region transfer their medical insurance.",
    "《中华人民共和国社会保险法》第三十二条。": "Social Insurance Law of the PRC, Art. 32.",
    "在转出地已参加基本医疗保险，在本市已就业参保。": "Insured for basic medical insurance where one comes from, and employed and insured in the city.",
    "在线申请，人社和卫健部门并联核对缴费记录，完成转移接续。": "Apply online; human resources and health check the contribution records in parallel and complete the transfer.",
    "转出地": "Transferred from",
    "参保起始日期": "Insured since",
    "公民、法人或者其他组织可以向行政机关申请获取政府信息。": "Citizens, legal persons and other organisations may ask administrative agencies for government information.",
    "《中华人民共和国政府信息公开条例》第二十七条、第三十三条。": "Regulations on Open Government Information, Art. 27 and 33.",
    "申请内容应当明确，包括所需政府信息的名称、文号或者便于查询的其他特征性描述。": "The request must be specific: the name or document number of the information, or another description that helps find it.",
    "在线提交申请，政府办公室在20个工作日内答复；需要延长的，经负责人同意可延长不超过20个工作日。": "Submit online; the general office answers within 20 working days, extendable once by at most 20 working days with the head's approval.",
    "所需政府信息的内容描述": "Description of the information requested",
    "获取方式": "How to receive it",
    "电子邮件": "E-mail",
    "邮寄": "Post",
    "当面领取": "Collect in person",
}


def english(chinese: str) -> str:
    return CATALOGUE_ENGLISH.get(chinese, "")


# department, decision, short name, text, items (none: every item the department reviews): the
# stock opinions reviewers pick on the decision form.
COMMON_OPINIONS = [
    ("market", "approve", "准予设立登记", "名称、住所、经营范围符合登记要求，准予设立登记。", ()),
    (
        "market",
        "reject",
        "名称不符合规定",
        "申报的企业名称不符合《企业名称登记管理规定》，不予登记。",
        ("business-startup",),
    ),
    (
        "market",
        "request_supplement",
        "补正章程",
        "请补正全体股东签署的公司章程。",
        ("business-startup",),
    ),
    ("tax", "approve", "同意发票申领", "税务登记信息无误，同意申领发票。", ("business-startup",)),
    (
        "police",
        "approve",
        "同意刻制公章",
        "公章刻制备案信息完整，同意刻制。",
        ("business-startup",),
    ),
    (
        "police",
        "request_supplement",
        "补正身份证明",
        "请补正法定代表人身份证正反面清晰扫描件。",
        ("business-startup",),
    ),
    (
        "police",
        "approve",
        "同意办理居住证",
        "经核查，申请人符合居住证申领条件，同意办理。",
        ("residence-permit",),
    ),
    (
        "police",
        "request_supplement",
        "补正居住证明",
        "请补正房屋租赁合同或房产证明的清晰扫描件。",
        ("residence-permit",),
    ),
    ("police", "reject", "住所核查不符", "经现场核查，住所与申报不符，不予办理。", ()),
    ("hrss", "approve", "同意社保登记", "单位社会保险登记信息完整，准予登记。", ()),
    ("service-centre", "approve", "予以受理", "材料齐全，符合法定形式，予以受理。", ()),
]


@transaction.atomic
def load_demo() -> list[tuple[str, str, str]]:
    """Create or refresh the demo catalogue and accounts; returns (username, password, role) rows."""
    themes = {
        slug: Theme.objects.update_or_create(
            slug=slug, defaults={"name": name, "name_en": name_en, "order": i}
        )[0]
        for i, (slug, name, name_en) in enumerate(THEMES)
    }
    regions = _load_regions()
    departments = {
        code: Department.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "name_en": name_en,
                "is_service_centre": centre,
                "region": regions[city],
            },
        )[0]
        for city, city_departments in ((FIRST_CITY, DEPARTMENTS), (SECOND_CITY, WUHU_DEPARTMENTS))
        for code, name, name_en, centre in city_departments
    }
    for spec in ITEMS:
        _load_item(spec, themes, departments, regions[FIRST_CITY])
    _load_wuhu(regions[SECOND_CITY], departments)
    for code, prefix in INSTRUMENT_PREFIXES.items():
        IssuingOffice.objects.update_or_create(
            department=departments[code], defaults={"number_prefix": prefix}
        )

    accounts = []
    admin = _user(
        "admin", kind=User.Kind.STAFF, real_name="系统管理员", is_staff=True, is_superuser=True
    )
    accounts.append((admin.username, DEMO_PASSWORD, "administrator (Django admin)"))
    centre = _user(
        "centre", kind=User.Kind.STAFF, real_name="王受理", is_staff=True, is_superuser=True
    )
    Membership.objects.update_or_create(
        user=centre,
        department=departments["service-centre"],
        defaults={"role": Membership.Role.CLERK},
    )
    accounts.append((centre.username, DEMO_PASSWORD, "service-centre administrator"))
    for code, name, _name_en, is_centre in DEPARTMENTS:
        if is_centre:
            continue
        reviewer = _user(f"reviewer-{code}", kind=User.Kind.STAFF, real_name=f"{name}审批员")
        Membership.objects.update_or_create(
            user=reviewer, department=departments[code], defaults={"role": Membership.Role.REVIEWER}
        )
        accounts.append(
            (reviewer.username, DEMO_PASSWORD, f"reviewer, {departments[code].name_en}")
        )
    # Staff status lets the head keep the department's common opinions in the admin (only those).
    head = _user("head-market", kind=User.Kind.STAFF, real_name="李局长", is_staff=True)
    Membership.objects.update_or_create(
        user=head, department=departments["market"], defaults={"role": Membership.Role.HEAD}
    )
    accounts.append((head.username, DEMO_PASSWORD, "department head, Market Regulation"))
    accounts.append(_demo_substitution(head, departments["market"]))
    # The second city's counter and market regulator (its implementations: WUHU_IMPLEMENTATIONS).
    for username, real_name, code, role, described in (
        ("centre-wuhu", "芜湖受理员", "wuhu-service-centre", Membership.Role.CLERK, "clerk"),
        ("reviewer-wuhu-market", "芜湖审批员", "wuhu-market", Membership.Role.REVIEWER, "reviewer"),
    ):
        person = _user(username, kind=User.Kind.STAFF, real_name=real_name)
        Membership.objects.update_or_create(
            user=person, department=departments[code], defaults={"role": role}
        )
        accounts.append((username, DEMO_PASSWORD, f"{described}, {departments[code].name_en}"))
    citizen = _user(
        "zhangsan",
        kind=User.Kind.CITIZEN,
        real_name="张三",
        resident_id=demo_resident_id("34010419900307123"),
        mobile="13800138000",
        address="安徽省合肥市蜀山区长江西路100号",
        email="zhangsan@example.cn",
        email_verified_at=DEMO_EMAIL_VERIFIED_AT,
    )
    accounts.append((citizen.username, DEMO_PASSWORD, "citizen 张三"))
    enterprise = _user(
        "hefei-demo-tech",
        kind=User.Kind.ENTERPRISE,
        real_name="李四",
        enterprise_name="合肥示范科技有限公司",
        credit_code=demo_credit_code("91340100MA2N0D3K0"),
        mobile="13900139000",
        email="office@demo-tech.example.cn",
        email_verified_at=DEMO_EMAIL_VERIFIED_AT,
    )
    accounts.append((enterprise.username, DEMO_PASSWORD, "enterprise 合肥示范科技有限公司"))
    accounts += _demo_people(citizen, enterprise)

    _demo_publication(
        title="关于推行企业开办“一网通办”的通告",
        kind=Publication.Kind.NOTICE,
        department=departments["market"],
        author=User.objects.get(username="reviewer-market"),
        approver=head,
        body="自即日起，企业开办实行一次申请、并联审批，设立登记、发票申领、公章刻制和社保登记"
        "在3个工作日内办结。申请人可通过本门户在线提交，无需往返各部门。",
    )
    _demo_publication(
        title="政府信息公开指南",
        kind=Publication.Kind.DOCUMENT,
        department=departments["general-office"],
        author=User.objects.get(username="reviewer-general-office"),
        approver=admin,
        body="依据《中华人民共和国政府信息公开条例》，本机关主动公开政府信息，并受理依申请公开。"
        "申请人可通过“政府信息公开申请”事项在线提交申请，本机关在20个工作日内予以答复。"
        " Guide to government information disclosure: requests are answered within 20 working"
        " days, extendable once by 20 working days.",
    )
    _demo_consultation(
        department=departments["general-office"],
        author=User.objects.get(username="reviewer-general-office"),
        approver=admin,
        commenters=[citizen, enterprise],
    )
    _demo_letters(themes=themes, departments=departments, writers=[citizen, enterprise])
    _publish_as_loaded()
    for code, outcome, title, text, item_codes in COMMON_OPINIONS:
        opinion, _created = CommonOpinion.objects.get_or_create(
            department=departments[code], outcome=outcome, title=title, defaults={"text": text}
        )
        opinion.items.set(ServiceItem.objects.filter(code__in=item_codes))
    for user in User.objects.filter(username__in=[username for username, *_ in accounts]):
        if requires_two_factor(user):
            _demo_totp_device(user)
    return accounts


def _demo_substitution(head: User, department: Department) -> tuple[str, str, str]:
    """Market Regulation's second reviewer (B岗) covers for the first, on leave this week
    (代理审批, issue 17 §4): logged in as the substitute, one decides the absent reviewer's tasks."""
    absent = User.objects.get(username=f"reviewer-{department.code}")
    substitute = _user(
        f"reviewer-{department.code}-b",
        kind=User.Kind.STAFF,
        real_name=f"{department.name}B岗审批员",
    )
    Membership.objects.update_or_create(
        user=substitute, department=department, defaults={"role": Membership.Role.REVIEWER}
    )
    today = official_today()
    current = Substitution.objects.filter(
        department=department,
        reviewer=absent,
        substitute=substitute,
        starts_on__lte=today,
        ends_on__gte=today,
        ended_at__isnull=True,
    ).first()
    if current is None:
        current = name_substitute(
            head=head,
            department=department,
            reviewer=absent,
            substitute=substitute,
            starts_on=today - timedelta(days=2),
            ends_on=today + timedelta(days=5),
        )
    return (
        substitute.username,
        DEMO_PASSWORD,
        f"reviewer, {department.name_en}: substitute for {absent.username}"
        f" from {current.starts_on} to {current.ends_on}",
    )


def _demo_people(citizen: User, enterprise: User) -> list[tuple[str, str, str]]:
    """The enterprise's legal representative and clerk, and an agent 张三 authorised (issue 17)."""
    representative = _user(
        "lisi",
        kind=User.Kind.CITIZEN,
        real_name="李四",
        resident_id=demo_resident_id("34010219850612003"),
        mobile="13900139001",
        email="lisi@example.cn",
    )
    clerk = _user(
        "wangwu",
        kind=User.Kind.CITIZEN,
        real_name="王五",
        resident_id=demo_resident_id("34010319920815004"),
        mobile="13900139002",
        email="wangwu@example.cn",
    )
    agent = _user(
        "zhaoliu",
        kind=User.Kind.CITIZEN,
        real_name="赵六",
        resident_id=demo_resident_id("34011119880101005"),
        mobile="13900139003",
        email="zhaoliu@example.cn",
    )
    add_member(
        enterprise=enterprise, person=representative, role=EnterpriseRole.LEGAL_REPRESENTATIVE
    )
    add_member(enterprise=enterprise, person=clerk, role=EnterpriseRole.CLERK)
    if not active_authorisations(agent=agent).filter(principal=citizen).exists():
        power_of_attorney = ContentFile(SAMPLE_PDF, name="委托书.pdf")
        power_of_attorney.sniffed_type = "application/pdf"
        today = timezone.localdate()
        authorise(
            principal=citizen,
            agent=agent,
            item=None,
            valid_from=today,
            valid_until=today + timedelta(days=365),
            power_of_attorney=power_of_attorney,
        )
    return [
        (representative.username, DEMO_PASSWORD, "legal representative of 合肥示范科技有限公司"),
        (clerk.username, DEMO_PASSWORD, "clerk (经办人) of 合肥示范科技有限公司"),
        (agent.username, DEMO_PASSWORD, "agent authorised by 张三 for every service"),
    ]


def _demo_publication(*, title, kind, department, author, approver, body) -> Publication:
    """A published demo publication, drafted by one civil servant and approved by another."""
    publication = Publication.objects.filter(title=title).first()
    if publication is None:
        publication = Publication(
            title=title,
            kind=kind,
            department=department,
            author=author,
            body=body,
            classification=Publication.Classification.PUBLIC,
        )
        publication.save()
    if publication.state == Publication.State.DRAFT:
        publication.state = Publication.State.PUBLISHED
        publication.approved_by = approver
        publication.published_at = timezone.now()
        publication.number = f"{publication.published_at:%Y}-{publication.pk:06d}"
        publication.save()
    return publication


DEMO_CONSULTATION = {
    "title": "关于《合肥市优化营商环境办法（征求意见稿）》公开征求意见的公告",
    "scope": "本市企业、个体工商户和居民",
    "body": "为进一步优化营商环境，市人民政府办公室起草了《合肥市优化营商环境办法（征求意见稿）》，"
    "现向社会公开征求意见。\n\n"
    "第一条　为持续优化营商环境，激发市场主体活力，根据国务院《优化营商环境条例》，结合本市实际，制定本办法。\n"
    "第二条　政务服务事项实行“一网通办”，申请人只需提交一次材料，有关部门并联审批。\n"
    "第三条　企业开办在3个工作日内办结，全程网上办理，不收取费用。\n"
    "第四条　行政机关不得要求申请人重复提交已经提交过的材料。",
    "questions": [
        "您在办理政务服务事项时遇到的最大困难是什么？",
        "您认为企业开办3个工作日的时限是否合适？",
    ],
    "comments": [
        (
            "建议第三条明确“3个工作日”从何时起算，是从提交材料之日还是从受理之日起算。",
            ["跑了好几个窗口，每个窗口都要同样的材料。", "合适，但希望节假日前后也能保证。"],
        ),
        (
            "希望第四条增加电子证照互认的规定，已经在网上办过的证照不要再让企业上传。",
            ["不同部门系统不互通。", ""],
        ),
    ],
}


def _demo_consultation(*, department, author, approver, commenters) -> None:
    """An open consultation with a few moderated comments (docs/participation.md)."""
    if Consultation.objects.filter(publication__title=DEMO_CONSULTATION["title"]).exists():
        return
    today = timezone.localdate()
    consultation = draft_consultation(
        author,
        department=department,
        title=DEMO_CONSULTATION["title"],
        body=DEMO_CONSULTATION["body"],
        scope=DEMO_CONSULTATION["scope"],
        opens_on=today - timedelta(days=3),
        closes_on=today + timedelta(days=26),
        questions=DEMO_CONSULTATION["questions"],
    )
    # Published as the other demo publications are: the demo has no second civil servant in
    # the General Office to approve it.
    _demo_publication(
        title=DEMO_CONSULTATION["title"],
        kind=Publication.Kind.CONSULTATION,
        department=department,
        author=author,
        approver=approver,
        body=DEMO_CONSULTATION["body"],
    )
    consultation.publication.refresh_from_db()
    questions = list(consultation.questions.values_list("pk", flat=True))
    for person, (body, answers) in zip(commenters, DEMO_CONSULTATION["comments"], strict=True):
        comment = submit_comment(
            consultation, person, body=body, answers=dict(zip(questions, answers, strict=True))
        )
        moderate_comment(comment.pk, author, Moderation.PUBLISH)


DEMO_LETTER_ITEM = {
    "code": "letters",
    "name": "政民互动来信",
    "name_en": "Letters to the government",
    "summary": "向政府提出咨询、建议、投诉或表扬，由政务服务中心分办，相关部门限时答复。",
    "legal_basis": "《信访工作条例》；《国务院办公厅关于进一步加强政府网站管理工作的通知》",
}


def _demo_letters(*, themes, departments, writers) -> None:
    """The letter item, an answered and published letter, and one awaiting its answer
    (docs/participation.md). Routed, triaged and answered here: the demo needs no worker."""
    item, _ = ServiceItem.objects.update_or_create(
        code=DEMO_LETTER_ITEM["code"],
        defaults={
            **{key: value for key, value in DEMO_LETTER_ITEM.items() if key != "code"},
            "kind": ServiceItem.Kind.LETTER,
            "theme": themes["open-government"],
        },
    )
    ItemImplementation.objects.update_or_create(
        item=item,
        region=departments["service-centre"].region,
        defaults={"is_published": True, "review_state": "published"},
    )
    if Letter.objects.exists():
        return
    citizen, enterprise = writers
    centre = departments["service-centre"]
    clerk = Membership.objects.filter(department=centre, role=Membership.Role.CLERK).first().user
    answered = write_letter(
        citizen,
        kind=Letter.Kind.SUGGESTION,
        topic="关于在长江西路增设公交站点的建议",
        body="长江西路100号附近的居民小区较多，最近的公交站点步行需要15分钟。"
        "建议在小区门口增设一个公交站点，方便老人和学生出行。",
        department_code="housing",
        consent_to_publish=True,
        item=item,
    )
    waiting = write_letter(
        enterprise,
        kind=Letter.Kind.ENQUIRY,
        topic="咨询企业开办后社保登记的办理时限",
        body="我公司刚完成设立登记，请问社保登记需要在多少个工作日内办理？是否可以在网上办理？",
        consent_to_publish=False,
        item=item,
    )
    for letter in (answered, waiting):
        route_application(letter.pk)
    triage = answered.application.review_tasks.get(stage_order=0)
    triage_letter(triage.pk, clerk, department_ids=[departments["housing"].pk])
    task = answered.application.review_tasks.get(stage_order=1)
    reviewer = User.objects.get(username="reviewer-housing")
    answer_letter(
        task.pk,
        reviewer,
        answer="感谢您的建议。经与公交集团现场查看，拟于下月在长江西路与潜山路交口增设"
        "“长江西路西站”，届时将另行公告。",
    )
    triage = waiting.application.review_tasks.get(stage_order=0)
    triage_letter(triage.pk, clerk, department_ids=[departments["hrss"].pk])


def _demo_totp_device(user: User) -> TOTPDevice:
    """The demo staff member's authenticator, with the published demo secret, confirmed."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()
    if device is None:
        device = TOTPDevice(user=user, name="Demo authenticator", confirmed=True)
    device.key = DEMO_TOTP_KEY.hex()
    device.save()
    return device


def demo_totp_instructions() -> list[str]:
    """How to make the second-factor code of the demo staff accounts (printed by load_demo)."""
    return [
        f"Two-step verification of every staff/admin demo account: TOTP secret {DEMO_TOTP_SECRET}",
        f"  otpauth://totp/Government%20Services%20Portal:demo?secret={DEMO_TOTP_SECRET}"
        "&issuer=Government%20Services%20Portal",
        "  Add it to any authenticator app, or print the current code with:",
        "  .venv/bin/python -c 'from django_otp.oath import totp; "
        f'print("%06d" % totp(bytes.fromhex("{DEMO_TOTP_KEY.hex()}")))\'',
    ]
