"""The live channel: every open console (board, leader's dashboard, supervision dashboard, phone
page) hears of changes within its scope."""

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from anmin.org.models import Organization, scope_path


def follows_police_work(user) -> bool:
    """Whether the user may hear of incidents, units and case clocks in their scope: every officer
    placed in a unit, and the bureau's officers and leaders (sees_everything: the root's group),
    whether or not they command — the leader's dashboard listens too. The security and the audit
    administrator keep accounts and the trail; police work is not theirs to follow (三权分立)."""
    return scope_path(user) is not None and not user.administers_security


def groups_of(user) -> list[str]:
    """The Channels groups the user's socket joins (the events are published to every organization
    above the station and the unit concerned, see `incident_groups` and `unit_groups`)."""
    groups = []
    if follows_police_work(user):
        if user.sees_everything:
            root = Organization.objects.filter(parent__isnull=True).order_by("id").values_list("id", flat=True).first()
            groups = [f"org-{root}"] if root else []
        else:
            groups = [f"org-{user.organization_id}"]
    # A crew member hears of their own unit whatever their role.
    groups += [f"unit-{pk}" for pk in user.units.values_list("pk", flat=True)]
    return groups


groups_for = database_sync_to_async(groups_of)


class LiveConsumer(AsyncJsonWebsocketConsumer):
    """Joins the groups of the user's organization (the bureau's for the command centre and its
    leaders) and of the units they crew; forwards each event notice. Notices carry only kind and
    id: the page then fetches what changed through the normal, scoped views. A user with nothing
    to follow is turned away (4403) rather than kept on an idle socket."""

    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        self.groups_joined = await groups_for(user)
        if not self.groups_joined:
            await self.close(code=4403)
            return
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        for group in getattr(self, "groups_joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive_json(self, content, **kwargs):
        if content.get("type") == "ping":
            await self.send_json({"type": "pong"})

    async def anmin_event(self, event):
        await self.send_json({k: v for k, v in event.items() if k != "type"} | {"type": "event"})
