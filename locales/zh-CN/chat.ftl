## format=slack 的 Webhook 发送的聊天消息

chat-until = 直到 { $end }
chat-until-further-notice = 直到另行通知
chat-mode-full = 网站对访客关闭
chat-mode-read-only = 访客可以浏览，但不能更改任何内容
chat-mode-hold = 访客的请求将等待维护结束
chat-scheduled = 已计划维护：从 { $start } 开始（{ $until }）：{ $what }
chat-reminder = 维护将在 { $in }后开始：{ $what }（{ $until }）
chat-started = 维护已开始：{ $what }（{ $until }）
chat-ended = 维护已结束：网站已恢复。
chat-ended-after = 维护在 { $lasted }后结束：网站已恢复。
chat-changed-scheduled = { $actor } 更改了维护窗口：从 { $start } 开始（{ $until }）：{ $what }
chat-changed-active = { $actor } 更改了维护窗口：正在进行（{ $until }）：{ $what }
chat-changed-off = { $actor } 更改了维护窗口：已关闭。
chat-by = 操作者：{ $actor }
chat-reason = 原因：{ $reason }
chat-late = 延迟发送：此事发生于 { $at }。
