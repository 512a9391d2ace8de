"""Outbound tasks on the desktop: the store hands the operator the next contact to call.

`tasks` claims, keeps and reports tasks through store.client (no Qt); `attempt` turns the
softphone's events for the dialled call into the attempt's outcome (no Qt); `dialler` is one
task's course, preview or progressive (no Qt); `panel` and `controller` are its Qt card and
wiring; `supervision` is the supervisors' campaigns view.
"""
