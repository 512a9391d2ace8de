"""The console's words in Russian and English; the language comes from the `lang` cookie (the
switch in the header) or else the browser's Accept-Language, English by default."""

from __future__ import annotations

LANGS = ("ru", "en")
LANG_COOKIE = "agentdesk_lang"

_WORDS: dict[str, tuple[str, str]] = {
    # key: (ru, en)
    "title": ("AgentDesk — консоль", "AgentDesk console"),
    "sign_in": ("Вход", "Sign in"),
    "sign_out": ("Выйти", "Sign out"),
    "user_name": ("Пользователь", "User name"),
    "password": ("Пароль", "Password"),
    "wrong_password": ("Неверное имя или пароль", "Wrong user name or password"),
    "throttled": (
        "Слишком много неудачных попыток; повторите через {s} с",
        "Too many failed attempts; try again in {s} s",
    ),
    "calls": ("Звонки", "Calls"),
    "audit": ("Журнал аудита", "Audit trail"),
    "board": ("Операторы сейчас", "Live board"),
    "search": ("Найти", "Search"),
    "reset": ("Сбросить", "Reset"),
    "agent": ("Оператор", "Agent"),
    "from": ("С", "From"),
    "to": ("По", "To"),
    "number": ("Номер", "Number"),
    "queue": ("Очередь", "Queue"),
    "direction": ("Направление", "Direction"),
    "any": ("любое", "any"),
    "inbound": ("входящий", "inbound"),
    "outbound": ("исходящий", "outbound"),
    "internal": ("внутренний", "internal"),
    "min_duration": ("Длительность от, с", "Min duration, s"),
    "max_duration": ("до, с", "max, s"),
    "disposition": ("Итог", "Disposition"),
    "karma": ("Карма", "Karma"),
    "has_screen": ("С экраном", "With screen"),
    "evaluated": ("Оценён", "Evaluated"),
    "yes": ("да", "yes"),
    "no": ("нет", "no"),
    "text": ("Текст", "Text"),
    "tag": ("Метка", "Tag"),
    "sort": ("Сортировка", "Sort"),
    "sort_started": ("по времени", "by time"),
    "sort_duration": ("по длительности", "by duration"),
    "sort_karma": ("по карме", "by karma"),
    "found": ("Найдено: {n}", "Found: {n}"),
    "nothing_found": ("Ничего не найдено", "Nothing found"),
    "started": ("Начало", "Started"),
    "duration": ("Длительность", "Duration"),
    "screen": ("Экран", "Screen"),
    "previous": ("← Назад", "← Previous"),
    "next": ("Далее →", "Next →"),
    "call": ("Звонок", "Call"),
    "not_found": ("Не найдено", "Not found"),
    "not_found_text": (
        "Такого звонка нет или он вам недоступен.",
        "There is no such call, or it is not yours to see.",
    ),
    "forbidden": ("Нет доступа", "Forbidden"),
    "forbidden_text": ("Эта страница не для вашей роли.", "This page is not for your role."),
    "play": ("Воспроизвести", "Play"),
    "pause": ("Пауза", "Pause"),
    "speed": ("Скорость", "Speed"),
    "balance": ("Баланс: оператор ↔ клиент", "Balance: operator ↔ customer"),
    "operator": ("Оператор", "Operator"),
    "customer": ("Клиент", "Customer"),
    "no_screen": ("Экран не записан", "No screen recorded"),
    "no_audio": ("Звук не записан", "No audio recorded"),
    "timeline": ("Шкала времени", "Timeline"),
    "events": ("События", "Events"),
    "scorecard": ("Оценка", "Scorecard"),
    "form": ("Форма", "Form"),
    "no_forms": ("Формы оценки ещё не созданы", "No scorecard forms yet"),
    "comments": ("Комментарии", "Comments"),
    "add_comment": ("Комментарий к текущему моменту", "Comment at the current moment"),
    "summary": ("Итог", "Summary"),
    "save_evaluation": ("Сохранить оценку", "Save the evaluation"),
    "evaluations": ("Оценки", "Evaluations"),
    "no_evaluations": ("Оценок пока нет", "No evaluations yet"),
    "evaluation_saved": ("Оценка сохранена", "Evaluation saved"),
    "by": ("от", "by"),
    "csrf_failed": (
        "Форма устарела (нет CSRF-токена); обновите страницу",
        "The form is stale (no CSRF token); reload the page",
    ),
    "when": ("Когда", "When"),
    "actor": ("Кто", "Who"),
    "action": ("Действие", "Action"),
    "target": ("Объект", "Target"),
    "detail": ("Подробности", "Detail"),
    "state": ("Состояние", "State"),
    "since": ("С момента", "Since"),
    "current_call": ("Звонок", "Call"),
    "recording": ("Запись", "Recording"),
    "backlog": ("Очередь выгрузки", "Upload backlog"),
    "occupancy": ("Занятость 10 мин, %", "Occupancy 10 min, %"),
    "times_in": ("Время: {tz}", "Times: {tz}"),
    "band_hold": ("удержание", "hold"),
    "band_masked": ("скрыто", "masked"),
    "band_paused": ("пауза", "paused"),
    "reason_manual": ("вручную", "manual"),
    "reason_sensitive_field": ("чувствительное поле", "sensitive field"),
    "reason_masked_title": ("скрытое окно", "masked window"),
    "reason_titles_unreadable": ("заголовки не читаются", "titles unreadable"),
    "mark_ring": ("звонок", "ring"),
    "mark_answer": ("ответ", "answer"),
    "mark_hold": ("удержание", "hold"),
    "mark_unhold": ("снято с удержания", "unhold"),
    "mark_transfer": ("перевод", "transfer"),
    "mark_hangup": ("отбой", "hang-up"),
    "mark_card": ("карточка", "card"),
    "mark_operator_mark": ("отметка оператора", "operator's mark"),
    "mark_pause": ("пауза записи", "recording paused"),
    "mark_resume": ("запись продолжена", "recording resumed"),
    "mark_dtmf": ("DTMF", "DTMF"),
    "at": ("в", "at"),
    "lang_switch": ("English", "Русский"),
    "choose": ("Выбрать", "Choose"),
    "order": ("Порядок", "Order"),
    "order_desc": ("сначала новые/большие", "newest/largest first"),
    "order_asc": ("сначала старые/меньшие", "oldest/smallest first"),
    "reports": ("Отчёты", "Reports"),
    "group_by": ("Группировка", "Group by"),
    "group_day": ("по дням", "by day"),
    "group_agent": ("по операторам", "by agent"),
    "group_queue": ("по очередям", "by queue"),
    "bad_dates": ("Неверные даты", "Bad dates"),
    "day": ("День", "Day"),
    "metric_offered": ("Поступило", "Offered"),
    "metric_answered": ("Отвечено", "Answered"),
    "metric_answered_pct": ("Отвечено, %", "Answered, %"),
    "metric_handled": ("Обработано", "Handled"),
    "metric_avg_handle_s": ("Ср. время обработки, с", "Avg handle, s"),
    "metric_service_level_pct": ("Уровень сервиса, %", "Service level, %"),
    "metric_evaluations": ("Оценок", "Evaluations"),
    "metric_qa_avg_pct": ("Ср. оценка, %", "QA average, %"),
    "metric_occupancy_pct": ("Занятость, %", "Occupancy, %"),
    "export_mp4": ("Выгрузить MP4", "Export MP4"),
    "export_queued": ("в очереди", "queued"),
    "export_running": ("собирается…", "building…"),
    "export_failed": ("не удалось", "failed"),
    "export_download": ("Скачать MP4", "Download the MP4"),
    "state_ready": ("готов", "ready"),
    "state_not_ready": ("не готов", "not ready"),
    "state_break": ("перерыв", "break"),
    "state_wrap_up": ("постобработка", "wrap-up"),
    "state_on_call": ("в разговоре", "on a call"),
    "state_offline": ("не в сети", "offline"),
    "state_outbound": ("исходящий обзвон", "outbound"),
    "updated": ("Обновлено", "Updated"),
}

