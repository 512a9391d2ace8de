<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="ru_RU">
<context>
    <name>AccountForm</name>
    <message>
        <source>the server&apos;s host</source>
        <translation>адрес сервера</translation>
    </message>
    <message>
        <source>leave empty to keep the stored password</source>
        <translation>оставьте пустым, чтобы сохранить прежний пароль</translation>
    </message>
    <message>
        <source>required</source>
        <translation>обязательное поле</translation>
    </message>
</context>
<context>
    <name>AccountPage</name>
    <message>
        <source>Your SIP account</source>
        <translation>Ваша SIP-учётная запись</translation>
    </message>
    <message>
        <source>The phone system&apos;s address and your extension. QA controllers and supervisors who take no calls leave it empty (the store is then required).</source>
        <translation>Адрес телефонной станции и ваш внутренний номер. Контролёры ОКК и супервизоры, которые не принимают звонки, оставляют поля пустыми (тогда нужно хранилище).</translation>
    </message>
</context>
<context>
    <name>AgentBoard</name>
    <message>
        <source>Agent</source>
        <translation>Оператор</translation>
    </message>
    <message>
        <source>State</source>
        <translation>Состояние</translation>
    </message>
    <message>
        <source>In state</source>
        <translation>В состоянии</translation>
    </message>
    <message>
        <source>Call</source>
        <translation>Звонок</translation>
    </message>
    <message>
        <source>Call time</source>
        <translation>Время звонка</translation>
    </message>
    <message>
        <source>On hold</source>
        <translation>На удержании</translation>
    </message>
    <message>
        <source>Recording</source>
        <translation>Запись</translation>
    </message>
    <message>
        <source>Upload backlog</source>
        <translation>Очередь выгрузки</translation>
    </message>
    <message>
        <source>Occupancy 10 min</source>
        <translation>Занятость за 10 мин</translation>
    </message>
    <message>
        <source>Watch screen</source>
        <translation>Смотреть экран</translation>
    </message>
    <message>
        <source>Cannot load the board: %1</source>
        <translation>Не удалось загрузить панель: %1</translation>
    </message>
    <message>
        <source>Ready</source>
        <translation>Готов</translation>
    </message>
    <message>
        <source>Not ready</source>
        <translation>Не готов</translation>
    </message>
    <message>
        <source>Break</source>
        <translation>Перерыв</translation>
    </message>
    <message>
        <source>Wrap-up</source>
        <translation>Поствызывная обработка</translation>
    </message>
    <message>
        <source>On a call</source>
        <translation>На звонке</translation>
    </message>
    <message>
        <source>Offline</source>
        <translation>Не в сети</translation>
    </message>
    <message>
        <source>Outbound</source>
        <translation>Исходящий обзвон</translation>
    </message>
    <message>
        <source>%1 (ringing)</source>
        <translation>%1 (звонит)</translation>
    </message>
    <message>
        <source>on</source>
        <translation>вкл.</translation>
    </message>
    <message>
        <source>off</source>
        <translation>выкл.</translation>
    </message>
    <message>
        <source>Above the norm</source>
        <translation>Выше нормы</translation>
    </message>
</context>
<context>
    <name>AgentState</name>
    <message>
        <source>Ready</source>
        <translation>Готов</translation>
    </message>
    <message>
        <source>Not ready</source>
        <translation>Не готов</translation>
    </message>
    <message>
        <source>Break</source>
        <translation>Перерыв</translation>
    </message>
    <message>
        <source>On call</source>
        <translation>На звонке</translation>
    </message>
    <message>
        <source>Wrap-up</source>
        <translation>Поствызывная обработка</translation>
    </message>
    <message>
        <source>Offline</source>
        <translation>Не в сети</translation>
    </message>
    <message>
        <source>Outbound</source>
        <translation>Исходящий обзвон</translation>
    </message>
    <message>
        <source>&lt; 1 min</source>
        <translation>&lt; 1 мин</translation>
    </message>
    <message>
        <source>%1 h %2 min</source>
        <translation>%1 ч %2 мин</translation>
    </message>
    <message>
        <source>%1 min</source>
        <translation>%1 мин</translation>
    </message>
</context>
<context>
    <name>AgentStateBar</name>
    <message>
        <source>Change state</source>
        <translation>Сменить состояние</translation>
    </message>
    <message>
        <source>End wrap-up</source>
        <translation>Завершить обработку</translation>
    </message>
    <message>
        <source>waiting: %1</source>
        <translation>ожидание: %1</translation>
    </message>
    <message>
        <source>%1 s left</source>
        <translation>осталось %1 с</translation>
    </message>
    <message>
        <source>After the call: %1</source>
        <translation>После звонка: %1</translation>
    </message>
</context>
<context>
    <name>AudioDevicesDialog</name>
    <message>
        <source>Sound devices</source>
        <translation>Звуковые устройства</translation>
    </message>
    <message>
        <source>System default</source>
        <translation>Системное по умолчанию</translation>
    </message>
    <message>
        <source>Looking for sound devices…</source>
        <translation>Поиск звуковых устройств…</translation>
    </message>
    <message>
        <source>Play a test tone</source>
        <translation>Проиграть тестовый сигнал</translation>
    </message>
    <message>
        <source>Microphone</source>
        <translation>Микрофон</translation>
    </message>
    <message>
        <source>Speaker</source>
        <translation>Динамик</translation>
    </message>
    <message>
        <source>Ringing</source>
        <translation>Сигнал вызова</translation>
    </message>
    <message>
        <source>Microphone level</source>
        <translation>Уровень микрофона</translation>
    </message>
    <message>
        <source>Speaker level</source>
        <translation>Уровень динамика</translation>
    </message>
    <message>
        <source>No sound device: calls run without audio</source>
        <translation>Нет звукового устройства: звонки идут без звука</translation>
    </message>
    <message>
        <source>%1 sound devices found</source>
        <translation>Найдено звуковых устройств: %1</translation>
    </message>
    <message>
        <source>Playing…</source>
        <translation>Воспроизведение…</translation>
    </message>
    <message>
        <source>A tone was played on %1: did you hear it?</source>
        <translation>Сигнал проигран на %1: вы его слышали?</translation>
    </message>
    <message>
        <source>No test tone: %1</source>
        <translation>Тестовый сигнал не проигран: %1</translation>
    </message>
</context>
<context>
    <name>AudioModeLine</name>
    <message>
        <source>No sound device: calls run without audio</source>
        <translation>Нет звукового устройства: звонки идут без звука</translation>
    </message>
    <message>
        <source>The sound device did not open: this call runs without audio</source>
        <translation>Звуковое устройство не открылось: этот звонок идёт без звука</translation>
    </message>
    <message>
        <source>none</source>
        <translation>нет</translation>
    </message>
    <message>
        <source>Sound: microphone %1, speaker %2</source>
        <translation>Звук: микрофон %1, динамик %2</translation>
    </message>
</context>
<context>
    <name>CallControls</name>
    <message>
        <source>Answer</source>
        <translation>Ответить</translation>
    </message>
    <message>
        <source>Reject</source>
        <translation>Отклонить</translation>
    </message>
    <message>
        <source>Hang up</source>
        <translation>Положить трубку</translation>
    </message>
    <message>
        <source>Hold</source>
        <translation>Удержать</translation>
    </message>
    <message>
        <source>Mute</source>
        <translation>Выкл. микрофон</translation>
    </message>
    <message>
        <source>Transfer…</source>
        <translation>Перевести…</translation>
    </message>
    <message>
        <source>Attended transfer…</source>
        <translation>Перевод с консультацией…</translation>
    </message>
    <message>
        <source>Resume</source>
        <translation>Продолжить</translation>
    </message>
</context>
<context>
    <name>CallEvents</name>
    <message>
        <source>Ringing</source>
        <translation>Вызов</translation>
    </message>
    <message>
        <source>Answered</source>
        <translation>Ответ</translation>
    </message>
    <message>
        <source>On hold</source>
        <translation>На удержании</translation>
    </message>
    <message>
        <source>Off hold</source>
        <translation>Снят с удержания</translation>
    </message>
    <message>
        <source>Transfer</source>
        <translation>Перевод</translation>
    </message>
    <message>
        <source>Card</source>
        <translation>Карточка</translation>
    </message>
    <message>
        <source>Hung up</source>
        <translation>Завершён</translation>
    </message>
    <message>
        <source>Key pressed</source>
        <translation>Нажата клавиша</translation>
    </message>
    <message>
        <source>Call created</source>
        <translation>Звонок создан</translation>
    </message>
    <message>
        <source>Calling</source>
        <translation>Исходящий вызов</translation>
    </message>
    <message>
        <source>Incoming</source>
        <translation>Входящий вызов</translation>
    </message>
    <message>
        <source>Ringing at the other end</source>
        <translation>Гудки у абонента</translation>
    </message>
    <message>
        <source>Connecting</source>
        <translation>Соединение</translation>
    </message>
    <message>
        <source>Connected</source>
        <translation>Соединено</translation>
    </message>
    <message>
        <source>Disconnected</source>
        <translation>Разъединено</translation>
    </message>
    <message>
        <source>Sound on</source>
        <translation>Звук идёт</translation>
    </message>
    <message>
        <source>Held by the operator</source>
        <translation>Удержание оператором</translation>
    </message>
    <message>
        <source>Held by the caller</source>
        <translation>Удержание абонентом</translation>
    </message>
    <message>
        <source>No sound</source>
        <translation>Нет звука</translation>
    </message>
    <message>
        <source>Sound error</source>
        <translation>Ошибка звука</translation>
    </message>
    <message>
        <source>Operator&apos;s mark</source>
        <translation>Отметка оператора</translation>
    </message>
    <message>
        <source>Recording paused</source>
        <translation>Запись приостановлена</translation>
    </message>
    <message>
        <source>Recording resumed</source>
        <translation>Запись возобновлена</translation>
    </message>
    <message>
        <source>Screen hidden</source>
        <translation>Экран скрыт</translation>
    </message>
    <message>
        <source>Silence</source>
        <translation>Тишина</translation>
    </message>
    <message>
        <source>Supervisor monitoring</source>
        <translation>Супервизор подключается</translation>
    </message>
    <message>
        <source>Monitoring mode changed</source>
        <translation>Супервизор сменил режим</translation>
    </message>
    <message>
        <source>Monitoring ended</source>
        <translation>Супервизор отключился</translation>
    </message>
    <message>
        <source>Monitoring refused</source>
        <translation>Подключение супервизора отклонено</translation>
    </message>
    <message>
        <source>by the operator</source>
        <translation>оператором</translation>
    </message>
    <message>
        <source>card data typed</source>
        <translation>ввод данных карты</translation>
    </message>
    <message>
        <source>a hidden window</source>
        <translation>скрытое окно</translation>
    </message>
    <message>
        <source>window titles unreadable</source>
        <translation>заголовки окон не читаются</translation>
    </message>
    <message>
        <source>listening</source>
        <translation>слушает</translation>
    </message>
    <message>
        <source>whispering</source>
        <translation>подсказывает</translation>
    </message>
    <message>
        <source>barged in</source>
        <translation>в разговоре</translation>
    </message>
    <message>
        <source>following</source>
        <translation>следует за оператором</translation>
    </message>
    <message>
        <source>by the caller</source>
        <translation>абонентом</translation>
    </message>
    <message>
        <source>by a transfer</source>
        <translation>переводом</translation>
    </message>
    <message>
        <source>by a failure</source>
        <translation>из-за сбоя</translation>
    </message>
