## رسائل الدردشة لخطافات الويب ذات format=slack

chat-until = حتى { $end }
chat-until-further-notice = حتى إشعار آخر
chat-mode-full = الموقع مغلق أمام الزوار
chat-mode-read-only = يمكن للزوار القراءة دون تغيير أي شيء
chat-mode-hold = تنتظر طلبات الزوار حتى انتهاء الصيانة
chat-scheduled = صيانة مجدولة ابتداءً من { $start } ({ $until }): { $what }
chat-reminder = تبدأ الصيانة بعد { $in }: { $what } ({ $until })
chat-started = بدأت الصيانة: { $what } ({ $until })
chat-ended = انتهت الصيانة: عاد الموقع.
chat-ended-after = انتهت الصيانة بعد { $lasted }: عاد الموقع.
chat-changed-scheduled = غيّر { $actor } نافذة الصيانة: ابتداءً من { $start } ({ $until }): { $what }
chat-changed-active = غيّر { $actor } نافذة الصيانة: جارية الآن ({ $until }): { $what }
chat-changed-off = غيّر { $actor } نافذة الصيانة: إنها متوقفة.
chat-by = بواسطة { $actor }.
chat-reason = السبب: { $reason }
chat-late = أُرسلت متأخرة: حدث هذا في { $at }.
