## The admin page (/maintenance/admin), for superusers

admin-title = 维护开关
admin-heading = 维护开关
# $who is the logged-in superuser (an e-mail address or a client id).
admin-logged-in-as = 当前登录：{ $who }
admin-logout = 退出登录
# Shown at /maintenance/admin when no identity provider is configured.
admin-error-no-login = 无法登录此页面：本网站未配置身份提供商。
admin-no-login-heading = 使用您的身份提供商登录
admin-no-login-oidc = 请在启动 downtime 的命令中加入您的 OpenID Connect 提供商（或设置相应的 DOWNTIME_OIDC_* 变量），并指定超级用户：
# $callback is a URL.
admin-no-login-redirect = 请在提供商处将 { $callback } 注册为此客户端的重定向 URI。
admin-no-login-cli-heading = 或者不登录
admin-no-login-cli = 能访问 downtime 数据库的人（使用相同的 --database-url）可以在命令行中切换维护模式，并发放让他人绕过维护页面的绕过链接：
admin-now-heading = 当前状态
admin-phase-off = 已关闭：访客照常使用网站。
admin-phase-active = 已开启：访客会看到维护页面。
# $start is a date and time in UTC.
admin-phase-scheduled = 已计划：自 { $start } 起，访客将看到维护页面。
admin-phase-ended = 维护时段已结束：访客照常使用网站。
# $version is a number, $who a person, $at a date and time in UTC.
admin-version = 版本 { $version }，由 { $who } 于 { $at } 修改
admin-switch-on = 开启维护
admin-switch-off = 关闭维护
admin-settings-heading = 维护时段设置
admin-mode = 访客可以做什么
admin-mode-full = 什么都不能做：整个网站关闭
admin-mode-read-only = 只能浏览，不能做任何更改
admin-mode-hold = 等待：请求会被暂挂到维护窗口结束（适合短时工作）
admin-message = 给访客的留言（纯文本）
admin-starts-at = 开始时间（UTC；留空：立即开始）
admin-ends-at = 结束时间（UTC；留空：直到手动关闭）
admin-scope = 仅关闭以下路径，每行一个（留空：整个网站）
admin-open-paths = 保持以下路径开放，每行一个
admin-allowed-ips = 放行以下客户端网络（CIDR），每行一个
admin-status-code = 对被拦截请求返回的状态码
admin-retry-after = 未设置结束时间时，告知客户端等待的秒数
admin-hold-timeout = 每个暂挂的请求在显示维护页面前等待的秒数
admin-reason = 原因（记录在历史记录中）
admin-save = 保存设置
admin-bypass-heading = 绕过链接
admin-bypass-intro = 秘密链接可让没有账户的人（测试人员、客户）绕过维护页面，直到链接过期或被撤销。
admin-bypass-ttl = 有效期
admin-bypass-label = 用途或使用者
admin-bypass-next = 打开的页面（路径，例如 /checkout）
admin-bypass-create = 创建链接
admin-bypass-new = 新链接仅显示这一次：请像对待密码一样谨慎分享。
admin-bypass-none = 暂无绕过链接。
admin-bypass-revoke = 撤销
admin-bypass-active = 有效
admin-bypass-expired = 已过期
admin-bypass-revoked = 已撤销
# $at is a date and time in UTC.
admin-bypass-until = 至 { $at }
admin-history-heading = 历史记录
admin-history-none = 暂无更改。
admin-history-when = 时间
admin-history-who = 操作人
admin-history-what = 操作
admin-history-why = 原因
admin-history-on = 已开启
admin-history-off = 已关闭
admin-notice-saved = 已保存。所有服务器将在片刻内应用此更改。
admin-notice-revoked = 该链接已在所有服务器上撤销。
# $version is the current version number.
admin-error-stale = 在此期间有其他人更改了状态（当前为版本 { $version }）。未做任何更改：请检查下方的状态，然后重试。
# $detail lists the refused values (in English).
admin-error-invalid = 未做任何更改：{ $detail }
admin-error-expired-form = 此表单已过期。未做任何更改：请刷新页面后重试。
# $who is the logged-in person.
admin-error-not-superuser = { $who } 已登录，但不是本网站的超级用户。
admin-error-unavailable = 暂时无法连接数据库。未做任何更改，请稍后重试。
