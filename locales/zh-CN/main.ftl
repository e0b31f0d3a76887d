# The language's own name, shown in the language switcher.
language-name = 简体中文

## The maintenance page

page-title = 维护中
page-heading = 我们很快回来
page-intro = 本网站正在维护，暂时无法访问。感谢您的耐心等待。
page-intro-read-only = 维护期间本网站处于只读模式：您可以正常浏览，但暂时无法进行更改。
page-scope = 仅以下部分因维护暂停访问，网站其余部分照常运行：
page-message-label = 团队留言
# $end is a date and time, already formatted.
page-expected-end = 预计恢复时间：{ $end }
page-countdown-label = 剩余时间
# $duration is a duration such as "5 minutes" (see the duration-* messages).
page-retry-hint = 请在 { $duration }后重试。
page-retry-link = 立即重试
page-auto-reload = 此页面会定期检查状态，网站恢复可用后将自动带您返回。
page-back = 维护已结束，正在为您返回……
page-language-label = 语言

## Durations, used inside other messages

duration-minutes = { $count ->
   *[other] { $count } 分钟
}
duration-hours = { $count ->
   *[other] { $count } 小时
}
duration-days = { $count ->
   *[other] { $count } 天
}

## The JSON problem document sent to API clients

problem-title = 服务维护中，暂不可用
problem-detail = 服务正在维护，暂时无法使用。请稍后重试。
problem-detail-read-only = 维护期间服务处于只读状态，暂不接受任何更改。请稍后重试。

## The page and problem document when the app behind a proxying downtime does not answer

unreachable-title = 无法访问网站
unreachable-heading = 网站暂时没有响应
unreachable-intro = 无法连接到此地址背后的应用程序。这不是计划内的维护，通常很快就会恢复。
unreachable-retry-link = 重试
unreachable-auto-reload = 此页面每 30 秒自动重试一次。
unreachable-problem-title = 无法访问网站
unreachable-problem-detail = 此服务器背后的应用程序没有响应。请稍后重试。

# The announcement banner (/maintenance/banner.js) on the site's own pages.
banner-window = 计划于 { $start } 至 { $end } 进行维护。
banner-from = 计划自 { $start } 起进行维护。
banner-dismiss = 关闭