</context>
<context>
    <name>CallList</name>
    <message>
        <source>Number</source>
        <translation>Номер</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>Имя</translation>
    </message>
    <message>
        <source>State</source>
        <translation>Состояние</translation>
    </message>
    <message>
        <source>Duration</source>
        <translation>Длительность</translation>
    </message>
    <message>
        <source>Ringing</source>
        <translation>Входящий вызов</translation>
    </message>
    <message>
        <source>On hold</source>
        <translation>На удержании</translation>
    </message>
    <message>
        <source>Talking</source>
        <translation>Разговор</translation>
    </message>
    <message>
        <source>Calling</source>
        <translation>Вызов</translation>
    </message>
    <message>
        <source>Ringing at the other end</source>
        <translation>Гудки у абонента</translation>
    </message>
    <message>
        <source>Connecting</source>
        <translation>Соединение</translation>
    </message>
    <message>
        <source>Ended</source>
        <translation>Завершён</translation>
    </message>
    <message>
        <source>waiting</source>
        <translation>ожидает</translation>
    </message>
    <message>
        <source>held by the other side</source>
        <translation>удержан собеседником</translation>
    </message>
    <message>
        <source>muted</source>
        <translation>микрофон выключен</translation>
    </message>
</context>
<context>
    <name>CallReview</name>
    <message>
        <source>Export MP4…</source>
        <translation>Экспорт в MP4…</translation>
    </message>
    <message>
        <source>Cancel the export</source>
        <translation>Отменить экспорт</translation>
    </message>
    <message>
        <source>Loading the call…</source>
        <translation>Загрузка звонка…</translation>
    </message>
    <message>
        <source>Cannot play this call: {0}</source>
        <translation>Не удалось воспроизвести звонок: {0}</translation>
    </message>
    <message>
        <source>No transcript yet</source>
        <translation>Расшифровки пока нет</translation>
    </message>
    <message>
        <source>Cannot read the transcript: {0}</source>
        <translation>Не удалось прочитать расшифровку: {0}</translation>
    </message>
    <message>
        <source>Export the call</source>
        <translation>Экспорт звонка</translation>
    </message>
    <message>
        <source>Exporting…</source>
        <translation>Экспорт…</translation>
    </message>
    <message>
        <source>Export cancelled: no file was written</source>
        <translation>Экспорт отменён: файл не записан</translation>
    </message>
    <message>
        <source>Export failed: {0}</source>
        <translation>Экспорт не удался: {0}</translation>
    </message>
    <message>
        <source>Exported to {0}</source>
        <translation>Экспортировано в {0}</translation>
    </message>
</context>
<context>
    <name>CallSearch</name>
    <message>
        <source>Any</source>
        <translation>Любое</translation>
    </message>
    <message>
        <source>Inbound</source>
        <translation>Входящие</translation>
    </message>
    <message>
        <source>Outbound</source>
        <translation>Исходящие</translation>
    </message>
    <message>
        <source>Internal</source>
        <translation>Внутренние</translation>
    </message>
    <message>
        <source> s</source>
        <translation> с</translation>
    </message>
    <message>
        <source>any</source>
        <translation>любая</translation>
    </message>
    <message>
        <source>With screen</source>
        <translation>С записью экрана</translation>
    </message>
    <message>
        <source>No screen</source>
        <translation>Без записи экрана</translation>
    </message>
    <message>
        <source>Evaluated</source>
        <translation>Оценённые</translation>
    </message>
    <message>
        <source>Not evaluated</source>
        <translation>Не оценённые</translation>
    </message>
    <message>
        <source>Search</source>
        <translation>Найти</translation>
    </message>
    <message>
        <source>From</source>
        <translation>С</translation>
    </message>
    <message>
        <source>To</source>
        <translation>По</translation>
    </message>
    <message>
        <source>Started</source>
        <translation>Начало</translation>
    </message>
    <message>
        <source>Agent</source>
        <translation>Оператор</translation>
    </message>
    <message>
        <source>said in the call</source>
        <translation>сказано в разговоре</translation>
    </message>
    <message>
        <source>Anyone</source>
        <translation>Кто угодно</translation>
    </message>
    <message>
        <source>Operator</source>
        <translation>Оператор</translation>
    </message>
    <message>
        <source>Customer</source>
        <translation>Клиент</translation>
    </message>
    <message>
        <source>Number</source>
        <translation>Номер</translation>
    </message>
    <message>
        <source>Queue</source>
        <translation>Очередь</translation>
    </message>
    <message>
        <source>Direction</source>
        <translation>Направление</translation>
    </message>
    <message>
        <source>Min duration</source>
        <translation>Мин. длительность</translation>
    </message>
    <message>
        <source>Max duration</source>
        <translation>Макс. длительность</translation>
    </message>
    <message>
        <source>Disposition</source>
        <translation>Результат звонка</translation>
    </message>
    <message>
        <source>Karma</source>
        <translation>Карма</translation>
    </message>
    <message>
        <source>Screen</source>
        <translation>Экран</translation>
    </message>
    <message>
        <source>Evaluation</source>
        <translation>Оценка</translation>
    </message>
    <message>
        <source>Phrase</source>
        <translation>Фраза</translation>
    </message>
    <message>
        <source>Said by</source>
        <translation>Кто сказал</translation>
    </message>
    <message>
        <source>Duration</source>
        <translation>Длительность</translation>
    </message>
    <message>
        <source>Screen / evaluated</source>
        <translation>Экран / оценка</translation>
    </message>
    <message>
        <source>Said</source>
        <translation>Сказано</translation>
    </message>
    <message>
        <source>Cannot reach the store: {0}</source>
        <translation>Хранилище недоступно: {0}</translation>
    </message>
    <message>
        <source>My calls</source>
        <translation>Мои звонки</translation>
    </message>
    <message>
        <source>Searching…</source>
        <translation>Поиск…</translation>
    </message>
    <message>
        <source>Search failed: {0}</source>
        <translation>Поиск не удался: {0}</translation>
    </message>
    <message>
        <source>{0} of {1} calls</source>
        <translation>{0} из {1} звонков</translation>
    </message>
    <message>
        <source>yes</source>
        <translation>да</translation>
    </message>
    <message>
        <source>no</source>
        <translation>нет</translation>
    </message>
</context>
<context>
    <name>CallerRating</name>
    <message>
        <source>Tech literacy</source>
        <translation>Техническая грамотность</translation>
    </message>
    <message>
        <source>1 novice … 5 expert</source>
        <translation>1 новичок … 5 эксперт</translation>
    </message>
    <message>
        <source>Temperament</source>
        <translation>Темперамент</translation>
    </message>
    <message>
        <source>1 hostile … 5 easy-going</source>
        <translation>1 враждебный … 5 покладистый</translation>
    </message>
</context>
<context>
    <name>Calls</name>
    <message>
        <source>inbound</source>
        <translation>входящий</translation>
    </message>
    <message>
        <source>outbound</source>
        <translation>исходящий</translation>
    </message>
    <message>
        <source>internal</source>
        <translation>внутренний</translation>
    </message>
</context>
<context>
    <name>CampaignsView</name>
    <message>
        <source>Campaign</source>
        <translation>Кампания</translation>
    </message>
    <message>
        <source>Mode</source>
        <translation>Режим</translation>
    </message>
    <message>
        <source>State</source>
        <translation>Состояние</translation>
    </message>
    <message>
        <source>Total</source>
        <translation>Всего</translation>
    </message>
    <message>
        <source>Done</source>
        <translation>Завершено</translation>
    </message>
    <message>
        <source>Due now</source>
        <translation>К звонку сейчас</translation>
    </message>
    <message>
        <source>Scheduled</source>
        <translation>Запланировано</translation>
    </message>
    <message>
        <source>Exhausted</source>
        <translation>Попытки исчерпаны</translation>
    </message>
    <message>
        <source>Being called</source>
        <translation>В работе</translation>
    </message>
    <message>
        <source>Do not call</source>
        <translation>Не звонить</translation>
    </message>
    <message>
        <source>Outcomes</source>
        <translation>Итоги</translation>
    </message>
    <message>
        <source>Phone</source>
        <translation>Телефон</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>Имя</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>Статус</translation>
    </message>
    <message>
        <source>Attempts</source>
        <translation>Попытки</translation>
    </message>
    <message>
        <source>Next attempt</source>
        <translation>Следующая попытка</translation>
    </message>
    <message>
        <source>Last outcome</source>
        <translation>Последний итог</translation>
    </message>
    <message>
        <source>Agent</source>
        <translation>Оператор</translation>
    </message>
    <message>
        <source>Claimed</source>
        <translation>Взят в работу</translation>
    </message>
    <message>
        <source>Dialled</source>
        <translation>Набран</translation>
    </message>
    <message>
        <source>Outcome</source>
        <translation>Итог</translation>
    </message>
    <message>
        <source>Reason</source>
        <translation>Причина</translation>
    </message>
    <message>
        <source>Call</source>
        <translation>Звонок</translation>
    </message>
    <message>
        <source>Refresh</source>
        <translation>Обновить</translation>
    </message>
    <message>
        <source>Pause</source>
        <translation>Приостановить</translation>
    </message>
    <message>
        <source>Export results…</source>
        <translation>Выгрузить результаты…</translation>
    </message>
    <message>
        <source>paused</source>
        <translation>приостановлена</translation>
    </message>
    <message>
        <source>running</source>
        <translation>идёт</translation>
    </message>
    <message>
        <source>Resume</source>
        <translation>Возобновить</translation>
    </message>
    <message>
        <source>in progress</source>
        <translation>в работе</translation>
    </message>
    <message>
        <source>Saved %1</source>
        <translation>Сохранено: %1</translation>
    </message>
    <message>
        <source>Export results</source>
        <translation>Выгрузка результатов</translation>
    </message>
    <message>
        <source>CSV files (*.csv)</source>
        <translation>Файлы CSV (*.csv)</translation>
    </message>
