"""The texts of the instruments: their placeholders, the check made when a template is saved,
and the default wording of each kind.

A template is a Django template limited to the placeholders below, to {% if %}, {% for %} and
{% comment %}, and to a few plain filters. It renders to plain text: paragraphs separated by an
empty line. The text then reaches Typst as data, never as markup (instruments/rendering.py), so
nothing an administrator or an applicant typed can change the layout.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.template import Context, Engine, TemplateSyntaxError
from django.template.base import FilterExpression, TextNode, Variable, VariableNode
from django.template.defaulttags import CommentNode, ForNode, IfNode
from django.utils.translation import gettext as _

from .models import Kind

# Every placeholder a template may use: an object's attributes, a list's elements' attributes
# (None: the elements are plain text), or a plain value (an empty set).
PLACEHOLDERS: dict[str, set[str]] = {
    "number": set(),
    "dated": set(),
    "legal_basis": set(),
    "reasons": set(),
    "answer": set(),
    "party": {"name", "identifier", "kind"},
    "case": {
        "tracking_number",
        "item_name",
        "submitted_on",
        "accepted_on",
        "deemed_accepted",
        "decided_on",
        "due_on",
    },
    "department": {"name"},
    "supplement": {"department", "items"},
    "extension": {"working_days", "reason", "due_on"},
    "appeal": {
        "received_on",
        "reconsideration_days",
        "reconsideration_body",
        "reconsideration_until",
        "lawsuit_months",
        "court",
        "lawsuit_until",
    },
    "certificate": {"number", "scope", "valid_from", "valid_until", "issuers"},
}
LIST_ELEMENTS: dict[tuple[str, ...], set[str] | None] = {
    ("opinions",): {"department", "outcome", "opinion"},
    ("supplement", "items"): None,
}
ALLOWED_FILTERS = {"default", "length", "join", "first", "last", "upper", "lower", "linenumbers"}
ALLOWED_NODES = (TextNode, VariableNode, IfNode, ForNode, CommentNode)

ENGINE = Engine(debug=True, autoescape=False)


class TemplateProblem(Exception):
    def __init__(self, line: int, message: str):
        self.line = line
        super().__init__(message)


def check_template(text: str) -> None:
    """Raise ValidationError naming the line and the placeholder of the first problem."""
    try:
        template = ENGINE.from_string(text)
    except TemplateSyntaxError as error:
        line = getattr(error, "template_debug", {}).get("line", "?")
        raise ValidationError(
            _("Line %(line)s: %(error)s") % {"line": line, "error": error}, code="syntax"
        ) from None
    try:
        _check_nodes(template.nodelist, loop_variables={})
    except TemplateProblem as problem:
        raise ValidationError(
            _("Line %(line)s: %(problem)s") % {"line": problem.line, "problem": problem},
            code="placeholder",
        ) from None


def _check_nodes(nodes, loop_variables: dict[str, set[str] | None]) -> None:
    for node in nodes:
        line = node.token.lineno if getattr(node, "token", None) else 0
        if not isinstance(node, ALLOWED_NODES):
            raise TemplateProblem(
                line,
                _("the tag «%(tag)s» is not allowed; use placeholders, if and for.")
                % {"tag": node.token.contents.split()[0] if node.token else type(node).__name__},
            )
        if isinstance(node, VariableNode):
            _check_expression(node.filter_expression, line, loop_variables)
        elif isinstance(node, IfNode):
            for condition, nodelist in node.conditions_nodelists:
                for expression in _expressions_of(condition):
                    _check_expression(expression, line, loop_variables)
                _check_nodes(nodelist, loop_variables)
        elif isinstance(node, ForNode):
            _check_expression(node.sequence, line, loop_variables)
            lookups = _lookups(node.sequence)
            if lookups not in LIST_ELEMENTS:
                raise TemplateProblem(
                    line,
                    _(
                        "«%(name)s» is not a list; {%% for %%} goes over opinions or "
                        "supplement.items."
                    )
                    % {"name": ".".join(lookups or ("?",))},
                )
            inner = {**loop_variables, "forloop": {"counter", "counter0", "first", "last"}}
            for name in node.loopvars:
                inner[name] = LIST_ELEMENTS[lookups]
            _check_nodes(node.nodelist_loop, inner)
            _check_nodes(node.nodelist_empty, loop_variables)


def _expressions_of(condition) -> list[FilterExpression]:
    """The filter expressions inside an {% if %} condition (a tree of operators)."""
    if condition is None:
        return []
    if hasattr(condition, "value") and isinstance(condition.value, FilterExpression):
        return [condition.value]
    found = []
    for part in (getattr(condition, "first", None), getattr(condition, "second", None)):
        found += _expressions_of(part)
    return found


def _lookups(expression: FilterExpression) -> tuple[str, ...] | None:
    return expression.var.lookups if isinstance(expression.var, Variable) else None


def _check_expression(expression: FilterExpression, line: int, loop_variables: dict) -> None:
    for function, _arguments in expression.filters:
        name = getattr(function, "_filter_name", function.__name__)
        if name not in ALLOWED_FILTERS:
            raise TemplateProblem(line, _("the filter «%(name)s» is not allowed.") % {"name": name})
    lookups = _lookups(expression)
    if lookups is None:  # a literal: "text" or 3
        return
    head, rest = lookups[0], lookups[1:]
    if head in loop_variables:
        allowed = loop_variables[head]
    elif head in PLACEHOLDERS:
        allowed = PLACEHOLDERS[head]
    elif (head,) in LIST_ELEMENTS:
        allowed = set()
    else:
        raise TemplateProblem(line, _unknown(lookups))
    if not rest:
        return
    if not allowed or rest[0] not in allowed or len(rest) > 1:
        raise TemplateProblem(line, _unknown(lookups))


def _unknown(lookups: tuple[str, ...]) -> str:
    return _("unknown placeholder «{{ %(name)s }}».") % {"name": ".".join(lookups)}


def render_text(text: str, context: dict) -> list[str]:
    """The paragraphs of a checked template rendered with the case's placeholders."""
    rendered = ENGINE.from_string(text).render(Context(context, autoescape=False))
    paragraphs = [p.strip("\n") for p in rendered.replace("\r\n", "\n").split("\n\n")]
    return [p for p in paragraphs if p.strip()]


