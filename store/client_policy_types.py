"""The recording policy's JSON shapes, as TypedDicts for `store.client`: the document an
admin sets, what applies to one user, and its versions (mirroring `store.models`)."""

from __future__ import annotations

from typing import Literal, NotRequired, TypedDict


class PolicyRule(TypedDict):
    mode: Literal["all", "sampled", "consent", "off"]
    sample_percent: NotRequired[float]


class RecordingPolicy(TypedDict, total=False):
    """The policy document an admin sets (every key optional: the store's defaults)."""

    default: PolicyRule
    queues: dict[str, PolicyRule]
    teams: dict[str, PolicyRule]
    agents: dict[str, PolicyRule]
    fps: float
    preroll_s: float
    wrap_up_max_s: float
    mask_titles: list[str]
    pause_audio: bool
    show_listening: bool
    headers: dict[str, str]  # queue, queue_wait, pbx_call_id: INVITE header names
    show_watched: bool  # the operator sees "screen watched" while a supervisor watches


class EffectivePolicy(TypedDict):
    """What applies to the token's user: `mode` for every call (`scope` `agent …`/`team …`),
    or per queue (`scope` `queues`: the call's queue in `queues`, else `mode`)."""

    scope: str
    mode: Literal["all", "sampled", "consent", "off"]
    sample_percent: float
    queues: dict[str, PolicyRule]
    fps: float
    preroll_s: float
    wrap_up_max_s: float
    mask_titles: list[str]
    pause_audio: bool
    show_listening: NotRequired[bool]
    headers: dict[str, str]


class PolicyVersion(TypedDict):
    version: int
    changed_us: int | None
    changed_by: str | None
    policy: RecordingPolicy


class PolicyAnswer(PolicyVersion):
    effective: EffectivePolicy