</context>
<context>
    <name>CrmCard</name>
    <message>
        <source>Name</source>
        <translation>Имя</translation>
    </message>
    <message>
        <source>Company</source>
        <translation>Компания</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>Статус</translation>
    </message>
    <message>
        <source>Balance</source>
        <translation>Баланс</translation>
    </message>
    <message>
        <source>Open deals</source>
        <translation>Открытые сделки</translation>
    </message>
    <message>
        <source>Notes</source>
        <translation>Заметки</translation>
    </message>
    <message>
        <source>Open in CRM</source>
        <translation>Открыть в CRM</translation>
    </message>
    <message>
        <source>Create contact</source>
        <translation>Создать контакт</translation>
    </message>
    <message>
        <source>Date</source>
        <translation>Дата</translation>
    </message>
    <message>
        <source>Agent</source>
        <translation>Оператор</translation>
    </message>
    <message>
        <source>Duration</source>
        <translation>Длительность</translation>
    </message>
    <message>
        <source>Disposition</source>
        <translation>Результат звонка</translation>
    </message>
    <message>
        <source>No call</source>
        <translation>Нет звонка</translation>
    </message>
    <message>
        <source>No CRM is configured</source>
        <translation>CRM не настроена</translation>
    </message>
    <message>
        <source>Not a phone number: the CRM is not asked</source>
        <translation>Не телефонный номер: запрос в CRM не отправлен</translation>
    </message>
    <message>
        <source>Looking up in %1…</source>
        <translation>Поиск в %1…</translation>
    </message>
    <message>
        <source>Found in %1</source>
        <translation>Найдено в %1</translation>
    </message>
    <message>
        <source>Not in %1</source>
        <translation>Нет в %1</translation>
    </message>
    <message>
        <source>CRM unavailable: %1. The call is not affected.</source>
        <translation>CRM недоступна: %1. На звонок это не влияет.</translation>
    </message>
    <message>
        <source>karma %1 (%2 ratings)</source>
        <translation>карма %1 (оценок: %2)</translation>
    </message>
    <message>
        <source>tech literacy</source>
        <translation>техническая грамотность</translation>
    </message>
    <message>
        <source>temperament</source>
        <translation>темперамент</translation>
    </message>
    <message>
        <source>%1 %2/5 (%3 operators, %4% agree)</source>
        <translation>%1 %2/5 (операторов: %3, согласны %4%)</translation>
    </message>
    <message>
        <source>%1 earlier calls</source>
        <translation>Прежних звонков: %1</translation>
    </message>
    <message>
        <source>Play</source>
        <translation>Воспроизвести</translation>
    </message>
    <message>
        <source>Call history unavailable: %1</source>
        <translation>История звонков недоступна: %1</translation>
    </message>
</context>
<context>
    <name>CrmPanel</name>
    <message>
        <source>Finish wrap-up</source>
        <translation>Завершить обработку</translation>
    </message>
    <message>
        <source>the dialog card is not finished</source>
        <translation>карточка разговора не заполнена</translation>
    </message>
    <message>
        <source>Caller</source>
        <translation>Абонент</translation>
    </message>
    <message>
        <source>No CRM: %1</source>
        <translation>CRM не подключена: %1</translation>
    </message>
    <message>
        <source>%1 did not answer within %2 s</source>
        <translation>%1 не ответила за %2 с</translation>
    </message>
    <message>
        <source>Could not create the contact: %1</source>
        <translation>Не удалось создать контакт: %1</translation>
    </message>
    <message>
        <source>Wrap-up: choose a disposition, rate the caller, finish.</source>
        <translation>Обработка: выберите результат, оцените абонента, завершите.</translation>
    </message>
    <message>
        <source>Fill in before finishing: %1</source>
        <translation>Заполните перед завершением: %1</translation>
    </message>
    <message>
        <source>Saved.</source>
        <translation>Сохранено.</translation>
    </message>
    <message>
        <source>The call was saved, but %1 did not take it: %2</source>
        <translation>Звонок сохранён, но %1 его не приняла: %2</translation>
    </message>
</context>
<context>
    <name>Defaults</name>
    <message>
        <source>Training</source>
        <translation>Обучение</translation>
    </message>
    <message>
        <source>Meeting</source>
        <translation>Совещание</translation>
    </message>
    <message>
        <source>Back office</source>
        <translation>Бэк-офис</translation>
    </message>
    <message>
        <source>Technical problem</source>
        <translation>Технические неполадки</translation>
    </message>
    <message>
        <source>Break</source>
        <translation>Перерыв</translation>
    </message>
    <message>
        <source>Lunch</source>
        <translation>Обед</translation>
    </message>
    <message>
        <source>resolved</source>
        <translation>решено</translation>
    </message>
    <message>
        <source>callback</source>
        <translation>перезвонить</translation>
    </message>
    <message>
        <source>escalated</source>
        <translation>передано выше</translation>
    </message>
    <message>
        <source>no answer needed</source>
        <translation>ответ не требуется</translation>
    </message>
    <message>
        <source>Topic</source>
        <translation>Тема</translation>
    </message>
    <message>
        <source>Notes</source>
        <translation>Заметки</translation>
    </message>
</context>
<context>
    <name>DeskLayout</name>
    <message>
        <source>&amp;View</source>
        <translation>&amp;Вид</translation>
    </message>
    <message>
        <source>&amp;Compact softphone</source>
        <translation>&amp;Компактный софтфон</translation>
    </message>
    <message>
        <source>&amp;Full desk: card, dialog and history</source>
        <translation>&amp;Полный стол: карточка, разговор и история</translation>
    </message>
    <message>
        <source>Dialog card</source>
        <translation>Карточка разговора</translation>
    </message>
</context>
<context>
    <name>DialPanel</name>
    <message>
        <source>Number or SIP address</source>
        <translation>Номер или SIP-адрес</translation>
    </message>
    <message>
        <source>Call</source>
        <translation>Позвонить</translation>
    </message>
</context>
<context>
    <name>DialogCard</name>
    <message>
        <source>Disposition *</source>
        <translation>Результат звонка *</translation>
    </message>
    <message>
        <source>Disposition</source>
        <translation>Результат звонка</translation>
    </message>
</context>
<context>
    <name>DonePage</name>
    <message>
        <source>Ready</source>
        <translation>Готово</translation>
    </message>
    <message>
        <source>Finish writes the settings to %1. You can change them later in Settings.</source>
        <translation>По завершении настройки будут записаны в %1. Позже их можно изменить в разделе «Настройки».</translation>
    </message>
</context>
<context>
    <name>EngineBridge</name>
    <message>
        <source>The softphone runs again after it stopped unexpectedly (%1 s ago)</source>
        <translation>Софтфон снова работает после неожиданной остановки (%1 с назад)</translation>
    </message>
    <message>
        <source>The softphone stopped unexpectedly: %1 call(s) in progress ended. Starting it again in %2 s…</source>
        <translation>Софтфон неожиданно остановился: завершено текущих звонков: %1. Повторный запуск через %2 с…</translation>
    </message>
    <message>
        <source>The softphone could not start: %1</source>
        <translation>Софтфон не запустился: %1</translation>
    </message>
    <message>
        <source>Could not %1: %2</source>
        <translation>Не удалось %1: %2</translation>
    </message>
    <message>
        <source>No SIP account is ready: cannot call %1</source>
        <translation>SIP-аккаунт не готов: нельзя позвонить на %1</translation>
    </message>
    <message>
        <source>call %1</source>
        <translation>позвонить на %1</translation>
    </message>
    <message>
        <source>answer the call</source>
        <translation>ответить на звонок</translation>
    </message>
    <message>
        <source>reject the call</source>
        <translation>отклонить звонок</translation>
    </message>
    <message>
        <source>hang up</source>
        <translation>завершить звонок</translation>
    </message>
    <message>
        <source>put the call on hold</source>
        <translation>поставить звонок на удержание</translation>
    </message>
    <message>
        <source>resume the call</source>
        <translation>снять звонок с удержания</translation>
    </message>
    <message>
        <source>change mute</source>
        <translation>переключить микрофон</translation>
    </message>
    <message>
        <source>send the tones %1</source>
        <translation>отправить тоны %1</translation>
    </message>
    <message>
        <source>transfer the call to %1</source>
        <translation>перевести звонок на %1</translation>
    </message>
    <message>
        <source>transfer the call</source>
        <translation>перевести звонок</translation>
    </message>
    <message>
        <source>change Do not disturb</source>
        <translation>переключить «Не беспокоить»</translation>
    </message>
    <message>
        <source>change auto-answer</source>
        <translation>переключить автоответ</translation>
    </message>
    <message>
        <source>switch sound devices</source>
        <translation>сменить звуковые устройства</translation>
    </message>
</context>
<context>
    <name>Export</name>
    <message>
        <source>Exported by %1 on %2</source>
        <translation>Экспортировал %1, %2</translation>
    </message>
</context>
<context>
    <name>FirstRunWizard</name>
    <message>
        <source>AgentDesk set-up</source>
        <translation>Настройка AgentDesk</translation>
    </message>
    <message>
        <source>Try the demo</source>
        <translation>Попробовать демо</translation>
    </message>
    <message>
        <source>Saving…</source>
        <translation>Сохранение…</translation>
    </message>
    <message>
        <source>The settings could not be saved: %1</source>
        <translation>Не удалось сохранить настройки: %1</translation>
    </message>
