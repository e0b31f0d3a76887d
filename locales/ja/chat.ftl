## format=slack の Webhook で送るチャットメッセージ

chat-until = { $end }まで
chat-until-further-notice = 追ってお知らせするまで
chat-mode-full = サイトは訪問者に対して閉鎖されています
chat-mode-read-only = 訪問者は閲覧できますが、変更はできません
chat-mode-hold = 訪問者のリクエストは終了まで待機します
chat-scheduled = メンテナンスを予定しています：{ $start }から（{ $until }）：{ $what }
chat-reminder = メンテナンスは{ $in }後に始まります：{ $what }（{ $until }）
chat-started = メンテナンスが始まりました：{ $what }（{ $until }）
chat-ended = メンテナンスが終わりました。サイトは復旧しています。
chat-ended-after = メンテナンスは{ $lasted }で終わりました。サイトは復旧しています。
chat-changed-scheduled = { $actor }がメンテナンス期間を変更しました：{ $start }から（{ $until }）：{ $what }
chat-changed-active = { $actor }がメンテナンス期間を変更しました：現在実施中（{ $until }）：{ $what }
chat-changed-off = { $actor }がメンテナンス期間を変更しました：オフです。
chat-by = 実行者：{ $actor }
chat-reason = 理由：{ $reason }
chat-late = 遅れて送信：{ $at }に起きたことです。
