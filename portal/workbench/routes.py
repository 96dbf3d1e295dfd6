"""``/staff``: the credit centre's workbench — every staff tool in one place, grouped by the duty
it serves, with what is waiting (R-13, R-18, R-23). The header keeps only the daily ones."""

from __future__ import annotations

from litestar import Router, get
from litestar.response import Template

from portal.accounts.tables import Role
from portal.objections import views as objections
from portal.proofs import service as proofs
from portal.web.guards import require_roles

__all__ = ["workbench_router", "GROUPS"]

GROUPS = (
    (
        "身份与查询",
        (
            ("/staff/reviews", "核验与授权审核", "身份证明、营业执照和书面授权书的审核（第十八条）"),
            ("/staff/objections", "异议处理", "受理、转送、书面告知，按到期日排序（第二十二至二十四条）"),
            ("/staff/password-reset", "密码重置", "本人到窗口核验身份后出具一次性重置链接"),
            ("/staff/reports", "报告核验与撤销", "信用信息报告的核验和撤销"),
            ("/staff/verifications", "信用信息核查", "核查申请队列，5个工作日内出具信用信息查询意见（R-P2）"),
        ),
    ),
    (
        "信息征集",
        (
            ("/staff/agencies", "部门与接口密钥", "信息提供单位、系统对接密钥的发放、轮换和吊销（第十二条）"),
            ("/staff/timeliness", "报送及时性", "按时率、迟报、催报和通报名单（第十二、十三条）"),
            ("/staff/catalogue", "共享指标目录", "信息类别的公开类别、公示期限和脱敏规则（第二十六条）"),
            ("/staff/lists", "红黑名单", "名单信息的查看、移出和变更记录"),
            ("/staff/credit-agencies", "信用服务机构备案", "第三方信用服务机构的备案、暂停、注销、人员和公开名录"),
            ("/staff/commitments/templates", "信用承诺范本", "各领域标准承诺书文本及其版本（R-P1）"),
            ("/staff/measures", "联合奖惩措施清单", "红黑名单主体在各领域适用的激励和惩戒措施（R-P5）"),
            ("/staff/usage", "信用产品使用统计", "各部门逢办必查和信用产品使用的季度、年度统计（R-P4）"),
        ),
    ),
    (
        "规则与运行",
        (
            ("/staff/calendar", "工作日历", "法定节假日和调休安排，所有工作日期限据此计算"),
            ("/staff/sharing", "共享规则", "有限共享类信息的授权共享类别和部门授权（第十五条）"),
            ("/staff/housekeeping", "例行任务", "定时任务的运行情况"),
            ("/staff/announcements", "通知公告", "在门户发布和撤下通知公告"),
        ),
    ),
)


@get("/", name="staff_workbench")
async def workbench() -> Template:
    waiting = {
        "/staff/reviews": len(await proofs.pending()),
        "/staff/objections": len(await objections.queue()),
    }
    return Template("portal/staff/workbench.html", context={"groups": GROUPS, "waiting": waiting})


workbench_router = Router(
    path="/staff", route_handlers=[workbench], guards=[require_roles(Role.STAFF)], include_in_schema=False
)