</context>
<context>
    <name>IncomingBanner</name>
    <message>
        <source>Answer</source>
        <translation>Ответить</translation>
    </message>
    <message>
        <source>Reject</source>
        <translation>Отклонить</translation>
    </message>
    <message>
        <source>Incoming call from %1</source>
        <translation>Входящий звонок: %1</translation>
    </message>
    <message>
        <source>another call is in progress</source>
        <translation>идёт другой разговор</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>AgentDesk softphone</source>
        <translation>AgentDesk — софтфон</translation>
    </message>
    <message>
        <source>Do not disturb</source>
        <translation>Не беспокоить</translation>
    </message>
    <message>
        <source>Auto-answer</source>
        <translation>Автоответ</translation>
    </message>
    <message>
        <source>&amp;Phone</source>
        <translation>&amp;Телефон</translation>
    </message>
    <message>
        <source>Sound &amp;devices…</source>
        <translation>&amp;Звуковые устройства…</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>&amp;Выход</translation>
    </message>
    <message>
        <source>&amp;Call</source>
        <translation>&amp;Звонок</translation>
    </message>
    <message>
        <source>&amp;Answer</source>
        <translation>&amp;Ответить</translation>
    </message>
    <message>
        <source>&amp;Hang up</source>
        <translation>&amp;Положить трубку</translation>
    </message>
    <message>
        <source>H&amp;old / resume</source>
        <translation>&amp;Удержать / продолжить</translation>
    </message>
    <message>
        <source>&amp;Mute / unmute</source>
        <translation>&amp;Микрофон выкл. / вкл.</translation>
    </message>
    <message>
        <source>Incoming call</source>
        <translation>Входящий звонок</translation>
    </message>
    <message>
        <source>the softphone has stopped</source>
        <translation>софтфон остановлен</translation>
    </message>
    <message>
        <source>Screen watched: a supervisor sees your screen</source>
        <translation>Экран под наблюдением: супервизор видит ваш экран</translation>
    </message>
    <message>
        <source>Softphone error (%1): %2</source>
        <translation>Ошибка софтфона (%1): %2</translation>
    </message>
    <message>
        <source>A call from %1 was refused: %2</source>
        <translation>Звонок от %1 отклонён: %2</translation>
    </message>
    <message>
        <source>Transfer completed</source>
        <translation>Перевод выполнен</translation>
    </message>
    <message>
        <source>Transfer failed: %1</source>
        <translation>Перевод не удался: %1</translation>
    </message>
    <message>
        <source>The call failed: %1</source>
        <translation>Звонок не состоялся: %1</translation>
    </message>
    <message>
        <source>The caller&apos;s consent to recording is noted</source>
        <translation>Согласие абонента на запись отмечено</translation>
    </message>
    <message>
        <source>Moment marked in the recording</source>
        <translation>Момент отмечен в записи</translation>
    </message>
    <message>
        <source>Transfer</source>
        <translation>Перевод</translation>
    </message>
    <message>
        <source>Transfer the call to (number or SIP address):</source>
        <translation>Перевести звонок на (номер или SIP-адрес):</translation>
    </message>
    <message>
        <source>Attended transfer</source>
        <translation>Перевод с консультацией</translation>
    </message>
    <message>
        <source>Connect the caller with:</source>
        <translation>Соединить абонента с:</translation>
    </message>
    <message>
        <source>Problems in the settings file:</source>
        <translation>Ошибки в файле настроек:</translation>
    </message>
    <message>
        <source>fix the settings file and restart</source>
        <translation>исправьте файл настроек и перезапустите программу</translation>
    </message>
    <message>
        <source>Demo mode: a simulated caller rings about every %1 s; answer to talk.</source>
        <translation>Демо-режим: имитатор абонента звонит примерно каждые %1 с; ответьте, чтобы поговорить.</translation>
    </message>
</context>
<context>
    <name>MonitorControls</name>
    <message>
        <source>Listen</source>
        <translation>Слушать</translation>
    </message>
    <message>
        <source>Whisper</source>
        <translation>Суфлёр</translation>
    </message>
    <message>
        <source>Barge in</source>
        <translation>Вмешаться</translation>
    </message>
    <message>
        <source>Follow to the next call</source>
        <translation>Следовать за следующим звонком</translation>
    </message>
    <message>
        <source>Stop</source>
        <translation>Остановить</translation>
    </message>
    <message>
        <source>Pick an agent on the board first</source>
        <translation>Сначала выберите оператора на табло</translation>
    </message>
    <message>
        <source>The store refused: %1</source>
        <translation>Хранилище отказало: %1</translation>
    </message>
    <message>
        <source>Cannot call the agent: %1</source>
        <translation>Не удаётся позвонить оператору: %1</translation>
    </message>
    <message>
        <source>Stopped</source>
        <translation>Остановлено</translation>
    </message>
    <message>
        <source>The monitoring call ended: %1</source>
        <translation>Звонок наблюдения завершён: %1</translation>
    </message>
    <message>
        <source>Connected: %1</source>
        <translation>Подключено: %1</translation>
    </message>
    <message>
        <source>The agent&apos;s desktop refused the session: %1</source>
        <translation>Рабочее место оператора отклонило сеанс: %1</translation>
    </message>
    <message>
        <source>The session ended: %1</source>
        <translation>Сеанс завершён: %1</translation>
    </message>
    <message>
        <source>Listening to %1</source>
        <translation>Слушаю: %1</translation>
    </message>
    <message>
        <source>Whispering to %1</source>
        <translation>Подсказываю: %1</translation>
    </message>
    <message>
        <source>In the call of %1</source>
        <translation>В разговоре: %1</translation>
    </message>
    <message>
        <source>dial %1 with header X-AgentDesk-Monitor: %2</source>
        <translation>наберите %1 с заголовком X-AgentDesk-Monitor: %2</translation>
    </message>
</context>
<context>
    <name>MonitorGrants</name>
    <message>
        <source>A supervisor joined the call</source>
        <translation>Супервизор в разговоре</translation>
    </message>
    <message>
        <source>A supervisor is prompting you</source>
        <translation>Супервизор подсказывает вам</translation>
    </message>
    <message>
        <source>A supervisor is listening</source>
        <translation>Супервизор слушает</translation>
    </message>
</context>
<context>
    <name>MyCallsPanel</name>
    <message>
        <source>Today</source>
        <translation>Сегодня</translation>
    </message>
    <message>
        <source>Last 7 days</source>
        <translation>Последние 7 дней</translation>
    </message>
    <message>
        <source>Last 30 days</source>
        <translation>Последние 30 дней</translation>
    </message>
    <message>
        <source>Refresh</source>
        <translation>Обновить</translation>
    </message>
    <message>
        <source>Time</source>
        <translation>Время</translation>
    </message>
    <message>
        <source>Direction</source>
        <translation>Направление</translation>
    </message>
    <message>
        <source>Number</source>
        <translation>Номер</translation>
    </message>
    <message>
        <source>Duration</source>
        <translation>Длительность</translation>
    </message>
    <message>
        <source>On hold</source>
        <translation>На удержании</translation>
    </message>
    <message>
        <source>Result</source>
        <translation>Итог</translation>
    </message>
    <message>
        <source>Disposition</source>
        <translation>Результат звонка</translation>
    </message>
    <message>
        <source>Loading…</source>
        <translation>Загрузка…</translation>
    </message>
    <message>
        <source>The store could not be read (%1): showing the calls of this PC only</source>
        <translation>Не удалось прочитать хранилище (%1): показаны только звонки этого компьютера</translation>
    </message>
    <message>
        <source>%1 calls on this PC (no store is set up)</source>
        <translation>Звонков на этом компьютере: %1 (хранилище не настроено)</translation>
    </message>
    <message>
        <source>%1 calls, %2 of them from the store</source>
        <translation>Звонков: %1, из них из хранилища: %2</translation>
    </message>
    <message>
        <source>incoming</source>
        <translation>входящий</translation>
    </message>
    <message>
        <source>outgoing</source>
        <translation>исходящий</translation>
    </message>
    <message>
        <source>internal</source>
        <translation>внутренний</translation>
    </message>
    <message>
        <source>missed</source>
        <translation>пропущен</translation>
    </message>
    <message>
        <source>not answered</source>
        <translation>без ответа</translation>
    </message>
    <message>
        <source>answered</source>
        <translation>принят</translation>
    </message>
    <message>
        <source>My calls</source>
        <translation>Мои звонки</translation>
    </message>
</context>
<context>
    <name>MyDayPanel</name>
    <message>
        <source>Calls answered</source>
        <translation>Принято звонков</translation>
    </message>
    <message>
        <source>Calls missed</source>
        <translation>Пропущено звонков</translation>
    </message>
    <message>
        <source>Calls made</source>
        <translation>Сделано звонков</translation>
    </message>
    <message>
        <source>Talk time</source>
        <translation>Время разговоров</translation>
    </message>
    <message>
        <source>Hold time</source>
        <translation>Время удержания</translation>
    </message>
    <message>
        <source>Wrap-up time</source>
        <translation>Время обработки</translation>
    </message>
    <message>
        <source>Average handle time</source>
        <translation>Среднее время обслуживания</translation>
    </message>
    <message>
        <source>Refresh</source>
        <translation>Обновить</translation>
    </message>
    <message>
        <source>Calls of this PC only: the store could not be read (%1)</source>
        <translation>Только звонки этого компьютера: не удалось прочитать хранилище (%1)</translation>
    </message>
    <message>
        <source>Average handle time = (talk + hold + wrap-up) / calls answered or made</source>
        <translation>Среднее время обслуживания = (разговор + удержание + обработка) / принятые и состоявшиеся исходящие звонки</translation>
    </message>
    <message>
        <source>My day</source>
        <translation>Мой день</translation>
    </message>
</context>
<context>
    <name>OutboundDesk</name>
    <message>
        <source>The campaign&apos;s card form: %1</source>
        <translation>Форма карточки кампании: %1</translation>
    </message>
    <message>
        <source>%1 calls with this number; karma %2</source>
        <translation>Звонков с этим номером: %1; карма %2</translation>
    </message>
    <message>
        <source>Choose the Outbound state to get calls to make.</source>
        <translation>Выберите состояние «Исходящий обзвон», чтобы получать звонки для набора.</translation>
    </message>