def placeholder_names() -> list[str]:
    """Every placeholder, as an administrator writes it (for the admin's help text)."""
    names = []
    for head, attributes in PLACEHOLDERS.items():
        names += [head] if not attributes else [f"{head}.{a}" for a in sorted(attributes)]
    names += ["opinions (for o in opinions: o.department, o.outcome, o.opinion)"]
    return names


# --- the default wording -------------------------------------------------------------------------

_APPEAL_ZH = (
    "如不服本决定，可以自收到本决定书之日起{{ appeal.reconsideration_days }}日内"
    "（期限届满日为{{ appeal.reconsideration_until }}）向{{ appeal.reconsideration_body }}"
    "申请行政复议，或者自收到本决定书之日起{{ appeal.lawsuit_months }}个月内"
    "（期限届满日为{{ appeal.lawsuit_until }}）依法向{{ appeal.court }}提起行政诉讼。"
)
_APPEAL_EN = (
    "If you disagree with this decision, you may apply to {{ appeal.reconsideration_body }} "
    "for administrative reconsideration within {{ appeal.reconsideration_days }} days of "
    "receiving it (last day: {{ appeal.reconsideration_until }}), or bring an administrative "
    "lawsuit before {{ appeal.court }} within {{ appeal.lawsuit_months }} months of receiving "
    "it (last day: {{ appeal.lawsuit_until }})."
)
_CASE_ZH = (
    "你（单位）于{{ case.submitted_on }}提出的{{ case.item_name }}申请"
    "（办件编号 {{ case.tracking_number }}）"
)
_CASE_EN = (
    "Your application for {{ case.item_name }} of {{ case.submitted_on }} "
    "(tracking number {{ case.tracking_number }})"
)
_OPINIONS_ZH = (
    "各部门审查意见：\n{% for o in opinions %}{{ o.department }}：{{ o.outcome }}。"
    "{{ o.opinion }}\n{% endfor %}"
)
_OPINIONS_EN = (
    "The departments' opinions:\n{% for o in opinions %}{{ o.department }}: {{ o.outcome }}. "
    "{{ o.opinion }}\n{% endfor %}"
)

