## The admin page (/maintenance/admin), for superusers

admin-title = מתג תחזוקה
admin-heading = מתג תחזוקה
# $who is the logged-in superuser (an e-mail address or a client id).
admin-logged-in-as = התחברת בתור { $who }
admin-logout = התנתקות
# Shown at /maintenance/admin when no identity provider is configured.
admin-error-no-login = אי אפשר להתחבר לדף הזה: לא הוגדר ספק זהויות באתר.
admin-no-login-heading = התחברות דרך ספק הזהויות שלכם
admin-no-login-oidc = הוסיפו את ספק ה־OpenID Connect שלכם לפקודה שמפעילה את downtime (או הגדירו את משתני DOWNTIME_OIDC_* המתאימים), וציינו מי משתמש־על:
# $callback is a URL.
admin-no-login-redirect = אצל הספק, רשמו את { $callback } ככתובת ההפניה של הלקוח הזה.
admin-no-login-cli-heading = או בלי התחברות
admin-no-login-cli = כל מי שיש לו גישה למסד הנתונים של downtime (אותו ‎--database-url) יכול להפעיל ולכבות תחזוקה משורת הפקודה, ולחלק קישורי עקיפה שמאפשרים לעבור את דף התחזוקה:
admin-now-heading = המצב כרגע
admin-phase-off = כבוי: המבקרים משתמשים באתר כרגיל.
admin-phase-active = פעיל: המבקרים רואים את דף התחזוקה.
# $start is a date and time in UTC.
admin-phase-scheduled = מתוזמן: המבקרים יראו את דף התחזוקה החל מ־{ $start }.
admin-phase-ended = חלון התחזוקה הסתיים: המבקרים משתמשים באתר כרגיל.
# $version is a number, $who a person, $at a date and time in UTC.
admin-version = גרסה { $version }, שונתה על ידי { $who } ב־{ $at }
admin-switch-on = הפעלת מצב תחזוקה
admin-switch-off = כיבוי מצב תחזוקה
admin-settings-heading = הגדרות חלון התחזוקה
admin-mode = מה המבקרים יכולים לעשות
admin-mode-full = כלום: כל האתר סגור
admin-mode-read-only = לקרוא, אבל לא לשנות דבר
admin-mode-hold = המתנה: הבקשות מוחזקות עד לסיום החלון (לעבודות קצרות)
admin-message = הודעה למבקרים (טקסט פשוט)
admin-starts-at = מועד התחלה (UTC; ריק: מיד)
admin-ends-at = מועד סיום (UTC; ריק: עד הכיבוי)
admin-scope = לסגור רק את הנתיבים האלה, נתיב אחד בכל שורה (ריק: כל האתר)
admin-open-paths = להשאיר את הנתיבים האלה פתוחים, נתיב אחד בכל שורה
admin-allowed-ips = לאפשר מעבר לרשתות הלקוח האלה (CIDR), רשת אחת בכל שורה
admin-status-code = קוד הסטטוס בתשובות לבקשות חסומות
admin-retry-after = מספר השניות שהלקוחות מתבקשים להמתין, כל עוד לא נקבע מועד סיום
admin-hold-timeout = מספר השניות שכל בקשה ממתינה בהחזקה לפני שהדף מוצג
admin-reason = סיבה (נשמרת בהיסטוריה)
admin-save = שמירת ההגדרות
admin-bypass-heading = קישורי עקיפה
admin-bypass-intro = קישור סודי מאפשר למי שאין לו חשבון (בודק, לקוח) לעבור את דף התחזוקה, עד שתוקפו יפוג או שהוא יבוטל.
admin-bypass-ttl = בתוקף למשך
admin-bypass-label = למי או למה הוא מיועד
admin-bypass-next = הדף שהוא פותח (נתיב כמו /checkout)
admin-bypass-create = יצירת קישור
admin-bypass-new = הקישור החדש, שמוצג רק הפעם: יש לשתף אותו בזהירות, כמו סיסמה.
admin-bypass-none = עדיין אין קישורי עקיפה.
admin-bypass-revoke = ביטול
admin-bypass-active = פעיל
admin-bypass-expired = פג תוקף
admin-bypass-revoked = בוטל
# $at is a date and time in UTC.
admin-bypass-until = עד { $at }
admin-history-heading = היסטוריה
admin-history-none = עדיין אין שינויים.
admin-history-when = מתי
admin-history-who = מי
admin-history-what = מה
admin-history-why = למה
admin-history-on = הופעל
admin-history-off = כובה
admin-notice-saved = נשמר. כל השרתים יחילו את השינוי תוך רגע.
admin-notice-revoked = הקישור בוטל בכל השרתים.
# $version is the current version number.
admin-error-stale = מישהו אחר שינה את המצב בינתיים (הוא נמצא עכשיו בגרסה { $version }). לא בוצע שום שינוי: יש לבדוק את המצב למטה ולנסות שוב.
# $detail lists the refused values (in English).
admin-error-invalid = לא בוצע שום שינוי: { $detail }
admin-error-expired-form = תוקף הטופס הזה פג. לא בוצע שום שינוי: יש לטעון מחדש את הדף ולנסות שוב.
# $who is the logged-in person.
admin-error-not-superuser = החשבון { $who } מחובר, אך אין לו הרשאות משתמש־על באתר הזה.
admin-error-unavailable = לא ניתן להתחבר למסד הנתונים כרגע. לא בוצע שום שינוי; נא לנסות שוב בעוד רגע.