</context>
<context>
    <name>OutboundPanel</name>
    <message>
        <source>Outbound</source>
        <translation>Исходящий обзвон</translation>
    </message>
    <message>
        <source>Choose the Outbound state to get calls to make.</source>
        <translation>Выберите состояние «Исходящий обзвон», чтобы получать звонки для набора.</translation>
    </message>
    <message>
        <source>Contact</source>
        <translation>Контакт</translation>
    </message>
    <message>
        <source>The campaign&apos;s script</source>
        <translation>Сценарий кампании</translation>
    </message>
    <message>
        <source>Call</source>
        <translation>Позвонить</translation>
    </message>
    <message>
        <source>Stop</source>
        <translation>Остановить</translation>
    </message>
    <message>
        <source>Wrong time</source>
        <translation>Неудобное время</translation>
    </message>
    <message>
        <source>Wrong number</source>
        <translation>Неверный номер</translation>
    </message>
    <message>
        <source>Not the person to speak to</source>
        <translation>Не тот собеседник</translation>
    </message>
    <message>
        <source>Skip</source>
        <translation>Пропустить</translation>
    </message>
    <message>
        <source>Finish</source>
        <translation>Завершить</translation>
    </message>
    <message>
        <source>Call back then</source>
        <translation>Перезвонить в это время</translation>
    </message>
    <message>
        <source>Campaign</source>
        <translation>Кампания</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>Имя</translation>
    </message>
    <message>
        <source>Phone</source>
        <translation>Телефон</translation>
    </message>
    <message>
        <source>Their time</source>
        <translation>Время у абонента</translation>
    </message>
    <message>
        <source>Attempts so far</source>
        <translation>Сделано попыток</translation>
    </message>
    <message>
        <source>CRM id</source>
        <translation>Код в CRM</translation>
    </message>
    <message>
        <source>Callback</source>
        <translation>Перезвон</translation>
    </message>
    <message>
        <source>you promised to call back</source>
        <translation>вы обещали перезвонить</translation>
    </message>
    <message>
        <source>CRM: %1</source>
        <translation>CRM: %1</translation>
    </message>
    <message>
        <source>Not in the CRM</source>
        <translation>Нет в CRM</translation>
    </message>
    <message>
        <source>balance %1</source>
        <translation>баланс %1</translation>
    </message>
    <message numerus="yes">
        <source>%n open items</source>
        <translation>
            <numerusform>%n открытая задача</numerusform>
            <numerusform>%n открытые задачи</numerusform>
            <numerusform>%n открытых задач</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Dialling in %n s</source>
        <translation>
            <numerusform>Набор через %n с</numerusform>
            <numerusform>Набор через %n с</numerusform>
            <numerusform>Набор через %n с</numerusform>
        </translation>
    </message>
    <message>
        <source>Read the card, then Call or Skip.</source>
        <translation>Прочитайте карточку, затем «Позвонить» или «Пропустить».</translation>
    </message>
    <message>
        <source>Calling…</source>
        <translation>Вызов…</translation>
    </message>
    <message>
        <source>On the call: choose the outcome when you are done.</source>
        <translation>Идёт разговор: по окончании выберите итог.</translation>
    </message>
    <message>
        <source>The call is over: choose its outcome.</source>
        <translation>Звонок окончен: выберите его итог.</translation>
    </message>
    <message>
        <source>That number is on the do-not-call list: not dialled.</source>
        <translation>Номер в списке «Не звонить»: набор не выполнен.</translation>
    </message>
    <message>
        <source>The task was given to somebody else (this desktop lost the store).</source>
        <translation>Задание передано другому оператору (связь с хранилищем была потеряна).</translation>
    </message>
    <message>
        <source>Waiting for the next task…</source>
        <translation>Ожидание следующего задания…</translation>
    </message>
</context>
<context>
    <name>PlayerWidget</name>
    <message>
        <source>No call loaded</source>
        <translation>Звонок не загружен</translation>
    </message>
    <message>
        <source>Play</source>
        <translation>Воспроизвести</translation>
    </message>
    <message>
        <source>Balance: operator (left) … customer (right)</source>
        <translation>Баланс: оператор (слева) … клиент (справа)</translation>
    </message>
    <message>
        <source>Speed</source>
        <translation>Скорость</translation>
    </message>
    <message>
        <source>Operator</source>
        <translation>Оператор</translation>
    </message>
    <message>
        <source>Customer</source>
        <translation>Клиент</translation>
    </message>
    <message>
        <source>Playing silently: {0}</source>
        <translation>Воспроизведение без звука: {0}</translation>
    </message>
    <message>
        <source>Pause</source>
        <translation>Пауза</translation>
    </message>
</context>
<context>
    <name>QaWindow</name>
    <message>
        <source>Call review</source>
        <translation>Разбор звонка</translation>
    </message>
    <message>
        <source>Review &amp;calls…</source>
        <translation>Разбор &amp;звонков…</translation>
    </message>
    <message>
        <source>&amp;Calls</source>
        <translation>&amp;Звонки</translation>
    </message>
</context>
<context>
    <name>QueuePanel</name>
    <message>
        <source>Queue</source>
        <translation>Очередь</translation>
    </message>
    <message>
        <source>Waiting</source>
        <translation>Ждут</translation>
    </message>
    <message>
        <source>Longest wait</source>
        <translation>Дольше всех ждёт</translation>
    </message>
    <message>
        <source>Free</source>
        <translation>Свободны</translation>
    </message>
    <message>
        <source>On a call</source>
        <translation>На звонке</translation>
    </message>
    <message>
        <source>Wrap-up</source>
        <translation>Обработка</translation>
    </message>
    <message>
        <source>Break</source>
        <translation>Перерыв</translation>
    </message>
    <message>
        <source>Answered today</source>
        <translation>Отвечено сегодня</translation>
    </message>
    <message>
        <source>Not ready</source>
        <translation>Не готовы</translation>
    </message>
    <message>
        <source>Abandoned today</source>
        <translation>Потеряно сегодня</translation>
    </message>
    <message>
        <source>Service level today</source>
        <translation>Уровень сервиса сегодня</translation>
    </message>
    <message>
        <source>Caller</source>
        <translation>Абонент</translation>
    </message>
    <message>
        <source>Waiting for</source>
        <translation>Ждёт</translation>
    </message>
    <message>
        <source>Karma</source>
        <translation>Карма</translation>
    </message>
    <message>
        <source>Cannot load the queues: %1</source>
        <translation>Не удалось загрузить очереди: %1</translation>
    </message>
    <message>
        <source>No queue events from the PBX yet</source>
        <translation>От АТС ещё не было событий очередей</translation>
    </message>
    <message>
        <source>difficult</source>
        <translation>трудный</translation>
    </message>
    <message>
        <source>normal</source>
        <translation>обычный</translation>
    </message>
    <message>
        <source>pleasant</source>
        <translation>приятный</translation>
    </message>
    <message>
        <source>ratings: %1</source>
        <translation>оценок: %1</translation>
    </message>
    <message>
        <source>unknown</source>
        <translation>номер скрыт</translation>
    </message>
</context>
<context>
    <name>RecorderLink</name>
    <message>
        <source>Screen recorder stopped</source>
        <translation>Запись экрана остановлена</translation>
    </message>
    <message>
        <source>Screen recorder starting…</source>
        <translation>Запись экрана запускается…</translation>
    </message>
    <message>
        <source>Screen recording INTERRUPTED (%1); restarting in %2 s</source>
        <translation>Запись экрана ПРЕРВАНА (%1); перезапуск через %2 с</translation>
    </message>
    <message>
        <source>Screen not recorded: the recording policy is off for you</source>
        <translation>Экран не записывается: правило записи для вас выключено</translation>
    </message>
    <message>
        <source>Screen recording ON</source>
        <translation>Идёт запись экрана</translation>
    </message>
    <message>
        <source>Screen recording ON, PAUSED: the screen is blacked out</source>
        <translation>Запись экрана на ПАУЗЕ: экран затемнён</translation>
    </message>
    <message>
        <source> (masked: %1)</source>
        <translation> (скрыто: %1)</translation>
    </message>
    <message>
        <source>Screen recording waits for the caller&apos;s consent</source>
        <translation>Запись экрана ждёт согласия абонента</translation>
    </message>
    <message>
        <source>Screen NOT recorded: %1</source>
        <translation>Экран НЕ записывается: %1</translation>
    </message>
    <message>
        <source>Screen recorder ready (records during calls)</source>
        <translation>Запись экрана готова (пишет во время звонков)</translation>
    </message>
    <message>
        <source>; window titles unreadable: whole screen masked</source>
        <translation>; заголовки окон не читаются: скрыт весь экран</translation>
    </message>
    <message>
        <source>Screen not recorded: %1</source>
        <translation>Экран не записывается: %1</translation>
    </message>
</context>
<context>
    <name>RecordingIndicator</name>
    <message>
        <source>Pause recording</source>
        <translation>Приостановить запись</translation>
    </message>
    <message>
        <source>Caller consented</source>
        <translation>Абонент согласен</translation>
    </message>
    <message>
        <source>Mark moment</source>
        <translation>Отметить момент</translation>
    </message>
    <message>
        <source>Screen recorder off</source>
        <translation>Запись экрана выключена</translation>
    </message>
    <message>
        <source>Resume recording</source>
        <translation>Возобновить запись</translation>
    </message>
    <message>
        <source>REC</source>
        <translation>ЗАП</translation>
    </message>
    <message>
        <source>REC paused</source>
        <translation>ЗАП на паузе</translation>
    </message>
    <message>
        <source>Awaiting consent</source>
        <translation>Ожидание согласия</translation>
    </message>
    <message>
        <source>Not recording</source>
        <translation>Запись не ведётся</translation>
    </message>
    <message>
        <source>Uploads waiting: %1</source>
        <translation>Ждут выгрузки: %1</translation>
    </message>
    <message>
        <source>the upload spool is full: screen recording stopped</source>
        <translation>очередь выгрузки переполнена: запись экрана остановлена</translation>
    </message>
    <message>
        <source>Uploads: all sent</source>
        <translation>Выгрузка: всё отправлено</translation>
    </message>
    <message>
        <source>the upload spool is %1 % full</source>
        <translation>очередь выгрузки заполнена на %1 %</translation>
    </message>
    <message>
        <source>the store does not accept this computer&apos;s sign-in</source>
        <translation>хранилище не принимает вход с этого компьютера</translation>
    </message>
    <message>
        <source>the store has a problem (%1)</source>
        <translation>сбой в хранилище (%1)</translation>
    </message>
    <message>
        <source>the store refused: %1</source>
        <translation>хранилище отказало: %1</translation>
    </message>
    <message>
        <source>store unreachable</source>
        <translation>хранилище недоступно</translation>
    </message>
    <message>
        <source>the store&apos;s certificate is not trusted</source>
        <translation>сертификат хранилища не вызывает доверия</translation>
    </message>
    <message>
        <source>the file storage refused the upload</source>
        <translation>файловое хранилище отклонило выгрузку</translation>
    </message>
    <message>
        <source>the outbox on this computer failed: %1</source>
        <translation>сбой очереди на этом компьютере: %1</translation>
    </message>
    <message>
        <source>(retrying in %1 s)</source>
        <translation>(повтор через %1 с)</translation>
    </message>
    <message>
        <source>%1/s</source>
        <translation>%1/с</translation>
    </message>
    <message>
        <source>The last error, as reported: %1</source>
        <translation>Последняя ошибка, как её сообщили: %1</translation>
    </message>
    <message>
        <source>Oldest waiting since %1</source>
        <translation>Самое старое ждёт с %1</translation>
    </message>
