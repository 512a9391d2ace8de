#!KAMAILIO
#
# Test registrar/proxy for AgentDesk integration tests (rendered by tests/servers/kamailio.py).
# Placeholders @@NAME@@ are replaced before start. Pre-processor define AUTH_INVITES (-A) makes
# initial non-REGISTER requests from local users require proxy digest auth.

#!define FLT_LOCAL 1

####### Global parameters #########
debug=@@DEBUG@@
log_stderror=yes
memdbg=5
memlog=5
children=2
tcp_children=2
auto_aliases=no
# Shutdown: the TCP main process sometimes lingers after SIGTERM; do not wait 60 s for it.
exit_timeout=1
dns=no
rev_dns=no
use_dns_cache=no
server_header="Server: agentdesk-test-kamailio"
user_agent_header="User-Agent: agentdesk-test-kamailio"

listen=udp:127.0.0.1:@@UDP_PORT@@
listen=tcp:127.0.0.1:@@TCP_PORT@@
listen=tls:127.0.0.1:@@TLS_PORT@@

enable_tls=yes
tcp_connection_lifetime=3605
tcp_accept_no_cl=yes
tcp_rd_buf_size=16384

####### Modules #########
loadmodule "kex.so"
loadmodule "corex.so"
loadmodule "tm.so"
loadmodule "tmx.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"
loadmodule "textops.so"
loadmodule "siputils.so"
loadmodule "xlog.so"
loadmodule "sanity.so"
loadmodule "ctl.so"
loadmodule "db_text.so"
loadmodule "auth.so"
loadmodule "auth_db.so"
loadmodule "nathelper.so"
loadmodule "tls.so"

modparam("ctl", "binrpc", "unix:@@CTL_SOCKET@@")

modparam("tm", "failure_reply_mode", 3)
modparam("tm", "fr_timer", 10000)
modparam("tm", "fr_inv_timer", 60000)

modparam("rr", "enable_full_lr", 0)
modparam("rr", "enable_double_rr", 1)
modparam("rr", "append_fromtag", 1)

modparam("usrloc", "db_mode", 0)
modparam("usrloc", "use_domain", 0)
modparam("usrloc", "timer_interval", 10)

modparam("registrar", "method_filtering", 1)
modparam("registrar", "max_expires", 3600)
modparam("registrar", "min_expires", 10)
modparam("registrar", "gruu_enabled", 0)

modparam("auth", "nonce_expire", 300)

modparam("auth_db", "db_url", "text://@@DB_DIR@@")
modparam("auth_db", "calculate_ha1", yes)
modparam("auth_db", "password_column", "password")
modparam("auth_db", "use_domain", 0)
modparam("auth_db", "load_credentials", "")

# 1: re-read a table file when its mtime changes (add_user() without a restart).
modparam("db_text", "db_mode", 1)

modparam("nathelper", "received_avp", "$avp(RECEIVED)")
modparam("registrar", "received_avp", "$avp(RECEIVED)")

modparam("tls", "config", "@@TLS_CFG@@")

####### Routing logic #########
request_route {
	route(REQINIT);

	if (is_method("CANCEL")) {
		if (t_check_trans()) {
			route(RELAY);
		}
		exit;
	}

	if (!is_method("ACK")) {
		if (t_precheck_trans()) {
			t_check_trans();
			exit;
		}
		t_check_trans();
	}

	route(WITHINDLG);

	# Initial requests from here on.
	remove_hf("Route");
	if (is_method("INVITE|SUBSCRIBE|REFER|MESSAGE|NOTIFY|UPDATE")) {
		record_route();
	}

	if (is_method("REGISTER")) {
		route(REGISTRAR);
		exit;
	}

	# The served domain (AoRs sip:user@DOMAIN) is matched by name with no port. No "alias"
	# for it: 127.0.0.1 with any port would make every loopback Contact "myself" and break
	# loose_route for in-dialog requests.
	if ($rd == "@@DOMAIN@@" && $(ru{uri.port}) == "") {
		setflag(FLT_LOCAL);
	} else if (uri == myself) {
		setflag(FLT_LOCAL);
	}

	if ($rU == $null) {
		if (is_method("OPTIONS") && isflagset(FLT_LOCAL)) {
			sl_send_reply("200", "OK");
			exit;
		}
		sl_send_reply("484", "Address Incomplete");
		exit;
	}

#!ifdef AUTH_INVITES
	route(PROXYAUTH);
#!endif

	route(CONTACTALIAS);
	route(LOCATION);
}

route[REQINIT] {
	if (!mf_process_maxfwd_header("10")) {
		sl_send_reply("483", "Too Many Hops");
		exit;
	}
	if (!sanity_check("17895", "7")) {
		xlog("L_WARN", "malformed request from $si:$sp\n");
		exit;
	}
}

# Connection-oriented callers: mark their Contact so later requests to them reuse the
# connection they opened (pjsip's and baresip's TCP/TLS listeners are not needed then).
route[CONTACTALIAS] {
	if ($pr != "udp" && is_method("INVITE|SUBSCRIBE|REFER|UPDATE|NOTIFY")) {
		add_contact_alias();
	}
}

route[WITHINDLG] {
	if (!has_totag()) return;

	if (loose_route()) {
		handle_ruri_alias();
		route(CONTACTALIAS);
		route(RELAY);
		exit;
	}

	if (is_method("ACK")) {
		if (t_check_trans()) {
			route(RELAY);
			exit;
		}
		exit;
	}
	sl_send_reply("404", "Not here");
	exit;
}

route[REGISTRAR] {
	if (!www_authorize("@@DOMAIN@@", "subscriber")) {
		www_challenge("@@DOMAIN@@", "0");
		exit;
	}
	if ($au != $tU) {
		sl_send_reply("403", "Forbidden auth ID");
		exit;
	}
	consume_credentials();
	if ($pr != "udp") {
		fix_nated_register();
	}
	if (!save("location", "0x04")) {
		sl_reply_error();
	}
	exit;
}

#!ifdef AUTH_INVITES
route[PROXYAUTH] {
	if (is_method("ACK|CANCEL|PRACK")) return;
	if ($fd != "@@DOMAIN@@") return;
	if (!proxy_authorize("@@DOMAIN@@", "subscriber")) {
		proxy_challenge("@@DOMAIN@@", "0");
		exit;
	}
	if ($au != $fU) {
		sl_send_reply("403", "Forbidden auth ID");
		exit;
	}
	consume_credentials();
}
#!endif

route[LOCATION] {
	if (!isflagset(FLT_LOCAL)) {
		# Not ours: relay as a plain proxy (tests only use loopback).
		route(RELAY);
		exit;
	}
	$var(rc) = lookup("location");
	switch ($var(rc)) {
		case -1:
		case -3:
			send_reply("404", "Not Found");
			exit;
		case -2:
			send_reply("405", "Method Not Allowed");
			exit;
	}
	route(RELAY);
	exit;
}

route[RELAY] {
	if (is_method("INVITE|BYE|SUBSCRIBE|UPDATE|REFER|NOTIFY")) {
		if (!t_is_set("onreply_route")) t_on_reply("MANAGE_REPLY");
	}
	if (!t_relay()) {
		sl_reply_error();
	}
	exit;
}

onreply_route[MANAGE_REPLY] {
	if ($pr != "udp" && status =~ "[12][0-9][0-9]") {
		add_contact_alias();
	}
}
