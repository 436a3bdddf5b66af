"""Reasons for classified disposition (分类处置) and the emergency numbers for transfers.

A contact that the hotline does not handle is closed with one of these reasons (domain.md §3 item 5);
``channel_hint`` is what the operator tells the requester about the right channel. Written for this
project in our own words.
"""

from __future__ import annotations


def _reason(code, name, channel_hint):
    return {"code": code, "name": name, "channel_hint": channel_hint}


# fmt: off
DISPOSITION_REASONS = [
    _reason(
        "litigation", "已进入或应通过诉讼程序解决",
        "该事项属于司法程序范围，请向有管辖权的人民法院起诉或向已受理的法院反映；"
        "如需法律帮助，可联系区公共法律服务中心。",
    ),
    _reason(
        "arbitration", "应通过仲裁程序解决",
        "劳动争议请向劳动人事争议仲裁委员会申请仲裁；"
        "合同约定仲裁的民商事纠纷，请向约定的仲裁机构申请。",
    ),
    _reason(
        "discipline", "纪检监察事项",
        "反映公职人员违纪违法问题，请向纪检监察机关的信访举报部门或其举报网站反映。",
    ),
    _reason(
        "admin_review", "行政复议或行政诉讼事项",
        "对行政机关作出的具体决定不服，请在法定期限内向复议机关申请行政复议，"
        "或依法提起行政诉讼。",
    ),
    _reason(
        "info_disclosure", "政府信息公开申请",
        "申请公开政府信息，请按政府信息公开指南向相应行政机关提交书面申请，"
        "也可通过其门户网站在线申请。",
    ),
    _reason(
        "petition", "信访事项",
        "属于信访事项的，请按《信访工作条例》向信访部门书面反映，或通过网上信访平台提交。",
    ),
    _reason(
        "party_organs", "党委机关职责事项",
        "该事项属于党委及其工作部门的职责，请直接向相关党委机关反映。",
    ),
    _reason(
        "npc", "人大机关职责事项",
        "该事项属于人大及其常委会的职责，请向区人大常委会机关或所在选区的人大代表反映。",
    ),
    _reason(
        "cppcc", "政协机关职责事项",
        "该事项属于政协的职责，请向区政协机关反映，或通过政协委员提出。",
    ),
    _reason(
        "courts", "法院职责事项",
        "涉及案件审理、执行等法院职责的问题，请向承办法院或其诉讼服务中心反映。",
    ),
    _reason(
        "procuratorate", "检察院职责事项",
        "涉及检察监督、控告申诉的问题，请向人民检察院控告申诉部门或12309检察服务中心反映。",
    ),
    _reason(
        "military", "军队职责事项",
        "涉及军队内部事务的问题，请向相关军队单位或军地联络部门反映。",
    ),
    _reason(
        "secrets", "涉及国家秘密",
        "涉及国家秘密的内容不能通过热线受理，请通过保密渠道向有关机关当面或书面报告。",
    ),
    _reason(
        "privacy", "涉及他人隐私或商业秘密",
        "查询他人个人信息或商业秘密的要求不予受理；"
        "确有合法需要的，请依法通过有权机关或司法程序取得。",
    ),
    _reason(
        "unlawful", "内容违法或违背公序良俗",
        "诉求内容违反法律法规或公序良俗，热线不予受理；如有合法诉求，欢迎重新来电说明。",
    ),
    _reason(
        "abusive", "恶意骚扰或辱骂",
        "请文明表达诉求；对恶意骚扰、辱骂工作人员的来电，热线将依规记录并结束通话。",
    ),
    _reason(
        "outside_district", "不属于本区管辖",
        "事发地不在青羊区，请向事发地所在区（市）县的政务服务便民热线反映，"
        "或拨打12345由市级平台转办。",
    ),
    _reason(
        "no_content", "无实质内容/无效来电",
        "来电未反映具体诉求（如无声、误拨、测试）；如有需要，请重新来电并说明事项。",
    ),
    _reason(
        "repeat", "重复来电（已告知进度）",
        "该事项已有工单正在办理，已告知当前进度和承办单位；"
        "可凭工单号和查询码随时查询办理情况。",
    ),
]
# fmt: on

# Emergency services the operator transfers to (三方转接), with the time recorded.
EMERGENCY_SERVICES = [
    ("110", "公安报警"),
    ("119", "消防"),
    ("120", "医疗急救"),
    ("122", "交通事故"),
]