</context>
<context>
    <name>RegistrationLine</name>
    <message>
        <source>Starting the softphone…</source>
        <translation>Запуск софтфона…</translation>
    </message>
    <message>
        <source>Not connected: %1</source>
        <translation>Нет подключения: %1</translation>
    </message>
    <message>
        <source>Registering…</source>
        <translation>Регистрация…</translation>
    </message>
    <message>
        <source>Registered (%1), renewed every %2 s</source>
        <translation>Зарегистрирован (%1), продление каждые %2 с</translation>
    </message>
    <message>
        <source>Registration failed: %1; retrying in %2 s</source>
        <translation>Регистрация не удалась: %1; повтор через %2 с</translation>
    </message>
    <message>
        <source>Registration failed: %1; retrying now</source>
        <translation>Регистрация не удалась: %1; повтор сейчас</translation>
    </message>
    <message>
        <source>Registration off: calls come straight to this computer</source>
        <translation>Регистрация выключена: звонки приходят прямо на этот компьютер</translation>
    </message>
    <message>
        <source>Not registered (%1)</source>
        <translation>Не зарегистрирован (%1)</translation>
    </message>
</context>
<context>
    <name>ReportsView</name>
    <message>
        <source>Offered</source>
        <translation>Поступило</translation>
    </message>
    <message>
        <source>Answered</source>
        <translation>Принято</translation>
    </message>
    <message>
        <source>Missed</source>
        <translation>Пропущено</translation>
    </message>
    <message>
        <source>Abandoned</source>
        <translation>Брошено</translation>
    </message>
    <message>
        <source>Outbound</source>
        <translation>Исходящие</translation>
    </message>
    <message>
        <source>Handled</source>
        <translation>Обслужено</translation>
    </message>
    <message>
        <source>Talk, s</source>
        <translation>Разговор, с</translation>
    </message>
    <message>
        <source>Hold, s</source>
        <translation>Удержание, с</translation>
    </message>
    <message>
        <source>Wrap-up, s</source>
        <translation>Поствызывная обработка, с</translation>
    </message>
    <message>
        <source>Handle, s</source>
        <translation>Обслуживание, с</translation>
    </message>
    <message>
        <source>Avg talk, s</source>
        <translation>Ср. разговор, с</translation>
    </message>
    <message>
        <source>Avg hold, s</source>
        <translation>Ср. удержание, с</translation>
    </message>
    <message>
        <source>Avg wrap-up, s</source>
        <translation>Ср. поствызывная обработка, с</translation>
    </message>
    <message>
        <source>Avg handle, s</source>
        <translation>Ср. обслуживание, с</translation>
    </message>
    <message>
        <source>Answered, %</source>
        <translation>Принято, %</translation>
    </message>
    <message>
        <source>Missed, %</source>
        <translation>Пропущено, %</translation>
    </message>
    <message>
        <source>Avg wait, s</source>
        <translation>Ср. ожидание, с</translation>
    </message>
    <message>
        <source>Service level, %</source>
        <translation>Уровень сервиса, %</translation>
    </message>
    <message>
        <source>Long calls</source>
        <translation>Долгие звонки</translation>
    </message>
    <message>
        <source>Screen recorded, %</source>
        <translation>С записью экрана, %</translation>
    </message>
    <message>
        <source>QA evaluations</source>
        <translation>Оценки качества</translation>
    </message>
    <message>
        <source>QA average, %</source>
        <translation>Средняя оценка качества, %</translation>
    </message>
    <message>
        <source>Logged in, s</source>
        <translation>В системе, с</translation>
    </message>
    <message>
        <source>Ready, s</source>
        <translation>Готов, с</translation>
    </message>
    <message>
        <source>Not ready, s</source>
        <translation>Не готов, с</translation>
    </message>
    <message>
        <source>Break, s</source>
        <translation>Перерыв, с</translation>
    </message>
    <message>
        <source>On calls and wrap-up, s</source>
        <translation>На звонках и обработке, с</translation>
    </message>
    <message>
        <source>Outbound tasks, s</source>
        <translation>Исходящий обзвон, с</translation>
    </message>
    <message>
        <source>Occupancy, %</source>
        <translation>Занятость, %</translation>
    </message>
    <message>
        <source>Transcribed</source>
        <translation>С расшифровкой</translation>
    </message>
    <message>
        <source>Transcribed audio, s</source>
        <translation>Расшифровано записи, с</translation>
    </message>
    <message>
        <source>Operator talk, %</source>
        <translation>Речь оператора, %</translation>
    </message>
    <message>
        <source>Customer talk, %</source>
        <translation>Речь клиента, %</translation>
    </message>
    <message>
        <source>Silence, %</source>
        <translation>Тишина, %</translation>
    </message>
    <message>
        <source>Avg longest silence, s</source>
        <translation>Ср. самая долгая пауза, с</translation>
    </message>
    <message>
        <source>Overtalks</source>
        <translation>Перебивания</translation>
    </message>
    <message>
        <source>Overtalk, s</source>
        <translation>Перебивания, с</translation>
    </message>
    <message>
        <source>Operator pace, words/min</source>
        <translation>Темп оператора, слов/мин</translation>
    </message>
    <message>
        <source>State</source>
        <translation>Состояние</translation>
    </message>
    <message>
        <source>Reason</source>
        <translation>Причина</translation>
    </message>
    <message>
        <source>Seconds</source>
        <translation>Секунды</translation>
    </message>
    <message>
        <source>Calls offered</source>
        <translation>Поступило звонков</translation>
    </message>
    <message>
        <source>Time in state, s</source>
        <translation>Время в состоянии, с</translation>
    </message>
    <message>
        <source>Average handle time, s</source>
        <translation>Среднее время обслуживания, с</translation>
    </message>
    <message>
        <source>Operator talk share, %</source>
        <translation>Доля речи оператора, %</translation>
    </message>
    <message>
        <source>Calls and agents</source>
        <translation>Звонки и операторы</translation>
    </message>
    <message>
        <source>Time in state by reason</source>
        <translation>Время в состояниях по причинам</translation>
    </message>
    <message>
        <source>By agent</source>
        <translation>По операторам</translation>
    </message>
    <message>
        <source>By queue</source>
        <translation>По очередям</translation>
    </message>
    <message>
        <source>By day</source>
        <translation>По дням</translation>
    </message>
    <message>
        <source>By hour</source>
        <translation>По часам</translation>
    </message>
    <message>
        <source>By day and agent</source>
        <translation>По дням и операторам</translation>
    </message>
    <message>
        <source>By day and queue</source>
        <translation>По дням и очередям</translation>
    </message>
    <message>
        <source>By hour and queue</source>
        <translation>По часам и очередям</translation>
    </message>
    <message>
        <source>Chart: calls offered</source>
        <translation>График: поступившие звонки</translation>
    </message>
    <message>
        <source>Chart: average handle time</source>
        <translation>График: среднее время обслуживания</translation>
    </message>
    <message>
        <source>Chart: operator talk share</source>
        <translation>График: доля речи оператора</translation>
    </message>
    <message>
        <source> s</source>
        <translation> с</translation>
    </message>
    <message>
        <source>every agent</source>
        <translation>все операторы</translation>
    </message>
    <message>
        <source>every queue</source>
        <translation>все очереди</translation>
    </message>
    <message>
        <source>Show</source>
        <translation>Показать</translation>
    </message>
    <message>
        <source>Export CSV…</source>
        <translation>Экспорт в CSV…</translation>
    </message>
    <message>
        <source>From</source>
        <translation>С</translation>
    </message>
    <message>
        <source>to</source>
        <translation>по</translation>
    </message>
    <message>
        <source>Service level: answered within</source>
        <translation>Уровень обслуживания: ответ в пределах</translation>
    </message>
    <message>
        <source>Long calls: over</source>
        <translation>Долгие звонки: дольше</translation>
    </message>
    <message>
        <source>Loading…</source>
        <translation>Загрузка…</translation>
    </message>
    <message>
        <source>Cannot load the report: %1</source>
        <translation>Не удалось загрузить отчёт: %1</translation>
    </message>
    <message>
        <source>Rows: %1</source>
        <translation>Строк: %1</translation>
    </message>
    <message>
        <source>(none)</source>
        <translation>(нет)</translation>
    </message>
    <message>
        <source>Agent</source>
        <translation>Оператор</translation>
    </message>
    <message>
        <source>Queue</source>
        <translation>Очередь</translation>
    </message>
    <message>
        <source>When</source>
        <translation>Когда</translation>
    </message>
    <message>
        <source>Export the report</source>
        <translation>Экспорт отчёта</translation>
    </message>
    <message>
        <source>CSV files (*.csv)</source>
        <translation>Файлы CSV (*.csv)</translation>
    </message>
    <message>
        <source>Export failed: %1</source>
        <translation>Экспорт не удался: %1</translation>
    </message>
    <message>
        <source>Saved %1</source>
        <translation>Сохранено: %1</translation>
    </message>
