# The language's own name, shown in the language switcher.
language-name = العربية

## The maintenance page

page-title = الموقع قيد الصيانة
page-heading = سنعود قريبًا
page-intro = هذا الموقع متوقف مؤقتًا لإجراء الصيانة. شكرًا لصبركم.
page-intro-read-only = هذا الموقع في وضع القراءة فقط أثناء الصيانة: يمكنكم التصفح، لكن إجراء التغييرات متوقف مؤقتًا.
page-scope = أُغلقت هذه الأجزاء فقط من الموقع للصيانة، ويعمل الباقي كالمعتاد:
page-message-label = رسالة من الفريق
# $end is a date and time, already formatted.
page-expected-end = موعد العودة المتوقع: { $end }
page-countdown-label = الوقت المتبقي
# $duration is a duration such as "5 minutes" (see the duration-* messages).
page-retry-hint = يُرجى المحاولة مرة أخرى لاحقًا. مدة الانتظار المتوقعة: { $duration }.
page-retry-link = إعادة المحاولة الآن
page-auto-reload = تتحقق هذه الصفحة من الحالة بانتظام، وستعيدكم إلى الموقع فور توفره مجددًا.
page-back = انتهت الصيانة. جارٍ إعادتكم إلى الموقع…
page-language-label = اللغة

## Durations, used inside other messages

duration-minutes = { $count ->
    [zero] { $count } دقيقة
    [one] دقيقة واحدة
    [two] دقيقتان
    [few] { $count } دقائق
    [many] { $count } دقيقة
   *[other] { $count } دقيقة
}
duration-hours = { $count ->
    [zero] { $count } ساعة
    [one] ساعة واحدة
    [two] ساعتان
    [few] { $count } ساعات
    [many] { $count } ساعة
   *[other] { $count } ساعة
}
duration-days = { $count ->
    [zero] { $count } يوم
    [one] يوم واحد
    [two] يومان
    [few] { $count } أيام
    [many] { $count } يومًا
   *[other] { $count } يوم
}

## The JSON problem document sent to API clients

problem-title = الخدمة غير متاحة بسبب الصيانة
problem-detail = الخدمة متوقفة حاليًا للصيانة. يُرجى المحاولة مرة أخرى لاحقًا.
problem-detail-read-only = الخدمة في وضع القراءة فقط أثناء الصيانة، لذا تُرفض التغييرات حاليًا. يُرجى المحاولة مرة أخرى لاحقًا.

## The page and problem document when the app behind a proxying downtime does not answer

unreachable-title = تعذّر الوصول إلى الموقع
unreachable-heading = الموقع لا يستجيب حاليًا
unreachable-intro = تعذّر الوصول إلى التطبيق الموجود خلف هذا العنوان. هذه ليست صيانة مجدولة، وعادةً ما تُحل المشكلة بسرعة.
unreachable-retry-link = إعادة المحاولة
unreachable-auto-reload = تعيد هذه الصفحة المحاولة تلقائيًا كل 30 ثانية.
unreachable-problem-title = تعذّر الوصول إلى الموقع
unreachable-problem-detail = التطبيق الموجود خلف هذا الخادم لا يستجيب. يُرجى المحاولة مرة أخرى بعد قليل.

# The announcement banner (/maintenance/banner.js) on the site's own pages.
banner-window = من المقرر إجراء صيانة من { $start } إلى { $end }.
banner-from = من المقرر إجراء صيانة ابتداءً من { $start }.
banner-dismiss = إغلاق
