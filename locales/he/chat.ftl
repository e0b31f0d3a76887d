## הודעות צ׳אט של ה-webhooks עם format=slack

chat-until = עד { $end }
chat-until-further-notice = עד להודעה חדשה
chat-mode-full = האתר סגור למבקרים
chat-mode-read-only = מבקרים יכולים לקרוא אך לא לשנות דבר
chat-mode-hold = בקשות המבקרים ממתינות עד לסיום
chat-scheduled = תחזוקה מתוכננת החל מ-{ $start } ({ $until }): { $what }
chat-reminder = התחזוקה מתחילה בעוד { $in }: { $what } ({ $until })
chat-started = התחזוקה החלה: { $what } ({ $until })
chat-ended = התחזוקה הסתיימה: האתר חזר לפעול.
chat-ended-after = התחזוקה הסתיימה אחרי { $lasted }: האתר חזר לפעול.
chat-changed-scheduled = { $actor } שינה את חלון התחזוקה: החל מ-{ $start } ({ $until }): { $what }
chat-changed-active = { $actor } שינה את חלון התחזוקה: פעיל עכשיו ({ $until }): { $what }
chat-changed-off = { $actor } שינה את חלון התחזוקה: הוא כבוי.
chat-by = על ידי { $actor }.
chat-reason = סיבה: { $reason }
chat-late = נשלח באיחור: זה קרה ב-{ $at }.