</context>
<context>
    <name>ScorecardWidget</name>
    <message>
        <source>Comment at the current position</source>
        <translation>Комментарий к текущему моменту</translation>
    </message>
    <message>
        <source>Add comment</source>
        <translation>Добавить комментарий</translation>
    </message>
    <message>
        <source>Summary</source>
        <translation>Итог</translation>
    </message>
    <message>
        <source>Save evaluation</source>
        <translation>Сохранить оценку</translation>
    </message>
    <message>
        <source>Loading scorecard forms…</source>
        <translation>Загрузка форм оценки…</translation>
    </message>
    <message>
        <source>Cannot load the scorecard forms: {0}</source>
        <translation>Не удалось загрузить формы оценки: {0}</translation>
    </message>
    <message>
        <source>The store has no scorecard forms yet.</source>
        <translation>В хранилище пока нет форм оценки.</translation>
    </message>
    <message>
        <source>yes</source>
        <translation>да</translation>
    </message>
    <message>
        <source>no</source>
        <translation>нет</translation>
    </message>
    <message>
        <source>automatic check: {0} — confirm or change</source>
        <translation>автопроверка: {0} — подтвердите или измените</translation>
    </message>
    <message>
        <source>Saving…</source>
        <translation>Сохранение…</translation>
    </message>
    <message>
        <source>Not saved: {0}</source>
        <translation>Не сохранено: {0}</translation>
    </message>
    <message>
        <source>Saved: {0}%</source>
        <translation>Сохранено: {0}%</translation>
    </message>
</context>
<context>
    <name>ScreenView</name>
    <message>
        <source>Screen of %1 (live)</source>
        <translation>Экран оператора %1 (в реальном времени)</translation>
    </message>
    <message>
        <source>Waiting for the agent&apos;s screen…</source>
        <translation>Ждём экран оператора…</translation>
    </message>
    <message>
        <source>Cannot watch the screen: %1</source>
        <translation>Нельзя смотреть экран: %1</translation>
    </message>
    <message>
        <source>Cannot load the screen: %1</source>
        <translation>Не удалось загрузить экран: %1</translation>
    </message>
    <message>
        <source>Live</source>
        <translation>В эфире</translation>
    </message>
</context>
<context>
    <name>SectionForm</name>
    <message>
        <source>%1 is not a valid value</source>
        <translation>%1 — недопустимое значение</translation>
    </message>
</context>
<context>
    <name>SettingsDialog</name>
    <message>
        <source>Settings</source>
        <translation>Настройки</translation>
    </message>
    <message>
        <source>automatic</source>
        <translation>автоматически</translation>
    </message>
    <message>
        <source>sound devices (PortAudio)</source>
        <translation>звуковые устройства (PortAudio)</translation>
    </message>
    <message>
        <source>no sound</source>
        <translation>без звука</translation>
    </message>
    <message>
        <source>leave empty to keep the stored secret</source>
        <translation>оставьте пустым, чтобы сохранить прежний секрет</translation>
    </message>
    <message>
        <source>Reading the settings…</source>
        <translation>Чтение настроек…</translation>
    </message>
    <message>
        <source>The settings could not be read: %1</source>
        <translation>Не удалось прочитать настройки: %1</translation>
    </message>
    <message>
        <source>SIP account</source>
        <translation>SIP-учётная запись</translation>
    </message>
    <message>
        <source>Store</source>
        <translation>Хранилище</translation>
    </message>
    <message>
        <source>Devices</source>
        <translation>Устройства</translation>
    </message>
    <message>
        <source>Choose and test devices…</source>
        <translation>Выбрать и проверить устройства…</translation>
    </message>
    <message>
        <source>Sound</source>
        <translation>Звук</translation>
    </message>
    <message>
        <source>Recording</source>
        <translation>Запись</translation>
    </message>
    <message>
        <source>CRM</source>
        <translation>CRM</translation>
    </message>
    <message>
        <source>Wrap-up and breaks</source>
        <translation>Обработка и перерывы</translation>
    </message>
    <message>
        <source>Uploads</source>
        <translation>Выгрузка</translation>
    </message>
    <message>
        <source>Dialog card</source>
        <translation>Карточка разговора</translation>
    </message>
    <message>
        <source>Language</source>
        <translation>Язык</translation>
    </message>
    <message>
        <source>system default</source>
        <translation>системное по умолчанию</translation>
    </message>
    <message>
        <source>microphone: %1; speaker: %2; ringing: %3</source>
        <translation>микрофон: %1; динамик: %2; звонок: %3</translation>
    </message>
    <message>
        <source>The recording policy comes from the store (%1) and a change there applies within seconds. These settings cannot switch recording off, not even [recorder] enabled = false; windows masked here are added to the store&apos;s.</source>
        <translation>Правило записи задаётся в хранилище (%1), его изменение применяется за несколько секунд. Эти настройки не могут выключить запись, даже [recorder] enabled = false; окна, скрытые здесь, добавляются к скрытым хранилищем.</translation>
    </message>
    <message>
        <source>every call is recorded</source>
        <translation>записывается каждый звонок</translation>
    </message>
    <message>
        <source>a sample of %1% of calls is recorded</source>
        <translation>записывается выборка из %1% звонков</translation>
    </message>
    <message>
        <source>calls are recorded once the caller consents</source>
        <translation>звонки записываются после согласия абонента</translation>
    </message>
    <message>
        <source>no call is recorded</source>
        <translation>звонки не записываются</translation>
    </message>
    <message>
        <source>Recording policy: %1</source>
        <translation>Правило записи: %1</translation>
    </message>
    <message>
        <source>Screen: %1 frames/s, %2 s before the call, %3 s of wrap-up</source>
        <translation>Экран: %1 кадр/с, %2 с до звонка, %3 с обработки</translation>
    </message>
    <message>
        <source>Windows masked on the recording: %1</source>
        <translation>Окна, скрытые на записи: %1</translation>
    </message>
    <message>
        <source>The recording policy is set by the administrator.</source>
        <translation>Правило записи задаёт администратор.</translation>
    </message>
    <message>
        <source>Saving…</source>
        <translation>Сохранение…</translation>
    </message>
    <message>
        <source>The settings could not be saved: %1</source>
        <translation>Не удалось сохранить настройки: %1</translation>
    </message>
</context>
<context>
    <name>SettingsForms</name>
    <message>
        <source>SIP server</source>
        <translation>SIP-сервер</translation>
    </message>
    <message>
        <source>User</source>
        <translation>Пользователь</translation>
    </message>
    <message>
        <source>Domain</source>
        <translation>Домен</translation>
    </message>
    <message>
        <source>Transport</source>
        <translation>Транспорт</translation>
    </message>
    <message>
        <source>Display name</source>
        <translation>Отображаемое имя</translation>
    </message>
    <message>
        <source>Password</source>
        <translation>Пароль</translation>
    </message>
    <message>
        <source>Store address</source>
        <translation>Адрес хранилища</translation>
    </message>
    <message>
        <source>Store CA file</source>
        <translation>Файл ЦС хранилища</translation>
    </message>
    <message>
        <source>Store token</source>
        <translation>Токен хранилища</translation>
    </message>
    <message>
        <source>CRM token or webhook secret</source>
        <translation>Токен CRM или секрет вебхука</translation>
    </message>
    <message>
        <source>Sound</source>
        <translation>Звук</translation>
    </message>
    <message>
        <source>Language</source>
        <translation>Язык</translation>
    </message>
    <message>
        <source>CRM type (none, rest, bitrix24)</source>
        <translation>Тип CRM (none, rest, bitrix24)</translation>
    </message>
    <message>
        <source>CRM answer time limit, s</source>
        <translation>Время ожидания ответа CRM, с</translation>
    </message>
    <message>
        <source>Country code for national numbers</source>
        <translation>Код страны для местных номеров</translation>
    </message>
    <message>
        <source>Lookup address</source>
        <translation>Адрес поиска</translation>
    </message>
    <message>
        <source>Where the contact is in the answer</source>
        <translation>Где в ответе контакт</translation>
    </message>
    <message>
        <source>Fields of the answer shown on the card</source>
        <translation>Поля ответа для карточки</translation>
    </message>
    <message>
        <source>Contact page address</source>
        <translation>Адрес страницы контакта</translation>
    </message>
    <message>
        <source>New contact page address</source>
        <translation>Адрес страницы нового контакта</translation>
    </message>
    <message>
        <source>Address to post finished calls to</source>
        <translation>Адрес для отправки завершённых звонков</translation>
    </message>
    <message>
        <source>Bitrix24 webhook address</source>
        <translation>Адрес вебхука Bitrix24</translation>
    </message>
    <message>
        <source>Bitrix24 user ID</source>
        <translation>ID пользователя Bitrix24</translation>
    </message>
    <message>
        <source>Post finished calls to the CRM</source>
        <translation>Отправлять завершённые звонки в CRM</translation>
    </message>
    <message>
        <source>Dialog card fields</source>
        <translation>Поля карточки разговора</translation>
    </message>
    <message>
        <source>Dispositions</source>
        <translation>Результаты звонка</translation>
    </message>
    <message>
        <source>Wrap-up after a call, s</source>
        <translation>Обработка после звонка, с</translation>
    </message>
    <message>
        <source>Wrap-up recorded at most, s</source>
        <translation>Запись обработки не дольше, с</translation>
    </message>
    <message>
        <source>Not ready reasons</source>
        <translation>Причины «Не готов»</translation>
    </message>
    <message>
        <source>Break reasons</source>
        <translation>Причины перерыва</translation>
    </message>
    <message>
        <source>Send to the store</source>
        <translation>Отправлять в хранилище</translation>
    </message>
    <message>
        <source>Outbox folder</source>
        <translation>Папка очереди выгрузки</translation>
    </message>
    <message>
        <source>Outbox limit, MB</source>
        <translation>Предел очереди выгрузки, МБ</translation>
    </message>
    <message>
        <source>Upload speed limit, kbit/s (0: none)</source>
        <translation>Предел скорости выгрузки, кбит/с (0 — без предела)</translation>
    </message>
    <message>
        <source>System language</source>
        <translation>Язык системы</translation>
    </message>
    <message>
        <source>%1 in the settings file</source>
        <translation>%1 в файле настроек</translation>
    </message>
</context>
<context>
    <name>SettingsMenu</name>
    <message>
        <source>&amp;Settings…</source>
        <translation>&amp;Настройки…</translation>
    </message>
    <message>
        <source>Settings saved. A new SIP account and sound devices apply at the next start.</source>
        <translation>Настройки сохранены. Новая SIP-учётная запись и звуковые устройства вступят в силу при следующем запуске.</translation>
    </message>
</context>
<context>
    <name>StoreForm</name>
    <message>
        <source>leave empty to keep the stored token</source>
        <translation>оставьте пустым, чтобы сохранить прежний токен</translation>
    </message>
