; Inno Setup script for the AgentDesk desktop (Windows, per-machine install).
; Build the bundle first (installer/README.md, "Windows"), then:
;   iscc /DAppVersion=0.1.0 installer\windows\agentdesk.iss
; Output: build\agentdesk-<version>-setup.exe

#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif

[Setup]
AppId={{6C0F3A52-4D0B-4E7B-9C55-3A1D2E6B9F10}
AppName=AgentDesk
AppVersion={#AppVersion}
AppPublisher=AgentDesk
DefaultDirName={autopf}\AgentDesk
DefaultGroupName=AgentDesk
UninstallDisplayIcon={app}\agentdesk.exe
OutputDir=..\..\build
OutputBaseFilename=agentdesk-{#AppVersion}-setup
SetupIconFile=..\..\resources\icons\agentdesk.ico
Compression=lzma2/max
SolidCompression=yes
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
PrivilegesRequired=admin
WizardStyle=modern

[Languages]
Name: "en"; MessagesFile: "compiler:Default.isl"
Name: "ru"; MessagesFile: "compiler:Languages\Russian.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"
Name: "autostart"; Description: "Start AgentDesk when I sign in"; Flags: unchecked

[Files]
Source: "..\..\build\dist\agentdesk\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\AgentDesk"; Filename: "{app}\agentdesk.exe"
Name: "{group}\AgentDesk self-test"; Filename: "{cmd}"; Parameters: "/k ""{app}\agentdesk.exe"" --self-test"
Name: "{autodesktop}\AgentDesk"; Filename: "{app}\agentdesk.exe"; Tasks: desktopicon
Name: "{userstartup}\AgentDesk"; Filename: "{app}\agentdesk.exe"; Tasks: autostart

[Registry]
; sip: and tel: links open AgentDesk (click-to-call from the CRM's web UI).
Root: HKLM; Subkey: "Software\Classes\sip"; ValueType: string; ValueData: "URL:SIP"; Flags: uninsdeletekey
Root: HKLM; Subkey: "Software\Classes\sip"; ValueName: "URL Protocol"; ValueType: string; ValueData: ""
Root: HKLM; Subkey: "Software\Classes\sip\shell\open\command"; ValueType: string; ValueData: """{app}\agentdesk.exe"" ""%1"""

[Run]
Filename: "{app}\agentdesk.exe"; Parameters: "--self-test"; Flags: runhidden waituntilterminated; StatusMsg: "Checking the installation…"
Filename: "{app}\agentdesk.exe"; Description: "{cm:LaunchProgram,AgentDesk}"; Flags: nowait postinstall skipifsilent