DEFAULT_WORDING: dict[str, tuple[str, str]] = {
    Kind.ACCEPTANCE: (
        "{{ party.name }}：\n\n"
        + _CASE_ZH
        + "，{% if case.deemed_accepted %}本机关未在法定期限内作出是否受理的决定，根据《中华人民共和国"
        "行政许可法》第三十二条第二款的规定，自收到申请材料之日起即为受理。{% else %}经审查，申请材料"
        "齐全、符合法定形式，根据《中华人民共和国行政许可法》第三十二条第一款第（五）项的规定，本机关"
        "决定予以受理。{% endif %}\n\n"
        "本机关将在法定期限内作出行政许可决定，办结期限为{{ case.due_on }}（依法不计入期限的时间除外）。"
        "你可以凭办件编号在网上查询办理进度和各部门的意见。",
        "{{ party.name }}:\n\n"
        + _CASE_EN
        + " {% if case.deemed_accepted %}was not answered within the acceptance time limit and "
        "therefore counts as accepted from the day it was received (Administrative License Law "
        "Art. 32(2)).{% else %}is complete and in the required form, and is accepted "
        "(Administrative License Law Art. 32(1)(5)).{% endif %}\n\n"
        "We will decide within the statutory time limit, by {{ case.due_on }} (time that the law "
        "does not count excepted). You can follow the case online with its tracking number.",
    ),
    Kind.NON_ACCEPTANCE: (
        "{{ party.name }}：\n\n"
        + _CASE_ZH
        + "，经审查，不符合受理条件，理由如下：\n\n{{ reasons }}\n\n"
        "根据《中华人民共和国行政许可法》第三十二条第一款的规定，本机关决定不予受理。\n\n"
        + _APPEAL_ZH,
        "{{ party.name }}:\n\n"
        + _CASE_EN
        + " does not meet the conditions for acceptance, for these reasons:\n\n{{ reasons }}\n\n"
        "Under Article 32(1) of the Administrative License Law, it is not accepted.\n\n"
        + _APPEAL_EN,
    ),
    Kind.SUPPLEMENT: (
        "{{ party.name }}：\n\n"
        + _CASE_ZH
        + "，申请材料不齐全或者不符合法定形式。根据《中华人民共和国行政许可法》第三十二条第一款第（四）项"
        "的规定，现一次性告知你需要补正的全部内容：\n\n"
        "{% for item in supplement.items %}{{ forloop.counter }}. {{ item }}\n{% endfor %}\n"
        "请在网上办件页面提交补正材料。等待补正的时间不计入审查期限；收到补正材料后，本机关继续办理。",
        "{{ party.name }}:\n\n"
        + _CASE_EN
        + " is incomplete or not in the required form. Under Article 32(1)(4) of the "
        "Administrative License Law, this notice lists at once everything to supplement:\n\n"
        "{% for item in supplement.items %}{{ forloop.counter }}. {{ item }}\n{% endfor %}\n"
        "Send the supplement from the application's page online. The time you take does not "
        "count against the time limit; the review continues when it arrives.",
    ),
    Kind.APPROVAL: (
        "{{ party.name }}：\n\n"
        + _CASE_ZH
        + "，本机关于{{ case.accepted_on }}受理。经审查，你的申请符合法定条件、标准，根据"
        "《中华人民共和国行政许可法》第三十八条第一款的规定，本机关决定准予行政许可。\n\n"
        "{% if certificate.number %}电子证照编号：{{ certificate.number }}；许可范围："
        "{{ certificate.scope }}；有效期自{{ certificate.valid_from }}至"
        "{{ certificate.valid_until }}。{% endif %}\n\n"
        + _OPINIONS_ZH
        + "\n\n{% if legal_basis %}法律依据：{{ legal_basis }}{% endif %}",
        "{{ party.name }}:\n\n"
        + _CASE_EN
        + ", accepted on {{ case.accepted_on }}, meets the statutory conditions and standards. "
        "Under Article 38(1) of the Administrative License Law, the licence is granted.\n\n"
        "{% if certificate.number %}E-certificate {{ certificate.number }}; scope: "
        "{{ certificate.scope }}; valid from {{ certificate.valid_from }} until "
        "{{ certificate.valid_until }}.{% endif %}\n\n" + _OPINIONS_EN,
    ),
    Kind.REFUSAL: (
        "{{ party.name }}：\n\n"
        + _CASE_ZH
        + "，本机关于{{ case.accepted_on }}受理。经审查，你的申请不符合法定条件、标准，理由如下：\n\n"
        "{{ reasons }}\n\n"
        "根据《中华人民共和国行政许可法》第三十八条第二款的规定，本机关决定不予行政许可。\n\n"
        + _APPEAL_ZH
        + "\n\n{% if legal_basis %}法律依据：{{ legal_basis }}{% endif %}",
        "{{ party.name }}:\n\n"
        + _CASE_EN
        + ", accepted on {{ case.accepted_on }}, does not meet the statutory conditions and "
        "standards, for these reasons:\n\n{{ reasons }}\n\n"
        "Under Article 38(2) of the Administrative License Law, the licence is refused.\n\n"
        + _APPEAL_EN,
    ),
    Kind.EXTENSION: (
        "{{ party.name }}：\n\n"
        + _CASE_ZH
        + "，因{{ extension.reason }}，{{ department.name }}不能在规定期限内作出决定。经本机关负责人批准，"
        "根据《中华人民共和国行政许可法》第四十二条第一款的规定，审查期限延长"
        "{{ extension.working_days }}个工作日{% if extension.due_on %}，"
        "于{{ extension.due_on }}前作出决定{% endif %}。",
        "{{ party.name }}:\n\n"
        + _CASE_EN
        + " cannot be decided within the time limit by {{ department.name }}, because: "
        "{{ extension.reason }}. With the approval of the head of the department, and under "
        "Article 42(1) of the Administrative License Law, the time limit is extended by "
        "{{ extension.working_days }} working days{% if extension.due_on %}; the decision "
        "will be made by {{ extension.due_on }}{% endif %}.",
    ),
    Kind.DISCLOSURE_ANSWER: (
        "{{ party.name }}：\n\n"
        "本机关于{{ case.submitted_on }}收到你（单位）提出的政府信息公开申请（办件编号 "
        "{{ case.tracking_number }}）。根据《中华人民共和国政府信息公开条例》第三十六条的规定，"
        "现答复如下：\n\n{{ answer }}\n\n"
        "如对本答复不服，可以自收到本答复书之日起{{ appeal.reconsideration_days }}日内"
        "（期限届满日为{{ appeal.reconsideration_until }}）向{{ appeal.reconsideration_body }}申请"
        "行政复议，或者自收到本答复书之日起{{ appeal.lawsuit_months }}个月内（期限届满日为"
        "{{ appeal.lawsuit_until }}）依法向{{ appeal.court }}提起行政诉讼。",
        "{{ party.name }}:\n\n"
        "We received your request for government information of {{ case.submitted_on }} "
        "(tracking number {{ case.tracking_number }}). Under Article 36 of the Regulations on "
        "the Disclosure of Government Information, we answer as follows:\n\n{{ answer }}\n\n"
        "If you disagree with this answer, you may apply to {{ appeal.reconsideration_body }} "
        "for administrative reconsideration within {{ appeal.reconsideration_days }} days of "
        "receiving it (last day: {{ appeal.reconsideration_until }}), or bring an administrative "
        "lawsuit before {{ appeal.court }} within {{ appeal.lawsuit_months }} months of "
        "receiving it (last day: {{ appeal.lawsuit_until }}).",
    ),
    Kind.CERTIFICATE: (
        "持证主体：{{ party.name }}\n证件号码：{{ party.identifier }}\n许可事项：{{ case.item_name }}\n"
        "许可范围：{{ certificate.scope }}\n有效期限：{{ certificate.valid_from }}至"
        "{{ certificate.valid_until }}\n证照编号：{{ certificate.number }}\n"
        "发证机关：{{ certificate.issuers }}\n\n"
        "本电子证照与纸质证照具有同等法律效力（《中华人民共和国电子签名法》第十四条）。",
        "Holder: {{ party.name }}\nIdentifier: {{ party.identifier }}\n"
        "Licensed item: {{ case.item_name }}\nScope: {{ certificate.scope }}\n"
        "Valid: {{ certificate.valid_from }} to {{ certificate.valid_until }}\n"
        "Certificate number: {{ certificate.number }}\nIssued by: {{ certificate.issuers }}",
    ),
}

# Titles are fixed by law and practice; only the text below them is edited.
TITLES: dict[str, tuple[str, str]] = {
    Kind.ACCEPTANCE: ("受理通知书", "Acceptance notice"),
    Kind.NON_ACCEPTANCE: ("不予受理决定书", "Decision not to accept"),
    Kind.SUPPLEMENT: ("补正材料通知书", "Notice to supplement materials"),
    Kind.APPROVAL: ("准予行政许可决定书", "Decision granting an administrative licence"),
    Kind.REFUSAL: ("不予行政许可决定书", "Decision refusing an administrative licence"),
    Kind.EXTENSION: ("延期通知书", "Notice of extension of the time limit"),
    Kind.DISCLOSURE_ANSWER: (
        "政府信息公开申请答复书",
        "Answer to a request for disclosure of government information",
    ),
    Kind.CERTIFICATE: ("电子证照", "E-certificate"),
}