</context>
<context>
    <name>StorePage</name>
    <message>
        <source>The central store</source>
        <translation>Центральное хранилище</translation>
    </message>
    <message>
        <source>Where your calls and recordings go. Leave it empty to work on this PC only.</source>
        <translation>Куда отправляются ваши звонки и записи. Оставьте пустым, чтобы работать только на этом компьютере.</translation>
    </message>
    <message>
        <source>required without a SIP account</source>
        <translation>обязательно без SIP-учётной записи</translation>
    </message>
</context>
<context>
    <name>StoreSession</name>
    <message>
        <source>No store token is saved on this PC: nothing is sent to the store at %1 (calls and states are kept here). Ask your administrator for your token and enter it in Phone → Settings… → Store.</source>
        <translation>На этом компьютере не сохранён токен хранилища: в хранилище %1 ничего не отправляется (звонки и состояния сохраняются здесь). Попросите токен у администратора и введите его в Телефон → Настройки… → Хранилище.</translation>
    </message>
    <message>
        <source>no store token is saved</source>
        <translation>токен хранилища не сохранён</translation>
    </message>
    <message>
        <source>The system keyring cannot be read (%2), so the store token is unknown: nothing is sent to the store. Unlock the keyring (or log in to the desktop session again), then save the settings again.</source>
        <translation>Не удаётся прочитать системное хранилище паролей (%2), поэтому токен хранилища неизвестен: в хранилище ничего не отправляется. Разблокируйте хранилище паролей (или войдите в сеанс заново), затем ещё раз сохраните настройки.</translation>
    </message>
    <message>
        <source>the keyring cannot be read</source>
        <translation>не удаётся прочитать хранилище паролей</translation>
    </message>
    <message>
        <source>The store at %1 does not accept the saved token: it is wrong, expired or revoked. Nothing is sent until it is replaced (calls and states are kept here). Ask your administrator for a new token and enter it in Phone → Settings… → Store.</source>
        <translation>Хранилище %1 не принимает сохранённый токен: он неверен, просрочен или отозван. Пока его не заменят, ничего не отправляется (звонки и состояния сохраняются здесь). Попросите новый токен у администратора и введите его в Телефон → Настройки… → Хранилище.</translation>
    </message>
    <message>
        <source>the store does not accept the saved token</source>
        <translation>хранилище не принимает сохранённый токен</translation>
    </message>
    <message>
        <source>The saved store token belongs to %3, who may not take calls as an agent: calls and states are not accepted by the store (they are kept here). Enter your own agent token in Phone → Settings… → Store, or ask your administrator.</source>
        <translation>Сохранённый токен хранилища принадлежит пользователю %3, которому нельзя принимать звонки как оператору: хранилище не принимает звонки и состояния (они сохраняются здесь). Введите свой токен оператора в Телефон → Настройки… → Хранилище или обратитесь к администратору.</translation>
    </message>
    <message>
        <source>the token&apos;s user %1 may not act as an agent</source>
        <translation>пользователь токена %1 не может работать оператором</translation>
    </message>
    <message>
        <source>The address %1 does not answer like an AgentDesk store (%2). Check the store address in Phone → Settings… → Store: the store&apos;s own address, e.g. https://store.example.com. Calls and states are kept here meanwhile.</source>
        <translation>Адрес %1 отвечает не как хранилище AgentDesk (%2). Проверьте адрес хранилища в Телефон → Настройки… → Хранилище: нужен адрес самого хранилища, например https://store.example.com. Пока звонки и состояния сохраняются здесь.</translation>
    </message>
    <message>
        <source>the store address does not answer like a store</source>
        <translation>адрес хранилища отвечает не как хранилище</translation>
    </message>
    <message>
        <source>The store at %1 cannot be reached (%2). Calls and states are kept on this PC and sent when it answers again. Check the network, or the store address in Phone → Settings… → Store.</source>
        <translation>Хранилище %1 недоступно (%2). Звонки и состояния сохраняются на этом компьютере и будут отправлены, когда оно снова ответит. Проверьте сеть или адрес хранилища в Телефон → Настройки… → Хранилище.</translation>
    </message>
    <message>
        <source>the store cannot be reached</source>
        <translation>хранилище недоступно</translation>
    </message>
    <message>
        <source>The store at %1 fails (%2). Calls and states are kept on this PC and sent when it works again; tell your administrator.</source>
        <translation>В хранилище %1 сбой (%2). Звонки и состояния сохраняются на этом компьютере и будут отправлены, когда оно снова заработает; сообщите администратору.</translation>
    </message>
    <message>
        <source>the store fails</source>
        <translation>сбой хранилища</translation>
    </message>
    <message>
        <source>The store has %1 at extension %2, but this PC is registered as %3: calls are saved as %1 with extension %3. If this is not your PC or token, tell your administrator.</source>
        <translation>В хранилище у пользователя %1 внутренний номер %2, а этот компьютер зарегистрирован как %3: звонки сохраняются от имени %1 с номером %3. Если это не ваш компьютер или токен, сообщите администратору.</translation>
    </message>
    <message>
        <source>Review calls as the demo &amp;QA controller…</source>
        <translation>Прослушать звонки как контролёр &amp;ОКК (демо)…</translation>
    </message>
    <message>
        <source>Signed in to the store as %1 (QA). Find and replay calls in Calls → Review calls…; there is no softphone on this PC.</source>
        <translation>Вы вошли в хранилище как %1 (ОКК). Искать и прослушивать звонки — в Звонки → Разбор звонков…; софтфона на этом компьютере нет.</translation>
    </message>
    <message>
        <source>Signed in to the store as %1 (%2). The live board and reports are in Supervisor → Agents and reports…, past calls in Calls → Review calls…; there is no softphone on this PC.</source>
        <translation>Вы вошли в хранилище как %1 (%2). Текущая панель и отчёты — в Супервизор → Операторы и отчёты…, прошлые звонки — в Звонки → Разбор звонков…; софтфона на этом компьютере нет.</translation>
    </message>
    <message>
        <source>You are an agent in the store, but no SIP account is set on this PC: calls cannot be taken. Enter your SIP account in Phone → Settings… and restart.</source>
        <translation>В хранилище вы оператор, но на этом компьютере не задана SIP-учётная запись: принимать звонки нельзя. Введите SIP-учётную запись в Телефон → Настройки… и перезапустите программу.</translation>
    </message>
</context>
<context>
    <name>SupervisorWindow</name>
    <message>
        <source>AgentDesk supervisor</source>
        <translation>AgentDesk — супервизор</translation>
    </message>
    <message>
        <source>Live board</source>
        <translation>Текущая панель</translation>
    </message>
    <message>
        <source>Reports</source>
        <translation>Отчёты</translation>
    </message>
    <message>
        <source>Campaigns</source>
        <translation>Кампании</translation>
    </message>
    <message>
        <source>Agents and &amp;reports…</source>
        <translation>Операторы и &amp;отчёты…</translation>
    </message>
    <message>
        <source>&amp;Supervisor</source>
        <translation>&amp;Супервизор</translation>
    </message>
</context>
<context>
    <name>TranscriptPanel</name>
    <message>
        <source>Loading the transcript…</source>
        <translation>Загрузка расшифровки…</translation>
    </message>
    <message>
        <source>Automatic checks</source>
        <translation>Автопроверки</translation>
    </message>
    <message>
        <source>Transcript</source>
        <translation>Расшифровка</translation>
    </message>
    <message>
        <source>Operator</source>
        <translation>Оператор</translation>
    </message>
    <message>
        <source>Customer</source>
        <translation>Клиент</translation>
    </message>
    <message>
        <source>card number masked</source>
        <translation>номер карты скрыт</translation>
    </message>
    <message>
        <source>number masked</source>
        <translation>число скрыто</translation>
    </message>
    <message>
        <source>masked: paused</source>
        <translation>скрыто: пауза</translation>
    </message>
    <message>
        <source>The transcript is not ready yet</source>
        <translation>Расшифровка ещё не готова</translation>
    </message>
    <message>
        <source>Transcribing…</source>
        <translation>Идёт расшифровка…</translation>
    </message>
    <message>
        <source>Transcription failed</source>
        <translation>Расшифровать не удалось</translation>
    </message>
    <message>
        <source>Found: {0}</source>
        <translation>Найдено: {0}</translation>
    </message>
    <message>
        <source>Nothing was said</source>
        <translation>Ничего не сказано</translation>
    </message>
    <message>
        <source>passed</source>
        <translation>выполнено</translation>
    </message>
    <message>
        <source>failed</source>
        <translation>не выполнено</translation>
    </message>
</context>
<context>
    <name>Tray</name>
    <message>
        <source>Show AgentDesk</source>
        <translation>Показать AgentDesk</translation>
    </message>
</context>
<context>
    <name>Units</name>
    <message>
        <source>%1 GB</source>
        <translation>%1 ГБ</translation>
    </message>
    <message>
        <source>%1 MB</source>
        <translation>%1 МБ</translation>
    </message>
    <message>
        <source>%1 KB</source>
        <translation>%1 КБ</translation>
    </message>
    <message>
        <source>%1 B</source>
        <translation>%1 Б</translation>
    </message>
</context>
<context>
    <name>UploadQueue</name>
    <message>
        <source>the disk is full: calls wait in memory</source>
        <translation>диск заполнен: звонки ждут в памяти</translation>
    </message>
    <message>
        <source>the data folder cannot be written</source>
        <translation>в папку данных нельзя записать</translation>
    </message>
    <message>
        <source>the store refused %1 item(s): %2</source>
        <translation>хранилище отклонило записей: %1: %2</translation>
    </message>
    <message>
        <source>the store cannot be reached</source>
        <translation>хранилище недоступно</translation>
    </message>
    <message>
        <source>the store refused the last item: %1</source>
        <translation>хранилище отклонило последнюю запись: %1</translation>
    </message>
</context>
<context>
    <name>WelcomePage</name>
    <message>
        <source>Welcome to AgentDesk</source>
        <translation>Добро пожаловать в AgentDesk</translation>
    </message>
    <message>
        <source>Nothing is set up yet. The next pages ask for your SIP account and the central store; passwords and tokens are kept in the system keyring.</source>
        <translation>Пока ничего не настроено. На следующих страницах укажите SIP-учётную запись и центральное хранилище; пароли и токены хранятся в системной связке ключей.</translation>
    </message>
    <message>
        <source>Language</source>
        <translation>Язык</translation>
    </message>
</context>
</TS>
