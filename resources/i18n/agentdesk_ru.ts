<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="ru_RU">
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
</context>
<context>
    <name>AudioModeLine</name>
    <message>
        <source>No sound device: calls run without audio</source>
        <translation>Нет звукового устройства: звонки идут без звука</translation>
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
        <source>Answer</source>
        <translation>Ответить</translation>
    </message>
    <message>
        <source>Reject</source>
        <translation>Отклонить</translation>
    </message>
    <message>
        <source>Hang up</source>
        <translation>Завершить</translation>
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
    <message>
        <source>Resume</source>
        <translation>Вернуть</translation>
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
    <name>EngineBridge</name>
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
        <source>the softphone has stopped</source>
        <translation>софтфон остановлен</translation>
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
</TS>