JS_KEYS = (
    "play",
    "pause",
    "no_screen",
    "no_audio",
    "add_comment",
    "band_hold",
    "band_masked",
    "band_paused",
    "reason_manual",
    "reason_sensitive_field",
    "reason_masked_title",
    "reason_titles_unreadable",
    "mark_ring",
    "mark_answer",
    "mark_hold",
    "mark_unhold",
    "mark_transfer",
    "mark_hangup",
    "mark_card",
    "mark_operator_mark",
    "mark_pause",
    "mark_resume",
    "mark_dtmf",
    "text",
    "export_queued",
    "export_running",
    "export_failed",
    "export_download",
)


def pick_lang(cookie: str | None, accept_language: str | None) -> str:
    """The cookie's language, else the first of ru/en the browser prefers (by q), else en."""
    if cookie in LANGS:
        return str(cookie)
    best, best_q = "en", -1.0
    for i, part in enumerate((accept_language or "").split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        q -= i * 1e-6  # earlier wins among equals
        primary = tag.strip().lower().split("-")[0]
        if primary in LANGS and q > best_q and q > 0:
            best, best_q = primary, q
    return best


def words(lang: str) -> dict[str, str]:
    index = 0 if lang == "ru" else 1
    return {key: pair[index] for key, pair in _WORDS.items()}


def mark_label(kind: str, w: dict[str, str]) -> str:
    return w.get(f"mark_{kind}", kind)
