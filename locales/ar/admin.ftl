## The admin page (/maintenance/admin), for superusers

admin-title = مفتاح الصيانة
admin-heading = مفتاح الصيانة
# $who is the logged-in superuser (an e-mail address or a client id).
admin-logged-in-as = تم تسجيل الدخول باسم { $who }
admin-logout = تسجيل الخروج
# Shown at /maintenance/admin when no identity provider is configured.
admin-error-no-login = لا يمكن لأحد تسجيل الدخول إلى هذه الصفحة: لم يُضبط أي مزوّد هوية لهذا الموقع.
admin-no-login-heading = تسجيل الدخول عبر مزوّد الهوية
admin-no-login-oidc = أضِف مزوّد OpenID Connect الخاص بك إلى الأمر الذي يشغّل downtime (أو اضبط متغيرات DOWNTIME_OIDC_* المقابلة)، وحدّد من هم المستخدمون الخارقون:
# $callback is a URL.
admin-no-login-redirect = لدى المزوّد، سجّل { $callback } بوصفه عنوان إعادة التوجيه لهذا العميل.
admin-no-login-cli-heading = أو استغنِ عن تسجيل الدخول
admin-no-login-cli = يستطيع كل من يصل إلى قاعدة بيانات downtime (بنفس ‎--database-url) تشغيل الصيانة وإيقافها من سطر الأوامر، وإصدار روابط تجاوز تتيح للآخرين تخطّي صفحة الصيانة:
admin-now-heading = الوضع الحالي
admin-phase-off = متوقفة: يستخدم الزوار الموقع كالمعتاد.
admin-phase-active = مفعّلة: يرى الزوار صفحة الصيانة.
# $start is a date and time in UTC.
admin-phase-scheduled = مجدولة: سيرى الزوار صفحة الصيانة ابتداءً من { $start }.
admin-phase-ended = انتهت فترة الصيانة: يستخدم الزوار الموقع كالمعتاد.
# $version is a number, $who a person, $at a date and time in UTC.
admin-version = الإصدار { $version }، عدّله { $who } في { $at }
admin-switch-on = تفعيل الصيانة
admin-switch-off = إيقاف الصيانة
admin-settings-heading = إعدادات فترة الصيانة
admin-mode = ما يمكن للزوار فعله
admin-mode-full = لا شيء: الموقع بأكمله مغلق
admin-mode-read-only = القراءة فقط دون تغيير أي شيء
admin-mode-hold = الانتظار: تُعلَّق الطلبات حتى انتهاء النافذة (للأعمال القصيرة)
admin-message = رسالة إلى الزوار (نص عادي)
admin-starts-at = تبدأ في (UTC؛ فارغ: فورًا)
admin-ends-at = تنتهي في (UTC؛ فارغ: عند الإيقاف)
admin-scope = إغلاق هذه المسارات فقط، مسار واحد في كل سطر (فارغ: الموقع بأكمله)
admin-open-paths = إبقاء هذه المسارات مفتوحة، مسار واحد في كل سطر
admin-allowed-ips = السماح بمرور شبكات العملاء هذه (CIDR)، شبكة واحدة في كل سطر
admin-status-code = رمز الحالة في الردود على الطلبات المحجوبة
admin-retry-after = عدد الثواني التي يُطلب من العملاء انتظارها، ما دام لم يُحدَّد موعد للانتهاء
admin-hold-timeout = عدد الثواني التي ينتظرها كل طلب أثناء التعليق قبل أن تظهر الصفحة
admin-reason = السبب (يُحفظ في السجل)
admin-save = حفظ الإعدادات
admin-bypass-heading = روابط التجاوز
admin-bypass-intro = يتيح الرابط السري لمن ليس لديه حساب (مختبِر أو عميل) تجاوز صفحة الصيانة حتى تنتهي صلاحيته أو يُلغى.
admin-bypass-ttl = صالح لمدة
admin-bypass-label = لمن أو لأي غرض
admin-bypass-next = الصفحة التي يفتحها (مسار مثل /checkout)
admin-bypass-create = إنشاء رابط
admin-bypass-new = الرابط الجديد، ولن يُعرض إلا هذه المرة: شاركوه بحذر كما تشاركون كلمة المرور.
admin-bypass-none = لا توجد روابط تجاوز بعد.
admin-bypass-revoke = إلغاء
admin-bypass-active = نشط
admin-bypass-expired = منتهي الصلاحية
admin-bypass-revoked = ملغى
# $at is a date and time in UTC.
admin-bypass-until = حتى { $at }
admin-history-heading = السجل
admin-history-none = لا توجد تغييرات بعد.
admin-history-when = متى
admin-history-who = مَن
admin-history-what = ماذا
admin-history-why = لماذا
admin-history-on = تم التفعيل
admin-history-off = تم الإيقاف
admin-notice-saved = تم الحفظ. ستطبّق جميع الخوادم التغيير خلال لحظات.
admin-notice-revoked = أُلغي الرابط على جميع الخوادم.
# $version is the current version number.
admin-error-stale = غيّر شخص آخر الحالة في هذه الأثناء (وهي الآن في الإصدار { $version }). لم يتم تغيير أي شيء: راجعوا الحالة أدناه، ثم حاولوا مرة أخرى.
# $detail lists the refused values (in English).
admin-error-invalid = لم يتم تغيير أي شيء: { $detail }
admin-error-expired-form = انتهت صلاحية هذا النموذج. لم يتم تغيير أي شيء: أعيدوا تحميل الصفحة وحاولوا مرة أخرى.
# $who is the logged-in person.
admin-error-not-superuser = تم تسجيل الدخول باسم { $who }، لكن هذا الحساب لا يملك صلاحيات المستخدم الخارق في هذا الموقع.
admin-error-unavailable = يتعذّر الوصول إلى قاعدة البيانات حاليًا. لم يتم تغيير أي شيء؛ يُرجى المحاولة مرة أخرى بعد قليل.
