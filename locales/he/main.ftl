# The language's own name, shown in the language switcher.
language-name = עברית

## The maintenance page

page-title = האתר בתחזוקה
page-heading = נחזור בקרוב
page-intro = האתר מושבת לצורך תחזוקה. תודה על הסבלנות.
page-intro-read-only = האתר נמצא במצב קריאה בלבד במהלך התחזוקה: אפשר לגלוש בו, אך ביצוע שינויים מושהה כרגע.
page-scope = רק החלקים האלה של האתר סגורים לתחזוקה; כל השאר פועל כרגיל:
page-message-label = הודעה מהצוות
# $end is a date and time, already formatted.
page-expected-end = מועד החזרה המשוער: { $end }
page-countdown-label = הזמן שנותר
# $duration is a duration such as "5 minutes" (see the duration-* messages).
page-retry-hint = נא לנסות שוב בעוד { $duration }.
page-retry-link = לנסות שוב עכשיו
page-auto-reload = הדף בודק את המצב באופן קבוע ויחזיר אותך לאתר ברגע שיהיה זמין שוב.
page-back = התחזוקה הסתיימה. מחזירים אותך לאתר…
page-language-label = שפה

## Durations, used inside other messages

duration-minutes = { $count ->
    [one] דקה אחת
    [two] שתי דקות
   *[other] { $count } דקות
}
duration-hours = { $count ->
    [one] שעה אחת
    [two] שעתיים
   *[other] { $count } שעות
}
duration-days = { $count ->
    [one] יום אחד
    [two] יומיים
   *[other] { $count } ימים
}

## The JSON problem document sent to API clients

problem-title = השירות אינו זמין עקב תחזוקה
problem-detail = השירות מושבת לצורך תחזוקה. נא לנסות שוב מאוחר יותר.
problem-detail-read-only = השירות נמצא במצב קריאה בלבד במהלך התחזוקה, ולכן שינויים נדחים כרגע. נא לנסות שוב מאוחר יותר.

## The page and problem document when the app behind a proxying downtime does not answer

unreachable-title = לא ניתן לגשת לאתר
unreachable-heading = האתר אינו מגיב כרגע
unreachable-intro = לא ניתן להתחבר ליישום שמאחורי הכתובת הזו. זו אינה תחזוקה מתוכננת, ובדרך כלל הבעיה נפתרת במהירות.
unreachable-retry-link = ניסיון חוזר
unreachable-auto-reload = הדף הזה מנסה שוב באופן אוטומטי כל 30 שניות.
unreachable-problem-title = לא ניתן לגשת לאתר
unreachable-problem-detail = היישום שמאחורי השרת הזה אינו מגיב. נא לנסות שוב בעוד רגע.

# The announcement banner (/maintenance/banner.js) on the site's own pages.
banner-window = מתוכננת תחזוקה מ־{ $start } עד { $end }.
banner-from = מתוכננת תחזוקה החל מ־{ $start }.
banner-dismiss = סגירה
