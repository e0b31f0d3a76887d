# The language's own name, shown in the language switcher.
language-name = 日本語

## The maintenance page

page-title = メンテナンス中
page-heading = まもなく再開します
page-intro = ただいまメンテナンスのため、サイトを停止しております。今しばらくお待ちください。
page-intro-read-only = メンテナンス中のため、サイトは読み取り専用モードになっています。閲覧はできますが、変更は現在受け付けておりません。
page-scope = メンテナンスのため、次のページのみご利用いただけません。その他のページは通常どおりご利用いただけます：
page-message-label = チームからのお知らせ
# $end is a date and time, already formatted.
page-expected-end = 再開予定：{ $end }
page-countdown-label = 残り時間
# $duration is a duration such as "5 minutes" (see the duration-* messages).
page-retry-hint = { $duration }後にもう一度お試しください。
page-retry-link = 今すぐ再試行
page-auto-reload = このページは定期的に状態を確認し、サイトが利用可能になり次第、自動的に元のページへ戻ります。
page-back = メンテナンスが終了しました。元のページに戻ります…
page-language-label = 言語

## Durations, used inside other messages

duration-minutes = { $count ->
   *[other] { $count }分
}
duration-hours = { $count ->
   *[other] { $count }時間
}
duration-days = { $count ->
   *[other] { $count }日
}

## The JSON problem document sent to API clients

problem-title = メンテナンスのためサービスを利用できません
problem-detail = メンテナンスのため、サービスを停止しています。しばらくしてからもう一度お試しください。
problem-detail-read-only = メンテナンス中はサービスが読み取り専用となるため、現在変更は受け付けていません。しばらくしてからもう一度お試しください。

## The page and problem document when the app behind a proxying downtime does not answer

unreachable-title = サイトに接続できません
unreachable-heading = ただいまサイトが応答していません
unreachable-intro = このアドレスのアプリケーションに接続できません。計画メンテナンスではなく、通常はすぐに復旧します。
unreachable-retry-link = 再試行
unreachable-auto-reload = このページは30秒ごとに自動的に再試行します。
unreachable-problem-title = サイトに接続できません
unreachable-problem-detail = このサーバーの背後にあるアプリケーションが応答していません。しばらくしてから再度お試しください。

# The announcement banner (/maintenance/banner.js) on the site's own pages.
banner-window = { $start }から{ $end }までメンテナンスを予定しています。
banner-from = { $start }からメンテナンスを予定しています。
banner-dismiss = 閉じる
