## The admin page (/maintenance/admin), for superusers

admin-title = メンテナンス切り替え
admin-heading = メンテナンス切り替え
# $who is the logged-in superuser (an e-mail address or a client id).
admin-logged-in-as = { $who } としてログイン中
admin-logout = ログアウト
# Shown at /maintenance/admin when no identity provider is configured.
admin-error-no-login = このページにはログインできません。このサイトには ID プロバイダーが設定されていません。
admin-no-login-heading = ID プロバイダーでログインする
admin-no-login-oidc = downtime を起動するコマンドに OpenID Connect プロバイダーを追加し（または対応する DOWNTIME_OIDC_* 変数を設定し）、スーパーユーザーを指定してください：
# $callback is a URL.
admin-no-login-redirect = プロバイダー側で、このクライアントのリダイレクト URI として { $callback } を登録してください。
admin-no-login-cli-heading = ログインせずに使う
admin-no-login-cli = downtime のデータベースにアクセスできる人（同じ --database-url）は、コマンドラインからメンテナンスを切り替え、メンテナンスページを通過できるバイパスリンクを発行できます：
admin-now-heading = 現在の状態
admin-phase-off = オフ：訪問者は通常どおりサイトを利用できます。
admin-phase-active = オン：訪問者にはメンテナンスページが表示されます。
# $start is a date and time in UTC.
admin-phase-scheduled = 予約済み：{ $start }から訪問者にメンテナンスページが表示されます。
admin-phase-ended = メンテナンス期間は終了しました。訪問者は通常どおりサイトを利用できます。
# $version is a number, $who a person, $at a date and time in UTC.
admin-version = バージョン { $version }（{ $at } に { $who } が変更）
admin-switch-on = メンテナンスをオンにする
admin-switch-off = メンテナンスをオフにする
admin-settings-heading = メンテナンス期間の設定
admin-mode = 訪問者に許可する操作
admin-mode-full = なし：サイト全体を閉鎖
admin-mode-read-only = 閲覧のみ（変更は不可）
admin-mode-hold = 待機：ウィンドウが終わるまでリクエストを保留します（短い作業向け）
admin-message = 訪問者へのメッセージ（プレーンテキスト）
admin-starts-at = 開始日時（UTC、空欄の場合は即時）
admin-ends-at = 終了日時（UTC、空欄の場合はオフにするまで）
admin-scope = 閉鎖するパス（1行に1つ、空欄の場合はサイト全体）
admin-open-paths = 開放したままにするパス（1行に1つ）
admin-allowed-ips = 通過を許可するクライアントネットワーク（CIDR、1行に1つ）
admin-status-code = ブロックしたリクエストに返すステータスコード
admin-retry-after = 終了日時が未設定の間、クライアントに伝える待機秒数
admin-hold-timeout = 保留中の各リクエストがページを表示するまで待つ秒数
admin-reason = 理由（履歴に記録されます）
admin-save = 設定を保存
admin-bypass-heading = バイパスリンク
admin-bypass-intro = シークレットリンクを使うと、アカウントを持たない人（テスター、クライアントなど）も、リンクの有効期限が切れるか取り消されるまで、メンテナンスページを通過できます。
admin-bypass-ttl = 有効期間
admin-bypass-label = 用途・対象者
admin-bypass-next = 開くページ（/checkout などのパス）
admin-bypass-create = リンクを作成
admin-bypass-new = 新しいリンクです（表示は今回限り）。パスワードと同様に慎重に共有してください。
admin-bypass-none = バイパスリンクはまだありません。
admin-bypass-revoke = 取り消す
admin-bypass-active = 有効
admin-bypass-expired = 期限切れ
admin-bypass-revoked = 取り消し済み
# $at is a date and time in UTC.
admin-bypass-until = { $at }まで
admin-history-heading = 履歴
admin-history-none = 変更履歴はまだありません。
admin-history-when = 日時
admin-history-who = 実行者
admin-history-what = 内容
admin-history-why = 理由
admin-history-on = オンに切り替え
admin-history-off = オフに切り替え
admin-notice-saved = 保存しました。すべてのサーバーにまもなく反映されます。
admin-notice-revoked = すべてのサーバーでリンクを取り消しました。
# $version is the current version number.
admin-error-stale = この間に他のユーザーが状態を変更しました（現在のバージョンは { $version } です）。変更は保存されていません。下の状態を確認してから、もう一度お試しください。
# $detail lists the refused values (in English).
admin-error-invalid = 変更は保存されていません：{ $detail }
admin-error-expired-form = このフォームの有効期限が切れました。変更は保存されていません。ページを再読み込みして、もう一度お試しください。
# $who is the logged-in person.
admin-error-not-superuser = { $who } としてログインしていますが、このサイトのスーパーユーザーではありません。
admin-error-unavailable = 現在データベースに接続できません。変更は保存されていません。しばらくしてからもう一度お試しください。
